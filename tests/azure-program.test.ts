import { exportsClientSecret } from "../components/cerby/rotation";
import { isSecretValue, redactSecrets, type RecordedResource } from "../tools/mock-runtime";
import { APP_CLIENT_ID, CLIENT_SECRET, SERVICE_PRINCIPAL_OBJECT_ID, SIGNED_IN, azureCloud } from "./support/azure-cloud";
import { runProgram, single } from "./support/program";
import { AZURE_TYPES } from "./support/resource-types";

const T = AZURE_TYPES;

function inputs(resource: RecordedResource): Record<string, any> {
  return redactSecrets(resource.rawInputs) as Record<string, any>;
}

function roleAssignments(resources: RecordedResource[]) {
  const all = resources.filter((resource) => resource.type === T.roleAssignment);
  const cerby = all.find((resource) => resource.name.endsWith("-cerby"));
  const deployer = all.find((resource) => resource.name.endsWith("-deployer"));
  return { all, cerby: cerby!, deployer };
}

describe("the Azure program with default config", () => {
  let resources: RecordedResource[];
  let outputs: Awaited<ReturnType<typeof runProgram>>["outputs"];

  beforeAll(async () => {
    ({ resources, outputs } = await runProgram());
  });

  test("declares exactly the expected cloud resources, one of each role", () => {
    const custom = resources.filter((resource) => resource.custom).map((resource) => resource.type).sort();
    expect(custom).toEqual(
      [T.application, T.password, T.lock, T.roleAssignment, T.roleAssignment, T.roleDefinition, T.key, T.vault, T.resourceGroup, T.servicePrincipal, T.randomName, T.readiness, T.keyPreflight, T.cerbyVault, T.keyContinuity].sort(),
    );
  });

  test("the key is RSA 4096 with exactly wrap, unwrap, encrypt and decrypt", () => {
    const key = inputs(single(resources, T.key));
    expect(key.properties).toMatchObject({ kty: "RSA", keySize: 4096, attributes: { enabled: true } });
    expect(key.properties.keyOps).toEqual(["wrapKey", "unwrapKey", "encrypt", "decrypt"]);
    expect(key.keyName).toBe("cerby-external-key");
  });

  test("the vault uses RBAC, soft delete with 90 days retention, purge protection and the signed-in tenant", () => {
    const vault = inputs(single(resources, T.vault));
    expect(vault.properties).toMatchObject({
      tenantId: SIGNED_IN.tenantId,
      sku: { family: "A", name: "standard" },
      enableRbacAuthorization: true,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enablePurgeProtection: true,
      networkAcls: { defaultAction: "Allow", bypass: "AzureServices", ipRules: [] },
    });
    expect(vault.location).toBe("eastus");
  });

  test("no Azure service may take the vault's keys: not VMs, disk encryption or ARM templates", () => {
    const properties = inputs(single(resources, T.vault)).properties;
    expect([properties.enabledForDeployment, properties.enabledForDiskEncryption, properties.enabledForTemplateDeployment]).toEqual([false, false, false]);
  });

  test("the Entra application is single-tenant: only this tenant's identities can sign in as it", () => {
    expect(inputs(single(resources, T.application)).signInAudience).toBe("AzureADMyOrg");
  });

  test("a generated vault name is kv-cerby plus the random suffix held in state", () => {
    expect(inputs(single(resources, T.vault)).vaultName).toBe("kv-cerby-q7x2m9");
    expect(inputs(single(resources, T.randomName))).toMatchObject({ length: 6, special: false, upper: false });
  });

  test("the vault carries a protected CanNotDelete lock, made after the role assignments it would otherwise block", () => {
    const lockResource = single(resources, T.lock);
    const lock = inputs(lockResource);
    expect(lock.level).toBe("CanNotDelete");
    expect(lock.scope).toMatch(/\/providers\/Microsoft\.KeyVault\/vaults\/kv-cerby-q7x2m9$/);
    expect(lockResource.protect).toBe(true);
    const lockComponent = resources.find((resource) => resource.urn === lockResource.parent)!;
    const { cerby, deployer } = roleAssignments(resources);
    expect(lockComponent.dependsOn).toEqual(expect.arrayContaining([cerby.urn, deployer!.urn]));
  });

  test("the Entra application and service principal are protected; the rotating client secret is not", () => {
    expect(single(resources, T.application).protect).toBe(true);
    expect(single(resources, T.servicePrincipal).protect).toBe(true);
    expect(single(resources, T.password).protect).toBe(false);
  });

  test("the key ignores tag changes, which Azure cannot apply to an existing key", () => {
    expect(single(resources, T.key).ignoreChanges).toEqual(["tags"]);
  });


  test("the vault, the key and the resource group are protected and retained on delete", () => {
    for (const type of [T.vault, T.key, T.resourceGroup]) {
      const resource = single(resources, type);
      expect({ type, protect: resource.protect, retainOnDelete: resource.retainOnDelete }).toEqual({ type, protect: true, retainOnDelete: true });
    }
  });

  test("the service principal gets its role on the key, as a ServicePrincipal", () => {
    const { cerby } = roleAssignments(resources);
    const assignment = inputs(cerby);
    expect(assignment.principalId).toBe(SERVICE_PRINCIPAL_OBJECT_ID);
    expect(assignment.principalType).toBe("ServicePrincipal");
    expect(assignment.scope).toMatch(/\/vaults\/kv-cerby-q7x2m9\/keys\/cerby-external-key$/);
    expect(assignment.roleAssignmentName).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // A change of role or scope creates the new assignment before deleting the old one.
    expect(cerby.deleteBeforeReplace).toBe(false);
  });

  test("the deployer's grant is on the vault and the key waits for it", () => {
    const { deployer } = roleAssignments(resources);
    expect(deployer).toBeDefined();
    const grant = inputs(deployer!);
    expect(grant.principalId).toBe(SIGNED_IN.objectId);
    // The fake signs in with an application's client ID, as a pipeline does.
    expect(grant.principalType).toBe("ServicePrincipal");
    expect(grant.scope).toMatch(/\/vaults\/kv-cerby-q7x2m9$/);
    const delay = single(resources, T.readiness);
    expect(delay.dependsOn).toContain(deployer!.urn);
    const keyComponent = resources.find((resource) => resource.type === "cerby:azure:Key")!;
    expect(keyComponent.dependsOn).toContain(delay.urn);
  });

  test("the role assignment depends on the service principal and, through the key continuity guard, the key", () => {
    const { cerby } = roleAssignments(resources);
    const component = resources.find((resource) => resource.urn === cerby.parent)!;
    const guard = single(resources, T.keyContinuity);
    const servicePrincipal = single(resources, T.servicePrincipal);
    expect(cerby.dependsOn).toEqual(expect.arrayContaining([guard.urn, servicePrincipal.urn]));
    expect(guard.dependsOn).toContain(single(resources, T.key).urn);
    expect(component.type).toBe("cerby:azure:RoleAssignment");
  });

  test("the Cerby vault gets the five values, scheme akv and the configured name and default flag", () => {
    const cerbyVault = inputs(single(resources, T.cerbyVault));
    expect(cerbyVault).toMatchObject({ workspace: "acme", name: "Azure Key Vault", scheme: "akv", setAsDefault: false, onDelete: "retain" });
    expect(cerbyVault).toMatchObject({ registration: "auto", registrationWaitMinutes: 0 });
    expect(cerbyVault.akv).toEqual({
      clientId: APP_CLIENT_ID,
      tenantId: SIGNED_IN.tenantId,
      clientSecret: "[secret]",
      vaultUrl: "https://kv-cerby-q7x2m9.vault.azure.net/",
      keyName: "cerby-external-key",
    });
  });

  test("the Cerby vault's client secret input is secret, the vault protected, and it waits for the role assignment and the key", () => {
    const cerbyVault = single(resources, T.cerbyVault);
    const clientSecret = (cerbyVault.rawInputs.akv as Record<string, unknown>).clientSecret;
    expect(isSecretValue(clientSecret) && clientSecret.value).toBe(CLIENT_SECRET);
    expect(cerbyVault.protect).toBe(true);
    const { cerby } = roleAssignments(resources);
    expect(cerbyVault.dependsOn).toEqual(expect.arrayContaining([cerby.urn, single(resources, T.key).urn]));
  });

  test("the client secret is valid from its start date for 180 days and rotates create-before-delete", () => {
    const password = single(resources, T.password);
    expect(inputs(password)).toMatchObject({
      startDate: "2026-11-28T00:00:00Z",
      endDate: "2027-05-27T00:00:00Z",
      rotateWhenChanged: { startDate: "2026-11-28T00:00:00Z", endDate: "2027-05-27T00:00:00Z" },
    });
    expect(password.deleteBeforeReplace).toBe(false);
    expect(password.additionalSecretOutputs).toContain("value");
  });

  test("stack outputs carry the values Cerby asks for, but not the client secret (exportClientSecret defaults to false)", () => {
    expect(outputs).not.toHaveProperty("clientSecret");
    expect(outputs.clientId).toEqual({ kind: "known", value: APP_CLIENT_ID });
    expect(outputs.tenantId).toEqual({ kind: "known", value: SIGNED_IN.tenantId });
    expect(outputs.keyVaultUri).toEqual({ kind: "known", value: "https://kv-cerby-q7x2m9.vault.azure.net/" });
    expect(outputs.keyName).toEqual({ kind: "known", value: "cerby-external-key" });
    expect(outputs.keyId).toEqual({ kind: "known", value: "https://kv-cerby-q7x2m9.vault.azure.net/keys/cerby-external-key" });
    expect(outputs.clientSecretExpiresAt).toEqual({ kind: "known", value: "2027-05-27T00:00:00Z" });
    for (const name of ["cerbyVaultId", "servicePrincipalObjectId", "resourceGroupName", "keyVaultId", "keyVaultName", "keyVersionedId", "roleAssignmentId"]) {
      expect({ name, kind: outputs[name]?.kind }).toEqual({ name, kind: "known" });
    }
  });

  test("no registered input or component output holds the client secret outside a secret wrapper", () => {
    const plaintext = JSON.stringify(resources.map((resource) => [redactSecrets(resource.rawInputs), redactSecrets(resource.rawOutputs)]));
    expect(plaintext).not.toContain(CLIENT_SECRET);
    const withSecrets = JSON.stringify(resources.map((resource) => resource.rawOutputs));
    expect(withSecrets).toContain(CLIENT_SECRET);
  });

  test("exportClientSecret true exports the client secret, only as a secret", async () => {
    const exported = await runProgram({ exportClientSecret: true });
    expect(exported.outputs.clientSecret).toEqual({ kind: "secret", value: CLIENT_SECRET });
  });

  test("the integration component registers its client secret output as a secret", () => {
    const integration = resources.find((resource) => resource.type === "cerby:azure:KeyVaultIntegration")!;
    expect(isSecretValue(integration.rawOutputs?.clientSecret)).toBe(true);
    const application = resources.find((resource) => resource.type === "cerby:azure:Application")!;
    expect(isSecretValue(application.rawOutputs?.clientSecret)).toBe(true);
  });

  test("every child resource has a parent component", () => {
    const orphans = resources.filter((resource) => resource.type !== "cerby:azure:KeyVaultIntegration" && !resource.parent);
    expect(orphans.map((resource) => resource.type)).toEqual([]);
  });
});

describe("the Azure program with chosen options", () => {
  test("cerbyRegistration guided and its wait reach the Cerby vault, and the client secret stays a secret stack output", async () => {
    const { resources, outputs } = await runProgram({ cerbyRegistration: "guided", cerbyRegistrationWaitMinutes: 20 });
    expect(inputs(single(resources, T.cerbyVault))).toMatchObject({ registration: "guided", registrationWaitMinutes: 20 });
    expect(outputs.clientSecret).toEqual({ kind: "secret", value: CLIENT_SECRET });
  });

  test("the Cerby vault gets the secret's start date, key ID, confirmation and export flag, and the stack exports whether Cerby holds the current secret", async () => {
    const config = { clientSecretStartDate: "2026-12-01", cerbyClientSecretConfirmedStartDate: "2026-11-28" };
    const { resources, outputs } = await runProgram(config);
    expect(inputs(single(resources, T.cerbyVault)).clientSecretRotation).toEqual({
      startDate: "2026-12-01",
      keyId: "77777777-7777-4777-8777-777777777777",
      confirmedStartDate: "2026-11-28",
      exported: false,
    });
    expect(outputs.cerbyClientSecretConfirmed).toEqual({ kind: "known", value: true });
    const pendingCloud = {
      ...azureCloud,
      newResource: (args: Parameters<NonNullable<typeof azureCloud.newResource>>[0]) => {
        const created = azureCloud.newResource!(args);
        return args.type === T.cerbyVault ? { ...created, state: { ...created?.state, clientSecretConfirmed: false } } : created;
      },
    };
    const pending = await runProgram({ ...config, cerbyRegistration: "guided" }, { cloud: pendingCloud });
    expect(inputs(single(pending.resources, T.cerbyVault)).clientSecretRotation).toMatchObject({ exported: true });
    expect(pending.outputs.cerbyClientSecretConfirmed).toEqual({ kind: "known", value: false });
  });

  test("guided registration exports the client secret whatever the stack asks; other modes as asked", () => {
    expect(exportsClientSecret({ registration: "guided" }, false)).toBe(true);
    expect(exportsClientSecret({ registration: "auto" }, false)).toBe(false);
    expect(exportsClientSecret({ registration: "api" }, true)).toBe(true);
  });

  test("a deployer signed in with the Azure CLI gets its grant as a User", async () => {
    const cliSignIn = {
      ...azureCloud,
      call: (args: Parameters<NonNullable<typeof azureCloud.call>>[0]) =>
        args.token === "azure-native:authorization:getClientConfig"
          ? { ...SIGNED_IN, clientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46" }
          : azureCloud.call!(args),
    };
    const { resources } = await runProgram({}, { cloud: cliSignIn });
    expect(inputs(roleAssignments(resources).deployer!).principalType).toBe("User");
  });

  test("deployerObjectId pins the deployer grant to one identity, whoever runs pulumi up", async () => {
    const pipeline = "88888888-8888-4888-8888-888888888888";
    const { resources } = await runProgram({ deployerObjectId: pipeline, deployerPrincipalType: "ServicePrincipal" });
    expect(inputs(roleAssignments(resources).deployer!)).toMatchObject({ principalId: pipeline, principalType: "ServicePrincipal" });
  });

  test("roleScope vault scopes the service principal's role to the vault, not the key", async () => {
    const { resources } = await runProgram({ roleScope: "vault", keyVaultName: "kv-acme-prod" });
    expect(inputs(roleAssignments(resources).cerby).scope).toMatch(/\/vaults\/kv-acme-prod$/);
  });

  test("grantDeployerAccess false creates neither the deployer grant nor the wait", async () => {
    const { resources } = await runProgram({ grantDeployerAccess: false });
    expect(roleAssignments(resources).all).toHaveLength(1);
    expect(resources.filter((resource) => resource.type === T.readiness)).toHaveLength(0);
  });

  test("a named vault needs no random suffix, and keyVaultDeleteLock false drops the lock", async () => {
    const { resources } = await runProgram({ keyVaultName: "kv-acme-prod", keyVaultDeleteLock: false });
    expect(inputs(single(resources, T.vault)).vaultName).toBe("kv-acme-prod");
    expect(resources.filter((resource) => resource.type === T.randomName || resource.type === T.lock)).toHaveLength(0);
  });

  test("premium RSA-HSM, 30 days retention, purge protection off and firewall rules reach the vault and key", async () => {
    const { resources } = await runProgram({
      keyVaultSku: "premium",
      keyType: "RSA-HSM",
      softDeleteRetentionDays: 30,
      purgeProtection: false,
      networkDefaultAction: "Deny",
      networkAllowedIpRanges: ["203.0.113.0/24", "198.51.100.7"],
    });
    const vault = inputs(single(resources, T.vault)).properties;
    expect(vault.sku.name).toBe("premium");
    expect(vault.softDeleteRetentionInDays).toBe(30);
    expect(vault.enablePurgeProtection).toBeUndefined();
    expect(vault.networkAcls).toEqual({
      bypass: "AzureServices",
      defaultAction: "Deny",
      ipRules: [{ value: "203.0.113.0/24" }, { value: "198.51.100.7" }],
    });
    expect(inputs(single(resources, T.key)).properties.kty).toBe("RSA-HSM");
  });

  test("an existing resource group is looked up, not created", async () => {
    const { resources, outputs } = await runProgram({ createResourceGroup: false, resourceGroupName: "rg-existing" });
    expect(resources.filter((resource) => resource.type === T.resourceGroup)).toHaveLength(0);
    expect(inputs(single(resources, T.vault)).resourceGroupName).toBe("rg-existing");
    expect(outputs.resourceGroupName).toEqual({ kind: "known", value: "rg-existing" });
  });

  test("tags reach the resource group, vault and key", async () => {
    const { resources } = await runProgram({ tags: { costCenter: "1234" } });
    for (const type of [T.resourceGroup, T.vault, T.key]) {
      expect(inputs(single(resources, type)).tags).toEqual({ costCenter: "1234" });
    }
  });

  test("a tenant other than the signed-in one stops the deployment with the az login fix", async () => {
    await expect(runProgram({ azureTenantId: "99999999-9999-4999-8999-999999999999" })).rejects.toThrow(
      /azureTenantId is 99999999-9999-4999-8999-999999999999 but you are signed in to tenant 11111111-.*az login --tenant/,
    );
  });

  test("running the program twice yields identical resource inputs", async () => {
    const first = await runProgram({ keyVaultName: "kv-acme-prod" });
    const second = await runProgram({ keyVaultName: "kv-acme-prod" });
    const shape = (run: typeof first) =>
      run.resources.map((resource) => ({ urn: resource.urn, inputs: resource.rawInputs, dependsOn: resource.dependsOn }));
    expect(shape(second)).toEqual(shape(first));
  });
});
