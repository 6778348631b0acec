/**
 * `npm run verify`'s checks of the audit trail and tamper alerts, run when the stack outputs say
 * they are configured: the Key Vault's diagnostic setting and the Azure alert rules (read from
 * Azure Resource Manager as the identity running verify), the AWS EventBridge rules, and whether
 * CloudTrail records the management events those rules need.
 */
import { CloudTrailClient, DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand, type Trail } from "@aws-sdk/client-cloudtrail";
import { DescribeRuleCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { TokenCredential } from "@azure/identity";
import { createHttpHeaders, createPipelineRequest, type HttpClient } from "@azure/core-rest-pipeline";
import { AUDIT_DIAGNOSTIC_SETTING_NAME } from "../components/azure/audit";
import type { CheckLine } from "./verify";

/** A GET on Azure Resource Manager: the HTTP status and the parsed body. */
export type ArmReader = (path: string, apiVersion: string) => Promise<{ status: number; body: unknown }>;

export interface AlertCheckEnvironment {
  arm: ArmReader;
  events: (region: string) => EventBridgeClient;
  cloudtrail: (region: string) => CloudTrailClient;
}

const ARM = "https://management.azure.com";

/** Reads Azure Resource Manager with `credential`'s token over `httpClient`. */
export function armReader(credential: TokenCredential, httpClient: HttpClient): ArmReader {
  return async (path, apiVersion) => {
    const token = await credential.getToken(`${ARM}/.default`);
    if (!token) {
      throw new Error("no Azure Resource Manager token");
    }
    const request = createPipelineRequest({
      url: `${ARM}${path}?api-version=${apiVersion}`,
      method: "GET",
      headers: createHttpHeaders({ authorization: `Bearer ${token.token}`, accept: "application/json" }),
    });
    const response = await httpClient.sendRequest(request);
    let body: unknown;
    try {
      body = JSON.parse(response.bodyAsText ?? "null");
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  };
}

const line = (check: string, status: CheckLine["status"], reason: string): CheckLine => ({ check, status, reason });

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name === "Error" ? "" : `${error.name}: `}${error.message}` : String(error);
}

function armError(body: unknown): string {
  const error = (body as { error?: { code?: string } } | null)?.error;
  return error?.code ?? "no error code";
}

const ARM_READ_HINT = "the identity running verify needs read access to the vault's resource group (Monitoring Reader)";

interface DiagnosticSettingBody {
  properties?: {
    workspaceId?: string;
    logs?: Array<{ category?: string | null; categoryGroup?: string | null; enabled?: boolean }>;
  };
}

/** The vault's diagnostic setting exists, sends to the stack's workspace, and includes AuditEvent. */
async function diagnosticSetting(env: AlertCheckEnvironment, vaultId: string, workspaceId: string): Promise<CheckLine> {
  const check = "azure.audit-logs";
  const path = `${vaultId}/providers/Microsoft.Insights/diagnosticSettings/${AUDIT_DIAGNOSTIC_SETTING_NAME}`;
  try {
    const { status, body } = await env.arm(path, "2021-05-01-preview");
    if (status === 404) {
      return line(check, "fail", `the vault has no diagnostic setting ${AUDIT_DIAGNOSTIC_SETTING_NAME}, so its use is not audited; run pulumi up to restore it`);
    }
    if (status !== 200) {
      return line(check, "not-proved", `cannot read the vault's diagnostic setting (HTTP ${status}, ${armError(body)}): ${ARM_READ_HINT}`);
    }
    const properties = (body as DiagnosticSettingBody).properties ?? {};
    const audited = (properties.logs ?? []).some(
      (log) => log.enabled === true && (log.category === "AuditEvent" || log.categoryGroup === "audit" || log.categoryGroup === "allLogs"),
    );
    if ((properties.workspaceId ?? "").toLowerCase() !== workspaceId.toLowerCase()) {
      return line(check, "fail", `diagnostic setting ${AUDIT_DIAGNOSTIC_SETTING_NAME} sends to ${properties.workspaceId ?? "no workspace"}, not ${workspaceId}; run pulumi up`);
    }
    return audited
      ? line(check, "pass", `AuditEvent logs go to ${workspaceId}`)
      : line(check, "fail", `diagnostic setting ${AUDIT_DIAGNOSTIC_SETTING_NAME} does not send AuditEvent logs; run pulumi up`);
  } catch (error) {
    return line(check, "not-proved", `cannot sign in to Azure Resource Manager to read the diagnostic setting: ${errorText(error)}`);
  }
}

/** API versions of the alert rule types the stack creates. */
const RULE_API_VERSIONS: Record<string, string> = {
  "microsoft.insights/activitylogalerts": "2020-10-01",
  "microsoft.insights/scheduledqueryrules": "2021-08-01",
};

async function azureAlertRule(env: AlertCheckEnvironment, ruleId: string): Promise<string | undefined> {
  const type = /\/providers\/([^/]+\/[^/]+)\/[^/]+$/.exec(ruleId)?.[1]?.toLowerCase() ?? "";
  const apiVersion = RULE_API_VERSIONS[type];
  if (apiVersion === undefined) {
    return `${ruleId} is not an alert rule this stack makes`;
  }
  const { status, body } = await env.arm(ruleId, apiVersion);
  if (status === 404) {
    return `${ruleId} is missing`;
  }
  if (status !== 200) {
    throw new Error(`HTTP ${status}, ${armError(body)}`);
  }
  return (body as { properties?: { enabled?: boolean } }).properties?.enabled === true ? undefined : `${ruleId} is disabled`;
}

async function azureAlertRules(env: AlertCheckEnvironment, ruleIds: string[]): Promise<CheckLine> {
  const check = "azure.tamper-alerts";
  try {
    const problems = (await Promise.all(ruleIds.map((ruleId) => azureAlertRule(env, ruleId)))).filter((problem) => problem !== undefined);
    return problems.length === 0
      ? line(check, "pass", `${ruleIds.length} alert rules exist and are enabled`)
      : line(check, "fail", `${problems.join("; ")}: run pulumi up to restore the tamper alerts`);
  } catch (error) {
    return line(check, "not-proved", `cannot read the alert rules: ${errorText(error)} (${ARM_READ_HINT})`);
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** The Azure lines for whichever of the audit trail and the alerts the outputs show. */
export async function azureAlertChecks(outputs: Record<string, unknown>, env: AlertCheckEnvironment): Promise<CheckLine[]> {
  const checks: Array<Promise<CheckLine>> = [];
  const vaultId = outputs.keyVaultId;
  const workspaceId = outputs.logAnalyticsWorkspaceId;
  if (typeof vaultId === "string" && typeof workspaceId === "string") {
    checks.push(diagnosticSetting(env, vaultId, workspaceId));
  }
  const ruleIds = stringList(outputs.azureAlertRuleIds);
  if (ruleIds.length > 0) {
    checks.push(azureAlertRules(env, ruleIds));
  }
  return Promise.all(checks);
}

async function eventRule(env: AlertCheckEnvironment, region: string, ruleArn: string): Promise<string | undefined> {
  const name = ruleArn.slice(ruleArn.lastIndexOf("/") + 1);
  try {
    const rule = await env.events(region).send(new DescribeRuleCommand({ Name: name }));
    return rule.State === "ENABLED" ? undefined : `${ruleArn} is ${rule.State}`;
  } catch (error) {
    if (error instanceof Error && error.name === "ResourceNotFoundException") {
      return `${ruleArn} is missing`;
    }
    throw error;
  }
}

async function eventRules(env: AlertCheckEnvironment, rulesByRegion: Record<string, string[]>): Promise<CheckLine> {
  const check = "aws.tamper-alerts";
  const all = Object.entries(rulesByRegion).flatMap(([region, arns]) => arns.map((arn) => ({ region, arn })));
  try {
    const problems = (await Promise.all(all.map(({ region, arn }) => eventRule(env, region, arn)))).filter((problem) => problem !== undefined);
    return problems.length === 0
      ? line(check, "pass", `${all.length} EventBridge rules exist and are enabled in ${Object.keys(rulesByRegion).join(", ")}`)
      : line(check, "fail", `${problems.join("; ")}: run pulumi up to restore the tamper alerts`);
  } catch (error) {
    return line(check, "not-proved", `cannot read the EventBridge rules: ${errorText(error)} (the identity running verify needs events:DescribeRule)`);
  }
}

/** Whether a trail records write management events (classic or advanced selectors). */
async function recordsManagementWrites(client: CloudTrailClient, trail: Trail): Promise<boolean> {
  const [status, selectors] = await Promise.all([
    client.send(new GetTrailStatusCommand({ Name: trail.TrailARN })),
    client.send(new GetEventSelectorsCommand({ TrailName: trail.TrailARN })),
  ]);
  if (status.IsLogging !== true) {
    return false;
  }
  const classic = (selectors.EventSelectors ?? []).some(
    (selector) => selector.IncludeManagementEvents !== false && selector.ReadWriteType !== "ReadOnly",
  );
  const advanced = (selectors.AdvancedEventSelectors ?? []).some((selector) => {
    const fields = selector.FieldSelectors ?? [];
    const management = fields.some((field) => field.Field === "eventCategory" && (field.Equals ?? []).includes("Management"));
    const readOnly = fields.some((field) => field.Field === "readOnly" && (field.Equals ?? []).includes("true"));
    return management && !readOnly;
  });
  return classic || advanced;
}

/** Every Region with a rule needs a logging trail with management writes that covers it. */
async function cloudTrailCoverage(env: AlertCheckEnvironment, regions: string[]): Promise<CheckLine> {
  const check = "aws.cloudtrail";
  try {
    const uncovered: string[] = [];
    for (const region of regions) {
      const { trailList = [] } = await env.cloudtrail(region).send(new DescribeTrailsCommand({ includeShadowTrails: true }));
      const candidates = trailList.filter((trail) => trail.HomeRegion === region || trail.IsMultiRegionTrail === true);
      const covered = await Promise.all(candidates.map((trail) => recordsManagementWrites(env.cloudtrail(trail.HomeRegion ?? region), trail)));
      if (!covered.includes(true)) {
        uncovered.push(region);
      }
    }
    return uncovered.length === 0
      ? line(check, "pass", `a logging trail records management events in ${regions.join(", ")}, which the tamper alerts need`)
      : line(
          check,
          "fail",
          `no logging CloudTrail trail records management write events in ${uncovered.join(", ")}, so the tamper alerts there never fire; create a multi-Region trail (see docs/security.md, \"Audit and alerts\")`,
        );
  } catch (error) {
    return line(
      check,
      "not-proved",
      `cannot tell whether CloudTrail records management events: ${errorText(error)} (needs cloudtrail:DescribeTrails, GetTrailStatus and GetEventSelectors)`,
    );
  }
}

/** The AWS lines, when the outputs show the tamper alerts: their rules, and the trail they need. */
export async function awsAlertChecks(outputs: Record<string, unknown>, env: AlertCheckEnvironment): Promise<CheckLine[]> {
  const raw = outputs.tamperAlertRuleArns;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return [];
  }
  const rulesByRegion = Object.fromEntries(Object.entries(raw).map(([region, arns]) => [region, stringList(arns)]));
  return Promise.all([eventRules(env, rulesByRegion), cloudTrailCoverage(env, Object.keys(rulesByRegion))]);
}
