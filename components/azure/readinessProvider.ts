/**
 * The DataPlaneReadiness dynamic provider (components/azure/dataPlaneReadiness.ts), shipped as its
 * esbuild bundle. Azure RBAC takes from seconds to many minutes to honour a new role assignment on
 * Key Vault's data plane, so instead of a fixed wait, create polls the vault as the deploying
 * identity until Key Vault stops answering 403, and continues as soon as it does.
 */
import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AzureCliCredential,
  ClientAssertionCredential,
  ClientSecretCredential,
  CredentialUnavailableError,
  ManagedIdentityCredential,
  type TokenCredential,
} from "@azure/identity";
import { KeyClient, type KeyClientOptions } from "@azure/keyvault-keys";
import * as pulumi from "@pulumi/pulumi";
import type { CompleteProvider } from "../bundledProvider";

export interface ReadinessInputs {
  /** The role assignment waited for; a new one waits again. */
  trigger: string;
  /** The vault whose data plane is probed, e.g. https://kv-name.vault.azure.net/. */
  vaultUrl: string;
  /** The key read to probe; it need not exist yet (404 proves access as well as 200). */
  keyName: string;
  /** How long to poll before giving up (config rolePropagationTimeoutMinutes). */
  timeoutSeconds: number;
  /** The fixed wait used instead when the probe cannot sign in as the deployer (config rolePropagationWaitSeconds). */
  fallbackSeconds: number;
}

/** Test seams; the provider host builds the provider without them. */
export interface ReadinessOptions {
  /** Transport of the credential and Key Vault clients; tests route it to a loopback fake. */
  httpClient?: KeyClientOptions["httpClient"];
  /** First delay between polls; it grows by half up to maxDelayMs. Default 1 s. */
  initialDelayMs?: number;
  /** Longest delay between polls, and so the most time lost once access works. Default 10 s. */
  maxDelayMs?: number;
  log?: (message: string) => void;
  /** Environment the ARM_* variables are read from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** How the probe signs in as the deploying identity, or why it cannot. */
export type DeployerSignIn = { credential: TokenCredential; kind: string } | { unsupported: string };

const AZURE_NATIVE = "azure-native";

/** The audience Entra ID expects of a federated token, and azure-native's default. */
const FEDERATION_AUDIENCE = "api://AzureADTokenExchange";

/**
 * Where an OIDC sign-in gets its federated token, in azure-native's order: the token itself, a file
 * holding it, or a request to the CI system's token service (GitHub Actions names its URL and
 * bearer token ACTIONS_ID_TOKEN_REQUEST_*). Undefined when none is configured.
 */
function federatedTokenSource(
  setting: (key: string, ...variables: string[]) => string | undefined,
  get: (key: string) => string | undefined,
  env: NodeJS.ProcessEnv,
): (() => Promise<string>) | undefined {
  const token = setting("oidcToken", "ARM_OIDC_TOKEN");
  if (token) {
    return async () => token;
  }
  const file = setting("oidcTokenFilePath", "ARM_OIDC_TOKEN_FILE_PATH");
  if (file) {
    return async () => {
      try {
        return (await readFile(file, "utf8")).trim();
      } catch (error) {
        throw new CredentialUnavailableError(`the OIDC token file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
      }
    };
  }
  // The bearer token goes to the URL, so both come from one place: a URL in the stack's config
  // never receives the runner's token (GitHub's mints ID tokens for this job).
  const request = [
    [get(`${AZURE_NATIVE}:oidcRequestUrl`), get(`${AZURE_NATIVE}:oidcRequestToken`)],
    [env.ARM_OIDC_REQUEST_URL, env.ARM_OIDC_REQUEST_TOKEN],
    [env.ACTIONS_ID_TOKEN_REQUEST_URL, env.ACTIONS_ID_TOKEN_REQUEST_TOKEN],
  ].find(([url, token]) => url && token);
  return request ? () => requestFederatedToken(request[0]!, request[1]!) : undefined;
}

/** Asks the CI system's token service for a federated token; errors never carry the bearer token. */
async function requestFederatedToken(requestUrl: string, requestToken: string): Promise<string> {
  const url = new URL(requestUrl);
  // The bearer token mints tokens for this job: it never travels in the clear beyond this machine.
  if (url.protocol !== "https:" && !["127.0.0.1", "[::1]", "localhost"].includes(url.hostname)) {
    throw new CredentialUnavailableError(`the OIDC token request URL of ${url.host} is not https`);
  }
  url.searchParams.set("audience", FEDERATION_AUDIENCE);
  let answer: Response;
  try {
    answer = await fetch(url, { headers: { Authorization: `Bearer ${requestToken}`, Accept: "application/json" }, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new CredentialUnavailableError(`the OIDC token service at ${url.host} cannot be reached (${(error as Error).name})`);
  }
  const body = (await answer.json().catch(() => undefined)) as { value?: unknown } | undefined;
  if (!answer.ok || typeof body?.value !== "string" || body.value === "") {
    throw new CredentialUnavailableError(`the OIDC token service at ${url.host} answered ${answer.status} without a token`);
  }
  return body.value;
}

/**
 * The credential azure-native itself would use, from its provider config or the ARM_* variables
 * (config first, as azure-native reads them): a client secret, OIDC federation, a managed identity,
 * or the Azure CLI login. Client certificates are not supported here; the caller then falls back to
 * the fixed wait.
 */
export function deployerSignIn(get: (key: string) => string | undefined, env: NodeJS.ProcessEnv, httpClient?: KeyClientOptions["httpClient"]): DeployerSignIn {
  const setting = (key: string, ...variables: string[]) => get(`${AZURE_NATIVE}:${key}`) || variables.map((name) => env[name]).find(Boolean) || undefined;
  const clientId = setting("clientId", "ARM_CLIENT_ID");
  const tenantId = setting("tenantId", "ARM_TENANT_ID");
  const clientSecret = setting("clientSecret", "ARM_CLIENT_SECRET");
  if (setting("clientCertificatePath", "ARM_CLIENT_CERTIFICATE_PATH")) {
    return { unsupported: "azure-native signs in with a client certificate, which this probe does not support" };
  }
  if (setting("useOidc", "ARM_USE_OIDC") === "true") {
    const federatedToken = federatedTokenSource(setting, get, env);
    if (!clientId || !tenantId || !federatedToken) {
      return { unsupported: "OIDC is on but the client ID, the tenant ID or a token source (ARM_OIDC_TOKEN, ARM_OIDC_TOKEN_FILE_PATH or a token request URL) is missing" };
    }
    return { credential: new ClientAssertionCredential(tenantId, clientId, federatedToken, { httpClient }), kind: `federated identity ${clientId} (OIDC)` };
  }
  if (clientId && clientSecret) {
    if (!tenantId) {
      return { unsupported: "a client secret is configured without a tenant ID (ARM_TENANT_ID)" };
    }
    return { credential: new ClientSecretCredential(tenantId, clientId, clientSecret, { httpClient }), kind: `service principal ${clientId}` };
  }
  if (setting("useMsi", "ARM_USE_MSI") === "true") {
    const credential = clientId ? new ManagedIdentityCredential({ clientId, httpClient }) : new ManagedIdentityCredential({ httpClient });
    return { credential, kind: clientId ? `managed identity ${clientId}` : "the system-assigned managed identity" };
  }
  return { credential: new AzureCliCredential(tenantId ? { tenantId } : {}), kind: "the Azure CLI login" };
}

/** Signing in failed before Key Vault could judge the identity: the probe cannot tell anything. */
function isSignInFailure(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return ["CredentialUnavailableError", "AuthenticationError", "AuthenticationRequiredError", "AggregateAuthenticationError"].includes(String(name));
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export class SignInUnavailable extends Error {
  override name = "SignInUnavailable";
}

/**
 * Polls `keyName` in `vaultUrl` until Key Vault answers anything but 403 (200 or 404: the grant
 * works), with delays growing from initialDelayMs to maxDelayMs, for at most timeoutMs. Returns the
 * number of polls. Throws SignInUnavailable when the first sign-in fails, and a message naming the
 * vault and what to do when access never comes.
 */
export async function waitForDataPlaneAccess(
  target: Pick<ReadinessInputs, "vaultUrl" | "keyName" | "trigger">,
  credential: TokenCredential,
  timeoutMs: number,
  options: ReadinessOptions = {},
): Promise<number> {
  const log = options.log ?? (() => undefined);
  const client = new KeyClient(target.vaultUrl, credential, { httpClient: options.httpClient, retryOptions: { maxRetries: 0 } });
  const started = performance.now();
  let delay = options.initialDelayMs ?? 1000;
  let signedIn = false;
  // Key Vault's last real answer: the final poll may be cut short by the bound and answer nothing.
  let lastAnswer: number | undefined;
  for (let attempt = 1; ; attempt += 1) {
    const remaining = timeoutMs - (performance.now() - started);
    let status: number | undefined;
    try {
      await client.getKey(target.keyName, { abortSignal: AbortSignal.timeout(Math.max(Math.ceil(remaining), 1)) });
      status = 200;
    } catch (error) {
      if (isSignInFailure(error) && !signedIn) {
        throw new SignInUnavailable(error instanceof Error ? error.message.split("\n")[0] : String(error));
      }
      status = statusOf(error);
      if (status !== 403 && status !== 404) {
        log(`Readiness poll ${attempt} of ${target.vaultUrl} failed (${error instanceof Error ? error.message.split("\n")[0] : String(error)}); trying again.`);
      }
    }
    signedIn ||= status !== undefined;
    lastAnswer = status ?? lastAnswer;
    const elapsed = performance.now() - started;
    if (status === 200 || status === 404) {
      log(`The deploying identity can use ${target.vaultUrl} (poll ${attempt}, after ${seconds(elapsed)}); continuing.`);
      return attempt;
    }
    if (elapsed + delay > timeoutMs) {
      throw new Error(
        `The deploying identity still cannot use Key Vault ${target.vaultUrl} after ${attempt} polls over ${seconds(elapsed)}` +
          `${lastAnswer === 403 ? " (Key Vault answers 403 Forbidden)" : ""}: role assignment ${target.trigger} has not taken effect. ` +
          "Azure RBAC usually takes effect within minutes; run `pulumi up` again to continue, or raise rolePropagationTimeoutMinutes. " +
          "If it persists, check that the assignment exists (`az role assignment list --assignee <your object ID> --scope <vault ID>`) " +
          "and that the vault's firewall admits this machine.",
      );
    }
    if (status === 403) {
      log(`Key Vault ${target.vaultUrl} still answers 403 to the deploying identity (poll ${attempt}, ${seconds(elapsed)}): the role assignment is propagating; next poll in ${seconds(delay)}.`);
    }
    await sleep(delay);
    delay = Math.min(Math.round(delay * 1.5), options.maxDelayMs ?? 10_000);
  }
}

export class DataPlaneReadinessProvider implements CompleteProvider {
  private get: (key: string) => string | undefined = () => undefined;

  constructor(private readonly options: ReadinessOptions = {}) {}

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    this.get = (key) => req.config.get(key);
  }

  async check(_olds: unknown, news: ReadinessInputs): Promise<pulumi.dynamic.CheckResult> {
    return { inputs: news };
  }

  async diff(_id: string, olds: Partial<ReadinessInputs>, news: ReadinessInputs): Promise<pulumi.dynamic.DiffResult> {
    const changed = olds.trigger !== news.trigger;
    return { changes: changed, replaces: changed ? ["trigger"] : [] };
  }

  async create(inputs: ReadinessInputs): Promise<pulumi.dynamic.CreateResult<ReadinessInputs>> {
    const log = this.options.log ?? ((message: string) => void pulumi.log.info(message));
    const signIn = deployerSignIn(this.get, this.options.env ?? process.env, this.options.httpClient);
    const id = `deployer-access-${inputs.trigger.split("/").pop()}`;
    const fallback = async (reason: string) => {
      log(`Cannot probe ${inputs.vaultUrl} as the deploying identity (${reason}); waiting the fixed ${inputs.fallbackSeconds} s of rolePropagationWaitSeconds instead.`);
      await sleep(inputs.fallbackSeconds * 1000);
    };
    if ("unsupported" in signIn) {
      await fallback(signIn.unsupported);
      return { id, outs: inputs };
    }
    log(`Waiting until ${signIn.kind} can use ${inputs.vaultUrl} (role assignment ${inputs.trigger}), for at most ${inputs.timeoutSeconds} s.`);
    try {
      await waitForDataPlaneAccess(inputs, signIn.credential, inputs.timeoutSeconds * 1000, { ...this.options, log });
    } catch (error) {
      if (!(error instanceof SignInUnavailable)) {
        throw error;
      }
      await fallback(`signing in as ${signIn.kind} failed: ${error.message}`);
    }
    return { id, outs: inputs };
  }

  async read(id: string, props: ReadinessInputs): Promise<pulumi.dynamic.ReadResult<ReadinessInputs>> {
    return { id, props };
  }

  async update(_id: string, _olds: ReadinessInputs, news: ReadinessInputs): Promise<pulumi.dynamic.UpdateResult<ReadinessInputs>> {
    return { outs: news };
  }

  async delete(): Promise<void> {}
}
