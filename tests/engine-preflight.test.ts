/**
 * The AzureKeyPreflight as the engine runs it: the program's real `__provider` in the real
 * dynamic provider host (tests/support/provider-host.ts), against the fake Entra ID and Key Vault
 * (sockets redirected by a preload). The principal is the one the program declares.
 */
import { FAKE_VAULT_URL, FakeAzure, makeKeyPair } from "./support/fake-azure";
import { ProviderHost, UNKNOWN, withoutSecrets } from "./support/provider-host";
import { runProgram, single, toPulumiConfig } from "./support/program";

const PREFLIGHT_TYPE = "pulumi-nodejs:dynamic/azure:KeyPreflight";
const REDIRECT = require.resolve("./support/host-azure-redirect.js");
const NEW_SECRET = "Eng~rotated-preflight-secret-2";

let host: ProviderHost | undefined;
let azure: FakeAzure | undefined;
const declared: Record<"up" | "preview", { urn: string; inputs: Record<string, unknown> }> = {} as never;

beforeAll(async () => {
  for (const mode of ["up", "preview"] as const) {
    const { resources } = await runProgram({}, { preview: mode === "preview" });
    const preflight = single(resources, PREFLIGHT_TYPE);
    declared[mode] = { urn: preflight.urn, inputs: preflight.rawInputs };
  }
});

afterEach(async () => {
  await Promise.all([host?.stop(), azure?.close()]);
  host = undefined;
  azure = undefined;
});

async function startHost(env: Record<string, string> = {}): Promise<ProviderHost> {
  host = await ProviderHost.start({ env, preload: env.FAKE_AZURE_PORT ? [REDIRECT] : [] });
  expect(await host.configure(toPulumiConfig({ cerbyWorkspace: "acme", clientSecretStartDate: "2026-11-28" }))).toBe(false);
  return host;
}

test("preview: Check and Diff with the client secret unknown report an update, and reach no Azure endpoint", async () => {
  const { urn, inputs } = declared.preview;
  expect(inputs.clientId).toBe(UNKNOWN);
  const provider = await startHost();
  const checked = await provider.check(urn, {}, inputs);
  expect(checked.failures).toEqual([]);
  const olds = { ...declared.up.inputs, ...withoutSecrets({ clientSecret: declared.up.inputs.clientSecret }) as object };
  const diff = await provider.diff("preflight-cerby-external-key", urn, olds, { ...checked.inputs, clientSecret: UNKNOWN });
  expect(diff).toMatchObject({ changes: "some", replaces: [] });
});

test("create proves the declared key as the declared principal, waiting out a 403; a new secret is proved again on update", async () => {
  const { urn, inputs } = declared.up;
  const plain = withoutSecrets(inputs) as Record<string, string>;
  const principal = { tenantId: plain.tenantId, clientId: plain.clientId, clientSecret: plain.clientSecret };
  azure = await FakeAzure.start(principal, {
    name: plain.keyName,
    kty: "RSA",
    privateKey: await makeKeyPair({ rsaBits: 4096 }),
    keyOps: ["wrapKey", "unwrapKey", "encrypt", "decrypt"],
    enabled: true,
  });
  azure.forbidWrap = 1;
  const provider = await startHost({ FAKE_AZURE_PORT: String(azure.port) });
  const { inputs: checked, failures } = await provider.check(urn, {}, { ...inputs, vaultUrl: FAKE_VAULT_URL });
  expect(failures).toEqual([]);
  const created = await provider.create(urn, checked);
  expect(created.id).toBe(`preflight-${plain.keyName}`);
  expect(azure.vaultCalls("unwrapkey")).toHaveLength(1);
  await provider.line("Preflight passed after 2 attempts");

  const rotated = { ...checked, clientSecret: NEW_SECRET };
  expect(await provider.diff(created.id, urn, created.properties, rotated)).toMatchObject({ changes: "some", replaces: [] });
  azure.principal.clientSecret = NEW_SECRET;
  const before = azure.vaultCalls("unwrapkey").length;
  await provider.update(created.id, urn, created.properties, rotated);
  expect(azure.vaultCalls("unwrapkey")).toHaveLength(before + 1);
  const log = provider.output.join("\n");
  expect(log).not.toContain(principal.clientSecret);
  expect(log).not.toContain(NEW_SECRET);
});
