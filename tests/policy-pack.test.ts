import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { cerbyTrustPolicy } from "../components/aws/role";
import { PROJECT_TAG, isOwnType } from "../policy/cerby-resources";
import type { RecordedResource } from "../tools/mock-runtime";
import { EXAMPLE_STACKS, runExample } from "./support/example-runs";
import { PACK_DIR, PolicyPackHost, locateRunPolicyPack, withEngineUrns, type Diagnostic } from "./support/policy-pack-host";
import { ROOT } from "./support/plan-run";

/**
 * The policy pack (policy/) started the way `pulumi preview --policy-pack policy` starts it and
 * driven over the Analyzer gRPC service with what the program itself declares for every example
 * stack: each example complies, and a broken copy of each does not.
 */

/** The policies and the level each has unless configured, as the issue lists them. */
const LEVELS = {
  "cerby-resources-protected": "mandatory",
  "cerby-vault-recoverable-rbac": "mandatory",
  "cerby-vault-no-open-network-rule": "mandatory",
  "cerby-key-rsa-4096": "mandatory",
  "cerby-kms-key-spec": "mandatory",
  "cerby-role-trust": "mandatory",
  "cerby-tamper-alerts": "advisory",
  "cerby-client-secret-lifetime": "advisory",
  "cerby-untagged-key": "advisory",
};

/** The advisory findings each example is expected to get: the examples without tamper alerts get that warning, per cloud. */
const EXPECTED_ADVISORIES: Record<(typeof EXAMPLE_STACKS)[number], string[]> = {
  "examples/Pulumi.azure.yaml": ["cerby-tamper-alerts cerby-azure-key"],
  "examples/Pulumi.azure-production.yaml": [],
  "examples/Pulumi.azure-and-aws.yaml": ["cerby-tamper-alerts cerby-azure-key", "cerby-tamper-alerts cerby-aws-key"],
  "examples/Pulumi.aws-only.yaml": [],
  "examples/Pulumi.adopt-existing.yaml": ["cerby-tamper-alerts cerby-azure-key", "cerby-tamper-alerts cerby-aws-key"],
};

/** One way to break a stack, the policy that must refuse it, and the resource it breaks. */
interface Breaker {
  what: string;
  policy: keyof typeof LEVELS;
  applies: (resource: RecordedResource) => boolean;
  breaks: (resource: RecordedResource) => RecordedResource;
}

/** The resource with some of its `properties` replaced; an undefined value leaves the property out, as the SDK does. */
const withProperties = (resource: RecordedResource, properties: Record<string, unknown>): RecordedResource => {
  const merged = Object.entries({ ...(resource.rawInputs.properties as object), ...properties }).filter(([, value]) => value !== undefined);
  return { ...resource, rawInputs: { ...resource.rawInputs, properties: Object.fromEntries(merged) } };
};

const BREAKERS: Breaker[] = [
  { what: "the Key Vault key unprotected", policy: "cerby-resources-protected", applies: (r) => r.type === "azure-native:keyvault:Key", breaks: (r) => ({ ...r, protect: false }) },
  { what: "the KMS key unprotected", policy: "cerby-resources-protected", applies: (r) => r.type === "aws:kms/key:Key", breaks: (r) => ({ ...r, protect: false }) },
  { what: "the Cerby vault registration unprotected", policy: "cerby-resources-protected", applies: (r) => r.type === "pulumi-nodejs:dynamic/cerby:Vault", breaks: (r) => ({ ...r, protect: false }) },
  { what: "purge protection off", policy: "cerby-vault-recoverable-rbac", applies: (r) => r.type === "azure-native:keyvault:Vault", breaks: (r) => withProperties(r, { enablePurgeProtection: undefined }) },
  {
    what: "a firewall rule for 0.0.0.0/0",
    policy: "cerby-vault-no-open-network-rule",
    applies: (r) => r.type === "azure-native:keyvault:Vault",
    breaks: (r) => withProperties(r, { networkAcls: { defaultAction: "Deny", bypass: "AzureServices", ipRules: [{ value: "0.0.0.0/0" }] } }),
  },
  { what: "a 2048-bit key", policy: "cerby-key-rsa-4096", applies: (r) => r.type === "azure-native:keyvault:Key", breaks: (r) => withProperties(r, { keySize: 2048 }) },
  { what: "a 7-day deletion window", policy: "cerby-kms-key-spec", applies: (r) => r.type === "aws:kms/key:Key", breaks: (r) => ({ ...r, rawInputs: { ...r.rawInputs, deletionWindowInDays: 7 } }) },
  {
    what: "a trust without the external ID",
    policy: "cerby-role-trust",
    applies: (r) => r.type === "aws:iam/role:Role",
    breaks: (r) => {
      const trust = cerbyTrustPolicy("arn:aws:iam::749452252575:role/production-kms-byo-key-access-role", "any") as unknown as { Statement: Record<string, unknown>[] };
      const { Condition: _dropped, ...statement } = trust.Statement[0];
      return { ...r, rawInputs: { ...r.rawInputs, assumeRolePolicy: JSON.stringify({ ...trust, Statement: [statement] }) } };
    },
  },
];

/** The package's names of this release's types, as the coming release is expected to name them (module not decided: two are used). */
const PACKAGE_TOKENS: Record<string, string> = {
  "cerby:azure:KeyVaultIntegration": "cerby-external-keys:index:AzureKeyVaultIntegration",
  "cerby:azure:Key": "cerby-external-keys:azure:CerbyKey",
  "cerby:azure:KeyVault": "cerby-external-keys:azure:CerbyKeyVault",
  "cerby:aws:KmsIntegration": "cerby-external-keys:index:AwsKmsIntegration",
  "cerby:aws:KmsKey": "cerby-external-keys:aws:CerbyKmsKey",
  "cerby:aws:AccessRole": "cerby-external-keys:aws:CerbyAccessRole",
  "pulumi-nodejs:dynamic/cerby:Vault": "cerby-external-keys:index:CerbyVault",
  "pulumi-nodejs:dynamic/cerby:KeyContinuity": "cerby-external-keys:index:KeyContinuityGuard",
};

/** The same resources as the coming release would declare them: this package's tokens for its own types. */
function asPackage(resources: RecordedResource[]): RecordedResource[] {
  const token = (type: string): string => PACKAGE_TOKENS[type] ?? type;
  const urn = (value: string): string => {
    const parts = value.split("::");
    parts[2] = parts[2].split("$").map(token).join("$");
    return parts.join("::");
  };
  return resources.map((resource) => ({ ...resource, type: token(resource.type), urn: urn(resource.urn), parent: resource.parent && urn(resource.parent) }));
}

const summary = (found: Diagnostic[]): string[] => found.map((diagnostic) => `${diagnostic.policy} ${diagnostic.urn.split("::").pop()}`);
const ofLevel = (found: Diagnostic[], level: string): Diagnostic[] => found.filter((diagnostic) => diagnostic.level === level);

let host: PolicyPackHost;
const runs = new Map<string, RecordedResource[]>();

beforeAll(async () => {
  for (const file of EXAMPLE_STACKS) {
    runs.set(file, withEngineUrns(await runExample(file)));
  }
  host = await PolicyPackHost.start();
}, 300_000);

afterAll(async () => {
  await host?.stop();
});

describe("the pack starts as the Pulumi CLI starts it, after the repository's npm ci", () => {
  test("the language host's lookup of @pulumi/pulumi/cmd/run-policy-pack from policy/ finds the repository's copy: the pack needs no node_modules or install of its own", () => {
    expect(locateRunPolicyPack()).toBe(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack", "index.js"));
    expect(fs.existsSync(path.join(PACK_DIR, "node_modules"))).toBe(false);
    expect(parse(fs.readFileSync(path.join(PACK_DIR, "PulumiPolicy.yaml"), "utf8"))).toMatchObject({ runtime: { name: "nodejs" } });
  });

  test("policy/package.json (what `pulumi policy publish` installs from) pins the versions the repository installs, and the project's version", () => {
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const pack = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8"));
    const pinned = { ...root.devDependencies, ...root.dependencies };
    expect(Object.entries(pack.dependencies).filter(([name, version]) => pinned[name] !== version)).toEqual([]);
    expect(Object.keys(pack.dependencies)).toEqual(expect.arrayContaining(["@pulumi/policy", "@pulumi/pulumi", "typescript", "ts-node"]));
    expect(pack.version).toBe(root.version);
  });

  test("GetAnalyzerInfo names the pack and its policies with their levels, and the settings with their defaults", async () => {
    const info = await host.info();
    expect(info.name).toBe("cerby-external-keys");
    expect(info.supportsConfig).toBe(true);
    expect(Object.fromEntries(info.policies.map((policy) => [policy.name, policy.level]))).toEqual(LEVELS);
    const defaults = Object.fromEntries(
      info.policies.flatMap((policy) => Object.entries(policy.configSchema ?? {}).map(([setting, schema]) => [`${policy.name}.${setting}`, (schema as { default: unknown }).default])),
    );
    expect(defaults).toEqual({
      "cerby-kms-key-spec.minimumDeletionWindowDays": 30,
      "cerby-role-trust.cerbyPrincipalArn": "arn:aws:iam::749452252575:role/production-kms-byo-key-access-role",
      "cerby-client-secret-lifetime.maximumDays": 365,
    });
  });
});

describe("the pack knows this project's resources", () => {
  test("every component and dynamic resource type the examples declare is one of this project's types to the pack; no cloud type is", () => {
    const declared = [...runs.values()].flat();
    const own = [...new Set(declared.filter((resource) => !resource.custom || resource.type.startsWith("pulumi-nodejs:dynamic")).map((resource) => resource.type))];
    expect(own.filter((type) => type !== "pulumi:pulumi:Stack" && !isOwnType(type))).toEqual([]);
    expect(own.length).toBeGreaterThanOrEqual(20);
    const cloud = [...new Set(declared.filter((resource) => resource.custom && !resource.type.startsWith("pulumi-nodejs:dynamic")).map((resource) => resource.type))];
    expect(cloud.filter(isOwnType)).toEqual([]);
  });

  test("the program tags the KMS key and replica it creates (adopted ones keep their tags) with the tag the pack recognises them by in any stack", () => {
    const keys = [...runs.values()].flat().filter((resource) => /^aws:kms\/(?:key:Key|replicaKey:ReplicaKey)$/.test(resource.type) && !resource.importId);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const key of keys) {
      expect((key.rawInputs.tags as Record<string, string>)[PROJECT_TAG.key]).toBe(PROJECT_TAG.value);
    }
  });
});

describe("every example stack complies; a broken copy of each does not", () => {
  test.each(EXAMPLE_STACKS)("%s: no mandatory finding on any resource or the stack; the advisory ones are the expected ones", async (file) => {
    const found = await host.preview(runs.get(file)!);
    expect(ofLevel(found, "mandatory")).toEqual([]);
    expect(summary(ofLevel(found, "advisory")).sort()).toEqual([...EXPECTED_ADVISORIES[file]].sort());
  });

  test.each(EXAMPLE_STACKS)("%s: each way of breaking it is refused by its mandatory policy, on the resource broken", async (file) => {
    const resources = runs.get(file)!;
    const applied = BREAKERS.filter((breaker) => resources.some(breaker.applies));
    expect(applied.length).toBeGreaterThanOrEqual(3);
    for (const breaker of applied) {
      const target = resources.find(breaker.applies)!;
      const broken = resources.map((resource) => (resource === target ? breaker.breaks(resource) : resource));
      const found = ofLevel(await host.preview(broken), "mandatory");
      expect({ broken: breaker.what, found: [...new Set(summary(found))] }).toEqual({ broken: breaker.what, found: [`${breaker.policy} ${target.name}`] });
    }
  });

  test("an adopted setup without purge protection (Cerby's article leaves it to the reader) is refused until adoptApplyDefaults applies it", async () => {
    const resources = withEngineUrns(await runExample("examples/Pulumi.adopt-existing.yaml", { purgeProtection: false }));
    const found = ofLevel(await host.preview(resources), "mandatory");
    expect(found.map((diagnostic) => diagnostic.policy)).toEqual(["cerby-vault-recoverable-rbac"]);
    expect(found[0].message).toMatch(/lacks purge protection.*add purgeProtection to adoptApplyDefaults/);
  });

  test.each(EXAMPLE_STACKS)("%s with the coming package's type tokens complies the same, and an unprotected Cerby vault registration is still refused", async (file) => {
    const resources = asPackage(runs.get(file)!);
    expect(resources.some((resource) => resource.type.startsWith("cerby-external-keys:"))).toBe(true);
    const found = await host.preview(resources);
    expect(ofLevel(found, "mandatory")).toEqual([]);
    expect(summary(ofLevel(found, "advisory")).sort()).toEqual([...EXPECTED_ADVISORIES[file]].sort());
    const registration = resources.find((resource) => resource.type === "cerby-external-keys:index:CerbyVault")!;
    const broken = resources.map((resource) => (resource === registration ? { ...resource, protect: false } : resource));
    expect(summary(ofLevel(await host.preview(broken), "mandatory"))).toEqual([`cerby-resources-protected ${registration.name}`]);
  });
});

describe("levels and settings, as `--policy-pack-config <file>` sends them", () => {
  afterEach(async () => {
    await host.configure({});
  });

  test("a policy made advisory warns instead of refusing, a disabled one says nothing, and a setting changes what complies", async () => {
    const resources = runs.get("examples/Pulumi.azure-and-aws.yaml")!;
    const key = resources.find((resource) => resource.type === "aws:kms/key:Key")!;
    const broken = resources.map((resource) => (resource === key ? { ...resource, protect: false, rawInputs: { ...resource.rawInputs, deletionWindowInDays: 7 } } : resource));
    await host.configure({
      "cerby-resources-protected": { level: "advisory" },
      "cerby-tamper-alerts": { level: "disabled" },
      "cerby-kms-key-spec": { level: "mandatory", settings: { minimumDeletionWindowDays: 7 } },
    });
    const found = await host.preview(broken);
    expect(found.map((diagnostic) => `${diagnostic.level} ${diagnostic.policy}`)).toEqual(["advisory cerby-resources-protected"]);
  });
});
