import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";

/** Name of the vault's diagnostic setting; `npm run verify` looks for it by this name. */
export const AUDIT_DIAGNOSTIC_SETTING_NAME = "cerby-external-keys-audit";

export interface KeyVaultAuditLogsArgs {
  /** ARM ID of the Key Vault whose use and changes are logged. */
  vaultId: pulumi.Input<string>;
  /** Resource group of a workspace the stack creates. */
  resourceGroupName: pulumi.Input<string>;
  /** Azure region of a workspace the stack creates. */
  location: pulumi.Input<string>;
  /** An existing Log Analytics workspace (ARM ID); when undefined the component creates one. */
  existingWorkspaceId?: pulumi.Input<string>;
  /** Days a workspace the component creates keeps its data. */
  retentionDays: number;
  /** Tags for a workspace the component creates. */
  tags: Record<string, string>;
}

/**
 * The vault's audit trail: a diagnostic setting that sends every AuditEvent (each use of the key,
 * each change to it, to the vault and its access, and each denied request) and AllMetrics to a Log
 * Analytics workspace, either an existing one or one it creates with a fixed retention.
 */
export class KeyVaultAuditLogs extends pulumi.ComponentResource {
  readonly workspaceId: pulumi.Output<string>;
  readonly diagnosticSettingId: pulumi.Output<string>;

  constructor(name: string, args: KeyVaultAuditLogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:azure:KeyVaultAuditLogs", name, {}, opts);

    this.workspaceId =
      args.existingWorkspaceId !== undefined
        ? pulumi.output(args.existingWorkspaceId)
        : new operationalinsights.Workspace(
            `${name}-workspace`,
            {
              resourceGroupName: args.resourceGroupName,
              location: args.location,
              sku: { name: "PerGB2018" },
              retentionInDays: args.retentionDays,
              tags: args.tags,
            },
            { parent: this },
          ).id;

    const setting = new monitor.DiagnosticSetting(
      name,
      {
        name: AUDIT_DIAGNOSTIC_SETTING_NAME,
        resourceUri: args.vaultId,
        workspaceId: this.workspaceId,
        // AuditEvent is the category Key Vault's audit trail is in; the allLogs group would also
        // take in whatever policy-evaluation categories Azure adds, at a cost, for no audit value.
        logs: [{ category: "AuditEvent", enabled: true }],
        metrics: [{ category: "AllMetrics", enabled: true }],
      },
      { parent: this },
    );
    this.diagnosticSettingId = setting.id;

    this.registerOutputs({ workspaceId: this.workspaceId, diagnosticSettingId: this.diagnosticSettingId });
  }
}
