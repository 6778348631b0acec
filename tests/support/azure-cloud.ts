import type { MockCloud } from "../../tools/mock-runtime";

/** Identities the fake Azure answers with. */
export const SIGNED_IN = {
  tenantId: "11111111-1111-4111-8111-111111111111",
  subscriptionId: "22222222-2222-4222-8222-222222222222",
  objectId: "33333333-3333-4333-8333-333333333333",
  clientId: "44444444-4444-4444-8444-444444444444",
};

export const APP_CLIENT_ID = "55555555-5555-4555-8555-555555555555";
export const SERVICE_PRINCIPAL_OBJECT_ID = "66666666-6666-4666-8666-666666666666";
/** The client secret the fake Entra ID mints; no plaintext copy of it may reach state. */
export const CLIENT_SECRET = "fake-client-secret~value.ShouldNeverLeak_1234567890";

const subscription = `/subscriptions/${SIGNED_IN.subscriptionId}`;

/**
 * A fake Azure and Entra ID that answers the program's resources and invokes with the values the
 * real services compute (IDs, URIs, the client secret), deterministically.
 */
export const azureCloud: MockCloud = {
  newResource: ({ type, name, inputs }) => {
    switch (type) {
      case "azure-native:resources:ResourceGroup":
        return { id: `${subscription}/resourceGroups/${inputs.resourceGroupName}`, state: { name: inputs.resourceGroupName } };
      case "azure-native:keyvault:Vault": {
        const id = `${subscription}/resourceGroups/${inputs.resourceGroupName}/providers/Microsoft.KeyVault/vaults/${inputs.vaultName}`;
        return {
          id,
          state: { name: inputs.vaultName, properties: { ...inputs.properties, vaultUri: `https://${inputs.vaultName}.vault.azure.net/` } },
        };
      }
      case "azure-native:keyvault:Key": {
        const uri = `https://${inputs.vaultName}.vault.azure.net/keys/${inputs.keyName}`;
        return {
          id: `${subscription}/resourceGroups/${inputs.resourceGroupName}/providers/Microsoft.KeyVault/vaults/${inputs.vaultName}/keys/${inputs.keyName}`,
          state: { name: inputs.keyName, keyUri: uri, keyUriWithVersion: `${uri}/0123456789abcdef0123456789abcdef` },
        };
      }
      case "azure-native:authorization:RoleAssignment":
        return { id: `${inputs.scope}/providers/Microsoft.Authorization/roleAssignments/${inputs.roleAssignmentName}` };
      case "azure-native:authorization:RoleDefinition":
        return { id: `${subscription}/providers/Microsoft.Authorization/roleDefinitions/${inputs.roleDefinitionId}`, state: { name: inputs.roleDefinitionId } };
      case "azure-native:authorization:ManagementLockByScope":
        return { id: `${inputs.scope}/providers/Microsoft.Authorization/locks/${inputs.lockName}` };
      case "azuread:index/application:Application":
        return { id: `/applications/${name}-object-id`, state: { clientId: APP_CLIENT_ID, objectId: `${name}-object-id` } };
      case "azuread:index/servicePrincipal:ServicePrincipal":
        return { id: `/servicePrincipals/${SERVICE_PRINCIPAL_OBJECT_ID}`, state: { objectId: SERVICE_PRINCIPAL_OBJECT_ID } };
      case "azuread:index/applicationPassword:ApplicationPassword":
        return { id: `${inputs.applicationId}/password/key-id`, state: { value: CLIENT_SECRET, keyId: "77777777-7777-4777-8777-777777777777" } };
      case "pulumi-nodejs:dynamic/cerby:Vault":
        return { id: `cerby-${inputs.scheme}-vault`, state: { vaultId: `cerby-${inputs.scheme}-vault`, state: "enabled", isDefault: inputs.setAsDefault } };
      case "random:index/randomString:RandomString":
        return { state: { result: "q7x2m9" } };
      default:
        return undefined;
    }
  },
  call: ({ token, inputs }) => {
    switch (token) {
      case "azure-native:authorization:getClientConfig":
        return { ...SIGNED_IN };
      case "azure-native:resources:getResourceGroup":
        return { id: `${subscription}/resourceGroups/${inputs.resourceGroupName}`, name: inputs.resourceGroupName, location: "eastus" };
      default:
        throw new Error(`the fake Azure does not answer ${token}`);
    }
  },
};
