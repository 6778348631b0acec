import * as pulumi from "@pulumi/pulumi";

/**
 * Runs a Pulumi program under `pulumi.runtime.setMocks` and records every resource it declares,
 * exactly as the engine would receive it: type, name, parent, dependencies, options and the raw
 * (still secret-wrapped) inputs. The tests and the offline `npm run plan` share this harness, so
 * what the plan prints is what the tests check.
 */

/** The marker Pulumi's wire format uses for secret values: `{ [SIG_KEY]: SECRET_SIG, value }`. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The wire format's unknown marker; a mock may put it in a state to mean "computed at deploy time". */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  /** URN of the parent, when there is one (the stack itself is left out). */
  parent?: string;
  /** URNs this resource depends on, explicitly or through its inputs. */
  dependsOn: string[];
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  additionalSecretOutputs: string[];
  ignoreChanges: string[];
  replaceOnChanges: string[];
  customTimeouts?: { create?: string; update?: string; delete?: string };
  /** The `import` option: the ID of an existing cloud resource the engine imports instead of creating. */
  importId?: string;
  /** Inputs as sent to the engine: secrets still wrapped, unknowns still marked. */
  rawInputs: Record<string, unknown>;
  /** Outputs a component registered with `registerOutputs`, raw like the inputs. */
  rawOutputs?: Record<string, unknown>;
}

export interface MockCloud {
  /** The ID and computed state (URIs, secret values) a resource gets on creation. */
  newResource?(args: pulumi.runtime.MockResourceArgs): { id?: string; state?: Record<string, unknown> } | undefined;
  /** Results of provider functions (invokes) by token. */
  call?(args: pulumi.runtime.MockCallArgs): Record<string, unknown>;
  /**
   * During a preview: state merged over the inputs. A provider's preview marks computed values
   * unknown, and a mock must say which ones when they sit inside an input object (a vault's URI in
   * its `properties`): the SDK would otherwise see them as known and empty.
   */
  preview?(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> | undefined;
}

export interface MockRunOptions {
  project: string;
  stack: string;
  /** Raw config as Pulumi stores it: `project:key` → string (arrays and objects as JSON text). */
  config: Record<string, string>;
  /** Keys of `config` that are secrets. */
  secretKeys?: string[];
  /** A preview leaves computed values unknown, as `pulumi preview` does. */
  preview: boolean;
  cloud?: MockCloud;
}

/** An output value as the plan and the tests see it. */
export type PlainValue =
  | { kind: "known"; value: unknown }
  | { kind: "secret"; value: unknown }
  | { kind: "unknown" };

export interface MockRunResult {
  resources: RecordedResource[];
  outputs: Record<string, PlainValue>;
}

interface RawRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(fn: (value: { getUrnsList(): string[] }) => void): void };
  getAdditionalsecretoutputsList(): string[];
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
  getImportid(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

interface RawOutputsRequest {
  getUrn(): string;
  getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}

type Callback = (err: unknown, response?: unknown) => void;

interface MonitorLike {
  registerResource(req: RawRequest, callback: Callback): void;
  registerResourceOutputs(req: RawOutputsRequest, callback: Callback): void;
}

function recordRequest(req: RawRequest, urn: string): RecordedResource {
  const dependsOn = new Set(req.getDependenciesList());
  req.getPropertydependenciesMap().forEach((deps) => deps.getUrnsList().forEach((dep) => dependsOn.add(dep)));
  const timeouts = req.getCustomtimeouts();
  const parent = req.getParent();
  return {
    urn,
    type: req.getType(),
    name: req.getName(),
    custom: req.getCustom(),
    parent: parent && !parent.includes("::pulumi:pulumi:Stack::") ? parent : undefined,
    dependsOn: [...dependsOn].filter((dep) => !dep.includes("::pulumi:pulumi:Stack::")).sort(),
    protect: req.getProtect(),
    retainOnDelete: req.getRetainondelete(),
    deleteBeforeReplace: req.getDeletebeforereplace(),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    ignoreChanges: req.getIgnorechangesList(),
    replaceOnChanges: req.getReplaceonchangesList(),
    customTimeouts:
      timeouts && (timeouts.getCreate() || timeouts.getUpdate() || timeouts.getDelete())
        ? { create: timeouts.getCreate() || undefined, update: timeouts.getUpdate() || undefined, delete: timeouts.getDelete() || undefined }
        : undefined,
    ...(req.getImportid() ? { importId: req.getImportid() } : {}),
    rawInputs: req.getObject()?.toJavaScript() ?? {},
  };
}

async function plainOutput(value: unknown): Promise<PlainValue> {
  const output = pulumi.output(value as pulumi.Input<unknown>);
  // isKnown and promise() are the SDK's own (untyped) way to read an output without apply,
  // which never calls back for a value unknown during a preview.
  const internal = output as unknown as { isKnown: Promise<boolean>; promise(): Promise<unknown> };
  const [known, secret] = await Promise.all([internal.isKnown, pulumi.isSecret(output)]);
  if (!known) {
    return { kind: "unknown" };
  }
  const resolved = await internal.promise();
  return secret ? { kind: "secret", value: resolved } : { kind: "known", value: resolved };
}

/**
 * Runs `program` (a Pulumi program's exported function) under mocks with the given config and
 * returns what it declared. Only one run may be in progress at a time in a process.
 */
export async function runUnderMocks(
  program: () => Promise<Record<string, unknown>> | Record<string, unknown>,
  options: MockRunOptions,
): Promise<MockRunResult> {
  pulumi.runtime.setAllConfig(options.config, options.secretKeys ?? []);
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        if (options.preview) {
          return { id: args.id || undefined, state: { ...args.inputs, ...options.cloud?.preview?.(args) } };
        }
        const created = options.cloud?.newResource?.(args);
        return { id: args.id || created?.id || `${args.name}-id`, state: { ...args.inputs, ...created?.state } };
      },
      call: (args) => options.cloud?.call?.(args) ?? {},
    },
    options.project,
    options.stack,
    options.preview,
  );

  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
  const byUrn = new Map<string, RecordedResource>();
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    registerResource(req, (err, response) => {
      if (!err) {
        const urn = (response as { getUrn(): string }).getUrn();
        byUrn.set(urn, recordRequest(req, urn));
      }
      callback(err, response);
    });
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, callback) => {
    const recorded = byUrn.get(req.getUrn());
    if (recorded) {
      recorded.rawOutputs = req.getOutputs()?.toJavaScript() ?? {};
    }
    registerResourceOutputs(req, callback);
  };

  // The Pulumi runtime fails a program whose outputs reject unobserved (an error thrown in an
  // apply, say); under mocks nothing else would notice, so the run fails the same way here.
  let rejectRun: (reason: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (rejectRun = reject));
  process.on("unhandledRejection", rejectRun);
  try {
    const run = async () => {
      const exported = await program();
      const outputs: Record<string, PlainValue> = {};
      for (const [name, value] of Object.entries(exported)) {
        outputs[name] = await plainOutput(value);
      }
      // Registrations and component outputs can still be in flight once the outputs resolve (a
      // component that waits on others); the next run must not inherit them.
      await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
      return outputs;
    };
    const outputs = await Promise.race([run(), failed]);
    return { resources: [...byUrn.values()], outputs };
  } finally {
    process.off("unhandledRejection", rejectRun);
  }
}

/** True when a raw wire value is a secret wrapper. */
export function isSecretValue(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** True when a raw wire value is the unknown marker (computed only at deploy time). */
export function isUnknownValue(value: unknown): boolean {
  return value === UNKNOWN;
}

/**
 * Replaces secret wrappers with `replacement` throughout a raw value, so that what remains is
 * exactly what would be stored in plaintext.
 */
export function redactSecrets(value: unknown, replacement: unknown = "[secret]"): unknown {
  if (isSecretValue(value)) {
    return replacement;
  }
  if (Array.isArray(value)) {
    return value.map((item) => redactSecrets(item, replacement));
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactSecrets(item, replacement)]));
  }
  return value;
}
