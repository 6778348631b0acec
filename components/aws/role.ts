import * as pulumi from "@pulumi/pulumi";
import type { Provider } from "@pulumi/aws/provider";
import * as iam from "@pulumi/aws/iam";
import { cerbyPermissionsBoundary } from "./permissionsBoundary";

/** The name of the role's inline policy that grants Cerby the key. */
export const CERBY_POLICY_NAME = "cerby-kms-key-access";

/** Exactly what Cerby does with the key, per its AWS KMS help article; nothing else is granted. */
export const CERBY_KEY_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:GetPublicKey", "kms:DescribeKey"] as const;

/**
 * An IAM policy document of plain values. The SDK's own type allows Outputs inside, which
 * JSON.stringify would mangle; this one cannot hold them.
 */
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Principal?: { AWS: string };
  Action: string | string[];
  Resource?: string[];
  Condition?: Record<string, Record<string, string>>;
}

/** Lets only Cerby's principal assume the role, and only when it presents the workspace ID. */
export function cerbyTrustPolicy(cerbyPrincipalArn: string, cerbyWorkspaceId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CerbyAssumeRole",
        Effect: "Allow",
        Principal: { AWS: cerbyPrincipalArn },
        Action: "sts:AssumeRole",
        // The external ID stops another Cerby workspace from using this role (the confused deputy).
        Condition: { StringEquals: { "sts:ExternalId": cerbyWorkspaceId } },
      },
    ],
  };
}

/** Allows Cerby's four KMS actions on exactly the given keys (the primary and its replica). */
export function cerbyKeyAccessPolicy(keyArns: string[]): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "CerbyUseKey", Effect: "Allow", Action: [...CERBY_KEY_ACTIONS], Resource: keyArns }],
  };
}

export interface CerbyAccessRoleArgs {
  /** IAM is global, but an explicit provider keeps the account check and credentials of the keys' provider. */
  provider: Provider;
  /** IAM role name. Changing it replaces the role, and Cerby then holds a stale role ARN. */
  roleName: string;
  /** The AWS principal Cerby assumes the role from. */
  cerbyPrincipalArn: string;
  /** The Cerby workspace ID, which Cerby sends as sts:ExternalId. */
  cerbyWorkspaceId: string;
  /** ARNs of the keys Cerby may use: the primary key and its replica. */
  keyArns: pulumi.Input<string>[];
  tags: Record<string, string>;
}

/**
 * The IAM role Cerby assumes to use the key: a trust policy for Cerby's principal with the
 * workspace ID as external ID, and an inline policy that allows the four KMS actions Cerby needs
 * on the two key ARNs, within a permissions boundary that allows only those actions on keys with
 * the marker tag. A role rather than a user, so no long-lived access key exists.
 */
export class CerbyAccessRole extends pulumi.ComponentResource {
  readonly roleArn: pulumi.Output<string>;
  readonly roleName: pulumi.Output<string>;
  readonly policyName: pulumi.Output<string>;
  readonly boundaryArn: pulumi.Output<string>;

  constructor(name: string, args: CerbyAccessRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:aws:AccessRole", name, {}, opts);

    // Bounds what any inline policy can grant the role, so write access to that policy (the
    // bootstrap deployer policy) cannot turn the role into more than Cerby's key user.
    const boundary = cerbyPermissionsBoundary(`${name}-boundary`, args.roleName, args.tags, { parent: this, provider: args.provider });

    const role = new iam.Role(
      name,
      {
        name: args.roleName,
        permissionsBoundary: boundary.arn,
        description: "Assumed by Cerby to use its KMS key. Managed by Pulumi (cerby-external-keys).",
        assumeRolePolicy: JSON.stringify(cerbyTrustPolicy(args.cerbyPrincipalArn, args.cerbyWorkspaceId)),
        tags: args.tags,
      },
      // Cerby holds this role's ARN: a replacement (a new name) would cut it off from the key.
      { parent: this, provider: args.provider, protect: true },
    );

    const policy = new iam.RolePolicy(
      `${name}-kms`,
      {
        role: role.name,
        name: CERBY_POLICY_NAME,
        policy: pulumi.all(args.keyArns).apply((keyArns) => JSON.stringify(cerbyKeyAccessPolicy(keyArns))),
      },
      { parent: this, provider: args.provider },
    );

    this.roleArn = role.arn;
    this.roleName = role.name;
    this.policyName = policy.name;
    this.boundaryArn = boundary.arn;

    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName, policyName: this.policyName, boundaryArn: this.boundaryArn });
  }
}
