import type * as pulumi from "@pulumi/pulumi";
import type { MockCloud } from "../../tools/mock-runtime";

/** The account the fake AWS says the deployer is signed in to. */
export const AWS_ACCOUNT_ID = "123456789012";
/** A multi-Region key ID: the primary and its replica share it, as in AWS. */
export const MRK_KEY_ID = "mrk-0123456789abcdef0123456789abcdef";
/** A Cerby workspace ID for the tests: any UUID but the nil one. */
export const CERBY_WORKSPACE_ID = "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b";

export const CALLER_IDENTITY_TOKEN = "aws:index/getCallerIdentity:getCallerIdentity";

/**
 * A fake AWS that answers the program's AWS resources and invokes with the values AWS computes
 * (ARNs, key IDs), each in the Region of the provider the resource was created with, so that a
 * resource sent to the wrong provider shows up as an ARN in the wrong Region. Anything else goes
 * to `other` (the fake Azure, for a stack with both integrations).
 */
export class FakeAws implements MockCloud {
  /** Region of each explicit provider, by the provider's ID. */
  private readonly providerRegions = new Map<string, string>();
  /** Region of every AWS resource and invoke, by resource name or invoke token. */
  readonly regionOf = new Map<string, string>();
  readonly calls: pulumi.runtime.MockCallArgs[] = [];

  constructor(private readonly other?: MockCloud) {}

  /** A provider reference is "<urn>::<id>"; an AWS resource without one would use the ambient Region. */
  private region(provider: string | undefined): string {
    const id = provider?.split("::").pop();
    const region = id === undefined ? undefined : this.providerRegions.get(id);
    if (region === undefined) {
      throw new Error(`the fake AWS got a resource or call without an explicit provider (${provider ?? "none"})`);
    }
    return region;
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id?: string; state?: Record<string, unknown> } | undefined {
    const { type, name, inputs } = args;
    if (type === "pulumi:providers:aws") {
      const id = `${name}-provider-id`;
      this.providerRegions.set(id, inputs.region);
      return { id };
    }
    if (!type.startsWith("aws:")) {
      return this.other?.newResource?.(args);
    }
    const region = this.region(args.provider);
    this.regionOf.set(name, region);
    switch (type) {
      case "aws:kms/key:Key":
      case "aws:kms/replicaKey:ReplicaKey":
        return { id: MRK_KEY_ID, state: { keyId: MRK_KEY_ID, arn: `arn:aws:kms:${region}:${AWS_ACCOUNT_ID}:key/${MRK_KEY_ID}` } };
      case "aws:kms/alias:Alias":
        return { id: inputs.name, state: { arn: `arn:aws:kms:${region}:${AWS_ACCOUNT_ID}:${inputs.name}` } };
      case "aws:iam/role:Role":
        return { id: inputs.name, state: { arn: `arn:aws:iam::${AWS_ACCOUNT_ID}:role/${inputs.name}`, uniqueId: "AROA0123456789EXAMPLE" } };
      case "aws:iam/policy:Policy": {
        const arn = `arn:aws:iam::${AWS_ACCOUNT_ID}:policy/${inputs.name}`;
        return { id: arn, state: { arn, policyId: "ANPA0123456789EXAMPLE" } };
      }
      case "aws:iam/rolePolicy:RolePolicy":
        return { id: `${inputs.role}:${inputs.name}` };
      case "aws:sns/topic:Topic": {
        const arn = `arn:aws:sns:${region}:${AWS_ACCOUNT_ID}:${name}`;
        return { id: arn, state: { arn } };
      }
      case "aws:sns/topicSubscription:TopicSubscription":
        return { id: `${inputs.topic}:${name}`, state: { arn: `${inputs.topic}:${name}`, pendingConfirmation: true } };
      case "aws:sns/topicPolicy:TopicPolicy":
        return { id: inputs.arn };
      case "aws:cloudwatch/eventRule:EventRule":
        return { id: name, state: { name, arn: `arn:aws:events:${region}:${AWS_ACCOUNT_ID}:rule/${name}` } };
      case "aws:cloudwatch/eventTarget:EventTarget":
        return { id: `${inputs.rule}-${name}` };
      default:
        throw new Error(`the fake AWS does not create ${type}`);
    }
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    if (!args.token.startsWith("aws:")) {
      if (!this.other?.call) {
        throw new Error(`the fake AWS does not answer ${args.token}`);
      }
      return this.other.call(args);
    }
    this.calls.push(args);
    this.regionOf.set(args.token, this.region(args.provider));
    if (args.token === CALLER_IDENTITY_TOKEN) {
      return {
        accountId: AWS_ACCOUNT_ID,
        arn: `arn:aws:sts::${AWS_ACCOUNT_ID}:assumed-role/platform-deployer/pulumi`,
        userId: "AROA0123456789DEPLOY:pulumi",
        id: AWS_ACCOUNT_ID,
      };
    }
    throw new Error(`the fake AWS does not answer ${args.token}`);
  }
}
