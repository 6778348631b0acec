import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";

/** One activity-log alert: the Azure Resource Manager operations it fires on, and why they matter. */
export interface ActivityLogAlertSpec {
  /** Resource name suffix. */
  suffix: string;
  /** Operation names as the activity log records them. */
  operations: string[];
  description: string;
}

/**
 * Control-plane changes that can cost Cerby its key, as the activity log names them. Each fires
 * for any resource ID under the vault's: the vault, its key, the lock and role assignments on either.
 */
export const ACTIVITY_LOG_ALERTS: ActivityLogAlertSpec[] = [
  {
    suffix: "vault-deleted",
    operations: ["Microsoft.KeyVault/vaults/delete"],
    description: "The Key Vault holding Cerby's key was deleted (or someone tried). Recover it now: az keyvault recover --name <vault>.",
  },
  {
    suffix: "key-changed",
    operations: ["Microsoft.KeyVault/vaults/keys/write"],
    description: "Cerby's key was updated through Azure Resource Manager: check it is still enabled, unexpired and allows wrapKey/unwrapKey.",
  },
  {
    suffix: "lock-deleted",
    operations: ["Microsoft.Authorization/locks/delete"],
    description: "The delete lock on the Key Vault holding Cerby's key was removed. Restore it with pulumi up unless this was planned.",
  },
  {
    suffix: "role-assignment-deleted",
    operations: ["Microsoft.Authorization/roleAssignments/delete"],
    description: "A role assignment on the Key Vault or Cerby's key was deleted: Cerby's service principal may have lost access. Run npm run verify.",
  },
];

/**
 * Data-plane operations on keys, as Key Vault's AuditEvent log names them. The activity log never
 * sees these: deleting or disabling a key through the Key Vault API, the portal or the CLI is
 * recorded only in the vault's own audit log.
 */
export const AUDITED_KEY_OPERATIONS = ["KeyDelete", "KeyUpdate", "KeyPurge"] as const;

/** The log search query: any audited key operation on this vault, successful or refused. */
export function keyTamperQuery(vaultId: string): string {
  const operations = AUDITED_KEY_OPERATIONS.map((operation) => JSON.stringify(operation)).join(", ");
  return [
    "AzureDiagnostics",
    '| where ResourceProvider == "MICROSOFT.KEYVAULT" and Category == "AuditEvent"',
    `| where ResourceId =~ ${JSON.stringify(vaultId)}`,
    `| where OperationName in (${operations})`,
  ].join("\n");
}

export interface KeyVaultTamperAlertsArgs {
  /** ARM ID of the Key Vault: the scope of every alert. */
  vaultId: pulumi.Input<string>;
  /** Resource group that holds the alert rules (the vault's). */
  resourceGroupName: pulumi.Input<string>;
  /** Azure region of the log search alert (the vault's). */
  location: pulumi.Input<string>;
  /** The action group every alert notifies. */
  actionGroupId: pulumi.Input<string>;
  /** The Log Analytics workspace with the vault's audit log; when given, data-plane changes alert too. */
  workspaceId?: pulumi.Input<string>;
  /** Tags for the alert rules. */
  tags: Record<string, string>;
}

/**
 * Tells the action group when the key, its vault, the delete lock or a role assignment on them is
 * deleted or changed: an activity-log alert per kind of change (free), and, when the vault's audit
 * log goes to Log Analytics, a log search alert for deleting or updating (so disabling) the key
 * through the Key Vault API.
 */
export class KeyVaultTamperAlerts extends pulumi.ComponentResource {
  readonly alertRuleIds: pulumi.Output<string[]>;

  constructor(name: string, args: KeyVaultTamperAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:azure:KeyVaultTamperAlerts", name, {}, opts);
    const actions = { actionGroups: [{ actionGroupId: args.actionGroupId }] };

    const rules: pulumi.Output<string>[] = ACTIVITY_LOG_ALERTS.map(
      (spec) =>
        new monitor.ActivityLogAlert(
          `${name}-${spec.suffix}`,
          {
            resourceGroupName: args.resourceGroupName,
            // Activity-log alert rules are global resources.
            location: "Global",
            enabled: true,
            description: spec.description,
            scopes: [args.vaultId],
            condition: {
              allOf: [
                { field: "category", equals: "Administrative" },
                { anyOf: spec.operations.map((operation) => ({ field: "operationName", equals: operation })) },
              ],
            },
            actions,
            tags: args.tags,
          },
          { parent: this },
        ).id,
    );

    if (args.workspaceId !== undefined) {
      rules.push(
        new monitor.ScheduledQueryRule(
          `${name}-key-data-plane`,
          {
            resourceGroupName: args.resourceGroupName,
            location: args.location,
            kind: "LogAlert",
            enabled: true,
            displayName: "Cerby key deleted or updated through the Key Vault API",
            description:
              "Cerby's key was deleted, purged or updated (which is how a key is disabled) through the Key Vault API. Run npm run verify, and recover or re-enable the key.",
            severity: 1,
            scopes: [args.workspaceId],
            evaluationFrequency: "PT5M",
            windowSize: "PT5M",
            criteria: {
              allOf: [
                {
                  query: pulumi.output(args.vaultId).apply(keyTamperQuery),
                  timeAggregation: "Count",
                  operator: "GreaterThan",
                  threshold: 0,
                  failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
                },
              ],
            },
            autoMitigate: false,
            actions: { actionGroups: [args.actionGroupId] },
            tags: args.tags,
          },
          { parent: this },
        ).id,
      );
    }

    this.alertRuleIds = pulumi.all(rules);
    this.registerOutputs({ alertRuleIds: this.alertRuleIds });
  }
}
