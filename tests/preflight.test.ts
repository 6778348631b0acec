/**
 * The preflight against a fake Entra ID and Key Vault on 127.0.0.1. The real ClientSecretCredential
 * (MSAL), KeyClient and CryptographyClient run; only their socket is redirected, through the
 * SDKs' pluggable HTTP client (tests/support/fake-azure.ts explains why that and not HTTPS).
 */
import type { KeyObject } from "node:crypto";
import { performance } from "node:perf_hooks";
import { isPreflightError, preflightAzureKey, type PreflightError, type AzureKeyTarget, type PreflightOptions } from "../components/azure/preflight";
import { FAKE_VAULT_URL, FakeAzure, makeKeyPair, type FakeKey, type FakePrincipal } from "./support/fake-azure";

const SECRET = "Qx8~fake-client-secret-value.2Zr";
const PRINCIPAL: FakePrincipal = {
  tenantId: "11111111-2222-3333-4444-555555555555",
  clientId: "66666666-7777-8888-9999-000000000000",
  clientSecret: SECRET,
};
const TARGET: AzureKeyTarget = { ...PRINCIPAL, vaultUrl: FAKE_VAULT_URL, keyName: "cerby-external-key" };
/** The data actions of servicePrincipalRole minimal, as Azure names them. */
const MINIMAL_ROLE = [
  "Microsoft.KeyVault/vaults/keys/read",
  "Microsoft.KeyVault/vaults/keys/wrap/action",
  "Microsoft.KeyVault/vaults/keys/unwrap/action",
  "Microsoft.KeyVault/vaults/keys/encrypt/action",
  "Microsoft.KeyVault/vaults/keys/decrypt/action",
];

let rsa4096: KeyObject;
let rsa2048: KeyObject;
let ec: KeyObject;

beforeAll(async () => {
  [rsa4096, rsa2048, ec] = await Promise.all([makeKeyPair({ rsaBits: 4096 }), makeKeyPair({ rsaBits: 2048 }), makeKeyPair({ ec: "P-256" })]);
});

function fakeKey(overrides: Partial<FakeKey> = {}): FakeKey {
  return { name: TARGET.keyName, kty: "RSA", privateKey: rsa4096, keyOps: ["encrypt", "decrypt", "wrapKey", "unwrapKey"], enabled: true, ...overrides };
}

let fake: FakeAzure | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

interface Run {
  result?: Awaited<ReturnType<typeof preflightAzureKey>>;
  error?: PreflightError;
  logs: string[];
  elapsedMs: number;
}

/** Runs the preflight against a fresh fake and checks that no line it wrote holds the secret. */
async function run(
  setup: {
    principal?: Partial<FakePrincipal>;
    key?: Partial<FakeKey>;
    forbidWrap?: number;
    forbidGet?: number;
    grantedDataActions?: string[];
    tamperWith?: FakeAzure["tamperWith"];
  },
  options: PreflightOptions = {},
  target: AzureKeyTarget = TARGET,
): Promise<Run> {
  fake = await FakeAzure.start({ ...PRINCIPAL, ...setup.principal }, fakeKey(setup.key));
  fake.forbidWrap = setup.forbidWrap ?? 0;
  fake.forbidGet = setup.forbidGet ?? 0;
  fake.grantedDataActions = setup.grantedDataActions;
  fake.tamperWith = setup.tamperWith;
  const logs: string[] = [];
  const started = performance.now();
  const outcome: Run = { logs, elapsedMs: 0 };
  try {
    outcome.result = await preflightAzureKey(target, {
      httpClient: fake.httpClient(),
      log: (message) => logs.push(message),
      initialBackoffMs: 50,
      timeoutMs: 5000,
      ...options,
    });
  } catch (error) {
    if (!isPreflightError(error)) {
      throw error;
    }
    outcome.error = error;
  }
  outcome.elapsedMs = performance.now() - started;
  for (const text of [...logs, outcome.error?.message ?? "", JSON.stringify(outcome.error?.checks ?? [])]) {
    expect(text).not.toContain(SECRET);
  }
  return outcome;
}

describe("preflightAzureKey", () => {
  test("all good: signs in, reads the key, wraps and unwraps, encrypts and decrypts remotely in Key Vault", async () => {
    const { result, error, logs } = await run({});
    expect(error).toBeUndefined();
    expect(result?.attempts).toBe(1);
    expect(result?.keyId).toBe(`${FAKE_VAULT_URL}keys/cerby-external-key/0123456789abcdef0123456789abcdef`);
    expect(result?.checks.map((check) => [check.name, check.ok])).toEqual([
      ["sign-in", true],
      ["key-read", true],
      ["key-type", true],
      ["key-size", true],
      ["key-enabled", true],
      ["key-dates", true],
      ["key-operations", true],
      ["wrap-unwrap", true],
      ["encrypt-decrypt", true],
    ]);
    // The challenge handshake ran (an unauthenticated first request), and both crypto operations
    // reached the vault instead of being done locally with the public key.
    expect(fake?.requests[0]).toMatchObject({ host: "login.microsoftonline.com", method: "POST" });
    expect(fake?.requests[1]).toMatchObject({ host: "kv-cerby-fake.vault.azure.net", authorized: false });
    expect(fake?.vaultCalls("wrapkey")).toHaveLength(1);
    expect(fake?.vaultCalls("unwrapkey")).toHaveLength(1);
    expect(fake?.vaultCalls("encrypt")).toHaveLength(1);
    expect(fake?.vaultCalls("decrypt")).toHaveLength(1);
    expect(logs.at(-1)).toMatch(/^Preflight passed after 1 attempt in .*wraps, unwraps, encrypts and decrypts as the service principal\.$/);
  });

  test("a vault that unwraps to other bytes fails wrap-unwrap at once: one attempt, no retry, nothing further tried", async () => {
    const { error } = await run({ tamperWith: "unwrapkey" });
    expect(error?.check).toBe("wrap-unwrap");
    expect(error?.attempts).toBe(1);
    expect(error?.message).toMatch(/unwrapKey returned different bytes from those wrapped\. Likely cause: the key or the vault misbehaves; do not register this key/);
    // One read, one wrap, one unwrap: the mismatch is the verdict, not a reason to try again.
    expect(fake?.requests.filter((request) => request.authorized && request.host === "kv-cerby-fake.vault.azure.net")).toHaveLength(3);
    expect(fake?.vaultCalls("encrypt")).toHaveLength(0);
  });

  test("a vault that decrypts to other bytes fails encrypt-decrypt at once", async () => {
    const { error } = await run({ tamperWith: "decrypt" });
    expect(error?.check).toBe("encrypt-decrypt");
    expect(error?.attempts).toBe(1);
    expect(error?.message).toMatch(/decrypt returned different bytes from those encrypted/);
    expect(fake?.vaultCalls("decrypt")).toHaveLength(1);
  });

  test("the data actions of servicePrincipalRole minimal are all the preflight needs", async () => {
    const { result, error } = await run({ grantedDataActions: MINIMAL_ROLE });
    expect(error).toBeUndefined();
    expect(result?.checks.every((check) => check.ok)).toBe(true);
  });

  test.each([
    ["Microsoft.KeyVault/vaults/keys/read", "key-read"],
    ["Microsoft.KeyVault/vaults/keys/unwrap/action", "wrap-unwrap"],
    ["Microsoft.KeyVault/vaults/keys/decrypt/action", "encrypt-decrypt"],
  ])("a role without %s fails the preflight at %s", async (missing, check) => {
    // A 403 is retried as propagation until the bound; a generous one lets even a slow machine reach it.
    const { error } = await run({ grantedDataActions: MINIMAL_ROLE.filter((action) => action !== missing) }, { timeoutMs: 3000, initialBackoffMs: 200 });
    expect(error?.check).toBe(check);
    expect(error?.message).toContain(`(denied data action ${missing})`);
  });

  test("wrap and encrypt use the RSA key's public half, which Azure allows with keys/read alone", async () => {
    const publicOnly = MINIMAL_ROLE.filter((action) => !/\/(wrap|encrypt)\/action$/.test(action));
    const { error } = await run({ grantedDataActions: publicOnly });
    expect(error).toBeUndefined();
  });

  test("a key that does not allow encrypt and decrypt fails fast at key-operations", async () => {
    const { error } = await run({ key: { keyOps: ["wrapKey", "unwrapKey"] } });
    expect(error?.check).toBe("key-operations");
    expect(error?.attempts).toBe(1);
    expect(error?.message).toMatch(/encrypt and decrypt not allowed \(allowed: wrapKey, unwrapKey\)/);
  });

  test("a 2048-bit key fails fast at key-size, before any wrap", async () => {
    const { error } = await run({ key: { privateKey: rsa2048 } });
    expect(error?.check).toBe("key-size");
    expect(error?.attempts).toBe(1);
    expect(error?.message).toMatch(/failed at check "key-size".*2048-bit modulus, not 4096\. Likely cause: wrong key: Cerby accepts only RSA 4096 keys/);
    expect(fake?.vaultCalls("wrapkey")).toHaveLength(0);
  });

  test("an EC key fails fast at key-type", async () => {
    const { error } = await run({ key: { privateKey: ec, kty: "EC" } });
    expect(error?.check).toBe("key-type");
    expect(error?.attempts).toBe(1);
    expect(error?.message).toMatch(/key type is EC, not RSA or RSA-HSM; a EC key has no RSA modulus/);
  });

  test("wrap forbidden for the first two attempts (role propagating), then allowed: passes on the third", async () => {
    const { result, logs } = await run({ forbidWrap: 2 });
    expect(result?.attempts).toBe(3);
    expect(fake?.vaultCalls("unwrapkey")).toHaveLength(1);
    const retries = logs.filter((line) => line.startsWith("Preflight attempt"));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(/wrap-unwrap failed: Key Vault answered 403 to wrap and unwrap: Caller is not authorized.*role assignment has not propagated yet.*Retrying in/);
  });

  test("a key read forbidden at first is retried too", async () => {
    const { result } = await run({ forbidGet: 1 });
    expect(result?.attempts).toBe(2);
  });

  test("wrap forbidden until the bound: a clear failure within the bound", async () => {
    const { error, elapsedMs } = await run({ forbidWrap: Number.POSITIVE_INFINITY }, { timeoutMs: 2000, initialBackoffMs: 100 });
    expect(error?.check).toBe("wrap-unwrap");
    expect(error?.attempts).toBeGreaterThan(2);
    expect(error?.message).toMatch(/still failing at the 2 s bound\): Key Vault answered 403/);
    expect(error?.message).toMatch(/Likely cause: the role assignment has not propagated yet .* or the service principal has the wrong role or scope/);
    expect(elapsedMs).toBeGreaterThanOrEqual(1900);
    expect(elapsedMs).toBeLessThan(4000);
  });

  test("an unreachable Azure is retried until the bound, then fails with a network cause", async () => {
    const closed = await FakeAzure.start(PRINCIPAL, fakeKey());
    const httpClient = closed.httpClient();
    await closed.close();
    const error = await preflightAzureKey(TARGET, { httpClient, timeoutMs: 1000, initialBackoffMs: 100 }).catch((reason: PreflightError) => reason);
    expect(isPreflightError(error)).toBe(true);
    expect((error as PreflightError).attempts).toBeGreaterThan(1);
    expect((error as PreflightError).message).toMatch(/"sign-in".*still failing at the 1 s bound.*Likely cause: network: .*set cerbyPreflight to false/);
  });

  test("a sign-in that never answers still ends at the bound (MSAL ignores the abort signal)", async () => {
    const started = performance.now();
    fake = await FakeAzure.start(PRINCIPAL, fakeKey());
    fake.hangSignIn = true;
    const error = await preflightAzureKey(TARGET, { httpClient: fake.httpClient(), timeoutMs: 1000 }).catch((reason: PreflightError) => reason);
    expect(performance.now() - started).toBeLessThan(3000);
    // The timer may fire a hair before the bound, so the elapsed time reads "1 s" or "99x ms".
    expect((error as PreflightError).message).toMatch(/"sign-in".*1 attempt in (1 s|99\d ms), still failing at the 1 s bound\): no answer to sign-in before the time bound/);
  });

  test("an expired client secret fails fast at sign-in and says to rotate it", async () => {
    const { error } = await run({ principal: { secretExpired: true } });
    expect(error?.check).toBe("sign-in");
    expect(error?.attempts).toBe(1);
    expect(error?.message).toMatch(/the client secret has expired \(AADSTS7000222\)\. Likely cause: .*rotate it/);
    expect(fake?.vaultCalls("get")).toHaveLength(0);
  });

  test("a new client secret that Entra ID does not know yet is retried within the grace window, then passes", async () => {
    fake = await FakeAzure.start({ ...PRINCIPAL, clientSecret: "the-previous-secret" }, fakeKey());
    const replicated = setTimeout(() => (fake!.principal.clientSecret = SECRET), 400);
    try {
      const result = await preflightAzureKey(TARGET, { httpClient: fake.httpClient(), initialBackoffMs: 50, timeoutMs: 5000, newSecretGraceMs: 3000 });
      expect(result.attempts).toBeGreaterThan(1);
    } finally {
      clearTimeout(replicated);
    }
  });

  test("a new client secret still rejected after the grace window fails with the secret's diagnosis", async () => {
    const { error } = await run({}, { newSecretGraceMs: 500 }, { ...TARGET, clientSecret: "never-accepted-secret" });
    expect(error?.check).toBe("sign-in");
    expect(error?.attempts).toBeGreaterThan(1);
    expect(error?.elapsedMs).toBeGreaterThanOrEqual(500);
    expect(error?.message).toMatch(/rejected the client secret \(AADSTS7000215\)/);
  });

  test("a wrong client secret fails fast (AADSTS7000215) and the wrong value is not shown either", async () => {
    const wrong = "not-the-secret-but-still-private";
    const { error, logs } = await run({}, {}, { ...TARGET, clientSecret: wrong });
    expect(error?.message).toMatch(/rejected the client secret \(AADSTS7000215\)/);
    for (const text of [...logs, error?.message]) {
      expect(text).not.toContain(wrong);
    }
  });

  test("a wrong tenant fails fast (AADSTS90002)", async () => {
    const { error } = await run({}, {}, { ...TARGET, tenantId: "99999999-2222-3333-4444-555555555555" });
    expect(error?.check).toBe("sign-in");
    expect(error?.message).toMatch(/tenant 99999999-2222-3333-4444-555555555555 was not found \(AADSTS90002\)\. Likely cause: wrong tenant ID/);
  });

  test("a wrong key name fails fast with a 404", async () => {
    const { error } = await run({}, {}, { ...TARGET, keyName: "other-key" });
    expect(error?.check).toBe("key-read");
    expect(error?.attempts).toBe(1);
    expect(error?.message).toMatch(/answered 404.*wrong key name or vault URL/);
  });

  test("malformed inputs are refused before any request, without quoting the secret", async () => {
    const { error } = await run({}, {}, { ...TARGET, tenantId: "contoso", vaultUrl: "http://kv.example.com" });
    expect(error?.check).toBe("inputs");
    expect(error?.message).toMatch(/tenantId "contoso" must be a GUID.*vaultUrl "http:\/\/kv.example.com" must be a Key Vault URL/);
    expect(fake?.requests).toHaveLength(0);
  });
});
