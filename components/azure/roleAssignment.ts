import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";

export interface KeyVaultRoleAssignmentArgs {
  /** Subscription the role definition is read from (built-in roles and this stack's own roles alike). */
  subscriptionId: pulumi.Input<string>;
  /** Role definition GUID: a built-in role's, or a KeyVaultCustomRole's (whose output carries the dependency). */
  roleDefinitionGuid: pulumi.Input<string>;
  /** Object ID of the principal that gets the role. */
  principalId: pulumi.Input<string>;
  /** Must match the principal: Azure refuses an assignment whose principalType is wrong. */
  principalType: "ServicePrincipal" | "User" | "Group";
  /** ARM ID of the key or the vault. */
  scope: pulumi.Input<string>;
  /** Shown in the Azure portal beside the assignment. */
  description: pulumi.Input<string>;
}

/** A GUID shaped like a version-5 UUID, taken from the SHA-256 of `text`: the same text, the same GUID. */
export function guidFromText(text: string): string {
  const hex = createHash("sha256").update(text).digest("hex");
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A role assignment's name must be a GUID. Deriving it from scope, principal and role makes it
 * the same on every run and lets a re-run find the assignment it made, instead of colliding
 * with it (Azure refuses two assignments of one role to one principal at one scope).
 */
export function roleAssignmentGuid(scope: string, principalId: string, roleDefinitionGuid: string): string {
  return guidFromText(`${scope.toLowerCase()}|${principalId}|${roleDefinitionGuid}`);
}

/** One Azure RBAC role assignment on a Key Vault or on one key in it. */
export class KeyVaultRoleAssignment extends pulumi.ComponentResource {
  readonly roleAssignmentId: pulumi.Output<string>;

  constructor(name: string, args: KeyVaultRoleAssignmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:azure:RoleAssignment", name, {}, opts);

    const assignment = new authorization.RoleAssignment(
      name,
      {
        roleAssignmentName: pulumi
          .all([args.scope, args.principalId, args.roleDefinitionGuid])
          .apply(([scope, principalId, roleDefinitionGuid]) => roleAssignmentGuid(scope, principalId, roleDefinitionGuid)),
        roleDefinitionId: pulumi.interpolate`/subscriptions/${args.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${args.roleDefinitionGuid}`,
        principalId: args.principalId,
        principalType: args.principalType,
        scope: args.scope,
        description: args.description,
      },
      // Create-before-delete (the default): a new role or scope gives a new derived name, so the
      // new assignment exists before the old one goes and Cerby never loses access in between.
      { parent: this },
    );

    this.roleAssignmentId = assignment.id;
    this.registerOutputs({ roleAssignmentId: this.roleAssignmentId });
  }
}
