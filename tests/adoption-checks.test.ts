import { parseConfig } from "../components/config";
import { azureDifferences, azureRefusals, keyVaultRoleOf, scopeCovers, type ExistingAzure } from "../components/azure/existing";
import { trustsCerby } from "../components/aws/existing";
import { configSource } from "./support/config-source";
import { MANUAL, MANUAL_KEY_ID, MANUAL_VAULT_ID, manualAzureState } from "./support/manual-azure";

const CERBY = "arn:aws:iam::749452252575:role/production-kms-byo-key-access-role";
const WORKSPACE = "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b";
const TRUST = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: CERBY }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": WORKSPACE } } }],
};

function existing(roleDefinitionGuid: string, scope = MANUAL_VAULT_ID): ExistingAzure {
  const state = manualAzureState() as Record<string, any>;
  const vault = state["azure-native:keyvault:getVault"];
  const key = state["azure-native:keyvault:getKey"];
  return {
    vault: { id: vault.id, name: vault.name, location: vault.location, tags: {}, properties: vault.properties },
    key: { id: key.id, name: key.name, kty: key.kty, keySize: key.keySize, keyOps: key.keyOps, enabled: true, tags: {}, keyUri: key.keyUri, keyUriWithVersion: key.keyUriWithVersion },
    application: { objectId: MANUAL.applicationObjectId, clientId: MANUAL.clientId, inputs: {} },
    servicePrincipal: { objectId: MANUAL.servicePrincipalObjectId, inputs: {} },
    roleAssignment: {
      id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${MANUAL.roleAssignmentName}`,
      name: MANUAL.roleAssignmentName,
      scope,
      roleDefinitionId: `/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitionGuid}`,
      principalId: MANUAL.servicePrincipalObjectId,
    },
  };
}

const azure = () => {
  const config = parseConfig(configSource({ cerbyWorkspace: "acme", adoptExisting: true, existingApplicationClientId: MANUAL.clientId, keyVaultName: MANUAL.vaultName, createResourceGroup: false }));
  return config.azure as Parameters<typeof azureDifferences>[1];
};

test("Azure's built-in Key Vault roles are recognized by their GUIDs, whatever the subscription", () => {
  expect(keyVaultRoleOf("/subscriptions/a/providers/Microsoft.Authorization/roleDefinitions/12338af0-0e69-4776-bea7-57ae8d297424")).toBe("crypto-user");
  expect(keyVaultRoleOf("/subscriptions/b/providers/Microsoft.Authorization/roleDefinitions/00482A5A-887F-4FB3-B363-3B7FE8E74483")).toBe("administrator");
  expect(keyVaultRoleOf("/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7")).toBeUndefined();
});

test("a scope covers itself and what is under it, not a sibling with a longer name", () => {
  expect(scopeCovers(MANUAL_VAULT_ID, MANUAL_KEY_ID)).toBe(true);
  expect(scopeCovers(MANUAL_KEY_ID.toUpperCase(), MANUAL_KEY_ID)).toBe(true);
  expect(scopeCovers(MANUAL_VAULT_ID, `${MANUAL_VAULT_ID}2/keys/${MANUAL.keyName}`)).toBe(false);
});

test("Key Vault Administrator is warned about as wider than needed, naming the setting that narrows it", () => {
  const lines = azureDifferences(existing("00482a5a-887f-4fb3-b363-3b7fe8e74483"), azure());
  expect(lines).toContainEqual(expect.stringMatching(/grants Key Vault Administrator, more than the Key Vault Crypto User it needs; kept as it is\. .*add role to adoptApplyDefaults/));
});

test("Crypto User on the key itself raises no role warning", () => {
  const lines = azureDifferences(existing("12338af0-0e69-4776-bea7-57ae8d297424", MANUAL_KEY_ID), azure());
  expect(lines.filter((line) => line.includes("role assignment"))).toEqual([]);
});

test("a role assignment of another principal, or outside the key, is refused", () => {
  const other = existing("12338af0-0e69-4776-bea7-57ae8d297424", "/subscriptions/x/resourceGroups/other");
  other.roleAssignment!.principalId = "ffffffff-ffff-4fff-8fff-ffffffffffff";
  const refusals = azureRefusals(other);
  expect(refusals).toEqual([expect.stringContaining("is for principal ffffffff"), expect.stringContaining("which does not contain key")]);
});

test("the trust check accepts Cerby's policy as IAM returns it, URL-encoded or not, and nothing looser or for another workspace", () => {
  expect(trustsCerby(JSON.stringify(TRUST), CERBY, WORKSPACE)).toBe(true);
  expect(trustsCerby(encodeURIComponent(JSON.stringify(TRUST)), CERBY, WORKSPACE)).toBe(true);
  expect(trustsCerby(JSON.stringify(TRUST), CERBY, "00000000-0000-4000-8000-000000000000")).toBe(false);
  const noCondition = { ...TRUST, Statement: [{ ...TRUST.Statement[0], Condition: undefined }] };
  expect(trustsCerby(JSON.stringify(noCondition), CERBY, WORKSPACE)).toBe(false);
  expect(trustsCerby("not json", CERBY, WORKSPACE)).toBe(false);
});
