import * as pulumi from "@pulumi/pulumi";
import { BundledProvider, bundleProvider } from "../bundledProvider";
import type { VaultScheme } from "./contract";
import type { OnDelete } from "./provider";
import { DEFAULT_REGISTRATION_MODE, type RegistrationMode } from "./registration";
import type { PendingRotation } from "./rotation";

/** The five values Cerby's "Azure External Keys" strategy asks for. */
export interface CerbyAkvSettings {
  /** Application (client) ID of the Entra application Cerby signs in as. */
  clientId: pulumi.Input<string>;
  /** Entra tenant ID. */
  tenantId: pulumi.Input<string>;
  /**
   * The application's client secret; kept secret everywhere. Absent only for a setup adopted
   * without it: the preflight is then skipped, and an unregistered vault cannot be registered.
   */
  clientSecret?: pulumi.Input<string>;
  /** Key Vault URL, e.g. https://kv-name.vault.azure.net/. */
  vaultUrl: pulumi.Input<string>;
  /** Name of the RSA-4096 key in that vault. */
  keyName: pulumi.Input<string>;
}

/** The three values Cerby's "AWS KMS" strategy asks for. */
export interface CerbyKmsByoSettings {
  /** 12-digit account that owns the key and the role. */
  awsAccountId: pulumi.Input<string>;
  /** ID (mrk-…) of the multi-Region RSA_4096 key. */
  kmsKeyId: pulumi.Input<string>;
  /** ARN of the role Cerby assumes with the workspace ID as external ID. */
  roleArn: pulumi.Input<string>;
}

export interface CerbyVaultArgs {
  /** Cerby workspace subdomain: "acme" for https://acme.cerby.com. */
  workspace: pulumi.Input<string>;
  /**
   * Overrides https://{workspace}.cerby.com/api/v1: https://<name>.cerby.com[/api/v1], or http on
   * loopback for an emulator. Fixed once the vault exists (see apiBaseUrl).
   */
  apiUrl?: pulumi.Input<string>;
  /** The vault's name in Cerby; an existing vault of the scheme with this name is adopted. */
  name: pulumi.Input<string>;
  scheme: pulumi.Input<VaultScheme>;
  /** Make it the workspace's default vault. Default false. */
  setAsDefault?: pulumi.Input<boolean>;
  /** What deleting the resource does in Cerby: "retain" (default) leaves the vault, "disable" disables it (akv only). */
  onDelete?: pulumi.Input<OnDelete>;
  /**
   * How the vault gets into Cerby: "api" (POST/PATCH), "guided" (never writes: prints what a person
   * enters in the Cerby app, then finds the vault by name) or "auto" (default: api, guided when
   * Cerby has no create endpoint).
   */
  registration?: pulumi.Input<RegistrationMode>;
  /** Guided: minutes (0–60, default 0) to wait for the person instead of failing with the instructions. */
  registrationWaitMinutes?: pulumi.Input<number>;
  /** Settings of scheme akv; clientSecret is kept secret in inputs, outputs and state. */
  akv?: pulumi.Input<CerbyAkvSettings>;
  /** Settings of scheme kms_byo. */
  kmsByo?: pulumi.Input<CerbyKmsByoSettings>;
  /**
   * akv: which secret akv.clientSecret is, and how a person confirms a rotation Cerby's API did not
   * take (guided, or auto without PATCH): until confirmed, the state keeps the previous secret.
   */
  clientSecretRotation?: pulumi.Input<CerbyClientSecretRotation>;
}

/** The client secret's identity and the person's confirmation (components/cerby/rotation.ts). */
export interface CerbyClientSecretRotation {
  /** clientSecretStartDate of the secret in akv.clientSecret. */
  startDate: pulumi.Input<string>;
  /** Its Entra key ID. */
  keyId: pulumi.Input<string>;
  /** cerbyClientSecretConfirmedStartDate: the start date of the secret a person confirms Cerby holds. */
  confirmedStartDate?: pulumi.Input<string | undefined>;
  /** Whether the stack exports the secret as the output clientSecret (which command the instruction gives). */
  exported: pulumi.Input<boolean>;
}

/**
 * Marks the client secret secret. A plain object keeps its other fields as they are (each may be
 * known while the secret is not, which lets preview check them); an Output or Promise can only be
 * made secret as a whole.
 */
function secretAkv(akv: CerbyVaultArgs["akv"]): pulumi.Input<CerbyAkvSettings> | undefined {
  if (akv === undefined || pulumi.Output.isInstance(akv) || akv instanceof Promise) {
    return akv === undefined ? undefined : pulumi.secret(akv);
  }
  return akv.clientSecret === undefined ? akv : { ...akv, clientSecret: pulumi.secret(akv.clientSecret) };
}

/**
 * CerbyVaultProvider (provider.ts), shipped as its bundled source so that serializing it stays cheap
 * (see BundledProvider). One instance for every vault: the SDK serializes a provider once per instance.
 */
const provider = new BundledProvider(bundleProvider(require.resolve("./provider"), "CerbyVaultProvider"));

/**
 * A vault registered in Cerby (Settings → Vaults), managed by CerbyVaultProvider. The Cerby API
 * key is not an input: the provider reads it from the stack secret cerbyApiKey or CERBY_API_KEY.
 * Protected by default, since removing it from the stack is never routine.
 * Its type token is `pulumi-nodejs:dynamic/cerby:Vault` (dynamic resources live in that package).
 */
export class CerbyVault extends pulumi.dynamic.Resource {
  /** Cerby's ID of the vault. */
  declare readonly vaultId: pulumi.Output<string>;
  /** The vault's name as Cerby last reported it. */
  declare readonly name: pulumi.Output<string>;
  declare readonly scheme: pulumi.Output<VaultScheme>;
  /** "enabled" or "disabled", as Cerby last reported it. */
  declare readonly state: pulumi.Output<string>;
  /** Whether Cerby last reported it as the workspace's default vault. */
  declare readonly isDefault: pulumi.Output<boolean>;
  declare readonly setAsDefault: pulumi.Output<boolean>;
  declare readonly onDelete: pulumi.Output<OnDelete>;
  declare readonly registration: pulumi.Output<RegistrationMode>;
  declare readonly registrationWaitMinutes: pulumi.Output<number>;
  declare readonly workspace: pulumi.Output<string>;
  declare readonly apiUrl: pulumi.Output<string | undefined>;
  /** The API base URL recorded at create; read, update and delete use it alone. */
  declare readonly apiBaseUrl: pulumi.Output<string>;
  /** Cerby's workspace ID (a UUID). */
  declare readonly workspaceId: pulumi.Output<string | undefined>;
  declare readonly createdAt: pulumi.Output<string | undefined>;
  declare readonly updatedAt: pulumi.Output<string | undefined>;
  /** Secret as a whole: it holds the client secret. */
  declare readonly akv: pulumi.Output<pulumi.Unwrap<CerbyAkvSettings> | undefined>;
  declare readonly kmsByo: pulumi.Output<pulumi.Unwrap<CerbyKmsByoSettings> | undefined>;
  /** akv: false while a rotated client secret is not confirmed to be in Cerby (npm run verify fails then). */
  declare readonly clientSecretConfirmed: pulumi.Output<boolean | undefined>;
  /** The rotated secret (start date, key ID) awaiting confirmation, if any. */
  declare readonly clientSecretPending: pulumi.Output<PendingRotation | undefined>;

  constructor(name: string, args: CerbyVaultArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        workspace: args.workspace,
        apiUrl: args.apiUrl,
        name: args.name,
        scheme: args.scheme,
        setAsDefault: args.setAsDefault ?? false,
        onDelete: args.onDelete ?? "retain",
        registration: args.registration ?? DEFAULT_REGISTRATION_MODE,
        registrationWaitMinutes: args.registrationWaitMinutes ?? 0,
        akv: secretAkv(args.akv),
        kmsByo: args.kmsByo,
        clientSecretRotation: args.clientSecretRotation,
        apiBaseUrl: undefined,
        vaultId: undefined,
        state: undefined,
        isDefault: undefined,
        workspaceId: undefined,
        createdAt: undefined,
        updatedAt: undefined,
        clientSecretConfirmed: undefined,
        clientSecretPending: undefined,
      },
      {
        protect: true,
        ...opts,
        additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "akv"],
      },
      "cerby",
      "Vault",
    );
  }
}
