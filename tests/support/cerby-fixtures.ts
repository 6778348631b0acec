/** The five Azure values of a Cerby akv vault, as the tests and the figures script register them. */
export function akvSettings(clientSecret: string) {
  return {
    clientId: "11111111-1111-1111-1111-111111111111",
    tenantId: "22222222-2222-2222-2222-222222222222",
    clientSecret,
    vaultUrl: "https://kv-cerby-abc123.vault.azure.net/",
    keyName: "cerby-external-key",
  };
}
