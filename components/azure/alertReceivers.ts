import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";

export interface AlertActionGroupArgs {
  /** Resource group that holds the action group (the vault's). */
  resourceGroupName: pulumi.Input<string>;
  /** Email addresses told when an alert fires. */
  emails: string[];
  /** A webhook also called; a secret, since such URLs carry tokens. */
  webhookUrl?: pulumi.Input<string>;
  /** Tags for the action group. */
  tags: Record<string, string>;
}

/**
 * Who is told when the key or its vault is tampered with: an Azure Monitor action group with an
 * email receiver per address and, when given, one webhook. The activity-log alerts, the log search
 * alert and the Key Vault events all notify it.
 */
export class AlertActionGroup extends pulumi.ComponentResource {
  readonly actionGroupId: pulumi.Output<string>;

  constructor(name: string, args: AlertActionGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:azure:AlertActionGroup", name, {}, opts);

    const group = new monitor.ActionGroup(
      name,
      {
        resourceGroupName: args.resourceGroupName,
        // Action groups are global resources.
        location: "Global",
        groupShortName: "cerby-keys",
        enabled: true,
        emailReceivers: args.emails.map((emailAddress, index) => ({ name: `email-${index + 1}`, emailAddress, useCommonAlertSchema: true })),
        webhookReceivers:
          args.webhookUrl === undefined
            ? undefined
            : [{ name: "webhook", serviceUri: pulumi.secret(args.webhookUrl), useCommonAlertSchema: true }],
        tags: args.tags,
      },
      // The provider echoes the webhook URL back in its outputs: state keeps it encrypted.
      { parent: this, additionalSecretOutputs: ["webhookReceivers"] },
    );
    this.actionGroupId = group.id;

    this.registerOutputs({ actionGroupId: this.actionGroupId });
  }
}
