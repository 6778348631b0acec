import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import { KEY_SIZE, type KeyType } from "../config";

/** What Cerby does with the key: wrap and unwrap data keys, encrypt and decrypt. */
export const KEY_OPERATIONS = ["wrapKey", "unwrapKey", "encrypt", "decrypt"] as const;

export interface CerbyKeyArgs {
  /** Resource group of the vault. */
  resourceGroupName: pulumi.Input<string>;
  /** The vault that holds the key. */
  vaultName: pulumi.Input<string>;
  /** Key name. Changing it replaces the key, which protect refuses: see docs/operations.md, "Changes that replace the key or the vault". */
  keyName: string;
  /** RSA, or RSA-HSM on a premium vault. Changing it replaces the key. */
  keyType: KeyType;
  /** Tags set when the key is created; Azure cannot change them later through ARM. */
  tags: Record<string, string>;
}

/**
 * The RSA-4096 key Cerby encrypts with. Protected and retained on delete: replacing or deleting
 * it permanently loses every account and secret Cerby encrypted with it, and Cerby cannot tell.
 */
export class CerbyKey extends pulumi.ComponentResource {
  readonly keyName: pulumi.Output<string>;
  /** ARM resource ID, the scope of a key-level role assignment. */
  readonly keyResourceId: pulumi.Output<string>;
  /** Versionless key URI, e.g. https://vault.vault.azure.net/keys/name. */
  readonly keyUri: pulumi.Output<string>;
  readonly keyUriWithVersion: pulumi.Output<string>;

  constructor(name: string, args: CerbyKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:azure:Key", name, {}, opts);

    const key = new keyvault.Key(
      name,
      {
        keyName: args.keyName,
        resourceGroupName: args.resourceGroupName,
        vaultName: args.vaultName,
        tags: args.tags,
        properties: {
          kty: args.keyType,
          keySize: KEY_SIZE,
          keyOps: [...KEY_OPERATIONS],
          attributes: { enabled: true },
        },
      },
      // Azure creates a key's first version through ARM but never updates it there, so a later
      // tag change would be ignored and show as a change forever; the key keeps its first tags.
      { parent: this, protect: true, retainOnDelete: true, ignoreChanges: ["tags"] },
    );

    this.keyName = key.name;
    this.keyResourceId = key.id;
    this.keyUri = key.keyUri;
    this.keyUriWithVersion = key.keyUriWithVersion;

    this.registerOutputs({
      keyName: this.keyName,
      keyResourceId: this.keyResourceId,
      keyUri: this.keyUri,
      keyUriWithVersion: this.keyUriWithVersion,
    });
  }
}
