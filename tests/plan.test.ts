import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  SECRET_TEXT,
  UNKNOWN_TEXT,
  loadProject,
  loadStackConfig,
  planStack,
  resourceRef,
  type Plan,
  type PlannedResource,
} from "../tools/plan";
import { ROOT, planInProcess } from "./support/plan-run";
import { AZURE_TYPES } from "./support/resource-types";

const FIXTURES = path.join(__dirname, "fixtures");
const PLAINTEXT_SECRET = "plan-fixture-NOT-A-REAL-KEY-7d1e0c4b9a";

const T = AZURE_TYPES;

const plan = planInProcess;

async function planJson<T = Plan>(...argv: string[]): Promise<T> {
  const result = await plan(...argv, "--format", "json");
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
  return JSON.parse(result.stdout) as T;
}

function one(resources: PlannedResource[], type: string, nameSuffix = ""): PlannedResource {
  const found = resources.filter((resource) => resource.type === type && resource.name.endsWith(nameSuffix));
  if (found.length !== 1) {
    throw new Error(`expected one ${type} named *${nameSuffix}, found ${found.length}`);
  }
  return found[0];
}

/** Everything a resource waits for: its own dependencies and those of its parent components. */
function waitsFor(resource: PlannedResource): string[] {
  return [...resource.dependsOn, ...resource.dependsOnViaParent];
}

function count(text: string, fragment: string): number {
  return text.split(fragment).length - 1;
}

describe("the plan of Pulumi.dev.yaml", () => {
  let dev: Plan;
  let json: string;

  beforeAll(async () => {
    const result = await plan("--stack", "dev", "--format", "json");
    expect(result.code).toBe(0);
    json = result.stdout;
    dev = JSON.parse(json) as Plan;
  });

  test("declares the Azure integration: each cloud resource type, and how many", () => {
    const counts: Record<string, number> = {};
    for (const resource of dev.resources.filter((item) => item.custom)) {
      counts[resource.type] = (counts[resource.type] ?? 0) + 1;
    }
    expect(counts).toEqual({
      [T.application]: 1,
      [T.servicePrincipal]: 1,
      [T.password]: 1,
      [T.resourceGroup]: 1,
      [T.vault]: 1,
      [T.lock]: 1,
      [T.roleAssignment]: 2,
      [T.roleDefinition]: 1,
      [T.readiness]: 1,
      [T.key]: 1,
      [T.keyPreflight]: 1,
      [T.cerbyVault]: 1,
      [T.keyContinuity]: 1,
    });
    expect(dev.resources.filter((item) => !item.custom).map((item) => item.type)).toContain("cerby:azure:KeyVaultIntegration");
  });

  test("the key waits for the vault and, through its parent, for the deployer's grant and its readiness probe", () => {
    const key = one(dev.resources, T.key);
    const delay = one(dev.resources, T.readiness);
    const deployerGrant = one(dev.resources, T.roleAssignment, "-deployer");
    expect(waitsFor(key)).toEqual(expect.arrayContaining([resourceRef(one(dev.resources, T.vault)), resourceRef(delay)]));
    expect(delay.dependsOn).toContain(resourceRef(deployerGrant));
  });

  test("the service principal's role assignment waits for the service principal and, through the key continuity guard, the key", () => {
    const assignment = one(dev.resources, T.roleAssignment, "-cerby");
    const guard = one(dev.resources, T.keyContinuity);
    expect(assignment.dependsOn).toEqual(expect.arrayContaining([resourceRef(one(dev.resources, T.servicePrincipal)), resourceRef(guard)]));
    expect(guard.dependsOn).toContain(resourceRef(one(dev.resources, T.key)));
  });

  test("the Cerby vault is registered only after the service principal's role assignment and the key's preflight", () => {
    const cerbyVault = one(dev.resources, T.cerbyVault);
    expect(waitsFor(cerbyVault)).toEqual(expect.arrayContaining([resourceRef(one(dev.resources, T.roleAssignment, "-cerby")), resourceRef(one(dev.resources, T.keyPreflight))]));
  });

  test("the key, the vault and the resource group are protected and retained on delete", () => {
    for (const type of [T.key, T.vault, T.resourceGroup]) {
      const resource = one(dev.resources, type);
      expect({ type, protect: resource.protect, retainOnDelete: resource.retainOnDelete }).toEqual({ type, protect: true, retainOnDelete: true });
    }
    expect(one(dev.resources, T.lock).protect).toBe(true);
  });

  test("shows the key's inputs: RSA 4096, wrap and unwrap", () => {
    expect(one(dev.resources, T.key).inputs).toMatchObject({
      keyName: "cerby-external-key",
      properties: { kty: "RSA", keySize: 4096, keyOps: expect.arrayContaining(["wrapKey", "unwrapKey"]) },
    });
  });

  test("answers getClientConfig from the config's tenant and subscription, and leaves the deployer unknown", () => {
    const invoke = dev.invokes.find((item) => item.token === "azure-native:authorization:getClientConfig");
    expect(invoke).toEqual({
      token: "azure-native:authorization:getClientConfig",
      result: {
        tenantId: "11111111-1111-4111-8111-111111111111",
        subscriptionId: "22222222-2222-4222-8222-222222222222",
        objectId: UNKNOWN_TEXT,
        clientId: UNKNOWN_TEXT,
      },
      from: { tenantId: "config azureTenantId", subscriptionId: "config azureSubscriptionId" },
    });
    expect(one(dev.resources, T.roleAssignment, "-deployer").inputs.principalId).toBe(UNKNOWN_TEXT);
    // The deployer's custom role takes its GUID from the vault's ID, known only after deploy; Cerby's built-in role is known.
    expect(one(dev.resources, T.roleAssignment, "-cerby").inputs.roleDefinitionId).toMatch(/^\/subscriptions\/22222222-2222-4222-8222-222222222222\/providers\//);
  });

  test("values computed by the deployment are unknown, including the vault URI inside the vault's properties", () => {
    expect(dev.outputs).toMatchObject({ cerbyApiUrl: "https://acme.cerby.com/api/v1", keyVaultUri: UNKNOWN_TEXT, keyId: UNKNOWN_TEXT });
    expect(one(dev.resources, T.vault).inputs).toMatchObject({ vaultName: "kv-cerby-acme-dev", resourceGroupName: UNKNOWN_TEXT });
  });

  test("shows each dynamic provider's size, never its code", () => {
    const dynamic = dev.resources.filter((resource) => resource.type.startsWith("pulumi-nodejs:dynamic/"));
    expect(dynamic.length).toBeGreaterThan(0);
    for (const resource of dynamic) {
      expect(resource.providerBytes).toBeGreaterThan(500);
      expect(resource.inputs).not.toHaveProperty("__provider");
    }
    expect(json).not.toContain("__provider");
    expect(json).not.toContain("exports.handler");
  });

  test("notes that cerbyApiKey is not set, which pulumi up would stop on", () => {
    expect(dev.notes.join("\n")).toMatch(/cerbyApiKey is not set/);
  });

  test("the table lists every resource with its flags, dependencies and inputs, then the outputs", async () => {
    const { code, stdout } = await plan("--stack", "dev");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Stack dev \(Pulumi\.dev\.yaml\)/);
    for (const resource of dev.resources) {
      expect(stdout).toContain(`${resource.type}  ${resource.name}`);
    }
    expect(stdout).toMatch(/\[\d+\] azure-native:keyvault:Key {2}cerby-azure-key {2}\(protect, retainOnDelete\)/);
    expect(stdout).toMatch(/and, via parent +\[\d+\] DataPlaneReadiness cerby-azure-deployer-propagation/);
    expect(stdout).toMatch(/properties\.keySize +4096/);
    expect(stdout).toMatch(/\nOutputs\n {2}cerbyApiUrl +https:\/\/acme\.cerby\.com\/api\/v1/);
    expect(stdout).toMatch(/serialized dynamic provider, \d+ bytes/);
    expect(stdout).not.toContain("exports.handler");
  });

  test("the markdown has a resource table, the inputs in a collapsed section, and the outputs", async () => {
    const { code, stdout } = await plan("--stack", "dev", "--format", "markdown");
    expect(code).toBe(0);
    expect(stdout).toContain("### Plan for stack `dev` (`Pulumi.dev.yaml`)");
    expect(stdout).toContain("| # | Type | Name | Parent | Depends on | Flags |");
    expect(stdout.split("\n").filter((line) => /^\| \d+ \|/.test(line))).toHaveLength(dev.resources.length);
    expect(stdout).toMatch(/\| `azure-native:keyvault:Key` \| `cerby-azure-key` \| #\d+ \| .*\(via parent\).* \| protect, retainOnDelete \|/);
    expect(stdout).toContain("<details><summary>Inputs of each resource</summary>");
    expect(stdout).toContain("| `keyVaultUri` | `(known after deploy)` |");
  });
});

describe("secrets", () => {
  test("a plaintext secret in a stack file is refused, by key, and its value is never printed", async () => {
    const { code, stdout, stderr } = await plan("--config-file", path.join(FIXTURES, "plan-plaintext-secret.yaml"));
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/cerby-external-keys:cerbyApiKey is stored in plain text/);
    expect(stdout + stderr).not.toContain(PLAINTEXT_SECRET);
    expect(stdout + stderr).not.toContain(PLAINTEXT_SECRET.slice(0, 12));
  });

  test("secure: values are present secrets: the plan runs and shows [secret], never the ciphertext", async () => {
    const { code, stdout, stderr } = await plan("--config-file", path.join(FIXTURES, "plan-secure.yaml"), "--format", "json");
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const secure = JSON.parse(stdout) as Plan;
    expect(secure.stack).toBe("plan-secure");
    expect(one(secure.resources, T.application).inputs.displayName).toBe(SECRET_TEXT);
    expect(one(secure.resources, T.vault).inputs.tags).toEqual({ costCenter: SECRET_TEXT, owner: "platform-team" });
    expect(secure.notes.join("\n")).not.toMatch(/cerbyApiKey/);
    expect(stdout).not.toMatch(/v1:|cGxhbi1maXh0dXJl/);
  });
});

describe("invalid input", () => {
  test("invalid config: exit code 1, every problem once with its key, and no plan", async () => {
    const { code, stdout, stderr } = await plan("--config-file", path.join(FIXTURES, "plan-invalid.yaml"));
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^tests\/fixtures\/plan-invalid\.yaml: Invalid stack configuration \(3 problems\)/);
    for (const key of ["keySize", "keyVaultName", "keyVaultNmae"]) {
      expect({ key, times: count(stderr, `cerby-external-keys:${key} `) }).toEqual({ key, times: 1 });
    }
  });

  test("malformed YAML: exit code 1 and the file and line where the broken value starts", async () => {
    const { code, stdout, stderr } = await plan("--config-file", path.join(FIXTURES, "plan-malformed.yaml"));
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^tests\/fixtures\/plan-malformed\.yaml:3:46: Missing closing "quote/);
  });

  test("an unreadable file and an unknown stack are named", async () => {
    const missing = await plan("--config-file", path.join(FIXTURES, "plan-does-not-exist.yaml"));
    expect(missing).toEqual({ code: 1, stdout: "", stderr: expect.stringMatching(/plan-does-not-exist\.yaml: cannot read the file \(ENOENT\)/) });
    const unknown = await plan("--stack", "nope");
    expect(unknown).toEqual({ code: 1, stdout: "", stderr: expect.stringMatching(/Pulumi\.nope\.yaml: no such stack file\. Stacks here: .*dev/) });
  });

  test("bad usage: exit code 2 and the usage", async () => {
    for (const argv of [[], ["--stack", "dev", "--all"], ["--stack", "dev", "--format", "yaml"], ["--stack", "dev", "--verbose"]]) {
      const result = await plan(...argv);
      expect({ argv, code: result.code, stdout: result.stdout }).toEqual({ argv, code: 2, stdout: "" });
      expect(result.stderr).toContain("Usage: npm run plan");
    }
  });
});

describe("provider functions", () => {
  test("one the plan cannot answer offline fails the plan, naming it and where to teach it", async () => {
    const project = loadProject(ROOT);
    const stack = loadStackConfig(project, path.join(ROOT, "Pulumi.dev.yaml"));
    const program = async () => ({ region: pulumi.runtime.invokeOutput("aws:index/getRegion:getRegion", {}) });
    await expect(planStack(project, stack, program)).rejects.toThrow(
      "The offline plan cannot answer the provider function aws:index/getRegion:getRegion; teach it how in INVOKES in tools/plan.ts.",
    );
  });
});

describe("--all", () => {
  test("plans every stack file in the folder, answering the invokes each one makes", async () => {
    const plans = await planJson<Plan[]>("--all", "--dir", path.join(FIXTURES, "plan-stacks"));
    expect(plans.map((item) => item.stack)).toEqual(["alpha", "beta"]);
    const [alpha, beta] = plans;

    expect(alpha.resources.some((resource) => resource.type === T.resourceGroup)).toBe(false);
    expect(alpha.invokes).toContainEqual({
      token: "azure-native:resources:getResourceGroup",
      result: { name: "rg-existing", id: UNKNOWN_TEXT, location: UNKNOWN_TEXT },
      from: { name: "input resourceGroupName" },
    });
    expect(alpha.resources.filter((resource) => resource.type === T.roleAssignment)).toHaveLength(1);

    expect(beta.resources.filter((resource) => resource.type === T.cerbyVault).length).toBeGreaterThanOrEqual(1);
    expect(beta.resources.some((resource) => resource.type === "aws:kms/key:Key")).toBe(true);
    const identity = beta.invokes.find((item) => item.token === "aws:index/getCallerIdentity:getCallerIdentity");
    expect(identity).toMatchObject({ result: { accountId: "123456789012" }, from: { accountId: "config awsAccountId" } });
    expect(beta.outputs.awsAccountId).toBe("123456789012");
  });

  test("shows the registration mode of each Cerby vault, in the table too", async () => {
    const [alpha, beta] = await planJson<Plan[]>("--all", "--dir", path.join(FIXTURES, "plan-stacks"));
    const modes = (plan: Plan) => plan.resources.filter((resource) => resource.type === T.cerbyVault).map((resource) => resource.inputs.registration);
    expect(modes(alpha)).toEqual(["auto"]);
    expect(modes(beta)).toEqual(["guided", "guided"]);
    const { stdout } = await plan("--all", "--dir", path.join(FIXTURES, "plan-stacks"));
    // The table pads names to each resource's longest input name, so only the words are matched.
    expect(stdout.match(/^\s+registration\s+guided$/gm) ?? []).toHaveLength(2);
  });

  test("a stack with invalid config fails alone: the others are still planned, the exit code is 1", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-all-"));
    try {
      fs.copyFileSync(path.join(FIXTURES, "plan-stacks", "Pulumi.alpha.yaml"), path.join(dir, "Pulumi.good.yaml"));
      fs.copyFileSync(path.join(FIXTURES, "plan-invalid.yaml"), path.join(dir, "Pulumi.bad.yaml"));
      const { code, stdout, stderr } = await plan("--all", "--dir", dir);
      expect(code).toBe(1);
      expect(stdout).toMatch(/^Stack good /);
      expect(stdout).not.toMatch(/Stack bad /);
      expect(stderr).toMatch(/Pulumi\.bad\.yaml: Invalid stack configuration \(3 problems\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
