import * as pulumi from "@pulumi/pulumi";
import type { Provider } from "@pulumi/aws/provider";
import * as kms from "@pulumi/aws/kms";

/** The only key spec Cerby's AWS KMS strategy works with. */
export const KMS_KEY_SPEC = "RSA_4096";
/** Cerby encrypts and decrypts with the key; it never signs. */
export const KMS_KEY_USAGE = "ENCRYPT_DECRYPT";

/**
 * A tag every Cerby key (primary and replica) carries, whatever the stack's `tags`: the deployer
 * policy (docs/aws-deployer-policy.json) grants key management only on keys that carry it.
 */
export const KMS_KEY_MARKER_TAG = { "cerby-external-keys": "cerby-key" } as const;

export interface CerbyKmsKeyArgs {
  /** Provider of the primary Region; the key lives where it points. */
  provider: Provider;
  /** Shown in the AWS console, so that nobody disables the key without knowing what it is for. */
  description: string;
  /** Days AWS waits before deleting the key once its deletion is scheduled (7–30). */
  deletionWindowInDays: number;
  tags: Record<string, string>;
}

/**
 * The multi-Region primary key Cerby encrypts with. Protected and retained on delete: replacing,
 * deleting or disabling it permanently loses every account and secret Cerby encrypted with it,
 * and Cerby cannot tell.
 */
export class CerbyKmsKey extends pulumi.ComponentResource {
  readonly keyArn: pulumi.Output<string>;
  /** The mrk-… ID Cerby asks for; the replica shares it. */
  readonly keyId: pulumi.Output<string>;
  private readonly provider: Provider;
  private readonly resourceName: string;

  constructor(name: string, args: CerbyKmsKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:aws:KmsKey", name, {}, opts);

    // No `policy`: Cerby requires the default key policy, which lets IAM policies in this account
    // grant use of the key; the Cerby role's inline policy relies on it. No `enableKeyRotation`:
    // KMS does not rotate asymmetric keys. The origin is AWS_KMS because kms.Key always has
    // KMS generate the key material (imported material would be aws.kms.ExternalKey).
    const key = new kms.Key(
      name,
      {
        description: args.description,
        customerMasterKeySpec: KMS_KEY_SPEC,
        keyUsage: KMS_KEY_USAGE,
        multiRegion: true,
        deletionWindowInDays: args.deletionWindowInDays,
        tags: { ...args.tags, ...KMS_KEY_MARKER_TAG },
      },
      { parent: this, provider: args.provider, protect: true, retainOnDelete: true },
    );

    this.provider = args.provider;
    this.resourceName = name;
    this.keyArn = key.arn;
    this.keyId = key.keyId;

    this.registerOutputs({ keyArn: this.keyArn, keyId: this.keyId });
  }

  /**
   * The key's alias in its Region, made by the integration once the key continuity guard passes
   * on the key ID. It stays this component's child, so its URN is the one it always had.
   */
  alias(aliasName: string, targetKeyId: pulumi.Input<string>): kms.Alias {
    return keyAlias(this, `${this.resourceName}-alias`, this.provider, aliasName, targetKeyId);
  }
}

/** An alias of a Cerby key (primary or replica), a child of the key's component. */
export function keyAlias(
  parent: pulumi.ComponentResource,
  name: string,
  provider: Provider,
  aliasName: string,
  targetKeyId: pulumi.Input<string>,
): kms.Alias {
  return new kms.Alias(name, { name: aliasName, targetKeyId }, { parent, provider });
}
