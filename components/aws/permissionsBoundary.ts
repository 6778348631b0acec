import type { Provider } from "@pulumi/aws/provider";
import * as iam from "@pulumi/aws/iam";
import type * as pulumi from "@pulumi/pulumi";
import { KMS_KEY_MARKER_TAG } from "./kmsKey";
import { CERBY_KEY_ACTIONS, type PolicyDocument } from "./role";

/** The boundary's name: the role's, suffixed, so the deployer policies can name its ARN. */
export function boundaryPolicyName(roleName: string): string {
  return `${roleName}-boundary`;
}

/**
 * The most the Cerby role can ever be granted, whatever its inline policy says: Cerby's four
 * KMS actions, on keys that carry the marker tag. A constant document, so it never needs a new
 * version, and the deployer policies deny making one.
 */
export function cerbyBoundaryPolicy(): PolicyDocument {
  const [[tagKey, tagValue]] = Object.entries(KMS_KEY_MARKER_TAG);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CerbyKeysOnly",
        Effect: "Allow",
        Action: [...CERBY_KEY_ACTIONS],
        Resource: ["arn:aws:kms:*:*:key/*"],
        Condition: { StringEquals: { [`aws:ResourceTag/${tagKey}`]: tagValue } },
      },
    ],
  };
}

/**
 * The managed policy set as the Cerby role's permissions boundary. Protected: deleting it would
 * fail while the role uses it, and replacing it would lift the bound until the role points at
 * the new one.
 */
export function cerbyPermissionsBoundary(
  name: string,
  roleName: string,
  tags: Record<string, string>,
  opts: { parent: pulumi.Resource; provider: Provider },
): iam.Policy {
  return new iam.Policy(
    name,
    {
      name: boundaryPolicyName(roleName),
      description: "Permissions boundary of the Cerby KMS role. Managed by Pulumi (cerby-external-keys).",
      policy: JSON.stringify(cerbyBoundaryPolicy()),
      tags,
    },
    { ...opts, protect: true },
  );
}
