import { readFileSync } from "node:fs";
import { join } from "node:path";
import { redactSecrets, type MockRunResult, type RecordedResource } from "../tools/mock-runtime";
import { AWS_ACCOUNT_ID, CERBY_WORKSPACE_ID, FakeAws, MRK_KEY_ID } from "./support/aws-cloud";
import { configProblems } from "./support/config-source";
import { BASE_CONFIG, runProgram, single } from "./support/program";
import { expectExistingResourcesUnchanged } from "./support/unchanged";

const T = {
  provider: "pulumi:providers:aws",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
};

const AWS_ONLY = { azureEnabled: false, awsEnabled: true, cerbyWorkspaceId: CERBY_WORKSPACE_ID };
const EMAILS = ["security@example.com", "oncall@example.com"];
const PRIMARY_ARN = `arn:aws:kms:us-east-2:${AWS_ACCOUNT_ID}:key/${MRK_KEY_ID}`;
const REPLICA_ARN = `arn:aws:kms:us-west-2:${AWS_ACCOUNT_ID}:key/${MRK_KEY_ID}`;

function inputs(resource: RecordedResource): Record<string, any> {
  return redactSecrets(resource.rawInputs) as Record<string, any>;
}

function ofType(resources: RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((resource) => resource.type === type);
}

async function runAws(overrides: Record<string, unknown> = {}): Promise<MockRunResult & { aws: FakeAws }> {
  const aws = new FakeAws();
  const result = await runProgram({ ...AWS_ONLY, ...overrides }, { cloud: aws });
  return { ...result, aws };
}

describe("AWS tamper alerts are off by default", () => {
  test("the default AWS stack declares no topic, rule or extra provider, and no alert outputs", async () => {
    const { resources, outputs } = await runAws();
    expect(resources.filter((resource) => [T.topic, T.subscription, T.topicPolicy, T.rule, T.target].includes(resource.type))).toEqual([]);
    expect(ofType(resources, T.provider)).toHaveLength(2);
    expect(outputs).not.toHaveProperty("tamperAlertTopicArns");
  });
});

describe("tamperAlerts on AWS (us-east-2 and us-west-2)", () => {
  let run: MockRunResult & { aws: FakeAws };
  let rules: Map<string, { region: string; pattern: any; name: string }>;

  beforeAll(async () => {
    run = await runAws({ tamperAlerts: true, alertEmails: EMAILS });
    rules = new Map(
      ofType(run.resources, T.rule).map((rule) => [
        rule.name,
        { region: run.aws.regionOf.get(rule.name)!, pattern: JSON.parse(inputs(rule).eventPattern), name: rule.name },
      ]),
    );
  });

  test("a rule on each key's KMS calls lives in that key's Region and names the key by its ARN", () => {
    const kms = [...rules.values()].filter((rule) => rule.pattern.source[0] === "aws.kms");
    expect(kms.map((rule) => rule.region).sort()).toEqual(["us-east-2", "us-west-2"]);
    for (const rule of kms) {
      const keyArn = rule.region === "us-east-2" ? PRIMARY_ARN : REPLICA_ARN;
      expect(rule.pattern["detail-type"]).toEqual(["AWS API Call via CloudTrail"]);
      expect(rule.pattern.detail.eventSource).toEqual(["kms.amazonaws.com"]);
      expect(rule.pattern.detail.eventName).toEqual([
        "DisableKey",
        "ScheduleKeyDeletion",
        "PutKeyPolicy",
        "DeleteAlias",
        "UpdatePrimaryRegion",
        "CancelKeyDeletion",
      ]);
      expect(rule.pattern.detail.$or).toEqual([
        { resources: { ARN: [keyArn] } },
        {
          requestParameters: {
            keyId: [MRK_KEY_ID, keyArn, "alias/cerby-external-keys", `arn:aws:kms:${rule.region}:${AWS_ACCOUNT_ID}:alias/cerby-external-keys`],
          },
        },
        { requestParameters: { aliasName: ["alias/cerby-external-keys"] } },
      ]);
    }
  });

  test("the IAM rule on Cerby's role is in us-east-1, where IAM's CloudTrail events arrive", () => {
    const [iam] = [...rules.values()].filter((rule) => rule.pattern.source[0] === "aws.iam");
    expect(iam.region).toBe("us-east-1");
    expect(iam.pattern).toEqual({
      source: ["aws.iam"],
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: {
        eventSource: ["iam.amazonaws.com"],
        eventName: ["UpdateAssumeRolePolicy", "PutRolePolicy", "DeleteRolePolicy", "DeleteRole"],
        requestParameters: { roleName: ["cerby-kms-byo-key-access"] },
      },
    });
    expect(rules.size).toBe(3);
  });

  test("every rule is enabled and targets the SNS topic of its own Region", () => {
    const topics = new Map(ofType(run.resources, T.topic).map((topic) => [run.aws.regionOf.get(topic.name)!, topic.name]));
    expect([...topics.keys()].sort()).toEqual(["us-east-1", "us-east-2", "us-west-2"]);
    for (const target of ofType(run.resources, T.target)) {
      const region = run.aws.regionOf.get(target.name)!;
      const rule = rules.get(inputs(target).rule)!;
      expect(rule.region).toBe(region);
      expect(inputs(target).arn).toBe(`arn:aws:sns:${region}:${AWS_ACCOUNT_ID}:${topics.get(region)}`);
      expect(inputs(target).inputTransformer.inputPaths).toMatchObject({ eventName: "$.detail.eventName", caller: "$.detail.userIdentity.arn" });
    }
    expect(ofType(run.resources, T.target)).toHaveLength(3);
    expect(ofType(run.resources, T.rule).map((rule) => inputs(rule).state)).toEqual(["ENABLED", "ENABLED", "ENABLED"]);
  });

  test("the email text is one JSON string, as EventBridge requires of an input template, and names the docs page to read", () => {
    for (const target of ofType(run.resources, T.target)) {
      const template: string = inputs(target).inputTransformer.inputTemplate;
      // EventBridge substitutes each <placeholder> and then needs valid JSON.
      const text = JSON.parse(template.replace(/<(\w+)>/g, "x"));
      expect(text).toContain('docs/security.md, "Audit and alerts"');
    }
  });

  test("each topic's policy lets only EventBridge publish, and only for the rules of its Region", () => {
    for (const policy of ofType(run.resources, T.topicPolicy)) {
      const region = run.aws.regionOf.get(policy.name)!;
      const document = JSON.parse(inputs(policy).policy);
      const ruleArns = [...rules.values()]
        .filter((rule) => rule.region === region)
        .map((rule) => `arn:aws:events:${region}:${AWS_ACCOUNT_ID}:rule/${rule.name}`);
      expect(document.Statement).toEqual([
        {
          Sid: "EventBridgePublishesTamperAlerts",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sns:Publish",
          Resource: inputs(policy).arn,
          Condition: { ArnEquals: { "aws:SourceArn": ruleArns } },
        },
      ]);
      expect(inputs(policy).arn).toMatch(new RegExp(`^arn:aws:sns:${region}:`));
    }
    expect(ofType(run.resources, T.topicPolicy)).toHaveLength(3);
  });

  test("every address gets an email subscription on every topic", () => {
    const subscriptions = ofType(run.resources, T.subscription).map((subscription) => ({
      region: run.aws.regionOf.get(subscription.name),
      protocol: inputs(subscription).protocol,
      endpoint: inputs(subscription).endpoint,
    }));
    for (const region of ["us-east-1", "us-east-2", "us-west-2"]) {
      expect(subscriptions.filter((subscription) => subscription.region === region)).toEqual(
        EMAILS.map((endpoint) => ({ region, protocol: "email", endpoint })),
      );
    }
  });

  test("the stack exports the topic ARNs and rule ARNs by Region", () => {
    const topics = run.outputs.tamperAlertTopicArns as { kind: string; value: Record<string, string> };
    expect(Object.keys(topics.value).sort()).toEqual(["us-east-1", "us-east-2", "us-west-2"]);
    expect(topics.value["us-east-1"]).toMatch(/^arn:aws:sns:us-east-1:123456789012:/);
    const ruleArns = run.outputs.tamperAlertRuleArns as { kind: string; value: Record<string, string[]> };
    expect(Object.values(ruleArns.value).flat()).toHaveLength(3);
  });
});

describe("email subscriptions follow the addresses, not their order", () => {
  test("removing the first address keeps the second one's subscriptions", async () => {
    const names = async (emails: string[]) =>
      ofType((await runAws({ tamperAlerts: true, alertEmails: emails })).resources, T.subscription).map(
        (subscription) => `${subscription.urn} -> ${inputs(subscription).endpoint}`,
      );
    const both = await names(EMAILS);
    const second = await names([EMAILS[1]]);
    expect(second).toHaveLength(3);
    expect(both).toEqual(expect.arrayContaining(second));
  });
});

describe("tamperAlerts on AWS needs email addresses", () => {
  test("no address is a config error, even with a webhook, which only the Azure action group calls", () => {
    const webhook = "https://hooks.example.com/services/T000/B000/token";
    for (const config of [{ ...BASE_CONFIG, ...AWS_ONLY }, { ...BASE_CONFIG, awsEnabled: true, cerbyWorkspaceId: CERBY_WORKSPACE_ID, alertWebhookUrl: webhook }]) {
      expect(configProblems({ ...config, tamperAlerts: true })).toEqual([expect.stringMatching(/^alertEmails is empty, so the AWS tamper alerts would tell no one/)]);
    }
  });
});

describe("tamperAlerts with the primary key in us-east-1", () => {
  test("the IAM rule shares that Region's topic and provider", async () => {
    const { resources, aws } = await runAws({
      tamperAlerts: true,
      alertEmails: ["security@example.com"],
      awsPrimaryRegion: "us-east-1",
      awsAllowNonStandardRegions: true,
    });
    const topicRegions = ofType(resources, T.topic).map((topic) => aws.regionOf.get(topic.name)).sort();
    expect(topicRegions).toEqual(["us-east-1", "us-west-2"]);
    const east = ofType(resources, T.rule).filter((rule) => aws.regionOf.get(rule.name) === "us-east-1");
    expect(east.map((rule) => JSON.parse(inputs(rule).eventPattern).source[0]).sort()).toEqual(["aws.iam", "aws.kms"]);
    expect(single(resources, T.provider, "cerby-aws-tamper-us-east-1")).toBeDefined();
  });
});

describe("docs/aws-tamper-alerts-policy.json", () => {
  const policy = JSON.parse(readFileSync(join(__dirname, "..", "docs", "aws-tamper-alerts-policy.json"), "utf8")) as {
    Statement: Array<{ Action: string[]; Resource: string }>;
  };

  test("reaches only SNS topics and EventBridge rules named as the program names them, with no wildcard action", async () => {
    expect(policy.Statement.map((statement) => statement.Resource)).toEqual([
      "arn:aws:sns:*:ACCOUNT:cerby-aws-tamper-*",
      "arn:aws:events:*:ACCOUNT:rule/cerby-aws-tamper-*",
    ]);
    expect(policy.Statement.flatMap((statement) => statement.Action).filter((action) => action.includes("*") || !/^(sns|events):/.test(action))).toEqual([]);
    const { resources } = await runAws({ tamperAlerts: true, alertEmails: ["security@example.com"] });
    const names = resources.filter((resource) => resource.type === T.topic || resource.type === T.rule).map((resource) => resource.name);
    expect(names).toHaveLength(6);
    for (const name of names) {
      expect(name).toMatch(/^cerby-aws-tamper-/);
    }
  });

  test("lets the deployer create, tag and delete topics, subscriptions, rules and targets", () => {
    const actions = policy.Statement.flatMap((statement) => statement.Action);
    expect(actions).toEqual(
      expect.arrayContaining(["sns:CreateTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:DeleteTopic", "events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:DeleteRule"]),
    );
  });
});

describe("turning the AWS tamper alerts on changes nothing that exists", () => {
  test("every resource of the default AWS stack keeps its URN, inputs, dependencies and options", async () => {
    const before = await runAws();
    const after = await runAws({ tamperAlerts: true, alertEmails: EMAILS });
    expectExistingResourcesUnchanged(before, after);
  });
});
