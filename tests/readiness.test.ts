/**
 * The deployer's readiness probe (components/azure/readinessProvider.ts), in this process against
 * the fake Entra ID and Key Vault: Key Vault answers 403 while the role assignment propagates, then
 * 404 (the key does not exist yet), which proves access. The same provider in the real provider
 * host is tested in tests/engine-readiness.test.ts.
 */
import * as fs from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { ClientSecretCredential } from "@azure/identity";
import type * as pulumi from "@pulumi/pulumi";
import { DataPlaneReadinessProvider, deployerSignIn, waitForDataPlaneAccess, type ReadinessInputs } from "../components/azure/readinessProvider";
import { FAKE_VAULT_URL, FakeAzure, makeKeyPair } from "./support/fake-azure";

const DEPLOYER = { tenantId: "aaaaaaaa-1111-4222-8333-444444444444", clientId: "bbbbbbbb-5555-4666-8777-888888888888", clientSecret: "Dep~readiness-secret-1" };
const ROLE_ASSIGNMENT = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/roleAssignments/ra-1";
const FAST = { initialDelayMs: 20, maxDelayMs: 50 };
/** FAST, with the SDK's transport routed to the fake. */
const routed = () => ({ ...FAST, httpClient: azure.httpClient() });

let azure: FakeAzure;
let logs: string[];

beforeAll(async () => {
  azure = await FakeAzure.start(DEPLOYER, { name: "another-key", kty: "RSA", privateKey: await makeKeyPair({ rsaBits: 2048 }), keyOps: [], enabled: true });
});

afterAll(() => azure.close());

beforeEach(() => {
  azure.forbidGet = 0;
  logs = [];
});

function credential(secret = DEPLOYER.clientSecret): ClientSecretCredential {
  return new ClientSecretCredential(DEPLOYER.tenantId, DEPLOYER.clientId, secret, { httpClient: azure.httpClient() });
}

const target = { vaultUrl: FAKE_VAULT_URL, keyName: "cerby-external-key", trigger: ROLE_ASSIGNMENT };

describe("waitForDataPlaneAccess", () => {
  test("polls through 403 answers and continues at the first 404, logging each step", async () => {
    azure.forbidGet = 3;
    const polls = await waitForDataPlaneAccess(target, credential(), 60_000, { ...routed(), log: (line) => logs.push(line) });
    expect(polls).toBe(4);
    expect(logs.filter((line) => line.includes("still answers 403"))).toHaveLength(3);
    expect(logs[logs.length - 1]).toMatch(/^The deploying identity can use https:\/\/kv-cerby-fake\.vault\.azure\.net\/ \(poll 4, after \d+\.\d s\); continuing\.$/);
  });

  test("continues at once when access already works", async () => {
    expect(await waitForDataPlaneAccess(target, credential(), 60_000, routed())).toBe(1);
  });

  test("a vault that keeps answering 403 fails at the bound, naming the vault, the assignment and what to do", async () => {
    azure.forbidGet = Number.POSITIVE_INFINITY;
    const failure = waitForDataPlaneAccess(target, credential(), 2_000, { ...routed(), log: (line) => logs.push(line) });
    await expect(failure).rejects.toThrow(/still cannot use Key Vault https:\/\/kv-cerby-fake\.vault\.azure\.net\/ after \d+ polls .*403 Forbidden.*ra-1 has not taken effect.*run `pulumi up` again.*rolePropagationTimeoutMinutes/);
    expect(logs.length).toBeGreaterThan(1);
  });

  test("a sign-in Entra ID refuses is reported as SignInUnavailable, without the secret", async () => {
    const failure = await waitForDataPlaneAccess(target, credential("wrong-secret-value"), 60_000, routed()).catch((error: Error) => error);
    expect(failure).toMatchObject({ name: "SignInUnavailable" });
    expect(String((failure as Error).message)).not.toContain("wrong-secret-value");
  });
});

describe("deployerSignIn: the credential azure-native would use", () => {
  const none = () => undefined;

  test("ARM_* client secret variables sign in as that service principal", () => {
    const env = { ARM_CLIENT_ID: DEPLOYER.clientId, ARM_CLIENT_SECRET: "s", ARM_TENANT_ID: DEPLOYER.tenantId };
    expect(deployerSignIn(none, env)).toMatchObject({ kind: `service principal ${DEPLOYER.clientId}` });
  });

  test("azure-native provider config wins over the environment", () => {
    const config: Record<string, string> = { "azure-native:clientId": "from-config", "azure-native:clientSecret": "s", "azure-native:tenantId": "t" };
    expect(deployerSignIn((key) => config[key], { ARM_CLIENT_ID: "from-env", ARM_CLIENT_SECRET: "s", ARM_TENANT_ID: "t" })).toMatchObject({ kind: "service principal from-config" });
  });

  test("a managed identity, and otherwise the Azure CLI login", () => {
    expect(deployerSignIn(none, { ARM_USE_MSI: "true" })).toMatchObject({ kind: "the system-assigned managed identity" });
    expect(deployerSignIn(none, {})).toMatchObject({ kind: "the Azure CLI login" });
  });

  test("OIDC with a token, a token file or GitHub's token request signs in as the federated identity", () => {
    const ids = { ARM_USE_OIDC: "true", ARM_CLIENT_ID: DEPLOYER.clientId, ARM_TENANT_ID: DEPLOYER.tenantId };
    const federated = { kind: `federated identity ${DEPLOYER.clientId} (OIDC)` };
    expect(deployerSignIn(none, { ...ids, ARM_OIDC_TOKEN: "t" })).toMatchObject(federated);
    expect(deployerSignIn(none, { ...ids, ARM_OIDC_TOKEN_FILE_PATH: "/token" })).toMatchObject(federated);
    expect(deployerSignIn(none, { ...ids, ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.actions.example/x", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "r" })).toMatchObject(federated);
    const config: Record<string, string> = { "azure-native:useOidc": "true", "azure-native:oidcToken": "t" };
    expect(deployerSignIn((key) => config[key], { ARM_CLIENT_ID: DEPLOYER.clientId, ARM_TENANT_ID: DEPLOYER.tenantId })).toMatchObject(federated);
  });

  test("OIDC without a token source, client ID or tenant, and client certificates, are not supported: the caller falls back to the fixed wait", () => {
    expect(deployerSignIn(none, { ARM_USE_OIDC: "true", ARM_CLIENT_ID: "c", ARM_TENANT_ID: "t" })).toEqual({ unsupported: expect.stringContaining("OIDC is on but") });
    expect(deployerSignIn(none, { ARM_USE_OIDC: "true", ARM_TENANT_ID: "t", ARM_OIDC_TOKEN: "x" })).toEqual({ unsupported: expect.stringContaining("client ID") });
    expect(deployerSignIn(none, { ARM_CLIENT_CERTIFICATE_PATH: "/c.pfx" })).toEqual({ unsupported: expect.stringContaining("client certificate") });
  });
});

describe("DataPlaneReadinessProvider", () => {
  const inputs: ReadinessInputs = { ...target, timeoutSeconds: 60, fallbackSeconds: 0 };

  function provider(env: NodeJS.ProcessEnv): DataPlaneReadinessProvider {
    return new DataPlaneReadinessProvider({ ...routed(), env, log: (line) => logs.push(line) });
  }

  test("create waits for access as the deployer named by ARM_* and keeps its inputs", async () => {
    azure.forbidGet = 2;
    const env = { ARM_CLIENT_ID: DEPLOYER.clientId, ARM_CLIENT_SECRET: DEPLOYER.clientSecret, ARM_TENANT_ID: DEPLOYER.tenantId };
    const created = await provider(env).create(inputs);
    expect(created).toEqual({ id: "deployer-access-ra-1", outs: inputs });
    expect(logs[0]).toContain(`Waiting until service principal ${DEPLOYER.clientId} can use ${FAKE_VAULT_URL}`);
    expect(azure.forbidGet).toBe(0);
  });

  test("a credential kind it cannot use falls back to the configured fixed wait, and says so", async () => {
    await provider({ ARM_CLIENT_CERTIFICATE_PATH: "/deployer.pfx" }).create(inputs);
    expect(logs).toEqual([expect.stringMatching(/^Cannot probe .* \(azure-native signs in with a client certificate.*\); waiting the fixed 0 s of rolePropagationWaitSeconds instead\.$/)]);
  });

  test("a failed sign-in falls back to the fixed wait too", async () => {
    const env = { ARM_CLIENT_ID: DEPLOYER.clientId, ARM_CLIENT_SECRET: "not-the-secret", ARM_TENANT_ID: DEPLOYER.tenantId };
    await provider(env).create(inputs);
    expect(logs[logs.length - 1]).toMatch(/signing in as service principal .* failed.*waiting the fixed 0 s/);
    expect(logs.join("\n")).not.toContain("not-the-secret");
  });

  test("only a new role assignment waits again; other changes are no change", async () => {
    const instance = provider({});
    expect(await instance.diff("id", inputs, { ...inputs, timeoutSeconds: 120 })).toEqual({ changes: false, replaces: [] });
    expect(await instance.diff("id", inputs, { ...inputs, trigger: `${ROLE_ASSIGNMENT}-new` })).toEqual({ changes: true, replaces: ["trigger"] });
  });
});

describe("DataPlaneReadinessProvider with OIDC federation, as a pipeline signs in", () => {
  const FEDERATED_TOKEN = "eyJ.federated-token-from-ci.sig";
  const REQUEST_TOKEN = "ci-request-token-Qx7~never-logged";
  const inputs: ReadinessInputs = { ...target, timeoutSeconds: 60, fallbackSeconds: 0 };
  const ids = { ARM_USE_OIDC: "true", ARM_CLIENT_ID: DEPLOYER.clientId, ARM_TENANT_ID: DEPLOYER.tenantId };
  let tokenService: Server;
  let tokenServiceUrl: string;
  let tokenRequests: { url: string; authorization: string | undefined }[];

  beforeAll(async () => {
    // GitHub Actions' ID token service: GET with the job's bearer token, the audience as a query parameter.
    tokenService = createServer((request: IncomingMessage, response) => {
      tokenRequests.push({ url: request.url ?? "", authorization: request.headers.authorization });
      const authorized = request.headers.authorization === `Bearer ${REQUEST_TOKEN}`;
      response.writeHead(authorized ? 200 : 401, { "content-type": "application/json" });
      response.end(JSON.stringify(authorized ? { value: FEDERATED_TOKEN } : { message: "Bad credentials" }));
    });
    await new Promise<void>((resolve) => tokenService.listen(0, "127.0.0.1", resolve));
    tokenServiceUrl = `http://127.0.0.1:${(tokenService.address() as { port: number }).port}/_apis/token?api-version=2.0`;
  });

  afterAll(() => new Promise<void>((resolve) => tokenService.close(() => resolve())));

  beforeEach(() => {
    tokenRequests = [];
    azure.principal.federatedToken = FEDERATED_TOKEN;
  });

  afterEach(() => {
    azure.principal.federatedToken = undefined;
    expect(logs.join("\n")).not.toContain(REQUEST_TOKEN);
    expect(logs.join("\n")).not.toContain(FEDERATED_TOKEN);
  });

  function provider(env: NodeJS.ProcessEnv): DataPlaneReadinessProvider {
    return new DataPlaneReadinessProvider({ ...routed(), env, log: (line) => logs.push(line) });
  }

  test("GitHub's token request: the federated token is asked for with the Entra audience, and the probe polls through 403 to 404", async () => {
    azure.forbidGet = 2;
    await provider({ ...ids, ACTIONS_ID_TOKEN_REQUEST_URL: tokenServiceUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN }).create(inputs);
    expect(tokenRequests[0]).toEqual({ url: "/_apis/token?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange", authorization: `Bearer ${REQUEST_TOKEN}` });
    expect(logs[0]).toContain(`Waiting until federated identity ${DEPLOYER.clientId} (OIDC) can use ${FAKE_VAULT_URL}`);
    expect(logs[logs.length - 1]).toMatch(/^The deploying identity can use .* \(poll 3, /);
    expect(azure.forbidGet).toBe(0);
  });

  test("a token in ARM_OIDC_TOKEN_FILE_PATH is read and trusted", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oidc-"));
    try {
      fs.writeFileSync(path.join(dir, "token"), `${FEDERATED_TOKEN}\n`);
      await provider({ ...ids, ARM_OIDC_TOKEN_FILE_PATH: path.join(dir, "token") }).create(inputs);
      expect(logs[logs.length - 1]).toMatch(/^The deploying identity can use .* \(poll 1, /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a token Entra does not trust, or a token service that refuses, falls back to the fixed wait without the tokens", async () => {
    await provider({ ...ids, ARM_OIDC_TOKEN: "eyJ.an-untrusted-token.sig" }).create(inputs);
    expect(logs[logs.length - 1]).toMatch(/signing in as federated identity .* failed.*waiting the fixed 0 s/);
    expect(logs.join("\n")).not.toContain("an-untrusted-token");
    await provider({ ...ids, ACTIONS_ID_TOKEN_REQUEST_URL: tokenServiceUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "a-wrong-request-token" }).create(inputs);
    expect(logs[logs.length - 1]).toMatch(/signing in as federated identity .* failed.*answered 401 without a token.*waiting the fixed 0 s/);
    expect(logs.join("\n")).not.toContain("a-wrong-request-token");
  });

  test("a token request URL in the stack's config never receives the runner's request token: URL and token come from one place", async () => {
    const elsewhere = new URL(tokenServiceUrl);
    elsewhere.pathname = "/collect";
    const config: Record<string, string> = { "azure-native:oidcRequestUrl": elsewhere.href };
    const probe = provider({ ...ids, ACTIONS_ID_TOKEN_REQUEST_URL: tokenServiceUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN });
    await probe.configure({ config: { get: (key: string) => config[key] } } as unknown as pulumi.dynamic.ConfigureRequest);
    await probe.create(inputs);
    const asked = tokenRequests.map((request) => request.url.split("?")[0]);
    expect(asked).not.toContain("/collect");
    expect(asked).toContain("/_apis/token");
    expect(logs[logs.length - 1]).toMatch(/^The deploying identity can use /);
  });

  test("a token request URL that is not https (beyond loopback) is refused before the request token is sent", async () => {
    await provider({ ...ids, ACTIONS_ID_TOKEN_REQUEST_URL: "http://token.example.invalid/x", ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN }).create(inputs);
    expect(logs[logs.length - 1]).toMatch(/OIDC token request URL of token\.example\.invalid is not https.*waiting the fixed 0 s/);
    expect(tokenRequests).toEqual([]);
  });
});
