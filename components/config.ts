import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_REGISTRATION_MODE, MAX_WAIT_MINUTES as MAX_REGISTRATION_WAIT_MINUTES, REGISTRATION_MODES, type RegistrationMode } from "./cerby/registration";
import {
  awsPartition,
  checkCerbyApiUrl,
  checkCerbyApiUrlWorkspace,
  checkAwsAccountId,
  checkAwsRegion,
  checkCerbyVaultName,
  checkCerbyWorkspaceId,
  checkDnsLabel,
  checkGuid,
  checkIamRoleArn,
  checkIamRoleName,
  checkIpRange,
  checkKmsKeyId,
  checkIsoDate,
  checkKeyName,
  checkKeyVaultName,
  checkKmsAliasName,
  checkLogAnalyticsWorkspaceId,
  checkAlertEmail,
  checkWebhookUrl,
  checkNotPlaceholder,
  checkResourceGroupName,
  ECHO_LIMIT,
  echoValue,
  nearestName,
  normalizeCerbyApiUrl,
  workspaceApiUrl,
} from "./validation";
import { changeable, refused, type ChangeEffect, type ConfigGroup } from "./configChange";
import { DEFAULT_PREFLIGHT_TIMEOUT_MINUTES, KEY_SIZE, PROJECT, type PreflightSettings } from "./project";

export { KEY_SIZE, PROJECT } from "./project";

/** Built-in Azure role definitions the program may assign (GUIDs as Azure publishes them), least privilege first. */
export const KEY_VAULT_ROLES = {
  "crypto-user": { displayName: "Key Vault Crypto User", id: "12338af0-0e69-4776-bea7-57ae8d297424" },
  "crypto-officer": { displayName: "Key Vault Crypto Officer", id: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603" },
  administrator: { displayName: "Key Vault Administrator", id: "00482a5a-887f-4fb3-b363-3b7fe8e74483" },
} as const;

export type KeyVaultRole = keyof typeof KEY_VAULT_ROLES;
/**
 * The service principal's role: a built-in one, or `minimal`, a role this stack defines with only
 * the data actions Cerby uses (components/azure/roleDefinition.ts).
 */
export type ServicePrincipalRole = KeyVaultRole | "minimal";
export const SERVICE_PRINCIPAL_ROLES: readonly ServicePrincipalRole[] = ["crypto-user", "minimal", "crypto-officer", "administrator"];
/** The deployer's grant: `custom`, a role this stack defines to create and read the key, or the built-in Crypto Officer. */
export type DeployerRole = "custom" | "crypto-officer";
export type RoleScope = "key" | "vault";
export type KeyVaultSku = "standard" | "premium";
export type KeyType = "RSA" | "RSA-HSM";
export type NetworkDefaultAction = "Allow" | "Deny";
export type CerbyOnDelete = "retain" | "disable";
export type DeployerPrincipalType = "auto" | "User" | "ServicePrincipal" | "Group";

/**
 * This project's defaults that adoption leaves off on the first run (keeping what exists), each
 * applied once named in adoptApplyDefaults: purge protection on, the delete lock, the network
 * rules and tags from config, and Cerby's role as servicePrincipalRole at roleScope.
 */
export const ADOPT_DEFAULTS = ["purgeProtection", "deleteLock", "network", "tags", "role"] as const;
export type AdoptDefault = (typeof ADOPT_DEFAULTS)[number];

/** What an Azure stack adopts (adoptExisting): the names of what exists; the rest is read from Azure. */
export interface AzureAdoption {
  applicationClientId: string;
  /** ARM ID of the service principal's role assignment made by hand; undefined: one is created. */
  roleAssignmentId?: string;
  applyDefaults: AdoptDefault[];
}

/** What an AWS stack adopts (adoptExisting): the primary key and the role; the replica is found from the key. */
export interface AwsAdoption {
  /** The key ID or ARN as configured. */
  kmsKeyId: string;
  roleName: string;
}

export interface CerbyConfig {
  /** The workspace subdomain: "acme" for https://acme.cerby.com. */
  workspace: string;
  /** Overrides https://{workspace}.cerby.com/api/v1, e.g. for an emulator on loopback. */
  apiUrl?: string;
  registration: RegistrationMode;
  /** 0: a guided create fails with the instructions; more: it waits that long for the vault to appear. */
  registrationWaitMinutes: number;
}

export interface AzureConfig {
  tenantId?: string;
  subscriptionId?: string;
  location: string;
  resourceGroupName: string;
  createResourceGroup: boolean;
  /** Undefined means: generate a stable name (a random suffix kept in state). */
  keyVaultName?: string;
  keyVaultSku: KeyVaultSku;
  softDeleteRetentionDays: number;
  purgeProtection: boolean;
  deleteLock: boolean;
  networkDefaultAction: NetworkDefaultAction;
  networkAllowedIpRanges: string[];
  keyName: string;
  keyType: KeyType;
  keySize: typeof KEY_SIZE;
  applicationName: string;
  servicePrincipalRole: ServicePrincipalRole;
  roleScope: RoleScope;
  clientSecretStartDate: string;
  clientSecretLifetimeDays: number;
  /** Whether the stack exports the client secret (see exportsClientSecret in cerby/rotation.ts). */
  exportClientSecret: boolean;
  /** The start date of the secret a person confirms Cerby holds, after a guided rotation (cerby/rotation.ts). */
  cerbyClientSecretConfirmedStartDate?: string;
  grantDeployerAccess: boolean;
  deployerRole: DeployerRole;
  /** Who holds the deployer grant; undefined means whoever runs `pulumi up`. */
  deployerObjectId?: string;
  deployerPrincipalType: DeployerPrincipalType;
  rolePropagationWaitSeconds: number;
  rolePropagationTimeoutMinutes: number;
  cerbyVaultName: string;
  cerbyVaultSetAsDefault: boolean;
  cerbyVaultOnDelete: CerbyOnDelete;
  /** The Azure key preflight, declared as its own resource before the CerbyVault. */
  preflight: PreflightSettings;
  tags: Record<string, string>;
  /** Set when adoptExisting is true: what exists, to import instead of create (docs/operations.md, "Adopting a setup made by hand"). */
  adopt?: AzureAdoption;
}

/** Cerby's AWS principal, which assumes the customer's role (from Cerby's AWS KMS help article). */
export const CERBY_AWS_PRINCIPAL_ARN = "arn:aws:iam::749452252575:role/production-kms-byo-key-access-role";

/** The Regions Cerby's disaster-recovery setup expects for the key and its replica. */
export const AWS_DR_REGIONS = { primary: "us-east-2", replica: "us-west-2" } as const;

export interface AwsConfig {
  /** Cerby's workspace ID (a UUID): the sts:ExternalId Cerby presents when it assumes the role. */
  cerbyWorkspaceId: string;
  /** When set, the AWS providers refuse credentials of any other account. */
  accountId?: string;
  primaryRegion: string;
  replicaRegion: string;
  cerbyPrincipalArn: string;
  kmsKeyAlias: string;
  kmsDeletionWindowDays: number;
  roleName: string;
  cerbyVaultName: string;
  cerbyVaultSetAsDefault: boolean;
  /** Cerby cannot disable an AWS KMS vault, so pulumi destroy can only leave it in place. */
  cerbyVaultOnDelete: "retain";
  tags: Record<string, string>;
  /** Set when adoptExisting is true: the key and role to import instead of create (docs/operations.md, "Adopting a setup made by hand"). */
  adopt?: AwsAdoption;
}

/** The audit trail and the tamper alerts, for whichever integrations are enabled. */
export interface AlertsConfig {
  /** Azure: the vault's diagnostic setting (AuditEvent logs and AllMetrics) to Log Analytics. */
  auditLogs: boolean;
  /** An existing Log Analytics workspace (ARM ID); undefined means the stack creates one. */
  logAnalyticsWorkspaceId?: string;
  /** Retention of the workspace the stack creates. */
  logRetentionDays: number;
  /** Azure activity-log (and, with auditLogs, log search) alerts; AWS EventBridge rules to SNS. */
  tamperAlerts: boolean;
  /** Azure: Key Vault's Event Grid events for the key (near expiry, expired, new version). */
  keyEvents: boolean;
  /** Who is told: the action group's and the SNS topics' email receivers. */
  emails: string[];
  /** A webhook receiver of the Azure action group; a secret, since such URLs carry tokens. */
  webhookUrl?: pulumi.Output<string>;
}

export interface StackConfig {
  cerby: CerbyConfig;
  alerts: AlertsConfig;
  /** Undefined when `azureEnabled` is false. */
  azure?: AzureConfig;
  /** Undefined when `awsEnabled` is false. */
  aws?: AwsConfig;
}

type ConfigType = "string" | "integer" | "boolean" | "array" | "object";

/** One config key: its type, default and description, as Pulumi.yaml and docs/configuration.md give them. */
export interface ConfigKeySpec {
  type: ConfigType;
  description: string;
  default?: string | number | boolean | string[] | Record<string, string>;
  /** No default: every stack must set it. False marks a secret that may be left unset. */
  required?: boolean;
  secret?: boolean;
  /**
   * A secret most stacks leave unset. Pulumi.yaml leaves it out: the Pulumi CLI stops `pulumi up`
   * until every key it declares without a default is set, and a secret can have no default there.
   */
  optionalSecret?: boolean;
  /** The values it takes (each item's, for an array), where they are a fixed list; tests/configuration-doc.test.ts checks the config check agrees. */
  allowed?: readonly (string | number)[];
  /** Where docs/configuration.md lists it. */
  group: ConfigGroup;
  /** Required only in these settings (e.g. `{ awsEnabled: true }`): docs/configuration.md lists it as required, with them. */
  requiredWhen?: Record<string, boolean>;
  /** Whether it can change after the first deploy; tests/config-changes.test.ts checks it against the program. */
  change: ChangeEffect;
}

/**
 * Every key this project reads. Pulumi.yaml declares the same keys with the same defaults (a test
 * keeps the two in step), so `pulumi up` and the mock runtime see identical values.
 */
export const CONFIG_KEYS: Record<string, ConfigKeySpec> = {
  azureEnabled: {
    type: "boolean",
    group: "general",
    change: refused(["protect"], ["resource group", "key vault", "key", "key guard", "Entra application", "service principal", "client secret", "role assignment for Cerby", "deployer grant", "delete lock", "Cerby vault"], "false would remove the Azure integration; true later is fine"),
    default: true, description: "Create the Azure Key Vault integration.",
  },
  awsEnabled: {
    type: "boolean",
    group: "general",
    change: refused(["protect"], ["KMS key", "KMS replica", "KMS aliases", "IAM role", "key guard", "Cerby vault"], "false would remove the AWS integration; true later is fine"),
    default: false, description: "Create the AWS KMS integration.",
  },
  cerbyWorkspace: {
    type: "string",
    group: "cerby",
    change: refused(["cerby"], [], "Cerby cannot move a vault to another workspace"),
    required: true,
    description: 'Cerby workspace subdomain: "acme" for https://acme.cerby.com.',
  },
  cerbyApiUrl: {
    type: "string",
    group: "cerby",
    change: refused(["cerby"], [], "each Cerby vault keeps the API URL it was created at"),
    default: "",
    description:
      "The Cerby API base URL, instead of https://<cerbyWorkspace>.cerby.com/api/v1: only https://<name>.cerby.com[/api/v1], or http:// on a loopback address for an emulator. Recorded in each Cerby vault's state when it is created; changing it later is refused.",
  },
  cerbyApiKey: {
    type: "string",
    group: "cerby",
    change: changeable("read by the provider, never stored in state"),
    secret: true,
    description:
      'Cerby API key with the "Read vaults" scope (enough for guided registration); api registration also needs one to manage vaults. Read by the provider only, never stored in state.',
  },
  cerbyRegistration: {
    type: "string",
    group: "cerby",
    change: changeable(),
    allowed: REGISTRATION_MODES,
    default: DEFAULT_REGISTRATION_MODE,
    description:
      "How the vaults are registered in Cerby: api (POST/PATCH /vaults), guided (never writes to Cerby: prints what to enter in the Cerby app, then finds the vault by name), or auto (api, falling back to guided when Cerby has no create endpoint).",
  },
  cerbyRegistrationWaitMinutes: {
    type: "integer",
    group: "cerby",
    change: changeable(),
    default: 0,
    description: `With guided registration, how long a create waits for a person to register the vault in Cerby (0–${MAX_REGISTRATION_WAIT_MINUTES} minutes); 0 fails with the instructions, and the next pulumi up finds the vault.`,
  },
  cerbyPreflight: {
    type: "boolean",
    group: "cerby",
    change: changeable(),
    default: true,
    description:
      "Before the Azure vault is registered in Cerby or given a new client secret, prove as the service principal that the key wraps, unwraps, encrypts and decrypts. Set false where the deployer cannot reach the vault.",
  },
  cerbyPreflightTimeoutMinutes: {
    type: "integer",
    group: "cerby",
    change: changeable(),
    default: DEFAULT_PREFLIGHT_TIMEOUT_MINUTES,
    description: "How long the preflight retries while the service principal's role assignment propagates (1–60 minutes).",
  },
  azureTenantId: {
    type: "string",
    group: "azure",
    change: refused(["config"], [], "must be the tenant you are signed in to, which holds the application Cerby signs in as"),
    default: "",
    description: "Entra tenant ID (GUID). Defaults to the tenant of the signed-in identity.",
  },
  azureSubscriptionId: {
    type: "string",
    group: "azure",
    change: refused(["config"], [], "must be the subscription you are signed in to, which holds the vault"),
    default: "",
    description: "Subscription ID (GUID) that must match the signed-in subscription, as a safety check.",
  },
  azureLocation: {
    type: "string",
    group: "azure",
    change: refused(["protect"], ["resource group", "key vault"]),
    default: "eastus", description: "Azure region of the resource group and Key Vault.",
  },
  resourceGroupName: {
    type: "string",
    group: "azure",
    change: refused(["guard", "protect"], ["resource group", "key vault", "key", "delete lock", "role assignment for Cerby", "deployer grant"]),
    default: "rg-cerby-external-keys",
    description: "Resource group that holds the Key Vault.",
  },
  createResourceGroup: {
    type: "boolean",
    group: "azure",
    change: refused(["protect"], ["resource group"], "true to false would remove the group from the stack"),
    default: true,
    description: "Create the resource group (true) or use an existing one of that name (false).",
  },
  keyVaultName: {
    type: "string",
    group: "azure",
    change: refused(["cerby", "guard", "protect"], ["key vault", "key", "delete lock", "role assignment for Cerby", "deployer grant"]),
    default: "",
    description: "Key Vault name, globally unique. When unset a stable name kv-cerby-<6 random> is generated once.",
  },
  keyVaultSku: {
    type: "string",
    group: "azure",
    change: changeable("in place"),
    allowed: ["standard", "premium"],
    default: "standard", description: "Key Vault pricing tier: standard or premium.",
  },
  softDeleteRetentionDays: {
    type: "integer",
    group: "azure",
    change: refused(["azure"], [], "Azure fixes the retention once the vault exists"),
    default: 90,
    description: "Days a deleted vault is retained (7–90). Fixed once the vault exists.",
  },
  purgeProtection: {
    type: "boolean",
    group: "azure",
    change: refused(["azure"], [], "Azure never turns purge protection off; false to true is fine"),
    default: true,
    description: "Purge protection. Once on, Azure never lets it be turned off.",
  },
  keyVaultDeleteLock: {
    type: "boolean",
    group: "azure",
    change: refused(["protect"], ["delete lock"], "true to false: `pulumi state unprotect` the lock first, see docs/operations.md, \"What is protected against deletion\""),
    default: true,
    description: "Put a CanNotDelete management lock on the Key Vault.",
  },
  networkDefaultAction: {
    type: "string",
    group: "azure",
    change: changeable("in place"),
    allowed: ["Allow", "Deny"],
    default: "Allow",
    description: "Key Vault firewall default action: Allow or Deny. With Deny, Cerby's egress addresses must be allowed.",
  },
  networkAllowedIpRanges: {
    type: "array",
    group: "azure",
    change: changeable("in place"),
    default: [],
    description: "IPv4 addresses or CIDR ranges allowed through the Key Vault firewall.",
  },
  keyName: {
    type: "string",
    group: "azure",
    change: refused(["cerby", "guard", "protect"], ["key", "role assignment for Cerby"]),
    default: "cerby-external-key", description: "Name of the RSA-4096 key (1–127 letters, digits, hyphens).",
  },
  keyType: {
    type: "string",
    group: "azure",
    change: refused(["protect"], ["key"]),
    allowed: ["RSA", "RSA-HSM"],
    default: "RSA", description: "RSA (software-protected) or RSA-HSM (premium SKU only).",
  },
  keySize: {
    type: "integer",
    group: "azure",
    change: refused(["config"], [], "Cerby accepts only 4096"),
    allowed: [KEY_SIZE],
    default: KEY_SIZE, description: "Key size in bits. Cerby accepts only 4096.",
  },
  applicationName: {
    type: "string",
    group: "azure",
    change: changeable("renames the Entra application; Cerby signs in by its client ID"),
    default: "cerby-external-keys",
    description: "Display name of the Entra application Cerby signs in as.",
  },
  servicePrincipalRole: {
    type: "string",
    group: "azure",
    change: changeable(undefined, ["role assignment for Cerby"]),
    allowed: SERVICE_PRINCIPAL_ROLES,
    default: "crypto-user",
    description:
      "Role of the service principal: crypto-user (Key Vault Crypto User, which Cerby documents), minimal (a custom role with only read, wrap, unwrap, encrypt and decrypt), crypto-officer or administrator.",
  },
  roleScope: {
    type: "string",
    group: "azure",
    change: changeable(undefined, ["role assignment for Cerby"]),
    allowed: ["key", "vault"],
    default: "key",
    description: "Scope of the service principal's role: key (narrowest) or vault.",
  },
  clientSecretStartDate: {
    type: "string",
    group: "azure",
    change: changeable("a rotation: Cerby gets the new secret", ["client secret"]),
    requiredWhen: { adoptExisting: false },
    default: "",
    description:
      "Start date of the client secret (YYYY-MM-DD), required unless adoptExisting is true (then setting it creates a new secret). Changing it rotates the secret.",
  },
  clientSecretLifetimeDays: {
    type: "integer",
    group: "azure",
    change: changeable("a rotation: Cerby gets the new secret", ["client secret"]),
    default: 180,
    description: "Days the client secret is valid from its start date (1–730).",
  },
  cerbyClientSecretConfirmedStartDate: {
    type: "string",
    group: "cerby",
    change: changeable(),
    default: "",
    description:
      "Guided rotation (cerbyRegistration guided, or auto where Cerby has no PATCH endpoint): after pasting the new client secret into Cerby, set this to the current clientSecretStartDate (YYYY-MM-DD) and run pulumi up. Until then the stack keeps recording the previous secret as Cerby's, every run repeats the instruction and npm run verify fails. It counts only for a secret whose instruction a completed run has printed; a date after clientSecretStartDate is refused.",
  },
  exportClientSecret: {
    type: "boolean",
    group: "azure",
    change: changeable(),
    default: false,
    description:
      "Export the client secret as the secret stack output clientSecret. Off by default: the provider gives it to Cerby itself, and other stacks do not need it.",
  },
  grantDeployerAccess: {
    type: "boolean",
    group: "azure",
    change: changeable("true again creates it", [], ["deployer grant"]),
    default: true,
    description: "Grant the identity running pulumi up the deployerRole on the vault before the key is created.",
  },
  deployerRole: {
    type: "string",
    group: "azure",
    change: changeable(undefined, ["deployer grant"]),
    allowed: ["custom", "crypto-officer"],
    default: "custom",
    description:
      "The deployer's role on the vault: custom (a role the stack defines that can only create and read keys) or crypto-officer (the built-in Key Vault Crypto Officer, for deployers who may not create role definitions).",
  },
  deployerObjectId: {
    type: "string",
    group: "azure",
    change: changeable("set deployerPrincipalType with it", ["deployer grant"]),
    default: "",
    description:
      "Object ID (GUID) of the identity that holds the deployer grant. Set it when several identities run pulumi up (people and a pipeline), so the grant does not move between them.",
  },
  deployerPrincipalType: {
    type: "string",
    group: "azure",
    change: changeable(undefined, ["deployer grant"]),
    allowed: ["auto", "User", "ServicePrincipal", "Group"],
    default: "auto",
    description:
      "Kind of identity running pulumi up, for its grant: auto (a user when signed in with the Azure CLI or PowerShell, else a service principal), User, ServicePrincipal or Group.",
  },
  rolePropagationWaitSeconds: {
    type: "integer",
    group: "azure",
    change: changeable(),
    default: 60,
    description:
      "Fixed seconds to wait after the deployer's new role assignment, used only when the readiness probe cannot sign in as the deploying identity (0–900).",
  },
  rolePropagationTimeoutMinutes: {
    type: "integer",
    group: "azure",
    change: changeable(),
    default: 15,
    description:
      "How long the readiness probe polls the vault as the deploying identity, after its new role assignment, before failing (1–60 minutes).",
  },
  cerbyAzureVaultName: {
    type: "string",
    group: "cerby",
    change: changeable("renames the vault in Cerby"),
    default: "Azure Key Vault",
    description: "Name of the vault registered in Cerby for the Azure key.",
  },
  cerbyAzureVaultSetAsDefault: {
    type: "boolean",
    group: "cerby",
    change: changeable(),
    default: false,
    description: "Make the Azure vault the workspace's default vault in Cerby.",
  },
  cerbyAzureVaultOnDelete: {
    type: "string",
    group: "cerby",
    change: changeable(),
    allowed: ["retain", "disable"],
    default: "retain",
    description: "What pulumi destroy does to the Cerby vault: retain (leave it) or disable.",
  },
  cerbyWorkspaceId: {
    type: "string",
    group: "aws",
    change: changeable("only to correct it: Cerby presents its own workspace ID"),
    requiredWhen: { awsEnabled: true },
    default: "",
    description: "Cerby workspace ID (a UUID), required with awsEnabled: the sts:ExternalId Cerby presents when it assumes the IAM role.",
  },
  awsAccountId: {
    type: "string",
    group: "aws",
    change: changeable("a check only: it must name the account of the credentials"),
    default: "",
    description: "AWS account ID (12 digits) the credentials must belong to, as a safety check: the AWS providers refuse any other.",
  },
  awsPrimaryRegion: {
    type: "string",
    group: "aws",
    change: refused(["config"], [], "only us-east-2 unless awsAllowNonStandardRegions; then it would replace the KMS key"),
    default: AWS_DR_REGIONS.primary, description: "AWS Region of the primary KMS key.",
  },
  awsReplicaRegion: {
    type: "string",
    group: "aws",
    change: refused(["config"], [], "only us-west-2 unless awsAllowNonStandardRegions; then it would replace the KMS replica"),
    default: AWS_DR_REGIONS.replica, description: "AWS Region of the KMS replica key.",
  },
  awsAllowNonStandardRegions: {
    type: "boolean",
    group: "aws",
    change: changeable(),
    default: false,
    description: "Accept Regions other than us-east-2 (primary) and us-west-2 (replica), the pair Cerby's disaster recovery expects.",
  },
  cerbyPrincipalArn: {
    type: "string",
    group: "aws",
    change: changeable("in place: the role's trust policy"),
    default: CERBY_AWS_PRINCIPAL_ARN,
    description: "ARN of Cerby's AWS role that may assume the IAM role. Change it only if Cerby tells you to.",
  },
  kmsKeyAlias: {
    type: "string",
    group: "aws",
    change: changeable(undefined, ["KMS aliases"]),
    default: "alias/cerby-external-keys",
    description: "Alias of the KMS key, in both Regions (alias/ and 1–250 letters, digits, / _ -).",
  },
  kmsDeletionWindowDays: {
    type: "integer",
    group: "aws",
    change: changeable("in place"),
    default: 30,
    description: "Days (7–30) AWS waits before deleting the key once its deletion is scheduled.",
  },
  awsRoleName: {
    type: "string",
    group: "aws",
    change: refused(["cerby", "protect"], ["IAM role"]),
    default: "cerby-kms-byo-key-access",
    description: "Name of the IAM role Cerby assumes. Changing it replaces the role, which Cerby then no longer knows.",
  },
  cerbyAwsVaultName: {
    type: "string",
    group: "cerby",
    change: changeable("renames the vault in Cerby"),
    default: "AWS KMS",
    description: "Name of the vault registered in Cerby for the AWS KMS key.",
  },
  cerbyAwsVaultSetAsDefault: {
    type: "boolean",
    group: "cerby",
    change: changeable(),
    default: false,
    description: "Make the AWS KMS vault the workspace's default vault in Cerby.",
  },
  cerbyAwsVaultOnDelete: {
    type: "string",
    group: "cerby",
    change: refused(["config"], [], "retain is the only value"),
    allowed: ["retain"],
    default: "retain",
    description: "What pulumi destroy does to the Cerby vault: retain (leave it), the only choice, since Cerby cannot disable AWS KMS vaults.",
  },
  tags: {
    type: "object",
    group: "general",
    change: changeable("the Azure key keeps the tags it was created with"),
    default: {}, description: "Tags for every Azure and AWS resource that takes them (a map of strings).",
  },
  adoptExisting: {
    type: "boolean",
    group: "general",
    change: refused(["cerby", "protect"], ["Entra application", "service principal", "key vault", "key", "role assignment for Cerby"], "keep it true once the stack has adopted a setup"),
    default: false,
    description:
      "Adopt a setup made by hand with Cerby's manual procedure: import the existing application, vault, key and role assignment (AWS: key, replica and role) instead of creating them, changing nothing on the first run.",
  },
  existingApplicationClientId: {
    type: "string",
    group: "azure",
    change: refused(["protect"], ["service principal"], "it names the application the stack adopted"),
    requiredWhen: { adoptExisting: true },
    default: "",
    description: "With adoptExisting: application (client) ID (a GUID) of the existing Entra application Cerby signs in as.",
  },
  existingRoleAssignmentId: {
    type: "string",
    group: "azure",
    change: refused(["protect"], ["role assignment for Cerby"], "it names the assignment the stack adopted"),
    default: "",
    description:
      "With adoptExisting: ARM ID of the existing role assignment that lets the service principal use the key, to import it. Unset: the program creates one (servicePrincipalRole at roleScope).",
  },
  existingClientSecret: {
    type: "string",
    group: "azure",
    change: changeable(),
    secret: true,
    optionalSecret: true,
    required: false,
    description:
      "With adoptExisting: the client secret Cerby holds, so that the preflight and npm run verify can prove access. Unset: they skip that proof and say so.",
  },
  adoptApplyDefaults: {
    type: "array",
    group: "azure",
    change: changeable("adding one applies it; taking deleteLock or role out again is refused by protect: it would remove the lock or replace role assignment for Cerby"),
    allowed: ADOPT_DEFAULTS,
    default: [],
    description: `With adoptExisting: which of this project's defaults to apply to what was adopted (${ADOPT_DEFAULTS.join(", ")}); the first run applies none and warns about each difference.`,
  },
  existingKmsKeyId: {
    type: "string",
    group: "aws",
    change: refused(["cerby", "guard", "protect"], ["KMS key", "KMS replica"], "the same key written another way (ID or ARN) is fine"),
    requiredWhen: { adoptExisting: true, awsEnabled: true },
    default: "",
    description: "With adoptExisting and awsEnabled: ID (mrk-…) or ARN of the existing multi-Region primary key; its replica is looked up in awsReplicaRegion.",
  },
  existingAwsRoleName: {
    type: "string",
    group: "aws",
    change: refused(["cerby", "protect"], ["IAM role"], "it names the role the stack adopted"),
    default: "",
    description: "With adoptExisting and awsEnabled: name of the existing IAM role Cerby assumes. Unset: awsRoleName.",
  },
  auditLogs: {
    type: "boolean",
    group: "azure",
    change: changeable(),
    default: false,
    description:
      "Azure: send the Key Vault's AuditEvent logs and AllMetrics to Log Analytics (a diagnostic setting). Costs Log Analytics ingestion and retention.",
  },
  auditLogAnalyticsWorkspaceId: {
    type: "string",
    group: "azure",
    change: changeable(),
    default: "",
    description: "ARM ID of an existing Log Analytics workspace for auditLogs. Unset: the stack creates one in the vault's resource group.",
  },
  auditLogRetentionDays: {
    type: "integer",
    group: "azure",
    change: changeable(),
    default: 90,
    description: "Days the Log Analytics workspace the stack creates keeps the audit logs (30–730; beyond 31 days is billed).",
  },
  tamperAlerts: {
    type: "boolean",
    group: "general",
    change: changeable(),
    default: false,
    description:
      "Alert alertEmails when the key, its vault, lock, role assignments or IAM role are deleted or changed: Azure activity-log alerts, AWS EventBridge rules to SNS.",
  },
  keyEvents: {
    type: "boolean",
    group: "azure",
    change: changeable(),
    default: false,
    description: "Azure: alert alertEmails on the key's Event Grid events KeyNearExpiry, KeyExpired and KeyNewVersionCreated.",
  },
  alertEmails: {
    type: "array",
    group: "general",
    change: changeable(),
    default: [],
    description: "Email addresses told by tamperAlerts and keyEvents (the Azure action group and the AWS SNS topics).",
  },
  alertWebhookUrl: {
    type: "string",
    group: "general",
    change: changeable(),
    secret: true,
    optionalSecret: true,
    required: false,
    description: "An https webhook the Azure action group also calls. A secret: such URLs carry tokens. Set it with pulumi config set --secret.",
  },
};

/** A stack config problem: the key, and a sentence naming the bad value and what is allowed. */
export interface ConfigProblem {
  key: string;
  message: string;
}

/**
 * The error for invalid stack config; lists every problem, not just the first. A plain Error with
 * a name rather than a subclass, for the reason given in components/cerby/errors.ts: the Cerby
 * provider raises it too.
 */
export interface ConfigError extends Error {
  name: "ConfigError";
  problems: ConfigProblem[];
}

export function invalidConfigError(problems: ConfigProblem[]): ConfigError {
  const message =
    `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
    problems.map((problem) => `  - ${describeProblem(problem)}`).join("\n");
  return Object.assign(new Error(message), { name: "ConfigError" as const, problems });
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof Error && error.name === "ConfigError" && Array.isArray((error as ConfigError).problems);
}

/**
 * Where raw values come from: the Pulumi runtime, a stack file read offline, or a test.
 * Values are as Pulumi stores them: strings, with arrays and objects as JSON text.
 */
export interface ConfigSource {
  get(key: string): string | undefined;
  /** Every key set for this project, when the source can list them; used to catch typos. */
  keys?(): string[];
  /** A secret key's value, where `get` hides secrets; the program wraps it with pulumi.secret at once. */
  secret?(key: string): string | undefined;
  /** Every key set outside this project's namespace (`namespace:key`); used to catch a misspelt namespace. */
  otherKeys?(): string[];
  /** Today's date (YYYY-MM-DD), when the source knows it; used only to warn of an expired client secret. */
  today?(): string;
}

/** Reads this project's keys from the running Pulumi program. */
export function pulumiConfigSource(): ConfigSource {
  const config = new pulumi.Config(PROJECT);
  const prefix = `${PROJECT}:`;
  const all = () => Object.keys(pulumi.runtime.allConfig());
  return {
    get: (key) => (CONFIG_KEYS[key]?.secret ? undefined : config.get(key)),
    // The runtime's own accessor: Config.get would warn that the value is a secret.
    secret: (key) => pulumi.runtime.getConfig(`${prefix}${key}`),
    keys: () => all().filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length)),
    otherKeys: () => all().filter((key) => !key.startsWith(prefix)),
    // Only compared with the secret's end date for a warning; never an input of a resource.
    today: () => new Date().toISOString().slice(0, 10),
  };
}

const quote = echoValue;

function isJsonOf(value: string, kind: "list" | "map"): boolean {
  if (!/^\s*[[{]/.test(value)) {
    return false;
  }
  try {
    const parsed: unknown = JSON.parse(value);
    return kind === "list" ? Array.isArray(parsed) : typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/** What is wrong with a set value for its declared type (CONFIG_KEYS), if anything. */
function typeProblem(key: string, value: string): string | undefined {
  const spec = CONFIG_KEYS[key];
  switch (spec.type) {
    case "string": {
      const kind = isJsonOf(value, "list") ? "list" : isJsonOf(value, "map") ? "map" : undefined;
      return kind
        ? `is a ${kind} (${quote(value)}), but it takes one string; write the value on one line, in quotes if it starts with [ or {.`
        : undefined;
    }
    case "boolean":
      return value === "true" || value === "false" ? undefined : `${quote(value)} is not a boolean; use true or false.`;
    case "integer":
      return /^-?\d+$/.test(value) ? undefined : `${quote(value)} is not a whole number: ${spec.description}`;
    case "array":
      return isJsonOf(value, "list") ? undefined : `${quote(value)} is not a list of strings, e.g. \`pulumi config set --path '${key}[0]' VALUE\`.`;
    case "object":
      return isJsonOf(value, "map") ? undefined : `must be a map of strings, e.g. \`pulumi config set --path '${key}.name' VALUE\`.`;
  }
}

/** Reads values with the right type, recording a problem (never throwing) for each bad one. */
class Reader {
  readonly problems: ConfigProblem[] = [];
  /** What does not stop the program but will surprise the person running it. */
  readonly warnings: ConfigProblem[] = [];
  /** Every key this reader looked at, set or not. */
  readonly read = new Set<string>();
  private readonly mistyped = new Set<string>();

  constructor(private readonly source: ConfigSource) {}

  get today(): string | undefined {
    return this.source.today?.();
  }

  warn(key: string, message: string): void {
    this.warnings.push({ key, message });
  }

  fail(key: string, message: string): void {
    // A key read by both integrations (tags) would otherwise report the same problem twice.
    if (this.problems.some((problem) => problem.key === key && problem.message === message)) {
      return;
    }
    this.problems.push({ key, message });
  }

  /** The value as set; undefined when unset, empty, or not of the key's type (reported once). */
  raw(key: string): string | undefined {
    this.read.add(key);
    const value = this.source.get(key);
    if (value === undefined || value === "" || this.mistyped.has(key)) {
      return undefined;
    }
    const problem = typeProblem(key, value);
    if (problem) {
      this.mistyped.add(key);
      this.fail(key, problem);
      return undefined;
    }
    return value;
  }

  /**
   * A secret value, wrapped at once so that it never sits in the config as plain text. A problem
   * names the key and the rule, never the value.
   */
  secret(key: string, check: (value: string) => string | undefined): pulumi.Output<string> | undefined {
    const value = this.source.secret?.(key) ?? this.source.get(key);
    if (value === undefined || value === "") {
      return undefined;
    }
    const problem = check(value);
    if (problem) {
      this.fail(key, `(a secret, not shown) ${problem}.`);
      return undefined;
    }
    return pulumi.secret(value);
  }

  optionalString(key: string, check?: (value: string) => string | undefined): string | undefined {
    const value = this.raw(key);
    if (value === undefined) {
      return undefined;
    }
    const problem = check?.(value);
    if (problem) {
      this.fail(key, `${quote(value)} ${problem}.`);
      return undefined;
    }
    return value;
  }

  string(key: string, check?: (value: string) => string | undefined): string {
    const value = this.optionalString(key, check);
    if (value !== undefined) {
      return value;
    }
    const fallback = CONFIG_KEYS[key].default;
    return typeof fallback === "string" ? fallback : "";
  }

  required(key: string, check: (value: string) => string | undefined, example: string): string {
    if (this.source.get(key) === undefined || this.source.get(key) === "") {
      this.read.add(key);
      this.fail(key, `is required: ${CONFIG_KEYS[key].description} Set it with \`pulumi config set ${key} ${example}\`.`);
      return "";
    }
    return this.string(key, check);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.string(key);
    const match = allowed.find((choice) => choice.toLowerCase() === value.toLowerCase());
    if (match === undefined) {
      this.fail(key, `${quote(value)} is not allowed; use one of: ${allowed.join(", ")}.`);
      return allowed[0];
    }
    return match;
  }

  boolean(key: string): boolean {
    const value = this.raw(key);
    return value === undefined ? (CONFIG_KEYS[key].default as boolean) : value === "true";
  }

  /** A whole number from min to max; `rule` replaces "use a number from min to max" where a key allows less. */
  integer(key: string, min: number, max: number, rule = `is out of range; use a number from ${min} to ${max}.`): number {
    const value = this.raw(key);
    const fallback = CONFIG_KEYS[key].default as number;
    if (value === undefined) {
      return fallback;
    }
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      // The digits as written: Number would show a huge value as 1e+23.
      this.fail(key, `${value.length <= ECHO_LIMIT ? value : quote(value)} ${rule}`);
      return fallback;
    }
    return number;
  }

  stringArray(key: string, check: (value: string) => string | undefined): string[] {
    const value = this.raw(key);
    if (value === undefined) {
      return [];
    }
    const items = JSON.parse(value) as unknown[];
    const strings: string[] = [];
    items.forEach((item, index) => {
      if (typeof item !== "string") {
        this.fail(key, `item ${index} is ${describeJson(item)}, not a string.`);
        return;
      }
      const problem = check(item);
      if (problem) {
        this.fail(key, `item ${quote(item)} ${problem}.`);
      }
      strings.push(item);
    });
    return strings;
  }

  stringMap(key: string): Record<string, string> {
    const value = this.raw(key);
    if (value === undefined) {
      return {};
    }
    const entries: Array<[string, string]> = [];
    for (const [name, item] of Object.entries(JSON.parse(value) as Record<string, unknown>)) {
      if (typeof item === "string" || typeof item === "number" || typeof item === "boolean") {
        entries.push([name, String(item)]);
      } else if (item === null) {
        this.fail(key, `entry ${quote(name)} has no value; give it one or remove the entry.`);
      } else {
        this.fail(key, `entry ${quote(name)} must be a string, not ${describeJson(item)}.`);
      }
    }
    // fromEntries defines own properties, so a tag named __proto__ stays a tag.
    return Object.fromEntries(entries);
  }
}

function describeJson(item: unknown): string {
  if (item === null) {
    return "empty (null)";
  }
  return Array.isArray(item) ? "a list" : typeof item === "object" ? "a map" : typeof item;
}

/** Tag names every cloud refuses. */
function checkTagNames(reader: Reader, tags: Record<string, string>): void {
  if (Object.keys(tags).some((name) => name.trim() === "")) {
    reader.fail("tags", "has a tag with an empty name; every tag needs a name.");
  }
}

function checkTags(reader: Reader, tags: Record<string, string>): void {
  checkTagNames(reader, tags);
  const entries = Object.entries(tags);
  if (entries.length > 50) {
    reader.fail("tags", `has ${entries.length} entries; Azure allows at most 50 tags on a resource.`);
  }
  for (const [name, value] of entries) {
    if (name.length > 512 || /[<>%&\\?/]/.test(name)) {
      reader.fail("tags", `name ${quote(name)} must be at most 512 characters and contain none of < > % & \\ ? /.`);
    }
    if (value.length > 256) {
      reader.fail("tags", `value of ${quote(name)} is ${value.length} characters; Azure allows at most 256.`);
    }
  }
}

/**
 * An earlier date than clientSecretStartDate is the normal state of a rotation not yet confirmed
 * (the provider repeats the instruction); a later one can name no secret of this stack: a typo,
 * refused before it could confirm the wrong rotation.
 */
function readConfirmedStartDate(reader: Reader, startDate: string): string | undefined {
  const confirmed = reader.optionalString("cerbyClientSecretConfirmedStartDate", checkIsoDate);
  if (confirmed !== undefined && checkIsoDate(startDate) === undefined && confirmed > startDate) {
    reader.fail(
      "cerbyClientSecretConfirmedStartDate",
      `${quote(confirmed)} is after clientSecretStartDate ${quote(startDate)}, so it names no secret of this stack; set it to ${quote(startDate)} once Cerby holds that secret.`,
    );
  }
  return confirmed;
}

function readAzure(reader: Reader): AzureConfig {
  const deployerObjectId = reader.optionalString("deployerObjectId", checkAzureId);
  const deployerPrincipalType = reader.oneOf("deployerPrincipalType", ["auto", "User", "ServicePrincipal", "Group"] as const);
  if (deployerObjectId !== undefined && deployerPrincipalType === "auto") {
    reader.fail(
      "deployerPrincipalType",
      "must name the kind of identity deployerObjectId is (User, ServicePrincipal or Group): auto can only tell the signed-in identity's kind.",
    );
  }
  const keyVaultSku = reader.oneOf("keyVaultSku", ["standard", "premium"] as const);
  const keyType = reader.oneOf("keyType", ["RSA", "RSA-HSM"] as const);
  if (keyType === "RSA-HSM" && keyVaultSku !== "premium") {
    reader.fail("keyType", '"RSA-HSM" needs keyVaultSku premium; set keyVaultSku to premium or keyType to RSA.');
  }
  reader.integer("keySize", KEY_SIZE, KEY_SIZE, `is not supported; Cerby accepts only ${KEY_SIZE}-bit RSA keys. Remove the key or set it to ${KEY_SIZE}.`);
  const networkDefaultAction = reader.oneOf("networkDefaultAction", ["Allow", "Deny"] as const);
  const networkAllowedIpRanges = reader.stringArray("networkAllowedIpRanges", checkIpRange);
  if (networkDefaultAction === "Deny" && networkAllowedIpRanges.length === 0) {
    reader.fail(
      "networkAllowedIpRanges",
      "is empty while networkDefaultAction is Deny, so neither Cerby nor the deployer could reach the key; list the allowed ranges or use Allow.",
    );
  }
  const tags = reader.stringMap("tags");
  checkTags(reader, tags);
  const adopt = readAzureAdoption(reader);
  return {
    adopt,
    tenantId: reader.optionalString("azureTenantId", checkAzureId),
    subscriptionId: reader.optionalString("azureSubscriptionId", checkAzureId),
    location: reader.string("azureLocation", (value) =>
      /^[a-z0-9]+$/i.test(value) ? undefined : "must be an Azure region name such as eastus or westeurope",
    ),
    resourceGroupName: reader.string("resourceGroupName", checkResourceGroupName),
    createResourceGroup: reader.boolean("createResourceGroup"),
    keyVaultName: reader.optionalString("keyVaultName", checkKeyVaultName),
    keyVaultSku,
    softDeleteRetentionDays: reader.integer("softDeleteRetentionDays", 7, 90),
    purgeProtection: reader.boolean("purgeProtection"),
    deleteLock: reader.boolean("keyVaultDeleteLock"),
    networkDefaultAction,
    networkAllowedIpRanges,
    keyName: reader.string("keyName", checkKeyName),
    keyType,
    keySize: KEY_SIZE,
    applicationName: reader.string("applicationName", (value) =>
      value.trim().length === 0 || value.length > 120 ? "must be 1–120 characters" : undefined,
    ),
    servicePrincipalRole: reader.oneOf("servicePrincipalRole", SERVICE_PRINCIPAL_ROLES),
    roleScope: reader.oneOf("roleScope", ["key", "vault"] as const),
    ...readClientSecretDates(reader, adopt !== undefined),
    exportClientSecret: reader.boolean("exportClientSecret"),
    grantDeployerAccess: reader.boolean("grantDeployerAccess"),
    deployerRole: reader.oneOf("deployerRole", ["custom", "crypto-officer"] as const),
    deployerObjectId,
    deployerPrincipalType,
    rolePropagationWaitSeconds: reader.integer("rolePropagationWaitSeconds", 0, 900),
    rolePropagationTimeoutMinutes: reader.integer("rolePropagationTimeoutMinutes", 1, 60),
    cerbyVaultName: reader.string("cerbyAzureVaultName", checkCerbyVaultName),
    cerbyVaultSetAsDefault: reader.boolean("cerbyAzureVaultSetAsDefault"),
    cerbyVaultOnDelete: reader.oneOf("cerbyAzureVaultOnDelete", ["retain", "disable"] as const),
    preflight: { enabled: reader.boolean("cerbyPreflight"), timeoutMs: reader.integer("cerbyPreflightTimeoutMinutes", 1, 60) * 60_000 },
    tags,
  };
}

/** AWS's tag rules; the characters are IAM's, which are narrower than KMS's. */
function checkAwsTags(reader: Reader, tags: Record<string, string>): void {
  checkTagNames(reader, tags);
  const entries = Object.entries(tags);
  if (entries.length > 50) {
    reader.fail("tags", `has ${entries.length} entries; AWS allows at most 50 tags on a resource.`);
  }
  for (const [name, value] of entries) {
    if (name.length > 128 || name.toLowerCase().startsWith("aws:") || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u.test(name)) {
      reader.fail("tags", `name ${quote(name)} must be at most 128 letters, digits, spaces or _ . : / = + - @, and not start with aws: (AWS's rule).`);
    }
    if (value.length > 256 || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(value)) {
      reader.fail("tags", `value of ${quote(name)} must be at most 256 letters, digits, spaces or _ . : / = + - @ (AWS's rule).`);
    }
  }
}

const DR_REGIONS_EXPLAINED =
  `Cerby's disaster-recovery setup expects the primary key in ${AWS_DR_REGIONS.primary} and its replica in ${AWS_DR_REGIONS.replica}`;

function readAwsRegions(reader: Reader): { primaryRegion: string; replicaRegion: string } {
  const primaryRegion = reader.string("awsPrimaryRegion", checkAwsRegion);
  const replicaRegion = reader.string("awsReplicaRegion", checkAwsRegion);
  if (!reader.boolean("awsAllowNonStandardRegions")) {
    for (const [key, value, expected] of [
      ["awsPrimaryRegion", primaryRegion, AWS_DR_REGIONS.primary],
      ["awsReplicaRegion", replicaRegion, AWS_DR_REGIONS.replica],
    ] as const) {
      if (value !== expected) {
        reader.fail(key, `${quote(value)} is not ${expected}: ${DR_REGIONS_EXPLAINED}. To use another Region anyway, set awsAllowNonStandardRegions to true.`);
      }
    }
  }
  if (primaryRegion === replicaRegion) {
    reader.fail("awsReplicaRegion", `${quote(replicaRegion)} is also the primary Region; a replica must be in another Region (${DR_REGIONS_EXPLAINED}).`);
  } else if (awsPartition(primaryRegion) !== awsPartition(replicaRegion)) {
    reader.fail(
      "awsReplicaRegion",
      `${quote(replicaRegion)} is in partition ${awsPartition(replicaRegion)} but the primary Region is in ${awsPartition(primaryRegion)}; a replica must be in its primary key's partition.`,
    );
  }
  return { primaryRegion, replicaRegion };
}

function readAwsVaultOnDelete(reader: Reader): "retain" {
  const onDelete = reader.string("cerbyAwsVaultOnDelete");
  if (onDelete.toLowerCase() !== "retain") {
    reader.fail(
      "cerbyAwsVaultOnDelete",
      `${quote(onDelete)} is not allowed: Cerby cannot disable AWS KMS vaults, so pulumi destroy can only leave the vault in place; use retain.`,
    );
  }
  return "retain";
}

function readAws(reader: Reader): AwsConfig {
  const tags = reader.stringMap("tags");
  checkAwsTags(reader, tags);
  const config: AwsConfig = {
    cerbyWorkspaceId: reader.required("cerbyWorkspaceId", checkCerbyWorkspaceId, "123e4567-e89b-42d3-a456-426614174000"),
    accountId: reader.optionalString("awsAccountId", (value) => checkAwsAccountId(value) ?? checkNotPlaceholder(value)),
    ...readAwsRegions(reader),
    cerbyPrincipalArn: reader.string("cerbyPrincipalArn", checkIamRoleArn),
    kmsKeyAlias: reader.string("kmsKeyAlias", checkKmsAliasName),
    kmsDeletionWindowDays: reader.integer("kmsDeletionWindowDays", 7, 30),
    roleName: reader.string("awsRoleName", checkIamRoleName),
    cerbyVaultName: reader.string("cerbyAwsVaultName", checkCerbyVaultName),
    cerbyVaultSetAsDefault: reader.boolean("cerbyAwsVaultSetAsDefault"),
    cerbyVaultOnDelete: readAwsVaultOnDelete(reader),
    tags,
  };
  return { ...config, adopt: readAwsAdoption(reader, config.primaryRegion, config.roleName) };
}

/** The ARM ID of a role assignment: <scope>/providers/Microsoft.Authorization/roleAssignments/<GUID>. */
export const ROLE_ASSIGNMENT_ID = /^(\/.+)\/providers\/Microsoft\.Authorization\/roleAssignments\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

const ADOPTION_KEYS = {
  azure: ["existingApplicationClientId", "existingRoleAssignmentId", "adoptApplyDefaults"],
  aws: ["existingKmsKeyId", "existingAwsRoleName"],
} as const;

/** Adoption keys set while adoptExisting is false would silently do nothing: say so. */
function refuseAdoptionKeysWithoutSwitch(reader: Reader, source: ConfigSource): void {
  for (const key of [...ADOPTION_KEYS.azure, ...ADOPTION_KEYS.aws]) {
    const value = source.get(key);
    if (value !== undefined && value !== "" && value !== "[]") {
      reader.fail(key, "is set but adoptExisting is false, so it would be ignored; set adoptExisting to true to adopt a setup made by hand, or remove it.");
    }
  }
}

function readAzureAdoption(reader: Reader): AzureAdoption | undefined {
  if (!reader.boolean("adoptExisting")) {
    return undefined;
  }
  const applyDefaults = reader.stringArray("adoptApplyDefaults", (value) =>
    (ADOPT_DEFAULTS as readonly string[]).includes(value) ? undefined : `is not one of ${ADOPT_DEFAULTS.join(", ")}`,
  ) as AdoptDefault[];
  if (reader.optionalString("keyVaultName") === undefined) {
    reader.fail("keyVaultName", "is required with adoptExisting: set it to the name of the existing Key Vault (`pulumi config set keyVaultName <name>`).");
  }
  if (reader.boolean("createResourceGroup")) {
    reader.fail("createResourceGroup", "must be false with adoptExisting: the resource group of the existing vault exists already (`pulumi config set createResourceGroup false`).");
  }
  return {
    applicationClientId: reader.required("existingApplicationClientId", checkGuid, "00000000-0000-0000-0000-000000000000"),
    roleAssignmentId: reader.optionalString("existingRoleAssignmentId", (value) =>
      ROLE_ASSIGNMENT_ID.test(value)
        ? undefined
        : "must be a role assignment's ARM ID, …/providers/Microsoft.Authorization/roleAssignments/<GUID> (`az role assignment list --assignee <clientId> --all --query [].id`)",
    ),
    applyDefaults,
  };
}

function readAwsAdoption(reader: Reader, primaryRegion: string, roleName: string): AwsAdoption | undefined {
  if (!reader.boolean("adoptExisting")) {
    return undefined;
  }
  const kmsKeyId = reader.required("existingKmsKeyId", checkKmsKeyId, "mrk-0123456789abcdef0123456789abcdef");
  const keyRegion = kmsKeyId.startsWith("arn:") ? kmsKeyId.split(":")[3] : undefined;
  if (keyRegion !== undefined && keyRegion !== primaryRegion) {
    reader.fail(
      "existingKmsKeyId",
      `${quote(kmsKeyId)} is in ${keyRegion}, but awsPrimaryRegion is ${primaryRegion}; name the multi-Region primary key, and set awsPrimaryRegion to its Region.`,
    );
  }
  return { kmsKeyId, roleName: reader.optionalString("existingAwsRoleName", checkIamRoleName) ?? roleName };
}

/** The client secret Cerby holds, when a stack that adopts supplies it; a secret Output, never a plain value. */
export function existingClientSecret(): pulumi.Output<string> | undefined {
  // Read raw, then wrapped at once: Config.get would warn that the key is secret.
  const value = pulumi.runtime.getConfig(`${PROJECT}:existingClientSecret`);
  return value ? pulumi.secret(value) : undefined;
}

function readAlerts(reader: Reader, azureEnabled: boolean, awsEnabled: boolean): AlertsConfig {
  const alerts: AlertsConfig = {
    auditLogs: reader.boolean("auditLogs"),
    logAnalyticsWorkspaceId: reader.optionalString("auditLogAnalyticsWorkspaceId", checkLogAnalyticsWorkspaceId),
    logRetentionDays: reader.integer("auditLogRetentionDays", 30, 730),
    tamperAlerts: reader.boolean("tamperAlerts"),
    keyEvents: reader.boolean("keyEvents"),
    emails: reader.stringArray("alertEmails", checkAlertEmail),
    webhookUrl: reader.secret("alertWebhookUrl", checkWebhookUrl),
  };
  for (const key of ["auditLogs", "keyEvents"] as const) {
    if (alerts[key] && !azureEnabled) {
      reader.fail(key, "is true but azureEnabled is false: it watches the Azure Key Vault only. Set it to false, or enable Azure.");
    }
  }
  // The webhook is an Azure action group receiver; the AWS topics have email subscriptions only.
  const azureSilent = azureEnabled && (alerts.tamperAlerts || alerts.keyEvents) && alerts.webhookUrl === undefined;
  const awsSilent = awsEnabled && alerts.tamperAlerts;
  if (alerts.emails.length === 0 && (azureSilent || awsSilent)) {
    reader.fail(
      "alertEmails",
      `is empty, so ${awsSilent ? "the AWS tamper alerts" : "tamperAlerts and keyEvents"} would tell no one; ` +
        "list who is told, e.g. `pulumi config set --path 'alertEmails[0]' security@example.com`.",
    );
  }
  return alerts;
}

function checkUnknownKeys(reader: Reader, source: ConfigSource): void {
  const known = Object.keys(CONFIG_KEYS);
  for (const key of source.keys?.() ?? []) {
    // hasOwn: "constructor" or "__proto__" is in every object, but is no setting of this project.
    if (!Object.hasOwn(CONFIG_KEYS, key)) {
      const near = nearestName(key, known);
      reader.fail(key, `is not a setting of this project${near ? `; did you mean ${near}?` : "."} See docs/configuration.md.`);
    }
  }
  for (const fullKey of source.otherKeys?.() ?? []) {
    const [namespace, key] = [fullKey.slice(0, fullKey.indexOf(":")), fullKey.slice(fullKey.indexOf(":") + 1)];
    if (nearestName(namespace, [PROJECT]) !== undefined || (Object.hasOwn(CONFIG_KEYS, key) && namespace.toLowerCase().startsWith("cerby"))) {
      reader.fail(
        key,
        `is set as ${quote(fullKey)}, in the namespace ${quote(namespace)}, which this project never reads; did you mean ${PROJECT}:${key}?`,
      );
    }
  }
}

function checkAzureId(value: string): string | undefined {
  return checkGuid(value) ?? checkNotPlaceholder(value);
}

/** Days after a YYYY-MM-DD date, as YYYY-MM-DD (calendar arithmetic, not the clock). */
function addDays(date: string, days: number): string {
  const [year, month, day] = date.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

function readClientSecretDates(
  reader: Reader,
  adopting: boolean,
): Pick<AzureConfig, "clientSecretStartDate" | "clientSecretLifetimeDays" | "cerbyClientSecretConfirmedStartDate"> {
  // Adoption keeps the secret Cerby holds: a start date then asks for a new one (a rotation).
  const clientSecretStartDate = adopting
    ? (reader.optionalString("clientSecretStartDate", checkIsoDate) ?? "")
    : reader.required("clientSecretStartDate", checkIsoDate, "<today, YYYY-MM-DD>");
  const clientSecretLifetimeDays = reader.integer("clientSecretLifetimeDays", 1, 730);
  const today = reader.today;
  if (clientSecretStartDate !== "" && today !== undefined) {
    const end = addDays(clientSecretStartDate, clientSecretLifetimeDays);
    // A warning, not a refusal: a stack whose secret expired must still be able to rotate it.
    if (end <= today) {
      reader.warn(
        "clientSecretStartDate",
        `${quote(clientSecretStartDate)} with clientSecretLifetimeDays ${clientSecretLifetimeDays}: the client secret EXPIRED on ${end}, ` +
          `so Cerby cannot sign in with it. Set clientSecretStartDate to today's date (${today}) to issue a new secret.`,
      );
    }
  }
  return {
    clientSecretStartDate,
    clientSecretLifetimeDays,
    cerbyClientSecretConfirmedStartDate: readConfirmedStartDate(reader, clientSecretStartDate),
  };
}

/**
 * The problems a disabled integration's keys would cause once it is enabled, as warnings: only
 * for keys the stack sets, since a missing required key is no mistake while nothing reads it.
 */
function disabledIntegrationWarnings(source: ConfigSource, switchKey: string, read: (reader: Reader) => void, checked: Set<string>): ConfigProblem[] {
  const reader = new Reader(source);
  read(reader);
  reader.read.forEach((key) => checked.add(key));
  return reader.problems
    .filter((problem) => (source.get(problem.key) ?? "") !== "")
    .map((problem) => ({ key: problem.key, message: `${problem.message} (Unused while ${switchKey} is false; fix it before you set ${switchKey} to true.)` }));
}

/** A config's verdict: the config when it is valid, every problem, and every warning. */
export interface ConfigCheck {
  config?: StackConfig;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

/** Reads and validates the whole stack config, collecting every problem and warning. */
export function checkConfig(source: ConfigSource): ConfigCheck {
  const reader = new Reader(source);
  checkUnknownKeys(reader, source);
  if (!reader.boolean("adoptExisting")) {
    refuseAdoptionKeysWithoutSwitch(reader, source);
  }
  const cerby: CerbyConfig = {
    workspace: reader.required("cerbyWorkspace", checkDnsLabel, "acme"),
    apiUrl: reader.optionalString("cerbyApiUrl", checkCerbyApiUrl),
    registration: reader.oneOf("cerbyRegistration", REGISTRATION_MODES),
    registrationWaitMinutes: reader.integer("cerbyRegistrationWaitMinutes", 0, MAX_REGISTRATION_WAIT_MINUTES),
  };
  if (cerby.apiUrl !== undefined && cerby.workspace !== "") {
    const problem = checkCerbyApiUrlWorkspace(cerby.apiUrl, cerby.workspace);
    if (problem) {
      reader.fail("cerbyApiUrl", `${problem}.`);
    }
  }
  const reported = reader.problems.length;
  const azureEnabled = reader.boolean("azureEnabled");
  const awsEnabled = reader.boolean("awsEnabled");
  // A switch that is not a boolean is already reported; "both off" would only blame its fallback.
  if (!azureEnabled && !awsEnabled && reader.problems.length === reported) {
    reader.fail("awsEnabled", "and azureEnabled are both false, so this stack would create nothing; set azureEnabled, awsEnabled or both to true.");
  }
  const azure = azureEnabled ? readAzure(reader) : undefined;
  const aws = awsEnabled ? readAws(reader) : undefined;
  const alerts = readAlerts(reader, azureEnabled, awsEnabled);
  if (azure?.cerbyVaultSetAsDefault && aws?.cerbyVaultSetAsDefault) {
    reader.fail(
      "cerbyAwsVaultSetAsDefault",
      "and cerbyAzureVaultSetAsDefault are both true, but a Cerby workspace has one default vault; set one of them to false.",
    );
  }
  const checked = new Set(reader.read);
  const unused = [
    ...(azureEnabled ? [] : disabledIntegrationWarnings(source, "azureEnabled", readAzure, checked)),
    ...(awsEnabled ? [] : disabledIntegrationWarnings(source, "awsEnabled", readAws, checked)),
  ];
  // tags belongs to both integrations: a problem the enabled one reports is not repeated as a warning.
  const warnings = [...reader.warnings, ...unused.filter((warning) => !reader.problems.some((problem) => problem.key === warning.key))];
  // Keys no reader looked at (a key added to CONFIG_KEYS and read elsewhere) still get their type checked.
  for (const key of Object.keys(CONFIG_KEYS)) {
    if (!checked.has(key) && !CONFIG_KEYS[key].secret) {
      reader.raw(key);
    }
  }
  const problems = reader.problems;
  return problems.length > 0 ? { problems, warnings } : { config: { cerby, alerts, azure, aws }, problems, warnings };
}

/** A problem or warning as one line: the project-qualified key, then the message. */
export function describeProblem(problem: ConfigProblem): string {
  return `${PROJECT}:${problem.key} ${problem.message}`;
}

/**
 * Reads and validates the whole stack config: reports each warning through `warn` (at `pulumi up`,
 * the engine's warning log) and throws one ConfigError listing every problem.
 */
export function parseConfig(source: ConfigSource, warn: (message: string) => void = (message) => void pulumi.log.warn(message)): StackConfig {
  const { config, problems, warnings } = checkConfig(source);
  warnings.forEach((warning) => warn(describeProblem(warning)));
  if (config === undefined) {
    throw invalidConfigError(problems);
  }
  return config;
}

/** The Cerby API base URL of the stack, normalized (https://acme.cerby.com → https://acme.cerby.com/api/v1). */
export function cerbyApiBaseUrl(cerby: Pick<CerbyConfig, "workspace" | "apiUrl">): string {
  return (cerby.apiUrl === undefined ? undefined : normalizeCerbyApiUrl(cerby.apiUrl)) ?? workspaceApiUrl(cerby.workspace);
}
