/**
 * The Cerby vault of an adopted Azure setup, whose client secret only Cerby holds: the provider
 * adopts the vault by name and sends nothing. (No preflight is declared for it: tests/adoption-azure.test.ts.)
 */
import { CerbyVaultProvider, type CerbyVaultInputs } from "../components/cerby/provider";
import { CerbyEmulator } from "./support/cerby-emulator";
import { akvVaultInputs } from "./support/cerby-fixtures";

const API_KEY = "cerby-adoption-key-3b8e1f";

let emulator: CerbyEmulator;

beforeEach(async () => {
  emulator = await CerbyEmulator.start({ keys: { [API_KEY]: { role: "admin", scopes: ["vaults:read", "vaults:write"] } }, writeEndpoints: "on" });
});

afterEach(async () => {
  await emulator.stop();
});

async function provider(infos: string[]): Promise<CerbyVaultProvider> {
  const created = new CerbyVaultProvider({
    client: { timeoutMs: 10_000, maxAttempts: 2, maxElapsedMs: 20_000, baseDelayMs: 5, maxDelayMs: 20 },
    log: { info: (message) => void infos.push(message), warn: (message) => void infos.push(message) },
  });
  const settings: Record<string, string> = { "cerby-external-keys:cerbyApiKey": API_KEY };
  await created.configure({ config: { get: (key) => settings[key], require: (key) => settings[key] } });
  return created;
}

/** An akv vault's inputs with no client secret, as an adopted stack without existingClientSecret declares them. */
function withoutSecret(): CerbyVaultInputs {
  const inputs = akvVaultInputs(emulator.url, "unused", { registration: "api" });
  const { clientSecret: _dropped, ...akv } = inputs.akv!;
  return { ...inputs, akv: akv as CerbyVaultInputs["akv"] };
}

function calls(): string[] {
  return emulator.requests.map((request) => `${request.method} ${request.path.replace(/[0-9a-f-]{36}/, "{id}")}`);
}

test("check accepts an akv vault without a client secret, and still refuses an empty one", async () => {
  const checked = await (await provider([])).check({}, withoutSecret() as unknown as Record<string, unknown>);
  expect(checked.failures).toEqual([]);
  const empty = { ...withoutSecret(), akv: { ...withoutSecret().akv, clientSecret: " " } };
  expect((await (await provider([])).check({}, empty as unknown as Record<string, unknown>)).failures).toEqual([
    { property: "akv.clientSecret", reason: "must be the application's client secret, not empty" },
  ]);
});

test("the vault Cerby already has is adopted by name with nothing sent", async () => {
  const byHand = emulator.seed({ name: "Azure Key Vault", scheme: "akv" });
  const infos: string[] = [];
  const result = await (await provider(infos)).create(withoutSecret());
  expect(result.id).toBe(byHand.id);
  expect(calls()).toEqual(["GET /vaults"]);
  expect(infos).toContainEqual(expect.stringContaining('Adopting the existing Cerby vault "Azure Key Vault"'));
});

test("with no vault in Cerby and no secret, nothing is registered and the message says what to set", async () => {
  const created = await provider([]);
  await expect(created.create(withoutSecret())).rejects.toThrow(
    /Cerby has no Azure External Keys vault named "Azure Key Vault" to adopt, and this stack holds no client secret to register one with\. Set cerbyAzureVaultName/,
  );
  expect(calls().filter((call) => !call.startsWith("GET"))).toEqual([]);
});
