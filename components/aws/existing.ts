import type { Provider } from "@pulumi/aws/provider";
import * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import type { AwsAdoption, AwsConfig } from "../config";
import { KMS_KEY_MARKER_TAG, KMS_KEY_SPEC, KMS_KEY_USAGE } from "./kmsKey";
import { CERBY_POLICY_NAME, cerbyTrustPolicy } from "./role";

/**
 * Reads a KMS key, its replica and the IAM role made by hand (Cerby's "AWS KMS" article) before
 * anything is declared, so that they are imported with exactly the inputs they have.
 */

export interface ExistingKmsKey {
  keyId: string;
  arn: string;
  description: string;
  keySpec: string;
  keyUsage: string;
  multiRegion: boolean;
  /** PRIMARY or REPLICA; undefined for a single-Region key. */
  multiRegionKeyType?: string;
  keyState: string;
  origin: string;
}

export interface ExistingAwsRole {
  name: string;
  arn: string;
  /** The inputs the role is declared with: what it has. */
  inputs: Record<string, unknown>;
  assumeRolePolicy: string;
  inlinePolicyNames: string[];
}

export interface ExistingAws {
  key: ExistingKmsKey;
  /** The replica in the replica Region, when there is one. */
  replica?: ExistingKmsKey;
  role: ExistingAwsRole;
}

function keyOf(result: kms.GetKeyResult): ExistingKmsKey {
  return {
    keyId: result.id,
    arn: result.arn,
    description: result.description,
    keySpec: result.keySpec || result.customerMasterKeySpec,
    keyUsage: result.keyUsage,
    multiRegion: result.multiRegion,
    multiRegionKeyType: result.multiRegionConfigurations?.[0]?.multiRegionKeyType,
    keyState: result.keyState,
    origin: result.origin,
  };
}

/** Reads the primary key (by ID or ARN), its replica in the replica Region and the role. */
export async function discoverExistingAws(
  config: AwsConfig & { adopt: AwsAdoption },
  providers: { primary: Provider; replica: Provider },
): Promise<ExistingAws> {
  const [key, role, policies] = await Promise.all([
    kms.getKey({ keyId: config.adopt.kmsKeyId }, { provider: providers.primary }),
    iam.getRole({ name: config.adopt.roleName }, { provider: providers.primary }),
    iam.getRolePolicies({ roleName: config.adopt.roleName }, { provider: providers.primary }),
  ]);
  const replicaArn = key.multiRegionConfigurations?.[0]?.replicaKeys?.find((replica) => replica.region === config.replicaRegion)?.arn;
  const replica = replicaArn ? await kms.getKey({ keyId: replicaArn }, { provider: providers.replica }) : undefined;
  const inputs: Record<string, unknown> = { name: role.name, assumeRolePolicy: role.assumeRolePolicy };
  for (const [field, value] of Object.entries({
    description: role.description,
    path: role.path,
    maxSessionDuration: role.maxSessionDuration,
    permissionsBoundary: role.permissionsBoundary,
    tags: role.tags && Object.keys(role.tags).length > 0 ? role.tags : undefined,
  })) {
    if (value !== undefined && value !== "") {
      inputs[field] = value;
    }
  }
  return {
    key: keyOf(key),
    replica: replica ? keyOf(replica) : undefined,
    role: { name: role.name, arn: role.arn, inputs, assumeRolePolicy: role.assumeRolePolicy, inlinePolicyNames: policies.policyNames ?? [] },
  };
}

/** Whether a trust policy (JSON, possibly URL-encoded as IAM returns it) lets Cerby assume the role with the workspace ID. */
export function trustsCerby(document: string, cerbyPrincipalArn: string, cerbyWorkspaceId: string): boolean {
  let policy: { Statement?: unknown };
  try {
    policy = JSON.parse(document.trim().startsWith("%7B") ? decodeURIComponent(document) : document);
  } catch {
    return false;
  }
  const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
  const wanted = cerbyTrustPolicy(cerbyPrincipalArn, cerbyWorkspaceId).Statement[0];
  return (list(policy.Statement) as Array<Record<string, any>>).some(
    (statement) =>
      statement.Effect === "Allow" &&
      list(statement.Action).includes(wanted.Action) &&
      list(statement.Principal?.AWS).includes(cerbyPrincipalArn) &&
      list(statement.Condition?.StringEquals?.["sts:ExternalId"]).includes(cerbyWorkspaceId),
  );
}

/** What Cerby cannot use, one sentence each; the run stops before anything is declared. */
export function awsRefusals(existing: ExistingAws, config: AwsConfig): string[] {
  const { key, role } = existing;
  const refusals: string[] = [];
  const problems = [
    key.keySpec !== KMS_KEY_SPEC ? `key spec ${key.keySpec}, not ${KMS_KEY_SPEC}` : "",
    key.keyUsage !== KMS_KEY_USAGE ? `usage ${key.keyUsage}, not ${KMS_KEY_USAGE}` : "",
    !key.multiRegion || key.multiRegionKeyType !== "PRIMARY" ? `${key.multiRegion ? `a multi-Region ${key.multiRegionKeyType?.toLowerCase()}` : "a single-Region key"}, not a multi-Region primary` : "",
    key.origin !== "AWS_KMS" ? `key material from ${key.origin}, not AWS_KMS` : "",
  ].filter(Boolean);
  if (problems.length > 0) {
    refusals.push(
      `KMS key ${key.arn} (existingKmsKeyId) is ${problems.join(", ")}; Cerby works only with a multi-Region ${KMS_KEY_SPEC} ${KMS_KEY_USAGE} primary key made by KMS, and none of these can change. ` +
        "Name such a key, or leave adoptExisting off to have this program create one.",
    );
  }
  if (key.keyState !== "Enabled") {
    refusals.push(
      `KMS key ${key.arn} is ${key.keyState}, so Cerby cannot use it: ${key.keyState === "PendingDeletion" ? `cancel the deletion now (aws kms cancel-key-deletion --key-id ${key.keyId} --region ${config.primaryRegion}), then ` : ""}enable it (aws kms enable-key) and run pulumi up again.`,
    );
  }
  if (!trustsCerby(role.assumeRolePolicy, config.cerbyPrincipalArn, config.cerbyWorkspaceId)) {
    refusals.push(
      `IAM role ${role.arn} does not let Cerby (${config.cerbyPrincipalArn}) assume it with sts:ExternalId ${config.cerbyWorkspaceId} (cerbyWorkspaceId), so Cerby cannot use the key; ` +
        "fix its trust policy as Cerby's AWS KMS article shows, or check cerbyWorkspaceId, then run pulumi up again.",
    );
  }
  return refusals;
}

/** Differences from this project's defaults, one line each; the first run keeps them. */
export function awsDifferences(existing: ExistingAws, config: AwsConfig): string[] {
  const lines: string[] = [];
  const [tag, value] = Object.entries(KMS_KEY_MARKER_TAG)[0];
  lines.push(
    `KMS key ${existing.key.keyId} keeps its tags as they are (KMS tags cannot be read before importing); the AWS deployer policy manages only keys tagged ${tag}=${value}: ` +
      `tag the key and its replica (aws kms tag-resource --key-id <arn> --tags TagKey=${tag},TagValue=${value}) to manage them with it.`,
  );
  if (!existing.replica) {
    lines.push(`KMS key ${existing.key.keyId} has no replica in ${config.replicaRegion} (awsReplicaRegion); this run creates it, as Cerby's disaster recovery needs it.`);
  }
  const others = existing.role.inlinePolicyNames.filter((name) => name !== CERBY_POLICY_NAME);
  if (others.length > 0) {
    lines.push(
      `IAM role ${existing.role.name} has inline policies made by hand (${others.join(", ")}), left as they are; the stack adds ${CERBY_POLICY_NAME}, which allows Cerby's four KMS actions on exactly the key and its replica. ` +
        `Once pulumi up has run, remove the others (aws iam delete-role-policy --role-name ${existing.role.name} --policy-name <name>).`,
    );
  }
  return lines;
}
