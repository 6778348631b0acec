import * as pulumi from "@pulumi/pulumi";
import type { AlertsConfig } from "../config";
import { AlertActionGroup } from "./alertReceivers";
import { KeyVaultAuditLogs } from "./audit";
import { KeyVaultKeyEvents } from "./keyEvents";
import { KeyVaultTamperAlerts } from "./tamperAlerts";

export interface KeyVaultMonitoringArgs {
  /** Which parts are on, and who is told. */
  alerts: AlertsConfig;
  /** ARM ID of the Key Vault holding Cerby's key. */
  vaultId: pulumi.Input<string>;
  /** Name of Cerby's key. */
  keyName: pulumi.Input<string>;
  /** The vault's resource group, which holds every resource made here. */
  resourceGroupName: pulumi.Input<string>;
  /** The vault's region. */
  location: string;
  /** Tags for every resource made here. */
  tags: Record<string, string>;
}

/**
 * The Azure audit trail and tamper alerts, each part switched on by its own config key: audit logs
 * to Log Analytics (auditLogs), alerts on deletions and changes (tamperAlerts), and the key's
 * Event Grid events (keyEvents), all telling one action group.
 */
export class KeyVaultMonitoring extends pulumi.ComponentResource {
  /** The Log Analytics workspace with the vault's audit log, when auditLogs is on. */
  readonly workspaceId?: pulumi.Output<string>;
  /** The action group alerts notify, when tamperAlerts or keyEvents is on. */
  readonly actionGroupId?: pulumi.Output<string>;
  /** Activity-log and log search alert rules, when tamperAlerts is on. */
  readonly alertRuleIds?: pulumi.Output<string[]>;
  /** The vault's Event Grid system topic, when keyEvents is on. */
  readonly systemTopicId?: pulumi.Output<string>;

  constructor(name: string, args: KeyVaultMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:azure:KeyVaultMonitoring", name, {}, opts);
    const { alerts, vaultId, resourceGroupName, location, tags } = args;

    if (alerts.auditLogs) {
      this.workspaceId = new KeyVaultAuditLogs(
        `${name}-audit`,
        { vaultId, resourceGroupName, location, existingWorkspaceId: alerts.logAnalyticsWorkspaceId, retentionDays: alerts.logRetentionDays, tags },
        { parent: this },
      ).workspaceId;
    }

    if (alerts.tamperAlerts || alerts.keyEvents) {
      const actionGroupId = new AlertActionGroup(
        `${name}-receivers`,
        { resourceGroupName, emails: alerts.emails, webhookUrl: alerts.webhookUrl, tags },
        { parent: this },
      ).actionGroupId;
      this.actionGroupId = actionGroupId;
      if (alerts.tamperAlerts) {
        this.alertRuleIds = new KeyVaultTamperAlerts(
          `${name}-tamper`,
          { vaultId, resourceGroupName, location, actionGroupId, workspaceId: this.workspaceId, tags },
          { parent: this },
        ).alertRuleIds;
      }
      if (alerts.keyEvents) {
        this.systemTopicId = new KeyVaultKeyEvents(
          `${name}-key-events`,
          { vaultId, keyName: args.keyName, resourceGroupName, location, actionGroupId, tags },
          { parent: this },
        ).systemTopicId;
      }
    }

    this.registerOutputs({
      workspaceId: this.workspaceId,
      actionGroupId: this.actionGroupId,
      alertRuleIds: this.alertRuleIds,
      systemTopicId: this.systemTopicId,
    });
  }
}
