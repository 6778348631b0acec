import { isSecretValue, redactSecrets, type MockRunResult, type RecordedResource } from "../tools/mock-runtime";
import { SIGNED_IN } from "./support/azure-cloud";
import { configProblems } from "./support/config-source";
import { BASE_CONFIG, runProgram, single } from "./support/program";
import { expectExistingResourcesUnchanged } from "./support/unchanged";

const T = {
  workspace: "azure-native:operationalinsights:Workspace",
  diagnosticSetting: "azure-native:monitor:DiagnosticSetting",
  actionGroup: "azure-native:monitor:ActionGroup",
  activityLogAlert: "azure-native:monitor:ActivityLogAlert",
  logAlert: "azure-native:monitor:ScheduledQueryRule",
  systemTopic: "azure-native:eventgrid:SystemTopic",
  eventSubscription: "azure-native:eventgrid:SystemTopicEventSubscription",
};

const RG = `/subscriptions/${SIGNED_IN.subscriptionId}/resourceGroups/rg-cerby-external-keys`;
const VAULT_ID = `${RG}/providers/Microsoft.KeyVault/vaults/kv-cerby-q7x2m9`;
const EXISTING_WORKSPACE = `/subscriptions/${SIGNED_IN.subscriptionId}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/central-logs`;
const EMAILS = ["security@example.com", "oncall@example.com"];
const WEBHOOK = "https://hooks.example.com/services/T000/B000/tok3nThatMustNotLeak";
const ALL_ON = { auditLogs: true, tamperAlerts: true, keyEvents: true, alertEmails: EMAILS, alertWebhookUrl: WEBHOOK };

function inputs(resource: RecordedResource): Record<string, any> {
  return redactSecrets(resource.rawInputs) as Record<string, any>;
}

function ofType(resources: RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((resource) => resource.type === type);
}

function monitoringTypes(resources: RecordedResource[]): string[] {
  return resources.filter((resource) => Object.values(T).includes(resource.type)).map((resource) => resource.type);
}

describe("Azure audit and alerts are off by default", () => {
  test("the default stack declares none of their resources and none of their outputs", async () => {
    const { resources, outputs } = await runProgram();
    expect(monitoringTypes(resources)).toEqual([]);
    for (const name of ["logAnalyticsWorkspaceId", "alertActionGroupId", "azureAlertRuleIds", "keyEventsSystemTopicId"]) {
      expect(outputs).not.toHaveProperty(name);
    }
  });
});

describe("auditLogs", () => {
  test("creates a PerGB2018 workspace with the configured retention, and sends AuditEvent and AllMetrics from the vault to it", async () => {
    const { resources, outputs } = await runProgram({ auditLogs: true, auditLogRetentionDays: 180 });
    const workspace = single(resources, T.workspace);
    expect(inputs(workspace)).toMatchObject({ sku: { name: "PerGB2018" }, retentionInDays: 180, location: "eastus", resourceGroupName: "rg-cerby-external-keys" });
    const setting = inputs(single(resources, T.diagnosticSetting));
    expect(setting.resourceUri).toBe(VAULT_ID);
    expect(setting.logs).toEqual([{ category: "AuditEvent", enabled: true }]);
    expect(setting.metrics).toEqual([{ category: "AllMetrics", enabled: true }]);
    const workspaceId = `${RG}/providers/Microsoft.OperationalInsights/workspaces/${workspace.name}`;
    expect(setting.workspaceId).toBe(workspaceId);
    expect(outputs.logAnalyticsWorkspaceId).toEqual({ kind: "known", value: workspaceId });
  });

  test("with an existing workspace's ARM ID creates no workspace and sends the logs there", async () => {
    const { resources, outputs } = await runProgram({ auditLogs: true, auditLogAnalyticsWorkspaceId: EXISTING_WORKSPACE });
    expect(ofType(resources, T.workspace)).toEqual([]);
    expect(inputs(single(resources, T.diagnosticSetting)).workspaceId).toBe(EXISTING_WORKSPACE);
    expect(outputs.logAnalyticsWorkspaceId).toEqual({ kind: "known", value: EXISTING_WORKSPACE });
  });

  test("the workspace ID must be a Log Analytics workspace's ARM ID and the retention 30–730 days", () => {
    expect(configProblems({ ...BASE_CONFIG, auditLogs: true, auditLogAnalyticsWorkspaceId: "central-logs" })).toEqual([
      expect.stringMatching(/^auditLogAnalyticsWorkspaceId "central-logs" must be the ARM ID of a Log Analytics workspace/),
    ]);
    expect(configProblems({ ...BASE_CONFIG, auditLogs: true, auditLogRetentionDays: 7 })).toEqual([
      "auditLogRetentionDays 7 is out of range; use a number from 30 to 730.",
    ]);
  });
});

describe("tamperAlerts on Azure", () => {
  let run: MockRunResult;

  beforeAll(async () => {
    run = await runProgram({ tamperAlerts: true, alertEmails: EMAILS });
  });

  test("an enabled global action group emails each address, with the common alert schema", () => {
    const group = inputs(single(run.resources, T.actionGroup));
    expect(group).toMatchObject({ location: "Global", enabled: true, resourceGroupName: "rg-cerby-external-keys" });
    expect(group.emailReceivers).toEqual([
      { name: "email-1", emailAddress: "security@example.com", useCommonAlertSchema: true },
      { name: "email-2", emailAddress: "oncall@example.com", useCommonAlertSchema: true },
    ]);
    expect(group.webhookReceivers).toBeUndefined();
  });

  test("activity-log alerts on the vault's scope fire on deleting the vault, writing the key, deleting the lock or a role assignment", () => {
    const groupId = `${RG}/providers/Microsoft.Insights/actionGroups/${single(run.resources, T.actionGroup).name}`;
    const alerts = ofType(run.resources, T.activityLogAlert).map(inputs);
    const operations = alerts.map((alert) => {
      expect(alert.scopes).toEqual([VAULT_ID]);
      expect(alert.enabled).toBe(true);
      expect(alert.actions).toEqual({ actionGroups: [{ actionGroupId: groupId }] });
      expect(alert.condition.allOf[0]).toEqual({ field: "category", equals: "Administrative" });
      return alert.condition.allOf[1].anyOf.map((leaf: { field: string; equals: string }) => {
        expect(leaf.field).toBe("operationName");
        return leaf.equals;
      });
    });
    expect(operations.flat().sort()).toEqual([
      "Microsoft.Authorization/locks/delete",
      "Microsoft.Authorization/roleAssignments/delete",
      "Microsoft.KeyVault/vaults/delete",
      "Microsoft.KeyVault/vaults/keys/write",
    ]);
  });

  test("without audit logs there is no log search alert, since the key's data-plane changes are not in Log Analytics", () => {
    expect(ofType(run.resources, T.logAlert)).toEqual([]);
    expect((run.outputs.azureAlertRuleIds as { value: string[] }).value).toHaveLength(4);
  });

  test("with audit logs, a log search alert on the workspace fires on KeyDelete, KeyUpdate or KeyPurge in this vault", async () => {
    const { resources } = await runProgram({ tamperAlerts: true, alertEmails: EMAILS, auditLogs: true, auditLogAnalyticsWorkspaceId: EXISTING_WORKSPACE });
    const rule = inputs(single(resources, T.logAlert));
    expect(rule).toMatchObject({ kind: "LogAlert", enabled: true, scopes: [EXISTING_WORKSPACE], evaluationFrequency: "PT5M", windowSize: "PT5M" });
    const [condition] = rule.criteria.allOf;
    expect(condition).toMatchObject({ timeAggregation: "Count", operator: "GreaterThan", threshold: 0 });
    expect(condition.query).toContain('Category == "AuditEvent"');
    expect(condition.query).toContain(`ResourceId =~ "${VAULT_ID}"`);
    expect(condition.query).toContain('OperationName in ("KeyDelete", "KeyUpdate", "KeyPurge")');
    expect(rule.actions.actionGroups).toEqual([`${RG}/providers/Microsoft.Insights/actionGroups/${single(resources, T.actionGroup).name}`]);
  });

  test("needs someone to tell: no email and no webhook is a config error naming alertEmails", () => {
    expect(configProblems({ ...BASE_CONFIG, tamperAlerts: true })).toEqual([expect.stringMatching(/^alertEmails is empty, so tamperAlerts and keyEvents would tell no one/)]);
    expect(configProblems({ ...BASE_CONFIG, tamperAlerts: true, alertEmails: ["not an address"] })).toEqual([
      'alertEmails item "not an address" must be one email address such as security@example.com.',
    ]);
  });
});

describe("keyEvents", () => {
  test("a Key Vault system topic in the vault's region delivers the key's three events as Monitor alerts to the action group", async () => {
    const { resources, outputs } = await runProgram({ keyEvents: true, alertEmails: EMAILS });
    const topic = single(resources, T.systemTopic);
    expect(inputs(topic)).toMatchObject({ source: VAULT_ID, topicType: "Microsoft.KeyVault.vaults", location: "eastus" });
    const subscription = inputs(single(resources, T.eventSubscription));
    expect(subscription.systemTopicName).toBe(topic.name);
    expect(subscription.eventDeliverySchema).toBe("CloudEventSchemaV1_0");
    expect(subscription.filter.includedEventTypes).toEqual([
      "Microsoft.KeyVault.KeyNearExpiry",
      "Microsoft.KeyVault.KeyExpired",
      "Microsoft.KeyVault.KeyNewVersionCreated",
    ]);
    expect(subscription.filter.advancedFilters).toEqual([{ operatorType: "StringIn", key: "subject", values: ["cerby-external-key"] }]);
    const groupId = `${RG}/providers/Microsoft.Insights/actionGroups/${single(resources, T.actionGroup).name}`;
    expect(subscription.destination).toMatchObject({ endpointType: "MonitorAlert", actionGroups: [groupId] });
    expect(ofType(resources, T.activityLogAlert)).toEqual([]);
    expect(outputs.alertActionGroupId).toEqual({ kind: "known", value: groupId });
  });

  test("auditLogs and keyEvents watch Azure only: either on without Azure is a config error", () => {
    const awsOnly = { ...BASE_CONFIG, azureEnabled: false, awsEnabled: true, cerbyWorkspaceId: "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b" };
    expect(configProblems({ ...awsOnly, auditLogs: true, keyEvents: true, alertEmails: EMAILS })).toEqual([
      expect.stringMatching(/^auditLogs is true but azureEnabled is false/),
      expect.stringMatching(/^keyEvents is true but azureEnabled is false/),
    ]);
  });
});

describe("the alert webhook is a secret", () => {
  let run: MockRunResult;

  beforeAll(async () => {
    run = await runProgram({ ...ALL_ON, alertEmails: [] });
  });

  test("it is the action group's only receiver, sent to the engine only inside a secret wrapper, and kept secret in state", () => {
    const group = single(run.resources, T.actionGroup);
    const [receiver] = group.rawInputs.webhookReceivers as Array<Record<string, unknown>>;
    expect(isSecretValue(receiver.serviceUri) && receiver.serviceUri.value).toBe(WEBHOOK);
    expect(group.additionalSecretOutputs).toContain("webhookReceivers");
    expect(inputs(group).emailReceivers).toEqual([]);
  });

  test("no registered input or output holds the webhook URL's token outside a secret wrapper", () => {
    const plaintext = JSON.stringify(run.resources.map((resource) => redactSecrets({ inputs: resource.rawInputs, outputs: resource.rawOutputs })));
    expect(plaintext).not.toContain("tok3nThatMustNotLeak");
    expect(JSON.stringify(run.outputs)).not.toContain("tok3nThatMustNotLeak");
  });

  test("a plain-http webhook is refused without quoting it", () => {
    const problems = configProblems({ ...BASE_CONFIG, tamperAlerts: true, alertEmails: EMAILS, alertWebhookUrl: "http://hooks.example.com/tok3nThatMustNotLeak" });
    expect(problems).toEqual([expect.stringMatching(/^alertWebhookUrl \(a secret, not shown\) must be an https:\/\/ URL/)]);
    expect(problems.join("\n")).not.toContain("tok3nThatMustNotLeak");
  });
});

describe("everything on", () => {
  test("adds a workspace, a diagnostic setting, an action group, five alert rules, a system topic and its subscription, under one component", async () => {
    const { resources } = await runProgram(ALL_ON);
    expect(monitoringTypes(resources).sort()).toEqual(
      [
        T.workspace,
        T.diagnosticSetting,
        T.actionGroup,
        T.activityLogAlert,
        T.activityLogAlert,
        T.activityLogAlert,
        T.activityLogAlert,
        T.logAlert,
        T.systemTopic,
        T.eventSubscription,
      ].sort(),
    );
    const monitoring = single(resources, "cerby:azure:KeyVaultMonitoring");
    expect(monitoring.parent).toBe(single(resources, "cerby:azure:KeyVaultIntegration").urn);
    const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
    const underMonitoring = (resource: RecordedResource): boolean =>
      resource.parent === monitoring.urn || (resource.parent !== undefined && underMonitoring(byUrn.get(resource.parent)!));
    for (const resource of resources.filter((resource) => Object.values(T).includes(resource.type))) {
      expect({ type: resource.type, under: underMonitoring(resource) }).toEqual({ type: resource.type, under: true });
    }
  });
});

describe("turning every switch on changes nothing that exists", () => {
  test("every resource of the default Azure stack keeps its URN, inputs, dependencies and options", async () => {
    const before = await runProgram();
    const after = await runProgram(ALL_ON);
    expectExistingResourcesUnchanged(before, after);
  });
});
