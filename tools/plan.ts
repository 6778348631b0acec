import * as fs from "node:fs";
import * as path from "node:path";
import { LineCounter, isMap as isYamlMap, isScalar, parseDocument, visit } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { checkConfig, type ConfigProblem } from "../components/config";
import { echoValue, isPulumiCiphertext, nearestName } from "../components/validation";
import {
  UNKNOWN,
  isSecretValue,
  isUnknownValue,
  runUnderMocks,
  type MockCloud,
  type PlainValue,
  type RecordedResource,
} from "./mock-runtime";

/**
 * The offline plan (`npm run plan`): reads a stack's config the way the Pulumi CLI does (the stack
 * file over the project's defaults), validates it with the project's own config module, runs the
 * real program under the mock runtime as a preview, and describes every resource it declares.
 * Nothing here can decrypt a secret: `secure:` values become the placeholder below.
 */

/** How the plan prints a value that only a deployment can know. */
export const UNKNOWN_TEXT = "(known after deploy)";
/** How the plan prints every secret; also the stand-in value of every `secure:` config value. */
export const SECRET_TEXT = "[secret]";

/** The input a dynamic resource carries its serialized provider (code text) in. */
const PROVIDER_INPUT = "__provider";

/** A file the plan could not read or parse; the message names the file and, when known, the line. */
export class PlanFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanFileError";
  }
}

/** What Pulumi.yaml says about one config key. */
interface DeclaredKey {
  secret: boolean;
  /** The default as Pulumi passes it to the program (a string; arrays and maps as JSON text). */
  default?: string;
}

export interface Project {
  name: string;
  /** Keys declared in Pulumi.yaml's config block, fully qualified (`project:key`). */
  declared: Map<string, DeclaredKey>;
}

/** A stack's config as the program would receive it, and what the offline plan found wrong or odd. */
export interface LoadedStack {
  stack: string;
  file: string;
  /** `project:key` or `provider:key` → value as Pulumi passes it (strings; arrays and maps as JSON). */
  config: Record<string, string>;
  /** Keys of `config` whose values are `secure:` in the stack file. */
  secretKeys: string[];
  problems: ConfigProblem[];
  notes: string[];
}

/** Renders a file name relative to the working directory when it is inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

/** A parsed YAML file, and the line of a key of a top-level map, or of the top level itself when `map` is null (for messages). */
interface YamlFile {
  data: unknown;
  lineOfKey(map: string | null, key: string): number | undefined;
}

function readYaml(file: string): YamlFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new PlanFileError(`${displayPath(file)}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
  }
  const lineCounter = new LineCounter();
  // prettyErrors would quote the offending source line, which may hold a plaintext secret.
  // intAsBigInt: a long integer keeps its digits (a Number would show 1e+23).
  const document = parseDocument(text, { lineCounter, prettyErrors: false, intAsBigInt: true });
  if (document.errors.length > 0) {
    const lines = document.errors.map((error) => {
      // An unterminated quote is reported where the file ends; the fix is where the value starts.
      let offset = error.pos[0];
      let message = error.message;
      visit(document, {
        Scalar: (_, node) => {
          if (node.range && node.range[0] < offset && offset <= node.range[1]) {
            offset = node.range[0];
          }
        },
        Pair: (_, pair) => {
          if (error.code === "DUPLICATE_KEY" && isScalar(pair.key) && pair.key.range?.[0] === error.pos[0]) {
            message = `the key ${echoValue(String(pair.key.value))} appears twice in one map; keep one of them`;
          }
        },
      });
      const { line, col } = lineCounter.linePos(offset);
      return `${displayPath(file)}:${line}:${col}: ${message}`;
    });
    throw new PlanFileError(`${lines.join("\n")}\n${displayPath(file)} is not valid YAML; fix it and run the plan again.`);
  }
  let data: unknown;
  try {
    data = document.toJS();
  } catch (error) {
    // The yaml package refuses to expand aliases (*name) without bound, and an alias without its anchor.
    throw new PlanFileError(
      `${displayPath(file)}: a YAML alias (*name) cannot be expanded: ${(error as Error).message}. A stack file needs no aliases; write the values out.`,
    );
  }
  return {
    data,
    lineOfKey: (map, key) => {
      const node = map === null ? document.contents : document.get(map, true);
      const pair = isYamlMap(node) ? node.items.find((item) => isScalar(item.key) && item.key.value === key) : undefined;
      const start = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
      return start === undefined ? undefined : lineCounter.linePos(start).line;
    },
  };
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A YAML integer inside a list or map, as JSON: a number, or its digits when a number would round it. */
function jsonInteger(value: bigint): number | string {
  return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
}

/** A config value as Pulumi hands it to the program: scalars as text, lists and maps as JSON. */
function configText(value: unknown): string {
  if (value === null || value === undefined) {
    return "";
  }
  return typeof value === "object" ? JSON.stringify(value, (_, item: unknown) => (typeof item === "bigint" ? jsonInteger(item) : item)) : String(value);
}

function isSecure(value: unknown): value is { secure: unknown } {
  return isMap(value) && Object.keys(value).length === 1 && "secure" in value;
}

/**
 * Replaces every `secure:` leaf with the placeholder; says whether there was one, and whether one
 * holds something other than ciphertext (which Pulumi cannot decrypt).
 */
function withoutCiphertext(value: unknown): { value: unknown; secret: boolean; notCiphertext: boolean } {
  if (isSecure(value)) {
    return { value: SECRET_TEXT, secret: true, notCiphertext: !isPulumiCiphertext(value.secure) };
  }
  if (Array.isArray(value) || isMap(value)) {
    let secret = false;
    let notCiphertext = false;
    const entries = Object.entries(value).map(([key, item]) => {
      const inner = withoutCiphertext(item);
      secret ||= inner.secret;
      notCiphertext ||= inner.notCiphertext;
      return [key, inner.value] as const;
    });
    return { value: Array.isArray(value) ? entries.map(([, item]) => item) : Object.fromEntries(entries), secret, notCiphertext };
  }
  return { value, secret: false, notCiphertext: false };
}

/** The top-level sections of a stack file the Pulumi CLI reads. */
const STACK_FILE_SECTIONS = ["config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"];

/** Reads Pulumi.yaml: the project name and its typed config block (defaults, secret keys). */
export function loadProject(dir: string): Project {
  const file = path.join(dir, "Pulumi.yaml");
  const document = readYaml(file).data;
  if (!isMap(document) || typeof document.name !== "string") {
    throw new PlanFileError(`${displayPath(file)}: not a Pulumi project file (no name:).`);
  }
  const name = document.name;
  const declared = new Map<string, DeclaredKey>();
  const block = document.config ?? {};
  if (!isMap(block)) {
    throw new PlanFileError(`${displayPath(file)}: config: must be a map of keys.`);
  }
  for (const [key, spec] of Object.entries(block)) {
    const fullKey = key.includes(":") ? key : `${name}:${key}`;
    // A key may be declared with a schema ({type, default, secret, value}) or by its value alone.
    const schema = isMap(spec) && ("type" in spec || "default" in spec || "value" in spec || "secret" in spec);
    const fallback = schema ? (spec.default ?? spec.value) : spec;
    declared.set(fullKey, {
      secret: schema && spec.secret === true,
      default: fallback === undefined ? undefined : configText(fallback),
    });
  }
  return { name, declared };
}

/** The stack name Pulumi uses for a stack file: `Pulumi.<stack>.yaml`, else the file's base name. */
export function stackNameOf(file: string): string {
  const base = path.basename(file);
  const match = /^Pulumi\.(.+)\.ya?ml$/.exec(base);
  return match ? match[1] : base.replace(/\.ya?ml$/, "");
}

/** Every stack file (`Pulumi.<stack>.yaml`) in a folder, by name. */
export function stackFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    throw new PlanFileError(`${displayPath(dir)}: cannot list the folder (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
  }
  return names
    .filter((name) => /^Pulumi\..+\.ya?ml$/.test(name))
    .sort()
    .map((name) => path.join(dir, name));
}

/**
 * Reads a stack file over the project's defaults, as `pulumi up` does, and checks what the CLI
 * itself would refuse before the program runs: keys outside a namespace, and a plaintext value
 * for a key the project declares secret.
 */
export function loadStackConfig(project: Project, file: string, stack = stackNameOf(file)): LoadedStack {
  const yaml = readYaml(file);
  const document = yaml.data ?? {};
  if (!isMap(document) || !isMap(document.config ?? {})) {
    throw new PlanFileError(`${displayPath(file)}: expected a map with a config: map of keys.`);
  }
  const unknownSections = Object.keys(document).filter((section) => !STACK_FILE_SECTIONS.includes(section));
  if (unknownSections.length > 0) {
    throw new PlanFileError(
      unknownSections
        .map((section) => {
          const near = nearestName(section, STACK_FILE_SECTIONS);
          return (
            `${displayPath(file)}:${yaml.lineOfKey(null, section) ?? "?"}: ${echoValue(section)} is not a section of a stack file` +
            `${near ? `; did you mean ${near}:?` : `; a stack file has ${STACK_FILE_SECTIONS.join(", ")}.`}`
          );
        })
        .join("\n"),
    );
  }
  const prefix = `${project.name}:`;
  const entries = Object.entries((document.config ?? {}) as Record<string, unknown>);
  const bare = entries.filter(([key]) => !key.includes(":")).map(([key]) => key);
  if (bare.length > 0) {
    // Pulumi cannot load such a file at all: it parses every key as <namespace>:<name>.
    throw new PlanFileError(
      bare
        .map((key) => `${displayPath(file)}:${yaml.lineOfKey("config", key) ?? "?"}: config key ${key} has no namespace; write it as ${prefix}${key}.`)
        .join("\n"),
    );
  }
  const problems: ConfigProblem[] = [];
  const notes: string[] = [];
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];

  for (const [key, raw] of entries) {
    const { value, secret, notCiphertext } = withoutCiphertext(raw);
    const short = key.startsWith(prefix) ? key.slice(prefix.length) : key;
    if (notCiphertext) {
      // Never quote the value: it may be a secret pasted in place of its ciphertext.
      problems.push({
        key: short,
        message:
          "has a secure: value that is not Pulumi ciphertext, so pulumi up cannot decrypt it. Set the value with " +
          `\`pulumi config set --secret ${short}\`, which encrypts it; if a secret was pasted in the file, rotate it: it has been exposed.`,
      });
      continue;
    }
    if (!secret && project.declared.get(key)?.secret) {
      // Never quote the value: it is a secret in plain text.
      problems.push({
        key: short,
        message:
          `is stored in plain text, but the project declares it secret and pulumi up refuses it. ` +
          `Remove it from ${path.basename(file)}, set it with \`pulumi config set --secret ${short}\`, and rotate it: it has been exposed.`,
      });
      continue;
    }
    config[key] = configText(value);
    if (secret) {
      secretKeys.push(key);
    }
  }

  for (const [key, declared] of project.declared) {
    if (key in config) {
      continue;
    }
    if (declared.default !== undefined) {
      config[key] = declared.default;
    } else if (key.startsWith(prefix)) {
      // The config module reports the keys it needs; any other one only stops the Pulumi CLI.
      const short = key.slice(prefix.length);
      notes.push(
        `${short} is not set. Pulumi.yaml declares it without a default, so pulumi up stops until it is set` +
          `${declared.secret ? ` (\`pulumi config set --secret ${short}\`)` : ""}; the plan runs without it.`,
      );
    }
  }
  if (document.environment !== undefined) {
    notes.push("The stack imports Pulumi ESC environments; the offline plan cannot open them, so their values are left out.");
  }
  return { stack, file, config, secretKeys, problems, notes };
}

/**
 * Validates with the program's own config module, over the values the program would see. A
 * `secure:` value cannot be checked offline; a problem the placeholder causes says so instead of
 * blaming the (unseen) value.
 */
export function validateStackConfig(project: Project, stack: LoadedStack): { problems: ConfigProblem[]; warnings: ConfigProblem[] } {
  const prefix = `${project.name}:`;
  const problems = [...stack.problems];
  const checked = checkConfig({
    get: (key) => stack.config[`${prefix}${key}`],
    keys: () => Object.keys(stack.config).filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length)),
    otherKeys: () => Object.keys(stack.config).filter((key) => !key.startsWith(prefix)),
    today: () => new Date().toISOString().slice(0, 10),
  });
  for (const problem of checked.problems) {
    problems.push(
      stack.secretKeys.includes(`${prefix}${problem.key}`)
        ? {
            key: problem.key,
            message:
              "is encrypted (secure:), so the offline plan cannot read or check it, and the program cannot work with the placeholder. " +
              "It is not a secret setting: store it in plain text, or check the stack with pulumi preview.",
          }
        : problem,
    );
  }
  const seen = new Set<string>();
  return {
    problems: problems.filter((problem) => {
      const id = `${problem.key}\0${problem.message}`;
      return seen.has(id) ? false : (seen.add(id), true);
    }),
    warnings: checked.warnings,
  };
}

/** One provider function call the program made, and how the plan answered it. */
export interface PlannedInvoke {
  token: string;
  result: Record<string, unknown>;
  /** For each result field taken from somewhere, where: "config azureTenantId", "input resourceGroupName". */
  from: Record<string, string>;
}

type Answer = { value: unknown; from?: string };
type Answerer = (inputs: Record<string, unknown>, setting: (key: string) => string | undefined) => Record<string, Answer>;

const unknownAnswer: Answer = { value: UNKNOWN_TEXT };

function fromSetting(setting: (key: string) => string | undefined, key: string): Answer {
  const value = setting(key);
  return value ? { value, from: `config ${key}` } : unknownAnswer;
}

function fromInput(inputs: Record<string, unknown>, key: string): Answer {
  return typeof inputs[key] === "string" ? { value: inputs[key], from: `input ${key}` } : unknownAnswer;
}

/**
 * Provider functions cannot be called offline. Each one the program uses is answered from the
 * stack config or the call's own inputs where those determine the value (the tenant and
 * subscription the config pins, which the program checks the signed-in identity against), and
 * with the text "(known after deploy)" otherwise (who is signed in). That text is a string, so it
 * also shows inside values built from it: /subscriptions/(known after deploy)/….
 */
const INVOKES: Record<string, Answerer> = {
  "azure-native:authorization:getClientConfig": (_, setting) => ({
    tenantId: fromSetting(setting, "azureTenantId"),
    subscriptionId: fromSetting(setting, "azureSubscriptionId"),
    objectId: unknownAnswer,
    clientId: unknownAnswer,
  }),
  "azure-native:resources:getResourceGroup": (inputs) => ({
    name: fromInput(inputs, "resourceGroupName"),
    id: unknownAnswer,
    location: unknownAnswer,
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": (_, setting) => ({
    accountId: fromSetting(setting, "awsAccountId"),
    arn: unknownAnswer,
    userId: unknownAnswer,
    id: unknownAnswer,
  }),
};

/**
 * Outputs a provider computes inside an object the program also gives as input: a preview must
 * show them unknown, not as the input object's missing (empty) field.
 */
const COMPUTED_NESTED: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>> = {
  "azure-native:keyvault:Vault": (inputs) => ({ properties: { ...(inputs.properties as object), vaultUri: UNKNOWN } }),
};

/** One resource as the plan shows it; references are `type::name`. */
export interface PlannedResource {
  type: string;
  name: string;
  /** A cloud resource (true) or a component that groups others (false). */
  custom: boolean;
  parent: string | null;
  dependsOn: string[];
  /** What it also waits for because a parent component depends on it (the SDK registers a child after its parent). */
  dependsOnViaParent: string[];
  protect: boolean;
  retainOnDelete: boolean;
  inputs: Record<string, unknown>;
  /** For a dynamic resource: the size in bytes of its serialized provider, which is stored in state. */
  providerBytes?: number;
}

export interface Plan {
  stack: string;
  file: string;
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
  invokes: PlannedInvoke[];
  notes: string[];
}

/** A raw wire value as the plan shows it: secrets and unknowns become their texts. */
function displayValue(raw: unknown): unknown {
  if (isSecretValue(raw)) {
    return SECRET_TEXT;
  }
  if (isUnknownValue(raw)) {
    return UNKNOWN_TEXT;
  }
  if (Array.isArray(raw)) {
    return raw.map(displayValue);
  }
  if (isMap(raw)) {
    return Object.fromEntries(Object.entries(raw).map(([key, item]) => [key, displayValue(item)]));
  }
  return raw;
}

function displayOutput(value: PlainValue): unknown {
  switch (value.kind) {
    case "unknown":
      return UNKNOWN_TEXT;
    case "secret":
      return SECRET_TEXT;
    case "known":
      return displayValue(value.value);
  }
}

export function resourceRef(resource: { type: string; name: string }): string {
  return `${resource.type}::${resource.name}`;
}

function describeResources(recorded: RecordedResource[]): PlannedResource[] {
  const byUrn = new Map(recorded.map((resource) => [resource.urn, resource]));
  const ref = (urn: string): string => {
    const resource = byUrn.get(urn);
    return resource ? resourceRef(resource) : urn;
  };
  return recorded.map((resource) => {
    const inherited = new Set<string>();
    for (let parent = resource.parent && byUrn.get(resource.parent); parent; parent = parent.parent && byUrn.get(parent.parent)) {
      parent.dependsOn.filter((urn) => !resource.dependsOn.includes(urn)).forEach((urn) => inherited.add(ref(urn)));
    }
    const { [PROVIDER_INPUT]: provider, ...inputs } = resource.rawInputs;
    const providerText = isSecretValue(provider) ? provider.value : provider;
    return {
      type: resource.type,
      name: resource.name,
      custom: resource.custom,
      parent: resource.parent ? ref(resource.parent) : null,
      dependsOn: resource.dependsOn.map(ref),
      dependsOnViaParent: [...inherited],
      protect: resource.protect,
      retainOnDelete: resource.retainOnDelete,
      inputs: displayValue(inputs) as Record<string, unknown>,
      ...(typeof providerText === "string" ? { providerBytes: Buffer.byteLength(providerText, "utf8") } : {}),
    };
  });
}

/** A Pulumi program module: a function Pulumi runs (exported as the module or as default). */
type Program = () => Promise<Record<string, unknown>> | Record<string, unknown>;

/** Loads the project's program (index.ts), the same module `pulumi up` runs. */
export function loadProgram(projectDir: string): Program {
  const loaded = require(path.resolve(projectDir, "index")) as Program | { default?: Program };
  const program = typeof loaded === "function" ? loaded : loaded.default;
  if (typeof program !== "function") {
    throw new Error(`${path.resolve(projectDir, "index.ts")} must export a function (the program), as index.ts does with \`export =\`.`);
  }
  return program;
}

/** Runs the program as a preview under the mock runtime with a validated stack config. */
export async function planStack(project: Project, stack: LoadedStack, program: Program): Promise<Plan> {
  const invokes: PlannedInvoke[] = [];
  const setting = (key: string) => stack.config[`${project.name}:${key}`] || undefined;
  const cloud: MockCloud = {
    call: ({ token, inputs }) => {
      const answer = INVOKES[token];
      if (!answer) {
        const message = `The offline plan cannot answer the provider function ${token}; teach it how in INVOKES in tools/plan.ts.`;
        // The SDK reports a failed call by the error's `details`, as the gRPC engine would send them.
        throw Object.assign(new Error(message), { details: message });
      }
      const fields = answer(inputs, setting);
      const result = Object.fromEntries(Object.entries(fields).map(([field, { value }]) => [field, value]));
      const from = Object.fromEntries(Object.entries(fields).flatMap(([field, { from }]) => (from ? [[field, from]] : [])));
      invokes.push({ token, result, from });
      return result;
    },
    preview: ({ type, inputs }) => COMPUTED_NESTED[type]?.(inputs),
  };
  // What the program warns of (pulumi.log.warn, as the config module does) becomes part of the plan,
  // as pulumi preview shows it, instead of a line the SDK writes to stderr without an engine.
  const warnings: string[] = [];
  const log = pulumi.log as { warn: typeof pulumi.log.warn };
  const engineWarn = log.warn;
  log.warn = async (message) => void warnings.push(`Warning: ${message}`);
  let run: Awaited<ReturnType<typeof runUnderMocks>>;
  try {
    run = await runUnderMocks(program, {
      project: project.name,
      stack: stack.stack,
      config: stack.config,
      secretKeys: stack.secretKeys,
      preview: true,
      cloud,
    });
  } finally {
    log.warn = engineWarn;
  }
  return {
    stack: stack.stack,
    file: displayPath(stack.file),
    resources: describeResources(run.resources),
    outputs: Object.fromEntries(Object.entries(run.outputs).map(([name, value]) => [name, displayOutput(value)])),
    invokes,
    notes: [...warnings, ...stack.notes],
  };
}
