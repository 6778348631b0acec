import * as pulumi from "@pulumi/pulumi";
import { ClientTuning } from "../components/cerby/client";
import { CerbyApiError } from "../components/cerby/errors";
import { CerbyVaultInputs, CerbyVaultOutputs, CerbyVaultProvider, ProviderLog } from "../components/cerby/provider";
import { CerbyEmulator, Fault, RecordedRequest, RECOVERABLE_FAULTS } from "./support/cerby-emulator";
import { akvSettings, akvVaultInputs } from "./support/cerby-fixtures";

const API_KEY = "cerby-provider-key-4e8b1f0c2d";
const CLIENT_SECRET = "entra-secret-Zx8~Qp2_first";
const ROTATED_SECRET = "entra-secret-Lm5~Rt9_rotated";
/**
 * Quick backoffs, but a per-attempt timeout with headroom: a busy machine must not turn a slow
 * answer into a retry. Tests of a hang set HANG_TIMEOUT and assert outcomes, not exact sequences.
 */
const FAST: ClientTuning = { timeoutMs: 10_000, maxAttempts: 4, maxElapsedMs: 30_000, baseDelayMs: 10, maxDelayMs: 40 };
const HANG_TIMEOUT: ClientTuning = { timeoutMs: 1_000 };
/** Slack for upper time bounds: far below what a missing bound would take, far above scheduling noise. */
const SLACK_MS = 4_000;
/** Where a vault of workspace "acme" lives when its inputs name no apiUrl. */
const ACME_URL = "https://acme.cerby.com/api/v1";
const UNKNOWN = pulumi.runtime.unknownValue;

/** Every message a provider logged and every error it threw in this file, scanned for secrets at the end. */
const logged: string[] = [];
const thrown: Error[] = [];

let emulator: CerbyEmulator;

beforeEach(async () => {
  emulator = await CerbyEmulator.start({
    keys: { [API_KEY]: { role: "admin", scopes: ["vaults:read", "vaults:write"] } },
    withLocalVault: true,
  });
});

afterEach(async () => {
  await emulator.stop();
});

interface Logs extends ProviderLog {
  infos: string[];
  warns: string[];
}

function recordingLog(): Logs {
  const infos: string[] = [];
  const warns: string[] = [];
  return {
    infos,
    warns,
    info: (message) => {
      infos.push(message);
      logged.push(message);
    },
    warn: (message) => {
      warns.push(message);
      logged.push(message);
    },
  };
}

function configRequest(values: Record<string, string>): pulumi.dynamic.ConfigureRequest {
  return {
    config: {
      get: (key) => values[key],
      require: (key) => values[key],
    },
  };
}

async function provider(tuning: ClientTuning = {}, apiKey = API_KEY): Promise<{ provider: CerbyVaultProvider; log: Logs }> {
  const log = recordingLog();
  const instance = new CerbyVaultProvider({ client: { ...FAST, ...tuning }, log });
  await instance.configure(configRequest({ "cerby-external-keys:cerbyApiKey": apiKey }));
  return { provider: instance, log };
}

function akvInputs(overrides: Partial<CerbyVaultInputs> = {}): CerbyVaultInputs {
  return akvVaultInputs(emulator.url, CLIENT_SECRET, overrides);
}

function kmsInputs(overrides: Partial<CerbyVaultInputs> = {}): CerbyVaultInputs {
  return {
    workspace: "acme",
    apiUrl: emulator.url,
    name: "AWS KMS",
    scheme: "kms_byo",
    setAsDefault: false,
    onDelete: "retain",
    kmsByo: {
      awsAccountId: "123456789012",
      kmsKeyId: "mrk-0123456789abcdef0123456789abcdef",
      roleArn: "arn:aws:iam::123456789012:role/cerby-kms-byo-key-access",
    },
    ...overrides,
  };
}

function calls(requests: RecordedRequest[] = emulator.requests): string[] {
  return requests.map((request) => `${request.method} ${request.path}${request.fault ? ` (${request.fault})` : ""}`);
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    thrown.push(error as Error);
    return error as Error;
  }
  throw new Error("expected a failure");
}

/** Creates a vault through the provider and forgets the requests it took. */
async function created(inputs: CerbyVaultInputs): Promise<{ id: string; outs: CerbyVaultOutputs }> {
  const { provider: instance } = await provider();
  const result = await instance.create(inputs);
  emulator.requests.length = 0;
  return { id: result.id, outs: result.outs as CerbyVaultOutputs };
}

afterAll(() => {
  expect(logged.length).toBeGreaterThan(5);
  expect(thrown.length).toBeGreaterThan(5);
  const texts = [...logged, ...thrown.flatMap((error) => [error.message, error.stack ?? ""])];
  for (const text of texts) {
    for (const secret of [API_KEY, CLIENT_SECRET, ROTATED_SECRET]) {
      expect(text).not.toContain(secret);
    }
  }
});

describe("configure", () => {
  const savedKey = process.env.CERBY_API_KEY;
  const savedUrl = process.env.CERBY_API_URL;
  afterEach(() => {
    process.env.CERBY_API_KEY = savedKey;
    process.env.CERBY_API_URL = savedUrl;
    if (savedKey === undefined) delete process.env.CERBY_API_KEY;
    if (savedUrl === undefined) delete process.env.CERBY_API_URL;
  });

  test("reads the API key from stack config; the URL is the vault's own (its inputs), never cerbyApiUrl from the provider's config", async () => {
    const decoy = await CerbyEmulator.start({ keys: { [API_KEY]: { role: "admin", scopes: ["vaults:read", "vaults:write"] } } });
    try {
      const instance = new CerbyVaultProvider({ client: FAST, log: recordingLog() });
      await instance.configure(configRequest({ "cerby-external-keys:cerbyApiKey": API_KEY, "cerby-external-keys:cerbyApiUrl": decoy.url }));
      const result = await instance.create(akvInputs());
      expect(calls()).toEqual(["GET /vaults", "POST /vaults"]);
      expect(decoy.requests).toEqual([]);
      expect(result.outs?.apiBaseUrl).toBe(emulator.url);
    } finally {
      await decoy.stop();
    }
  });

  test("falls back to CERBY_API_KEY; CERBY_API_URL is not read", async () => {
    const decoy = await CerbyEmulator.start({ keys: { [API_KEY]: { role: "admin", scopes: ["vaults:read", "vaults:write"] } } });
    try {
      process.env.CERBY_API_KEY = API_KEY;
      process.env.CERBY_API_URL = decoy.url;
      const instance = new CerbyVaultProvider({ client: FAST, log: recordingLog() });
      await instance.configure(configRequest({}));
      await instance.create(akvInputs());
      expect(calls()).toEqual(["GET /vaults", "POST /vaults"]);
      expect(decoy.requests).toEqual([]);
    } finally {
      await decoy.stop();
    }
  });

  test("stack config wins over the environment", async () => {
    process.env.CERBY_API_KEY = "some-other-key-000000";
    const { provider: instance } = await provider();
    await instance.create(akvInputs());
    expect(emulator.allVaults()).toHaveLength(2);
  });

  test("without a key, the error names both the config key and the environment variable", async () => {
    delete process.env.CERBY_API_KEY;
    const instance = new CerbyVaultProvider({ client: FAST, log: recordingLog() });
    await instance.configure(configRequest({}));
    const error = await failure(instance.create(akvInputs()));
    expect(error.name).toBe("CerbyConfigError");
    expect(error.message).toContain("cerby-external-keys:cerbyApiKey");
    expect(error.message).toContain("pulumi config set --secret cerbyApiKey");
    expect(error.message).toContain("CERBY_API_KEY");
    expect(emulator.requests).toHaveLength(0);
  });

  test("check, diff and a retaining delete need no key and make no request", async () => {
    delete process.env.CERBY_API_KEY;
    const instance = new CerbyVaultProvider({ log: recordingLog() });
    await instance.configure(configRequest({}));
    const inputs = akvInputs();
    expect((await instance.check({}, { ...inputs })).failures).toEqual([]);
    const olds: CerbyVaultOutputs = { ...inputs, vaultId: "v-1", state: "enabled", isDefault: false };
    expect((await instance.diff("v-1", olds, { ...inputs, name: "New name" })).changes).toBe(true);
    await instance.delete("v-1", olds);
    expect(emulator.requests).toHaveLength(0);
  });
});

describe("check", () => {
  test("accepts valid akv and kms_byo inputs and fills in the defaults", async () => {
    const { provider: instance } = await provider();
    const { setAsDefault, onDelete, ...bare } = akvInputs();
    expect([setAsDefault, onDelete]).toEqual([false, "retain"]);
    const akv = await instance.check({}, bare);
    expect(akv.failures).toEqual([]);
    expect(akv.inputs).toMatchObject({ setAsDefault: false, onDelete: "retain", scheme: "akv" });
    expect((await instance.check({}, { ...kmsInputs() })).failures).toEqual([]);
  });

  test("reports one failure per bad property, without quoting the client secret", async () => {
    const { provider: instance } = await provider();
    const result = await instance.check(
      {},
      {
        workspace: "Acme Corp",
        apiUrl: "http://cerby.example.com/api/v1",
        name: " ",
        scheme: "akv",
        setAsDefault: "yes",
        onDelete: "delete",
        akv: { clientId: "not-a-guid", tenantId: "x", clientSecret: "", vaultUrl: "https://example.com", keyName: "bad_name" },
        kmsByo: kmsInputs().kmsByo,
      },
    );
    expect(result.failures?.map((failure) => failure.property).sort()).toEqual(
      [
        "workspace",
        "apiUrl",
        "name",
        "setAsDefault",
        "onDelete",
        "akv.clientId",
        "akv.tenantId",
        "akv.clientSecret",
        "akv.vaultUrl",
        "akv.keyName",
        "kmsByo",
      ].sort(),
    );
    const reasons = Object.fromEntries(result.failures!.map((failure) => [failure.property, failure.reason]));
    expect(reasons.apiUrl).toContain("https://");
    expect(reasons["akv.clientId"]).toContain("GUID");
    expect(reasons["akv.vaultUrl"]).toContain("vault.azure.net");
  });

  test("refuses an unknown scheme, a missing scheme block and a KMS key or role in another account", async () => {
    const { provider: instance } = await provider();
    const scheme = await instance.check({}, { ...akvInputs(), scheme: "gcp" });
    expect(scheme.failures?.map((failure) => failure.property)).toEqual(["scheme"]);
    const missing = await instance.check({}, { ...akvInputs(), akv: undefined });
    expect(missing.failures?.map((failure) => failure.property)).toEqual(["akv"]);
    const accounts = await instance.check(
      {},
      {
        ...kmsInputs(),
        kmsByo: {
          awsAccountId: "123456789012",
          kmsKeyId: "arn:aws:kms:us-east-2:210987654321:key/mrk-0123456789abcdef0123456789abcdef",
          roleArn: "arn:aws:iam::210987654321:role/cerby",
        },
      },
    );
    expect(accounts.failures?.map((failure) => failure.property)).toEqual(["kmsByo.kmsKeyId", "kmsByo.roleArn"]);
    expect(accounts.failures?.[0].reason).toContain("210987654321");
  });

  test('refuses onDelete "disable" for an AWS KMS vault, which Cerby cannot disable', async () => {
    const { provider: instance } = await provider();
    const result = await instance.check({}, { ...kmsInputs(), onDelete: "disable" });
    expect(result.failures).toEqual([{ property: "onDelete", reason: expect.stringContaining("cannot disable AWS KMS vaults") }]);
  });

  test("skips values that are unknown during a preview", async () => {
    const { provider: instance } = await provider();
    const result = await instance.check({}, { ...akvInputs(), name: UNKNOWN, akv: { ...akvInputs().akv, vaultUrl: UNKNOWN } });
    expect(result.failures).toEqual([]);
    const whole = await instance.check({}, { ...akvInputs(), akv: UNKNOWN });
    expect(whole.failures).toEqual([]);
  });
});

describe("diff", () => {
  const base = (): CerbyVaultOutputs => ({ ...akvInputs(), vaultId: "v-1", state: "enabled", isDefault: false });
  const baseKms = (): CerbyVaultOutputs => ({ ...kmsInputs(), vaultId: "v-2", state: "enabled", isDefault: false });

  test("no change, no update", async () => {
    const { provider: instance } = await provider();
    const olds = base();
    expect(await instance.diff("v-1", olds, akvInputs())).toMatchObject({ changes: false, replaces: [] });
  });

  test.each<[string, (inputs: CerbyVaultInputs) => CerbyVaultInputs]>([
    ["name", (inputs) => ({ ...inputs, name: "Renamed" })],
    ["setAsDefault", (inputs) => ({ ...inputs, setAsDefault: true })],
    ["onDelete", (inputs) => ({ ...inputs, onDelete: "disable" })],
    ["akv.clientSecret", (inputs) => ({ ...inputs, akv: { ...inputs.akv!, clientSecret: ROTATED_SECRET } })],
  ])("%s: updated in place", async (_field, change) => {
    const { provider: instance } = await provider();
    const result = await instance.diff("v-1", base(), change(akvInputs()));
    expect(result).toMatchObject({ changes: true, replaces: [] });
  });

  test.each<[string, () => [CerbyVaultOutputs, CerbyVaultInputs]]>([
    ["scheme", () => [base(), { ...akvInputs(), scheme: "kms_byo" }]],
    ["workspace/apiUrl", () => [base(), { ...akvInputs(), apiUrl: "https://other.cerby.com/api/v1" }]],
    ["workspace/apiUrl", () => [{ ...base(), apiUrl: undefined }, { ...akvInputs(), apiUrl: undefined, workspace: "other" }]],
    ["akv.clientId", () => [base(), { ...akvInputs(), akv: { ...akvInputs().akv!, clientId: "33333333-3333-3333-3333-333333333333" } }]],
    ["akv.tenantId", () => [base(), { ...akvInputs(), akv: { ...akvInputs().akv!, tenantId: "33333333-3333-3333-3333-333333333333" } }]],
    ["akv.vaultUrl", () => [base(), { ...akvInputs(), akv: { ...akvInputs().akv!, vaultUrl: "https://kv-other.vault.azure.net/" } }]],
    ["akv.keyName", () => [base(), { ...akvInputs(), akv: { ...akvInputs().akv!, keyName: "another-key" } }]],
    ["kmsByo.awsAccountId", () => [baseKms(), { ...kmsInputs(), kmsByo: { ...kmsInputs().kmsByo!, awsAccountId: "210987654321" } }]],
    ["kmsByo.kmsKeyId", () => [baseKms(), { ...kmsInputs(), kmsByo: { ...kmsInputs().kmsByo!, kmsKeyId: "mrk-fedcba9876543210fedcba9876543210" } }]],
    ["kmsByo.roleArn", () => [baseKms(), { ...kmsInputs(), kmsByo: { ...kmsInputs().kmsByo!, roleArn: "arn:aws:iam::123456789012:role/other" } }]],
  ])("%s: refused, with the re-keying explanation and the migration", async (field, make) => {
    const { provider: instance } = await provider();
    const [olds, news] = make();
    const error = await failure(instance.diff(olds.vaultId, olds, news));
    expect(error.name).toBe("CerbyConfigError");
    expect(error.message).toContain(`Cannot change ${field} of Cerby vault`);
    expect(error.message).toContain("Cerby cannot re-key a vault");
    expect(error.message).toContain("register it in Cerby as a new vault, move the accounts and secrets to it");
    expect(error.message).toContain("disable the old vault");
  });

  test("an explicit default API URL is the same workspace, not a change", async () => {
    const { provider: instance } = await provider();
    const olds: CerbyVaultOutputs = { ...base(), apiUrl: undefined };
    const news = { ...akvInputs(), apiUrl: "https://acme.cerby.com/api/v1/" };
    expect((await instance.diff("v-1", olds, news)).changes).toBe(false);
  });

  test("a refused field that is unknown in a preview is not refused yet, but reported as a change", async () => {
    const { provider: instance } = await provider();
    const news = { ...akvInputs(), akv: { ...akvInputs().akv!, vaultUrl: UNKNOWN } };
    expect((await instance.diff("v-1", base(), news)).changes).toBe(true);
  });

  test("compares the default flag with what Cerby last reported, so drift is corrected", async () => {
    const { provider: instance } = await provider();
    expect((await instance.diff("v-1", { ...base(), isDefault: true }, akvInputs())).changes).toBe(true);
  });

  test("makes no request", async () => {
    const { provider: instance } = await provider();
    await instance.diff("v-1", base(), { ...akvInputs(), name: "x" });
    expect(emulator.requests).toHaveLength(0);
  });
});

describe("create", () => {
  test("lists the vaults, then POSTs the new one; outputs carry Cerby's ID and state", async () => {
    const { provider: instance } = await provider();
    const result = await instance.create(akvInputs({ setAsDefault: true }));
    expect(calls()).toEqual(["GET /vaults", "POST /vaults"]);
    expect(emulator.requests[0].query).toEqual({ "page[number]": "1", "page[size]": "100" });
    const stored = emulator.allVaults().filter((vault) => vault.scheme === "akv");
    expect(stored).toHaveLength(1);
    expect(stored[0].configuration.clientSecret).toBe(CLIENT_SECRET);
    expect(result.id).toBe(stored[0].id);
    expect(result.outs).toMatchObject({ vaultId: stored[0].id, name: "Azure Key Vault", state: "enabled", isDefault: true, scheme: "akv" });
    expect(emulator.allVaults().find((vault) => vault.scheme === "local_encryption_key")?.isDefault).toBe(false);
  });

  test("creates an AWS KMS vault with its three values", async () => {
    const { provider: instance } = await provider();
    await instance.create(kmsInputs());
    expect(calls()).toEqual(["GET /vaults", "POST /vaults"]);
    expect(emulator.allVaults().find((vault) => vault.scheme === "kms_byo")?.configuration).toEqual(kmsInputs().kmsByo);
  });

  test("adopts a vault of the same scheme and name instead of failing, and never sends it this stack's client secret", async () => {
    const existing = emulator.seed({ name: "Azure Key Vault", scheme: "akv", isDefault: false, configuration: { clientSecret: "old-secret-value" } });
    const { provider: instance, log } = await provider();
    const result = await instance.create(akvInputs({ setAsDefault: true }));
    expect(result.id).toBe(existing.id);
    expect(calls()).toEqual(["GET /vaults", `PATCH /vaults/${existing.id}`]);
    expect(emulator.requests[1].body).toEqual({ data: { type: "vault", id: existing.id, attributes: { isDefault: true } } });
    expect(emulator.allVaults().find((vault) => vault.id === existing.id)?.configuration).toEqual({ clientSecret: "old-secret-value" });
    expect(log.infos.join("\n")).toContain(`Adopting the existing Cerby vault "Azure Key Vault" (id ${existing.id}, scheme akv)`);
    expect(log.warns.join("\n")).toContain("were not compared with this stack's");
  });

  test("a vault of the scheme under another name fails with its ID, name and how to adopt it (409)", async () => {
    const existing = emulator.seed({ name: "Legacy Azure", scheme: "akv" });
    const { provider: instance } = await provider();
    const error = await failure(instance.create(akvInputs()));
    expect(error.name).toBe("CerbyVaultConflictError");
    expect(error.message).toContain(`"Legacy Azure" (id ${existing.id}, scheme akv)`);
    expect(error.message).toContain('pulumi config set cerbyAzureVaultName "Legacy Azure"');
    expect(error.message).toContain("adopted, not re-created");
    expect(calls()).toEqual(["GET /vaults"]);
  });

  test("a 409 from a vault created between the list and the POST is explained the same way", async () => {
    let raced = false;
    const racing = new CerbyVaultProvider({
      log: recordingLog(),
      client: {
        ...FAST,
        fetch: async (input, init) => {
          if (init?.method === "POST" && !raced) {
            raced = true;
            emulator.seed({ name: "Someone else's", scheme: "akv" });
          }
          return fetch(input, init);
        },
      },
    });
    await racing.configure(configRequest({ "cerby-external-keys:cerbyApiKey": API_KEY }));
    const error = await failure(racing.create(akvInputs()));
    expect(error.name).toBe("CerbyVaultConflictError");
    expect(error.message).toContain("\"Someone else's\"");
    expect(calls()).toEqual(["GET /vaults", "POST /vaults", "GET /vaults"]);
  });

  test("a lost response (committed, then dropped) ends with exactly ONE vault, adopted on the retry", async () => {
    emulator.inject({ method: "POST", path: "/vaults", fault: { kind: "commit-then-drop" } });
    const { provider: instance } = await provider();
    const result = await instance.create(akvInputs());
    const vaults = emulator.allVaults().filter((vault) => vault.scheme === "akv");
    expect(vaults).toHaveLength(1);
    expect(result.id).toBe(vaults[0].id);
    expect(calls()).toEqual([
      "GET /vaults",
      "POST /vaults (commit-then-drop)",
      "POST /vaults",
      "GET /vaults",
    ]);
    expect(vaults[0].configuration).toEqual(akvInputs().akv);
  });

  test("a retry of a whole create after a lost response (the engine's retry) also ends with one vault", async () => {
    emulator.inject(
      ...Array.from({ length: 4 }, (_, index) => ({
        method: "POST",
        path: "/vaults",
        fault: (index === 0 ? { kind: "commit-then-drop" } : { kind: "reset" }) as Fault,
      })),
    );
    const { provider: instance } = await provider();
    const error = await failure(instance.create(akvInputs()));
    expect(error.name).toBe("CerbyNetworkError");
    const again = await instance.create(akvInputs());
    const vaults = emulator.allVaults().filter((vault) => vault.scheme === "akv");
    expect(vaults).toHaveLength(1);
    expect(again.id).toBe(vaults[0].id);
  });


  test.each(RECOVERABLE_FAULTS)("a create whose list and POST each meet %s once succeeds with one vault", async (_name, fault) => {
    emulator.inject({ method: "GET", path: "/vaults", fault }, { method: "POST", path: "/vaults", fault });
    const { provider: instance } = await provider(fault.kind === "hang" ? HANG_TIMEOUT : {});
    const result = await instance.create(akvInputs());
    const vaults = emulator.allVaults().filter((vault) => vault.scheme === "akv");
    expect(vaults).toHaveLength(1);
    expect(result.id).toBe(vaults[0].id);
    expect(emulator.pendingFaults()).toBe(0);
  });

  test.each(RECOVERABLE_FAULTS)("a create that meets %s every time fails clearly within the bound and creates nothing", async (_name, fault) => {
    emulator.inject(...Array.from({ length: 12 }, () => ({ fault })));
    const { provider: instance } = await provider({ ...HANG_TIMEOUT, maxElapsedMs: 800 });
    const start = performance.now();
    const error = await failure(instance.create(akvInputs()));
    expect(performance.now() - start).toBeLessThan(800 + SLACK_MS);
    expect(error.message).toMatch(/failed.*\(after \d+ attempts?/);
    expect(error.message).toMatch(/retry|run the command again|check/i);
    expect(emulator.allVaults().filter((vault) => vault.scheme === "akv")).toHaveLength(0);
  });

  test("meets 503, 503, then 429 with Retry-After: 1, and succeeds after about a second", async () => {
    emulator.inject(
      { method: "POST", fault: { kind: "status", status: 503 } },
      { method: "POST", fault: { kind: "status", status: 503 } },
      { method: "POST", fault: { kind: "status", status: 429, retryAfter: "1" } },
    );
    const { provider: instance } = await provider();
    const start = performance.now();
    await instance.create(akvInputs());
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(1_000 + SLACK_MS);
    expect(calls()).toEqual(["GET /vaults", "POST /vaults (status)", "POST /vaults (status)", "POST /vaults (status)", "POST /vaults"]);
  });

  test("401 and 403 through the provider say what to do", async () => {
    const { provider: unauthorized } = await provider({}, "not-a-valid-key-000000");
    const expired = await failure(unauthorized.create(akvInputs()));
    expect((expired as CerbyApiError).status).toBe(401);
    expect(expired.message).toContain("pulumi config set --secret cerbyApiKey");
    emulator.addKey("member-key-1234567890", { role: "member", scopes: ["vaults:read", "vaults:write"] });
    const { provider: member } = await provider({}, "member-key-1234567890");
    const forbidden = await failure(member.create(akvInputs()));
    expect((forbidden as CerbyApiError).status).toBe(403);
    expect(forbidden.message).toContain("Owner, Super Admin or Admin");
  });
});

describe("read", () => {
  test("refreshes with one list request and reports no drift when nothing changed", async () => {
    const { id, outs } = await created(akvInputs());
    const { provider: instance, log } = await provider();
    const result = await instance.read(id, outs);
    expect(calls()).toEqual(["GET /vaults"]);
    expect(result).toEqual({ id, props: outs });
    expect(log.warns).toEqual([]);
  });

  test("reports drift: disabled, renamed, no longer default", async () => {
    const { id, outs } = await created(akvInputs({ setAsDefault: true }));
    emulator.modify(id, { state: "disabled", name: "Renamed by hand", isDefault: false });
    const { provider: instance, log } = await provider();
    const result = await instance.read(id, outs);
    expect(result.props).toMatchObject({ state: "disabled", name: "Renamed by hand", isDefault: false, setAsDefault: true });
    const warnings = log.warns.join("\n");
    expect(warnings).toContain("is disabled in Cerby");
    expect(warnings).toContain('was renamed in Cerby (it was "Azure Key Vault")');
    expect(warnings).toContain("is no longer the default vault");
  });

  test("adopts by ID from the workspace alone", async () => {
    const existing = emulator.seed({ name: "Made by hand", scheme: "akv", isDefault: true });
    const { provider: instance } = await provider();
    const result = await instance.read(existing.id, { workspace: "acme", apiUrl: emulator.url });
    expect(result.id).toBe(existing.id);
    expect(result.props).toMatchObject({ vaultId: existing.id, name: "Made by hand", scheme: "akv", isDefault: true, state: "enabled" });
  });

  test("a refresh keeps a guided rotation pending and the vault's registration settings", async () => {
    const existing = emulator.seed({ name: "Azure Key Vault", scheme: "akv" });
    const { provider: instance } = await provider();
    const pending = { startDate: "2027-05-01", keyId: "key-id-of-the-rotated-secret" };
    const state = {
      ...(akvInputs() as Partial<CerbyVaultOutputs>),
      registration: "guided" as const,
      registrationWaitMinutes: 5,
      clientSecretConfirmed: false,
      clientSecretPending: pending,
    };
    const result = await instance.read(existing.id, state);
    expect(result.props).toMatchObject({ registration: "guided", registrationWaitMinutes: 5, clientSecretConfirmed: false, clientSecretPending: pending });
  });

  test("a vault missing from Cerby's list fails the refresh with the way out, and is never dropped from state", async () => {
    const { provider: instance } = await provider();
    const error = await failure(instance.read("gone-vault", akvInputs() as Partial<CerbyVaultOutputs>));
    expect(error.name).toBe("CerbyConfigError");
    expect(error.message).toContain("Cerby vault gone-vault");
    expect(error.message).toContain("a refresh never drops it");
    expect(error.message).toContain('"Read vaults" scope');
    expect(error.message).toContain("pulumi state delete");
  });
});

describe("update", () => {
  test("a rename PATCHes only the name", async () => {
    const { id, outs } = await created(akvInputs());
    const { provider: instance } = await provider();
    const result = await instance.update(id, outs, akvInputs({ name: "Renamed" }));
    expect(calls()).toEqual([`PATCH /vaults/${id}`]);
    expect(emulator.requests[0].body).toEqual({ data: { type: "vault", id, attributes: { name: "Renamed" } } });
    expect(result.outs).toMatchObject({ name: "Renamed", vaultId: id });
  });

  test("the default flag PATCHes only isDefault", async () => {
    const { id, outs } = await created(akvInputs());
    const { provider: instance } = await provider();
    const result = await instance.update(id, outs, akvInputs({ setAsDefault: true }));
    expect(emulator.requests[0].body).toEqual({ data: { type: "vault", id, attributes: { isDefault: true } } });
    expect(result.outs).toMatchObject({ isDefault: true, setAsDefault: true });
  });

  test("a rotated client secret PATCHes only configuration.clientSecret", async () => {
    const { id, outs } = await created(akvInputs());
    const { provider: instance } = await provider();
    const rotated = akvInputs({ akv: { ...akvInputs().akv!, clientSecret: ROTATED_SECRET } });
    const result = await instance.update(id, outs, rotated);
    expect(emulator.requests[0].body).toEqual({
      data: { type: "vault", id, attributes: { configuration: { clientSecret: ROTATED_SECRET } } },
    });
    expect(emulator.allVaults().find((vault) => vault.id === id)?.configuration.clientSecret).toBe(ROTATED_SECRET);
    expect(result.outs?.akv?.clientSecret).toBe(ROTATED_SECRET);
  });

  test("an onDelete change alone sends nothing to Cerby", async () => {
    const { id, outs } = await created(akvInputs());
    const { provider: instance } = await provider();
    const result = await instance.update(id, outs, akvInputs({ onDelete: "disable" }));
    expect(emulator.requests).toHaveLength(0);
    expect(result.outs).toMatchObject({ onDelete: "disable", vaultId: id, state: "enabled" });
  });

  test("a refused change is refused again at update time, without a request", async () => {
    const { id, outs } = await created(akvInputs());
    const { provider: instance } = await provider();
    const error = await failure(instance.update(id, outs, akvInputs({ akv: { ...akvInputs().akv!, keyName: "new-key" } })));
    expect(error.message).toContain("Cerby cannot re-key a vault");
    expect(emulator.requests).toHaveLength(0);
  });
});

describe("delete", () => {
  test("retain (the default) leaves the vault in Cerby, makes no request, and logs its ID", async () => {
    const { id, outs } = await created(akvInputs());
    const { provider: instance, log } = await provider();
    await instance.delete(id, outs);
    expect(emulator.requests).toHaveLength(0);
    expect(emulator.allVaults().find((vault) => vault.id === id)?.state).toBe("enabled");
    expect(log.infos.join("\n")).toContain(`"Azure Key Vault" (id ${id}, scheme akv) is left in place in Cerby`);
  });

  test("disable PATCHes the state to disabled", async () => {
    const { id, outs } = await created(akvInputs({ onDelete: "disable" }));
    const { provider: instance, log } = await provider();
    await instance.delete(id, outs);
    expect(calls()).toEqual([`PATCH /vaults/${id}`]);
    expect(emulator.requests[0].body).toEqual({ data: { type: "vault", id, attributes: { state: "disabled" } } });
    expect(emulator.allVaults().find((vault) => vault.id === id)?.state).toBe("disabled");
    expect(log.infos.join("\n")).toContain("Disabled Cerby vault");
  });

  test("disable is refused for an AWS KMS vault without a request", async () => {
    const { id, outs } = await created(kmsInputs());
    const { provider: instance } = await provider();
    const error = await failure(instance.delete(id, { ...outs, onDelete: "disable" }));
    expect(error.message).toContain("Cerby cannot disable AWS KMS vaults");
    expect(emulator.requests).toHaveLength(0);
  });
});

describe("endpoint pinning: a vault's API URL is the one recorded in its state", () => {
  const savedUrl = process.env.CERBY_API_URL;
  let decoy: CerbyEmulator;
  beforeEach(async () => {
    decoy = await CerbyEmulator.start({ keys: { [API_KEY]: { role: "admin", scopes: ["vaults:read", "vaults:write"] } } });
    process.env.CERBY_API_URL = decoy.url;
  });
  afterEach(async () => {
    process.env.CERBY_API_URL = savedUrl;
    if (savedUrl === undefined) delete process.env.CERBY_API_URL;
    await decoy.stop();
  });

  /**
   * A provider whose stack config and environment both point at the decoy, and whose transport
   * serves https://acme.cerby.com/api/v1 (a workspace's default URL) from the emulator.
   */
  async function misdirected(): Promise<{ provider: CerbyVaultProvider; log: Logs; sent: string[] }> {
    const sent: string[] = [];
    const log = recordingLog();
    const instance = new CerbyVaultProvider({
      log,
      client: {
        ...FAST,
        fetch: async (input, init) => {
          const url = String(input);
          sent.push(url);
          return fetch(url.startsWith(ACME_URL) ? emulator.url + url.slice(ACME_URL.length) : url, init);
        },
      },
    });
    await instance.configure(configRequest({ "cerby-external-keys:cerbyApiKey": API_KEY, "cerby-external-keys:cerbyApiUrl": decoy.url }));
    return { provider: instance, log, sent };
  }

  /** A state written before apiBaseUrl was recorded, by a stack without cerbyApiUrl: only the workspace. */
  function legacyState(vault: { id: string }, onDelete: "retain" | "disable" = "retain"): CerbyVaultOutputs {
    const { apiUrl: _apiUrl, ...inputs } = akvInputs({ onDelete });
    return { ...inputs, vaultId: vault.id, state: "enabled", isDefault: false };
  }

  test("a state without apiUrl: read, update and delete go to the workspace's URL, not to cerbyApiUrl or CERBY_API_URL", async () => {
    const vault = emulator.seed({ name: "Azure Key Vault", scheme: "akv" });
    const { provider: instance, sent } = await misdirected();
    const state = legacyState(vault, "disable");
    const read = await instance.read(vault.id, state);
    expect(read).toMatchObject({ id: vault.id, props: { apiBaseUrl: ACME_URL } });
    const { apiUrl: _apiUrl, ...inputs } = akvInputs({ name: "Renamed", onDelete: "disable" });
    const updated = await instance.update(vault.id, state, inputs);
    expect(updated.outs).toMatchObject({ name: "Renamed", apiBaseUrl: ACME_URL });
    await instance.delete(vault.id, state);
    expect(emulator.allVaults().find((found) => found.id === vault.id)).toMatchObject({ name: "Renamed", state: "disabled" });
    expect(decoy.requests).toEqual([]);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(sent.filter((url) => !url.startsWith(`${ACME_URL}/`))).toEqual([]);
  });

  test("refresh never drops a vault because another host, named by config or environment, lists none", async () => {
    const vault = emulator.seed({ name: "Azure Key Vault", scheme: "akv" });
    const { provider: instance, log } = await misdirected();
    const result = await instance.read(vault.id, legacyState(vault));
    expect(result.id).toBe(vault.id);
    expect(log.warns.join("\n")).not.toContain("no longer exists");
    expect(decoy.requests).toEqual([]);
  });

  test("the recorded URL wins over the inputs' for read, update and delete", async () => {
    const { id, outs } = await created(akvInputs({ onDelete: "disable" }));
    const { provider: instance } = await misdirected();
    const moved = { ...outs, apiUrl: decoy.url, workspace: "other" };
    expect((await instance.read(id, moved)).id).toBe(id);
    await instance.delete(id, moved);
    expect(emulator.allVaults().find((vault) => vault.id === id)?.state).toBe("disabled");
    expect(decoy.requests).toEqual([]);
  });

  test("diff compares the recorded URL: another apiUrl is refused, and config or environment cannot make it a no-change", async () => {
    const { id, outs } = await created(akvInputs());
    expect(outs.apiBaseUrl).toBe(emulator.url);
    const { provider: instance } = await misdirected();
    const error = await failure(instance.diff(id, outs, akvInputs({ apiUrl: decoy.url })));
    expect(error.message).toContain("Cannot change workspace/apiUrl of Cerby vault");
    const dropped = await failure(instance.diff(id, outs, akvInputs({ apiUrl: undefined })));
    expect(dropped.message).toContain("Cannot change workspace/apiUrl of Cerby vault");
    const legacy = { ...outs, apiUrl: undefined, apiBaseUrl: undefined };
    expect(await instance.diff(id, legacy, akvInputs({ apiUrl: undefined }))).toMatchObject({ changes: false });
    expect(await instance.diff(id, legacy, akvInputs({ apiUrl: "https://acme.cerby.com/" }))).toMatchObject({ changes: false });
    await failure(instance.diff(id, legacy, akvInputs({ apiUrl: "https://other.cerby.com" })));
    expect(decoy.requests).toEqual([]);
  });

  test("check refuses an apiUrl that is neither a Cerby host nor loopback", async () => {
    const { provider: instance } = await provider();
    for (const apiUrl of ["https://cerby.attacker.example/api/v1", "https://acme.cerby.com.attacker.example/api/v1", "https://u:p@acme.cerby.com"]) {
      const result = await instance.check({}, { ...akvInputs(), apiUrl });
      expect(result.failures).toEqual([{ property: "apiUrl", reason: expect.stringMatching(/Cerby API URL|user info/) }]);
      expect(result.failures?.[0].reason).not.toContain("u:p@");
    }
    expect((await instance.check({}, { ...akvInputs(), apiUrl: "https://acme.cerby.com" })).failures).toEqual([]);
  });

  test("check refuses an apiUrl on another workspace's Cerby host", async () => {
    const { provider: instance } = await provider();
    for (const apiUrl of ["https://attacker.cerby.com/api/v1", "https://www.cerby.com"]) {
      const result = await instance.check({}, { ...akvInputs(), workspace: "acme", apiUrl });
      expect(result.failures).toEqual([{ property: "apiUrl", reason: expect.stringContaining('is not workspace "acme"\'s host') }]);
    }
  });
});

describe("secrets", () => {
  test("a secret Cerby echoes into an error is redacted", async () => {
    const echoing = await CerbyEmulator.start({
      keys: { [API_KEY]: { role: "owner", scopes: ["vaults:read", "vaults:write"] } },
      echoValuesInErrors: true,
    });
    try {
      const { provider: instance } = await provider();
      const inputs = { ...akvInputs(), apiUrl: echoing.url, akv: { ...akvInputs().akv!, keyName: "" } };
      const error = await failure(instance.create(inputs));
      expect((error as CerbyApiError).status).toBe(400);
      expect(error.message).toContain("[redacted]");
    } finally {
      await echoing.stop();
    }
  });

  /** Every way a secret can be written into a message: raw, JSON-escaped once and twice, URL-encoded. */
  function forms(secret: string): string[] {
    const once = JSON.stringify(secret).slice(1, -1);
    return [secret, once, JSON.stringify(once).slice(1, -1), encodeURIComponent(secret)];
  }

  test.each(['Zx8"Qp\\2/+%25 spaced~secret', 'a+b/c"d\\e%2Ff g~h'])(
    "a client secret %s that Cerby echoes in its error detail is redacted in every form",
    async (secret) => {
      const echoing = await CerbyEmulator.start({
        keys: { [API_KEY]: { role: "owner", scopes: ["vaults:read", "vaults:write"] } },
        echoValuesInErrors: true,
      });
      try {
        const { provider: instance } = await provider();
        const inputs = { ...akvInputs(), apiUrl: echoing.url, akv: { ...akvSettings(secret), keyName: "" } };
        const error = await failure(instance.create(inputs));
        expect((error as CerbyApiError).status).toBe(400);
        expect(error.message).toMatch(/Received: .*\[redacted\]/);
        for (const form of forms(secret)) {
          expect(error.message).not.toContain(form);
          expect(error.stack).not.toContain(form);
        }
      } finally {
        await echoing.stop();
      }
    },
  );

  test("info and warn lines that would carry the API key or a client secret come out redacted, in every form", async () => {
    const awkwardKey = 'cerby/key+"with\\odd%chars';
    emulator.addKey(awkwardKey, { role: "admin", scopes: ["vaults:read", "vaults:write"] });
    const secret = 'entra "secret" \\ with/odd+chars%';
    const { id, outs } = await created(akvInputs({ akv: akvSettings(secret) }));
    const leaky = `${secret} ${JSON.stringify(awkwardKey)} ${encodeURIComponent(secret)}`;
    emulator.modify(id, { name: leaky.slice(0, 100), state: "disabled" });
    const { provider: instance, log } = await provider({}, awkwardKey);
    await instance.read(id, outs);
    await instance.delete(id, { ...outs, name: leaky });
    expect(log.warns.join("\n")).toContain("was renamed in Cerby");
    expect(log.infos.join("\n")).toContain("is left in place in Cerby");
    for (const line of [...log.warns, ...log.infos]) {
      for (const form of [...forms(secret), ...forms(awkwardKey)]) {
        expect(line).not.toContain(form);
      }
    }
    expect([...log.warns, ...log.infos].join("\n")).toContain("[redacted]");
  });

  test("the safety net redacts an error from anywhere below a provider method", async () => {
    emulator.inject({ fault: { kind: "status", status: 503 } });
    const { provider: instance } = await provider({
      sleep: async () => {
        throw new Error(`unexpected failure while holding ${API_KEY} and ${CLIENT_SECRET}`);
      },
    });
    const error = await failure(instance.create(akvInputs()));
    expect(error.message).toBe("unexpected failure while holding [redacted] and [redacted]");
  });
});
