/**
 * `npm run verify`'s audit and alert checks: the real Azure pipeline against the fake Azure
 * Resource Manager in tests/support/fake-azure.ts, and the real EventBridge and CloudTrail clients
 * against tests/support/fake-aws.ts.
 */
import type { KeyObject } from "node:crypto";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { TokenCredential } from "@azure/identity";
import { armReader, awsAlertChecks, azureAlertChecks, type AlertCheckEnvironment } from "../scripts/verify-alerts";
import { FakeAzure, makeKeyPair } from "./support/fake-azure";
import { FakeAws } from "./support/fake-aws";

const SUBSCRIPTION = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-cerby-external-keys";
const VAULT_ID = `${SUBSCRIPTION}/providers/Microsoft.KeyVault/vaults/kv-cerby-q7x2m9`;
const WORKSPACE_ID = `${SUBSCRIPTION}/providers/Microsoft.OperationalInsights/workspaces/cerby-logs`;
const SETTING_ID = `${VAULT_ID}/providers/Microsoft.Insights/diagnosticSettings/cerby-external-keys-audit`;
const ACTIVITY_ALERT = `${SUBSCRIPTION}/providers/Microsoft.Insights/activityLogAlerts/vault-deleted`;
const LOG_ALERT = `${SUBSCRIPTION}/providers/Microsoft.Insights/scheduledQueryRules/key-data-plane`;
const RULES = {
  "us-east-2": ["arn:aws:events:us-east-2:123456789012:rule/cerby-kms"],
  "us-west-2": ["arn:aws:events:us-west-2:123456789012:rule/cerby-kms"],
  "us-east-1": ["arn:aws:events:us-east-1:123456789012:rule/cerby-iam"],
};
const AWS_CREDENTIALS = { accessKeyId: "AKIAFAKEFAKEFAKEFAKE", secretAccessKey: "fake-aws-secret" };
const ARM_TOKEN: TokenCredential = { getToken: async () => ({ token: "fake-arm-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };

let rsa: KeyObject;
let azure: FakeAzure;
let aws: FakeAws;
let env: AlertCheckEnvironment;

beforeAll(async () => {
  rsa = await makeKeyPair({ rsaBits: 2048 });
});

beforeEach(async () => {
  azure = await FakeAzure.start(
    { tenantId: "11111111-2222-3333-4444-555555555555", clientId: "66666666-7777-8888-9999-000000000000", clientSecret: "unused" },
    { name: "cerby-external-key", kty: "RSA", privateKey: rsa, keyOps: ["wrapKey", "unwrapKey"], enabled: true },
  );
  aws = await FakeAws.start();
  const awsOptions = { endpoint: aws.endpoint, credentials: AWS_CREDENTIALS, maxAttempts: 1 };
  env = {
    arm: armReader(ARM_TOKEN, azure.httpClient()),
    events: (region) => new EventBridgeClient({ region, ...awsOptions }),
    cloudtrail: (region) => new CloudTrailClient({ region, ...awsOptions }),
  };
  azure.armResources.set(SETTING_ID, {
    properties: { workspaceId: WORKSPACE_ID, logs: [{ category: "AuditEvent", enabled: true }], metrics: [{ category: "AllMetrics", enabled: true }] },
  });
  azure.armResources.set(ACTIVITY_ALERT, { properties: { enabled: true } });
  azure.armResources.set(LOG_ALERT, { properties: { enabled: true } });
  for (const arn of Object.values(RULES).flat()) {
    aws.rules.set(arn, { State: "ENABLED" });
  }
  aws.trails.push({
    Name: "org-trail",
    TrailARN: "arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail",
    HomeRegion: "us-east-1",
    IsMultiRegionTrail: true,
    IsLogging: true,
  });
});

afterEach(async () => {
  await Promise.all([azure.close(), aws.close()]);
});

const AZURE_OUTPUTS = { keyVaultId: VAULT_ID, logAnalyticsWorkspaceId: WORKSPACE_ID, azureAlertRuleIds: [ACTIVITY_ALERT, LOG_ALERT] };

describe("verify: Azure audit logs and alert rules", () => {
  test("pass when the diagnostic setting sends AuditEvent to the stack's workspace and every rule is enabled", async () => {
    expect(await azureAlertChecks(AZURE_OUTPUTS, env)).toEqual([
      { check: "azure.audit-logs", status: "pass", reason: `AuditEvent logs go to ${WORKSPACE_ID}` },
      { check: "azure.tamper-alerts", status: "pass", reason: "2 alert rules exist and are enabled" },
    ]);
    const paths = azure.requests.filter((request) => request.host === "management.azure.com").map((request) => request.path);
    expect(paths).toContain(`${SETTING_ID}?api-version=2021-05-01-preview`);
    expect(paths).toContain(`${ACTIVITY_ALERT}?api-version=2020-10-01`);
    expect(paths).toContain(`${LOG_ALERT}?api-version=2021-08-01`);
  });

  test("fail when the diagnostic setting was deleted or no longer sends AuditEvent, or a rule was disabled or deleted", async () => {
    azure.armResources.delete(SETTING_ID);
    azure.armResources.set(ACTIVITY_ALERT, { properties: { enabled: false } });
    azure.armResources.delete(LOG_ALERT);
    const [audit, rules] = await azureAlertChecks(AZURE_OUTPUTS, env);
    expect(audit).toMatchObject({ status: "fail", reason: expect.stringMatching(/has no diagnostic setting cerby-external-keys-audit.*run pulumi up/) });
    expect(rules).toMatchObject({ status: "fail", reason: `${ACTIVITY_ALERT} is disabled; ${LOG_ALERT} is missing: run pulumi up to restore the tamper alerts` });

    azure.armResources.set(SETTING_ID, { properties: { workspaceId: WORKSPACE_ID, logs: [{ category: "AuditEvent", enabled: false }] } });
    const [disabled] = await azureAlertChecks(AZURE_OUTPUTS, env);
    expect(disabled).toMatchObject({ status: "fail", reason: expect.stringMatching(/does not send AuditEvent logs/) });
  });

  test("nothing is checked when the outputs show neither audit logs nor alert rules", async () => {
    expect(await azureAlertChecks({ keyVaultId: VAULT_ID }, env)).toEqual([]);
  });
});

describe("verify: AWS tamper-alert rules and CloudTrail", () => {
  test("pass when every rule is enabled in its Region and a logging multi-Region trail records management events", async () => {
    expect(await awsAlertChecks({ tamperAlertRuleArns: RULES }, env)).toEqual([
      { check: "aws.tamper-alerts", status: "pass", reason: "3 EventBridge rules exist and are enabled in us-east-2, us-west-2, us-east-1" },
      {
        check: "aws.cloudtrail",
        status: "pass",
        reason: "a logging trail records management events in us-east-2, us-west-2, us-east-1, which the tamper alerts need",
      },
    ]);
    expect(aws.requests).toEqual(
      expect.arrayContaining([
        { service: "events", region: "us-west-2", action: "DescribeRule" },
        { service: "cloudtrail", region: "us-east-2", action: "DescribeTrails" },
        { service: "cloudtrail", region: "us-east-1", action: "GetTrailStatus" },
        { service: "cloudtrail", region: "us-east-1", action: "GetEventSelectors" },
      ]),
    );
  });

  test("a disabled or missing rule fails", async () => {
    aws.rules.set(RULES["us-east-1"][0], { State: "DISABLED" });
    aws.rules.delete(RULES["us-west-2"][0]);
    const [rules] = await awsAlertChecks({ tamperAlertRuleArns: RULES }, env);
    expect(rules).toMatchObject({
      status: "fail",
      reason: `${RULES["us-west-2"][0]} is missing; ${RULES["us-east-1"][0]} is DISABLED: run pulumi up to restore the tamper alerts`,
    });
  });

  test("no trail, a stopped trail or one without management events fails: the alerts cannot fire", async () => {
    aws.trails[0].IsLogging = false;
    const [, stopped] = await awsAlertChecks({ tamperAlertRuleArns: RULES }, env);
    expect(stopped).toMatchObject({ status: "fail", reason: expect.stringMatching(/^no logging CloudTrail trail records management write events in us-east-2, us-west-2, us-east-1/) });
    aws.trails[0].IsLogging = true;
    aws.trails[0].EventSelectors = [{ ReadWriteType: "All", IncludeManagementEvents: false }];
    const [, dataOnly] = await awsAlertChecks({ tamperAlertRuleArns: RULES }, env);
    expect(dataOnly.status).toBe("fail");
    aws.trails.splice(0, 1, { ...aws.trails[0], IsMultiRegionTrail: false, EventSelectors: undefined });
    const [, homeOnly] = await awsAlertChecks({ tamperAlertRuleArns: RULES }, env);
    expect(homeOnly).toMatchObject({ status: "fail", reason: expect.stringMatching(/in us-east-2, us-west-2,/) });
  });

  test("without the rights to look at CloudTrail the check is not proved, and says what it needs", async () => {
    aws.cloudTrailDenied = true;
    const [, trail] = await awsAlertChecks({ tamperAlertRuleArns: RULES }, env);
    expect(trail).toMatchObject({
      status: "not-proved",
      reason: expect.stringMatching(/^cannot tell whether CloudTrail records management events: AccessDeniedException.*needs cloudtrail:DescribeTrails/),
    });
  });
});
