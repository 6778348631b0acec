import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { UNKNOWN_TEXT, type Plan } from "../tools/plan";
import { runPlanCli } from "../tools/plan-cli";

const ROOT = path.resolve(__dirname, "..");
const ROLE_ASSIGNMENT_ID =
  "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/kv-acme-cerby/providers/Microsoft.Authorization/roleAssignments/dddddddd-dddd-4ddd-8ddd-dddddddddddd";

async function plan(format: string): Promise<{ code: number; stdout: string }> {
  let stdout = "";
  const spy = jest.spyOn(pulumi.log, "warn").mockImplementation(async () => undefined);
  try {
    const code = await runPlanCli(["--config-file", "tests/fixtures/plan-adopt.yaml", "--format", format], {
      stdout: (text) => (stdout += `${text}\n`),
      stderr: () => undefined,
      cwd: ROOT,
      projectDir: ROOT,
    });
    return { code, stdout };
  } finally {
    spy.mockRestore();
  }
}

describe("npm run plan for a stack that adopts a setup made by hand", () => {
  let json: Plan;

  beforeAll(async () => {
    const result = await plan("json");
    expect(result.code).toBe(0);
    json = JSON.parse(result.stdout) as Plan;
  }, 120_000);

  test("shows each imported resource with its import ID", () => {
    const imports = Object.fromEntries(json.resources.filter((resource) => resource.importId).map((resource) => [`${resource.type}::${resource.name}`, resource.importId]));
    expect(imports).toEqual({
      "azuread:index/application:Application::cerby-azure-app": `/applications/${UNKNOWN_TEXT}`,
      "azuread:index/servicePrincipal:ServicePrincipal::cerby-azure-app": `/servicePrincipals/${UNKNOWN_TEXT}`,
      "azure-native:keyvault:Vault::cerby-azure-kv": "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/kv-acme-cerby",
      "azure-native:keyvault:Key::cerby-azure-key": "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/kv-acme-cerby/keys/cerby-key",
      "azure-native:authorization:RoleAssignment::cerby-azure-cerby": ROLE_ASSIGNMENT_ID,
      "aws:kms/key:Key::cerby-aws-key": "mrk-0123456789abcdef0123456789abcdef",
      "aws:kms/replicaKey:ReplicaKey::cerby-aws-replica": UNKNOWN_TEXT,
      "aws:iam/role:Role::cerby-aws-role": "CerbyKmsAccess",
    });
    expect(json.resources.filter((resource) => resource.importId).every((resource) => resource.protect)).toBe(true);
  });

  test("shows the values the deploy will read as known after deploy, and says which it assumes", () => {
    const vault = json.resources.find((resource) => resource.type === "azure-native:keyvault:Vault")!;
    expect(vault.inputs).toMatchObject({ location: UNKNOWN_TEXT, properties: { softDeleteRetentionInDays: UNKNOWN_TEXT, enableRbacAuthorization: true } });
    const getKey = json.invokes.find((invoke) => invoke.token === "azure-native:keyvault:getKey")!;
    expect(getKey.from.keySize).toMatch(/^assumed: what Cerby requires, checked at deploy time/);
  });

  test("the table marks imports and counts them", async () => {
    const { stdout } = await plan("table");
    expect(stdout).toContain("8 imported.");
    expect(stdout).toMatch(/azure-native:keyvault:Key {2}cerby-azure-key {2}\(import, protect, retainOnDelete\)/);
    expect(stdout).toContain(`imports                           /subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/kv-acme-cerby/keys/cerby-key (inputs below must equal what it has; the deploy reads them first)`);
  }, 120_000);
});
