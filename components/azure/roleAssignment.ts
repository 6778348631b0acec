import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";

export interface KeyVaultRoleAssignmentArgs {
  /** Subscription that owns the built-in role definition. */
  subscriptionId: pulumi.Input<string>;
  /** Built-in role definition GUID. */
  roleDefinitionGuid: string;
  /** Object ID of the principal that gets the role. */
  principalId: pulumi.Input<string>;
  /** Must match the principal: Azure refuses an assignment whose principalType is wrong. */
  principalType: "ServicePrincipal" | "User" | "Group";
  /** ARM ID of the key or the vault. */
  scope: pulumi.Input<string>;
  /** Shown in the Azure portal beside the assignment. */
  description: string;
}

/**
 * A role assignment's name must be a GUID. Deriving it from scope, principal and role makes it
 * the same on every run and lets a re-run find the assignment it made, instead of colliding
 * with it (Azure refuses two assignments of one role to one principal at one scope).
 */
export function roleAssignmentGuid(scope: string, principalId: string, roleDefinitionGuid: string): string {
  const hex = createHash("sha256").update(`${scope.toLowerCase()}|${principalId}|${roleDefinitionGuid}`).digest("hex");
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
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
          .all([args.scope, args.principalId])
          .apply(([scope, principalId]) => roleAssignmentGuid(scope, principalId, args.roleDefinitionGuid)),
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
