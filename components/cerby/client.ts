import { randomInt } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { checkCerbyApiUrl, maskUrlCredentials } from "../validation";
import {
  API_KEY_HEADER,
  MAX_PAGE_SIZE,
  NewVault,
  RETRY_AFTER_HEADER,
  VAULTS_PATH,
  VaultChanges,
  VaultRecord,
  createVaultBody,
  isContractMismatch,
  pageQuery,
  parseErrorBody,
  parseVaultDocument,
  parseVaultPage,
  patchVaultBody,
  vaultPath,
} from "./contract";
import { NetworkFailure, apiError, configError, networkError, protocolError, redact } from "./errors";

/** How hard the client tries. Every request is bounded by both the attempt count and the total time. */
export interface RetryPolicy {
  /** Per attempt, from sending the request to reading the whole body. */
  timeoutMs: number;
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** Wall-time budget per request across all attempts and waits. */
  maxElapsedMs: number;
  /** Backoff ceiling for the first retry; doubles for each further one (full jitter below it). */
  baseDelayMs: number;
  /** Upper bound of any backoff ceiling. */
  maxDelayMs: number;
}

/**
 * Generous enough to ride out a short Cerby hiccup or a rate-limit window, short enough that a
 * `pulumi up` against an unreachable Cerby fails within a minute per request instead of hanging.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  timeoutMs: 15_000,
  maxAttempts: 5,
  maxElapsedMs: 60_000,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
};

/** Seams for tests and tuning. Defaults use the real clock, timers, randomness and fetch. */
export interface ClientTuning extends Partial<RetryPolicy> {
  /** Items requested per page (at most 100). */
  pageSize?: number;
  /** Pages read before giving up on a list; a workspace has a handful of vaults. */
  maxPages?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1); drives the jitter. */
  random?: () => number;
  /** Monotonic milliseconds. */
  now?: () => number;
  fetch?: typeof fetch;
}

export interface CerbyClientOptions extends ClientTuning {
  /** e.g. https://acme.cerby.com/api/v1; http only on loopback. */
  baseUrl: string;
  apiKey: string;
}

/** Who can create a Cerby API key that manages vaults, and how the stack is given one: for messages. */
export const KEY_ADMINS = "a workspace Owner, Super Admin or Admin";
export const SET_API_KEY = "`pulumi config set --secret cerbyApiKey <key>`";

const DEFAULT_MAX_PAGES = 20;
const RANDOM_RESOLUTION = 1_000_000;
const USER_AGENT = "cerby-external-keys (pulumi dynamic provider)";

function defaultRandom(): number {
  return randomInt(RANDOM_RESOLUTION) / RANDOM_RESOLUTION;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Parses `Retry-After: <seconds>`; anything else means "no hint". */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\s*\d+\s*$/.test(header)) {
    return undefined;
  }
  return Number(header) * 1000;
}

/** Why one attempt failed in a way that a later attempt might not. */
interface TransientFailure {
  status?: number;
  network?: NetworkFailure;
  retryAfterMs?: number;
  /** For the final message, e.g. "HTTP 503" or "ECONNRESET". */
  what: string;
  detail?: string;
}

interface RequestOptions {
  query?: Record<string, string>;
  body?: unknown;
  /** Values of this request (a client secret) that must not appear in any message. */
  secrets?: readonly string[];
}

/**
 * fetch's errors may come from another realm (Node's own DOMException, test sandboxes), where
 * `instanceof Error` is false, so they are read by shape.
 */
interface ErrorShape {
  name?: unknown;
  cause?: { code?: unknown };
}

function errorShape(error: unknown): ErrorShape {
  return typeof error === "object" && error !== null ? (error as ErrorShape) : {};
}

/** The part of a fetch failure worth showing: a system error code, never a header or body. */
function networkCode(error: unknown): string {
  const { name, cause } = errorShape(error);
  if (typeof cause?.code === "string") {
    return cause.code;
  }
  return typeof name === "string" ? name : "unknown error";
}

function isTimeout(error: unknown): boolean {
  const { name } = errorShape(error);
  return name === "TimeoutError" || name === "AbortError";
}

/**
 * A typed client for the Cerby vault API on Node's fetch. Node's fetch has no retry of its own, and
 * the retry policies of @azure/core-rest-pipeline (which the Azure SDKs bring) bound the number of
 * attempts but not the total time, nor do they retry an unparseable body; so the loop below is the
 * retry policy: 429, 5xx, timeouts, network errors and unparseable bodies are retried with
 * exponential backoff and full jitter (Retry-After wins when Cerby sends it), within both a count
 * and a total-time bound; other 4xx are final.
 */
export class CerbyClient {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly policy: RetryPolicy;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: CerbyClientOptions) {
    const urlProblem = checkCerbyApiUrl(options.baseUrl);
    if (urlProblem) {
      throw configError(`The Cerby API URL ${JSON.stringify(maskUrlCredentials(options.baseUrl))} ${urlProblem}.`);
    }
    if (!/^[\x21-\x7e]+$/.test(options.apiKey)) {
      throw configError(
        "The Cerby API key is empty or contains spaces, line breaks or non-ASCII characters; copy it again from the Cerby web app.",
      );
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    const policy = { ...DEFAULT_RETRY_POLICY };
    for (const key of Object.keys(policy) as (keyof RetryPolicy)[]) {
      policy[key] = options[key] ?? policy[key];
    }
    this.policy = { ...policy, maxAttempts: Math.max(1, policy.maxAttempts) };
    this.pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, options.pageSize ?? MAX_PAGE_SIZE));
    this.maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.random = options.random ?? defaultRandom;
    this.now = options.now ?? (() => performance.now());
    this.fetchImpl = options.fetch ?? fetch;
  }

  /**
   * Every vault of the workspace, all pages. `links.next` only says whether to go on: its URL is
   * not followed, so the API key is only ever sent to the configured base URL.
   */
  async listVaults(): Promise<VaultRecord[]> {
    const vaults: VaultRecord[] = [];
    for (let number = 1; number <= this.maxPages; number++) {
      const body = await this.request("GET", VAULTS_PATH, { query: pageQuery(number, this.pageSize) });
      const page = this.parse(() => parseVaultPage(body), "GET", VAULTS_PATH);
      vaults.push(...page.vaults);
      const complete = page.total !== undefined && vaults.length >= page.total;
      if (!page.hasNext || page.vaults.length === 0 || complete) {
        return vaults;
      }
    }
    throw protocolError(
      `Cerby's vault list at ${this.baseUrl}${VAULTS_PATH} still had more pages after ${this.maxPages} pages of ${this.pageSize}; ` +
        "a workspace has a handful of vaults, so the API is not paginating as expected. Check cerbyApiUrl.",
    );
  }

  async createVault(vault: NewVault): Promise<VaultRecord> {
    const secrets = "clientSecret" in vault.configuration ? [vault.configuration.clientSecret] : [];
    const body = await this.request("POST", VAULTS_PATH, { body: createVaultBody(vault), secrets });
    return this.parse(() => parseVaultDocument(body), "POST", VAULTS_PATH);
  }

  async updateVault(id: string, changes: VaultChanges): Promise<VaultRecord> {
    const path = vaultPath(id);
    const secrets = changes.clientSecret === undefined ? [] : [changes.clientSecret];
    const body = await this.request("PATCH", path, { body: patchVaultBody(id, changes), secrets });
    return this.parse(() => parseVaultDocument(body), "PATCH", path);
  }

  private parse<T>(read: () => T, method: string, path: string): T {
    try {
      return read();
    } catch (error) {
      if (isContractMismatch(error)) {
        throw protocolError(
          `Cerby's answer to ${method} ${path} does not match the expected contract: ${error.message}. ` +
            "The Cerby API may have changed; components/cerby/contract.ts holds the assumed shapes.",
        );
      }
      throw error;
    }
  }

  /** One logical request: attempts until success, a final error, or the count or time budget runs out. */
  private async request(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    const secrets = [this.apiKey, ...(options.secrets ?? [])];
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      url.searchParams.set(name, value);
    }
    const started = this.now();
    for (let attempt = 1; ; attempt++) {
      const remaining = this.policy.maxElapsedMs - (this.now() - started);
      // AbortSignal.timeout takes whole milliseconds only.
      const timeoutMs = Math.max(1, Math.floor(Math.min(this.policy.timeoutMs, remaining)));
      const outcome = await this.attempt(method, path, url, options.body, timeoutMs, attempt, secrets);
      if (!("what" in outcome)) {
        return outcome.body;
      }
      const failure: TransientFailure = outcome;
      const elapsed = this.now() - started;
      if (attempt >= this.policy.maxAttempts) {
        throw this.exhausted(method, path, failure, attempt, elapsed, `after ${attempt} attempts`, secrets);
      }
      const wait = failure.retryAfterMs ?? this.backoff(attempt);
      if (elapsed + wait >= this.policy.maxElapsedMs) {
        const why =
          failure.retryAfterMs !== undefined
            ? `Cerby asked to retry after ${seconds(failure.retryAfterMs)}, beyond the ${seconds(this.policy.maxElapsedMs)} budget`
            : `the ${seconds(this.policy.maxElapsedMs)} budget ran out`;
        throw this.exhausted(method, path, failure, attempt, elapsed, `after ${attempt} attempt${attempt === 1 ? "" : "s"}: ${why}`, secrets);
      }
      await this.sleep(wait);
    }
  }

  /** Full jitter: uniform in [0, min(max, base·2^(attempt-1))). */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(this.random() * ceiling);
  }

  private async attempt(
    method: string,
    path: string,
    url: URL,
    body: unknown,
    timeoutMs: number,
    attempt: number,
    secrets: readonly string[],
  ): Promise<{ body: unknown } | TransientFailure> {
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: {
          [API_KEY_HEADER]: this.apiKey,
          Accept: "application/json",
          "User-Agent": USER_AGENT,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // A redirect could carry the API key header to another host; refuse it instead.
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      return isTimeout(error)
        ? { network: "timeout", what: `no answer within ${seconds(timeoutMs)}` }
        : { network: "network", what: networkCode(error) };
    }
    if (response.status >= 300 && response.status < 400) {
      throw protocolError(
        `Cerby answered ${method} ${path} with a redirect (HTTP ${response.status}) to ${maskUrlCredentials(response.headers.get("location") ?? "nowhere")}; ` +
          "the client does not follow redirects so the API key stays with the configured host. Set cerbyApiUrl to the final API URL.",
      );
    }
    const parsed = this.parseJson(text);
    if (response.ok) {
      return parsed === undefined ? { network: "malformed-response", what: "a body that is not JSON" } : { body: parsed };
    }
    const entry = parseErrorBody(parsed);
    // 501 Not Implemented is an answer, not a fault: the endpoint does not exist, and a retry would not change that.
    if (response.status === 429 || (response.status >= 500 && response.status !== 501)) {
      return {
        status: response.status,
        retryAfterMs: response.status === 429 ? retryAfterMs(response.headers.get(RETRY_AFTER_HEADER)) : undefined,
        what: `HTTP ${response.status}`,
        detail: entry?.detail ?? entry?.title,
      };
    }
    const detail = entry?.detail ?? entry?.title;
    throw apiError(redact(this.statusMessage(method, path, response.status, detail), secrets), {
      status: response.status,
      method,
      path,
      attempts: attempt,
      code: entry?.code,
    });
  }

  private parseJson(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  private statusMessage(method: string, path: string, status: number, detail: string | undefined): string {
    const said = detail ? ` Cerby said: ${JSON.stringify(detail)}.` : "";
    const request = `${method} ${this.baseUrl}${path}`;
    switch (status) {
      case 401:
        return (
          `Cerby rejected the API key (HTTP 401 on ${request}): the key has expired, was revoked, or lacks the "vaults" scopes ` +
          '("Read vaults"; creating and changing vaults by API, as cerbyRegistration api does, also needs one to manage them). ' +
          `Ask ${KEY_ADMINS} to generate a new key with those scopes, then run ${SET_API_KEY} (or set CERBY_API_KEY) and retry.` +
          said
        );
      case 403:
        return (
          `Cerby refused ${request} (HTTP 403): the user who created the API key may not manage vaults. Only ${KEY_ADMINS} ` +
          `can; have one of them create the key (or give its user one of those roles), store it with ${SET_API_KEY} and retry.` +
          said
        );
      case 404:
        return (
          `Cerby has nothing at ${request} (HTTP 404): the vault does not exist in this workspace, or the API URL is wrong. ` +
          "Check cerbyWorkspace / cerbyApiUrl, and run `pulumi refresh` if the vault was removed in Cerby." +
          said
        );
      case 409:
        return `Cerby reported a conflict on ${request} (HTTP 409): the workspace already has a vault of this scheme.${said}`;
      default:
        return `Cerby rejected ${request} (HTTP ${status}); the request is not retried because it would fail the same way.${said}`;
    }
  }

  private exhausted(
    method: string,
    path: string,
    failure: TransientFailure,
    attempts: number,
    elapsedMs: number,
    how: string,
    secrets: readonly string[],
  ): Error {
    const request = `${method} ${this.baseUrl}${path}`;
    const spent = `${how}, ${seconds(elapsedMs)}`;
    const said = failure.detail ? ` Cerby said: ${JSON.stringify(failure.detail)}.` : "";
    if (failure.status !== undefined) {
      const advice =
        failure.status === 429
          ? "Cerby is rate-limiting this API key; wait a minute and run the command again, and avoid running several deployments with the same key at once."
          : "Cerby is failing on its side; retry later, and check Cerby's status page or support if it persists.";
      return apiError(redact(`${request} failed with ${failure.what} (${spent}). ${advice}${said}`, secrets), {
        status: failure.status,
        method,
        path,
        attempts,
      });
    }
    const advice =
      failure.network === "malformed-response"
        ? "Something between here and Cerby (a proxy?) is answering instead of the API; check cerbyApiUrl and any proxy settings."
        : `Check that this machine can reach ${new URL(this.baseUrl).host} (firewall, proxy, DNS) and retry.`;
    return networkError(redact(`${request} failed: ${failure.what} (${spent}). ${advice}`, secrets), {
      reason: failure.network ?? "network",
      method,
      path,
      attempts,
    });
  }
}
