import * as pulumi from "@pulumi/pulumi";
import { continuityProvider, type KeyContinuityInputs } from "../components/keyContinuity";
import { isUnknownValue, redactSecrets, type MockCloud, type MockRunResult, type RecordedResource } from "../tools/mock-runtime";
import { AWS_ACCOUNT_ID, CALLER_IDENTITY_TOKEN, CERBY_WORKSPACE_ID, FakeAws, MRK_KEY_ID } from "./support/aws-cloud";
import { SIGNED_IN, azureCloud } from "./support/azure-cloud";
import { runProgram, single } from "./support/program";
import { AZURE_TYPES } from "./support/resource-types";

const UNKNOWN = pulumi.runtime.unknownValue;
const GUARD = AZURE_TYPES.keyContinuity;
const AWS_ONLY = { azureEnabled: false, awsEnabled: true, cerbyWorkspaceId: CERBY_WORKSPACE_ID };

const AWS = {
  keyId: MRK_KEY_ID,
  keyArn: `arn:aws:kms:us-east-2:${AWS_ACCOUNT_ID}:key/${MRK_KEY_ID}`,
  replicaKeyArn: `arn:aws:kms:us-west-2:${AWS_ACCOUNT_ID}:key/${MRK_KEY_ID}`,
};
const VAULT_ID = `/subscriptions/${SIGNED_IN.subscriptionId}/resourceGroups/rg-cerby-external-keys/providers/Microsoft.KeyVault/vaults/kv-cerby-q7x2m9`;
const AZURE = {
  vaultId: VAULT_ID,
  keyResourceId: `${VAULT_ID}/keys/cerby-external-key`,
  keyUri: "https://kv-cerby-q7x2m9.vault.azure.net/keys/cerby-external-key",
};

function inputs(resource: RecordedResource): Record<string, any> {
  return redactSecrets(resource.rawInputs) as Record<string, any>;
}

/** A guard's inputs as the engine hands them to the provider (the serialized provider left out). */
function guardInputs(result: MockRunResult): KeyContinuityInputs {
  const { cloud, identity } = single(result.resources, GUARD).rawInputs as unknown as KeyContinuityInputs;
  return { cloud, identity };
}

async function refusal(olds: KeyContinuityInputs, news: KeyContinuityInputs): Promise<string> {
  try {
    await continuityProvider.diff!("guard-id", olds, news);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the guard accepted the change");
}

const AWS_RECOVERY = [
  `aws kms cancel-key-deletion --key-id ${MRK_KEY_ID} --region us-east-2`,
  `aws kms cancel-key-deletion --key-id ${MRK_KEY_ID} --region us-west-2`,
  `aws kms enable-key --key-id ${MRK_KEY_ID} --region us-east-2`,
  `aws kms enable-key --key-id ${MRK_KEY_ID} --region us-west-2`,
  "pulumi refresh",
  "pulumi import",
];
const AZURE_RECOVERY = [
  "az keyvault recover --name kv-cerby-q7x2m9",
  "az keyvault key recover --vault-name kv-cerby-q7x2m9 --name cerby-external-key",
  "pulumi refresh",
  "pulumi import",
];

describe("the key continuity provider", () => {
  const aws: KeyContinuityInputs = { cloud: "aws", identity: AWS };
  const azure: KeyContinuityInputs = { cloud: "azure", identity: AZURE };

  test("a first create records the identity it is given", async () => {
    const created = await continuityProvider.create(aws);
    expect(created.outs).toEqual(aws);
  });

  test("the same identity is no change", async () => {
    await expect(continuityProvider.diff!("guard-id", aws, { cloud: "aws", identity: { ...AWS } })).resolves.toMatchObject({ changes: false, replaces: [] });
    await expect(continuityProvider.diff!("guard-id", azure, { cloud: "azure", identity: { ...AZURE } })).resolves.toMatchObject({ changes: false });
  });

  test.each([
    ["the key ID", { keyId: UNKNOWN }],
    ["the replica ARN", { replicaKeyArn: UNKNOWN }],
    ["every value", { keyId: UNKNOWN, keyArn: UNKNOWN, replicaKeyArn: UNKNOWN }],
  ])("AWS: %s unknown (a key to be created) is refused with the cancel, enable and refresh commands", async (_name, unknowns) => {
    const message = await refusal(aws, { cloud: "aws", identity: { ...AWS, ...unknowns } });
    for (const command of AWS_RECOVERY) {
      expect(message).toContain(command);
    }
    expect(message).toContain("pulumi state delete");
  });

  test("AWS: a whole identity unknown is refused", async () => {
    const message = await refusal(aws, { cloud: "aws", identity: UNKNOWN as unknown as Record<string, string> });
    expect(message).toContain(`aws kms cancel-key-deletion --key-id ${MRK_KEY_ID} --region us-east-2`);
  });

  test("AWS: another key is refused, naming the old and the new ARN", async () => {
    const other = `arn:aws:kms:us-east-2:${AWS_ACCOUNT_ID}:key/mrk-ffffffffffffffffffffffffffffffff`;
    const message = await refusal(aws, { cloud: "aws", identity: { ...AWS, keyArn: other, keyId: "mrk-ffffffffffffffffffffffffffffffff" } });
    expect(message).toContain(`keyArn ${AWS.keyArn} → ${other}`);
    expect(message).toContain(AWS_RECOVERY[0]);
  });

  test("AWS after `pulumi up --skip-preview` (a new key already created): the refusal says how to remove it from the state, delete it, and import the old one", async () => {
    const created = "mrk-ffffffffffffffffffffffffffffffff";
    const message = await refusal(aws, {
      cloud: "aws",
      identity: {
        keyId: created,
        keyArn: `arn:aws:kms:us-east-2:${AWS_ACCOUNT_ID}:key/${created}`,
        replicaKeyArn: `arn:aws:kms:us-west-2:${AWS_ACCOUNT_ID}:key/${created}`,
      },
    });
    const steps = [
      "--skip-preview",
      "pulumi state unprotect",
      "pulumi state delete",
      `aws kms schedule-key-deletion --key-id ${created} --region us-west-2 --pending-window-in-days 7`,
      `aws kms schedule-key-deletion --key-id ${created} --region us-east-2 --pending-window-in-days 7`,
      `aws kms cancel-key-deletion --key-id ${MRK_KEY_ID} --region us-east-2`,
      "pulumi import",
    ];
    const positions = steps.map((step) => message.indexOf(step));
    expect(steps.filter((_step, index) => positions[index] < 0)).toEqual([]);
    // In this order: clean the new key out of the state and AWS before the old key comes back.
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(message).not.toContain(`schedule-key-deletion --key-id ${MRK_KEY_ID}`);
  });

  test("AWS in a preview (the new key unknown): the refusal has no clean-up of a key that was not created", async () => {
    const message = await refusal(aws, { cloud: "aws", identity: { keyId: UNKNOWN, keyArn: UNKNOWN, replicaKeyArn: UNKNOWN } });
    expect(message).not.toContain("schedule-key-deletion");
  });

  test("Azure: ARM IDs that differ only in the casing of the resource group or provider segments are the same key, no change", async () => {
    const recased = (id: string) => id.replace("resourceGroups/rg-cerby-external-keys", "resourcegroups/RG-CERBY-EXTERNAL-KEYS").replace("Microsoft.KeyVault", "microsoft.keyvault");
    const news = { ...AZURE, vaultId: recased(AZURE.vaultId), keyResourceId: recased(AZURE.keyResourceId) };
    expect(news.vaultId).not.toBe(AZURE.vaultId);
    await expect(continuityProvider.diff!("guard-id", azure, { cloud: "azure", identity: news })).resolves.toMatchObject({ changes: false });
  });

  test("AWS: a key ID or ARN that differs only in case is another key, refused", async () => {
    const upper = AWS.keyArn.replace(MRK_KEY_ID, MRK_KEY_ID.toUpperCase());
    expect(upper).not.toBe(AWS.keyArn);
    const message = await refusal(aws, { cloud: "aws", identity: { ...AWS, keyArn: upper } });
    expect(message).toContain(`keyArn ${AWS.keyArn} → ${upper}`);
  });

  test.each([
    ["the key", { keyResourceId: UNKNOWN, keyUri: UNKNOWN }],
    ["the vault", { vaultId: UNKNOWN }],
    ["another key URI", { keyUri: "https://kv-other.vault.azure.net/keys/cerby-external-key" }],
  ])("Azure: %s lost or changed is refused with the recover commands", async (_name, changes) => {
    const message = await refusal(azure, { cloud: "azure", identity: { ...AZURE, ...changes } });
    for (const command of AZURE_RECOVERY) {
      expect(message).toContain(command);
    }
  });
});

/** The guard's state holds another (older) identity: whatever reads from the guard shows it. */
function withGuardState(cloud: MockCloud, identity: Record<string, string>): MockCloud {
  return {
    ...cloud,
    newResource: (args) =>
      args.type === GUARD ? { id: "key-continuity", state: { cloud: args.inputs.cloud, identity } } : cloud.newResource?.(args),
    call: cloud.call?.bind(cloud),
  };
}

describe("under mocks, what Cerby depends on takes the key's identity from the guard", () => {
  const PINNED_AWS = {
    keyId: "mrk-00000000000000000000000000000001",
    keyArn: `arn:aws:kms:us-east-2:${AWS_ACCOUNT_ID}:key/mrk-00000000000000000000000000000001`,
    replicaKeyArn: `arn:aws:kms:us-west-2:${AWS_ACCOUNT_ID}:key/mrk-00000000000000000000000000000001`,
  };
  const PINNED_AZURE = {
    vaultId: `${VAULT_ID.replace("kv-cerby-q7x2m9", "kv-pinned")}`,
    keyResourceId: `${VAULT_ID.replace("kv-cerby-q7x2m9", "kv-pinned")}/keys/pinned-key`,
    keyUri: "https://kv-pinned.vault.azure.net/keys/pinned-key",
  };

  test("AWS: both aliases, the role's policy and the Cerby vault follow the guard, not the key", async () => {
    const { resources } = await runProgram(AWS_ONLY, { cloud: withGuardState(new FakeAws(), PINNED_AWS) });
    const guard = single(resources, GUARD);
    expect(guard.protect).toBe(true);
    expect(guard.dependsOn).toEqual(expect.arrayContaining([single(resources, "aws:kms/key:Key").urn, single(resources, "aws:kms/replicaKey:ReplicaKey").urn]));

    const aliases = resources.filter((resource) => resource.type === "aws:kms/alias:Alias");
    expect(aliases.map((alias) => inputs(alias).targetKeyId)).toEqual([PINNED_AWS.keyId, PINNED_AWS.keyId]);
    const policy = single(resources, "aws:iam/rolePolicy:RolePolicy");
    expect(JSON.parse(inputs(policy).policy).Statement[0].Resource).toEqual([PINNED_AWS.keyArn, PINNED_AWS.replicaKeyArn]);
    const vault = single(resources, AZURE_TYPES.cerbyVault);
    expect(inputs(vault).kmsByo.kmsKeyId).toBe(PINNED_AWS.keyId);
    for (const dependent of [...aliases, policy, vault]) {
      expect({ name: dependent.name, dependsOnGuard: dependent.dependsOn.includes(guard.urn) }).toEqual({ name: dependent.name, dependsOnGuard: true });
    }
  });

  test.each(["key", "vault"])("Azure (roleScope %s): the role assignment, the lock and the Cerby vault follow the guard, not the key", async (roleScope) => {
    const { resources } = await runProgram({ roleScope }, { cloud: withGuardState(azureCloud, PINNED_AZURE) });
    const guard = single(resources, GUARD);
    expect(guard.protect).toBe(true);
    expect(guard.dependsOn).toEqual(expect.arrayContaining([single(resources, AZURE_TYPES.key).urn, single(resources, AZURE_TYPES.vault).urn]));

    const assignment = resources.find((resource) => resource.type === AZURE_TYPES.roleAssignment && resource.name.endsWith("-cerby"))!;
    expect(inputs(assignment).scope).toBe(roleScope === "key" ? PINNED_AZURE.keyResourceId : PINNED_AZURE.vaultId);
    const lock = single(resources, AZURE_TYPES.lock);
    expect(inputs(lock).scope).toBe(PINNED_AZURE.vaultId);
    const vault = single(resources, AZURE_TYPES.cerbyVault);
    for (const dependent of [assignment, lock, vault]) {
      expect({ name: dependent.name, dependsOnGuard: dependent.dependsOn.includes(guard.urn) }).toEqual({ name: dependent.name, dependsOnGuard: true });
    }
  });
});

describe("a state that lost its key stops at the guard's diff, in preview", () => {
  test("AWS: the key and replica to be created leave the guard's inputs unknown, and its diff refuses with the way out", async () => {
    const previous = guardInputs(await runProgram(AWS_ONLY, { cloud: new FakeAws() }));
    expect(previous.identity).toEqual(AWS);

    // In a preview the providers' IDs are unknown too; the caller identity is all the program asks.
    const previewCloud: MockCloud = { call: ({ token }) => (token === CALLER_IDENTITY_TOKEN ? { accountId: AWS_ACCOUNT_ID } : {}) };
    const preview = await runProgram(AWS_ONLY, { cloud: previewCloud, preview: true });
    const news = guardInputs(preview);
    expect(Object.values(news.identity).every(isUnknownValue)).toBe(true);
    const message = await refusal(previous, news);
    for (const command of AWS_RECOVERY) {
      expect(message).toContain(command);
    }
    // Nothing that points at the key can be stepped before the guard: each waits on it.
    const guard = single(preview.resources, GUARD);
    for (const type of ["aws:kms/alias:Alias", "aws:iam/rolePolicy:RolePolicy", AZURE_TYPES.cerbyVault]) {
      for (const dependent of preview.resources.filter((resource) => resource.type === type)) {
        expect(dependent.dependsOn).toContain(guard.urn);
      }
    }
  });

  test("Azure: a key and vault to be created leave the guard's inputs unknown, and its diff refuses with the recover commands", async () => {
    const previous = guardInputs(await runProgram());
    expect(previous.identity).toEqual(AZURE);
    const preview = await runProgram({}, { preview: true });
    const message = await refusal(previous, guardInputs(preview));
    for (const command of AZURE_RECOVERY) {
      expect(message).toContain(command);
    }
  });

  test("a state that kept its key: the same run's inputs are no change", async () => {
    const previous = guardInputs(await runProgram(AWS_ONLY, { cloud: new FakeAws() }));
    const again = guardInputs(await runProgram(AWS_ONLY, { cloud: new FakeAws() }));
    await expect(continuityProvider.diff!("guard-id", previous, again)).resolves.toMatchObject({ changes: false });
  });
});
