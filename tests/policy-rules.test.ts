import { cerbyTrustPolicy } from "../components/aws/role";
import { clientSecretLifetime, tamperAlerts, untaggedKey } from "../policy/advisory";
import { keyRsa4096, kmsKeySpec, resourcesProtected, roleTrust, vaultNoOpenNetworkRule, vaultRecoverableRbac } from "../policy/mandatory";
import { stackViolations, violations, type TestResource } from "./support/policy-calls";

/**
 * Each policy of the pack (policy/), called directly on resources that comply and on resources
 * that do not, in this project's stacks (inside its components) and in any other stack (a copy of
 * Cerby's key, say one `pulumi import` wrote, recognised by this project's tag).
 */

/** Cerby's AWS principal, as Cerby's "AWS KMS" article names it. */
const CERBY_PRINCIPAL = "arn:aws:iam::749452252575:role/production-kms-byo-key-access-role";
const WORKSPACE_ID = "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b";

/** Parents as this release's program declares them, and as the coming package will. */
const AZURE_KEY_PARENTS = ["cerby:azure:KeyVaultIntegration", "cerby:azure:Key"];
const PACKAGE_PARENTS = ["cerby-external-keys:index:AzureKeyVaultIntegration"];

const azureKey = (overrides: Partial<TestResource> = {}, properties: Record<string, unknown> = {}): TestResource => ({
  type: "azure-native:keyvault:Key",
  name: "cerby-azure-key",
  parents: AZURE_KEY_PARENTS,
  protect: true,
  props: { keyName: "cerby-external-key", properties: { kty: "RSA", keySize: 4096, keyOps: ["wrapKey", "unwrapKey", "encrypt", "decrypt"], ...properties }, resourceGroupName: "rg-cerby" },
  ...overrides,
});

const vault = (properties: Record<string, unknown> = {}, overrides: Partial<TestResource> = {}): TestResource => ({
  type: "azure-native:keyvault:Vault",
  name: "cerby-azure-kv",
  parents: ["cerby:azure:KeyVaultIntegration", "cerby:azure:KeyVault"],
  protect: true,
  props: {
    vaultName: "kv-cerby",
    resourceGroupName: "rg-cerby",
    properties: { enableRbacAuthorization: true, enablePurgeProtection: true, enableSoftDelete: true, networkAcls: { defaultAction: "Deny", ipRules: [{ value: "203.0.113.0/28" }] }, ...properties },
  },
  ...overrides,
});

const kmsKey = (props: Record<string, unknown> = {}, overrides: Partial<TestResource> = {}): TestResource => ({
  type: "aws:kms/key:Key",
  name: "cerby-aws-key",
  parents: ["cerby:aws:KmsIntegration", "cerby:aws:KmsKey"],
  protect: true,
  props: { customerMasterKeySpec: "RSA_4096", keyUsage: "ENCRYPT_DECRYPT", multiRegion: true, deletionWindowInDays: 30, ...props },
  ...overrides,
});

const role = (policy: unknown, overrides: Partial<TestResource> = {}): TestResource => ({
  type: "aws:iam/role:Role",
  name: "cerby-aws-role",
  parents: ["cerby:aws:KmsIntegration", "cerby:aws:AccessRole"],
  protect: true,
  props: { name: "cerby-kms-byo-key-access", assumeRolePolicy: JSON.stringify(policy) },
  ...overrides,
});

describe("cerby-resources-protected (mandatory)", () => {
  test("Cerby's key, vault, KMS key and replica with protect comply; each without it is refused, naming the option and the loss", async () => {
    const replica: TestResource = { type: "aws:kms/replicaKey:ReplicaKey", parents: ["cerby:aws:KmsIntegration", "cerby:aws:KmsReplicaKey"], props: {}, protect: true };
    for (const resource of [azureKey(), vault(), kmsKey(), replica]) {
      expect(await violations(resourcesProtected, resource)).toEqual([]);
      const found = await violations(resourcesProtected, { ...resource, protect: false });
      expect(found).toEqual([expect.stringMatching(/is (?:a|an) .* Cerby uses and is not protected: .*lose every secret.*Keep the resource option protect: true/)]);
    }
  });

  test("the Cerby vault registration and the key-continuity guard must keep protect, in this release's dynamic types and the package's types; the preflight need not", async () => {
    const own = ["pulumi-nodejs:dynamic/cerby:Vault", "cerby-external-keys:index:CerbyVault", "pulumi-nodejs:dynamic/cerby:KeyContinuity", "cerby-external-keys:index:KeyContinuityGuard"];
    for (const type of own) {
      expect({ type, found: await violations(resourcesProtected, { type, props: {}, protect: false }) }).toEqual({ type, found: [expect.stringMatching(/not protected/)] });
    }
    expect(await violations(resourcesProtected, { type: "pulumi-nodejs:dynamic/azure:KeyPreflight", props: {}, protect: false })).toEqual([]);
  });

  test("a key inside the coming package's component is Cerby's; in another stack a KMS key with the project's tag is, an untagged one is not", async () => {
    expect(await violations(resourcesProtected, azureKey({ parents: PACKAGE_PARENTS, protect: false }))).toHaveLength(1);
    const tagged = kmsKey({ tags: { "cerby-external-keys": "cerby-key", owner: "security" } }, { parents: [], protect: false });
    expect(await violations(resourcesProtected, tagged)).toHaveLength(1);
    expect(await violations(resourcesProtected, kmsKey({ tags: { owner: "security" } }, { parents: [], protect: false }))).toEqual([]);
  });
});

describe("cerby-vault-recoverable-rbac (mandatory)", () => {
  test("soft delete, purge protection and RBAC comply; each one missing or off is refused with the setting that fixes it", async () => {
    expect(await violations(vaultRecoverableRbac, vault())).toEqual([]);
    expect(await violations(vaultRecoverableRbac, vault({ enableSoftDelete: false }))).toEqual([expect.stringMatching(/turns soft delete off/)]);
    expect(await violations(vaultRecoverableRbac, vault({ enablePurgeProtection: undefined }))).toEqual([expect.stringMatching(/lacks purge protection.*Set purgeProtection true.*adoptApplyDefaults/)]);
    expect(await violations(vaultRecoverableRbac, vault({ enableRbacAuthorization: false }))).toEqual([expect.stringMatching(/does not use the Azure RBAC permission model/)]);
  });

  test("a vault that is not Cerby's is not this pack's business", async () => {
    expect(await violations(vaultRecoverableRbac, vault({ enablePurgeProtection: false }, { parents: [] }))).toEqual([]);
  });
});

describe("cerby-vault-no-open-network-rule (mandatory)", () => {
  test("listed ranges and addresses comply; 0.0.0.0/0, or any /0, is refused", async () => {
    expect(await violations(vaultNoOpenNetworkRule, vault({ networkAcls: { defaultAction: "Deny", ipRules: [{ value: "203.0.113.0/28" }, { value: "198.51.100.7" }] } }))).toEqual([]);
    expect(await violations(vaultNoOpenNetworkRule, vault({ networkAcls: { defaultAction: "Allow" } }))).toEqual([]);
    for (const open of ["0.0.0.0/0", "10.0.0.0/0"]) {
      const found = await violations(vaultNoOpenNetworkRule, vault({ networkAcls: { defaultAction: "Deny", ipRules: [{ value: "203.0.113.0/28" }, { value: open }] } }));
      expect(found).toEqual([expect.stringMatching(new RegExp(`network rule ${open.replace(/\./g, "\\.")}, which opens .*networkAllowedIpRanges`))]);
    }
  });
});

describe("cerby-key-rsa-4096 (mandatory)", () => {
  test("RSA and RSA-HSM 4096 with wrapKey and unwrapKey comply, and so does a key without a list (Azure then allows every operation)", async () => {
    expect(await violations(keyRsa4096, azureKey())).toEqual([]);
    expect(await violations(keyRsa4096, azureKey({}, { kty: "RSA-HSM" }))).toEqual([]);
    expect(await violations(keyRsa4096, azureKey({}, { keyOps: undefined }))).toEqual([]);
  });

  test("another size (or none: Azure's default is 2048), another type, or a list without unwrapKey is refused", async () => {
    expect(await violations(keyRsa4096, azureKey({}, { keySize: 2048 }))).toEqual([expect.stringMatching(/has size 2048.*only 4096/)]);
    expect(await violations(keyRsa4096, azureKey({}, { keySize: undefined }))).toEqual([expect.stringMatching(/has size undefined \(Azure's default is 2048\)/)]);
    expect(await violations(keyRsa4096, azureKey({}, { kty: "EC", keySize: 4096 }))).toEqual([expect.stringMatching(/is of type EC; Cerby works only with RSA/)]);
    expect(await violations(keyRsa4096, azureKey({}, { keyOps: ["wrapKey", "encrypt"] }))).toEqual([expect.stringMatching(/does not allow unwrapKey/)]);
  });
});

describe("cerby-kms-key-spec (mandatory)", () => {
  test("RSA_4096, ENCRYPT_DECRYPT, multi-Region with a 30-day window (or AWS's default, 30) complies", async () => {
    expect(await violations(kmsKeySpec, kmsKey())).toEqual([]);
    expect(await violations(kmsKeySpec, kmsKey({ deletionWindowInDays: undefined }))).toEqual([]);
  });

  test("another spec, usage, a single-Region key or a shorter window is refused; the window's minimum is a setting", async () => {
    expect(await violations(kmsKeySpec, kmsKey({ customerMasterKeySpec: "RSA_2048" }))).toEqual([expect.stringMatching(/is of spec RSA_2048/)]);
    expect(await violations(kmsKeySpec, kmsKey({ keyUsage: "SIGN_VERIFY" }))).toEqual([expect.stringMatching(/has key usage SIGN_VERIFY/)]);
    expect(await violations(kmsKeySpec, kmsKey({ multiRegion: false }))).toEqual([expect.stringMatching(/is not multi-Region/)]);
    expect(await violations(kmsKeySpec, kmsKey({ deletionWindowInDays: 7 }))).toEqual([expect.stringMatching(/deletion window of 7 days; keep 30 or more.*kmsDeletionWindowDays/)]);
    expect(await violations(kmsKeySpec, kmsKey({ deletionWindowInDays: 7 }), { minimumDeletionWindowDays: 7 })).toEqual([]);
    const replica: TestResource = { type: "aws:kms/replicaKey:ReplicaKey", parents: ["cerby:aws:KmsIntegration", "cerby:aws:KmsReplicaKey"], props: { deletionWindowInDays: 10 }, protect: true };
    expect(await violations(kmsKeySpec, replica)).toEqual([expect.stringMatching(/deletion window of 10 days/)]);
  });
});

describe("cerby-role-trust (mandatory)", () => {
  test("the program's trust policy (Cerby's principal, sts:ExternalId the workspace ID) complies", async () => {
    expect(await violations(roleTrust, role(cerbyTrustPolicy(CERBY_PRINCIPAL, WORKSPACE_ID)))).toEqual([]);
  });

  test("without the ExternalId condition, with another principal beside Cerby's, or without Cerby's principal, Cerby's role is refused", async () => {
    const noCondition = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: CERBY_PRINCIPAL }, Action: "sts:AssumeRole" }] };
    expect(await violations(roleTrust, role(noCondition))).toEqual(
      expect.arrayContaining([expect.stringMatching(/without a StringEquals sts:ExternalId condition.*cerbyWorkspaceId/)]),
    );
    const trust = cerbyTrustPolicy(CERBY_PRINCIPAL, WORKSPACE_ID) as unknown as { Statement: Record<string, unknown>[] };
    const widened = { ...trust, Statement: [{ ...trust.Statement[0], Principal: { AWS: [CERBY_PRINCIPAL, "arn:aws:iam::111122223333:root"] } }] };
    expect(await violations(roleTrust, role(widened))).toEqual(expect.arrayContaining([expect.stringMatching(/lets AWS:arn:aws:iam::111122223333:root assume the role/)]));
    const elsewhere = cerbyTrustPolicy("arn:aws:iam::111122223333:role/someone", WORKSPACE_ID);
    expect(await violations(roleTrust, role(elsewhere))).toEqual(expect.arrayContaining([expect.stringMatching(/does not let arn:aws:iam::749452252575:role\/production-kms-byo-key-access-role assume it/)]));
  });

  test("in another stack a role that names Cerby's principal is held to the same rule; a role that does not is left alone", async () => {
    const noCondition = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: CERBY_PRINCIPAL }, Action: "sts:AssumeRole" }] };
    expect(await violations(roleTrust, role(noCondition, { parents: [] }))).not.toEqual([]);
    const ec2 = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] };
    expect(await violations(roleTrust, role(ec2, { parents: [] }))).toEqual([]);
  });

  test("Cerby's principal is a setting (this project's cerbyPrincipalArn)", async () => {
    const other = "arn:aws:iam::749452252575:role/staging-kms-byo-key-access-role";
    expect(await violations(roleTrust, role(cerbyTrustPolicy(other, WORKSPACE_ID)), { cerbyPrincipalArn: other })).toEqual([]);
    expect(await violations(roleTrust, role(cerbyTrustPolicy(other, WORKSPACE_ID)))).not.toEqual([]);
  });
});

describe("cerby-client-secret-lifetime (advisory)", () => {
  const password = (props: Record<string, unknown>): TestResource => ({
    type: "azuread:index/applicationPassword:ApplicationPassword",
    name: "cerby-azure-app-secret",
    parents: ["cerby:azure:KeyVaultIntegration", "cerby:azure:Application"],
    props,
  });

  test("180 days and a year comply; two years, or no end date (Microsoft Graph's default: two years), warn; the limit is a setting", async () => {
    expect(await violations(clientSecretLifetime, password({ startDate: "2026-12-01T00:00:00Z", endDate: "2027-05-30T00:00:00Z" }))).toEqual([]);
    expect(await violations(clientSecretLifetime, password({ startDate: "2026-12-01T00:00:00Z", endDate: "2027-12-01T00:00:00Z" }))).toEqual([]);
    expect(await violations(clientSecretLifetime, password({ startDate: "2026-12-01T00:00:00Z", endDate: "2028-11-30T00:00:00Z" }))).toEqual([
      expect.stringMatching(/is valid for 730 days, over 365.*clientSecretLifetimeDays/),
    ]);
    expect(await violations(clientSecretLifetime, password({ startDate: "2026-12-01T00:00:00Z" }))).toHaveLength(1);
    expect(await violations(clientSecretLifetime, password({ startDate: "2026-12-01T00:00:00Z", endDate: "2028-11-30T00:00:00Z" }), { maximumDays: 730 })).toEqual([]);
  });
});

describe("cerby-tamper-alerts (advisory)", () => {
  test("a stack with Cerby's key and its alerts complies; without them it warns once per cloud, on the key", async () => {
    const azureAlert: TestResource = { type: "azure-native:monitor:ActivityLogAlert", parents: ["cerby:azure:KeyVaultIntegration"], props: {} };
    const awsRule: TestResource = { type: "aws:cloudwatch/eventRule:EventRule", parents: ["cerby:aws:KmsIntegration"], props: {} };
    expect(await stackViolations(tamperAlerts, [azureKey(), azureAlert, kmsKey(), awsRule])).toEqual([]);
    const found = await stackViolations(tamperAlerts, [azureKey(), kmsKey()]);
    expect(found.map(({ message }) => message)).toEqual([expect.stringMatching(/Tamper alerts are off.*cerby-azure-key.*Set tamperAlerts true/), expect.stringMatching(/cerby-aws-key.*EventBridge/)]);
    expect(found.map(({ urn }) => urn)).toEqual([expect.stringMatching(/::cerby-azure-key$/), expect.stringMatching(/::cerby-aws-key$/)]);
    expect(await stackViolations(tamperAlerts, [azureKey({ parents: [] })])).toEqual([]);
  });
});

describe("cerby-untagged-key (advisory)", () => {
  const group: TestResource = { type: "azure-native:resources:ResourceGroup", parents: ["cerby:azure:KeyVaultIntegration"], props: { resourceGroupName: "rg-cerby" } };

  test("another key in the resource group the project manages warns unless it carries the project's tag; elsewhere it does not", async () => {
    const stray = azureKey({ name: "someone-elses-key", parents: [] });
    expect(await stackViolations(untaggedKey, [group, azureKey(), stray])).toEqual([
      { message: expect.stringMatching(/someone-elses-key is in the resource group rg-cerby.*not Cerby's and is untagged/), urn: expect.stringMatching(/::someone-elses-key$/) },
    ]);
    const tagged = { ...stray, props: { ...stray.props, tags: { "cerby-external-keys": "cerby-key" } } };
    expect(await stackViolations(untaggedKey, [group, azureKey(), tagged])).toEqual([]);
    const elsewhere = { ...stray, props: { ...stray.props, resourceGroupName: "rg-apps" } };
    expect(await stackViolations(untaggedKey, [group, azureKey(), elsewhere])).toEqual([]);
    expect(await stackViolations(untaggedKey, [azureKey(), stray])).toEqual([]);
  });
});
