/**
 * The dynamic provider host as the Pulumi engine runs it, for engine-level tests: the real
 * `@pulumi/pulumi/cmd/dynamic-provider` process (what `pulumi-resource-pulumi-nodejs` starts),
 * driven over its ResourceProvider gRPC service. It runs each resource's serialized `__provider`
 * exactly as the engine hands it over, so any dynamic resource of the program can be driven.
 *
 * The engine's side is played here: Configure with the whole stack config (namespaced keys, secret
 * values wrapped), and, since the host answers `acceptSecrets: false`, secret wrappers stripped
 * from resource inputs. For these calls the host never dials the engine, so its address is a
 * placeholder. @grpc/grpc-js and google-protobuf are the copies @pulumi/pulumi uses (another copy's
 * Struct would not serialize theirs).
 */
import type { ChildProcess } from "node:child_process";
import * as path from "node:path";
import { startPluginProcess } from "./plugin-process";
import { SIG_KEY, isSecretValue } from "../../tools/mock-runtime";

const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (id: string): string => require.resolve(id, { paths: [PULUMI_DIR] });
const grpc: typeof import("@grpc/grpc-js") = require(fromPulumi("@grpc/grpc-js"));
const structProto = require(fromPulumi("google-protobuf/google/protobuf/struct_pb"));
const providerProto = require(path.join(PULUMI_DIR, "proto", "provider_pb"));
const providerGrpc = require(path.join(PULUMI_DIR, "proto", "provider_grpc_pb"));

const HOST_ENTRY = path.join(PULUMI_DIR, "cmd", "dynamic-provider", "index.js");
const PROJECT_DIR = path.resolve(__dirname, "..", "..");
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The engine's wire marker for a value not known until deployment (a preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface HostOptions {
  /** Added to this process's environment (undefined removes a variable). */
  env?: Record<string, string | undefined>;
  /** Modules the host process preloads (`node --require`), e.g. a test redirect of its sockets. */
  preload?: string[];
}

export interface CheckResult {
  inputs: Record<string, unknown>;
  failures: { property: string; reason: string }[];
}

export interface DiffResult {
  changes: "none" | "some" | "unknown";
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/** A gRPC error as the engine sees it: the message is what `pulumi up` prints. */
export interface HostError extends Error {
  code: number;
  details: string;
}

/** Inputs as the engine sends them to a provider that does not accept secrets. */
export function withoutSecrets(value: unknown): unknown {
  if (isSecretValue(value)) {
    return withoutSecrets(value.value);
  }
  if (Array.isArray(value)) {
    return value.map(withoutSecrets);
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutSecrets(item)]));
  }
  return value;
}

type Struct = { toJavaScript(): Record<string, unknown> };
type Unary = (request: unknown, callback: (error: HostError | null, response: never) => void) => void;

function struct(value: Record<string, unknown>): unknown {
  return structProto.Struct.fromJavaScript(withoutSecrets(value));
}

export class ProviderHost {
  private readonly exited: Promise<void>;

  private constructor(
    /** Everything the host printed after its port: provider log lines (pulumi.log falls back to the console) and errors. */
    readonly output: string[],
    private readonly child: ChildProcess,
    private readonly client: InstanceType<typeof grpc.Client> & Record<string, Unary>,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  /** Starts the host in the project folder, as the engine does, and connects to it. */
  static async start(options: HostOptions = {}): Promise<ProviderHost> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [key, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) {
        delete env[key];
      } else {
        env[key] = value;
      }
    }
    const preload = (options.preload ?? []).flatMap((module) => ["--require", module]);
    const { child, port, output } = await startPluginProcess("the provider host", [...preload, HOST_ENTRY, "127.0.0.1:1"], { cwd: PROJECT_DIR, env });
    const Client = providerGrpc.ResourceProviderClient as new (address: string, credentials: unknown) => InstanceType<typeof grpc.Client> & Record<string, Unary>;
    return new ProviderHost(output, child, new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
  }

  /**
   * The first output line containing `text`. The host writes a log line before it answers the call
   * that logged it, but its output pipe and the gRPC socket are read independently, so a line may
   * arrive just after the answer; this waits for it, up to a generous bound.
   */
  async line(text: string, timeoutMs = 30_000): Promise<string> {
    const found = () => this.output.find((line) => line.includes(text));
    for (const deadline = Date.now() + timeoutMs; found() === undefined && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const line = found();
    if (line === undefined) {
      throw new Error(`the provider host printed no line containing ${JSON.stringify(text)}; it printed:\n${this.output.join("\n")}`);
    }
    return line;
  }

  private call<T>(method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client[method].call(this.client, request, (error, response) => (error ? reject(error) : resolve(response as T)));
    });
  }

  /**
   * Configure as the engine does: every stack config value by its namespaced key, the secret ones
   * wrapped. Returns whether the host accepts secrets in resource inputs.
   */
  async configure(config: Record<string, string>, secretKeys: string[] = []): Promise<boolean> {
    const args: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) {
      args[key] = secretKeys.includes(key) ? { [SIG_KEY]: SECRET_SIG, value } : value;
    }
    const request = new providerProto.ConfigureRequest();
    request.setArgs(structProto.Struct.fromJavaScript(args));
    const response = await this.call<{ getAcceptsecrets(): boolean }>("configure", request);
    return response.getAcceptsecrets();
  }

  async check(urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<CheckResult> {
    const request = new providerProto.CheckRequest();
    request.setUrn(urn);
    request.setOlds(struct(olds));
    request.setNews(struct(news));
    const response = await this.call<{ getInputs(): Struct; getFailuresList(): { getProperty(): string; getReason(): string }[] }>("check", request);
    return {
      inputs: response.getInputs().toJavaScript(),
      failures: response.getFailuresList().map((failure) => ({ property: failure.getProperty(), reason: failure.getReason() })),
    };
  }

  async diff(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<DiffResult> {
    const request = new providerProto.DiffRequest();
    request.setId(id);
    request.setUrn(urn);
    request.setOlds(struct(olds));
    request.setNews(struct(news));
    const response = await this.call<{ getChanges(): number; getReplacesList(): string[]; getDeletebeforereplace(): boolean }>("diff", request);
    const changes = { [providerProto.DiffResponse.DiffChanges.DIFF_NONE]: "none", [providerProto.DiffResponse.DiffChanges.DIFF_SOME]: "some" } as Record<number, DiffResult["changes"]>;
    return { changes: changes[response.getChanges()] ?? "unknown", replaces: response.getReplacesList(), deleteBeforeReplace: response.getDeletebeforereplace() };
  }

  async create(urn: string, properties: Record<string, unknown>): Promise<{ id: string; properties: Record<string, unknown> }> {
    const request = new providerProto.CreateRequest();
    request.setUrn(urn);
    request.setProperties(struct(properties));
    const response = await this.call<{ getId(): string; getProperties(): Struct }>("create", request);
    return { id: response.getId(), properties: response.getProperties().toJavaScript() };
  }

  async read(id: string, urn: string, properties: Record<string, unknown>): Promise<{ id: string; properties: Record<string, unknown> }> {
    const request = new providerProto.ReadRequest();
    request.setId(id);
    request.setUrn(urn);
    request.setProperties(struct(properties));
    const response = await this.call<{ getId(): string; getProperties(): Struct | undefined }>("read", request);
    return { id: response.getId(), properties: response.getProperties()?.toJavaScript() ?? {} };
  }

  async update(id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<Record<string, unknown>> {
    const request = new providerProto.UpdateRequest();
    request.setId(id);
    request.setUrn(urn);
    request.setOlds(struct(olds));
    request.setNews(struct(news));
    const response = await this.call<{ getProperties(): Struct }>("update", request);
    return response.getProperties().toJavaScript();
  }

  async delete(id: string, urn: string, properties: Record<string, unknown>): Promise<void> {
    const request = new providerProto.DeleteRequest();
    request.setId(id);
    request.setUrn(urn);
    request.setProperties(struct(properties));
    await this.call("delete", request);
  }

  /** Closes the connection and stops the host, as the engine does at the end of a deployment. */
  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
    }
    await this.exited;
  }
}
