/**
 * Measures the figures the Cerby issue asks for, against the emulator on loopback:
 *   npx ts-node --transpile-only scripts/cerby-figures.ts
 * - HTTP requests per provider create, read, update and delete on the happy path;
 * - wall time of a create that meets 503, 503, 429 (Retry-After: 1), then succeeds, with the
 *   default retry policy (so the jittered backoff is real; several runs are shown);
 * - size in bytes of the serialized provider that every CerbyVault carries in `__provider`;
 * - guided registration (write endpoints off): HTTP requests of a first and a second run, of a
 *   waiting create (a fake timer registers the vault on the third pause: nothing really waits),
 *   of auto's fallback; and the instructions a first guided run prints, with placeholders.
 */
import { CerbyVaultInputs, CerbyVaultOutputs, CerbyVaultProvider } from "../components/cerby/provider";
import { CerbyVault } from "../components/cerby/vault";
import { CerbyEmulator, Fault, WriteEndpoints } from "../tests/support/cerby-emulator";
import { runUnderMocks } from "../tools/mock-runtime";
import { akvVaultInputs } from "../tests/support/cerby-fixtures";

const API_KEY = "figures-api-key-0123456789";
const RUNS = 5;

function inputs(apiUrl: string, overrides: Partial<CerbyVaultInputs> = {}): CerbyVaultInputs {
  return akvVaultInputs(apiUrl, "figures-client-secret-value", overrides);
}

/** The CerbyVault provider never calls Azure (the preflight is its own resource), so the fictitious vault URL is never reached. */
const SETTINGS: Record<string, string> = { "cerby-external-keys:cerbyApiKey": API_KEY };

async function configured(options: ConstructorParameters<typeof CerbyVaultProvider>[0] = {}): Promise<CerbyVaultProvider> {
  const provider = new CerbyVaultProvider({ log: { info: () => undefined, warn: () => undefined }, ...options });
  await provider.configure({ config: { get: (key) => SETTINGS[key], require: (key) => SETTINGS[key] } });
  return provider;
}

async function withEmulator<T>(work: (emulator: CerbyEmulator) => Promise<T>, writeEndpoints: WriteEndpoints = "on"): Promise<T> {
  const emulator = await CerbyEmulator.start({
    keys: { [API_KEY]: { role: "owner", scopes: ["vaults:read", "vaults:write"] } },
    withLocalVault: true,
    writeEndpoints,
  });
  try {
    return await work(emulator);
  } finally {
    await emulator.stop();
  }
}

/** Requests the emulator saw while `work` ran. */
async function counted(emulator: CerbyEmulator, work: () => Promise<unknown>): Promise<string> {
  const before = emulator.requests.length;
  await work();
  const seen = emulator.requests.slice(before).map((request) => `${request.method} ${request.path.replace(/[0-9a-f-]{36}/, "{id}")}`);
  return `${seen.length} (${seen.join(", ") || "none"})`;
}

async function requestCounts(): Promise<void> {
  await withEmulator(async (emulator) => {
    const provider = await configured();
    const url = emulator.url;
    let id = "";
    let outs: CerbyVaultOutputs | undefined;
    const rows: [string, string][] = [];
    rows.push([
      "create",
      await counted(emulator, async () => {
        const result = await provider.create(inputs(url));
        id = result.id;
        outs = result.outs;
      }),
    ]);
    rows.push(["read (refresh)", await counted(emulator, () => provider.read(id, outs!))]);
    rows.push(["update (rename)", await counted(emulator, () => provider.update(id, outs!, inputs(url, { name: "Renamed" })))]);
    rows.push(["update (onDelete only)", await counted(emulator, () => provider.update(id, outs!, inputs(url, { onDelete: "disable" })))]);
    rows.push(["delete (onDelete: retain)", await counted(emulator, () => provider.delete(id, outs!))]);
    rows.push(["delete (onDelete: disable)", await counted(emulator, () => provider.delete(id, { ...outs!, onDelete: "disable" }))]);
    console.log("HTTP requests per operation, happy path (vault list fits one page):");
    for (const [operation, count] of rows) {
      console.log(`  ${operation.padEnd(28)} ${count}`);
    }
  });
}

async function faultyCreate(): Promise<void> {
  const faults: Fault[] = [
    { kind: "status", status: 503 },
    { kind: "status", status: 503 },
    { kind: "status", status: 429, retryAfter: "1" },
  ];
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await withEmulator(async (emulator) => {
      emulator.inject(...faults.map((fault) => ({ method: "POST", path: "/vaults", fault })));
      const provider = await configured();
      const start = performance.now();
      await provider.create(inputs(emulator.url));
      times.push(performance.now() - start);
      if (emulator.allVaults().filter((vault) => vault.scheme === "akv").length !== 1) {
        throw new Error("expected exactly one akv vault");
      }
    });
  }
  const sorted = [...times].sort((a, b) => a - b);
  const format = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `Create whose POST meets 503, 503, 429 (Retry-After: 1), then succeeds (default policy, ${RUNS} runs): ` +
      `min ${format(sorted[0])}, median ${format(sorted[Math.floor(RUNS / 2)])}, max ${format(sorted[RUNS - 1])}`,
  );
  console.log("  (1 s Retry-After + two full-jitter waits below 0.5 s and 1 s; 5 requests: GET, POST ×4)");
}

async function providerSize(): Promise<void> {
  const result = await runUnderMocks(
    () => {
      const vault = new CerbyVault("azure-vault", {
        workspace: "acme",
        name: "Azure Key Vault",
        scheme: "akv",
        akv: inputs("https://acme.cerby.com/api/v1").akv!,
      });
      return { vaultId: vault.vaultId };
    },
    { project: "cerby-external-keys", stack: "dev", config: {}, preview: false },
  );
  const serialized = result.resources[0].rawInputs.__provider;
  if (typeof serialized !== "string") {
    throw new Error("__provider is not a plain string");
  }
  console.log(`Serialized __provider: ${Buffer.byteLength(serialized, "utf8")} bytes (${serialized.split("\n").length} lines)`);
}

/** Runs `work`, which is expected to fail, and returns the failure's message. */
async function failureOf(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected a failure");
}

async function guidedCounts(): Promise<void> {
  const rows: [string, string][] = [];
  await withEmulator(async (emulator) => {
    const provider = await configured();
    const guided = inputs(emulator.url, { registration: "guided" });
    rows.push(["guided create, first run (fails)", await counted(emulator, () => failureOf(() => provider.create(guided)))]);
    emulator.seed({ name: guided.name, scheme: "akv" });
    rows.push(["guided create, second run", await counted(emulator, () => provider.create(guided))]);
  }, 404);
  await withEmulator(async (emulator) => {
    let clock = 0;
    let pauses = 0;
    const provider = await configured({
      wait: {
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
          if (++pauses === 3) {
            emulator.seed({ name: "Azure Key Vault", scheme: "akv" });
          }
        },
      },
    });
    const waiting = inputs(emulator.url, { registration: "guided", registrationWaitMinutes: 15 });
    rows.push(["waiting create (3 pauses)", await counted(emulator, () => provider.create(waiting))]);
  }, 404);
  for (const status of [404, 405, 501] as const) {
    await withEmulator(async (emulator) => {
      const provider = await configured();
      rows.push([`auto, POST answers ${status} (fails)`, await counted(emulator, () => failureOf(() => provider.create(inputs(emulator.url))))]);
    }, status);
  }
  console.log("HTTP requests of guided registration (write endpoints off):");
  for (const [operation, count] of rows) {
    console.log(`  ${operation.padEnd(34)} ${count}`);
  }
}

/** The message of a first guided run, with placeholders where the stack's values go. */
async function guidedInstructions(): Promise<void> {
  await withEmulator(async (emulator) => {
    const provider = await configured();
    const akv = { tenantId: "<tenant ID>", clientId: "<client ID>", clientSecret: "figures-client-secret-value", vaultUrl: "<vault URL>", keyName: "<key name>" };
    const kmsByo = { awsAccountId: "<AWS account ID>", kmsKeyId: "<KMS key ID>", roleArn: "<role ARN>" };
    // As the program passes it in guided mode, which always exports the secret.
    const clientSecretRotation = { startDate: "<clientSecretStartDate>", keyId: "<key ID>", exported: true };
    const azure = await failureOf(() => provider.create(inputs(emulator.url, { registration: "guided", name: "<vault name>", akv, clientSecretRotation })));
    const aws = await failureOf(() =>
      provider.create(inputs(emulator.url, { registration: "guided", name: "<vault name>", scheme: "kms_byo", akv: undefined, kmsByo })),
    );
    console.log(`First guided run, Azure (error at the CerbyVault):\n${azure}\n`);
    console.log(`First guided run, AWS, values only:\n${aws.split("\n").filter((line) => line.startsWith("       ")).join("\n")}`);
  }, 404);
}

async function main(): Promise<void> {
  await requestCounts();
  await faultyCreate();
  await providerSize();
  await guidedCounts();
  await guidedInstructions();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
