/**
 * A fake Entra ID token endpoint and Key Vault on 127.0.0.1, for running the real @azure/identity
 * and @azure/keyvault-keys code paths offline.
 *
 * Why a pluggable HTTP client and not HTTPS with a test certificate: both SDKs accept an
 * `httpClient` (core-rest-pipeline's HttpClient) in their options. The one returned here rewrites
 * only the socket address of each request, https://login.microsoftonline.com/... and
 * https://<vault>.vault.azure.net/... to http://127.0.0.1:<port>/..., and sends it with the SDK's
 * own default HTTP client. Everything above the socket runs unchanged: MSAL's client-credential
 * flow, the https-only bearer policy, Key Vault's challenge handshake and its check that the
 * challenge resource matches the vault's domain, and the real host names in every URL. HTTPS would
 * need a certificate, either minted at test time (Node cannot make X.509 certificates; openssl
 * may be missing) or checked in, and then trust for it in every client the SDKs build, or
 * NODE_EXTRA_CA_CERTS, which Node reads only at start-up; none of that tests more of the SDKs.
 */
import { createPublicKey, generateKeyPair, privateDecrypt, publicEncrypt, randomBytes, constants, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineRequest,
  type HttpClient,
} from "@azure/core-rest-pipeline";
import { readBody } from "./http";

const FAKE_AUTHORITY_HOST = "login.microsoftonline.com";
const FAKE_ARM_HOST = "management.azure.com";
const FAKE_VAULT_HOST = "kv-cerby-fake.vault.azure.net";
export const FAKE_VAULT_URL = `https://${FAKE_VAULT_HOST}/`;

export type FakeKeyType = "RSA" | "RSA-HSM" | "EC";

export interface FakeKey {
  name: string;
  kty: FakeKeyType;
  /** The key pair Key Vault holds; its private half answers unwrapkey. */
  privateKey: KeyObject;
  keyOps: string[];
  enabled: boolean;
  /** Seconds since the epoch, as Key Vault's `exp` attribute. */
  expires?: number;
}

/** The service principal the fake token endpoint knows. */
export interface FakePrincipal {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Answer the right secret with AADSTS7000222, as Entra does after the secret's end date. */
  secretExpired?: boolean;
  /** The federated (OIDC) token this app trusts as a client assertion, as a federated credential does. */
  federatedToken?: string;
}

/** Another identity of the fake tenant, e.g. whoever runs verify: it signs in with a client secret. */
export interface FakeIdentity {
  clientSecret: string;
  /** The data actions its roles grant on the vault, as Azure RBAC checks them. */
  grantedDataActions: string[];
}

export interface RecordedRequest {
  method: string;
  host: string;
  path: string;
  authorized: boolean;
}

/** An RSA or EC key pair, made asynchronously so key generation does not block the fake server. */
export function makeKeyPair(kind: { rsaBits: number } | { ec: "P-256" }): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, _public: KeyObject, privateKey: KeyObject) =>
      error ? reject(error) : resolve(privateKey);
    if ("rsaBits" in kind) {
      generateKeyPair("rsa", { modulusLength: kind.rsaBits }, done);
    } else {
      generateKeyPair("ec", { namedCurve: kind.ec }, done);
    }
  });
}

const KEY_VERSION = "0123456789abcdef0123456789abcdef";

function base64url(data: Buffer): string {
  return data.toString("base64url");
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  response.end(JSON.stringify(body));
}

type VaultOperation = "get" | "wrapkey" | "unwrapkey" | "encrypt" | "decrypt";

/** The data action Azure RBAC checks for each Key Vault operation the fake answers. */
const DATA_ACTIONS: Record<VaultOperation, string> = {
  get: "Microsoft.KeyVault/vaults/keys/read",
  wrapkey: "Microsoft.KeyVault/vaults/keys/wrap/action",
  unwrapkey: "Microsoft.KeyVault/vaults/keys/unwrap/action",
  encrypt: "Microsoft.KeyVault/vaults/keys/encrypt/action",
  decrypt: "Microsoft.KeyVault/vaults/keys/decrypt/action",
};

export class FakeAzure {
  readonly requests: RecordedRequest[] = [];
  /** How many more wrapkey calls answer 403 ForbiddenByRbac, as while a role assignment propagates. */
  forbidWrap = 0;
  /** How many more key reads answer 403 ForbiddenByRbac. */
  forbidGet = 0;
  /** Leave token requests unanswered, as a network that drops packets does. */
  hangSignIn = false;
  /**
   * The data actions the service principal's role grants, as Azure RBAC checks them; anything else
   * answers 403 ForbiddenByRbac. Undefined grants every action.
   */
  grantedDataActions: string[] | undefined = undefined;
  /** An operation that answers with other bytes than it should, as a misbehaving vault would. */
  tamperWith: "unwrapkey" | "decrypt" | undefined = undefined;
  /** Other identities of the tenant, by client ID, each with its own grants. */
  readonly identities = new Map<string, FakeIdentity>();
  /** The client ID each issued access token belongs to. */
  private readonly tokens = new Map<string, string>();

  /** Resources the fake Azure Resource Manager serves, by ARM ID, without their `id`. */
  readonly armResources = new Map<string, unknown>();

  private constructor(
    private readonly server: Server,
    readonly principal: FakePrincipal,
    public key: FakeKey,
  ) {}

  static async start(principal: FakePrincipal, key: FakeKey): Promise<FakeAzure> {
    const server = createServer();
    // Copies, so that a test changing the fake's principal or key leaves the caller's constants alone.
    const fake = new FakeAzure(server, { ...principal }, { ...key });
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      fake.handle(request, response).catch((error: Error) => sendJson(response, 500, { error: { code: "FakeFailure", message: error.message } }));
    });
    // Node's 5 s default closes an idle kept-alive socket just as fetch may reuse it (ECONNRESET on a
    // busy machine, where a test pauses for seconds between requests); stop() closes them all anyway.
    server.keepAliveTimeout = 600_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** An SDK HttpClient that sends every request to this fake; see the file comment for why. */
  httpClient(): HttpClient {
    const inner = createDefaultHttpClient();
    const port = this.port;
    return {
      async sendRequest(request) {
        const original = new URL(request.url);
        const headers = createHttpHeaders(request.headers.toJSON());
        headers.set("x-original-host", original.host);
        const routed = createPipelineRequest({
          url: `http://127.0.0.1:${port}${original.pathname}${original.search}`,
          method: request.method,
          headers,
          body: request.body,
          abortSignal: request.abortSignal,
          timeout: request.timeout,
          disableKeepAlive: true,
          // The loopback hop is plain http; the SDK saw, and its policies checked, an https URL.
          allowInsecureConnection: true,
        });
        const response = await inner.sendRequest(routed);
        return { ...response, request };
      },
    };
  }

  /** Key Vault requests (not Entra ones) of a given kind, e.g. "wrapkey". */
  vaultCalls(operation: VaultOperation): RecordedRequest[] {
    return this.requests.filter((request) => {
      if (request.host !== FAKE_VAULT_HOST || !request.authorized) {
        return false;
      }
      const last = request.path.split("?")[0].split("/").filter(Boolean).pop();
      return operation === "get" ? request.method === "GET" : last === operation;
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const host = String(request.headers["x-original-host"] ?? "");
    const url = new URL(request.url ?? "/", "http://fake");
    const authorization = request.headers.authorization ?? "";
    this.requests.push({
      method: request.method ?? "GET",
      host,
      path: `${url.pathname}${url.search}`,
      authorized: authorization.startsWith("Bearer "),
    });
    const body = await readBody(request);
    if (host === FAKE_AUTHORITY_HOST) {
      this.handleEntra(url, body, response);
    } else if (host === FAKE_VAULT_HOST) {
      this.handleVault(request.method ?? "GET", url, authorization, body, response);
    } else if (host === FAKE_ARM_HOST) {
      this.handleArm(request.method ?? "GET", url, authorization, response);
    } else {
      sendJson(response, 404, { error: `fake has no host ${host}` });
    }
  }

  /** Azure Resource Manager: GET of the resources in `armResources`, by case-insensitive ID, as ARM matches them. */
  private handleArm(method: string, url: URL, authorization: string, response: ServerResponse): void {
    if (!authorization.startsWith("Bearer ")) {
      sendJson(response, 401, { error: { code: "AuthenticationFailed", message: "no bearer token" } });
      return;
    }
    const id = decodeURIComponent(url.pathname).toLowerCase();
    const found = [...this.armResources.entries()].find(([key]) => key.toLowerCase() === id);
    if (method !== "GET" || !found || !url.searchParams.get("api-version")) {
      sendJson(response, 404, { error: { code: "ResourceNotFound", message: `The resource '${url.pathname}' was not found.` } });
      return;
    }
    sendJson(response, 200, { id: found[0], ...(found[1] as object) });
  }

  private handleEntra(url: URL, body: string, response: ServerResponse): void {
    const [tenant, ...rest] = url.pathname.split("/").filter(Boolean);
    const path = rest.join("/");
    if (tenant !== this.principal.tenantId) {
      sendJson(response, 400, {
        error: "invalid_tenant",
        error_description: `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`,
        error_codes: [90002],
      });
      return;
    }
    const base = `https://${FAKE_AUTHORITY_HOST}/${tenant}`;
    if (path === "v2.0/.well-known/openid-configuration") {
      sendJson(response, 200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
      });
      return;
    }
    if (path === "oauth2/v2.0/token") {
      if (!this.hangSignIn) {
        this.issueToken(new URLSearchParams(body), response);
      }
      return;
    }
    sendJson(response, 404, { error: "not_found", error_description: `fake Entra has no ${path}` });
  }

  private issueToken(form: URLSearchParams, response: ServerResponse): void {
    const invalidClient = (code: number, description: string) =>
      sendJson(response, 401, {
        error: "invalid_client",
        error_description: `AADSTS${code}: ${description} Trace ID: 00000000-0000-0000-0000-000000000000`,
        error_codes: [code],
      });
    const clientId = form.get("client_id") ?? "";
    const other = this.identities.get(clientId);
    if (other !== undefined) {
      if (form.get("client_secret") !== other.clientSecret) {
        invalidClient(7000215, `Invalid client secret provided for app '${clientId}'.`);
        return;
      }
      this.sendToken(response, clientId);
      return;
    }
    if (clientId !== this.principal.clientId) {
      sendJson(response, 400, {
        error: "unauthorized_client",
        error_description: `AADSTS700016: Application with identifier '${form.get("client_id")}' was not found in the directory.`,
        error_codes: [700016],
      });
      return;
    }
    if (form.has("client_assertion")) {
      const trusted =
        form.get("client_assertion_type") === "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" &&
        this.principal.federatedToken !== undefined &&
        form.get("client_assertion") === this.principal.federatedToken;
      if (!trusted) {
        invalidClient(700213, `No matching federated identity record found for presented assertion subject for app '${this.principal.clientId}'.`);
        return;
      }
      this.sendToken(response, clientId);
      return;
    }
    if (form.get("client_secret") !== this.principal.clientSecret) {
      invalidClient(7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${this.principal.clientId}'.`);
      return;
    }
    if (this.principal.secretExpired) {
      invalidClient(7000222, `The provided client secret keys for app '${this.principal.clientId}' are expired. Visit the Azure portal to create new keys for your app.`);
      return;
    }
    this.sendToken(response, clientId);
  }

  private sendToken(response: ServerResponse, clientId: string): void {
    const token = `fake-access-token-${randomBytes(16).toString("hex")}`;
    this.tokens.set(token, clientId);
    sendJson(response, 200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: token });
  }

  private keyBundle(): Record<string, unknown> {
    const kid = `${FAKE_VAULT_URL}keys/${this.key.name}/${KEY_VERSION}`;
    const jwk = createPublicKey(this.key.privateKey).export({ format: "jwk" });
    const attributes: Record<string, unknown> = { enabled: this.key.enabled, created: 1767225600, updated: 1767225600, recoveryLevel: "Recoverable" };
    if (this.key.expires !== undefined) {
      attributes.exp = this.key.expires;
    }
    return { key: { ...jwk, kid, kty: this.key.kty, key_ops: this.key.keyOps }, attributes };
  }

  private handleVault(method: string, url: URL, authorization: string, body: string, response: ServerResponse): void {
    if (!authorization.startsWith("Bearer ")) {
      // Key Vault's challenge: the SDK's first request carries no token and learns the tenant here.
      sendJson(
        response,
        401,
        { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } },
        {
          "www-authenticate": `Bearer authorization="https://${FAKE_AUTHORITY_HOST}/${this.principal.tenantId}", resource="https://vault.azure.net"`,
        },
      );
      return;
    }
    const caller = this.tokens.get(authorization.slice("Bearer ".length));
    if (caller === undefined) {
      sendJson(response, 401, { error: { code: "Unauthorized", message: "AKV10032: Invalid issuer." } });
      return;
    }
    const granted = caller === this.principal.clientId ? this.grantedDataActions : this.identities.get(caller)?.grantedDataActions;
    const [collection, name, version, operation] = url.pathname.split("/").filter(Boolean);
    // Key Vault authorizes before it looks: a caller without the role gets 403 for a missing key too.
    if (method === "GET" && this.forbidGet > 0) {
      this.forbidGet -= 1;
      this.forbidden(response, caller, "Microsoft.KeyVault/vaults/keys/read");
      return;
    }
    const kind = (method === "GET" ? "get" : operation) as VaultOperation;
    if (collection === "keys" && DATA_ACTIONS[kind] && granted && !this.permits(kind, granted)) {
      this.forbidden(response, caller, DATA_ACTIONS[kind]);
      return;
    }
    if (collection !== "keys" || name !== this.key.name) {
      sendJson(response, 404, { error: { code: "KeyNotFound", message: `A key with (name/id) ${name} was not found in this key vault.` } });
      return;
    }
    if (method === "GET") {
      sendJson(response, 200, this.keyBundle());
      return;
    }
    const request = JSON.parse(body) as { alg: string; value: string };
    if (version !== KEY_VERSION || request.alg !== "RSA-OAEP-256") {
      sendJson(response, 400, { error: { code: "BadParameter", message: `fake supports only RSA-OAEP-256 on version ${KEY_VERSION}` } });
      return;
    }
    const kid = `${FAKE_VAULT_URL}keys/${name}/${KEY_VERSION}`;
    const oaep = { key: this.key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" };
    if (operation === "wrapkey") {
      if (this.forbidWrap > 0) {
        this.forbidWrap -= 1;
        this.forbidden(response, caller, "Microsoft.KeyVault/vaults/keys/wrap/action");
        return;
      }
      sendJson(response, 200, { kid, value: base64url(publicEncrypt(oaep, Buffer.from(request.value, "base64url"))) });
      return;
    }
    if (operation === "encrypt") {
      sendJson(response, 200, { kid, value: base64url(publicEncrypt(oaep, Buffer.from(request.value, "base64url"))) });
      return;
    }
    if (operation === "unwrapkey" || operation === "decrypt") {
      const plaintext = privateDecrypt(oaep, Buffer.from(request.value, "base64url"));
      if (this.tamperWith === operation) {
        plaintext[0] ^= 0xff;
      }
      sendJson(response, 200, { kid, value: base64url(plaintext) });
      return;
    }
    sendJson(response, 404, { error: { code: "NotFound", message: `fake Key Vault has no ${operation}` } });
  }

  /** Azure's rule: an operation's own data action, or, for the public half of an RSA key, keys/read. */
  private permits(kind: VaultOperation, granted: string[]): boolean {
    const publicKeyOperation = (kind === "wrapkey" || kind === "encrypt") && this.key.kty !== "EC";
    return granted.includes(DATA_ACTIONS[kind]) || (publicKeyOperation && granted.includes(DATA_ACTIONS.get));
  }

  private forbidden(response: ServerResponse, caller: string, action: string): void {
    sendJson(response, 403, {
      error: {
        code: "Forbidden",
        message:
          "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n" +
          `Caller: appid=${caller}\r\nAction: '${action}'\r\nAssignment: (not found)`,
        innererror: { code: "ForbiddenByRbac" },
      },
    });
  }
}
