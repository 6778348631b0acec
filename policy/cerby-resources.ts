import { UnknownValueError } from "@pulumi/policy";

/**
 * Which resources of a stack Cerby uses. A resource is Cerby's when it is of this project's own
 * types, when it sits inside one of this project's components (its URN names the parent types),
 * or when it carries this project's tag. The pack sees only what the engine sends (type, URN,
 * properties, options), so this works for a stack in any Pulumi language.
 */

/** The package's name, which is also the namespace of the type tokens of the coming release. */
export const PACKAGE = "cerby-external-keys";

/**
 * The tag this project puts on every key it creates for Cerby (today the AWS KMS key and its
 * replica; components/aws/kmsKey.ts), so that a copy of the resource in another stack, such as one
 * `pulumi import` wrote, is recognised too.
 */
export const PROJECT_TAG = { key: "cerby-external-keys", value: "cerby-key" } as const;

/** One of this project's own resource types, as release 0.4 names it and as the package will. */
export interface OwnType {
  /** The type token release 0.4 registers. */
  token: string;
  /**
   * The resource's name in the coming Pulumi package, whose tokens are `cerby-external-keys:<module>:<name>`
   * (the module is not decided yet, so any module matches).
   */
  packageName: string;
  /** Cerby depends on it: it must keep `protect`. */
  protect: boolean;
  /** What it is, for messages. */
  what: string;
}

/**
 * THE table of this project's own type tokens. Release 0.4's components are plain component
 * resources and its four resources are dynamic resources (`pulumi-nodejs:dynamic/<module>:<type>`,
 * with the provider's code in `__provider`); the coming release serves them from the package's own
 * provider, with tokens in the `cerby-external-keys:` namespace. The pack recognises both.
 */
export const OWN_TYPES: readonly OwnType[] = [
  { token: "cerby:azure:KeyVaultIntegration", packageName: "AzureKeyVaultIntegration", protect: false, what: "the Azure Key Vault integration" },
  { token: "cerby:azure:Application", packageName: "CerbyApplication", protect: false, what: "Cerby's Entra application" },
  { token: "cerby:azure:KeyVault", packageName: "CerbyKeyVault", protect: false, what: "Cerby's Key Vault" },
  { token: "cerby:azure:Key", packageName: "CerbyKey", protect: false, what: "Cerby's Key Vault key" },
  { token: "cerby:azure:CustomRole", packageName: "CustomRole", protect: false, what: "a custom Azure role" },
  { token: "cerby:azure:RoleAssignment", packageName: "RoleAssignment", protect: false, what: "a role assignment on the vault" },
  { token: "cerby:azure:VaultDeleteLock", packageName: "VaultDeleteLock", protect: false, what: "the vault's delete lock" },
  { token: "cerby:azure:KeyVaultMonitoring", packageName: "KeyVaultMonitoring", protect: false, what: "the vault's monitoring" },
  { token: "cerby:azure:KeyVaultAuditLogs", packageName: "KeyVaultAuditLogs", protect: false, what: "the vault's audit logs" },
  { token: "cerby:azure:AlertActionGroup", packageName: "AlertActionGroup", protect: false, what: "the alerts' action group" },
  { token: "cerby:azure:KeyVaultTamperAlerts", packageName: "KeyVaultTamperAlerts", protect: false, what: "the vault's tamper alerts" },
  { token: "cerby:azure:KeyVaultKeyEvents", packageName: "KeyVaultKeyEvents", protect: false, what: "the key's Event Grid alerts" },
  { token: "cerby:aws:KmsIntegration", packageName: "AwsKmsIntegration", protect: false, what: "the AWS KMS integration" },
  { token: "cerby:aws:KmsKey", packageName: "CerbyKmsKey", protect: false, what: "Cerby's KMS key" },
  { token: "cerby:aws:KmsReplicaKey", packageName: "CerbyKmsReplicaKey", protect: false, what: "Cerby's KMS replica key" },
  { token: "cerby:aws:AccessRole", packageName: "CerbyAccessRole", protect: false, what: "the IAM role Cerby assumes" },
  { token: "cerby:aws:KmsTamperAlerts", packageName: "KmsTamperAlerts", protect: false, what: "the KMS key's tamper alerts" },
  { token: "pulumi-nodejs:dynamic/cerby:Vault", packageName: "CerbyVault", protect: true, what: "the vault registered in Cerby" },
  { token: "pulumi-nodejs:dynamic/cerby:KeyContinuity", packageName: "KeyContinuityGuard", protect: true, what: "the key-continuity guard" },
  { token: "pulumi-nodejs:dynamic/azure:KeyPreflight", packageName: "AzureKeyPreflight", protect: false, what: "the Azure key preflight" },
  { token: "pulumi-nodejs:dynamic/azure:DataPlaneReadiness", packageName: "DataPlaneReadiness", protect: false, what: "the data-plane readiness wait" },
];

const BY_TOKEN = new Map(OWN_TYPES.map((type) => [type.token, type]));
const BY_PACKAGE_NAME = new Map(OWN_TYPES.map((type) => [type.packageName, type]));

/** The entry of the table a type token is, in either release; undefined for any other type. */
export function ownType(token: string): OwnType | undefined {
  const known = BY_TOKEN.get(token);
  if (known) {
    return known;
  }
  const [namespace, , name] = token.split(":");
  return namespace === PACKAGE && name !== undefined ? BY_PACKAGE_NAME.get(name) : undefined;
}

/** True for a type of this project: one of the table's, or any token in the package's namespace. */
export function isOwnType(token: string): boolean {
  return ownType(token) !== undefined || token.startsWith(`${PACKAGE}:`);
}

/**
 * The types of a resource and of every parent, outermost first, as its URN names them:
 * `urn:pulumi:<stack>::<project>::<parent type>$…$<type>::<name>` (Pulumi's URN format).
 */
export function typeChain(urn: string): string[] {
  const qualifiedType = urn.split("::")[2];
  return qualifiedType ? qualifiedType.split("$") : [];
}

/** The kinds of cloud resource whose loss loses every secret Cerby encrypted. */
export const KEY_RESOURCES: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /^azure-native:keyvault(?:\/v\w+)?:Key$/, what: "Key Vault key" },
  { pattern: /^azure-native:keyvault(?:\/v\w+)?:Vault$/, what: "Key Vault" },
  { pattern: /^aws:kms\/key:Key$/, what: "KMS key" },
  { pattern: /^aws:kms\/replicaKey:ReplicaKey$/, what: "KMS replica key" },
];

/** What a resource type is, when it is one of the key resources. */
export function keyResourceKind(type: string): string | undefined {
  return KEY_RESOURCES.find(({ pattern }) => pattern.test(type))?.what;
}

export const isAzureKey = (type: string): boolean => /^azure-native:keyvault(?:\/v\w+)?:Key$/.test(type);
export const isAzureVault = (type: string): boolean => /^azure-native:keyvault(?:\/v\w+)?:Vault$/.test(type);
export const isKmsKey = (type: string): boolean => type === "aws:kms/key:Key";
export const isKmsReplica = (type: string): boolean => type === "aws:kms/replicaKey:ReplicaKey";

/** A resource as a policy sees it: what both the per-resource and the stack checks are given. */
export interface SeenResource {
  type: string;
  urn: string;
  props: Record<string, unknown>;
}

/**
 * Reads a property without tripping over a value the engine cannot know yet (during a preview the
 * policy SDK throws on reading one): such a value counts as absent here, for identification only.
 */
export function readKnown<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof UnknownValueError) {
      return undefined;
    }
    throw error;
  }
}

/** True when the resource carries this project's tag. */
export function hasProjectTag(resource: SeenResource): boolean {
  const tags = readKnown(() => resource.props.tags as Record<string, unknown> | undefined);
  return typeof tags === "object" && tags !== null && readKnown(() => tags[PROJECT_TAG.key]) === PROJECT_TAG.value;
}

/** True when Cerby uses the resource: it is of this project's types, inside one of its components, or tagged by it. */
export function cerbyUses(resource: SeenResource): boolean {
  return isOwnType(resource.type) || typeChain(resource.urn).some(isOwnType) || hasProjectTag(resource);
}
