import * as pulumi from "@pulumi/pulumi";
import { BundledProvider, bundleProvider } from "../bundledProvider";

export interface DataPlaneReadinessArgs {
  /** The role assignment waited for (its resource ID); a new one waits again. */
  trigger: pulumi.Input<string>;
  /** The vault probed as the deploying identity, e.g. https://kv-name.vault.azure.net/. */
  vaultUrl: pulumi.Input<string>;
  /** The key read to probe; it need not exist yet. */
  keyName: pulumi.Input<string>;
  /** How long to poll before failing with what to do (config rolePropagationTimeoutMinutes). */
  timeoutSeconds: pulumi.Input<number>;
  /** The fixed wait used when the probe cannot sign in as the deployer (config rolePropagationWaitSeconds, 0–900). */
  fallbackSeconds: pulumi.Input<number>;
}

/** DataPlaneReadinessProvider, shipped as its bundle; one instance, serialized once. */
const provider = new BundledProvider(bundleProvider(require.resolve("./readinessProvider"), "DataPlaneReadinessProvider"));

/**
 * Waits, on create only (a first run, or a new role assignment), until the deploying identity can
 * use the vault's data plane: Key Vault answers a key read with 200 or 404 rather than 403. Later
 * runs see no change and do not wait. Replaces the fixed PropagationDelay, whose state it adopts.
 */
export class DataPlaneReadiness extends pulumi.dynamic.Resource {
  declare readonly trigger: pulumi.Output<string>;
  declare readonly vaultUrl: pulumi.Output<string>;

  constructor(name: string, args: DataPlaneReadinessArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { trigger: args.trigger, vaultUrl: args.vaultUrl, keyName: args.keyName, timeoutSeconds: args.timeoutSeconds, fallbackSeconds: args.fallbackSeconds },
      { ...opts, aliases: [...(opts?.aliases ?? []), { type: "pulumi-nodejs:dynamic/azure:PropagationDelay" }] },
      "azure",
      "DataPlaneReadiness",
    );
  }
}
