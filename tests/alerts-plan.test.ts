import * as path from "node:path";
import { runPlanCli } from "../tools/plan-cli";
import type { Plan, PlannedResource } from "../tools/plan";

const ROOT = path.resolve(__dirname, "..");
const STACK = path.join(__dirname, "fixtures", "plan-alerts", "Pulumi.alerts.yaml");

function named(resources: PlannedResource[], type: string): PlannedResource[] {
  return resources.filter((resource) => resource.type === type);
}

describe("the offline plan of a stack with every audit and alert switch on", () => {
  let plan: Plan;

  beforeAll(async () => {
    let stdout = "";
    let stderr = "";
    const code = await runPlanCli(["--config-file", STACK, "--format", "json"], {
      stdout: (text) => (stdout += `${text}\n`),
      stderr: (text) => (stderr += `${text}\n`),
      cwd: ROOT,
      projectDir: ROOT,
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    plan = JSON.parse(stdout) as Plan;
  });

  test("shows the diagnostic setting's categories, the alert operations and the key events", () => {
    const [setting] = named(plan.resources, "azure-native:monitor:DiagnosticSetting");
    expect(setting.inputs).toMatchObject({ logs: [{ category: "AuditEvent", enabled: true }], metrics: [{ category: "AllMetrics", enabled: true }] });
    const operations = named(plan.resources, "azure-native:monitor:ActivityLogAlert").flatMap((alert) =>
      (alert.inputs as any).condition.allOf[1].anyOf.map((leaf: { equals: string }) => leaf.equals),
    );
    expect(operations).toContain("Microsoft.Authorization/locks/delete");
    const [subscription] = named(plan.resources, "azure-native:eventgrid:SystemTopicEventSubscription");
    expect((subscription.inputs as any).filter.includedEventTypes).toContain("Microsoft.KeyVault.KeyNearExpiry");
  });

  test("shows the webhook only as [secret], even though the stack file holds it encrypted", () => {
    const [group] = named(plan.resources, "azure-native:monitor:ActionGroup");
    expect((group.inputs as any).webhookReceivers[0].serviceUri).toBe("[secret]");
  });

  test("names each rule's KMS or IAM calls, and shows the IAM pattern in full before anything exists", () => {
    const rules = named(plan.resources, "aws:cloudwatch/eventRule:EventRule");
    expect(rules.map((rule) => rule.inputs.description).sort()).toEqual([
      "Tamper alert: IAM UpdateAssumeRolePolicy, PutRolePolicy, DeleteRolePolicy, DeleteRole on Cerby's role (cerby-external-keys).",
      "Tamper alert: KMS DisableKey, ScheduleKeyDeletion, PutKeyPolicy, DeleteAlias, UpdatePrimaryRegion, CancelKeyDeletion on Cerby's key (cerby-external-keys).",
      "Tamper alert: KMS DisableKey, ScheduleKeyDeletion, PutKeyPolicy, DeleteAlias, UpdatePrimaryRegion, CancelKeyDeletion on Cerby's key (cerby-external-keys).",
    ]);
    const iam = rules.find((rule) => rule.name.endsWith("-iam"))!;
    expect(JSON.parse(iam.inputs.eventPattern as string).detail.requestParameters).toEqual({ roleName: ["cerby-kms-byo-key-access"] });
    expect(Object.keys(plan.outputs)).toEqual(expect.arrayContaining(["logAnalyticsWorkspaceId", "alertActionGroupId", "tamperAlertTopicArns"]));
  });
});
