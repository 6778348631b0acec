/**
 * An emulator of the Cerby vault API (shared/cerby-api.md) on 127.0.0.1 with an ephemeral port,
 * for provider and client tests. It checks the API key, speaks the JSON:API-like bodies,
 * paginates, allows one vault per scheme (409), never returns client secrets, supports PATCH and
 * disabling (not of AWS KMS vaults), and can be told to misbehave on chosen requests, or to have
 * no write endpoints at all (Cerby documents only GET /vaults).
 */
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export type Role = "owner" | "super_admin" | "admin" | "member";
export type Scope = "vaults:read" | "vaults:write";

export interface EmulatedKey {
  role: Role;
  scopes: Scope[];
  expired?: boolean;
}

/** One way to misbehave on one request. */
export type Fault =
  | { kind: "status"; status: number; retryAfter?: string }
  /** Accept the request and never answer (until the client gives up or the emulator stops). */
  | { kind: "hang" }
  /** Reset the connection without an answer, before doing anything. */
  | { kind: "reset" }
  /** Answer 200 with a body that is not JSON, without doing anything. */
  | { kind: "malformed" }
  /** Do the work (a POST creates the vault), then reset the connection: the answer is lost. */
  | { kind: "commit-then-drop" }
  | { kind: "redirect"; location: string };

export interface FaultRule {
  method?: string;
  /** Path below the API root, e.g. "/vaults"; a prefix match when it ends with "/". */
  path?: string;
  fault: Fault;
}

export interface RecordedRequest {
  method: string;
  /** Below the API root: "/vaults", "/vaults/<id>". */
  path: string;
  query: Record<string, string>;
  /** Lower-case names; the API key header is left out. */
  headers: Record<string, string>;
  /** Whether the request carried an X-API-Key header at all. */
  hadApiKey: boolean;
  body?: unknown;
  fault?: Fault["kind"];
}

export interface StoredVault {
  id: string;
  name: string;
  scheme: string;
  state: "enabled" | "disabled";
  isDefault: boolean;
  configuration: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface EmulatorOptions {
  /** Accepted keys; defaults to none, so tests state the key they use. */
  keys?: Record<string, EmulatedKey>;
  /** The server's own page size cap (Cerby's is 100); smaller values exercise pagination. */
  maxPageSize?: number;
  workspaceId?: string;
  /** Seed Cerby's built-in local vault as the default, as a fresh workspace has. */
  withLocalVault?: boolean;
  /** Put the request's configuration values into 400 details, as a careless API might. */
  echoValuesInErrors?: boolean;
  /** How POST and PATCH /vaults answer; "on" by default. */
  writeEndpoints?: WriteEndpoints;
}

/** The write endpoints work ("on"), or every write gets this status, as from an API without them. */
export type WriteEndpoints = "on" | 404 | 405 | 501;

const API_ROOT = "/api/v1";
const AKV_FIELDS = ["clientId", "tenantId", "clientSecret", "vaultUrl", "keyName"];
const KMS_FIELDS = ["awsAccountId", "kmsKeyId", "roleArn"];
const WRITE_ROLES: Role[] = ["owner", "super_admin", "admin"];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail: string,
  ) {
    super(detail);
  }
}

export class CerbyEmulator {
  readonly requests: RecordedRequest[] = [];
  private readonly vaults = new Map<string, StoredVault>();
  private readonly faults: FaultRule[] = [];
  private readonly keys: Map<string, EmulatedKey>;
  private readonly hanging = new Set<http.ServerResponse>();
  private tick = 0;
  /** Can be switched while a test runs, e.g. to show a vault "registered by hand". */
  writeEndpoints: WriteEndpoints;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly options: EmulatorOptions,
  ) {
    this.keys = new Map(Object.entries(options.keys ?? {}));
    this.writeEndpoints = options.writeEndpoints ?? "on";
    if (options.withLocalVault) {
      this.seed({ name: "Cerby vault", scheme: "local_encryption_key", isDefault: true });
    }
  }

  static async start(options: EmulatorOptions = {}): Promise<CerbyEmulator> {
    let emulator: CerbyEmulator | undefined;
    const server = http.createServer((req, res) => {
      emulator?.handle(req, res).catch((error: unknown) => {
        res.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
    // Node's 5 s default closes an idle kept-alive socket just as fetch may reuse it (ECONNRESET on a
    // busy machine, where a test pauses for seconds between requests); stop() closes them all anyway.
    server.keepAliveTimeout = 600_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    emulator = new CerbyEmulator(server, `http://127.0.0.1:${port}${API_ROOT}`, options);
    return emulator;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) {
      res.destroy();
    }
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addKey(key: string, spec: EmulatedKey): void {
    this.keys.set(key, spec);
  }

  /** Queue faults; each incoming request consumes the first matching rule. */
  inject(...rules: FaultRule[]): void {
    this.faults.push(...rules);
  }

  pendingFaults(): number {
    return this.faults.length;
  }

  /** Every stored vault, secrets included (for assertions only; the API never returns them). */
  allVaults(): StoredVault[] {
    return [...this.vaults.values()].map((vault) => ({ ...vault, configuration: { ...vault.configuration } }));
  }

  seed(vault: Partial<StoredVault> & { name: string; scheme: string }): StoredVault {
    const stamp = this.timestamp();
    const stored: StoredVault = {
      id: randomUUID(),
      state: "enabled",
      isDefault: false,
      configuration: {},
      createdAt: stamp,
      updatedAt: stamp,
      ...vault,
    };
    if (stored.isDefault) {
      this.clearDefault();
    }
    this.vaults.set(stored.id, stored);
    return stored;
  }

  /** Edits a vault behind the client's back, as someone in the Cerby web app would. */
  modify(id: string, changes: Partial<Omit<StoredVault, "id">>): void {
    const vault = this.vaults.get(id);
    if (!vault) {
      throw new Error(`no vault ${id}`);
    }
    if (changes.isDefault) {
      this.clearDefault();
    }
    Object.assign(vault, changes, { updatedAt: this.timestamp() });
  }

  /** Deterministic, increasing timestamps; the emulator has no need of the wall clock. */
  private timestamp(): string {
    this.tick += 1;
    return `2026-01-01T00:00:${String(this.tick % 60).padStart(2, "0")}.${String(this.tick).padStart(3, "0")}Z`;
  }

  private clearDefault(): void {
    for (const vault of this.vaults.values()) {
      vault.isDefault = false;
    }
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const index = this.faults.findIndex(
      (rule) =>
        (rule.method === undefined || rule.method === method) &&
        (rule.path === undefined || (rule.path.endsWith("/") ? path.startsWith(rule.path) : rule.path === path)),
    );
    return index < 0 ? undefined : this.faults.splice(index, 1)[0].fault;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://emulator");
    const method = req.method ?? "GET";
    const path = url.pathname.startsWith(API_ROOT) ? url.pathname.slice(API_ROOT.length) || "/" : url.pathname;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name !== "x-api-key" && value !== undefined) {
        headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
    }
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const fault = this.takeFault(method, path);
    this.requests.push({
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      headers,
      hadApiKey: typeof req.headers["x-api-key"] === "string",
      body,
      fault: fault?.kind,
    });

    switch (fault?.kind) {
      case "status":
        this.send(res, fault.status, this.errors(fault.status, "fault", "Injected fault", "injected by the emulator"), {
          ...(fault.retryAfter === undefined ? {} : { "Retry-After": fault.retryAfter }),
        });
        return;
      case "hang":
        this.hanging.add(res);
        res.on("close", () => this.hanging.delete(res));
        return;
      case "reset":
        req.socket.resetAndDestroy();
        return;
      case "malformed":
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end('{"data": [{"id": "trunc');
        return;
      case "redirect":
        res.writeHead(307, { Location: fault.location });
        res.end();
        return;
      default:
        break;
    }

    let status: number;
    let document: unknown;
    try {
      [status, document] = this.route(req, method, path, url.searchParams, body);
    } catch (error) {
      if (!(error instanceof HttpProblem)) {
        throw error;
      }
      [status, document] = [error.status, this.errors(error.status, error.code, error.title, error.message)];
    }
    if (fault?.kind === "commit-then-drop") {
      req.socket.resetAndDestroy();
      return;
    }
    this.send(res, status, document);
  }

  private send(res: http.ServerResponse, status: number, document: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(document);
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private errors(status: number, code: string, title: string, detail: string): unknown {
    return { errors: [{ status: String(status), code, title, detail, meta: {} }] };
  }

  private authorize(req: http.IncomingMessage, scope: Scope): void {
    const presented = req.headers["x-api-key"];
    const key = typeof presented === "string" ? this.keys.get(presented) : undefined;
    if (!key || key.expired || !key.scopes.includes(scope)) {
      throw new HttpProblem(401, "unauthorized", "Unauthorized", "Invalid, expired or insufficiently scoped API key.");
    }
    if (scope === "vaults:write" && !WRITE_ROLES.includes(key.role)) {
      throw new HttpProblem(403, "forbidden", "Forbidden", "The user of this API key may not manage vaults.");
    }
  }

  private route(
    req: http.IncomingMessage,
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
  ): [number, unknown] {
    if ((method === "POST" || method === "PATCH") && this.writeEndpoints !== "on") {
      throw new HttpProblem(this.writeEndpoints, "no_write_endpoint", "Not available", `${method} ${path} is not available.`);
    }
    if (path === "/vaults") {
      if (method === "GET") {
        this.authorize(req, "vaults:read");
        return [200, this.list(query)];
      }
      if (method === "POST") {
        this.authorize(req, "vaults:write");
        return [201, { data: this.present(this.create(body)) }];
      }
      throw new HttpProblem(405, "method_not_allowed", "Method Not Allowed", `${method} is not allowed on /vaults.`);
    }
    const match = /^\/vaults\/([^/]+)$/.exec(path);
    if (match && method === "PATCH") {
      this.authorize(req, "vaults:write");
      return [200, { data: this.present(this.patch(decodeURIComponent(match[1]), body)) }];
    }
    throw new HttpProblem(404, "not_found", "Not Found", `No route for ${method} ${path}.`);
  }

  private list(query: URLSearchParams): unknown {
    const number = Number(query.get("page[number]") ?? "1");
    const requested = Number(query.get("page[size]") ?? "100");
    if (!Number.isInteger(number) || number < 1 || !Number.isInteger(requested) || requested < 1 || requested > 100) {
      throw new HttpProblem(400, "invalid_page", "Bad Request", "page[number] must be >= 1 and page[size] 1..100.");
    }
    const size = Math.min(requested, this.options.maxPageSize ?? 100);
    const all = [...this.vaults.values()];
    const items = all.slice((number - 1) * size, number * size);
    const link = (n: number) => `${this.url}/vaults?page%5Bnumber%5D=${n}&page%5Bsize%5D=${size}`;
    return {
      data: items.map((vault) => this.present(vault)),
      links: {
        self: link(number),
        next: number * size < all.length ? link(number + 1) : null,
        previous: number > 1 ? link(number - 1) : null,
      },
      meta: { page: { maxSize: 100, total: all.length } },
    };
  }

  /** The API's view of a vault: never the configuration, so never the client secret. */
  private present(vault: StoredVault): unknown {
    return {
      id: vault.id,
      type: "vault",
      attributes: {
        name: vault.name,
        scheme: vault.scheme,
        state: vault.state,
        isDefault: vault.isDefault,
        workspaceId: this.options.workspaceId ?? "00000000-0000-4000-8000-00000000c0de",
        createdAt: vault.createdAt,
        createdBy: "api-key",
        createdByType: "api_key",
        updatedAt: vault.updatedAt,
      },
    };
  }

  private badRequest(detail: string, values: Record<string, unknown> = {}): HttpProblem {
    const echoed = this.options.echoValuesInErrors ? ` Received: ${JSON.stringify(values)}.` : "";
    return new HttpProblem(400, "invalid", "Bad Request", detail + echoed);
  }

  private create(body: unknown): StoredVault {
    const data = isObject(body) ? body.data : undefined;
    if (!isObject(data) || data.type !== "vault" || !isObject(data.attributes)) {
      throw this.badRequest('Expected {"data": {"type": "vault", "attributes": {...}}}.');
    }
    const { name, scheme, isDefault, configuration } = data.attributes;
    if (typeof name !== "string" || name.trim() === "") {
      throw this.badRequest("name is required.");
    }
    if (scheme !== "akv" && scheme !== "kms_byo") {
      throw this.badRequest("scheme must be akv or kms_byo.");
    }
    const fields = scheme === "akv" ? AKV_FIELDS : KMS_FIELDS;
    if (!isObject(configuration) || fields.some((field) => typeof configuration[field] !== "string" || configuration[field] === "")) {
      throw this.badRequest(`configuration needs ${fields.join(", ")}.`, isObject(configuration) ? configuration : {});
    }
    const existing = [...this.vaults.values()].find((vault) => vault.scheme === scheme);
    if (existing) {
      throw new HttpProblem(409, "vault_exists", "Conflict", `The workspace already has a ${scheme} vault.`);
    }
    return this.seed({
      name,
      scheme,
      isDefault: isDefault === true,
      configuration: Object.fromEntries(fields.map((field) => [field, configuration[field] as string])),
    });
  }

  private patch(id: string, body: unknown): StoredVault {
    const vault = this.vaults.get(id);
    if (!vault) {
      throw new HttpProblem(404, "not_found", "Not Found", `No vault ${id}.`);
    }
    const data = isObject(body) ? body.data : undefined;
    if (!isObject(data) || data.type !== "vault" || data.id !== id || !isObject(data.attributes)) {
      throw this.badRequest('Expected {"data": {"type": "vault", "id": <the vault id>, "attributes": {...}}}.');
    }
    const { name, isDefault, state, configuration } = data.attributes;
    if (name !== undefined && (typeof name !== "string" || name.trim() === "")) {
      throw this.badRequest("name must be a non-empty string.");
    }
    if (isDefault !== undefined && typeof isDefault !== "boolean") {
      throw this.badRequest("isDefault must be a boolean.");
    }
    if (state !== undefined && state !== "disabled") {
      throw this.badRequest('state can only be set to "disabled".');
    }
    if (state === "disabled" && vault.scheme === "kms_byo") {
      throw this.badRequest("AWS KMS vaults cannot be disabled.");
    }
    if (configuration !== undefined) {
      const secretOnly =
        isObject(configuration) &&
        Object.keys(configuration).join() === "clientSecret" &&
        typeof configuration.clientSecret === "string";
      if (vault.scheme !== "akv" || !secretOnly) {
        throw this.badRequest("Only configuration.clientSecret of an akv vault can be changed.", isObject(configuration) ? configuration : {});
      }
    }
    if (isDefault === true) {
      this.clearDefault();
    }
    Object.assign(vault, {
      ...(typeof name === "string" ? { name } : {}),
      ...(typeof isDefault === "boolean" ? { isDefault } : {}),
      ...(state === "disabled" ? { state } : {}),
      updatedAt: this.timestamp(),
    });
    if (isObject(configuration)) {
      vault.configuration.clientSecret = configuration.clientSecret as string;
    }
    return vault;
  }
}

/** Every fault a retry can recover from, by name: the table the client and provider tests share. */
export const RECOVERABLE_FAULTS: [string, Fault][] = [
  ["429 without Retry-After", { kind: "status", status: 429 }],
  ["429 with Retry-After: 0", { kind: "status", status: 429, retryAfter: "0" }],
  ["500", { kind: "status", status: 500 }],
  ["502", { kind: "status", status: 502 }],
  ["503", { kind: "status", status: 503 }],
  ["a request that hangs past the client timeout", { kind: "hang" }],
  ["a reset connection", { kind: "reset" }],
  ["malformed JSON", { kind: "malformed" }],
];
