/**
 * The roles the program grants, pinned to the values Azure publishes: the built-in role GUIDs and
 * the Key Vault data-action names are literals here, never read from the program's own tables.
 */
import { customRoleName, roleDefinitionGuid } from "../components/azure/roleDefinition";
import { redactSecrets, type RecordedResource } from "../tools/mock-runtime";
import { SIGNED_IN } from "./support/azure-cloud";
import { runProgram, single } from "./support/program";
import { AZURE_TYPES as T } from "./support/resource-types";

const ROLE_DEFINITIONS = `/subscriptions/${SIGNED_IN.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/`;
const VAULT_ID = `/subscriptions/${SIGNED_IN.subscriptionId}/resourceGroups/rg-cerby-external-keys/providers/Microsoft.KeyVault/vaults/kv-cerby-q7x2m9`;
const RESOURCE_GROUP_ID = `/subscriptions/${SIGNED_IN.subscriptionId}/resourceGroups/rg-cerby-external-keys`;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function inputs(resource: RecordedResource): Record<string, any> {
  return redactSecrets(resource.rawInputs) as Record<string, any>;
}

function assignment(resources: RecordedResource[], suffix: "-cerby" | "-deployer"): RecordedResource | undefined {
  return resources.find((resource) => resource.type === T.roleAssignment && resource.name.endsWith(suffix));
}

function definitions(resources: RecordedResource[]): RecordedResource[] {
  return resources.filter((resource) => resource.type === T.roleDefinition);
}

describe("built-in role IDs are the ones Azure publishes", () => {
  test.each([
    ["crypto-user", "12338af0-0e69-4776-bea7-57ae8d297424"],
    ["crypto-officer", "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"],
    ["administrator", "00482a5a-887f-4fb3-b363-3b7fe8e74483"],
  ])("servicePrincipalRole %s assigns role definition %s", async (role, guid) => {
    const { resources } = await runProgram({ servicePrincipalRole: role });
    expect(inputs(assignment(resources, "-cerby")!).roleDefinitionId).toBe(`${ROLE_DEFINITIONS}${guid}`);
  });

  test("deployerRole crypto-officer assigns Key Vault Crypto Officer (14b46e9e-c2b7-41b4-b07b-48a6ebf60603) and defines no role", async () => {
    const { resources } = await runProgram({ deployerRole: "crypto-officer" });
    expect(inputs(assignment(resources, "-deployer")!).roleDefinitionId).toBe(`${ROLE_DEFINITIONS}14b46e9e-c2b7-41b4-b07b-48a6ebf60603`);
    expect(definitions(resources)).toHaveLength(0);
  });
});

describe("deployerRole custom (the default)", () => {
  let resources: RecordedResource[];
  let definition: RecordedResource;

  beforeAll(async () => {
    ({ resources } = await runProgram());
    definition = single(resources, T.roleDefinition);
  });

  test("defines a role with exactly the data actions to create and read keys, and no control-plane action", () => {
    expect(inputs(definition).permissions).toEqual([
      {
        actions: [],
        notActions: [],
        dataActions: ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/create/action"],
        notDataActions: [],
      },
    ]);
    expect(inputs(definition).roleType).toBe("CustomRole");
  });

  test("the role is assignable only in the vault's resource group and is named after the vault", () => {
    const role = inputs(definition);
    expect(role.scope).toBe(RESOURCE_GROUP_ID);
    expect(role.assignableScopes).toEqual([RESOURCE_GROUP_ID]);
    expect(role.roleName).toBe("cerby-external-keys key creator (kv-cerby-q7x2m9)");
    expect(role.roleDefinitionId).toMatch(GUID);
    expect(role.roleDefinitionId).toBe(roleDefinitionGuid(VAULT_ID, "deployer"));
  });

  test("the deployer's grant on the vault uses that role and waits for its definition", () => {
    const grant = assignment(resources, "-deployer")!;
    expect(inputs(grant).roleDefinitionId).toBe(`${ROLE_DEFINITIONS}${inputs(definition).roleDefinitionId}`);
    expect(inputs(grant).scope).toBe(VAULT_ID);
    expect(grant.dependsOn).toContain(definition.urn);
  });

  test("the deployer's role is not protected: switching to crypto-officer may delete it, and Cerby does not use it", () => {
    expect(definition.protect).toBe(false);
  });

  test("grantDeployerAccess false defines no role either", async () => {
    const { resources: without } = await runProgram({ grantDeployerAccess: false });
    expect(definitions(without)).toHaveLength(0);
  });
});

describe("servicePrincipalRole minimal", () => {
  let resources: RecordedResource[];
  let minimal: RecordedResource;

  beforeAll(async () => {
    ({ resources } = await runProgram({ servicePrincipalRole: "minimal", deployerRole: "crypto-officer" }));
    minimal = single(resources, T.roleDefinition);
  });

  test("defines a role with exactly read, wrap, unwrap, encrypt and decrypt: no update, backup, delete or sign", () => {
    expect(inputs(minimal).permissions).toEqual([
      {
        actions: [],
        notActions: [],
        dataActions: [
          "Microsoft.KeyVault/vaults/keys/read",
          "Microsoft.KeyVault/vaults/keys/wrap/action",
          "Microsoft.KeyVault/vaults/keys/unwrap/action",
          "Microsoft.KeyVault/vaults/keys/encrypt/action",
          "Microsoft.KeyVault/vaults/keys/decrypt/action",
        ],
        notDataActions: [],
      },
    ]);
  });

  test("Cerby's service principal gets that role on the key, after the definition exists", () => {
    const cerby = assignment(resources, "-cerby")!;
    expect(inputs(cerby)).toMatchObject({
      roleDefinitionId: `${ROLE_DEFINITIONS}${roleDefinitionGuid(VAULT_ID, "minimal")}`,
      scope: `${VAULT_ID}/keys/cerby-external-key`,
      description: "cerby-external-keys key user (kv-cerby-q7x2m9) for Cerby's service principal (cerby-external-keys).",
    });
    expect(cerby.dependsOn).toContain(minimal.urn);
  });

  test("the definition is protected, since Cerby's access depends on it, and assignable only in the resource group", () => {
    expect(minimal.protect).toBe(true);
    expect(inputs(minimal).assignableScopes).toEqual([RESOURCE_GROUP_ID]);
    expect(inputs(minimal).roleName).toBe("cerby-external-keys key user (kv-cerby-q7x2m9)");
  });

  test("with both custom roles, each has its own GUID and name", async () => {
    const { resources: both } = await runProgram({ servicePrincipalRole: "minimal" });
    const roles = definitions(both).map(inputs);
    expect(roles).toHaveLength(2);
    expect(new Set(roles.map((role) => role.roleDefinitionId)).size).toBe(2);
    expect(new Set(roles.map((role) => role.roleName)).size).toBe(2);
  });
});

describe("roleDefinitionGuid and customRoleName", () => {
  test("the same vault and role give the same GUID, whatever the ID's case; another vault or role another GUID", () => {
    const base = roleDefinitionGuid(VAULT_ID, "minimal");
    expect(base).toMatch(GUID);
    expect(roleDefinitionGuid(VAULT_ID.toUpperCase(), "minimal")).toBe(base);
    expect(new Set([base, roleDefinitionGuid(VAULT_ID, "deployer"), roleDefinitionGuid(`${VAULT_ID}2`, "minimal")]).size).toBe(3);
  });

  test("names differ by vault, since Azure wants a role name unique in the tenant", () => {
    expect(customRoleName("kv-a", "minimal")).not.toBe(customRoleName("kv-b", "minimal"));
  });
});
