/**
 * Plain validation functions shared by the stack config, the Cerby provider's `check` and the
 * offline tools. Each returns `undefined` when the value is acceptable, otherwise a sentence that
 * says what is allowed. Callers add the config key or property name.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkGuid(value: string): string | undefined {
  return GUID.test(value) ? undefined : "must be a GUID such as 00000000-0000-0000-0000-000000000000";
}

/** How many characters of a value a message shows; a longer value would flood the terminal. */
export const ECHO_LIMIT = 80;

/** user:password@host written without a scheme, which maskUrlCredentials leaves alone. */
function maskBareCredentials(text: string): string {
  return text.replace(/\S+/g, (word) => {
    const at = word.lastIndexOf("@");
    return at > 0 && !word.includes("://") && word.slice(0, at).includes(":") ? `***${word.slice(at)}` : word;
  });
}

/**
 * A value as a message may show it: quoted (control characters escaped), credentials inside a URL
 * masked, and at most ECHO_LIMIT characters followed by its full length. Every config message
 * shows values only through this.
 */
export function echoValue(value: string): string {
  const characters = [...maskBareCredentials(maskUrlCredentials(value))];
  if (characters.length <= ECHO_LIMIT) {
    return JSON.stringify(characters.join(""));
  }
  return `${JSON.stringify(characters.slice(0, ECHO_LIMIT).join(""))}… (${[...value].length} characters)`;
}

/** An ID of zeros only, as example files carry it: never a real tenant, subscription or account. */
export function checkNotPlaceholder(value: string): string | undefined {
  return /^[0-]+$/.test(value) ? "is all zeros, a placeholder; use your own ID" : undefined;
}

/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The candidate a misspelt name most likely meant: same letters in another case, or at most 2 edits away. */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    // Names whose lengths differ by more than 2 cannot be within 2 edits; skipping them keeps a
    // huge key from costing length × candidates work.
    if (Math.abs(lower.length - candidate.length) > 2) {
      continue;
    }
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) {
      best = { name: candidate, distance };
    }
  }
  return best?.name;
}

/** A resource group name: 1–90 letters or digits of any script, _ - . ( ), not ending in a period. */
export function checkResourceGroupName(value: string): string | undefined {
  return /^[\p{L}\p{N}_\-.()]{1,90}$/u.test(value) && !value.endsWith(".")
    ? undefined
    : "must be 1–90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period";
}

/**
 * Ciphertext as `pulumi config set --secret` writes it: v1:<nonce>:<ciphertext> (passphrase and
 * Pulumi Cloud secrets providers) or one base64 text (cloud KMS secrets providers).
 */
export function isPulumiCiphertext(value: unknown): boolean {
  const base64 = "(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?";
  return (
    typeof value === "string" &&
    (new RegExp(`^v1:${base64}:${base64}$`).test(value) || (value.length >= 24 && new RegExp(`^${base64}$`).test(value)))
  );
}

/** Azure Key Vault names: 3–24 characters, letters, digits and hyphens, no "--". */
export function checkKeyVaultName(value: string): string | undefined {
  if (value.length < 3 || value.length > 24) {
    return `is ${value.length} characters; a Key Vault name must be 3–24 characters`;
  }
  if (!/^[A-Za-z0-9-]+$/.test(value)) {
    return "may contain only letters, digits and hyphens";
  }
  if (!/^[A-Za-z]/.test(value)) {
    return "must start with a letter";
  }
  if (!/[A-Za-z0-9]$/.test(value)) {
    return "must end with a letter or a digit";
  }
  if (value.includes("--")) {
    return 'must not contain two hyphens in a row ("--")';
  }
  return undefined;
}

/** Key Vault key names: 1–127 letters, digits and hyphens. */
export function checkKeyName(value: string): string | undefined {
  if (value.length < 1 || value.length > 127) {
    return `is ${value.length} characters; a key name must be 1–127 characters`;
  }
  return /^[A-Za-z0-9-]+$/.test(value) ? undefined : "may contain only letters, digits and hyphens";
}

/** A DNS label, as used for the Cerby workspace subdomain. */
export function checkDnsLabel(value: string): string | undefined {
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(value)
    ? undefined
    : "must be the workspace's subdomain: 1–63 lowercase letters, digits and inner hyphens (the \"acme\" of acme.cerby.com)";
}

const LOOPBACK_HOSTS = ["localhost", "[::1]"];

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.includes(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** One Cerby workspace host: https://<label>.cerby.com, nothing under another domain. */
const CERBY_HOST = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.cerby\.com$/;
/** The paths a Cerby base URL may have: none, or the API root. */
const CERBY_API_PATHS = ["", "/", "/api/v1", "/api/v1/"];
const API_URL_FORMS =
  "https://<workspace>.cerby.com (optionally with /api/v1), or http:// on a loopback address (127.0.0.1, localhost, [::1]) for an emulator";

/** The same text with the user info of every URL in it (`https://user:pass@…`) shown as `***`. */
export function maskUrlCredentials(text: string): string {
  // A scan from each "://" rather than a regular expression: a pattern for the scheme backtracks
  // quadratically over a long value (a 1 MiB config value took minutes). The user info runs up to
  // the authority's last "@", as URL parsers read it: a password may hold an "@".
  let masked = "";
  let copied = 0;
  for (let marker = text.indexOf("://"); marker !== -1; marker = text.indexOf("://", marker)) {
    const authority = marker + 3;
    let end = authority;
    while (end < text.length && !/[\s/?#"]/.test(text[end])) {
      end++;
    }
    const at = text.lastIndexOf("@", end - 1);
    if (at >= authority) {
      masked += `${text.slice(copied, authority)}***`;
      copied = at;
    }
    marker = Math.max(end, authority);
  }
  return masked + text.slice(copied);
}

/**
 * The one rule for a Cerby API base URL, wherever one comes from (stack config, the resource's
 * inputs, CERBY_API_URL where a test or verify opts in): the API key is only ever sent to Cerby's
 * own host, or to an emulator on this machine. No user info, query, fragment or explicit port on
 * Cerby's host. The reason never quotes the URL.
 */
export function checkCerbyApiUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a URL; expected ${API_URL_FORMS}`;
  }
  if (url.username || url.password) {
    return "must not carry user info (user:password@); the API key is read from cerbyApiKey or CERBY_API_KEY";
  }
  if (url.search || url.hash || /[?#]/.test(value)) {
    return `must not have a query or a fragment; expected ${API_URL_FORMS}`;
  }
  if (isLoopbackHost(url.hostname) && (url.protocol === "http:" || url.protocol === "https:")) {
    return undefined;
  }
  if (url.protocol === "https:" && CERBY_HOST.test(url.hostname) && url.port === "" && CERBY_API_PATHS.includes(url.pathname)) {
    return undefined;
  }
  return `is not a Cerby API URL: the API key and client secrets are sent only to ${API_URL_FORMS}`;
}

/**
 * The full base URL a valid Cerby API URL stands for: Cerby's host gets its API root
 * (https://acme.cerby.com → https://acme.cerby.com/api/v1), trailing slashes go. Undefined when
 * the value breaks the rule.
 */
export function normalizeCerbyApiUrl(value: string): string | undefined {
  if (checkCerbyApiUrl(value) !== undefined) {
    return undefined;
  }
  const url = new URL(value);
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${url.host}${CERBY_HOST.test(url.hostname) ? "/api/v1" : path}`;
}

/** The workspace whose Cerby host a URL names ("acme" for https://acme.cerby.com/…); undefined for any other host. */
export function cerbyUrlWorkspace(value: string): string | undefined {
  let hostname: string;
  try {
    hostname = new URL(value).hostname;
  } catch {
    return undefined;
  }
  return CERBY_HOST.test(hostname) ? hostname.slice(0, -".cerby.com".length) : undefined;
}

/**
 * A Cerby host belongs to one workspace (acme.cerby.com is "acme"'s): another customer's workspace,
 * or another cerby.com host (status, docs, marketing), is not where this stack's API key and client
 * secret may go. Loopback emulators carry no workspace and pass.
 */
export function checkCerbyApiUrlWorkspace(value: string, workspace: string): string | undefined {
  const owner = cerbyUrlWorkspace(value);
  if (owner === undefined || owner === workspace) {
    return undefined;
  }
  return (
    `is not workspace ${JSON.stringify(workspace)}'s host (${workspace}.cerby.com): the API key and client secret go only to ` +
    "this stack's own workspace; remove cerbyApiUrl, or correct cerbyWorkspace"
  );
}

/** The Cerby API base URL of a workspace. */
export function workspaceApiUrl(workspace: string): string {
  return `https://${workspace}.cerby.com/api/v1`;
}

/** The versionless or versioned URL of a Key Vault, e.g. https://kv-name.vault.azure.net/. */
export function checkVaultUrl(value: string): string | undefined {
  return /^https:\/\/[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)\/?$/.test(
    value,
  )
    ? undefined
    : "must be a Key Vault URL such as https://my-vault.vault.azure.net/";
}

/** An IPv4 address or CIDR range, as Key Vault network rules accept. */
export function checkIpRange(value: string): string | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(value);
  if (!match) {
    return "must be an IPv4 address or CIDR range such as 203.0.113.0/24";
  }
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((octet) => octet > 255)) {
    return "has an octet above 255";
  }
  if (match[5] !== undefined && Number(match[5]) > 32) {
    return "has a prefix length above 32";
  }
  return undefined;
}

/** A calendar date written YYYY-MM-DD that exists. */
export function checkIsoDate(value: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) {
    return "must be a date written YYYY-MM-DD, such as 2026-11-28";
  }
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return "is not a calendar date";
  }
  return undefined;
}

/** An IAM role ARN in any AWS partition. */
export function checkIamRoleArn(value: string): string | undefined {
  return /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/.test(value)
    ? undefined
    : "must be an IAM role ARN such as arn:aws:iam::123456789012:role/name";
}

/** A 12-digit AWS account ID. */
export function checkAwsAccountId(value: string): string | undefined {
  if (/^\d{1,11}$/.test(value)) {
    // YAML reads an unquoted 012345678901 as a number and drops its leading zero.
    return (
      `has ${value.length} digits, but an AWS account ID has 12; if yours starts with 0, quote it in the stack file ` +
      '("012345678901") or set it with `pulumi config set awsAccountId 012345678901`'
    );
  }
  return /^\d{12}$/.test(value) ? undefined : "must be a 12-digit AWS account ID";
}

/** A KMS key ID (a GUID, or a multi-Region key ID mrk-<32 hex>) or a key ARN. */
export function checkKmsKeyId(value: string): string | undefined {
  const keyId = /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
  const keyArn = /^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$/;
  return keyId.test(value) || keyArn.test(value)
    ? undefined
    : "must be a KMS key ID (a GUID or mrk-…) or a KMS key ARN";
}

/** An AWS Region code such as us-east-2 or us-gov-west-1, that the AWS provider knows. */
export function checkAwsRegion(value: string): string | undefined {
  if (!/^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/.test(value)) {
    return "must be an AWS Region code such as us-east-2";
  }
  // Required here, not at the top: the Cerby provider's bundle imports this module and never needs it.
  const { Region } = require("@pulumi/aws/types/enums") as typeof import("@pulumi/aws/types/enums");
  return (Object.values(Region) as string[]).includes(value)
    ? undefined
    : "is not an AWS Region the AWS provider knows; check its spelling against the AWS Regions list (e.g. us-east-2, eu-west-1)";
}

/** The AWS partition a Region belongs to: a key and its replicas must share one. */
export function awsPartition(region: string): string {
  const partitions: Array<[string, string]> = [
    ["cn-", "aws-cn"],
    ["us-gov-", "aws-us-gov"],
    ["us-iso-", "aws-iso"],
    ["us-isob-", "aws-iso-b"],
    ["eu-isoe-", "aws-iso-e"],
    ["us-isof-", "aws-iso-f"],
    ["eusc-", "aws-eusc"],
  ];
  return partitions.find(([prefix]) => region.startsWith(prefix))?.[1] ?? "aws";
}

/**
 * A Cerby workspace ID, which Cerby sends as the sts:ExternalId when it assumes the IAM role. It
 * is a UUID; the nil UUID is a placeholder, never a real workspace.
 */
export function checkCerbyWorkspaceId(value: string): string | undefined {
  if (checkGuid(value) !== undefined) {
    return (
      "must be the Cerby workspace ID, a UUID such as 123e4567-e89b-42d3-a456-426614174000 (not the workspace's subdomain): " +
      "Cerby presents it as the sts:ExternalId when it assumes the IAM role, so any other value locks Cerby out of the key"
    );
  }
  return /^[0-]+$/.test(value) ? "is the nil UUID, a placeholder; use your Cerby workspace's ID" : undefined;
}

/** A KMS alias name: "alias/" and 1–250 letters, digits, slashes, underscores or hyphens; alias/aws/ is AWS's own. */
export function checkKmsAliasName(value: string): string | undefined {
  if (!/^alias\/[A-Za-z0-9/_-]{1,250}$/.test(value)) {
    return "must be alias/ followed by 1–250 letters, digits, slashes, underscores or hyphens, such as alias/cerby-external-keys";
  }
  return value.startsWith("alias/aws/") ? "is in alias/aws/, which AWS reserves for its own keys" : undefined;
}

/** An IAM role name: 1–64 letters, digits and + = , . @ _ -. */
export function checkIamRoleName(value: string): string | undefined {
  return /^[\w+=,.@-]{1,64}$/.test(value) ? undefined : "must be 1–64 letters, digits or + = , . @ _ - characters";
}

/** A Cerby vault's display name: 1–100 characters, not only spaces. */
export function checkCerbyVaultName(value: string): string | undefined {
  return value.trim().length === 0 || value.length > 100 ? "must be 1–100 characters, not only spaces" : undefined;
}

/** The account ID inside an IAM or KMS ARN, if the value is such an ARN. */
export function arnAccountId(value: string): string | undefined {
  return /^arn:aws(?:-[a-z]+)*:(?:iam|kms):[a-z0-9-]*:(\d{12}):/.exec(value)?.[1];
}

/** The ARM ID of a Log Analytics workspace. */
export function checkLogAnalyticsWorkspaceId(value: string): string | undefined {
  return /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.OperationalInsights\/workspaces\/[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/i.test(
    value,
  )
    ? undefined
    : "must be the ARM ID of a Log Analytics workspace: /subscriptions/<GUID>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name>";
}

/** An email address an alert can go to: one @, a dotted domain, no spaces. */
export function checkAlertEmail(value: string): string | undefined {
  return /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/.test(value) && value.length <= 254
    ? undefined
    : "must be one email address such as security@example.com";
}

/**
 * An alert webhook: https only, since the URL usually carries a token. A value that is not a URL
 * at all is left to Azure to reject, because the offline plan only ever sees a placeholder for it.
 */
export function checkWebhookUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return url.protocol === "https:" ? undefined : "must be an https:// URL: a webhook URL usually carries a token, which plain http would expose";
}
