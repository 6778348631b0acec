import * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/aws/provider";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import type { AwsConfig, CerbyConfig } from "../config";
import { CerbyVault } from "../cerby/vault";
import { KeyContinuityGuard } from "../keyContinuity";
import { CerbyKmsKey } from "./kmsKey";
import { CerbyKmsReplicaKey } from "./replicaKey";
import { CerbyAccessRole } from "./role";

export interface AwsKmsIntegrationArgs {
  /** The validated AWS part of the stack config. */
  aws: AwsConfig;
  /** The Cerby workspace the vault is registered in. */
  cerby: CerbyConfig;
}

/**
 * Everything Cerby's "AWS KMS" strategy needs: a multi-Region RSA_4096 key with a replica in the
 * disaster-recovery Region, an IAM role Cerby assumes with the workspace ID as external ID, and
 * the Cerby vault (scheme kms_byo) that points at them.
 */
export class AwsKmsIntegration extends pulumi.ComponentResource {
  readonly accountId: pulumi.Output<string>;
  readonly primaryRegion: pulumi.Output<string>;
  readonly replicaRegion: pulumi.Output<string>;
  readonly keyArn: pulumi.Output<string>;
  /** The mrk-… key ID Cerby is given; the replica has the same one. */
  readonly keyId: pulumi.Output<string>;
  readonly replicaKeyArn: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  readonly cerbyVaultId: pulumi.Output<string>;

  constructor(name: string, args: AwsKmsIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:aws:KmsIntegration", name, {}, opts);
    const config = args.aws;

    // Explicit providers pin each key to its configured Region, whatever AWS_REGION or the
    // deployer's profile says; allowedAccountIds stops a deployment into the wrong account.
    const allowedAccountIds = config.accountId ? [config.accountId] : undefined;
    const primaryProvider = new Provider(
      `${name}-primary-region`,
      { region: config.primaryRegion, allowedAccountIds },
      { parent: this },
    );
    const replicaProvider = new Provider(
      `${name}-replica-region`,
      { region: config.replicaRegion, allowedAccountIds },
      { parent: this },
    );

    const description =
      "Cerby external key (AWS KMS vault). Disabling, deleting or editing it loses every secret Cerby encrypted with it. " +
      "Managed by Pulumi (cerby-external-keys).";

    const key = new CerbyKmsKey(
      `${name}-key`,
      {
        provider: primaryProvider,
        description,
        deletionWindowInDays: config.kmsDeletionWindowDays,
        tags: config.tags,
      },
      { parent: this },
    );

    const replica = new CerbyKmsReplicaKey(
      `${name}-replica`,
      {
        provider: replicaProvider,
        primaryKeyArn: key.keyArn,
        description,
        deletionWindowInDays: config.kmsDeletionWindowDays,
        tags: config.tags,
      },
      { parent: this },
    );

    // Everything below that points at a key takes its ID from the guard: a state that lost a key
    // stops there, before an alias, the role's policy or the Cerby vault moves to a new key.
    const guard = new KeyContinuityGuard(
      `${name}-key-continuity`,
      { cloud: "aws", identity: { keyId: key.keyId, keyArn: key.keyArn, replicaKeyArn: replica.keyArn } },
      { parent: this },
    );
    const keyId = guard.pinned("keyId");
    const keyArn = guard.pinned("keyArn");
    const replicaKeyArn = guard.pinned("replicaKeyArn");
    key.alias(config.kmsKeyAlias, keyId);
    // A replica has its primary's key ID; taking it from the replica's ARN ties the alias to it.
    replica.alias(config.kmsKeyAlias, replicaKeyArn.apply((arn) => arn.slice(arn.lastIndexOf("/") + 1)));

    const role = new CerbyAccessRole(
      `${name}-role`,
      {
        provider: primaryProvider,
        roleName: config.roleName,
        cerbyPrincipalArn: config.cerbyPrincipalArn,
        cerbyWorkspaceId: config.cerbyWorkspaceId,
        keyArns: [keyArn, replicaKeyArn],
        tags: config.tags,
      },
      { parent: this },
    );

    this.accountId = getCallerIdentityOutput({}, { parent: this, provider: primaryProvider }).accountId;

    // Cerby is called only once the role can use both keys: the component dependencies take in
    // the inline policy and the replica, which the three values alone would not.
    const vault = new CerbyVault(
      `${name}-vault`,
      {
        workspace: args.cerby.workspace,
        apiUrl: args.cerby.apiUrl,
        registration: args.cerby.registration,
        registrationWaitMinutes: args.cerby.registrationWaitMinutes,
        name: config.cerbyVaultName,
        scheme: "kms_byo",
        setAsDefault: config.cerbyVaultSetAsDefault,
        onDelete: config.cerbyVaultOnDelete,
        kmsByo: { awsAccountId: this.accountId, kmsKeyId: keyId, roleArn: role.roleArn },
      },
      { parent: this, dependsOn: [key, replica, role, guard] },
    );

    this.primaryRegion = pulumi.output(config.primaryRegion);
    this.replicaRegion = pulumi.output(config.replicaRegion);
    this.keyArn = keyArn;
    this.keyId = keyId;
    this.replicaKeyArn = replicaKeyArn;
    this.roleArn = role.roleArn;
    this.cerbyVaultId = vault.vaultId;

    this.registerOutputs({
      accountId: this.accountId,
      primaryRegion: this.primaryRegion,
      replicaRegion: this.replicaRegion,
      keyArn: this.keyArn,
      keyId: this.keyId,
      replicaKeyArn: this.replicaKeyArn,
      roleArn: this.roleArn,
      cerbyVaultId: this.cerbyVaultId,
    });
  }
}
