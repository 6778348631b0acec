/** Pulumi type tokens of the Azure integration's resources, as the engine receives them. */
export const AZURE_TYPES = {
  resourceGroup: "azure-native:resources:ResourceGroup",
  vault: "azure-native:keyvault:Vault",
  key: "azure-native:keyvault:Key",
  lock: "azure-native:authorization:ManagementLockByScope",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  roleDefinition: "azure-native:authorization:RoleDefinition",
  application: "azuread:index/application:Application",
  servicePrincipal: "azuread:index/servicePrincipal:ServicePrincipal",
  password: "azuread:index/applicationPassword:ApplicationPassword",
  randomName: "random:index/randomString:RandomString",
  readiness: "pulumi-nodejs:dynamic/azure:DataPlaneReadiness",
  keyPreflight: "pulumi-nodejs:dynamic/azure:KeyPreflight",
  cerbyVault: "pulumi-nodejs:dynamic/cerby:Vault",
  keyContinuity: "pulumi-nodejs:dynamic/cerby:KeyContinuity",
} as const;
