import { CerbyClient, ClientTuning } from "../components/cerby/client";
import { NewVault } from "../components/cerby/contract";
import { CerbyApiError, CerbyNetworkError, redact } from "../components/cerby/errors";
import { CerbyEmulator, Fault, RECOVERABLE_FAULTS } from "./support/cerby-emulator";

const API_KEY = "cerby-test-key-6f1d2c9a8b7e";
const CLIENT_SECRET = "entra-client-secret-Q9x~3Lp0";

/**
 * Small real backoffs: the retry loop runs for real, just quickly. The per-attempt timeout has
 * headroom, so that a busy machine does not turn a slow answer into a retry; tests of a hang set
 * their own (HANG_TIMEOUT) and assert outcomes, not the exact sequence of attempts.
 */
const FAST: ClientTuning = { timeoutMs: 10_000, maxAttempts: 4, maxElapsedMs: 30_000, baseDelayMs: 10, maxDelayMs: 40 };
const HANG_TIMEOUT: ClientTuning = { timeoutMs: 1_000 };
/** Slack for upper time bounds: far below what a missing bound would take, far above scheduling noise. */
const SLACK_MS = 4_000;

const AKV_VAULT: NewVault = {
  name: "Azure Key Vault",
  scheme: "akv",
  isDefault: false,
  configuration: {
    clientId: "11111111-1111-1111-1111-111111111111",
    tenantId: "22222222-2222-2222-2222-222222222222",
    clientSecret: CLIENT_SECRET,
    vaultUrl: "https://kv-cerby-abc123.vault.azure.net/",
    keyName: "cerby-external-key",
  },
};

let emulator: CerbyEmulator;

beforeEach(async () => {
  emulator = await CerbyEmulator.start({
    keys: { [API_KEY]: { role: "owner", scopes: ["vaults:read", "vaults:write"] } },
    withLocalVault: true,
  });
});

afterEach(async () => {
  await emulator.stop();
});

function client(tuning: ClientTuning = {}, apiKey = API_KEY): CerbyClient {
  return new CerbyClient({ ...FAST, ...tuning, baseUrl: emulator.url, apiKey });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

function caught(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

function elapsedSince(start: number): number {
  return performance.now() - start;
}

describe("requests", () => {
  test("lists every page with page[size]=100, sends the key header, and stops when links.next is gone", async () => {
    const paged = await CerbyEmulator.start({ keys: { [API_KEY]: { role: "owner", scopes: ["vaults:read"] } }, maxPageSize: 1 });
    try {
      paged.seed({ name: "local", scheme: "local_encryption_key", isDefault: true });
      paged.seed({ name: "azure", scheme: "akv" });
      paged.seed({ name: "aws", scheme: "kms_byo" });
      const vaults = await new CerbyClient({ ...FAST, baseUrl: paged.url, apiKey: API_KEY }).listVaults();
      expect(vaults.map((vault) => vault.name)).toEqual(["local", "azure", "aws"]);
      expect(paged.requests.map((request) => [request.method, request.path, request.query])).toEqual([
        ["GET", "/vaults", { "page[number]": "1", "page[size]": "100" }],
        ["GET", "/vaults", { "page[number]": "2", "page[size]": "100" }],
        ["GET", "/vaults", { "page[number]": "3", "page[size]": "100" }],
      ]);
      expect(paged.requests.every((request) => request.hadApiKey && request.headers.accept === "application/json")).toBe(true);
    } finally {
      await paged.stop();
    }
  });

  test("gives up on a list that keeps paginating beyond maxPages", async () => {
    const paged = await CerbyEmulator.start({ keys: { [API_KEY]: { role: "owner", scopes: ["vaults:read"] } }, maxPageSize: 1 });
    try {
      paged.seed({ name: "local", scheme: "local_encryption_key" });
      paged.seed({ name: "azure", scheme: "akv" });
      paged.seed({ name: "aws", scheme: "kms_byo" });
      const error = await failure(new CerbyClient({ ...FAST, maxPages: 2, baseUrl: paged.url, apiKey: API_KEY }).listVaults());
      expect(error.name).toBe("CerbyProtocolError");
      expect(error.message).toContain("after 2 pages");
      expect(paged.requests).toHaveLength(2);
    } finally {
      await paged.stop();
    }
  });

  test("creates a vault with the JSON:API body, and Cerby's answer carries no client secret", async () => {
    const vault = await client().createVault(AKV_VAULT);
    expect(vault).toMatchObject({ name: "Azure Key Vault", scheme: "akv", state: "enabled", isDefault: false });
    const [post] = emulator.requests;
    expect(post.method).toBe("POST");
    expect(post.headers["content-type"]).toBe("application/json");
    expect(post.body).toEqual({
      data: {
        type: "vault",
        attributes: { name: "Azure Key Vault", scheme: "akv", isDefault: false, configuration: AKV_VAULT.configuration },
      },
    });
    expect(JSON.stringify(vault)).not.toContain(CLIENT_SECRET);
  });

  test("PATCH sends only the attributes that change", async () => {
    const created = await client().createVault(AKV_VAULT);
    await client().updateVault(created.id, { name: "Renamed" });
    await client().updateVault(created.id, { clientSecret: "rotated-secret-value-123" });
    const patches = emulator.requests.filter((request) => request.method === "PATCH");
    expect(patches.map((request) => request.body)).toEqual([
      { data: { type: "vault", id: created.id, attributes: { name: "Renamed" } } },
      { data: { type: "vault", id: created.id, attributes: { configuration: { clientSecret: "rotated-secret-value-123" } } } },
    ]);
    expect(patches[0].path).toBe(`/vaults/${created.id}`);
    expect(emulator.allVaults().find((vault) => vault.id === created.id)?.configuration.clientSecret).toBe("rotated-secret-value-123");
  });
});

describe("retries", () => {

  test.each(RECOVERABLE_FAULTS)("a list that meets %s once succeeds on the retry", async (_name, fault) => {
    emulator.inject({ method: "GET", path: "/vaults", fault });
    const vaults = await client(fault.kind === "hang" ? HANG_TIMEOUT : {}).listVaults();
    expect(vaults.map((vault) => vault.scheme)).toEqual(["local_encryption_key"]);
    expect(emulator.requests[0].fault).toBe(fault.kind);
    expect(emulator.requests.slice(1).map((request) => request.fault ?? "answered")).toContain("answered");
    expect(emulator.pendingFaults()).toBe(0);
  });

  test.each(RECOVERABLE_FAULTS)("a list that meets %s every time fails clearly within the time bound", async (_name, fault) => {
    emulator.inject(...Array.from({ length: 10 }, () => ({ method: "GET", path: "/vaults", fault })));
    const start = performance.now();
    const error = await failure(client({ ...HANG_TIMEOUT, maxElapsedMs: 1_000 }).listVaults());
    expect(elapsedSince(start)).toBeLessThan(1_000 + SLACK_MS);
    expect(error.name).toBe(fault.kind === "status" ? "CerbyApiError" : "CerbyNetworkError");
    expect(error.message).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/vaults failed/);
    expect(error.message).toMatch(/attempts?/);
    expect(emulator.requests.length).toBeLessThanOrEqual(FAST.maxAttempts!);
  });

  test("a hang on every attempt stops at the total time budget, not after maxAttempts × timeout", async () => {
    emulator.inject(...Array.from({ length: 10 }, () => ({ fault: { kind: "hang" } as Fault })));
    const start = performance.now();
    // maxAttempts × timeout would be 10 s; the 2 s budget must stop it.
    const error = await failure(client({ timeoutMs: 1_000, maxAttempts: 10, maxElapsedMs: 2_000 }).listVaults());
    const elapsed = elapsedSince(start);
    expect(error.name).toBe("CerbyNetworkError");
    expect((error as CerbyNetworkError).reason).toBe("timeout");
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(2_000 + SLACK_MS);
    expect(error.message).toContain("Check that this machine can reach 127.0.0.1");
  });

  test("honours Retry-After: 1 by waiting a second before the retry", async () => {
    emulator.inject({ method: "GET", fault: { kind: "status", status: 429, retryAfter: "1" } });
    const start = performance.now();
    await client().listVaults();
    expect(elapsedSince(start)).toBeGreaterThanOrEqual(990);
    expect(emulator.requests).toHaveLength(2);
  });

  test("a Retry-After beyond the time budget fails at once instead of sleeping", async () => {
    emulator.inject({ method: "GET", fault: { kind: "status", status: 429, retryAfter: "120" } });
    const start = performance.now();
    const error = await failure(client().listVaults());
    expect(elapsedSince(start)).toBeLessThan(SLACK_MS);
    expect(error.name).toBe("CerbyApiError");
    expect((error as CerbyApiError).status).toBe(429);
    expect(error.message).toContain("Cerby asked to retry after 120.0 s, beyond the 30.0 s budget");
    expect(error.message).toContain("rate-limiting");
  });

  test("backs off exponentially with full jitter below a capped ceiling", async () => {
    const waits: number[] = [];
    emulator.inject(...Array.from({ length: 3 }, () => ({ fault: { kind: "status", status: 503 } as Fault })));
    const tuned = client({
      baseDelayMs: 20,
      maxDelayMs: 50,
      random: () => 0.5,
      sleep: async (ms) => {
        waits.push(ms);
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    await tuned.listVaults();
    // Ceilings 20, 40, then 80 capped at 50; the jitter source returned 0.5.
    expect(waits).toEqual([10, 20, 25]);
  });

  test("does not retry a 400 or a 404", async () => {
    const invalid = await failure(client().createVault({ ...AKV_VAULT, configuration: { ...AKV_VAULT.configuration, keyName: "" } }));
    expect(invalid.name).toBe("CerbyApiError");
    expect((invalid as CerbyApiError).status).toBe(400);
    const missing = await failure(client().updateVault("no-such-vault", { name: "x" }));
    expect((missing as CerbyApiError).status).toBe(404);
    expect(missing.message).toContain("pulumi refresh");
    expect(emulator.requests.map((request) => request.method)).toEqual(["POST", "PATCH"]);
  });

  test("an AWS KMS vault cannot be disabled, as in Cerby: a 400, not retried", async () => {
    const kms = await client().createVault({
      name: "AWS KMS",
      scheme: "kms_byo",
      isDefault: false,
      configuration: {
        awsAccountId: "123456789012",
        kmsKeyId: "mrk-0123456789abcdef0123456789abcdef",
        roleArn: "arn:aws:iam::123456789012:role/cerby",
      },
    });
    const error = await failure(client().updateVault(kms.id, { state: "disabled" }));
    expect((error as CerbyApiError).status).toBe(400);
    expect(error.message).toContain("AWS KMS vaults cannot be disabled");
    expect(emulator.requests.map((request) => request.method)).toEqual(["POST", "PATCH"]);
  });

  test("a POST whose answer was lost is retried and meets 409: the vault exists exactly once", async () => {
    emulator.inject({ method: "POST", path: "/vaults", fault: { kind: "commit-then-drop" } });
    const error = await failure(client().createVault(AKV_VAULT));
    expect((error as CerbyApiError).status).toBe(409);
    expect(emulator.allVaults().filter((vault) => vault.scheme === "akv")).toHaveLength(1);
  });
});

describe("errors that say what to do", () => {
  test("401 names the expired key or missing scope and the command to store a new key", async () => {
    emulator.addKey("expired-key-0000000000", { role: "owner", scopes: ["vaults:read", "vaults:write"], expired: true });
    for (const key of ["wrong-key-000000000000", "expired-key-0000000000"]) {
      const error = await failure(client({}, key).listVaults());
      expect(error.name).toBe("CerbyApiError");
      expect((error as CerbyApiError).status).toBe(401);
      expect(error.message).toContain("expired");
      expect(error.message).toContain('"vaults" scopes');
      expect(error.message).toContain("pulumi config set --secret cerbyApiKey");
      expect(error.message).not.toContain(key);
    }
    expect(emulator.requests).toHaveLength(2);
  });

  test("401 also for a key without the write scope", async () => {
    emulator.addKey("read-only-key-00000000", { role: "owner", scopes: ["vaults:read"] });
    const error = await failure(client({}, "read-only-key-00000000").createVault(AKV_VAULT));
    expect((error as CerbyApiError).status).toBe(401);
  });

  test("403 names the roles that may manage vaults", async () => {
    emulator.addKey("member-key-00000000000", { role: "member", scopes: ["vaults:read", "vaults:write"] });
    const error = await failure(client({}, "member-key-00000000000").createVault(AKV_VAULT));
    expect((error as CerbyApiError).status).toBe(403);
    expect(error.message).toContain("Owner, Super Admin or Admin");
    expect(emulator.requests).toHaveLength(1);
  });

  test("a value Cerby echoes into an error is redacted", async () => {
    const echoing = await CerbyEmulator.start({
      keys: { [API_KEY]: { role: "owner", scopes: ["vaults:read", "vaults:write"] } },
      echoValuesInErrors: true,
    });
    try {
      const broken = { ...AKV_VAULT, configuration: { ...AKV_VAULT.configuration, vaultUrl: "" } };
      const error = await failure(new CerbyClient({ ...FAST, baseUrl: echoing.url, apiKey: API_KEY }).createVault(broken));
      expect(error.message).toContain("[redacted]");
      expect(error.message).not.toContain(CLIENT_SECRET);
    } finally {
      await echoing.stop();
    }
  });
});

/** Secrets with every character that JSON or URL encoding changes. */
const AWKWARD_SECRETS = ['Qx"quote\\back/slash+plus%25 sp ace~1', 'k3y+with/slash"and\\back%2Fpct'];

describe("redaction", () => {
  test.each(AWKWARD_SECRETS)("redact removes the raw, JSON-escaped and URL-encoded forms of %s", (secret) => {
    const once = JSON.stringify(secret).slice(1, -1);
    const forms = [secret, once, JSON.stringify(once).slice(1, -1), encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)];
    for (const form of forms) {
      expect(form.length).toBeGreaterThan(8);
      expect(redact(`before ${form} after`, [secret])).toBe("before [redacted] after");
    }
  });

  test.each(AWKWARD_SECRETS)("a client secret %s that Cerby echoes JSON-escaped in an error detail is redacted", async (secret) => {
    const echoing = await CerbyEmulator.start({
      keys: { [API_KEY]: { role: "owner", scopes: ["vaults:read", "vaults:write"] } },
      echoValuesInErrors: true,
    });
    try {
      const broken = { ...AKV_VAULT, configuration: { ...AKV_VAULT.configuration, clientSecret: secret, vaultUrl: "" } };
      const error = await failure(new CerbyClient({ ...FAST, baseUrl: echoing.url, apiKey: API_KEY }).createVault(broken));
      expect(error.message).toMatch(/Received: .*\[redacted\]/);
      const once = JSON.stringify(secret).slice(1, -1);
      for (const form of [secret, once, JSON.stringify(once).slice(1, -1), encodeURIComponent(secret)]) {
        expect(error.message).not.toContain(form);
      }
    } finally {
      await echoing.stop();
    }
  });
});

describe("transport safety", () => {
  test("refuses plain http:// to a host that is not loopback, before any request", () => {
    const refused = caught(() => new CerbyClient({ baseUrl: "http://acme.cerby.com/api/v1", apiKey: API_KEY }));
    expect(refused.name).toBe("CerbyConfigError");
    expect(refused.message).toContain("is not a Cerby API URL");
    expect(() => new CerbyClient({ baseUrl: "https://acme.cerby.com/api/v1", apiKey: API_KEY })).not.toThrow();
    expect(() => new CerbyClient({ baseUrl: "http://localhost:8080/api/v1", apiKey: API_KEY })).not.toThrow();
  });

  test.each([
    "https://cerby.attacker.example/api/v1",
    "https://acme.cerby.com.attacker.example/api/v1",
    "https://acme.cerby.com:8443/api/v1",
    "https://acme.cerby.com/api/v1?via=proxy",
    "http://10.0.0.5:8080/api/v1",
  ])("refuses %s, which is neither Cerby's host nor loopback, and sends nothing", async (baseUrl) => {
    const sent: string[] = [];
    const refused = caught(
      () => new CerbyClient({ baseUrl, apiKey: API_KEY, fetch: async (input) => (sent.push(String(input)), new Response("{}")) }),
    );
    expect(refused.name).toBe("CerbyConfigError");
    expect(sent).toEqual([]);
  });

  test("a URL with user info is refused without echoing its password", () => {
    const refused = caught(() => new CerbyClient({ baseUrl: "https://deployer:hunter2-pass@acme.cerby.com/api/v1", apiKey: API_KEY }));
    expect(refused.message).toContain("https://***@acme.cerby.com/api/v1");
    expect(refused.message).not.toContain("hunter2-pass");
  });

  test("a redirect's Location is shown without the credentials it carries", async () => {
    emulator.inject({ fault: { kind: "redirect", location: "https://user:hunter2-pass@elsewhere.example/api/v1/vaults" } });
    const error = await failure(client().listVaults());
    expect(error.message).toContain("https://***@elsewhere.example/api/v1/vaults");
    expect(error.message).not.toContain("hunter2-pass");
  });

  test("refuses a key with a line break without quoting it", () => {
    const refused = caught(() => new CerbyClient({ baseUrl: emulator.url, apiKey: `${API_KEY}\n` }));
    expect(refused.name).toBe("CerbyConfigError");
    expect(refused.message).toContain("line breaks");
    expect(refused.message).not.toContain(API_KEY);
  });

  test("does not follow a redirect, so the key is never sent to another host", async () => {
    emulator.inject({ fault: { kind: "redirect", location: "https://elsewhere.example/api/v1/vaults" } });
    const error = await failure(client().listVaults());
    expect(error.name).toBe("CerbyProtocolError");
    expect(error.message).toContain("https://elsewhere.example/api/v1/vaults");
    expect(emulator.requests).toHaveLength(1);
  });
});
