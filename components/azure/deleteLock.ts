import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";

export interface VaultDeleteLockArgs {
  /** ARM ID of the Key Vault to lock. */
  vaultId: pulumi.Input<string>;
}

/**
 * A CanNotDelete management lock on the Key Vault. Azure also refuses to delete role assignments
 * under a locked scope, so the integration creates the lock after its role assignments (and a
 * destroy removes it before them). It is protected: removing it is a deliberate act.
 */
export class VaultDeleteLock extends pulumi.ComponentResource {
  readonly lockId: pulumi.Output<string>;

  constructor(name: string, args: VaultDeleteLockArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:azure:VaultDeleteLock", name, {}, opts);

    const lock = new authorization.ManagementLockByScope(
      name,
      {
        scope: args.vaultId,
        level: "CanNotDelete",
        lockName: "cerby-external-keys-do-not-delete",
        notes: "Deleting this vault loses every secret Cerby encrypted with its key. Managed by Pulumi (cerby-external-keys).",
      },
      { parent: this, protect: true },
    );

    this.lockId = lock.id;
    this.registerOutputs({ lockId: this.lockId });
  }
}
