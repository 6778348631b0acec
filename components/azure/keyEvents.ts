import * as pulumi from "@pulumi/pulumi";
import * as eventgrid from "@pulumi/azure-native/eventgrid";

/** The Key Vault events about the key that a person should hear of, as Event Grid names them. */
export const KEY_EVENT_TYPES = [
  "Microsoft.KeyVault.KeyNearExpiry",
  "Microsoft.KeyVault.KeyExpired",
  "Microsoft.KeyVault.KeyNewVersionCreated",
] as const;

export interface KeyVaultKeyEventsArgs {
  /** ARM ID of the Key Vault: the system topic's source. */
  vaultId: pulumi.Input<string>;
  /** Name of Cerby's key: only its events are delivered. */
  keyName: pulumi.Input<string>;
  /** Resource group that holds the system topic (the vault's). */
  resourceGroupName: pulumi.Input<string>;
  /** The vault's region: a system topic lives where its source does. */
  location: pulumi.Input<string>;
  /** The action group the events become alerts for. */
  actionGroupId: pulumi.Input<string>;
  /** Tags for the system topic. */
  tags: Record<string, string>;
}

/**
 * Key Vault's Event Grid events for Cerby's key, delivered as Azure Monitor alerts to the action
 * group: the key nears its expiry (30 days ahead), expires, or gets a new version. Azure allows one
 * system topic per vault, so a vault that already has one must use it instead.
 */
export class KeyVaultKeyEvents extends pulumi.ComponentResource {
  readonly systemTopicId: pulumi.Output<string>;

  constructor(name: string, args: KeyVaultKeyEventsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:azure:KeyVaultKeyEvents", name, {}, opts);

    const topic = new eventgrid.SystemTopic(
      name,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        source: args.vaultId,
        topicType: "Microsoft.KeyVault.vaults",
        tags: args.tags,
      },
      { parent: this },
    );

    new eventgrid.SystemTopicEventSubscription(
      `${name}-key`,
      {
        resourceGroupName: args.resourceGroupName,
        systemTopicName: topic.name,
        eventSubscriptionName: "cerby-key-events",
        // The only schema the Azure Monitor alert destination accepts.
        eventDeliverySchema: "CloudEventSchemaV1_0",
        filter: {
          includedEventTypes: [...KEY_EVENT_TYPES],
          // A Key Vault event's subject is the object's name.
          advancedFilters: [{ operatorType: "StringIn", key: "subject", values: [args.keyName] }],
        },
        destination: {
          endpointType: "MonitorAlert",
          severity: "Sev2",
          actionGroups: [args.actionGroupId],
          description: "Cerby's key is near its expiry, has expired, or has a new version. Run npm run verify.",
        },
      },
      { parent: this },
    );

    this.systemTopicId = topic.id;
    this.registerOutputs({ systemTopicId: this.systemTopicId });
  }
}
