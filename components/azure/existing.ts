import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as azuread from "@pulumi/azuread";
import { KEY_SIZE, KEY_VAULT_ROLES, ROLE_ASSIGNMENT_ID, type AzureAdoption, type AzureConfig } from "../config";
import { KEY_OPERATIONS } from "./key";

/**
 * Reads a setup made by hand (Cerby's manual procedure) before anything is declared, so that the
 * adopted resources are declared with exactly the inputs they have: Pulumi refuses an import whose
 * inputs differ. Plain values only; the checks and the warnings are plain functions below.
 */

/** The existing Key Vault, as its get function reports it. */
export interface ExistingVault {
  id: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  properties: keyvault.GetVaultResult["properties"];
}

export interface ExistingKey {
  id: string;
  name: string;
  kty?: string;
  keySize?: number;
  keyOps: string[];
  enabled?: boolean;
  tags: Record<string, string>;
  keyUri: string;
  keyUriWithVersion: string;
}

export interface ExistingApplication {
  objectId: string;
  clientId: string;
  /** What the application resource is declared with: its settable fields that are set. */
  inputs: Record<string, unknown>;
}

export interface ExistingServicePrincipal {
  objectId: string;
  inputs: Record<string, unknown>;
}

export interface ExistingRoleAssignment {
  id: string;
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  principalType?: string;
  description?: string;
  condition?: string;
  conditionVersion?: string;
}

export interface ExistingAzure {
  vault: ExistingVault;
  key: ExistingKey;
  application: ExistingApplication;
  servicePrincipal: ExistingServicePrincipal;
  roleAssignment?: ExistingRoleAssignment;
}

/** A setup Cerby cannot use: the message says why and what to do. */
export class AdoptionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdoptionRefused";
  }
}

/** Keeps the fields that are set: an empty string or list is how the get functions say "unset". */
export function setFields(source: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const name of names) {
    const value = source[name];
    if (value !== undefined && value !== null && value !== "" && !(Array.isArray(value) && value.length === 0)) {
      kept[name] = value;
    }
  }
  return kept;
}

const APPLICATION_FIELDS = ["displayName", "signInAudience", "description", "notes", "owners", "tags", "identifierUris", "serviceManagementReference"] as const;
const SERVICE_PRINCIPAL_FIELDS = ["accountEnabled", "appRoleAssignmentRequired", "description", "notes", "tags", "notificationEmailAddresses"] as const;

/** Reads the application, service principal, vault, key and (when named) role assignment that exist. */
export async function discoverExistingAzure(azure: AzureConfig & { adopt: AzureAdoption; keyVaultName: string }): Promise<ExistingAzure> {
  const clientId = azure.adopt.applicationClientId;
  const where = { resourceGroupName: azure.resourceGroupName, vaultName: azure.keyVaultName };
  const [vault, key, application, servicePrincipal] = await Promise.all([
    keyvault.getVault(where),
    keyvault.getKey({ ...where, keyName: azure.keyName }),
    azuread.getApplication({ clientId }),
    azuread.getServicePrincipal({ clientId }),
  ]);
  const existing: ExistingAzure = {
    vault: { id: vault.id, name: vault.name, location: vault.location ?? azure.location, tags: vault.tags ?? {}, properties: vault.properties },
    key: {
      id: key.id,
      name: key.name,
      kty: key.kty,
      keySize: key.keySize,
      keyOps: key.keyOps ?? [],
      enabled: key.attributes?.enabled,
      tags: key.tags ?? {},
      keyUri: key.keyUri,
      keyUriWithVersion: key.keyUriWithVersion,
    },
    application: {
      objectId: application.objectId,
      clientId: application.clientId,
      inputs: setFields(application as unknown as Record<string, unknown>, APPLICATION_FIELDS),
    },
    servicePrincipal: {
      objectId: servicePrincipal.objectId,
      inputs: { clientId, ...setFields(servicePrincipal as unknown as Record<string, unknown>, SERVICE_PRINCIPAL_FIELDS) },
    },
  };
  if (azure.adopt.roleAssignmentId) {
    const [, scope, roleAssignmentName] = ROLE_ASSIGNMENT_ID.exec(azure.adopt.roleAssignmentId) ?? [];
    const assignment = await authorization.getRoleAssignment({ scope, roleAssignmentName });
    existing.roleAssignment = {
      id: assignment.id,
      name: assignment.name,
      scope: assignment.scope,
      roleDefinitionId: assignment.roleDefinitionId,
      principalId: assignment.principalId,
      principalType: assignment.principalType,
      description: assignment.description,
      condition: assignment.condition,
      conditionVersion: assignment.conditionVersion,
    };
  }
  return existing;
}

/** The built-in Key Vault role a role definition ID names, if any. */
export function keyVaultRoleOf(roleDefinitionId: string): keyof typeof KEY_VAULT_ROLES | undefined {
  const guid = roleDefinitionId.slice(roleDefinitionId.lastIndexOf("/") + 1).toLowerCase();
  return (Object.keys(KEY_VAULT_ROLES) as (keyof typeof KEY_VAULT_ROLES)[]).find((role) => KEY_VAULT_ROLES[role].id === guid);
}

/** Whether an ARM scope contains the resource `id` (the same resource or one of its parents). */
export function scopeCovers(scope: string, id: string): boolean {
  const [outer, inner] = [scope.toLowerCase().replace(/\/+$/, ""), id.toLowerCase()];
  return inner === outer || inner.startsWith(`${outer}/`);
}

/**
 * What Cerby cannot use, one sentence each: the run stops before anything is declared. Cerby needs
 * an RSA 4096 key it may wrap and unwrap with, in a vault that uses Azure RBAC.
 */
export function azureRefusals(existing: ExistingAzure): string[] {
  const { vault, key, servicePrincipal, roleAssignment } = existing;
  const refusals: string[] = [];
  if (vault.properties.enableRbacAuthorization !== true) {
    refusals.push(
      `Key Vault ${vault.name} uses the access-policy permission model, but Cerby's setup requires Azure RBAC (the service principal gets its access by a role assignment). ` +
        "Switch the vault to Azure RBAC first (portal: Key Vault → Access configuration → Azure role-based access control; give the people and apps that use it RBAC roles), then run pulumi up again.",
    );
  }
  if ((key.kty !== "RSA" && key.kty !== "RSA-HSM") || key.keySize !== KEY_SIZE) {
    refusals.push(
      `Key ${key.name} in ${vault.name} is ${key.kty ?? "of unknown type"} ${key.keySize ?? "of unknown size"}${key.keySize ? " bits" : ""}, but Cerby accepts only RSA ${KEY_SIZE}-bit keys, and a key's type and size never change. ` +
        `If Cerby has not encrypted anything with it yet, create an RSA ${KEY_SIZE} key and set keyName to it; otherwise keep using it by hand, as this program cannot manage it for Cerby.`,
    );
  }
  const missingOps = KEY_OPERATIONS.filter((operation) => !key.keyOps.includes(operation));
  if (missingOps.length > 0) {
    refusals.push(`Key ${key.name} does not allow ${missingOps.join(", ")}, which Cerby performs; allow them (az keyvault key set-attributes --ops ${KEY_OPERATIONS.join(" ")}) and run pulumi up again.`);
  }
  if (key.enabled === false) {
    refusals.push(`Key ${key.name} is disabled, so Cerby cannot use it; enable it (az keyvault key set-attributes --enabled true) and run pulumi up again.`);
  }
  if (roleAssignment) {
    if (roleAssignment.principalId.toLowerCase() !== servicePrincipal.objectId.toLowerCase()) {
      refusals.push(
        `Role assignment ${roleAssignment.id} (existingRoleAssignmentId) is for principal ${roleAssignment.principalId}, not the service principal of existingApplicationClientId (${servicePrincipal.objectId}); name that principal's assignment, or unset existingRoleAssignmentId to have one created.`,
      );
    }
    if (!scopeCovers(roleAssignment.scope, key.id)) {
      refusals.push(`Role assignment ${roleAssignment.id} (existingRoleAssignmentId) is at ${roleAssignment.scope}, which does not contain key ${key.id}; name the assignment that grants the key, or unset existingRoleAssignmentId to have one created.`);
    }
  }
  return refusals;
}

const APPLY = (name: string) => `add ${name} to adoptApplyDefaults (\`pulumi config set --path 'adoptApplyDefaults[N]' ${name}\`)`;

/**
 * Where what exists differs from this project's secure defaults, one line each: the first run keeps
 * it as it is, and the line names the config change that applies the default on a later run.
 */
export function azureDifferences(existing: ExistingAzure, azure: AzureConfig & { adopt: AzureAdoption }): string[] {
  const { vault, roleAssignment } = existing;
  const applied = new Set(azure.adopt.applyDefaults);
  const lines: string[] = [];
  const properties = vault.properties;
  const retention = properties.softDeleteRetentionInDays;
  if (typeof retention === "number" && retention < azure.softDeleteRetentionDays) {
    lines.push(`Key Vault ${vault.name} keeps deleted vaults ${retention} days, not ${azure.softDeleteRetentionDays}; kept as it is: Azure fixes it when a vault is created, so no setting can change it.`);
  }
  // Azure leaves the flag out when it is off.
  if ((properties.enablePurgeProtection === false || properties.enablePurgeProtection === undefined) && !applied.has("purgeProtection")) {
    lines.push(`Key Vault ${vault.name} has purge protection off; kept as it is. To turn it on (Azure never lets it be turned off again), ${APPLY("purgeProtection")}.`);
  }
  if (azure.deleteLock && !applied.has("deleteLock")) {
    lines.push(`Key Vault ${vault.name} gets no CanNotDelete lock from this stack (a lock made by hand stays as it is). To add it, ${APPLY("deleteLock")}.`);
  }
  const acls = properties.networkAcls;
  if (!applied.has("network") && properties.publicNetworkAccess !== "Disabled" && (acls === undefined || acls.defaultAction === undefined || acls.defaultAction === "Allow")) {
    lines.push(
      `Key Vault ${vault.name} accepts connections from any network (public access, network default action Allow); kept as it is. To restrict it, set networkDefaultAction Deny and networkAllowedIpRanges (with Cerby's egress addresses), and ${APPLY("network")}.`,
    );
  }
  const missingTags = Object.entries(azure.tags).filter(([name, value]) => vault.tags[name] !== value).map(([name]) => name);
  if (missingTags.length > 0 && !applied.has("tags")) {
    lines.push(`Key Vault ${vault.name} lacks the tags ${missingTags.join(", ")} from config; kept as it is. To add them, ${APPLY("tags")}.`);
  }
  if (roleAssignment && !applied.has("role")) {
    const role = keyVaultRoleOf(roleAssignment.roleDefinitionId);
    const wanted = azure.servicePrincipalRole === "minimal" ? "the minimal custom role" : KEY_VAULT_ROLES[azure.servicePrincipalRole].displayName;
    const atKey = roleAssignment.scope.toLowerCase() === existing.key.id.toLowerCase();
    const narrow = `To narrow it to ${wanted} on the ${azure.roleScope}, ${APPLY("role")} (docs/operations.md, "Adopting a setup made by hand": afterwards).`;
    if (role === undefined && /\/roleDefinitions\//i.test(roleAssignment.roleDefinitionId)) {
      lines.push(`Cerby's role assignment ${roleAssignment.id} grants role ${roleAssignment.roleDefinitionId}, not a built-in Key Vault role; kept as it is (the preflight proves whether it lets Cerby use the key). ${narrow}`);
    } else if (role !== undefined && role !== azure.servicePrincipalRole) {
      lines.push(`Cerby's role assignment grants ${KEY_VAULT_ROLES[role].displayName}, more than the ${wanted} it needs; kept as it is. ${narrow}`);
    }
    if (!atKey && azure.roleScope === "key") {
      lines.push(`Cerby's role assignment is at ${roleAssignment.scope}, which grants every key there, not only ${existing.key.name}; kept as it is. ${narrow}`);
    }
  }
  return lines;
}
