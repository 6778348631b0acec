/**
 * Adopting an AWS KMS setup made by hand (adoptExisting), under mocks whose get functions answer
 * as Cerby's "AWS KMS" article leaves AWS: a multi-Region RSA_4096 key in us-east-2 with its
 * replica in us-west-2, and a role trusted by Cerby with an inline policy.
 */
import * as pulumi from "@pulumi/pulumi";
import { redactSecrets, type MockRunResult, type RecordedResource } from "../tools/mock-runtime";
import { figures, runProgram, single } from "./support/program";
import { ADOPT_AWS_CONFIG, MANUAL_AWS, ManualAws, type ManualAwsOptions } from "./support/manual-aws";
import { AWS_ACCOUNT_ID, MRK_KEY_ID } from "./support/aws-cloud";

const T = {
  key: "aws:kms/key:Key",
  replica: "aws:kms/replicaKey:ReplicaKey",
  alias: "aws:kms/alias:Alias",
  role: "aws:iam/role:Role",
  policy: "aws:iam/rolePolicy:RolePolicy",
  guard: "pulumi-nodejs:dynamic/cerby:KeyContinuity",
  vault: "pulumi-nodejs:dynamic/cerby:Vault",
};

function inputs(resource: RecordedResource): Record<string, any> {
  const { __provider: _ignored, ...rest } = redactSecrets(resource.rawInputs) as Record<string, any>;
  return rest;
}

async function adopt(setup: ManualAwsOptions = {}, overrides: Record<string, unknown> = {}): Promise<MockRunResult & { warnings: string[]; cloud: ManualAws }> {
  const warnings: string[] = [];
  const cloud = new ManualAws(setup);
  const spy = jest.spyOn(pulumi.log, "warn").mockImplementation(async (message: string) => void warnings.push(message));
  try {
    return { ...(await runProgram({ ...ADOPT_AWS_CONFIG, ...overrides }, { cloud })), warnings, cloud };
  } finally {
    spy.mockRestore();
  }
}

async function refusal(setup: ManualAwsOptions): Promise<Error> {
  try {
    await adopt(setup);
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the adoption to be refused");
}

describe("adopting AWS as Cerby's article builds it", () => {
  let run: Awaited<ReturnType<typeof adopt>>;

  beforeAll(async () => {
    run = await adopt();
  }, 60_000);

  test("imports the key, its replica and the role, and creates only the role's Cerby policy, the guard and the Cerby vault", () => {
    const { imported, created } = figures(run.resources);
    expect(imported.sort()).toEqual([T.key, T.replica, T.role].sort());
    expect(created.sort()).toEqual([T.guard, T.policy, T.vault].sort());
    expect(single(run.resources, T.key).importId).toBe(MRK_KEY_ID);
    expect(single(run.resources, T.replica).importId).toBe(MRK_KEY_ID);
    expect(single(run.resources, T.role).importId).toBe(MANUAL_AWS.roleName);
    expect(run.resources.filter((resource) => resource.type === T.alias)).toEqual([]);
  });

  test("reads the key in the primary Region and the replica in the replica Region, each through its provider", () => {
    expect(run.cloud.regionOf.get("cerby-aws-key")).toBe("us-east-2");
    expect(run.cloud.regionOf.get("cerby-aws-replica")).toBe("us-west-2");
    const keyReads = run.cloud.calls.filter((call) => call.token === "aws:kms/getKey:getKey").map((call) => call.inputs.keyId);
    expect(keyReads).toEqual([MRK_KEY_ID, MANUAL_AWS.replicaArn]);
  });

  test("declares the key, replica and role with what they have; tags and deletion window, which cannot be read, are ignored", () => {
    const key = single(run.resources, T.key);
    expect(inputs(key)).toEqual({ description: "Cerby key", customerMasterKeySpec: "RSA_4096", keyUsage: "ENCRYPT_DECRYPT", multiRegion: true });
    expect(key.ignoreChanges).toEqual(["tags", "deletionWindowInDays"]);
    expect(inputs(single(run.resources, T.replica))).toEqual({ description: "Cerby key", primaryKeyArn: MANUAL_AWS.keyArn });
    expect(inputs(single(run.resources, T.role))).toMatchObject({ name: MANUAL_AWS.roleName, path: "/", maxSessionDuration: 3600 });
  });

  test("the key, the replica and the role are protected and retained on delete", () => {
    for (const type of [T.key, T.replica, T.role]) {
      expect(single(run.resources, type)).toMatchObject({ protect: true, retainOnDelete: true });
    }
    expect(single(run.resources, T.guard).protect).toBe(true);
    expect(single(run.resources, T.vault).protect).toBe(true);
  });

  test("the Cerby vault gets the account, the key ID and the adopted role's ARN", () => {
    expect(inputs(single(run.resources, T.vault)).kmsByo).toEqual({
      awsAccountId: AWS_ACCOUNT_ID,
      kmsKeyId: MRK_KEY_ID,
      roleArn: `arn:aws:iam::${AWS_ACCOUNT_ID}:role/${MANUAL_AWS.roleName}`,
    });
  });

  test("warns about the unread tags and the inline policy made by hand, each with what to do", () => {
    expect(run.warnings).toHaveLength(2);
    expect(run.warnings[0]).toContain("aws kms tag-resource");
    expect(run.warnings[1]).toContain(`aws iam delete-role-policy --role-name ${MANUAL_AWS.roleName}`);
  });

  test("a second run declares the same inputs and import IDs", async () => {
    const second = await adopt();
    const view = (result: MockRunResult) => result.resources.map((resource) => ({ name: resource.name, importId: resource.importId, inputs: inputs(resource) }));
    expect(view(second)).toEqual(view(run));
  }, 60_000);
});

describe("a KMS key Cerby cannot use is refused", () => {
  test("an RSA_2048 key", async () => {
    const error = await refusal({ keySpec: "RSA_2048" });
    expect(error.message).toContain("key spec RSA_2048, not RSA_4096");
    expect(error.message).toContain("Cerby works only with a multi-Region RSA_4096 ENCRYPT_DECRYPT primary key");
  }, 60_000);

  test("a single-Region key", async () => {
    const error = await refusal({ multiRegion: false });
    expect(error.message).toContain("a single-Region key, not a multi-Region primary");
  }, 60_000);
});

test("a key without a replica in the replica Region gets one, created and protected", async () => {
  const run = await adopt({ replica: false });
  const replica = single(run.resources, T.replica);
  expect(replica.importId).toBeUndefined();
  expect(replica).toMatchObject({ protect: true, retainOnDelete: true });
  expect(run.cloud.regionOf.get("cerby-aws-replica")).toBe("us-west-2");
  expect(run.warnings.some((line) => line.includes("has no replica in us-west-2"))).toBe(true);
}, 60_000);

test("the tamper alerts watch the adopted role by its own name", async () => {
  const run = await adopt({}, { tamperAlerts: true, alertEmails: ["secops@example.com"] });
  const rules = run.resources.filter((resource) => resource.type === "aws:cloudwatch/eventRule:EventRule").map((resource) => String(resource.rawInputs.eventPattern));
  expect(rules.some((pattern) => pattern.includes(MANUAL_AWS.roleName))).toBe(true);
  expect(rules.some((pattern) => pattern.includes("cerby-kms-byo-key-access"))).toBe(false);
}, 60_000);
