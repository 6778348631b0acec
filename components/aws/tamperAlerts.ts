import * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/aws/provider";
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as sns from "@pulumi/aws/sns";
import { awsPartition } from "../validation";

/** KMS API calls that disable, delete or re-home the key, or change who may use it. */
export const KMS_TAMPER_EVENTS = [
  "DisableKey",
  "ScheduleKeyDeletion",
  "PutKeyPolicy",
  "DeleteAlias",
  "UpdatePrimaryRegion",
  "CancelKeyDeletion",
] as const;

/** IAM API calls that change or delete the role Cerby assumes. */
export const IAM_TAMPER_EVENTS = ["UpdateAssumeRolePolicy", "PutRolePolicy", "DeleteRolePolicy", "DeleteRole"] as const;

/** IAM is a global service: CloudTrail delivers its events to EventBridge in one Region per partition. */
export function iamEventRegion(region: string): string {
  switch (awsPartition(region)) {
    case "aws-cn":
      return "cn-north-1";
    case "aws-us-gov":
      return "us-gov-west-1";
    default:
      return "us-east-1";
  }
}

/** The key in one Region, as CloudTrail may name it in a KMS event. */
export interface WatchedKey {
  keyArn: string;
  keyId: string;
  aliasName: string;
  aliasArn: string;
}

/**
 * An EventBridge pattern for the KMS calls on this key. CloudTrail lists the key among an event's
 * resources; the request parameters catch what it names by ID, alias or ARN.
 */
export function kmsEventPattern(key: WatchedKey): Record<string, unknown> {
  return {
    source: ["aws.kms"],
    "detail-type": ["AWS API Call via CloudTrail"],
    detail: {
      eventSource: ["kms.amazonaws.com"],
      eventName: [...KMS_TAMPER_EVENTS],
      $or: [
        { resources: { ARN: [key.keyArn] } },
        { requestParameters: { keyId: [key.keyId, key.keyArn, key.aliasName, key.aliasArn] } },
        { requestParameters: { aliasName: [key.aliasName] } },
      ],
    },
  };
}

/** An EventBridge pattern for the IAM calls on Cerby's role. */
export function iamEventPattern(roleName: string): Record<string, unknown> {
  return {
    source: ["aws.iam"],
    "detail-type": ["AWS API Call via CloudTrail"],
    detail: {
      eventSource: ["iam.amazonaws.com"],
      eventName: [...IAM_TAMPER_EVENTS],
      requestParameters: { roleName: [roleName] },
    },
  };
}

/** Lets EventBridge publish to the topic, for the given rules only. */
export function topicPolicy(topicArn: string, ruleArns: string[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgePublishesTamperAlerts",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: { ArnEquals: { "aws:SourceArn": ruleArns } },
      },
    ],
  });
}

/** The email a person reads: what happened, to what, by whom, and the first thing to do. */
const MESSAGE = {
  inputPaths: {
    eventName: "$.detail.eventName",
    caller: "$.detail.userIdentity.arn",
    region: "$.region",
    time: "$.time",
  },
  inputTemplate:
    '"Cerby external keys: <eventName> called by <caller> in <region> at <time>. ' +
    'It can cost Cerby its key. Run npm run verify, and see docs/security.md, \\"Audit and alerts\\"."',
};

export interface KmsTamperAlertsArgs {
  /** Region of the primary key. */
  primaryRegion: string;
  /** Region of the replica key. */
  replicaRegion: string;
  /** The key in each Region. */
  primaryKey: pulumi.Input<WatchedKey>;
  replicaKey: pulumi.Input<WatchedKey>;
  /** Name of the IAM role Cerby assumes. */
  roleName: pulumi.Input<string>;
  /** Email addresses subscribed to every topic. */
  emails: string[];
  /** When set, the providers refuse credentials of any other account. */
  allowedAccountIds?: string[];
  /** Tags for the topics and rules. */
  tags: Record<string, string>;
}

/**
 * Tells people within minutes when someone disables, schedules for deletion or re-polices the key
 * (in either Region) or edits Cerby's IAM role: EventBridge rules on the CloudTrail events, each to
 * an SNS topic in its Region with an email subscription per address. Needs a CloudTrail trail that
 * records management events; without one, EventBridge never sees the calls.
 */
export class KmsTamperAlerts extends pulumi.ComponentResource {
  /** SNS topic ARN by Region. */
  readonly topicArns: pulumi.Output<Record<string, string>>;
  /** EventBridge rule ARNs by Region. */
  readonly ruleArns: pulumi.Output<Record<string, string[]>>;

  constructor(name: string, args: KmsTamperAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:aws:KmsTamperAlerts", name, {}, opts);

    const iamRegion = iamEventRegion(args.primaryRegion);
    type Watch = { kind: "kms" | "iam"; what: string; pattern: pulumi.Output<Record<string, unknown>> };
    const kms = (key: pulumi.Input<WatchedKey>): Watch => ({
      kind: "kms",
      what: `KMS ${KMS_TAMPER_EVENTS.join(", ")} on Cerby's key`,
      pattern: pulumi.output(key).apply(kmsEventPattern),
    });
    const watches = new Map<string, Watch[]>([
      [args.primaryRegion, [kms(args.primaryKey)]],
      [args.replicaRegion, [kms(args.replicaKey)]],
    ]);
    const iam: Watch = {
      kind: "iam",
      what: `IAM ${IAM_TAMPER_EVENTS.join(", ")} on Cerby's role`,
      pattern: pulumi.output(args.roleName).apply(iamEventPattern),
    };
    watches.set(iamRegion, [...(watches.get(iamRegion) ?? []), iam]);

    const topicArns: Record<string, pulumi.Output<string>> = {};
    const ruleArns: Record<string, pulumi.Output<string>[]> = {};
    for (const [region, regionWatches] of watches) {
      const provider = new Provider(`${name}-${region}`, { region, allowedAccountIds: args.allowedAccountIds }, { parent: this });
      const options = { parent: this, provider };
      const topic = new sns.Topic(`${name}-${region}`, { tags: args.tags }, options);
      // Named by address, not position: removing one address must not make the others confirm again.
      for (const email of args.emails) {
        new sns.TopicSubscription(`${name}-${region}-${email}`, { topic: topic.arn, protocol: "email", endpoint: email }, options);
      }
      const rules = regionWatches.map(({ kind, what, pattern }) => {
        const rule = new cloudwatch.EventRule(
          `${name}-${region}-${kind}`,
          {
            description: `Tamper alert: ${what} (cerby-external-keys).`,
            eventPattern: pattern.apply((value) => JSON.stringify(value)),
            state: "ENABLED",
            tags: args.tags,
          },
          options,
        );
        new cloudwatch.EventTarget(`${name}-${region}-${kind}`, { rule: rule.name, arn: topic.arn, inputTransformer: MESSAGE }, options);
        return rule.arn;
      });
      new sns.TopicPolicy(
        `${name}-${region}`,
        { arn: topic.arn, policy: pulumi.all([topic.arn, ...rules]).apply(([arn, ...arns]) => topicPolicy(arn, arns)) },
        options,
      );
      topicArns[region] = topic.arn;
      ruleArns[region] = rules;
    }

    this.topicArns = pulumi.output(topicArns);
    this.ruleArns = pulumi.output(ruleArns);
    this.registerOutputs({ topicArns: this.topicArns, ruleArns: this.ruleArns });
  }
}
