import * as pulumi from "@pulumi/pulumi";
import type { Provider } from "@pulumi/aws/provider";
import * as kms from "@pulumi/aws/kms";

export interface CerbyKmsReplicaKeyArgs {
  /** Provider of the replica Region; it must differ from the primary key's Region. */
  provider: Provider;
  /** ARN of the multi-Region primary key to replicate. */
  primaryKeyArn: pulumi.Input<string>;
  description: string;
  /** Alias of the replica in its Region, so that it can be found there by the same name. */
  aliasName: string;
  /** Days AWS waits before deleting the replica once its deletion is scheduled (7–30). */
  deletionWindowInDays: number;
  tags: Record<string, string>;
}

/**
 * The replica of the primary key in the disaster-recovery Region: the same key material and key
 * ID, so Cerby can decrypt there if the primary Region is down. Protected and retained on delete,
 * like the primary: losing both loses every secret Cerby encrypted.
 */
export class CerbyKmsReplicaKey extends pulumi.ComponentResource {
  readonly keyArn: pulumi.Output<string>;
  readonly keyId: pulumi.Output<string>;
  readonly aliasName: pulumi.Output<string>;

  constructor(name: string, args: CerbyKmsReplicaKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:aws:KmsReplicaKey", name, {}, opts);

    // A replica inherits key spec, usage and material from its primary; its key policy, like the
    // primary's, stays the default.
    const replica = new kms.ReplicaKey(
      name,
      {
        primaryKeyArn: args.primaryKeyArn,
        description: args.description,
        deletionWindowInDays: args.deletionWindowInDays,
        tags: args.tags,
      },
      { parent: this, provider: args.provider, protect: true, retainOnDelete: true },
    );

    const alias = new kms.Alias(
      `${name}-alias`,
      { name: args.aliasName, targetKeyId: replica.keyId },
      { parent: this, provider: args.provider },
    );

    this.keyArn = replica.arn;
    this.keyId = replica.keyId;
    this.aliasName = alias.name;

    this.registerOutputs({ keyArn: this.keyArn, keyId: this.keyId, aliasName: this.aliasName });
  }
}
