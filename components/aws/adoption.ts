import * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/aws/provider";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import type { AwsAdoption, AwsConfig, CerbyConfig } from "../config";
import { CerbyVault } from "../cerby/vault";
import { KeyContinuityGuard } from "../keyContinuity";
import { AdoptionRefused } from "../azure/existing";
import { awsDifferences, awsRefusals, discoverExistingAws, type ExistingAws } from "./existing";
import { KMS_KEY_MARKER_TAG } from "./kmsKey";
import { CERBY_POLICY_NAME, cerbyKeyAccessPolicy } from "./role";

export interface AdoptedAwsIntegrationArgs {
  /** The validated AWS part of the stack config, with adoptExisting on. */
  aws: AwsConfig & { adopt: AwsAdoption };
  cerby: CerbyConfig;
}

/** Import IDs of what AWS adoption declares: KMS keys by key ID (in their provider's Region), the role by name. */
export function awsImportIds(existing: ExistingAws): { key: string; replica?: string; role: string } {
  return { key: existing.key.keyId, replica: existing.replica?.keyId, role: existing.role.name };
}

/**
 * Cerby's AWS KMS integration made by hand, brought under the stack: the multi-Region key, its
 * replica and the IAM role are imported with the inputs they have, every one protected and
 * retained. What Cerby needs and lacks (the replica, the role's policy on both keys) is created.
 * Declared in two steps, since the reads need the Region providers: the constructor makes them,
 * `declare` the rest once `adoptAws` has read and checked what exists.
 */
export class AdoptedAwsIntegration extends pulumi.ComponentResource {
  readonly providers: { primary: Provider; replica: Provider };
  accountId!: pulumi.Output<string>;
  primaryRegion!: pulumi.Output<string>;
  replicaRegion!: pulumi.Output<string>;
  keyArn!: pulumi.Output<string>;
  keyId!: pulumi.Output<string>;
  replicaKeyArn!: pulumi.Output<string>;
  roleArn!: pulumi.Output<string>;
  cerbyVaultId!: pulumi.Output<string>;

  constructor(
    private readonly resourceName: string,
    private readonly args: AdoptedAwsIntegrationArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    // The same type as the integration that creates: one stack has one or the other.
    super("cerby:aws:KmsIntegration", resourceName, {}, opts);
    const allowedAccountIds = args.aws.accountId ? [args.aws.accountId] : undefined;
    this.providers = {
      primary: new Provider(`${resourceName}-primary-region`, { region: args.aws.primaryRegion, allowedAccountIds }, { parent: this }),
      replica: new Provider(`${resourceName}-replica-region`, { region: args.aws.replicaRegion, allowedAccountIds }, { parent: this }),
    };
  }

  declare(existing: ExistingAws): void {
    const { aws, cerby } = this.args;
    const name = this.resourceName;
    const ids = awsImportIds(existing);
    // Tags cannot be read before importing, and the deletion window is not part of a key's state.
    const keyOptions = { parent: this, protect: true, retainOnDelete: true, ignoreChanges: ["tags", "deletionWindowInDays"] };
    const key = new kms.Key(
      `${name}-key`,
      { description: existing.key.description, customerMasterKeySpec: existing.key.keySpec, keyUsage: existing.key.keyUsage, multiRegion: true },
      { ...keyOptions, provider: this.providers.primary, import: ids.key },
    );
    const replica = new kms.ReplicaKey(
      `${name}-replica`,
      existing.replica
        ? { primaryKeyArn: key.arn, description: existing.replica.description }
        : { primaryKeyArn: key.arn, description: existing.key.description, deletionWindowInDays: aws.kmsDeletionWindowDays, tags: { ...aws.tags, ...KMS_KEY_MARKER_TAG } },
      { ...keyOptions, provider: this.providers.replica, ...(ids.replica ? { import: ids.replica } : { ignoreChanges: [] }) },
    );
    const guard = new KeyContinuityGuard(
      `${name}-key-continuity`,
      { cloud: "aws", identity: { keyId: key.keyId, keyArn: key.arn, replicaKeyArn: replica.arn } },
      { parent: this },
    );
    const role = new iam.Role(`${name}-role`, existing.role.inputs as unknown as iam.RoleArgs, {
      parent: this,
      provider: this.providers.primary,
      protect: true,
      retainOnDelete: true,
      import: ids.role,
    });
    // Cerby's four actions on exactly both keys; one of this name made by hand is taken over as it is.
    const adoptsPolicy = existing.role.inlinePolicyNames.includes(CERBY_POLICY_NAME);
    const policy = new iam.RolePolicy(
      `${name}-role-kms`,
      {
        role: role.name,
        name: CERBY_POLICY_NAME,
        policy: pulumi.all([guard.pinned("keyArn"), guard.pinned("replicaKeyArn")]).apply((arns) => JSON.stringify(cerbyKeyAccessPolicy(arns))),
      },
      { parent: this, provider: this.providers.primary, ...(adoptsPolicy ? { import: `${existing.role.name}:${CERBY_POLICY_NAME}`, ignoreChanges: ["policy"] } : {}) },
    );

    this.accountId = getCallerIdentityOutput({}, { parent: this, provider: this.providers.primary }).accountId;
    const vault = new CerbyVault(
      `${name}-vault`,
      {
        workspace: cerby.workspace,
        apiUrl: cerby.apiUrl,
        registration: cerby.registration,
        registrationWaitMinutes: cerby.registrationWaitMinutes,
        name: aws.cerbyVaultName,
        scheme: "kms_byo",
        setAsDefault: aws.cerbyVaultSetAsDefault,
        onDelete: aws.cerbyVaultOnDelete,
        kmsByo: { awsAccountId: this.accountId, kmsKeyId: guard.pinned("keyId"), roleArn: role.arn },
      },
      { parent: this, dependsOn: [key, replica, role, policy, guard] },
    );

    this.primaryRegion = pulumi.output(aws.primaryRegion);
    this.replicaRegion = pulumi.output(aws.replicaRegion);
    this.keyArn = guard.pinned("keyArn");
    this.keyId = guard.pinned("keyId");
    this.replicaKeyArn = guard.pinned("replicaKeyArn");
    this.roleArn = role.arn;
    this.cerbyVaultId = vault.vaultId;
    this.registerOutputs({ keyArn: this.keyArn, keyId: this.keyId, replicaKeyArn: this.replicaKeyArn, roleArn: this.roleArn, cerbyVaultId: this.cerbyVaultId });
  }
}

/** Reads what exists, refuses what Cerby cannot use, warns once per difference, then declares. */
export async function adoptAws(
  name: string,
  args: { aws: AwsConfig; cerby: CerbyConfig },
  log: (message: string) => void = (message) => void pulumi.log.warn(message),
): Promise<AdoptedAwsIntegration> {
  const { adopt } = args.aws;
  if (!adopt) {
    throw new Error("adoptAws needs adoptExisting, which the config module sets with existingKmsKeyId.");
  }
  const aws = { ...args.aws, adopt };
  const integration = new AdoptedAwsIntegration(name, { aws, cerby: args.cerby });
  const existing = await discoverExistingAws(aws, integration.providers);
  const refusals = awsRefusals(existing, aws);
  if (refusals.length > 0) {
    throw new AdoptionRefused(`Cannot adopt this setup for Cerby (adoptExisting):\n${refusals.map((reason) => `  - ${reason}`).join("\n")}`);
  }
  awsDifferences(existing, aws).forEach(log);
  integration.declare(existing);
  return integration;
}
