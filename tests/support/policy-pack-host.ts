/**
 * The policy pack as the Pulumi CLI runs it, for engine-level tests. `pulumi preview --policy-pack
 * <dir>` loads <dir>/PulumiPolicy.yaml and, the runtime being nodejs, asks the Node.js language
 * host to RunPlugin it as an analyzer (pkg/resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer;
 * plugin.go, ExecPlugin). The host resolves `@pulumi/pulumi/cmd/run-policy-pack` from the pack's
 * folder with `require.resolve` (sdk/nodejs/cmd/pulumi-language-nodejs/main.go, locateModule: so
 * Node's lookup climbs to the repository's node_modules) and runs
 * `node <run-policy-pack> <engine address> <pack folder>` with the pack's folder as working
 * directory (RunPlugin). The pack prints its port; the engine then calls the Analyzer service.
 * The engine's side is played here. @grpc/grpc-js and google-protobuf are the copies @pulumi/pulumi uses.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { startPluginProcess } from "./plugin-process";
import type { RecordedResource } from "../../tools/mock-runtime";

const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (id: string): string => require.resolve(id, { paths: [PULUMI_DIR] });
const grpc: typeof import("@grpc/grpc-js") = require(fromPulumi("@grpc/grpc-js"));
const structProto = require(fromPulumi("google-protobuf/google/protobuf/struct_pb"));
const emptyProto = require(fromPulumi("google-protobuf/google/protobuf/empty_pb"));
const analyzerProto = require(path.join(PULUMI_DIR, "proto", "analyzer_pb"));
const analyzerGrpc = require(path.join(PULUMI_DIR, "proto", "analyzer_grpc_pb"));

/** The policy pack's folder, as a stack passes it to --policy-pack. */
export const PACK_DIR = path.resolve(__dirname, "..", "..", "policy");

/** What the language host runs: `@pulumi/pulumi/cmd/run-policy-pack` resolved from the pack's folder, as locateModule does. */
export function locateRunPolicyPack(packDir = PACK_DIR): string {
  const script = "console.log(require.resolve('@pulumi/pulumi/cmd/run-policy-pack'))";
  return execFileSync(process.execPath, ["-e", script], { cwd: packDir, encoding: "utf8" }).trim();
}

export type Level = "advisory" | "mandatory" | "disabled" | "remediate";
const LEVELS: Level[] = ["advisory", "mandatory", "disabled", "remediate"];

export interface Diagnostic {
  policy: string;
  level: Level;
  message: string;
  urn: string;
}

export interface PolicyInfo {
  name: string;
  level: Level;
  configSchema?: Record<string, unknown>;
}

type Unary = (request: unknown, callback: (error: Error | null, response: never) => void) => void;

/** Keys the engine leaves out of what it sends an analyzer (MarshalOptions SkipInternalKeys: `__provider`, …). */
function withoutInternalKeys(inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inputs).filter(([key]) => !key.startsWith("__")));
}

function options(resource: RecordedResource): unknown {
  const opts = new analyzerProto.AnalyzerResourceOptions();
  opts.setProtect(resource.protect);
  opts.setIgnorechangesList(resource.ignoreChanges);
  opts.setAdditionalsecretoutputsList(resource.additionalSecretOutputs);
  opts.setDeletebeforereplace(resource.deleteBeforeReplace);
  opts.setDeletebeforereplacedefined(true);
  if (resource.parent) {
    opts.setParent(resource.parent);
  }
  return opts;
}

interface ResourceMessage {
  setUrn(value: string): void;
  setType(value: string): void;
  setName(value: string): void;
  setProperties(value: unknown): void;
  setOptions(value: unknown): void;
}

/** Fills an AnalyzeRequest or AnalyzerResource with what the engine sends of a resource. */
function describe<T extends ResourceMessage>(message: T, resource: RecordedResource): T {
  message.setUrn(resource.urn);
  message.setType(resource.type);
  message.setName(resource.name);
  message.setProperties(structProto.Struct.fromJavaScript(withoutInternalKeys(resource.rawInputs)));
  message.setOptions(options(resource));
  return message;
}

function diagnostics(response: { getDiagnosticsList(): unknown[] }): Diagnostic[] {
  return response.getDiagnosticsList().map((raw) => {
    const diagnostic = raw as { getPolicyname(): string; getEnforcementlevel(): number; getMessage(): string; getUrn(): string };
    return { policy: diagnostic.getPolicyname(), level: LEVELS[diagnostic.getEnforcementlevel()], message: diagnostic.getMessage(), urn: diagnostic.getUrn() };
  });
}

export class PolicyPackHost {
  private constructor(
    /** What the pack printed besides its port. */
    readonly output: string[],
    private readonly child: ChildProcess,
    private readonly client: InstanceType<typeof grpc.Client> & Record<string, Unary>,
  ) {}

  /** Starts the pack as the language host does, and connects to it. */
  static async start(packDir = PACK_DIR): Promise<PolicyPackHost> {
    // The engine address is the CLI's; the pack never dials it for these calls.
    const { child, port, output } = await startPluginProcess("the policy pack", [locateRunPolicyPack(packDir), "127.0.0.1:1", packDir], { cwd: packDir });
    const Client = analyzerGrpc.AnalyzerClient as new (address: string, credentials: unknown) => InstanceType<typeof grpc.Client> & Record<string, Unary>;
    return new PolicyPackHost(output, child, new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
  }

  private call<T>(method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client[method].call(this.client, request, (error, response) => (error ? reject(error) : resolve(response as T)));
    });
  }

  async info(): Promise<{ name: string; supportsConfig: boolean; policies: PolicyInfo[] }> {
    type Info = {
      getName(): string;
      getSupportsconfig(): boolean;
      getPoliciesList(): { getName(): string; getEnforcementlevel(): number; getConfigschema(): { getProperties(): { toJavaScript(): Record<string, unknown> } | undefined } | undefined }[];
    };
    const info = await this.call<Info>("getAnalyzerInfo", new emptyProto.Empty());
    return {
      name: info.getName(),
      supportsConfig: info.getSupportsconfig(),
      policies: info.getPoliciesList().map((policy) => ({
        name: policy.getName(),
        level: LEVELS[policy.getEnforcementlevel()],
        configSchema: policy.getConfigschema()?.getProperties()?.toJavaScript(),
      })),
    };
  }

  /** Configure as the engine does with `--policy-pack-config`: a level and settings per policy. */
  async configure(config: Record<string, { level: Level; settings?: Record<string, unknown> }>): Promise<void> {
    const request = new analyzerProto.ConfigureAnalyzerRequest();
    for (const [policy, { level, settings }] of Object.entries(config)) {
      const entry = new analyzerProto.PolicyConfig();
      entry.setEnforcementlevel(LEVELS.indexOf(level));
      entry.setProperties(structProto.Struct.fromJavaScript(settings ?? {}));
      request.getPolicyconfigMap().set(policy, entry);
    }
    await this.call("configure", request);
  }

  /** Analyze one resource, as the engine does before each step, with its inputs; the engine reports its findings on that resource. */
  async analyze(resource: RecordedResource): Promise<Diagnostic[]> {
    const request = describe(new analyzerProto.AnalyzeRequest(), resource);
    return diagnostics(await this.call("analyze", request)).map((diagnostic) => ({ ...diagnostic, urn: diagnostic.urn || resource.urn }));
  }

  /**
   * AnalyzeStack once the program has run. The engine sends each resource's outputs
   * (step_generator.go, AnalyzeResources); in a preview a resource to create has its inputs as
   * outputs, which is what is sent here.
   */
  async analyzeStack(resources: RecordedResource[]): Promise<Diagnostic[]> {
    const request = new analyzerProto.AnalyzeStackRequest();
    request.setResourcesList(
      resources.map((resource) => {
        const item = describe(new analyzerProto.AnalyzerResource(), resource);
        item.setParent(resource.parent ?? "");
        item.setDependenciesList(resource.dependsOn);
        return item;
      }),
    );
    return diagnostics(await this.call("analyzeStack", request));
  }

  /** Analyze every resource and then the stack, as a preview does. */
  async preview(resources: RecordedResource[]): Promise<Diagnostic[]> {
    const perResource: Diagnostic[] = [];
    for (const resource of resources) {
      perResource.push(...(await this.analyze(resource)));
    }
    return [...perResource, ...(await this.analyzeStack(resources))];
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill();
      await exited;
    }
  }
}

/**
 * The resources of a mocked run with the URNs the engine would give them. The mock monitor puts
 * only the parent's own type before a resource's type; the engine puts the parent's whole
 * qualified type (pkg/resource/deploy/deployment.go, generateURN), so a URN names every ancestor.
 */
export function withEngineUrns(resources: RecordedResource[]): RecordedResource[] {
  const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
  const engineUrn = new Map<string, string>();
  const urnOf = (resource: RecordedResource): string => {
    const known = engineUrn.get(resource.urn);
    if (known) {
      return known;
    }
    const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
    const [prefix, project, , ...name] = resource.urn.split("::");
    const qualified = parent ? `${urnOf(parent).split("::")[2]}$${resource.type}` : resource.type;
    const urn = [prefix, project, qualified, ...name].join("::");
    engineUrn.set(resource.urn, urn);
    return urn;
  };
  const rename = (urn: string): string => {
    const resource = byUrn.get(urn);
    return resource ? urnOf(resource) : urn;
  };
  return resources.map((resource) => ({
    ...resource,
    urn: urnOf(resource),
    parent: resource.parent ? rename(resource.parent) : undefined,
    dependsOn: resource.dependsOn.map(rename),
  }));
}
