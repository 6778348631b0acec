/**
 * Proves, as Cerby's service principal, that the Azure key works before Cerby is told about it:
 * sign in with the client secret, read the key, check it is what Cerby needs, then wrap and unwrap,
 * and encrypt and decrypt, 32 random bytes with RSA-OAEP-256: each data action Cerby uses (and the
 * minimal role grants) is exercised once. A fresh role assignment takes minutes to reach Key Vault, so
 * failures that propagation explains are retried with backoff up to a bound; definitive ones fail
 * at once. Nothing here ever puts the client secret into a message.
 */
import { randomBytes, randomInt } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { ClientSecretCredential } from "@azure/identity";
import { CryptographyClient, KeyClient, type KeyClientOptions, type KeyVaultKey } from "@azure/keyvault-keys";
import { redact } from "../cerby/errors";
import { DEFAULT_PREFLIGHT_TIMEOUT_MINUTES, KEY_SIZE } from "../project";
import { checkGuid, checkKeyName, checkVaultUrl } from "../validation";

/** The five values Cerby's "Azure External Keys" strategy is given. */
export interface AzureKeyTarget {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  vaultUrl: string;
  keyName: string;
}

/** The checks a preflight makes, in order, once its inputs are well formed. */
export const AZURE_CHECK_ORDER = [
  "sign-in",
  "key-read",
  "key-type",
  "key-size",
  "key-enabled",
  "key-dates",
  "key-operations",
  "wrap-unwrap",
  "encrypt-decrypt",
] as const;

export type AzureCheckName = "inputs" | (typeof AZURE_CHECK_ORDER)[number];

/** One check's verdict; `cause` says, for a failure, what most likely explains it and what to do. */
export interface AzureCheck {
  name: AzureCheckName;
  ok: boolean;
  detail: string;
  cause?: string;
}

export const DEFAULT_PREFLIGHT_TIMEOUT_MS = DEFAULT_PREFLIGHT_TIMEOUT_MINUTES * 60_000;

export interface PreflightOptions {
  /** How long propagation-type failures are retried; default 10 minutes. */
  timeoutMs?: number;
  /** Progress lines, e.g. pulumi.log.info. */
  log?: (message: string) => void;
  /** First retry delay; it doubles up to 30 s, with jitter. Default 2 s. */
  initialBackoffMs?: number;
  /** The time key dates are judged against; defaults to the wall clock. */
  now?: Date;
  /** Transport for the credential and the Key Vault clients; tests route it to a loopback fake. */
  httpClient?: KeyClientOptions["httpClient"];
  /**
   * For a client secret created moments ago: how long Entra ID's "invalid" or "expired" answer is
   * taken for replication lag and retried, before it counts as final. Default 0 (an old secret).
   */
  newSecretGraceMs?: number;
  /** Starts each progress line, for a caller with its own name for the checks. Default "Preflight". */
  label?: string;
  /**
   * What to do when this machine cannot reach Entra ID or the vault, ending the likely cause.
   * Default: the `pulumi up` setting that skips the preflight where the deployer cannot reach the vault.
   */
  unreachableAdvice?: string;
}

/** How long Entra ID may take to accept a new client secret everywhere (seconds to minutes). */
export const NEW_SECRET_REPLICATION_MS = 3 * 60 * 1000;

export interface PreflightResult {
  /** The versioned key identifier that wrapped and unwrapped. */
  keyId: string;
  checks: AzureCheck[];
  attempts: number;
  elapsedMs: number;
}

/**
 * The preflight's verdict when it fails: the failed check, every check made, and how long it
 * tried. A plain Error with a name, not a subclass, for the reason given in
 * components/cerby/errors.ts: it is raised inside the AzureKeyPreflight provider.
 */
export interface PreflightError extends Error {
  name: "PreflightError";
  check: AzureCheckName;
  checks: AzureCheck[];
  attempts: number;
  elapsedMs: number;
}

function preflightError(message: string, fields: Omit<PreflightError, keyof Error>): PreflightError {
  return Object.assign(new Error(message), fields, { name: "PreflightError" as const });
}

export function isPreflightError(error: unknown): error is PreflightError {
  return error instanceof Error && error.name === "PreflightError";
}

const WRAP_ALGORITHM = "RSA-OAEP-256";
const MAX_BACKOFF_MS = 30_000;
const REQUIRED_OPERATIONS = ["wrapKey", "unwrapKey", "encrypt", "decrypt"] as const;

function modulusBits(modulus: Uint8Array): number {
  let start = 0;
  while (start < modulus.length && modulus[start] === 0) {
    start += 1;
  }
  if (start === modulus.length) {
    return 0;
  }
  return (modulus.length - start - 1) * 8 + (32 - Math.clz32(modulus[start]));
}

/**
 * The key checks that need no network: type, size, enabled, dates and allowed operations. Every
 * check is reported, so a key that is wrong in two ways says so once.
 */
export function checkKeyProperties(key: KeyVaultKey, now: Date): AzureCheck[] {
  const keyType = key.keyType ?? key.key?.kty;
  const isRsa = keyType === "RSA" || keyType === "RSA-HSM";
  const wrongKey =
    "wrong key: Cerby accepts only RSA 4096 keys and a key's type and size cannot be changed; create a new RSA 4096 key and register it";
  const checks: AzureCheck[] = [
    isRsa
      ? { name: "key-type", ok: true, detail: `key type ${keyType}` }
      : { name: "key-type", ok: false, detail: `key type is ${keyType ?? "unknown"}, not RSA or RSA-HSM`, cause: wrongKey },
  ];

  const bits = isRsa && key.key?.n ? modulusBits(key.key.n) : 0;
  if (bits === KEY_SIZE) {
    checks.push({ name: "key-size", ok: true, detail: `${bits}-bit modulus` });
  } else {
    const detail = isRsa ? `${bits}-bit modulus, not ${KEY_SIZE}` : `a ${keyType ?? "non-RSA"} key has no RSA modulus`;
    checks.push({ name: "key-size", ok: false, detail, cause: wrongKey });
  }

  checks.push(
    key.properties.enabled === true
      ? { name: "key-enabled", ok: true, detail: "enabled" }
      : {
          name: "key-enabled",
          ok: false,
          detail: "the key is disabled",
          cause: "someone disabled the key; Cerby cannot decrypt anything until it is enabled again",
        },
  );

  const { expiresOn, notBefore } = key.properties;
  if (expiresOn && expiresOn.getTime() <= now.getTime()) {
    checks.push({
      name: "key-dates",
      ok: false,
      detail: `expired at ${expiresOn.toISOString()}`,
      cause: "the key has an expiry date in the past; remove or extend it (Cerby needs the key for as long as it holds data)",
    });
  } else if (notBefore && notBefore.getTime() > now.getTime()) {
    checks.push({
      name: "key-dates",
      ok: false,
      detail: `not valid before ${notBefore.toISOString()}`,
      cause: "the key's activation date is in the future; remove it or wait",
    });
  } else {
    checks.push({ name: "key-dates", ok: true, detail: expiresOn ? `valid until ${expiresOn.toISOString()}` : "no expiry date" });
  }

  const operations: string[] = key.keyOperations ?? key.key?.keyOps ?? [];
  const missing = REQUIRED_OPERATIONS.filter((operation) => !operations.includes(operation));
  checks.push(
    missing.length === 0
      ? { name: "key-operations", ok: true, detail: "wrapKey, unwrapKey, encrypt and decrypt allowed" }
      : {
          name: "key-operations",
          ok: false,
          detail: `${missing.join(" and ")} not allowed (allowed: ${operations.join(", ") || "none"})`,
          cause: "the key's permitted operations exclude what Cerby uses; allow wrapKey, unwrapKey, encrypt and decrypt on the key",
        },
  );
  return checks;
}

/** What a failed step means: whether waiting can fix it, what happened, and the likely cause. */
interface Diagnosis {
  retry: boolean;
  /** Retried only while a new secret may still be replicating (see newSecretGraceMs). */
  retryWhileSecretIsNew?: boolean;
  detail: string;
  cause: string;
}

const PROPAGATION_CAUSE =
  "the role assignment has not propagated yet (this can take several minutes), or the service principal has the wrong role or scope: it needs Key Vault Crypto User (or the minimal role, or higher) on the key or the vault";
const NETWORK_CODES = ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "REQUEST_SEND_ERROR"];

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((part) => part.trim().length > 0) ?? text;
  const trimmed = line.trim().replace(/\.+$/, "");
  return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed;
}

function diagnoseSignIn(code: string, target: AzureKeyTarget): Diagnosis {
  switch (code) {
    case "7000215":
      return {
        retry: false,
        retryWhileSecretIsNew: true,
        detail: "Entra ID rejected the client secret (AADSTS7000215)",
        cause: "the client secret is wrong: give the secret's value (not its ID), for this application",
      };
    case "7000222":
      return {
        retry: false,
        retryWhileSecretIsNew: true,
        detail: "the client secret has expired (AADSTS7000222)",
        cause: "the secret is past its end date: rotate it (a new clientSecretStartDate) and run pulumi up",
      };
    case "90002":
      return {
        retry: false,
        detail: `tenant ${target.tenantId} was not found (AADSTS90002)`,
        cause: "wrong tenant ID",
      };
    case "700016":
      return {
        retry: true,
        detail: `application ${target.clientId} was not found in tenant ${target.tenantId} (AADSTS700016)`,
        cause: "a new application takes a few minutes to replicate in Entra ID; otherwise the client ID or the tenant is wrong",
      };
    default:
      return {
        retry: false,
        detail: `Entra ID refused the sign-in (AADSTS${code})`,
        cause: `see https://login.microsoftonline.com/error?code=${code}`,
      };
  }
}

const DEPLOY_UNREACHABLE_ADVICE = "set cerbyPreflight to false where the deployer cannot reach the vault";

const networkCause = (advice: string) =>
  `network: the vault's DNS name may not resolve yet, or a proxy or firewall keeps this machine from Entra ID or the vault; ${advice}`;

/** What Key Vault's HTTP status says, once a token was obtained. */
function diagnoseVaultStatus(statusCode: number, said: string, message: string, target: AzureKeyTarget, unreachable: string): Diagnosis | undefined {
  if (statusCode === 403 && /ForbiddenByFirewall|Client address is not authorized/i.test(message)) {
    return { retry: false, detail: said, cause: `the Key Vault firewall does not admit this machine's address: allow it, or ${unreachable}` };
  }
  if (statusCode === 403) {
    // Key Vault names the data action it refused, which tells a role that lacks it from one that lags.
    const action = /Action: '([\w./]+)'/.exec(message)?.[1];
    return { retry: true, detail: action ? `${said} (denied data action ${action})` : said, cause: PROPAGATION_CAUSE };
  }
  if (statusCode === 401) {
    return {
      retry: true,
      detail: said,
      cause: "Key Vault did not accept the token: the sign-in may still be propagating, or the vault belongs to another tenant",
    };
  }
  if (statusCode === 404) {
    return { retry: false, detail: said, cause: `wrong key name or vault URL: no key "${target.keyName}" in ${target.vaultUrl}` };
  }
  if (statusCode === 400) {
    return { retry: false, detail: said, cause: "Key Vault refused the request; the key may not support RSA-OAEP-256 (wrong key type)" };
  }
  return undefined;
}

function diagnose(error: unknown, target: AzureKeyTarget, operation: string, unreachable: string): Diagnosis {
  // Duck-typed: an abort reason is a DOMException, which need not be an Error of this realm.
  const { name, message: said } = (error ?? {}) as { name?: unknown; message?: unknown };
  const message = typeof said === "string" ? said : String(error);
  if (name === "AbortError" || name === "TimeoutError") {
    return { retry: true, detail: `no answer to ${operation} before the time bound`, cause: networkCause(unreachable) };
  }
  const aadsts = /AADSTS(\d+)/.exec(message);
  if (aadsts) {
    return diagnoseSignIn(aadsts[1], target);
  }
  if (message.includes("AdditionallyAllowedTenants")) {
    return {
      retry: false,
      detail: "Key Vault asked for a token from another tenant",
      cause: `wrong tenant: the vault does not belong to tenant ${target.tenantId}`,
    };
  }
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode === "number") {
    const said = `${operation === "sign-in" ? "Entra ID" : "Key Vault"} answered ${statusCode} to ${operation}: ${firstLine(message)}`;
    const known = operation === "sign-in" ? undefined : diagnoseVaultStatus(statusCode, said, message, target, unreachable);
    if (known) {
      return known;
    }
    if (statusCode === 408 || statusCode === 429 || statusCode >= 500) {
      return { retry: true, detail: said, cause: "Azure is throttling or failing transiently" };
    }
    return { retry: false, detail: said, cause: "an unexpected refusal; see the detail" };
  }
  // MSAL reports an unreachable Entra ID as "network_error", without the system error code.
  if ((typeof code === "string" && NETWORK_CODES.includes(code)) || /\bnetwork_error\b/.test(message)) {
    return { retry: true, detail: `could not reach Azure during ${operation}: ${firstLine(message)}`, cause: networkCause(unreachable) };
  }
  return { retry: false, detail: `${operation} failed: ${firstLine(message)}`, cause: "an unexpected error; see the detail" };
}

/** Settles as `work` does, or rejects when `signal` aborts: not every SDK layer honours an abort signal. */
function bounded<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) {
      abort();
    }
    signal.addEventListener("abort", abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

/** The token scope of the Key Vault cloud the vault lives in, e.g. https://vault.azure.net/.default. */
function vaultScope(vaultUrl: string): string {
  const host = new URL(vaultUrl).hostname;
  return `https://${host.slice(host.indexOf(".") + 1)}/.default`;
}

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) {
    // Judged on the rounded value: 999.6 ms reads "1 s", not "1000 ms".
    return Math.round(ms) < 1000 ? `${Math.round(ms)} ms` : `${seconds} s`;
  }
  const rest = seconds % 60;
  return `${Math.floor(seconds / 60)} min${rest ? ` ${rest} s` : ""}`;
}

type Attempt =
  | { ok: true; keyId: string; checks: AzureCheck[] }
  | { ok: false; check: AzureCheckName; checks: AzureCheck[]; diagnosis: Diagnosis };

interface AttemptContext {
  target: AzureKeyTarget;
  credential: ClientSecretCredential;
  keyClient: KeyClient;
  httpClient?: KeyClientOptions["httpClient"];
  now: Date;
  signal: AbortSignal;
  unreachable: string;
}

async function attemptOnce({ target, credential, keyClient, httpClient, now, signal, unreachable }: AttemptContext): Promise<Attempt> {
  const checks: AzureCheck[] = [];
  const failed = (check: AzureCheckName, diagnosis: Diagnosis): Attempt => {
    checks.push({ name: check, ok: false, detail: diagnosis.detail, cause: diagnosis.cause });
    return { ok: false, check, checks, diagnosis };
  };

  // Signing in separately, before Key Vault is called, tells a bad secret apart from a missing role.
  try {
    await bounded(credential.getToken(vaultScope(target.vaultUrl), { abortSignal: signal }), signal);
    checks.push({ name: "sign-in", ok: true, detail: `signed in as application ${target.clientId} in tenant ${target.tenantId}` });
  } catch (error) {
    return failed("sign-in", diagnose(error, target, "sign-in", unreachable));
  }

  let key: KeyVaultKey;
  try {
    key = await bounded(keyClient.getKey(target.keyName, { abortSignal: signal }), signal);
    checks.push({ name: "key-read", ok: true, detail: `read ${key.id ?? target.keyName}` });
  } catch (error) {
    return failed("key-read", diagnose(error, target, "read the key", unreachable));
  }

  const properties = checkKeyProperties(key, now);
  checks.push(...properties);
  const firstFailure = properties.find((check) => !check.ok);
  if (firstFailure) {
    const causes = [...new Set(properties.filter((check) => !check.ok).map((check) => check.cause))];
    return {
      ok: false,
      check: firstFailure.name,
      checks,
      diagnosis: {
        retry: false,
        detail: properties.filter((check) => !check.ok).map((check) => check.detail).join("; "),
        cause: causes.join("; "),
      },
    };
  }

  // Given the fetched key, the client could encrypt locally with the public half; RSA-OAEP-256 is
  // not among its local algorithms, so every operation goes to Key Vault and proves the role.
  const cryptography = new CryptographyClient(key, credential, { httpClient });
  const options = { abortSignal: signal };
  const roundTrips: RoundTrip[] = [
    {
      check: "wrap-unwrap",
      operation: "wrap and unwrap",
      there: async (data) => (await cryptography.wrapKey(WRAP_ALGORITHM, data, options)).result,
      back: async (data) => (await cryptography.unwrapKey(WRAP_ALGORITHM, data, options)).result,
      mismatch: "unwrapKey returned different bytes from those wrapped",
      passed: `wrapped and unwrapped 32 random bytes with ${WRAP_ALGORITHM}`,
    },
    {
      check: "encrypt-decrypt",
      operation: "encrypt and decrypt",
      there: async (data) => (await cryptography.encrypt({ algorithm: WRAP_ALGORITHM, plaintext: data }, options)).result,
      back: async (data) => (await cryptography.decrypt({ algorithm: WRAP_ALGORITHM, ciphertext: data }, options)).result,
      mismatch: "decrypt returned different bytes from those encrypted",
      passed: `encrypted and decrypted 32 random bytes with ${WRAP_ALGORITHM}`,
    },
  ];
  for (const trip of roundTrips) {
    const plaintext = randomBytes(32);
    try {
      const returned = await bounded(trip.there(plaintext).then(trip.back), signal);
      // Different bytes are no propagation delay: fail at once, before Cerby is told about the key.
      if (!Buffer.from(returned).equals(plaintext)) {
        return failed(trip.check, { retry: false, detail: trip.mismatch, cause: "the key or the vault misbehaves; do not register this key" });
      }
    } catch (error) {
      return failed(trip.check, diagnose(error, target, trip.operation, unreachable));
    }
    checks.push({ name: trip.check, ok: true, detail: trip.passed });
  }
  return { ok: true, keyId: key.id ?? target.keyName, checks };
}

/** A Key Vault operation and its inverse, which must give back the bytes it was given. */
interface RoundTrip {
  check: AzureCheckName;
  operation: string;
  there: (data: Uint8Array) => Promise<Uint8Array>;
  back: (data: Uint8Array) => Promise<Uint8Array>;
  mismatch: string;
  passed: string;
}

function inputProblems(target: AzureKeyTarget): string[] {
  const identifiers: Array<[string, string, (value: string) => string | undefined]> = [
    ["tenantId", target.tenantId, checkGuid],
    ["clientId", target.clientId, checkGuid],
    ["vaultUrl", target.vaultUrl, checkVaultUrl],
    ["keyName", target.keyName, checkKeyName],
  ];
  const problems = identifiers.flatMap(([name, value, check]) => {
    const problem = check(value);
    return problem ? [`${name} ${JSON.stringify(value)} ${problem}`] : [];
  });
  // The secret is only ever said to be missing, never quoted.
  if (!target.clientSecret) {
    problems.push("clientSecret is empty");
  }
  return problems;
}

/**
 * Runs the checks as the service principal, retrying propagation-type failures until
 * `timeoutMs`. Resolves with every check passed; rejects with a PreflightError naming the failed
 * check and its likely cause.
 */
export async function preflightAzureKey(target: AzureKeyTarget, options: PreflightOptions = {}): Promise<PreflightResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PREFLIGHT_TIMEOUT_MS;
  const initialBackoffMs = options.initialBackoffMs ?? 2000;
  const newSecretGraceMs = options.newSecretGraceMs ?? 0;
  const label = options.label ?? "Preflight";
  const unreachable = options.unreachableAdvice ?? DEPLOY_UNREACHABLE_ADVICE;
  const log = (message: string) => options.log?.(redact(message, [target.clientSecret]));
  const started = performance.now();
  const where = `key "${target.keyName}" in ${target.vaultUrl} as application ${target.clientId}`;

  const problems = inputProblems(target);
  if (problems.length > 0) {
    const detail = problems.join("; ");
    throw preflightError(redact(`Azure Key Vault preflight: invalid inputs: ${detail}.`, [target.clientSecret]), {
      check: "inputs",
      checks: [{ name: "inputs", ok: false, detail, cause: "the values given for the Cerby vault are malformed" }],
      attempts: 0,
      elapsedMs: 0,
    });
  }

  // The wall clock, only to judge the key's dates; it never reaches a resource input, which must
  // come out the same on every `pulumi up`.
  const now = options.now ?? new Date(performance.timeOrigin + performance.now());
  const httpClient = options.httpClient;
  // Sign-in is retried by the loop below, within the bound. MSAL does not honour the abort signal,
  // so the credential's own retries would carry on after an attempt the bound cut short.
  const credential = new ClientSecretCredential(target.tenantId, target.clientId, target.clientSecret, {
    httpClient,
    retryOptions: { maxRetries: 0 },
  });
  const keyClient = new KeyClient(target.vaultUrl, credential, { httpClient });
  const deadline = AbortSignal.timeout(timeoutMs);
  const elapsed = () => performance.now() - started;

  const fail = (outcome: Extract<Attempt, { ok: false }>, attempts: number, timedOut: boolean): PreflightError => {
    const { detail, cause } = outcome.diagnosis;
    const when = `${attempts} attempt${attempts === 1 ? "" : "s"} in ${formatDuration(elapsed())}`;
    const bound = timedOut ? `, still failing at the ${formatDuration(timeoutMs)} bound` : "";
    const message = `Azure Key Vault preflight failed at check "${outcome.check}" for ${where} (${when}${bound}): ${detail}. Likely cause: ${cause}.`;
    return preflightError(redact(message, [target.clientSecret]), {
      check: outcome.check,
      checks: outcome.checks,
      attempts,
      elapsedMs: elapsed(),
    });
  };

  log(`${label}: checking ${where}; retrying for up to ${formatDuration(timeoutMs)} while access propagates.`);
  let lastFailure: Extract<Attempt, { ok: false }> | undefined;
  let lastLogged: string | undefined;
  for (let attempt = 1; ; attempt += 1) {
    const outcome = await attemptOnce({ target, credential, keyClient, httpClient, now, signal: deadline, unreachable });
    if (outcome.ok) {
      log(`${label} passed after ${attempt} attempt${attempt === 1 ? "" : "s"} in ${formatDuration(elapsed())}: ${outcome.keyId} wraps, unwraps, encrypts and decrypts as the service principal.`);
      return { keyId: outcome.keyId, checks: outcome.checks, attempts: attempt, elapsedMs: elapsed() };
    }
    // An attempt cut short by the bound reports nothing new; the failure before it is the verdict.
    if (!deadline.aborted || lastFailure === undefined) {
      lastFailure = outcome;
    }
    const secretMayBeReplicating = lastFailure.diagnosis.retryWhileSecretIsNew === true && elapsed() < newSecretGraceMs;
    if (!lastFailure.diagnosis.retry && !secretMayBeReplicating) {
      throw fail(lastFailure, attempt, false);
    }
    const remaining = timeoutMs - elapsed();
    if (deadline.aborted || remaining <= 0) {
      throw fail(lastFailure, attempt, true);
    }
    const backoff = Math.min(MAX_BACKOFF_MS, initialBackoffMs * 2 ** (attempt - 1));
    const delay = Math.min(remaining, (backoff * randomInt(500, 1001)) / 1000);
    // The likely cause is said once per distinct failure, so a long wait does not repeat it.
    const news = lastFailure.diagnosis.detail !== lastLogged;
    lastLogged = lastFailure.diagnosis.detail;
    const cause = secretMayBeReplicating
      ? "a client secret created moments ago can take minutes to reach every Entra ID region"
      : lastFailure.diagnosis.cause;
    log(
      `${label} attempt ${attempt}: ${lastFailure.check} failed: ${lastFailure.diagnosis.detail}. ` +
        (news ? `Likely cause: ${cause}. ` : "") +
        `Retrying in ${formatDuration(delay)} (${formatDuration(remaining)} left).`,
    );
    await sleep(delay, undefined, { signal: deadline }).catch(() => undefined);
  }
}
