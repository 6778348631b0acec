/**
 * The CerbyVault resource as the engine runs it: its real `__provider`, captured from the program
 * under mocks, in the real dynamic provider host (tests/support/provider-host.ts), configured with
 * the stack config as the engine sends it, against the Cerby emulator. Every host and server is
 * stopped after each test. The Azure key preflight is its own resource: tests/engine-preflight.test.ts.
 */
import { CerbyEmulator } from "./support/cerby-emulator";
import { ProviderHost, UNKNOWN, withoutSecrets } from "./support/provider-host";
import { runProgram, single, toPulumiConfig } from "./support/program";


const API_KEY = "cerby-engine-key-5d2e8a";
const VAULT_TYPE = "pulumi-nodejs:dynamic/cerby:Vault";

let emulator: CerbyEmulator;
let host: ProviderHost | undefined;
/** The CerbyVault as the program declares it, once for `pulumi up` and once for a preview. */
const declared: Record<"up" | "preview", { urn: string; inputs: Record<string, unknown> }> = {} as never;

beforeAll(async () => {
  for (const mode of ["up", "preview"] as const) {
    const { resources } = await runProgram({ cerbyApiUrl: "http://127.0.0.1:9/api/v1", cerbyPreflight: false }, { preview: mode === "preview" });
    const vault = single(resources, VAULT_TYPE);
    declared[mode] = { urn: vault.urn, inputs: vault.rawInputs };
  }
});

beforeEach(async () => {
  emulator = await CerbyEmulator.start({ keys: { [API_KEY]: { role: "admin", scopes: ["vaults:read", "vaults:write"] } }, withLocalVault: true });
});

afterEach(async () => {
  await Promise.all([host?.stop(), emulator.stop()]);
  host = undefined;
});

/** The stack config of these tests, as the engine hands it to the host: cerbyApiKey secret. */
function stackConfig(overrides: Record<string, unknown> = {}): { config: Record<string, string>; secretKeys: string[] } {
  const config = toPulumiConfig({ cerbyWorkspace: "acme", clientSecretStartDate: "2026-11-28", cerbyApiUrl: emulator.url, cerbyPreflight: false, ...overrides });
  return { config, secretKeys: ["cerby-external-keys:cerbyApiKey"] };
}

/** The declared CerbyVault (URN, raw inputs with `__provider`), pointed at this test's emulator. */
async function declaredVault(preview = false): Promise<{ urn: string; inputs: Record<string, unknown> }> {
  const { urn, inputs } = declared[preview ? "preview" : "up"];
  return { urn, inputs: { ...inputs, apiUrl: emulator.url } };
}

/** A host configured as the engine configures it, the API key given or not. */
async function startHost(apiKey: string | undefined): Promise<ProviderHost> {
  host = await ProviderHost.start({ env: { CERBY_API_KEY: undefined, CERBY_API_URL: undefined } });
  const { config, secretKeys } = stackConfig(apiKey === undefined ? {} : { cerbyApiKey: apiKey });
  expect(await host.configure(config, secretKeys)).toBe(false);
  return host;
}

async function hostError(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => new Error("expected the host to fail the call"),
    (error: Error) => error,
  );
}

test("preview: Check and Diff with unknown values need no API key and send nothing to Cerby", async () => {
  const { urn, inputs } = await declaredVault(true);
  const provider = await startHost(undefined);
  const akv = inputs.akv as Record<string, unknown>;
  expect(akv.clientId).toBe(UNKNOWN);
  // A new vault's URI is unknown at preview; the mock cloud leaves it empty, so it is marked here.
  const previewed = { ...inputs, akv: { ...akv, vaultUrl: UNKNOWN } };

  const checked = await provider.check(urn, {}, previewed);
  expect(checked.failures).toEqual([]);
  const olds = { ...checked.inputs, akv: { ...akv, clientId: "c", clientSecret: "s", vaultUrl: "v", keyName: "k" }, vaultId: "vault-1" };
  const diff = await provider.diff("vault-1", urn, olds, checked.inputs);
  expect(diff).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
  expect(emulator.requests).toEqual([]);
});

test("life cycle: create, read, no-change diff, rename, a refused key change, delete with retain then disable", async () => {
  const { urn, inputs } = await declaredVault();
  const provider = await startHost(API_KEY);
  const { inputs: checked, failures } = await provider.check(urn, {}, inputs);
  expect(failures).toEqual([]);

  const created = await provider.create(urn, checked);
  expect(created.properties).toMatchObject({ vaultId: created.id, name: "Azure Key Vault", state: "enabled", __provider: inputs.__provider });
  const stored = emulator.allVaults().find((vault) => vault.id === created.id);
  expect(stored?.configuration.clientSecret).toBe((withoutSecrets(inputs.akv) as Record<string, string>).clientSecret);

  const read = await provider.read(created.id, urn, created.properties);
  expect(read.id).toBe(created.id);
  expect(read.properties).toMatchObject({ vaultId: created.id, isDefault: false });
  expect(await provider.diff(created.id, urn, read.properties, checked)).toMatchObject({ changes: "none", replaces: [] });

  const renamed = { ...checked, name: "Renamed in the stack" };
  expect(await provider.diff(created.id, urn, read.properties, renamed)).toMatchObject({ changes: "some", replaces: [] });
  const updated = await provider.update(created.id, urn, read.properties, renamed);
  expect(updated.name).toBe("Renamed in the stack");
  expect(emulator.allVaults().find((vault) => vault.id === created.id)?.name).toBe("Renamed in the stack");

  const rekeyed = { ...renamed, akv: { ...(checked.akv as Record<string, unknown>), keyName: "another-key" } };
  const refused = await hostError(provider.diff(created.id, urn, updated, rekeyed));
  expect(refused.message).toContain("Cannot change akv.keyName of Cerby vault");

  await provider.delete(created.id, urn, updated);
  expect(emulator.allVaults().find((vault) => vault.id === created.id)?.state).toBe("enabled");
  await provider.delete(created.id, urn, { ...updated, onDelete: "disable" });
  expect(emulator.allVaults().find((vault) => vault.id === created.id)?.state).toBe("disabled");
  expect(provider.output.join("\n")).not.toContain(API_KEY);
});

test("a vault of the scheme under another name is a 409 conflict: create fails and says how to adopt it", async () => {
  emulator.seed({ name: "Made by hand", scheme: "akv" });
  const { urn, inputs } = await declaredVault();
  const provider = await startHost(API_KEY);
  const { inputs: checked } = await provider.check(urn, {}, inputs);
  const error = await hostError(provider.create(urn, checked));
  expect(error.message).toContain('vault in this workspace: "Made by hand"');
  expect(error.message).toContain("pulumi config set cerbyAzureVaultName");
  expect(emulator.allVaults().filter((vault) => vault.scheme === "akv")).toHaveLength(1);
});

test("a vault gone from Cerby: the refresh fails with the way out instead of dropping it from state", async () => {
  const { urn, inputs } = await declaredVault();
  const provider = await startHost(API_KEY);
  const { inputs: checked } = await provider.check(urn, {}, inputs);
  const created = await provider.create(urn, checked);
  const gone = { ...created.properties, vaultId: "vault-that-is-gone" };
  const error = await hostError(provider.read("vault-that-is-gone", urn, gone));
  expect(error.message).toContain("Cerby vault vault-that-is-gone");
  expect(error.message).toContain("a refresh never drops it");
  expect(error.message).toContain("pulumi state delete");
});
