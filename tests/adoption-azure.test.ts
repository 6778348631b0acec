/**
 * Adopting an Azure setup made by hand (adoptExisting), under mocks whose get functions answer as
 * Cerby's "Azure External Keys" article leaves Azure: an RBAC vault, an RSA 4096 key, Key Vault
 * Crypto User for the service principal at vault scope.
 */
import * as pulumi from "@pulumi/pulumi";
import { redactSecrets, type MockRunResult, type RecordedResource } from "../tools/mock-runtime";
import { figures, runProgram, single } from "./support/program";
import {
  ADOPT_CONFIG,
  CRYPTO_USER_ROLE_ID,
  MANUAL,
  MANUAL_KEY_ID,
  MANUAL_ROLE_ASSIGNMENT_ID,
  MANUAL_VAULT_ID,
  manualAzureCloud,
  manualAzureState,
  type ManualAzureOptions,
} from "./support/manual-azure";
import { AZURE_TYPES as T } from "./support/resource-types";
import { SIGNED_IN } from "./support/azure-cloud";

/** What must never be declared without protect: losing or replacing it loses the key or cuts Cerby off. */
const MUST_PROTECT = [T.vault, T.key, T.application, T.servicePrincipal, T.roleAssignment, T.keyContinuity, T.cerbyVault];

function inputs(resource: RecordedResource): Record<string, any> {
  const { __provider: _ignored, ...rest } = redactSecrets(resource.rawInputs) as Record<string, any>;
  return rest;
}

interface AdoptionRun extends MockRunResult {
  warnings: string[];
  infos: string[];
}

/** Runs the program adopting the manual setup, collecting what it warned. */
async function adopt(overrides: Record<string, unknown> = {}, setup: ManualAzureOptions = {}): Promise<AdoptionRun> {
  const warnings: string[] = [];
  const infos: string[] = [];
  const spy = jest.spyOn(pulumi.log, "warn").mockImplementation(async (message: string) => void warnings.push(message));
  const info = jest.spyOn(pulumi.log, "info").mockImplementation(async (message: string) => void infos.push(message));
  try {
    const result = await runProgram({ ...ADOPT_CONFIG, ...overrides }, { cloud: manualAzureCloud(setup) });
    return { ...result, warnings, infos };
  } finally {
    spy.mockRestore();
    info.mockRestore();
  }
}

async function refusal(setup: ManualAzureOptions, overrides: Record<string, unknown> = {}): Promise<Error> {
  try {
    await adopt(overrides, setup);
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the adoption to be refused");
}

describe("adopting Azure as Cerby's article builds it", () => {
  let run: AdoptionRun;
  const existing = manualAzureState();

  beforeAll(async () => {
    run = await adopt();
  }, 60_000);

  test("imports the application, service principal, vault, key and role assignment by their IDs, and creates only the continuity guard and the Cerby vault", () => {
    const { imported, created } = figures(run.resources);
    expect(imported.sort()).toEqual([T.application, T.key, T.roleAssignment, T.servicePrincipal, T.vault].sort());
    expect(created.sort()).toEqual([T.cerbyVault, T.keyContinuity].sort());
    expect(single(run.resources, T.vault).importId).toBe(MANUAL_VAULT_ID);
    expect(single(run.resources, T.key).importId).toBe(MANUAL_KEY_ID);
    expect(single(run.resources, T.application).importId).toBe(`/applications/${MANUAL.applicationObjectId}`);
    expect(single(run.resources, T.servicePrincipal).importId).toBe(`/servicePrincipals/${MANUAL.servicePrincipalObjectId}`);
    expect(single(run.resources, T.roleAssignment).importId).toBe(MANUAL_ROLE_ASSIGNMENT_ID);
  });

  test("with no client secret to prove access with, declares no preflight and says so once, at program time", () => {
    expect(run.resources.filter((resource) => resource.type === T.keyPreflight)).toEqual([]);
    expect(run.infos.filter((message) => message.includes("preflight"))).toEqual([
      `Skipped the preflight of Azure key "${MANUAL.keyName}": this stack adopted a setup made by hand and holds no client secret ` +
        "(Cerby's cannot be read back). Set it with `pulumi config set --secret existingClientSecret` to have access proved.",
    ]);
  });

  test("declares the vault with exactly the settings it has, purge protection left out as Azure reports it off", () => {
    const vault = inputs(single(run.resources, T.vault));
    const properties = (existing["azure-native:keyvault:getVault"] as any).properties;
    expect(vault).toMatchObject({ vaultName: MANUAL.vaultName, resourceGroupName: MANUAL.resourceGroupName, location: "westeurope" });
    expect(vault.properties).toEqual({
      tenantId: SIGNED_IN.tenantId,
      sku: { family: "A", name: "standard" },
      enableRbacAuthorization: true,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 7,
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      publicNetworkAccess: "Enabled",
      networkAcls: properties.networkAcls,
    });
    expect(vault.tags).toBeUndefined();
  });

  test("declares the key as it is: RSA 4096 with the six operations the portal gave it", () => {
    const key = inputs(single(run.resources, T.key));
    expect(key).toMatchObject({ keyName: MANUAL.keyName, vaultName: MANUAL.vaultName, resourceGroupName: MANUAL.resourceGroupName });
    expect(key.properties).toMatchObject({ kty: "RSA", keySize: 4096, attributes: { enabled: true } });
    expect(key.properties.keyOps).toEqual(["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"]);
  });

  test("declares the application and service principal with their own fields, and no client secret", () => {
    expect(inputs(single(run.resources, T.application))).toEqual({ displayName: "Cerby", signInAudience: "AzureADMyOrg", owners: ["eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee"] });
    expect(inputs(single(run.resources, T.servicePrincipal))).toEqual({
      clientId: MANUAL.clientId,
      accountEnabled: true,
      appRoleAssignmentRequired: false,
      tags: ["WindowsAzureActiveDirectoryIntegratedApp"],
    });
    expect(run.resources.filter((resource) => resource.type === T.password)).toEqual([]);
  });

  test("declares Cerby's role assignment as it is: Crypto User at vault scope for the service principal", () => {
    expect(inputs(single(run.resources, T.roleAssignment))).toEqual({
      roleAssignmentName: MANUAL.roleAssignmentName,
      roleDefinitionId: CRYPTO_USER_ROLE_ID,
      principalId: MANUAL.servicePrincipalObjectId,
      principalType: "ServicePrincipal",
      scope: MANUAL_VAULT_ID,
    });
  });

  test("every key, vault, application, service principal and role is protected, and the adopted ones retained on delete", () => {
    for (const resource of run.resources.filter((item) => MUST_PROTECT.includes(item.type as (typeof MUST_PROTECT)[number]))) {
      expect({ name: resource.name, protect: resource.protect }).toEqual({ name: resource.name, protect: true });
      if (resource.importId) {
        expect(resource.retainOnDelete).toBe(true);
      }
    }
  });

  test("adopts the Cerby vault by name with the values that exist and no client secret to send", () => {
    const vault = inputs(single(run.resources, T.cerbyVault));
    expect(vault).toMatchObject({ name: "Azure Key Vault", scheme: "akv" });
    expect(vault.akv).toEqual({
      clientId: MANUAL.clientId,
      tenantId: SIGNED_IN.tenantId,
      vaultUrl: `https://${MANUAL.vaultName}.vault.azure.net/`,
      keyName: MANUAL.keyName,
    });
  });

  test("warns once per difference from the project's defaults, each naming the setting that applies it later", () => {
    expect(run.warnings).toHaveLength(5);
    expect(run.warnings.find((line) => line.includes("7 days"))).toMatch(/Azure fixes it when a vault is created/);
    expect(run.warnings.find((line) => line.includes("purge protection off"))).toMatch(/add purgeProtection to adoptApplyDefaults/);
    expect(run.warnings.find((line) => line.includes("CanNotDelete"))).toMatch(/add deleteLock to adoptApplyDefaults/);
    expect(run.warnings.find((line) => line.includes("any network"))).toMatch(/add network to adoptApplyDefaults/);
    expect(run.warnings.find((line) => line.includes("grants every key there"))).toMatch(/add role to adoptApplyDefaults/);
  });

  test("exports that it adopted, and no client secret, expiry or key ID it cannot know", () => {
    expect(run.outputs.adoptedExisting).toEqual({ kind: "known", value: true });
    expect(run.outputs.clientSecret).toBeUndefined();
    expect(run.outputs.clientSecretExpiresAt).toEqual({ kind: "known", value: undefined });
    expect(run.outputs.keyId).toEqual({ kind: "known", value: `https://${MANUAL.vaultName}.vault.azure.net/keys/${MANUAL.keyName}` });
  });

  test("a second run declares the same inputs and import IDs, so it shows no changes", async () => {
    const second = await adopt();
    const view = (result: MockRunResult) =>
      result.resources.map((resource) => ({ type: resource.type, name: resource.name, importId: resource.importId, inputs: inputs(resource), protect: resource.protect }));
    expect(view(second)).toEqual(view(run));
  }, 60_000);
});

describe("what Cerby cannot use is refused before anything is declared", () => {
  test("a 2048-bit key: Cerby accepts only RSA 4096, with what to do", async () => {
    const error = await refusal({ keySize: 2048 });
    expect(error.name).toBe("AdoptionRefused");
    expect(error.message).toContain(`Key ${MANUAL.keyName} in ${MANUAL.vaultName} is RSA 2048 bits, but Cerby accepts only RSA 4096-bit keys`);
    expect(error.message).toContain("create an RSA 4096 key and set keyName to it");
  }, 60_000);

  test("an access-policy vault: Cerby's setup requires Azure RBAC, with how to switch", async () => {
    const error = await refusal({ rbac: false });
    expect(error.message).toContain(`Key Vault ${MANUAL.vaultName} uses the access-policy permission model, but Cerby's setup requires Azure RBAC`);
    expect(error.message).toContain("Azure role-based access control");
  }, 60_000);

  test("both at once are reported together", async () => {
    const error = await refusal({ rbac: false, keySize: 2048 });
    expect(error.message.match(/^ {2}- /gm)).toHaveLength(2);
  }, 60_000);
});

describe("what Cerby needs and is missing is created", () => {
  let run: AdoptionRun;

  beforeAll(async () => {
    run = await adopt({ existingRoleAssignmentId: undefined }, { roleAssignment: false });
  }, 60_000);

  test("with no role assignment named, the service principal gets Crypto User on the key, protected, created not imported", () => {
    const assignment = single(run.resources, T.roleAssignment);
    expect(assignment.importId).toBeUndefined();
    expect(assignment.protect).toBe(true);
    expect(inputs(assignment)).toMatchObject({
      principalId: MANUAL.servicePrincipalObjectId,
      principalType: "ServicePrincipal",
      roleDefinitionId: CRYPTO_USER_ROLE_ID,
      scope: MANUAL_KEY_ID,
    });
  });

  test("everything else is still imported", () => {
    const { imported, created } = figures(run.resources);
    expect(imported.sort()).toEqual([T.application, T.key, T.servicePrincipal, T.vault].sort());
    expect(created.sort()).toEqual([T.cerbyVault, T.keyContinuity, T.roleAssignment].sort());
  });
});

describe("later choices", () => {
  test("adoptApplyDefaults turns on purge protection, adds the lock, config tags and the narrow role, and warns no more about them", async () => {
    const run = await adopt({ adoptApplyDefaults: ["purgeProtection", "deleteLock", "network", "tags", "role"], tags: { team: "security" } });
    const vault = inputs(single(run.resources, T.vault));
    expect(vault.properties.enablePurgeProtection).toBe(true);
    expect(vault.properties.networkAcls).toEqual({ bypass: "AzureServices", defaultAction: "Allow", ipRules: [] });
    expect(vault.tags).toEqual({ team: "security" });
    expect(single(run.resources, T.lock).protect).toBe(true);
    const role = single(run.resources, T.roleAssignment);
    expect(role.importId).toBeUndefined();
    expect(inputs(role).scope).toBe(MANUAL_KEY_ID);
    expect(run.warnings).toEqual([expect.stringContaining("7 days")]);
  }, 60_000);

  test("clientSecretStartDate asks for a new secret, which the Cerby vault then gets", async () => {
    const run = await adopt({ clientSecretStartDate: "2026-12-01" });
    const password = single(run.resources, T.password);
    expect(single(run.resources, T.cerbyVault).dependsOn).toContain(single(run.resources, T.keyPreflight).urn);
    expect(inputs(password)).toMatchObject({ applicationId: `/applications/${MANUAL.applicationObjectId}`, startDate: "2026-12-01T00:00:00Z" });
    expect(password.retainOnDelete).toBe(true);
    expect(inputs(single(run.resources, T.cerbyVault)).akv.clientSecret).toBe("[secret]");
  }, 60_000);

  test("existingClientSecret reaches the Cerby vault and its preflight and, with exportClientSecret, the outputs, only as a secret", async () => {
    const secret = "existing~secret.ShouldNeverLeak_42";
    const run = await adopt({ existingClientSecret: secret, exportClientSecret: true });
    const vault = single(run.resources, T.cerbyVault);
    const preflight = single(run.resources, T.keyPreflight);
    expect(figures(run.resources).created.sort()).toEqual([T.cerbyVault, T.keyContinuity, T.keyPreflight].sort());
    expect(vault.dependsOn).toContain(preflight.urn);
    expect(inputs(vault).akv.clientSecret).toBe("[secret]");
    expect(inputs(preflight)).toMatchObject({ clientSecret: "[secret]", keyName: MANUAL.keyName, clientId: MANUAL.clientId });
    expect(JSON.stringify(redactSecrets(vault.rawInputs))).not.toContain(secret);
    expect(JSON.stringify(redactSecrets(preflight.rawInputs))).not.toContain(secret);
    expect(run.infos.filter((message) => message.includes("Skipped the preflight"))).toEqual([]);
    expect(run.outputs.clientSecret).toEqual({ kind: "secret", value: secret });
    expect(run.resources.filter((resource) => resource.type === T.password)).toEqual([]);
  }, 60_000);
});

test("the audit logs and tamper alerts watch the adopted vault", async () => {
  const run = await adopt({ auditLogs: true, tamperAlerts: true, alertEmails: ["secops@example.com"] });
  expect(inputs(single(run.resources, "azure-native:monitor:DiagnosticSetting")).resourceUri).toBe(MANUAL_VAULT_ID);
  expect(run.resources.filter((resource) => resource.type === "azure-native:monitor:ActivityLogAlert").length).toBeGreaterThan(0);
}, 60_000);
