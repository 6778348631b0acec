import { readFileSync } from "node:fs";
import { join } from "node:path";
import { redactSecrets } from "../tools/mock-runtime";
import { CERBY_WORKSPACE_ID, FakeAws } from "./support/aws-cloud";
import { runProgram } from "./support/program";

interface Statement {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const ROOT = join(__dirname, "..");
const FILES = ["docs/aws-deployer-policy.json", "docs/aws-deployer-bootstrap-policy.json", "docs/aws-verify-policy.json"];
const ROLE_ARN = "arn:aws:iam::ACCOUNT:role/cerby-kms-byo-key-access";
const BOUNDARY_ARN = "arn:aws:iam::ACCOUNT:policy/cerby-kms-byo-key-access-boundary";
const MARKER = { key: "cerby-external-keys", value: "cerby-key" };

function statements(file: string): Statement[] {
  const policy = JSON.parse(readFileSync(join(ROOT, file), "utf8")) as { Version: string; Statement: Statement[] };
  expect(policy.Version).toBe("2012-10-17");
  return policy.Statement;
}

const list = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);
const everything = FILES.flatMap((file) => statements(file).map((statement) => ({ file, ...statement })));
/** What the policies allow; their Deny statements are checked on their own. */
const all = everything.filter((statement) => statement.Effect === "Allow");
const denies = (file: string) => statements(file).filter((statement) => statement.Effect === "Deny");
const actionsOf = (statement: Statement) => list(statement.Action);
const resourcesOf = (statement: Statement) => list(statement.Resource);

describe("the AWS policies docs/aws-kms.md gives the deployer and the verifier", () => {
  test("every statement allows or denies, and names what it is for", () => {
    for (const statement of everything) {
      expect({ sid: statement.Sid, effect: statement.Effect }).toEqual({ sid: expect.stringMatching(/^[A-Za-z0-9]+$/), effect: expect.stringMatching(/^(Allow|Deny)$/) });
    }
  });

  test("no IAM action, kms:TagResource or kms:ScheduleKeyDeletion is allowed on *", () => {
    const wide = all.filter(
      (statement) =>
        resourcesOf(statement).includes("*") &&
        actionsOf(statement).some((action) => action.startsWith("iam:") || action === "kms:TagResource" || action === "kms:ScheduleKeyDeletion"),
    );
    expect(wide.map((statement) => statement.Sid)).toEqual([]);
  });

  test("IAM actions reach exactly the Cerby role's ARN or its boundary policy's ARN, and iam:PassRole is never granted", () => {
    for (const statement of all.filter((candidate) => actionsOf(candidate).some((action) => action.startsWith("iam:")))) {
      expect({ sid: statement.Sid, resources: resourcesOf(statement) }).toEqual({ sid: statement.Sid, resources: [expect.stringMatching(/^arn:aws:iam::ACCOUNT:(role\/cerby-kms-byo-key-access|policy\/cerby-kms-byo-key-access-boundary)$/)] });
      expect(actionsOf(statement).filter((action) => action.startsWith("iam:")).length).toBe(actionsOf(statement).length);
    }
    expect(all.flatMap(actionsOf).filter((action) => /^iam:(PassRole|\*)|^\*$/.test(action))).toEqual([]);
  });

  test("the deployer never deletes keys, changes their policy or uses them", () => {
    const forbidden = [
      "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey", "kms:Decrypt", "kms:Encrypt", "kms:CreateGrant", "iam:DeleteRole",
      "iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:AttachRolePolicy",
    ];
    expect(all.flatMap(actionsOf).filter((action) => forbidden.includes(action) || action.endsWith("*"))).toEqual([]);
  });

  test("every statement on KMS keys is scoped by the marker tag, never by a key/mrk-* pattern", () => {
    for (const statement of all.filter((candidate) => resourcesOf(candidate).some((resource) => resource.includes(":key/")))) {
      const tagged =
        statement.Condition?.StringEquals?.[`aws:ResourceTag/${MARKER.key}`] ?? statement.Condition?.StringEquals?.[`aws:RequestTag/${MARKER.key}`];
      expect({ sid: statement.Sid, tagged }).toEqual({ sid: statement.Sid, tagged: MARKER.value });
      expect(resourcesOf(statement).filter((resource) => resource.includes("mrk-"))).toEqual([]);
    }
  });

  test("kms:CreateKey requires the marker tag on the request, a multi-Region key, and RSA_4096 in the primary Region", () => {
    const creates = all.filter((statement) => actionsOf(statement).includes("kms:CreateKey"));
    expect(creates.length).toBeGreaterThan(0);
    for (const statement of creates) {
      expect(statement.Condition?.StringEquals?.[`aws:RequestTag/${MARKER.key}`]).toBe(MARKER.value);
      expect(statement.Condition?.Bool?.["kms:MultiRegion"]).toBe("true");
    }
    expect(creates.some((statement) => statement.Condition?.StringEquals?.["kms:KeySpec"] === "RSA_4096")).toBe(true);
  });

  test("the marker tag cannot be removed, nor set to another value", () => {
    const untag = all.filter((statement) => actionsOf(statement).includes("kms:UntagResource"));
    for (const statement of untag) {
      expect(statement.Condition?.["ForAllValues:StringNotEquals"]?.["aws:TagKeys"]).toEqual([MARKER.key]);
    }
    const tag = statements("docs/aws-deployer-policy.json").filter((statement) => actionsOf(statement).includes("kms:TagResource"));
    for (const statement of tag) {
      expect(statement.Condition?.StringEqualsIfExists?.[`aws:RequestTag/${MARKER.key}`]).toBe(MARKER.value);
    }
  });

  test("the role can be created, given an inline policy or a boundary only with iam:PermissionsBoundary equal to the boundary policy's ARN", () => {
    const bounded = ["iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"];
    const granting = all.filter((statement) => actionsOf(statement).some((action) => bounded.includes(action)));
    expect(granting.flatMap(actionsOf).sort()).toEqual([...bounded].sort());
    for (const statement of granting) {
      expect({ sid: statement.Sid, condition: statement.Condition }).toEqual({
        sid: statement.Sid,
        condition: { StringEquals: { "iam:PermissionsBoundary": BOUNDARY_ARN } },
      });
    }
  });

  test("both deployer policies deny removing the role's boundary, setting another one, and changing or deleting the boundary policy", () => {
    for (const file of ["docs/aws-deployer-policy.json", "docs/aws-deployer-bootstrap-policy.json"]) {
      const denied = denies(file);
      const unconditional = (action: string, resource: string) =>
        denied.some((statement) => !statement.Condition && actionsOf(statement).includes(action) && resourcesOf(statement).includes(resource));
      expect({ file, removeBoundary: unconditional("iam:DeleteRolePermissionsBoundary", ROLE_ARN) }).toEqual({ file, removeBoundary: true });
      for (const action of ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion", "iam:DeletePolicy"]) {
        expect({ file, action, denied: unconditional(action, BOUNDARY_ARN) }).toEqual({ file, action, denied: true });
      }
      const otherBoundary = denied.filter((statement) => statement.Condition?.StringNotEquals?.["iam:PermissionsBoundary"] === BOUNDARY_ARN);
      expect({ file, actions: otherBoundary.flatMap(actionsOf).sort() }).toEqual({
        file,
        actions: ["iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"],
      });
    }
  });

  test("kms:TagResource is never allowed without a condition on the marker tag in the request", () => {
    const tagging = all.filter((statement) => actionsOf(statement).includes("kms:TagResource"));
    expect(tagging.length).toBeGreaterThan(0);
    for (const statement of tagging) {
      const requested = statement.Condition?.StringEquals?.[`aws:RequestTag/${MARKER.key}`] ?? statement.Condition?.StringEqualsIfExists?.[`aws:RequestTag/${MARKER.key}`];
      expect({ sid: statement.Sid, requested }).toEqual({ sid: statement.Sid, requested: MARKER.value });
    }
  });

  test("the role's inline policy and trust can be written only with the bootstrap policy, which a routine run does not need", () => {
    const routine = statements("docs/aws-deployer-policy.json").filter((statement) => statement.Effect === "Allow").flatMap(actionsOf);
    for (const action of ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:CreateRole", "kms:CreateKey", "iam:PutRolePermissionsBoundary", "iam:CreatePolicy"]) {
      expect({ action, routine: routine.includes(action) }).toEqual({ action, routine: false });
    }
    const bootstrap = statements("docs/aws-deployer-bootstrap-policy.json").flatMap(actionsOf);
    expect(bootstrap).toEqual(expect.arrayContaining(["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:CreateRole", "kms:CreateKey", "kms:ReplicateKey"]));
  });

  test("together they cover every call the AWS provider and npm run verify make", () => {
    const granted = new Set(all.flatMap(actionsOf));
    const calls = [
      "kms:CreateKey", "kms:TagResource", "kms:UntagResource", "kms:ReplicateKey", "kms:DescribeKey", "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:UpdateKeyDescription", "kms:CreateAlias", "kms:UpdateAlias",
      "kms:DeleteAlias", "kms:ListAliases", "iam:CreateRole", "iam:GetRole", "iam:TagRole", "iam:PutRolePolicy",
      "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:UpdateAssumeRolePolicy",
      "iam:CreatePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:PutRolePermissionsBoundary",
    ];
    expect(calls.filter((action) => !granted.has(action))).toEqual([]);
    expect(statements("docs/aws-verify-policy.json").flatMap(actionsOf).sort()).toEqual([
      "cloudtrail:DescribeTrails",
      "cloudtrail:GetEventSelectors",
      "cloudtrail:GetTrailStatus",
      "events:DescribeRule",
      "iam:GetRole",
      "kms:DescribeKey",
    ]);
  });

  test("the program tags both keys with the marker the policies scope by", async () => {
    const { resources } = await runProgram({ azureEnabled: false, awsEnabled: true, cerbyWorkspaceId: CERBY_WORKSPACE_ID }, { cloud: new FakeAws() });
    const keys = resources.filter((resource) => resource.type === "aws:kms/key:Key" || resource.type === "aws:kms/replicaKey:ReplicaKey");
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect((redactSecrets(key.rawInputs) as { tags: Record<string, string> }).tags[MARKER.key]).toBe(MARKER.value);
    }
  });

  test("docs/aws-kms.md links each policy file", () => {
    const page = readFileSync(join(ROOT, "docs", "aws-kms.md"), "utf8");
    for (const file of FILES) {
      expect(page).toContain(`](${file.replace(/^docs\//, "")})`);
    }
  });
});
