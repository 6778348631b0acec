import type * as pulumi from "@pulumi/pulumi";
import type { MockCloud } from "../../tools/mock-runtime";
import { SIGNED_IN, azureCloud } from "./azure-cloud";

/** Names and IDs of a setup made by hand following Cerby's "Azure External Keys" article. */
export const MANUAL = {
  resourceGroupName: "rg-security",
  vaultName: "kv-acme-cerby",
  keyName: "cerby-key",
  clientId: "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
  applicationObjectId: "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
  servicePrincipalObjectId: "cccccccc-cccc-4ccc-8ccc-cccccccccccc",
  roleAssignmentName: "dddddddd-dddd-4ddd-8ddd-dddddddddddd",
};

const subscription = `/subscriptions/${SIGNED_IN.subscriptionId}`;
export const MANUAL_VAULT_ID = `${subscription}/resourceGroups/${MANUAL.resourceGroupName}/providers/Microsoft.KeyVault/vaults/${MANUAL.vaultName}`;
export const MANUAL_KEY_ID = `${MANUAL_VAULT_ID}/keys/${MANUAL.keyName}`;
export const MANUAL_ROLE_ASSIGNMENT_ID = `${MANUAL_VAULT_ID}/providers/Microsoft.Authorization/roleAssignments/${MANUAL.roleAssignmentName}`;
/** Azure's built-in Key Vault Crypto User role, as the article assigns it. */
export const CRYPTO_USER_ROLE_ID = `${subscription}/providers/Microsoft.Authorization/roleDefinitions/12338af0-0e69-4776-bea7-57ae8d297424`;

/** The stack config that adopts the manual setup. */
export const ADOPT_CONFIG: Record<string, unknown> = {
  adoptExisting: true,
  clientSecretStartDate: undefined,
  existingApplicationClientId: MANUAL.clientId,
  existingRoleAssignmentId: MANUAL_ROLE_ASSIGNMENT_ID,
  keyVaultName: MANUAL.vaultName,
  resourceGroupName: MANUAL.resourceGroupName,
  createResourceGroup: false,
  keyName: MANUAL.keyName,
};

export interface ManualAzureOptions {
  /** The key's size in bits (the article says 4096). */
  keySize?: number;
  /** The vault's permission model (the article says Azure RBAC). */
  rbac?: boolean;
  /** Whether the role assignment named in config exists. */
  roleAssignment?: boolean;
}

/** What the get functions answer for the manual setup, as Azure and Entra ID would. */
export function manualAzureState(options: ManualAzureOptions = {}): Record<string, Record<string, unknown>> {
  return {
    "azure-native:keyvault:getVault": {
      id: MANUAL_VAULT_ID,
      name: MANUAL.vaultName,
      type: "Microsoft.KeyVault/vaults",
      location: "westeurope",
      tags: {},
      properties: {
        tenantId: SIGNED_IN.tenantId,
        sku: { family: "A", name: "standard" },
        accessPolicies: [],
        enableRbacAuthorization: options.rbac ?? true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: 7,
        enabledForDeployment: false,
        enabledForDiskEncryption: false,
        enabledForTemplateDeployment: false,
        publicNetworkAccess: "Enabled",
        networkAcls: { bypass: "AzureServices", defaultAction: "Allow", ipRules: [], virtualNetworkRules: [] },
        vaultUri: `https://${MANUAL.vaultName}.vault.azure.net/`,
        provisioningState: "Succeeded",
      },
    },
    "azure-native:keyvault:getKey": {
      id: MANUAL_KEY_ID,
      name: MANUAL.keyName,
      kty: "RSA",
      keySize: options.keySize ?? 4096,
      keyOps: ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"],
      attributes: { enabled: true, exportable: false, recoveryLevel: "Recoverable+ProtectedSubscription", created: 1764000000, updated: 1764000000 },
      keyUri: `https://${MANUAL.vaultName}.vault.azure.net/keys/${MANUAL.keyName}`,
      keyUriWithVersion: `https://${MANUAL.vaultName}.vault.azure.net/keys/${MANUAL.keyName}/fedcba9876543210fedcba9876543210`,
      tags: {},
    },
    "azuread:index/getApplication:getApplication": {
      id: `/applications/${MANUAL.applicationObjectId}`,
      objectId: MANUAL.applicationObjectId,
      clientId: MANUAL.clientId,
      displayName: "Cerby",
      signInAudience: "AzureADMyOrg",
      description: "",
      notes: "",
      owners: ["eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee"],
      tags: [],
      identifierUris: [],
      serviceManagementReference: "",
    },
    "azuread:index/getServicePrincipal:getServicePrincipal": {
      id: `/servicePrincipals/${MANUAL.servicePrincipalObjectId}`,
      objectId: MANUAL.servicePrincipalObjectId,
      clientId: MANUAL.clientId,
      displayName: "Cerby",
      accountEnabled: true,
      appRoleAssignmentRequired: false,
      description: "",
      notes: "",
      tags: ["WindowsAzureActiveDirectoryIntegratedApp"],
      notificationEmailAddresses: [],
    },
    ...(options.roleAssignment === false
      ? {}
      : {
          "azure-native:authorization:getRoleAssignment": {
            id: MANUAL_ROLE_ASSIGNMENT_ID,
            name: MANUAL.roleAssignmentName,
            scope: MANUAL_VAULT_ID,
            roleDefinitionId: CRYPTO_USER_ROLE_ID,
            principalId: MANUAL.servicePrincipalObjectId,
            principalType: "ServicePrincipal",
          },
        }),
  };
}

/**
 * The fake Azure with a setup made by hand in it: the get functions answer from it, an import gets
 * the existing resource's state (the mock keeps the import ID as the resource ID), and anything
 * else goes to the fake Azure that creates. `calls` records every get function called.
 */
export function manualAzureCloud(options: ManualAzureOptions = {}): MockCloud & { calls: pulumi.runtime.MockCallArgs[] } {
  const state = manualAzureState(options);
  const calls: pulumi.runtime.MockCallArgs[] = [];
  return {
    calls,
    call: (args) => {
      calls.push(args);
      const answer = state[args.token];
      if (answer) {
        return answer;
      }
      if (args.token === "azure-native:authorization:getRoleAssignment") {
        throw new Error("RoleAssignmentNotFound: the role assignment does not exist");
      }
      return azureCloud.call!(args);
    },
    newResource: (args) => {
      if (args.id) {
        const existing = Object.values(state).find((item) => item.id === args.id);
        return { id: args.id, state: existing ? { ...args.inputs, ...existing } : args.inputs };
      }
      return azureCloud.newResource!(args);
    },
  };
}
