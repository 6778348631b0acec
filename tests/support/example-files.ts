import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument, visit, isScalar, isPair } from "yaml";
import { CONFIG_KEYS } from "../../components/config";
import { ROOT } from "./plan-run";

/**
 * The files under examples/ and the checks the tests run on their text. Each check returns what
 * it found wrong (empty when the text is right), so a test can also show it catches a broken copy.
 */

export const EXAMPLES = path.join(ROOT, "examples");

/** Every file under examples/, as paths relative to the project folder, sorted. */
export function exampleFiles(): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
  return walk(EXAMPLES)
    .map((file) => path.relative(ROOT, file).split(path.sep).join("/"))
    .sort();
}

export const readText = (file: string): string => fs.readFileSync(path.join(ROOT, file), "utf8");

/** What the YAML parser refuses in a text. */
export function yamlErrors(text: string): string[] {
  return parseDocument(text).errors.map((error) => error.message);
}

/** The scripts a text runs with `npm run [--silent|-s] <script>`. */
export function npmScriptsCalled(text: string): string[] {
  return [...text.matchAll(/npm run(?:\s+(?:--silent|-s))?\s+([a-z][\w:-]*)/g)].map((match) => match[1]);
}

/** Scripts a text calls that package.json does not have. */
export function missingNpmScripts(text: string): string[] {
  const scripts = (JSON.parse(readText("package.json")) as { scripts: Record<string, string> }).scripts;
  return npmScriptsCalled(text).filter((script) => !Object.hasOwn(scripts, script));
}

/**
 * The config keys a text sets or reads: `pulumi config set|get [--secret] [--path] <key>` (a path's
 * first segment) and `cerby-external-keys:<key>`.
 */
export function configKeysNamed(text: string): string[] {
  const commands = [...text.matchAll(/pulumi config (?:set|get)((?:\s+--(?:secret|path|plaintext))*)\s+'?([A-Za-z]\w*)/g)].map((match) => match[2]);
  const namespaced = [...text.matchAll(/cerby-external-keys:([A-Za-z]\w*)/g)].map((match) => match[1]);
  return [...commands, ...namespaced];
}

/** Config keys a text names that are not keys of this project. */
export function unknownConfigKeys(text: string): string[] {
  return configKeysNamed(text).filter((key) => !Object.hasOwn(CONFIG_KEYS, key));
}

/** Every `uses:` value of a workflow, however it is written. */
export function actionsUsed(text: string): string[] {
  const found: string[] = [];
  visit(parseDocument(text), {
    Pair(_, pair) {
      if (isPair(pair) && isScalar(pair.key) && pair.key.value === "uses" && isScalar(pair.value)) {
        found.push(String(pair.value.value));
      }
    },
  });
  return found;
}

/**
 * Actions not pinned to a full 40-hex commit SHA with their version in a comment on the same line
 * (`uses: owner/repo@<sha> # v1.2.3`). Local actions (./path) need no pin.
 */
export function unpinnedActions(text: string): string[] {
  const lines = text.split("\n").filter((line) => /^\s*(?:-\s+)?uses:/.test(line) && !/uses:\s*["']?\.\//.test(line));
  const unpinned = lines
    .filter((line) => !/uses:\s*[\w.-]+\/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d+\.\d+\.\d+\s*$/.test(line))
    .map((line) => line.replace(/^\s*(?:-\s+)?uses:\s*/, "").replace(/\s*#.*$/, ""));
  const used = actionsUsed(text).filter((action) => !action.startsWith("./"));
  // A `uses:` the line scan cannot see (flow style, or several on a line) cannot be checked.
  return used.length === lines.length ? unpinned : [...unpinned, `${used.length - lines.length} uses: not on a line of its own`];
}

const STORED_CLOUD_CREDENTIAL =
  /AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET|AZURE_CREDENTIALS|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|servicePrincipalKey|^\s*(?:creds|client-secret|aws-access-key-id|aws-secret-access-key):/gm;

/** The secrets a pipeline may read: Pulumi's (the stack's config holds the Cerby API key). */
const ALLOWED_SECRETS = new Set(["PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "GITHUB_TOKEN"]);

/** Stored cloud credentials a pipeline text names, and secrets it reads besides Pulumi's. */
export function storedCredentials(text: string): string[] {
  const cloud = [...text.matchAll(STORED_CLOUD_CREDENTIAL)].map((match) => match[0].trim());
  const secrets = [...text.matchAll(/secrets\.(\w+)/g)].map((match) => match[1]).filter((name) => !ALLOWED_SECRETS.has(name));
  return [...cloud, ...secrets.map((name) => `secrets.${name}`)];
}

interface Workflow {
  on?: unknown;
  permissions?: Record<string, string>;
  jobs: Record<string, { permissions?: Record<string, string>; env?: Record<string, string>; steps?: { uses?: string; run?: string }[] }>;
}

export const parseWorkflow = (text: string): Workflow => parseDocument(text).toJS() as Workflow;

/** Jobs that sign in to a cloud with OIDC but do not ask for `id-token: write`. */
export function jobsWithoutIdToken(text: string): string[] {
  const workflow = parseWorkflow(text);
  return Object.entries(workflow.jobs)
    .filter(([, job]) => {
      const signsIn =
        job.env?.ARM_USE_OIDC !== undefined ||
        (job.steps ?? []).some((step) => /^(azure\/login|aws-actions\/configure-aws-credentials)@/i.test(step.uses ?? ""));
      return signsIn && job.permissions?.["id-token"] !== "write";
    })
    .map(([name]) => name);
}

/** The flags a text passes to the offline plan (`npm run plan ... -- <flags>`). */
export function planFlags(text: string): string[] {
  return [...text.matchAll(/npm run(?:\s+(?:--silent|-s))?\s+plan\b(?:\s+(?:--silent|-s))?\s+--\s+([^\n|>]*)/g)].flatMap((match) =>
    [...match[1].matchAll(/(?:^|\s)(--[a-z-]+)/g)].map((flag) => flag[1]),
  );
}
