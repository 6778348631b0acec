import * as pulumi from "@pulumi/pulumi";
import { BundledProvider, bundleProvider } from "../bundledProvider";
import type { PreflightSettings } from "../project";

export interface AzureKeyPreflightArgs {
  /** Entra tenant ID: the same value the CerbyVault sends Cerby. */
  tenantId: pulumi.Input<string>;
  /** Application (client) ID Cerby signs in as. */
  clientId: pulumi.Input<string>;
  /** The client secret proved; kept secret in inputs, outputs and state. */
  clientSecret: pulumi.Input<string>;
  /** Key Vault URL, e.g. https://kv-name.vault.azure.net/. */
  vaultUrl: pulumi.Input<string>;
  /** Name of the RSA-4096 key in that vault. */
  keyName: pulumi.Input<string>;
  /** How long propagation-type failures are retried (config cerbyPreflightTimeoutMinutes). */
  timeoutMs: pulumi.Input<number>;
}

/** AzureKeyPreflightProvider (preflightProvider.ts), shipped as its bundle; one instance, serialized once. */
const provider = new BundledProvider(bundleProvider(require.resolve("./preflightProvider"), "AzureKeyPreflightProvider"));

/**
 * Proves, as Cerby's service principal, that the key wraps, unwraps, encrypts and decrypts
 * (preflight.ts), on create and whenever the client secret, key, vault, tenant or application
 * changes. The CerbyVault depends on it and is given the same values, so Cerby never receives a
 * key or client secret that was not proved first: the engine skips the dependents of a failed step.
 */
export class AzureKeyPreflight extends pulumi.dynamic.Resource {
  declare readonly tenantId: pulumi.Output<string>;
  declare readonly clientId: pulumi.Output<string>;
  declare readonly clientSecret: pulumi.Output<string>;
  declare readonly vaultUrl: pulumi.Output<string>;
  declare readonly keyName: pulumi.Output<string>;

  constructor(name: string, args: AzureKeyPreflightArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, clientSecret: pulumi.secret(args.clientSecret) },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "clientSecret"] },
      "azure",
      "KeyPreflight",
    );
  }
}

/** The values a CerbyVault sends for scheme akv; clientSecret is absent for a setup adopted without it. */
export type AkvTarget = Omit<AzureKeyPreflightArgs, "timeoutMs" | "clientSecret"> & { clientSecret?: pulumi.Input<string> };

/**
 * What a CerbyVault of `target` sends and depends on. With a preflight, the values are the
 * preflight's outputs, not `target`: a run that skips the preflight (`pulumi up --target` the vault
 * alone) gets its last proved values back, so the vault never sends a secret it did not prove. None
 * when cerbyPreflight is false, or when an adopted setup holds no client secret (said here, once
 * per run, as there is nothing to prove with).
 */
export function keyPreflights(
  name: string,
  target: AkvTarget,
  settings: PreflightSettings,
  keyName: string,
  opts: pulumi.CustomResourceOptions,
): { akv: AkvTarget; dependsOn: AzureKeyPreflight[] } {
  if (!settings.enabled) {
    return { akv: target, dependsOn: [] };
  }
  const { clientSecret } = target;
  if (clientSecret === undefined) {
    void pulumi.log.info(
      `Skipped the preflight of Azure key "${keyName}": this stack adopted a setup made by hand and holds no client secret ` +
        "(Cerby's cannot be read back). Set it with `pulumi config set --secret existingClientSecret` to have access proved.",
    );
    return { akv: target, dependsOn: [] };
  }
  const preflight = new AzureKeyPreflight(name, { ...target, clientSecret, timeoutMs: settings.timeoutMs }, opts);
  const { tenantId, clientId, vaultUrl } = preflight;
  return { akv: { tenantId, clientId, clientSecret: preflight.clientSecret, vaultUrl, keyName: preflight.keyName }, dependsOn: [preflight] };
}
