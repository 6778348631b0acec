import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as random from "@pulumi/random";
import type { KeyVaultSku, NetworkDefaultAction } from "../config";

export interface CerbyKeyVaultArgs {
  /** Resource group that holds the vault. Changing it replaces the vault, which protect refuses. */
  resourceGroupName: pulumi.Input<string>;
  /** Azure region. Changing it replaces the vault, which protect refuses. */
  location: pulumi.Input<string>;
  /** Entra tenant whose identities the vault's RBAC trusts. */
  tenantId: pulumi.Input<string>;
  /** Globally unique vault name; when undefined a stable one is generated and kept in state. */
  name?: string;
  /** Pricing tier; premium is needed for RSA-HSM keys. */
  sku: KeyVaultSku;
  /** Days a deleted vault stays recoverable (7–90); Azure fixes it at creation. */
  softDeleteRetentionDays: number;
  /** Once on, Azure never lets it be turned off. */
  purgeProtection: boolean;
  /** Firewall default: Allow, or Deny with `networkAllowedIpRanges` let through. */
  networkDefaultAction: NetworkDefaultAction;
  /** IPv4 addresses or CIDR ranges the firewall lets through. */
  networkAllowedIpRanges: string[];
  /** Tags for the vault. */
  tags: Record<string, string>;
}

/**
 * The Key Vault that holds Cerby's key: Azure RBAC permission model, soft delete, purge
 * protection, and protected against `pulumi destroy`, since losing it loses every secret Cerby
 * encrypted with its key.
 */
export class CerbyKeyVault extends pulumi.ComponentResource {
  readonly vaultId: pulumi.Output<string>;
  readonly vaultName: pulumi.Output<string>;
  readonly vaultUri: pulumi.Output<string>;

  constructor(name: string, args: CerbyKeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:azure:KeyVault", name, {}, opts);

    const vaultName =
      args.name ??
      new random.RandomString(
        `${name}-name-suffix`,
        { length: 6, lower: true, upper: false, numeric: true, special: false },
        { parent: this },
      ).result.apply((suffix) => `kv-cerby-${suffix}`);

    const vault = new keyvault.Vault(
      name,
      {
        vaultName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        properties: {
          tenantId: args.tenantId,
          sku: { family: "A", name: args.sku },
          enableRbacAuthorization: true,
          enableSoftDelete: true,
          softDeleteRetentionInDays: args.softDeleteRetentionDays,
          // Azure rejects an explicit false; leaving it out means "off".
          enablePurgeProtection: args.purgeProtection ? true : undefined,
          enabledForDeployment: false,
          enabledForDiskEncryption: false,
          enabledForTemplateDeployment: false,
          publicNetworkAccess: "Enabled",
          networkAcls: {
            bypass: "AzureServices",
            defaultAction: args.networkDefaultAction,
            ipRules: args.networkAllowedIpRanges.map((value) => ({ value })),
          },
        },
      },
      { parent: this, protect: true, retainOnDelete: true },
    );

    this.vaultId = vault.id;
    this.vaultName = vault.name;
    this.vaultUri = vault.properties.apply((properties) => properties.vaultUri ?? "");

    this.registerOutputs({ vaultId: this.vaultId, vaultName: this.vaultName, vaultUri: this.vaultUri });
  }
}
