import type { CerbyVaultInputs } from "../../components/cerby/provider";

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

/** The inputs of an akv vault at `apiUrl`, as the provider's create receives them after check. */
export function akvVaultInputs(apiUrl: string, clientSecret: string, overrides: Partial<CerbyVaultInputs> = {}): CerbyVaultInputs {
  return {
    workspace: "acme",
    apiUrl,
    name: "Azure Key Vault",
    scheme: "akv",
    setAsDefault: false,
    onDelete: "retain",
    akv: akvSettings(clientSecret),
    ...overrides,
  };
}
