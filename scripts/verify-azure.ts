/**
 * The Azure half of `npm run verify`. With the service principal's client secret in the outputs
 * (exportClientSecret, or existingClientSecret after an adoption), the preflight runs again as that
 * principal: sign-in, the key's properties, and wrap/unwrap and encrypt/decrypt in Key Vault. Without
 * it, the key's existence, enabled state, type, size, dates and operations are still read, as the
 * identity running verify (DefaultAzureCredential: `az login`, or the pipeline's Azure login), which
 * needs only the read-only Key Vault Reader role on the vault; what only the service principal can
 * prove is then reported as not proved, never as a pass.
 */
import type { TokenCredential } from "@azure/identity";
import { KeyClient } from "@azure/keyvault-keys";
import {
  AZURE_CHECK_ORDER,
  checkKeyProperties,
  isPreflightError,
  preflightAzureKey,
  type AzureCheck,
  type AzureCheckName,
  type PreflightOptions,
} from "../components/azure/preflight";
import { errorText, missingOutputs, text, type Outputs, MASKED } from "./verify-outputs";
import { fail, notProved, pass, type CheckLine } from "./verify-report";

export interface AzureVerifyEnvironment {
  now: Date;
  /** Transport and time bound for the Azure checks. */
  azure: Pick<PreflightOptions, "httpClient" | "timeoutMs" | "initialBackoffMs" | "log">;
  /** The identity running verify; it reads the key when the service principal's secret is not in the outputs. */
  azureCredential: TokenCredential;
}

/**
 * Key Vault Reader: read-only, and its data actions (Microsoft.KeyVault/vaults/* /read) include
 * keys/read, which returns the key's attributes, permitted operations and public half.
 */
export const KEY_VAULT_READER = { name: "Key Vault Reader", id: "21090545-7ca7-4776-b22c-e363652d74d2" };

/** The shared Azure checks speak of verify here, not of the deploy's preflight and its settings. */
const VERIFY_WORDS = {
  label: "Azure checks",
  unreachableAdvice: "run npm run verify from a machine that can reach Entra ID and the vault",
} satisfies Pick<PreflightOptions, "label" | "unreachableAdvice">;

/** clientSecret is exported only with exportClientSecret; without it the service-principal checks are not proved. */
export const AZURE_OUTPUTS = ["tenantId", "clientId", "clientSecret", "keyVaultUri", "keyName", "clientSecretExpiresAt", "cerbyVaultId"];
/** Outputs a stack that adopted a setup made by hand may lack: it did not create the secret Cerby holds. */
const ADOPTED_MAY_LACK = ["clientSecret", "clientSecretExpiresAt"];

/** What only the service principal itself can prove: that it signs in and that its role grants the key operations. */
const SERVICE_PRINCIPAL_ONLY: AzureCheckName[] = ["sign-in", "wrap-unwrap", "encrypt-decrypt"];
const KEY_PROPERTIES: AzureCheckName[] = ["key-type", "key-size", "key-enabled", "key-dates", "key-operations"];

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * The client secret check fails this many days before the end date, so that a scheduled run of
 * verify (docs/security.md, "Audit and alerts") alerts while there is time to rotate.
 */
export const SECRET_FAIL_DAYS = 30;
const ROTATE = "rotate it: set a new clientSecretStartDate and run pulumi up, which also gives Cerby the new secret";
const READER_HINT = `the identity running verify needs the read-only ${KEY_VAULT_READER.name} role (${KEY_VAULT_READER.id}) on the vault`;

function secretExpiry(value: string, now: Date): CheckLine {
  const check = "azure.client-secret-expiry";
  const expires = new Date(value);
  if (Number.isNaN(expires.getTime())) {
    return fail(check, `clientSecretExpiresAt ${JSON.stringify(value)} is not a date`);
  }
  const day = expires.toISOString().slice(0, 10);
  const days = Math.floor((expires.getTime() - now.getTime()) / DAY_MS);
  if (expires.getTime() <= now.getTime()) {
    return fail(check, `the client secret expired on ${day}; Cerby can no longer reach the key: ${ROTATE}`);
  }
  if (days < SECRET_FAIL_DAYS) {
    return fail(check, `the client secret expires in ${days} day${days === 1 ? "" : "s"}, on ${day} (less than ${SECRET_FAIL_DAYS}): ${ROTATE}`);
  }
  return pass(check, `the client secret expires in ${days} days, on ${day}`);
}

function firstLine(message: string): string {
  return (message.split(/\r?\n/).find((line) => line.trim() !== "") ?? message).trim();
}

const SIGN_IN_FAILURES = ["CredentialUnavailableError", "AuthenticationError", "AuthenticationRequiredError", "AggregateAuthenticationError"];

/** Why the identity running verify could not read the key: a missing key fails, anything else leaves it unproved. */
function readFailure(error: unknown, vaultUrl: string, keyName: string): CheckLine {
  const check = "azure.key-read";
  const { name, statusCode } = (error ?? {}) as { name?: unknown; statusCode?: unknown };
  const said = firstLine(errorText(error));
  if (SIGN_IN_FAILURES.includes(String(name))) {
    return notProved(check, `no Azure sign-in to read the key with (${said}): sign in (az login, or the pipeline's Azure login); ${READER_HINT}`);
  }
  if (statusCode === 404) {
    // Key Vault authorizes before it looks, so a 404 means the reader may read and the key is not there.
    return fail(
      check,
      `Key Vault has no key "${keyName}" in ${vaultUrl}: it was deleted (az keyvault key recover --vault-name <keyVaultName> --name ${keyName} while it is soft-deleted), or the keyName output is wrong`,
    );
  }
  if (statusCode === 403) {
    return notProved(check, `Key Vault refused the identity running verify (403: ${said}): ${READER_HINT}`);
  }
  if (statusCode === 401) {
    return notProved(check, `Key Vault did not accept the token of the identity running verify (401: ${said}): sign in to the vault's tenant`);
  }
  return notProved(check, `could not read the key as the identity running verify: ${said}; ${VERIFY_WORDS.unreachableAdvice}`);
}

/** The key's existence and properties, read as the identity running verify. */
async function readAsRunner(vaultUrl: string, keyName: string, env: AzureVerifyEnvironment): Promise<CheckLine[]> {
  const client = new KeyClient(vaultUrl, env.azureCredential, { httpClient: env.azure.httpClient });
  const asRunner = "as the identity running verify";
  try {
    const key = await client.getKey(keyName, { abortSignal: AbortSignal.timeout(env.azure.timeoutMs ?? 60_000) });
    const properties = checkKeyProperties(key, env.now).map((check) =>
      check.ok ? pass(`azure.${check.name}`, `${check.detail} (read ${asRunner})`) : fail(`azure.${check.name}`, `${check.detail}; likely cause: ${check.cause}`),
    );
    return [pass("azure.key-read", `read ${key.id ?? keyName} ${asRunner}`), ...properties];
  } catch (error) {
    const failure = readFailure(error, vaultUrl, keyName);
    return [failure, ...KEY_PROPERTIES.map((name) => notProved(`azure.${name}`, "not checked: the key could not be read (see azure.key-read)"))];
  }
}

/** The preflight as the service principal; the checks it did not reach, after one failed, are not proved. */
async function proveAsServicePrincipal(outputs: { tenantId: string; clientId: string; clientSecret: string; vaultUrl: string; keyName: string }, env: AzureVerifyEnvironment): Promise<CheckLine[]> {
  const asLine = (check: AzureCheck) =>
    check.ok ? pass(`azure.${check.name}`, check.detail) : fail(`azure.${check.name}`, `${check.detail}; likely cause: ${check.cause}`);
  let checks: AzureCheck[];
  try {
    checks = (await preflightAzureKey(outputs, { ...env.azure, now: env.now, ...VERIFY_WORDS })).checks;
  } catch (error) {
    if (!isPreflightError(error)) {
      return [fail("azure.preflight", errorText(error))];
    }
    checks = error.checks;
  }
  const failed = checks.find((check) => !check.ok);
  const unreached = AZURE_CHECK_ORDER.filter((name) => !checks.some((check) => check.name === name));
  return [
    ...checks.map(asLine),
    ...(failed ? unreached.map((name) => notProved(`azure.${name}`, `not run: azure.${failed.name} failed first`)) : []),
  ];
}

export async function azureChecks(outputs: Outputs, env: AzureVerifyEnvironment): Promise<CheckLine[]> {
  const adopted = outputs.adoptedExisting === true;
  // A masked secret is an output that is there but unreadable: fail with the --show-secrets hint.
  const required = AZURE_OUTPUTS.filter(
    (name) => (name !== "clientSecret" || outputs.clientSecret !== undefined) && (!adopted || !ADOPTED_MAY_LACK.includes(name) || outputs[name] === MASKED),
  );
  const lines = missingOutputs("azure.outputs", outputs, required);
  const expiresAt = text(outputs, "clientSecretExpiresAt");
  if (expiresAt !== undefined) {
    lines.push(secretExpiry(expiresAt, env.now));
  } else if (adopted) {
    lines.push(
      notProved(
        "azure.client-secret-expiry",
        "the stack adopted a setup made by hand and did not create the client secret Cerby holds, so it does not know its end date; `az ad app credential list --id <clientId>` shows it",
      ),
    );
  }
  // A stack from before the output existed cannot tell: no line then.
  if (outputs.cerbyClientSecretConfirmed === false) {
    lines.push(
      fail(
        "azure.clientSecretConfirmed",
        "a rotated client secret is not confirmed to be in Cerby, which still uses the previous one: paste the new secret into Cerby " +
          "as the last pulumi up printed, set cerbyClientSecretConfirmedStartDate to clientSecretStartDate and run pulumi up; " +
          "do not revoke the previous secret before this check passes",
      ),
    );
  } else if (outputs.cerbyClientSecretConfirmed === true) {
    lines.push(pass("azure.clientSecretConfirmed", "Cerby holds the stack's current client secret (by API, or confirmed after a guided rotation)"));
  }
  const tenantId = text(outputs, "tenantId");
  const clientId = text(outputs, "clientId");
  const clientSecret = text(outputs, "clientSecret");
  const vaultUrl = text(outputs, "keyVaultUri");
  const keyName = text(outputs, "keyName");
  if (!tenantId || !clientId || !vaultUrl || !keyName) {
    return lines;
  }
  if (clientSecret) {
    lines.push(...(await proveAsServicePrincipal({ tenantId, clientId, clientSecret, vaultUrl, keyName }, env)));
    return lines;
  }
  if (outputs.clientSecret !== undefined && outputs.clientSecret !== null) {
    // Masked or empty: azure.outputs already fails and says how to pass it.
    return lines;
  }
  const why = adopted
    ? "the stack adopted a setup made by hand and holds no client secret; `pulumi config set --secret existingClientSecret` (the secret Cerby holds) with exportClientSecret true, `pulumi up`, then run verify again"
    : "the stack does not export clientSecret (exportClientSecret is false); for this proof set exportClientSecret to true, run pulumi up, and pass the outputs with --show-secrets";
  const [signIn, ...roundTrips] = SERVICE_PRINCIPAL_ONLY;
  lines.push(
    ...(await readAsRunner(vaultUrl, keyName, env)),
    notProved(`azure.${signIn}`, `not run as application ${clientId}, the service principal Cerby signs in as: ${why}`),
    ...roundTrips.map((name) => notProved(`azure.${name}`, `not run: only the service principal can prove its role grants it: ${why}`)),
  );
  return lines;
}
