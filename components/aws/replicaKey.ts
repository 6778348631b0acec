import * as pulumi from "@pulumi/pulumi";
import type { Provider } from "@pulumi/aws/provider";
import * as kms from "@pulumi/aws/kms";
import { KMS_KEY_MARKER_TAG, keyAlias } from "./kmsKey";

export interface CerbyKmsReplicaKeyArgs {
  /** Provider of the replica Region; it must differ from the primary key's Region. */
  provider: Provider;
  /** ARN of the multi-Region primary key to replicate. */
  primaryKeyArn: pulumi.Input<string>;
  description: string;
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
  private readonly provider: Provider;
  private readonly resourceName: string;

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
        tags: { ...args.tags, ...KMS_KEY_MARKER_TAG },
      },
      { parent: this, provider: args.provider, protect: true, retainOnDelete: true },
    );

    this.provider = args.provider;
    this.resourceName = name;
    this.keyArn = replica.arn;
    this.keyId = replica.keyId;

    this.registerOutputs({ keyArn: this.keyArn, keyId: this.keyId });
  }

  /** The replica's alias in its Region, by the same name as the primary's (see CerbyKmsKey.alias). */
  alias(aliasName: string, targetKeyId: pulumi.Input<string>): kms.Alias {
    return keyAlias(this, `${this.resourceName}-alias`, this.provider, aliasName, targetKeyId);
  }
}
