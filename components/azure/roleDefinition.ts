import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { KEY_VAULT_ROLES, type KeyVaultRole } from "../config";
import { guidFromText } from "./roleAssignment";

/**
 * The custom roles this stack can define, each with only the Key Vault data actions one party
 * needs. The built-in roles are wider: Key Vault Crypto Officer may also delete, purge, update and
 * rotate keys; Key Vault Crypto User may also update (disable, re-date) and back up a key.
 */
export const CUSTOM_KEY_VAULT_ROLES = {
  /** What `pulumi up` needs to create the key through ARM and read it back. */
  deployer: {
    label: "key creator",
    // Unprotected: switching deployerRole to crypto-officer may delete it; nothing Cerby uses depends on it.
    protect: false,
    description: "Creates and reads the Cerby key, nothing else (cerby-external-keys deployer).",
    dataActions: ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/create/action"],
  },
  /** What Cerby does with the key, and what the preflight proves: read, wrap, unwrap, encrypt, decrypt. */
  minimal: {
    label: "key user",
    // Protected: Cerby's access to the key depends on it.
    protect: true,
    description: "Reads the Cerby key and wraps, unwraps, encrypts and decrypts with it; cannot change or back it up (cerby-external-keys).",
    dataActions: [
      "Microsoft.KeyVault/vaults/keys/read",
      "Microsoft.KeyVault/vaults/keys/wrap/action",
      "Microsoft.KeyVault/vaults/keys/unwrap/action",
      "Microsoft.KeyVault/vaults/keys/encrypt/action",
      "Microsoft.KeyVault/vaults/keys/decrypt/action",
    ],
  },
} as const;

export type CustomKeyVaultRole = keyof typeof CUSTOM_KEY_VAULT_ROLES;

/**
 * A role definition's name must be a GUID, unique in the tenant. Deriving it from the vault (whose
 * ARM ID names subscription, resource group and vault) and the role makes it the same on every run
 * and different for every stack's vault.
 */
export function roleDefinitionGuid(vaultId: string, role: CustomKeyVaultRole): string {
  return guidFromText(`role-definition|${vaultId.toLowerCase()}|${role}`);
}

/** The display name, unique in the tenant as Azure requires: Key Vault names are globally unique. */
export function customRoleName(vaultName: string, role: CustomKeyVaultRole): string {
  return `cerby-external-keys ${CUSTOM_KEY_VAULT_ROLES[role].label} (${vaultName})`;
}

export interface KeyVaultCustomRoleArgs {
  /** Which of CUSTOM_KEY_VAULT_ROLES to define. */
  role: CustomKeyVaultRole;
  /** Subscription of the resource group. */
  subscriptionId: pulumi.Input<string>;
  /**
   * The role's assignable scope: a custom role can be assignable at a resource group, a
   * subscription or a management group, not at a single resource; the narrowest is the vault's group.
   */
  resourceGroupName: pulumi.Input<string>;
  /** ARM ID of the vault, from which the role definition's GUID is derived. */
  vaultId: pulumi.Input<string>;
  /** Name of the vault, shown in the role's name. */
  vaultName: pulumi.Input<string>;
}

/** A role to assign: its definition GUID and its display name. */
export interface KeyVaultRoleChoice {
  guid: pulumi.Input<string>;
  displayName: pulumi.Input<string>;
}

export function builtInRole(role: KeyVaultRole): KeyVaultRoleChoice {
  return { guid: KEY_VAULT_ROLES[role].id, displayName: KEY_VAULT_ROLES[role].displayName };
}

/** One custom Azure role definition with Key Vault data actions only, assignable in the vault's resource group. */
export class KeyVaultCustomRole extends pulumi.ComponentResource implements KeyVaultRoleChoice {
  /** The definition's GUID; reading it makes a role assignment wait for the definition. */
  readonly guid: pulumi.Output<string>;
  readonly displayName: pulumi.Output<string>;

  constructor(name: string, args: KeyVaultCustomRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:azure:CustomRole", name, {}, opts);
    const spec = CUSTOM_KEY_VAULT_ROLES[args.role];
    const resourceGroupId = pulumi.interpolate`/subscriptions/${args.subscriptionId}/resourceGroups/${args.resourceGroupName}`;
    const guid = pulumi.output(args.vaultId).apply((vaultId) => roleDefinitionGuid(vaultId, args.role));
    this.displayName = pulumi.output(args.vaultName).apply((vaultName) => customRoleName(vaultName, args.role));

    const definition = new authorization.RoleDefinition(
      name,
      {
        roleDefinitionId: guid,
        roleName: this.displayName,
        description: spec.description,
        roleType: "CustomRole",
        permissions: [{ actions: [], notActions: [], dataActions: [...spec.dataActions], notDataActions: [] }],
        assignableScopes: [resourceGroupId],
        scope: resourceGroupId,
      },
      { parent: this, protect: spec.protect },
    );

    // Read through the definition's URN, so an assignment taking the GUID depends on the definition;
    // unlike its ID, the URN is known at preview and makes nothing unknown.
    this.guid = pulumi.all([guid, definition.urn]).apply(([value]) => value);
    this.registerOutputs({ guid: this.guid, displayName: this.displayName });
  }
}
