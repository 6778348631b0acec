/**
 * `npm run verify` end to end, in process: the real Azure SDKs against tests/support/fake-azure.ts
 * (routed through their pluggable HTTP client, see that file), the real AWS SDK clients against
 * tests/support/fake-aws.ts (through their endpoint override), and the project's Cerby client
 * against the Cerby emulator. Every run's stdout and stderr are scanned for the secrets.
 */
import { spawnSync } from "node:child_process";
import type { KeyObject } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { IAMClient } from "@aws-sdk/client-iam";
import { KMSClient } from "@aws-sdk/client-kms";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { ClientSecretCredential } from "@azure/identity";
import { cerbyTrustPolicy } from "../components/aws/role";
import { CERBY_AWS_PRINCIPAL_ARN } from "../components/config";
import { main, type CheckLine, type VerifyEnvironment } from "../scripts/verify";
import { armReader } from "../scripts/verify-alerts";
import { CerbyEmulator, type StoredVault } from "./support/cerby-emulator";
import { FAKE_VAULT_URL, FakeAzure, makeKeyPair } from "./support/fake-azure";
import { FakeAws, multiRegionKeys } from "./support/fake-aws";

const CLIENT_SECRET = "Vq8~verify-client-secret.value-42";
const API_KEY = "cerby-api-key-for-verify-tests-0001";
const PRINCIPAL = {
  tenantId: "11111111-2222-3333-4444-555555555555",
  clientId: "66666666-7777-8888-9999-000000000000",
  clientSecret: CLIENT_SECRET,
};
/** Whoever runs verify (a person's `az login`, a pipeline's identity): Key Vault Reader grants it keys/read. */
const RUNNER = { clientId: "77777777-8888-4999-8000-111111111111", clientSecret: "runner-identity-secret-0042" };
const KEY_VAULT_READER_DATA_ACTIONS = ["Microsoft.KeyVault/vaults/keys/read"];
const ACCOUNT = "123456789012";
const WORKSPACE = "123e4567-e89b-42d3-a456-426614174000";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/cerby-kms-access`;
const NOW = new Date("2026-06-01T00:00:00Z");
const AWS_CREDENTIALS = { accessKeyId: "AKIAFAKEFAKEFAKEFAKE", secretAccessKey: "fake-aws-secret" };

let rsa4096: KeyObject;
let rsa2048: KeyObject;
let azure: FakeAzure;
let aws: FakeAws;
let cerby: CerbyEmulator;
let akvVault: StoredVault;
let kmsVault: StoredVault;
let outputs: Record<string, unknown>;

beforeAll(async () => {
  [rsa4096, rsa2048] = await Promise.all([makeKeyPair({ rsaBits: 4096 }), makeKeyPair({ rsaBits: 2048 })]);
});

beforeEach(async () => {
  azure = await FakeAzure.start(PRINCIPAL, {
    name: "cerby-external-key",
    kty: "RSA",
    privateKey: rsa4096,
    keyOps: ["wrapKey", "unwrapKey", "encrypt", "decrypt"],
    enabled: true,
  });
  azure.identities.set(RUNNER.clientId, { clientSecret: RUNNER.clientSecret, grantedDataActions: KEY_VAULT_READER_DATA_ACTIONS });
  aws = await FakeAws.start();
  const [primary, replica] = multiRegionKeys(ACCOUNT, "us-east-2", "us-west-2");
  aws.keys.set(primary.Arn, primary);
  aws.keys.set(replica.Arn, replica);
  aws.roles.set("cerby-kms-access", { arn: ROLE_ARN, trustPolicy: cerbyTrustPolicy(CERBY_AWS_PRINCIPAL_ARN, WORKSPACE) });
  cerby = await CerbyEmulator.start({ keys: { [API_KEY]: { role: "admin", scopes: ["vaults:read"] } }, withLocalVault: true });
  akvVault = cerby.seed({ name: "Azure Key Vault", scheme: "akv" });
  kmsVault = cerby.seed({ name: "AWS KMS", scheme: "kms_byo" });
  outputs = {
    cerbyApiUrl: cerby.url,
    tenantId: PRINCIPAL.tenantId,
    clientId: PRINCIPAL.clientId,
    clientSecret: CLIENT_SECRET,
    keyVaultUri: FAKE_VAULT_URL,
    keyName: "cerby-external-key",
    keyId: `${FAKE_VAULT_URL}keys/cerby-external-key`,
    clientSecretExpiresAt: "2026-11-28T00:00:00Z",
    cerbyVaultId: akvVault.id,
    cerbyVaultSetAsDefault: false,
    kmsKeyArn: primary.Arn,
    kmsKeyId: primary.KeyId,
    kmsReplicaKeyArn: replica.Arn,
    kmsPrimaryRegion: "us-east-2",
    kmsReplicaRegion: "us-west-2",
    cerbyRoleArn: ROLE_ARN,
    awsAccountId: ACCOUNT,
    awsCerbyVaultId: kmsVault.id,
    cerbyWorkspaceId: WORKSPACE,
    cerbyPrincipalArn: CERBY_AWS_PRINCIPAL_ARN,
  };
});

afterEach(async () => {
  await Promise.all([azure.close(), aws.close(), cerby.stop()]);
});

function environment(): Partial<VerifyEnvironment> {
  const awsOptions = { endpoint: aws.endpoint, credentials: AWS_CREDENTIALS, maxAttempts: 1 };
  return {
    now: NOW,
    azure: { httpClient: azure.httpClient(), initialBackoffMs: 50 },
    azureCredential: new ClientSecretCredential(PRINCIPAL.tenantId, RUNNER.clientId, RUNNER.clientSecret, { httpClient: azure.httpClient() }),
    kms: (region) => new KMSClient({ region, ...awsOptions }),
    iam: (region) => new IAMClient({ region, ...awsOptions }),
    cerby: { maxAttempts: 1 },
    alerts: {
      arm: armReader({ getToken: async () => ({ token: "fake-arm-token", expiresOnTimestamp: Date.now() + 3_600_000 }) }, azure.httpClient()),
      events: (region) => new EventBridgeClient({ region, ...awsOptions }),
      cloudtrail: (region) => new CloudTrailClient({ region, ...awsOptions }),
    },
  };
}

interface Run {
  status: number;
  stdout: string;
  stderr: string;
  lines: Map<string, CheckLine>;
}

/** Runs verify on `input` (an object is serialized) through stdin, and scans all it printed. */
async function run(
  input: unknown,
  options: { args?: string[]; env?: Record<string, string | undefined>; overrides?: Partial<VerifyEnvironment> } = {},
): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const status = await main(
    ["--outputs", "-", "--json", ...(options.args ?? [])],
    {
      stdin: Readable.from([typeof input === "string" ? input : JSON.stringify(input)]),
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: options.env ?? { CERBY_API_KEY: API_KEY },
    },
    { ...environment(), ...options.overrides },
  );
  for (const secret of [CLIENT_SECRET, API_KEY, RUNNER.clientSecret]) {
    expect(stdout).not.toContain(secret);
    expect(stderr).not.toContain(secret);
  }
  const report = stdout.trim().startsWith("{") ? (JSON.parse(stdout) as { checks: CheckLine[] }) : { checks: [] };
  return { status, stdout, stderr, lines: new Map(report.checks.map((line) => [line.check, line])) };
}

/** The key's own checks, each passed: what a person who disables or deletes the key breaks. */
const KEY_CHECKS_PASSED = Object.fromEntries(
  ["key-read", "key-type", "key-size", "key-enabled", "key-dates", "key-operations"].map((name) => [`azure.${name}`, "pass"]),
);

function statuses(result: Run): Record<string, string> {
  return Object.fromEntries([...result.lines.values()].map((line) => [line.check, line.status]));
}

describe("npm run verify", () => {
  test("all good: every check passes and the exit status is 0", async () => {
    const result = await run(outputs);
    expect(statuses(result)).toEqual({
      "azure.client-secret-expiry": "pass",
      "azure.sign-in": "pass",
      ...KEY_CHECKS_PASSED,
      "azure.wrap-unwrap": "pass",
      "azure.encrypt-decrypt": "pass",
      "aws.kms-primary": "pass",
      "aws.kms-replica": "pass",
      "aws.role-trust": "pass",
      "cerby.azure-vault": "pass",
      "cerby.aws-vault": "pass",
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, summary: { pass: 15, fail: 0, notProved: 0 } });
    expect(result.lines.get("azure.client-secret-expiry")?.reason).toBe("the client secret expires in 180 days, on 2026-11-28");
    expect(aws.requests).toEqual(
      expect.arrayContaining([
        { service: "kms", region: "us-east-2", action: "DescribeKey" },
        { service: "kms", region: "us-west-2", action: "DescribeKey" },
        { service: "iam", region: "us-east-2", action: "GetRole" },
      ]),
    );
    expect(azure.vaultCalls("wrapkey")).toHaveLength(1);
    expect(azure.vaultCalls("decrypt")).toHaveLength(1);
  });

  test("with audit logs and tamper alerts in the outputs, verify also checks the diagnostic setting, the rules and CloudTrail", async () => {
    const vaultId = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-cerby-fake";
    const workspaceId = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/logs";
    azure.armResources.set(`${vaultId}/providers/Microsoft.Insights/diagnosticSettings/cerby-external-keys-audit`, {
      properties: { workspaceId, logs: [{ category: "AuditEvent", enabled: true }] },
    });
    const ruleArn = `arn:aws:events:us-east-2:${ACCOUNT}:rule/cerby-kms`;
    aws.rules.set(ruleArn, { State: "ENABLED" });
    const result = await run({ ...outputs, keyVaultId: vaultId, logAnalyticsWorkspaceId: workspaceId, tamperAlertRuleArns: { "us-east-2": [ruleArn] } });
    expect(result.lines.get("azure.audit-logs")?.status).toBe("pass");
    expect(result.lines.get("aws.tamper-alerts")?.status).toBe("pass");
    expect(result.lines.get("aws.cloudtrail")).toMatchObject({ status: "fail", reason: expect.stringMatching(/^no logging CloudTrail trail .* in us-east-2/) });
    expect(result.status).toBe(1);
  });

  test("vaults registered by hand (guided registration) pass with a key that has the read scope alone, and verify only reads", async () => {
    const handMade = await CerbyEmulator.start({ keys: { [API_KEY]: { role: "member", scopes: ["vaults:read"] } }, writeEndpoints: 404 });
    try {
      const azureVault = handMade.seed({ name: "Azure Key Vault", scheme: "akv" });
      const awsVault = handMade.seed({ name: "AWS KMS", scheme: "kms_byo" });
      const result = await run({ ...outputs, cerbyApiUrl: handMade.url, cerbyVaultId: azureVault.id, awsCerbyVaultId: awsVault.id });
      expect(statuses(result)).toMatchObject({ "cerby.azure-vault": "pass", "cerby.aws-vault": "pass" });
      expect(result.status).toBe(0);
      expect(handMade.requests.map((request) => request.method)).toEqual(["GET"]);
    } finally {
      await handMade.stop();
    }
  });

  test("the text report prints one line per check with its status and reason", async () => {
    let stdout = "";
    const status = await main(
      ["--outputs", "-"],
      { stdin: Readable.from([JSON.stringify(outputs)]), stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true }, env: { CERBY_API_KEY: API_KEY } },
      environment(),
    );
    expect(status).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(16);
    expect(lines[0]).toMatch(/^PASS {8}azure\.client-secret-expiry  the client secret expires in 180 days/);
    expect(lines).toContainEqual(expect.stringMatching(/^PASS {8}aws\.role-trust +arn:aws:iam::123456789012:role\/cerby-kms-access trusts .* with sts:ExternalId 123e4567/));
    expect(lines.at(-1)).toBe("15 passed, 0 failed, 0 not proved");
  });

  test("a client secret fails from 30 days before its end date, so a scheduled verify alerts in time; an expired one fails", async () => {
    const thirtyDays = await run({ ...outputs, clientSecretExpiresAt: "2026-07-01T00:00:00Z" });
    expect(thirtyDays.lines.get("azure.client-secret-expiry")).toMatchObject({ status: "pass", reason: "the client secret expires in 30 days, on 2026-07-01" });
    expect(thirtyDays.status).toBe(0);
    const underThirty = await run({ ...outputs, clientSecretExpiresAt: "2026-06-30T23:00:00Z" });
    expect(underThirty.lines.get("azure.client-secret-expiry")).toMatchObject({
      status: "fail",
      reason: expect.stringMatching(/expires in 29 days, on 2026-06-30 \(less than 30\): rotate it/),
    });
    expect(underThirty.status).toBe(1);
    const expired = await run({ ...outputs, clientSecretExpiresAt: "2026-05-01T00:00:00Z" });
    expect(expired.lines.get("azure.client-secret-expiry")).toMatchObject({ status: "fail", reason: expect.stringMatching(/expired on 2026-05-01/) });
    expect(expired.status).toBe(1);
  });

  test("while a guided rotation is unconfirmed (cerbyClientSecretConfirmed false) verify fails, though the new secret works on the key", async () => {
    const pending = await run({ ...outputs, cerbyClientSecretConfirmed: false });
    expect(pending.lines.get("azure.clientSecretConfirmed")).toMatchObject({
      status: "fail",
      reason: expect.stringContaining("set cerbyClientSecretConfirmedStartDate to clientSecretStartDate"),
    });
    expect(pending.lines.get("azure.wrap-unwrap")?.status).toBe("pass");
    expect(pending.status).not.toBe(0);
    const confirmed = await run({ ...outputs, cerbyClientSecretConfirmed: true });
    expect(confirmed.lines.get("azure.clientSecretConfirmed")?.status).toBe("pass");
    expect(confirmed.status).toBe(0);
  });

  test("an expired secret that Entra ID refuses fails the sign-in check", async () => {
    azure.principal.secretExpired = true;
    const result = await run(outputs);
    expect(result.lines.get("azure.sign-in")).toMatchObject({ status: "fail", reason: expect.stringMatching(/AADSTS7000222.*rotate it/) });
    expect(result.status).toBe(1);
  });

  test("a disabled Cerby vault fails", async () => {
    cerby.modify(akvVault.id, { state: "disabled" });
    const result = await run(outputs);
    expect(result.lines.get("cerby.azure-vault")).toMatchObject({ status: "fail", reason: expect.stringMatching(/is disabled in Cerby/) });
    expect(result.lines.get("cerby.aws-vault")?.status).toBe("pass");
    expect(result.status).toBe(1);
  });

  test("a vault missing from Cerby fails, and so does a default flag that differs from the stack's setting", async () => {
    const result = await run({ ...outputs, cerbyVaultId: "00000000-0000-4000-8000-000000000000", awsCerbyVaultSetAsDefault: true });
    expect(result.lines.get("cerby.azure-vault")).toMatchObject({ status: "fail", reason: expect.stringMatching(/Cerby has no vault 00000000/) });
    expect(result.lines.get("cerby.aws-vault")).toMatchObject({ status: "fail", reason: expect.stringMatching(/is not the default vault/) });
  });

  test("a 2048-bit Azure key fails the size check", async () => {
    azure.key = { ...azure.key, privateKey: rsa2048 };
    const result = await run(outputs);
    expect(result.lines.get("azure.key-size")).toMatchObject({ status: "fail", reason: expect.stringMatching(/2048-bit modulus, not 4096; likely cause: wrong key/) });
    expect(result.lines.get("azure.wrap-unwrap")).toEqual({ check: "azure.wrap-unwrap", status: "not-proved", reason: "not run: azure.key-size failed first" });
  });

  test("wrap forbidden until the bound fails in bounded time, naming propagation and role", async () => {
    azure.forbidWrap = Number.POSITIVE_INFINITY;
    const started = performance.now();
    const result = await run(outputs, { args: ["--azure-timeout-seconds", "2"] });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(result.lines.get("azure.wrap-unwrap")).toMatchObject({
      status: "fail",
      reason: expect.stringMatching(/403.*likely cause: the role assignment has not propagated yet.*wrong role or scope/),
    });
    expect(result.stderr).toMatch(/^Azure checks attempt 1: wrap-unwrap failed/m);
  });

  test("Azure unreachable: verify speaks of itself (Azure checks, run verify where Azure can be reached), not of the deploy's preflight or cerbyPreflight", async () => {
    const closed = await FakeAzure.start(PRINCIPAL, azure.key);
    const httpClient = closed.httpClient();
    await closed.close();
    const result = await run(outputs, { args: ["--azure-timeout-seconds", "1"], overrides: { azure: { httpClient, initialBackoffMs: 50 } } });
    expect(result.lines.get("azure.sign-in")).toMatchObject({
      status: "fail",
      reason: expect.stringMatching(/likely cause: network: .*; run npm run verify from a machine that can reach Entra ID and the vault$/),
    });
    expect(result.stderr).toMatch(/^Azure checks: checking key "cerby-external-key"/m);
    expect(result.stderr).toMatch(/^Azure checks attempt 1: sign-in failed/m);
    expect(result.stdout + result.stderr).not.toMatch(/cerbyPreflight|Preflight/);
  });

  test("AWS: a replica pending deletion, a single-Region primary and a trust policy without the workspace ID all fail", async () => {
    const primaryArn = outputs.kmsKeyArn as string;
    const replicaArn = outputs.kmsReplicaKeyArn as string;
    aws.keys.set(primaryArn, { ...aws.keys.get(primaryArn)!, MultiRegion: false, MultiRegionConfiguration: undefined });
    aws.keys.set(replicaArn, { ...aws.keys.get(replicaArn)!, KeyState: "PendingDeletion", DeletionDate: 1782864000 });
    aws.roles.set("cerby-kms-access", { arn: ROLE_ARN, trustPolicy: cerbyTrustPolicy(CERBY_AWS_PRINCIPAL_ARN, "another-workspace") });
    const result = await run(outputs);
    expect(result.lines.get("aws.kms-primary")).toMatchObject({ status: "fail", reason: expect.stringMatching(/not a multi-Region primary key \(single-Region\)/) });
    expect(result.lines.get("aws.kms-replica")).toMatchObject({
      status: "fail",
      reason: expect.stringMatching(/scheduled for deletion on 2026-07-01T00:00:00.000Z: cancel it now \(aws kms cancel-key-deletion/),
    });
    expect(result.lines.get("aws.role-trust")).toMatchObject({
      status: "fail",
      reason: expect.stringMatching(/does not let .* assume it with sts:ExternalId 123e4567.*statement CerbyAssumeRole .* with sts:ExternalId another-workspace/),
    });
  });

  test.each(["RSA_2048", "RSA_3072", "SYMMETRIC_DEFAULT"])("a KMS key of spec %s fails: Cerby needs RSA_4096", async (spec) => {
    const primaryArn = outputs.kmsKeyArn as string;
    aws.keys.set(primaryArn, { ...aws.keys.get(primaryArn)!, KeySpec: spec });
    const result = await run(outputs);
    expect(result.lines.get("aws.kms-primary")).toMatchObject({ status: "fail", reason: expect.stringContaining(`key spec is ${spec}, not RSA_4096`) });
    expect(result.lines.get("aws.kms-replica")?.status).toBe("pass");
    expect(result.status).toBe(1);
  });

  test("a key in the wrong Region is reported as the AWS error", async () => {
    const result = await run({ ...outputs, kmsReplicaRegion: "eu-west-1" });
    expect(result.lines.get("aws.kms-replica")).toMatchObject({ status: "fail", reason: expect.stringMatching(/in eu-west-1 failed: NotFoundException/) });
  });

  describe("without the clientSecret output (exportClientSecret false, the default)", () => {
    const withoutSecret = () => {
      const { clientSecret: _secret, ...rest } = outputs;
      return rest;
    };

    test("the key is read as the identity running verify; what only the service principal proves is not proved, never passed", async () => {
      const result = await run(withoutSecret());
      expect(statuses(result)).toMatchObject({
        ...KEY_CHECKS_PASSED,
        "azure.sign-in": "not-proved",
        "azure.wrap-unwrap": "not-proved",
        "azure.encrypt-decrypt": "not-proved",
        "cerby.azure-vault": "pass",
      });
      expect(result.lines.get("azure.key-read")?.reason).toMatch(/as the identity running verify$/);
      expect(result.lines.get("azure.sign-in")?.reason).toMatch(/not run as application 66666666-.*exportClientSecret is false.*set exportClientSecret to true/);
      expect(result.lines.has("azure.outputs")).toBe(false);
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, scheduled: false, summary: { pass: 12, fail: 0, notProved: 3 } });
      expect(result.status).toBe(0);
      // The key was read with the runner's token, and nothing was wrapped: no one signed in as Cerby's principal.
      expect(azure.vaultCalls("get")).toHaveLength(1);
      expect(azure.vaultCalls("wrapkey")).toHaveLength(0);
    });

    test("a scheduled run fails on a check it could not prove, and the text summary counts passed, failed and not proved", async () => {
      const scheduled = await run(withoutSecret(), { args: ["--scheduled"] });
      expect(scheduled.status).toBe(1);
      expect(JSON.parse(scheduled.stdout)).toMatchObject({ ok: false, scheduled: true, summary: { fail: 0, notProved: 3 } });
      let stdout = "";
      const status = await main(
        ["--outputs", "-", "--scheduled"],
        { stdin: Readable.from([JSON.stringify(withoutSecret())]), stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true }, env: { CERBY_API_KEY: API_KEY } },
        environment(),
      );
      expect(status).toBe(1);
      expect(stdout).toMatch(/^NOT PROVED {2}azure\.wrap-unwrap +not run: only the service principal can prove/m);
      expect(stdout.trimEnd().split("\n").at(-1)).toBe("12 passed, 0 failed, 3 not proved (a scheduled run fails on a check it could not prove)");
      expect((await run(outputs, { args: ["--scheduled"] })).status).toBe(0);
    });

    test("a key disabled by hand fails, and so does a deleted one; each is read as the identity running verify", async () => {
      azure.key = { ...azure.key, enabled: false };
      const disabled = await run(withoutSecret(), { args: ["--scheduled"] });
      expect(disabled.lines.get("azure.key-enabled")).toMatchObject({ status: "fail", reason: expect.stringMatching(/the key is disabled; likely cause: someone disabled the key/) });
      expect(disabled.status).toBe(1);
      azure.key = { ...azure.key, enabled: true, name: "another-key" };
      const deleted = await run(withoutSecret());
      expect(deleted.lines.get("azure.key-read")).toMatchObject({ status: "fail", reason: expect.stringMatching(/^Key Vault has no key "cerby-external-key" in https:\/\/kv-cerby-fake/) });
      expect(deleted.lines.get("azure.key-enabled")?.status).toBe("not-proved");
      expect(deleted.status).toBe(1);
    });

    test("a runner without Key Vault Reader, or not signed in to Azure, leaves the key not proved and names the read-only role", async () => {
      azure.identities.set(RUNNER.clientId, { clientSecret: RUNNER.clientSecret, grantedDataActions: [] });
      const noRole = await run(withoutSecret());
      expect(noRole.lines.get("azure.key-read")).toMatchObject({
        status: "not-proved",
        reason: expect.stringMatching(/403.*needs the read-only Key Vault Reader role \(21090545-7ca7-4776-b22c-e363652d74d2\) on the vault/),
      });
      expect(noRole.lines.get("azure.key-enabled")).toMatchObject({ status: "not-proved", reason: expect.stringMatching(/could not be read/) });
      expect(noRole.status).toBe(0);
      expect((await run(withoutSecret(), { args: ["--scheduled"] })).status).toBe(1);
      const unavailable = {
        getToken: async () => {
          throw Object.assign(new Error("no credential in the chain could sign in"), { name: "CredentialUnavailableError" });
        },
      };
      const signedOut = await run(withoutSecret(), { overrides: { azureCredential: unavailable } });
      expect(signedOut.lines.get("azure.key-read")).toMatchObject({ status: "not-proved", reason: expect.stringMatching(/^no Azure sign-in to read the key with .*az login/) });
    });
  });

  test("missing outputs fail by name; a masked secret points at --show-secrets", async () => {
    const { cerbyVaultId: _vault, kmsReplicaKeyArn: _replica, ...rest } = outputs;
    const result = await run({ ...rest, clientSecret: "[secret]" });
    expect(result.lines.get("azure.outputs")).toMatchObject({
      status: "fail",
      reason: "missing stack outputs: clientSecret, cerbyVaultId (clientSecret masked: add --show-secrets to pulumi stack output)",
    });
    expect(result.lines.get("aws.outputs")).toMatchObject({ status: "fail", reason: "missing stack outputs: kmsReplicaKeyArn" });
    expect(result.lines.has("azure.sign-in")).toBe(false);
    expect(result.lines.get("aws.role-trust")?.status).toBe("pass");
    expect(result.status).toBe(1);
  });

  test("outputs with no integration, or not an object, fail", async () => {
    expect((await run({ cerbyApiUrl: cerby.url })).lines.get("outputs")?.reason).toMatch(/no Azure or AWS integration outputs/);
    expect((await run([1, 2])).lines.get("outputs")?.reason).toMatch(/must be a JSON object/);
  });

  test("malformed outputs JSON fails without echoing the input, which holds the secret", async () => {
    const result = await run(`{"clientSecret": "${CLIENT_SECRET}", "tenantId": `);
    expect(result.status).toBe(1);
    expect(result.lines.get("outputs")).toMatchObject({ status: "fail", reason: expect.stringMatching(/not valid JSON/) });
  });

  test("without CERBY_API_KEY, or with a wrong one, the Cerby checks fail and the other checks still run", async () => {
    const none = await run(outputs, { env: {} });
    expect(none.lines.get("cerby.api")).toMatchObject({ status: "fail", reason: expect.stringMatching(/without CERBY_API_KEY in the environment/) });
    expect(none.lines.get("aws.kms-primary")?.status).toBe("pass");
    const wrong = await run(outputs, { env: { CERBY_API_KEY: "wrong-cerby-api-key-value" } });
    expect(wrong.lines.get("cerby.api")).toMatchObject({ status: "fail", reason: expect.stringMatching(/HTTP 401/) });
    expect(wrong.stdout).not.toContain("wrong-cerby-api-key-value");
  });

  test("the npm script reads --outputs FILE, and a usage error exits 2", () => {
    const directory = mkdtempSync(join(tmpdir(), "verify-"));
    const file = join(directory, "outputs.json");
    writeFileSync(file, "not json " + CLIENT_SECRET);
    const malformed = spawnSync("npm", ["run", "--silent", "verify", "--", "--outputs", file], { encoding: "utf8" });
    expect(malformed.status).toBe(1);
    expect(malformed.stdout).toMatch(/^FAIL {8}outputs  the stack outputs are not valid JSON/);
    expect(malformed.stdout + malformed.stderr).not.toContain(CLIENT_SECRET);
    const usage = spawnSync("npm", ["run", "--silent", "verify"], { encoding: "utf8" });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--outputs is required/);
  });

  test("--help and -h print the usage on stdout and exit 0, checking nothing", async () => {
    for (const flag of ["--help", "-h"]) {
      let stdout = "";
      let stderr = "";
      const io = { stdin: Readable.from([]), stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, env: {} };
      expect(await main([flag], io, environment())).toBe(0);
      expect(stdout).toMatch(/^Usage: npm run verify -- --outputs <file\|->/);
      expect(stderr).toBe("");
    }
  });

  describe("the role trust check is strict: exactly the configured principal, only with the workspace ID", () => {
    const CERBY = CERBY_AWS_PRINCIPAL_ARN;
    const cerbyStatement = cerbyTrustPolicy(CERBY, WORKSPACE).Statement[0];
    const withExternalId = { StringEquals: { "sts:ExternalId": WORKSPACE } };

    function trustWith(...extra: Array<Record<string, unknown>>): void {
      aws.roles.set("cerby-kms-access", { arn: ROLE_ARN, trustPolicy: { Version: "2012-10-17", Statement: [cerbyStatement, ...extra] } });
    }

    test.each<[string, Record<string, unknown>, RegExp]>([
      [
        "another AWS principal, even with the workspace ID",
        { Sid: "Partner", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "sts:AssumeRole", Condition: withExternalId },
        /statement Partner lets AWS:arn:aws:iam::111122223333:root assume the role/,
      ],
      ["anyone (*)", { Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" }, /statement #2 lets \* assume the role/],
      ["AWS: *", { Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole", Condition: withExternalId }, /lets AWS:\* assume the role/],
      ["a service", { Sid: "Ec2", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }, /statement Ec2 lets Service:ec2\.amazonaws\.com/],
      ["Cerby's principal without the condition", { Sid: "Open", Effect: "Allow", Principal: { AWS: CERBY }, Action: "sts:AssumeRole" }, /statement Open lets .* without a StringEquals sts:ExternalId condition/],
      [
        "Cerby's principal with StringLike instead of StringEquals",
        { Sid: "Like", Effect: "Allow", Principal: { AWS: CERBY }, Action: "sts:AssumeRole", Condition: { StringLike: { "sts:ExternalId": "*" } } },
        /statement Like lets .* without a StringEquals sts:ExternalId condition/,
      ],
      [
        "a second external ID",
        { Sid: "Two", Effect: "Allow", Principal: { AWS: CERBY }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": [WORKSPACE, "other"] } } },
        /statement Two .* with sts:ExternalId 123e4567-e89b-42d3-a456-426614174000, other/,
      ],
      ["a wildcard action for another account", { Sid: "Wild", Effect: "Allow", Principal: { AWS: "210987654321" }, Action: "sts:*" }, /statement Wild lets AWS:210987654321/],
      ["web identity for a federated principal", { Sid: "Oidc", Effect: "Allow", Principal: { Federated: "accounts.google.com" }, Action: "sts:AssumeRoleWithWebIdentity" }, /statement Oidc lets Federated:accounts\.google\.com/],
      ["NotPrincipal", { Sid: "Not", Effect: "Allow", NotPrincipal: { AWS: CERBY }, Action: "sts:AssumeRole" }, /statement Not uses NotPrincipal/],
    ])("fails a trust policy that also allows %s, naming the statement", async (_name, extra, reason) => {
      trustWith(extra);
      const result = await run(outputs);
      expect(result.lines.get("aws.role-trust")).toMatchObject({ status: "fail", reason: expect.stringMatching(reason) });
      expect(result.status).toBe(1);
    });

    test("a Deny statement, or a further condition on Cerby's statement, still passes", async () => {
      const narrowed = { ...cerbyStatement, Condition: { ...withExternalId, Bool: { "aws:SecureTransport": "true" } } };
      aws.roles.set("cerby-kms-access", {
        arn: ROLE_ARN,
        trustPolicy: { Version: "2012-10-17", Statement: [narrowed, { Effect: "Deny", Principal: "*", Action: "sts:AssumeRole", Condition: { Bool: { "aws:SecureTransport": "false" } } }] },
      });
      expect((await run(outputs)).lines.get("aws.role-trust")?.status).toBe("pass");
    });

    test("it uses the configured principal: a role trusting Cerby's default principal fails when another is configured", async () => {
      const configured = "arn:aws:iam::749452252575:role/staging-kms-byo-key-access-role";
      const trustsDefault = await run({ ...outputs, cerbyPrincipalArn: configured });
      expect(trustsDefault.lines.get("aws.role-trust")).toMatchObject({
        status: "fail",
        reason: expect.stringMatching(/does not let arn:aws:iam::749452252575:role\/staging-kms-byo-key-access-role assume it.*lets AWS:arn:aws:iam::749452252575:role\/production-kms-byo-key-access-role assume the role/),
      });
      aws.roles.set("cerby-kms-access", { arn: ROLE_ARN, trustPolicy: cerbyTrustPolicy(configured, WORKSPACE) });
      expect((await run({ ...outputs, cerbyPrincipalArn: configured })).lines.get("aws.role-trust")?.status).toBe("pass");
    });

    test("without the cerbyPrincipalArn output the trust is not checked against a default; the output is reported missing", async () => {
      const { cerbyPrincipalArn: _principal, ...rest } = outputs;
      const result = await run(rest);
      expect(result.lines.get("aws.outputs")).toMatchObject({ status: "fail", reason: "missing stack outputs: cerbyPrincipalArn" });
      expect(result.lines.has("aws.role-trust")).toBe(false);
    });
  });

  describe("the Cerby API key goes only to a URL that passes the endpoint rule", () => {
    function recordingFetch(): { fetch: typeof fetch; sent: string[] } {
      const sent: string[] = [];
      return { sent, fetch: async (input, init) => (sent.push(String(input)), fetch(input, init)) };
    }

    test.each([
      ["the cerbyApiUrl output names another host", { cerbyApiUrl: "https://cerby.attacker.example/api/v1" }, {}, /the cerbyApiUrl stack output "https:\/\/cerby\.attacker\.example\/api\/v1" is not a Cerby API URL/],
      ["CERBY_API_URL names another host", {}, { CERBY_API_URL: "https://acme.cerby.com.attacker.example" }, /CERBY_API_URL .* is not a Cerby API URL/],
      ["CERBY_API_URL names another workspace's Cerby host", { cerbyApiUrl: "https://acme.cerby.com/api/v1" }, { CERBY_API_URL: "https://attacker.cerby.com/api/v1" }, /CERBY_API_URL .* is not workspace "acme"'s host/],
      ["the URL carries a password", { cerbyApiUrl: "https://deployer:hunter2-pass@acme.cerby.com/api/v1" }, {}, /"https:\/\/\*\*\*@acme\.cerby\.com\/api\/v1" must not carry user info/],
    ])("refuses when %s, without sending the key", async (_name, changed, env, reason) => {
      const { fetch: recording, sent } = recordingFetch();
      const result = await run({ ...outputs, ...changed }, { env: { CERBY_API_KEY: API_KEY, ...env }, overrides: { cerby: { maxAttempts: 1, fetch: recording } } });
      expect(result.lines.get("cerby.api")).toMatchObject({ status: "fail", reason: expect.stringMatching(reason) });
      expect(result.lines.get("cerby.api")?.reason).toContain("CERBY_API_KEY was not sent");
      expect(result.stdout + result.stderr).not.toContain("hunter2-pass");
      expect(sent).toEqual([]);
      expect(cerby.requests).toEqual([]);
    });

    test("CERBY_API_URL, when it passes the rule, is where the vaults are checked (an emulator)", async () => {
      const { fetch: recording, sent } = recordingFetch();
      const result = await run(
        { ...outputs, cerbyApiUrl: "https://acme.cerby.com/api/v1" },
        { env: { CERBY_API_KEY: API_KEY, CERBY_API_URL: cerby.url }, overrides: { cerby: { maxAttempts: 1, fetch: recording } } },
      );
      expect(result.lines.get("cerby.azure-vault")?.status).toBe("pass");
      expect(sent.every((url) => url.startsWith(`${cerby.url}/`))).toBe(true);
    });
  });
});

describe("npm run verify on a stack that adopted a setup made by hand", () => {
  test("without the client secret the sign-in, round trips and expiry are not proved, saying what to set; the key is read as the runner", async () => {
    const { clientSecret: _secret, clientSecretExpiresAt: _expiry, ...adopted } = outputs;
    const result = await run({ ...adopted, adoptedExisting: true });
    expect(statuses(result)).toMatchObject({
      "azure.client-secret-expiry": "not-proved",
      "azure.sign-in": "not-proved",
      "azure.wrap-unwrap": "not-proved",
      "azure.key-enabled": "pass",
      "aws.kms-primary": "pass",
      "cerby.azure-vault": "pass",
    });
    expect(result.lines.has("azure.outputs")).toBe(false);
    expect(result.lines.get("azure.sign-in")?.reason).toContain("pulumi config set --secret existingClientSecret");
    expect(azure.vaultCalls("wrapkey")).toHaveLength(0);
    expect(result.status).toBe(0);
  });

  test("with existingClientSecret exported it proves access as the service principal; a masked one still fails by name", async () => {
    const { clientSecretExpiresAt: _expiry, ...adopted } = outputs;
    const proved = await run({ ...adopted, adoptedExisting: true });
    expect(statuses(proved)).toMatchObject({ "azure.sign-in": "pass", "azure.wrap-unwrap": "pass", "azure.client-secret-expiry": "not-proved" });
    const masked = await run({ ...adopted, adoptedExisting: true, clientSecret: "[secret]" });
    expect(masked.lines.get("azure.outputs")?.reason).toContain("clientSecret masked");
  });

  test("a stack that did not adopt still fails on a missing secret expiry, and its absent secret is put down to exportClientSecret", async () => {
    const { clientSecret: _secret, clientSecretExpiresAt: _expiry, ...created } = outputs;
    const result = await run(created);
    expect(result.lines.get("azure.outputs")).toMatchObject({ status: "fail", reason: expect.stringContaining("clientSecretExpiresAt") });
    expect(result.lines.get("azure.sign-in")?.reason).toContain("exportClientSecret is false");
  });
});
