import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { CONFIG_KEYS } from "../components/config";
import { UNKNOWN_TEXT, type Plan, type PlannedResource } from "../tools/plan";
import { planInProcess } from "./support/plan-run";
import { readText } from "./support/example-files";

/**
 * The stack files under examples/ are what a company starts from: each is planned the way its
 * comments tell a reader to (`npm run plan -- --config-file examples/X.yaml --stack prod`), and the
 * plan must show what the file promises.
 */

const STACKS = {
  starter: "examples/Pulumi.azure.yaml",
  production: "examples/Pulumi.azure-production.yaml",
  both: "examples/Pulumi.azure-and-aws.yaml",
  awsOnly: "examples/Pulumi.aws-only.yaml",
  adopt: "examples/Pulumi.adopt-existing.yaml",
} as const;

/** Cerby's AWS role, as Cerby's article names it. */
const CERBY_AWS_ROLE = "arn:aws:iam::749452252575:role/production-kms-byo-key-access-role";

const plans = new Map<string, Plan>();

async function planExample(file: string): Promise<Plan> {
  const spy = jest.spyOn(pulumi.log, "warn").mockImplementation(async () => undefined);
  try {
    const { code, stdout, stderr } = await planInProcess("--config-file", file, "--stack", "prod", "--format", "json");
    expect({ file, code, stderr }).toEqual({ file, code: 0, stderr: "" });
    return JSON.parse(stdout) as Plan;
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  for (const file of Object.values(STACKS)) {
    plans.set(file, await planExample(file));
  }
}, 300_000);

const resources = (file: string, type: string): PlannedResource[] => plans.get(file)!.resources.filter((resource) => resource.type === type);
const only = (file: string, type: string): PlannedResource => {
  const found = resources(file, type);
  expect(found).toHaveLength(1);
  return found[0];
};
const types = (file: string): string[] => plans.get(file)!.resources.filter((resource) => resource.custom).map((resource) => resource.type);

describe("examples/: stack files a company starts from", () => {
  test.each(Object.values(STACKS))("%s plans for stack prod with no problem but the unset Cerby API key", (file) => {
    const plan = plans.get(file)!;
    expect(plan.stack).toBe("prod");
    expect(plan.notes.filter((note) => !/^Warning: /.test(note))).toEqual([expect.stringMatching(/^cerbyApiKey is not set\./)]);
  });

  test.each(Object.values(STACKS))("%s holds no secret: no secret key is set; its comments set the Cerby API key on the stack they name", (file) => {
    const text = readText(file);
    const config = (parse(text) as { config: Record<string, unknown> }).config;
    const secretKeys = Object.keys(CONFIG_KEYS).filter((key) => CONFIG_KEYS[key].secret);
    expect(secretKeys).toEqual(expect.arrayContaining(["cerbyApiKey", "existingClientSecret", "alertWebhookUrl"]));
    expect(Object.keys(config).filter((key) => secretKeys.includes(key.replace(/^cerby-external-keys:/, "")))).toEqual([]);
    expect(text).toMatch(/^#\s+pulumi config set --secret cerbyApiKey/m);
    const named = [/for example Pulumi\.(\w+)\.yaml/, /npm run plan -- --stack (\w+)/, /pulumi stack init (\w+)/].map((pattern) => pattern.exec(text)?.[1]);
    expect(named).toEqual([named[0], named[0], named[0]]);
    expect(named[0]).toBeDefined();
  });

  describe("Azure production", () => {
    const file = STACKS.production;

    test("a premium vault behind the firewall: default action Deny, the listed ranges only, purge protection, RBAC", () => {
      const vault = only(file, "azure-native:keyvault:Vault");
      expect(vault.inputs.properties).toMatchObject({
        sku: { family: "A", name: "premium" },
        networkAcls: { defaultAction: "Deny", ipRules: [{ value: "203.0.113.0/28" }, { value: "198.51.100.7" }] },
        enablePurgeProtection: true,
        enableRbacAuthorization: true,
        softDeleteRetentionInDays: 90,
      });
      expect(vault).toMatchObject({ protect: true, retainOnDelete: true });
    });

    test("an HSM-protected RSA 4096 key", () => {
      expect(only(file, "azure-native:keyvault:Key").inputs.properties).toMatchObject({ kty: "RSA-HSM", keySize: 4096 });
    });

    test("custom roles: Cerby's service principal and the deployer each get only their data actions", () => {
      const dataActions = resources(file, "azure-native:authorization:RoleDefinition").map(
        (role) => (role.inputs.permissions as { dataActions: string[] }[])[0].dataActions,
      );
      expect(dataActions).toEqual(
        expect.arrayContaining([
          ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/create/action"],
          expect.arrayContaining([
            "Microsoft.KeyVault/vaults/keys/read",
            "Microsoft.KeyVault/vaults/keys/wrap/action",
            "Microsoft.KeyVault/vaults/keys/unwrap/action",
            "Microsoft.KeyVault/vaults/keys/encrypt/action",
            "Microsoft.KeyVault/vaults/keys/decrypt/action",
          ]),
        ]),
      );
      expect(dataActions).toHaveLength(2);
      const deployer = resources(file, "azure-native:authorization:RoleAssignment").find((assignment) => assignment.name === "cerby-azure-deployer")!;
      expect(deployer.inputs).toMatchObject({ principalId: "33333333-3333-4333-8333-333333333333", principalType: "ServicePrincipal" });
    });

    test("a CanNotDelete lock on the vault", () => {
      expect(only(file, "azure-native:authorization:ManagementLockByScope").inputs).toMatchObject({ level: "CanNotDelete" });
    });

    test("audit logs, tamper alerts and key events tell security@example.com", () => {
      expect(only(file, "azure-native:monitor:DiagnosticSetting").inputs).toMatchObject({ logs: [{ category: "AuditEvent", enabled: true }] });
      expect(only(file, "azure-native:operationalinsights:Workspace").inputs).toMatchObject({ retentionInDays: 365 });
      expect(resources(file, "azure-native:monitor:ActivityLogAlert").length).toBeGreaterThanOrEqual(4);
      expect(types(file)).toContain("azure-native:eventgrid:SystemTopicEventSubscription");
      expect(only(file, "azure-native:monitor:ActionGroup").inputs).toMatchObject({ emailReceivers: [{ emailAddress: "security@example.com" }] });
    });

    test("the Azure vault is Cerby's default; nothing is created in AWS", () => {
      expect(only(file, "pulumi-nodejs:dynamic/cerby:Vault").inputs).toMatchObject({ scheme: "akv", setAsDefault: true, name: "Azure Key Vault (production)" });
      expect(types(file).filter((type) => type.startsWith("aws:"))).toEqual([]);
    });
  });

  describe("Azure, a first deployment (the README's quick start)", () => {
    const file = STACKS.starter;

    test("a standard vault the deploying machine reaches (no firewall), protected, with an RSA 4096 key, a lock and the custom roles", () => {
      const vault = only(file, "azure-native:keyvault:Vault");
      expect(vault.inputs.properties).toMatchObject({ sku: { family: "A", name: "standard" }, enablePurgeProtection: true, enableRbacAuthorization: true });
      expect((vault.inputs.properties as { networkAcls: { defaultAction: string; ipRules?: unknown[] } }).networkAcls).toMatchObject({ defaultAction: "Allow" });
      expect(vault).toMatchObject({ protect: true, retainOnDelete: true });
      expect(only(file, "azure-native:keyvault:Key")).toMatchObject({ protect: true, inputs: { properties: { kty: "RSA", keySize: 4096 } } });
      expect(only(file, "azure-native:authorization:ManagementLockByScope").inputs).toMatchObject({ level: "CanNotDelete" });
      expect(resources(file, "azure-native:authorization:RoleDefinition")).toHaveLength(2);
      expect(types(file).filter((type) => type.startsWith("aws:"))).toEqual([]);
    });

    test("is the file the README's quick start copies", () => {
      expect(readText("README.md")).toContain(`cp ${file} Pulumi.prod.yaml`);
    });
  });

  describe("Azure and AWS", () => {
    const file = STACKS.both;

    test("two Cerby vaults, akv and kms_byo, exactly one of them the default", () => {
      const vaults = resources(file, "pulumi-nodejs:dynamic/cerby:Vault").map((vault) => vault.inputs);
      expect(vaults.map((vault) => [vault.scheme, vault.setAsDefault]).sort()).toEqual([
        ["akv", true],
        ["kms_byo", false],
      ]);
    });

    test("the Azure key and the AWS multi-Region RSA_4096 key", () => {
      expect(only(file, "azure-native:keyvault:Key").inputs.properties).toMatchObject({ kty: "RSA", keySize: 4096 });
      expect(only(file, "aws:kms/key:Key").inputs).toMatchObject({ customerMasterKeySpec: "RSA_4096", multiRegion: true, keyUsage: "ENCRYPT_DECRYPT" });
    });
  });

  describe("AWS only", () => {
    const file = STACKS.awsOnly;

    test("a multi-Region RSA_4096 key in us-east-2 with its replica in us-west-2, both protected", () => {
      expect(only(file, "aws:kms/key:Key")).toMatchObject({
        protect: true,
        retainOnDelete: true,
        inputs: { customerMasterKeySpec: "RSA_4096", multiRegion: true, keyUsage: "ENCRYPT_DECRYPT", deletionWindowInDays: 30 },
      });
      expect(only(file, "aws:kms/replicaKey:ReplicaKey")).toMatchObject({ protect: true, retainOnDelete: true });
      const regions = Object.fromEntries(resources(file, "pulumi:providers:aws").map((provider) => [provider.name, provider.inputs.region]));
      expect(regions).toMatchObject({ "cerby-aws-primary-region": "us-east-2", "cerby-aws-replica-region": "us-west-2" });
    });

    test("the role trusts only Cerby's role, with the workspace ID as the external ID", () => {
      const trust = JSON.parse(only(file, "aws:iam/role:Role").inputs.assumeRolePolicy as string) as { Statement: unknown[] };
      expect(trust.Statement).toEqual([
        expect.objectContaining({
          Effect: "Allow",
          Principal: { AWS: CERBY_AWS_ROLE },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "sts:ExternalId": "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b" } },
        }),
      ]);
    });

    test("the kms_byo vault is Cerby's default; tamper alerts email security@example.com; nothing in Azure", () => {
      expect(only(file, "pulumi-nodejs:dynamic/cerby:Vault").inputs).toMatchObject({ scheme: "kms_byo", setAsDefault: true });
      const emails = resources(file, "aws:sns/topicSubscription:TopicSubscription").map((subscription) => subscription.inputs);
      expect(emails.length).toBeGreaterThan(0);
      expect(emails.every((subscription) => subscription.endpoint === "security@example.com" && subscription.protocol === "email")).toBe(true);
      expect(types(file).filter((type) => type.startsWith("azure"))).toEqual([]);
    });
  });

  describe("adopting a setup made by hand", () => {
    const file = STACKS.adopt;

    test("imports the vault, key, role assignment, KMS key and IAM role by the IDs the file gives, all protected", () => {
      const imports = Object.fromEntries(plans.get(file)!.resources.filter((resource) => resource.importId).map((resource) => [resource.type, resource.importId]));
      const vault = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/kv-acme-cerby";
      expect(imports).toEqual({
        "azuread:index/application:Application": `/applications/${UNKNOWN_TEXT}`,
        "azuread:index/servicePrincipal:ServicePrincipal": `/servicePrincipals/${UNKNOWN_TEXT}`,
        "azure-native:keyvault:Vault": vault,
        "azure-native:keyvault:Key": `${vault}/keys/cerby-key`,
        "azure-native:authorization:RoleAssignment": `${vault}/providers/Microsoft.Authorization/roleAssignments/dddddddd-dddd-4ddd-8ddd-dddddddddddd`,
        "aws:kms/key:Key": "mrk-0123456789abcdef0123456789abcdef",
        "aws:kms/replicaKey:ReplicaKey": UNKNOWN_TEXT,
        "aws:iam/role:Role": "CerbyKmsAccess",
      });
      expect(plans.get(file)!.resources.filter((resource) => resource.importId).every((resource) => resource.protect && resource.retainOnDelete)).toBe(true);
    });

    test("creates no client secret and no resource group: the secret Cerby holds stays, the group exists", () => {
      expect(resources(file, "azuread:index/applicationPassword:ApplicationPassword")).toEqual([]);
      expect(resources(file, "azure-native:resources:ResourceGroup")).toEqual([]);
    });

    test("warns of each difference from the project's defaults with the setting that applies it", () => {
      expect(plans.get(file)!.notes).toEqual(expect.arrayContaining([expect.stringMatching(/adoptApplyDefaults\[N\]' deleteLock/)]));
    });
  });
});
