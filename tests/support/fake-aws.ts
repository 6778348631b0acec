/**
 * A fake of the AWS APIs `npm run verify` calls, on 127.0.0.1: KMS DescribeKey, EventBridge
 * DescribeRule and CloudTrail DescribeTrails, GetTrailStatus and GetEventSelectors (JSON 1.1
 * protocol), and IAM GetRole (query protocol, XML answer). The real @aws-sdk clients talk to it
 * through their `endpoint` override; it reads the Region from the SigV4 credential scope so that a
 * key described in the wrong Region is not found, as in AWS.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./http";

/** KeyMetadata as KMS sends it on the wire (dates as epoch seconds). */
export interface WireKeyMetadata {
  AWSAccountId: string;
  KeyId: string;
  Arn: string;
  KeyState: string;
  KeySpec: string;
  KeyUsage: string;
  Origin: string;
  KeyManager: string;
  MultiRegion: boolean;
  MultiRegionConfiguration?: {
    MultiRegionKeyType: "PRIMARY" | "REPLICA";
    PrimaryKey: { Arn: string; Region: string };
    ReplicaKeys: Array<{ Arn: string; Region: string }>;
  };
  DeletionDate?: number;
  CreationDate: number;
}

export interface FakeRole {
  arn: string;
  /** The trust policy as a JSON value; GetRole returns it URL-encoded, as IAM does. */
  trustPolicy: unknown;
}

/** A CloudTrail trail as DescribeTrails lists it, with its status and event selectors. */
export interface FakeTrail {
  Name: string;
  TrailARN: string;
  HomeRegion: string;
  IsMultiRegionTrail: boolean;
  IsLogging: boolean;
  /** Classic selectors; undefined means the trail's default (management events, read and write). */
  EventSelectors?: Array<{ ReadWriteType: string; IncludeManagementEvents: boolean }>;
}

export interface AwsRequest {
  service: "kms" | "iam" | "events" | "cloudtrail";
  region: string;
  action: string;
}

/** A multi-Region RSA_4096 primary key and its replica, as Cerby needs them. */
export function multiRegionKeys(accountId: string, primaryRegion: string, replicaRegion: string): [WireKeyMetadata, WireKeyMetadata] {
  const keyId = "mrk-0123456789abcdef0123456789abcdef";
  const primary = { Arn: `arn:aws:kms:${primaryRegion}:${accountId}:key/${keyId}`, Region: primaryRegion };
  const replica = { Arn: `arn:aws:kms:${replicaRegion}:${accountId}:key/${keyId}`, Region: replicaRegion };
  const common = {
    AWSAccountId: accountId,
    KeyId: keyId,
    KeyState: "Enabled",
    KeySpec: "RSA_4096",
    KeyUsage: "ENCRYPT_DECRYPT",
    Origin: "AWS_KMS",
    KeyManager: "CUSTOMER",
    MultiRegion: true,
    CreationDate: 1767225600,
  };
  return [
    { ...common, Arn: primary.Arn, MultiRegionConfiguration: { MultiRegionKeyType: "PRIMARY", PrimaryKey: primary, ReplicaKeys: [replica] } },
    { ...common, Arn: replica.Arn, MultiRegionConfiguration: { MultiRegionKeyType: "REPLICA", PrimaryKey: primary, ReplicaKeys: [replica] } },
  ];
}

function sendAwsJson(response: ServerResponse, status: number, document: unknown): void {
  response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
  response.end(JSON.stringify(document));
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export class FakeAws {
  readonly requests: AwsRequest[] = [];
  /** Keys by ARN. */
  readonly keys = new Map<string, WireKeyMetadata>();
  /** Roles by name. */
  readonly roles = new Map<string, FakeRole>();
  /** EventBridge rules by ARN (their Region is in it), with their state. */
  readonly rules = new Map<string, { State: "ENABLED" | "DISABLED" }>();
  /** CloudTrail trails of the account. */
  readonly trails: FakeTrail[] = [];
  /** Answer CloudTrail with AccessDeniedException, as for an identity without cloudtrail:DescribeTrails. */
  cloudTrailDenied = false;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeAws> {
    const server = createServer();
    const fake = new FakeAws(server);
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      fake.handle(request, response).catch((error: Error) => {
        response.writeHead(500);
        response.end(error.message);
      });
    });
    // Node's 5 s default closes an idle kept-alive socket just as fetch may reuse it (ECONNRESET on a
    // busy machine, where a test pauses for seconds between requests); stop() closes them all anyway.
    server.keepAliveTimeout = 600_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    // SigV4: Credential=<key id>/<date>/<region>/<service>/aws4_request
    const scope = /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\//.exec(String(request.headers.authorization ?? ""));
    const region = scope?.[1] ?? "";
    const target = request.headers["x-amz-target"];
    if (typeof target === "string") {
      const action = target.split(".").pop() ?? "";
      const service = scope?.[2] === "events" || scope?.[2] === "cloudtrail" ? scope[2] : "kms";
      this.requests.push({ service, region, action });
      const input = JSON.parse(body) as Record<string, unknown>;
      if (service === "events") {
        this.describeRule(region, action, input, response);
      } else if (service === "cloudtrail") {
        this.cloudTrail(region, action, input, response);
      } else {
        this.describeKey(region, action, input as { KeyId?: string }, response);
      }
      return;
    }
    const form = new URLSearchParams(body);
    const action = form.get("Action") ?? "";
    this.requests.push({ service: "iam", region, action });
    this.getRole(action, form.get("RoleName") ?? "", response);
  }

  private describeKey(region: string, action: string, input: { KeyId?: string }, response: ServerResponse): void {
    const json = (status: number, document: unknown) => {
      response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
      response.end(JSON.stringify(document));
    };
    const key = this.keys.get(input.KeyId ?? "");
    if (action !== "DescribeKey") {
      json(400, { __type: "UnsupportedOperationException", message: `fake KMS has no ${action}` });
    } else if (!key || !key.Arn.includes(`:${region}:`)) {
      json(400, { __type: "NotFoundException", message: `Key '${input.KeyId}' does not exist` });
    } else {
      json(200, { KeyMetadata: key });
    }
  }

  private describeRule(region: string, action: string, input: Record<string, unknown>, response: ServerResponse): void {
    const arn = [...this.rules.keys()].find((key) => key.startsWith(`arn:aws:events:${region}:`) && key.endsWith(`:rule/${String(input.Name)}`));
    if (action !== "DescribeRule" || arn === undefined) {
      sendAwsJson(response, 400, { __type: "ResourceNotFoundException", message: `Rule ${String(input.Name)} does not exist on EventBus default.` });
      return;
    }
    sendAwsJson(response, 200, { Name: input.Name, Arn: arn, State: this.rules.get(arn)!.State, EventBusName: "default" });
  }

  private cloudTrail(region: string, action: string, input: Record<string, unknown>, response: ServerResponse): void {
    if (this.cloudTrailDenied) {
      sendAwsJson(response, 400, { __type: "AccessDeniedException", message: `User is not authorized to perform: cloudtrail:${action}` });
      return;
    }
    const visible = this.trails.filter((trail) => trail.HomeRegion === region || trail.IsMultiRegionTrail);
    const trail = visible.find((candidate) => candidate.TrailARN === input.Name || candidate.Name === input.Name || candidate.TrailARN === input.TrailName);
    if (action === "DescribeTrails") {
      sendAwsJson(response, 200, {
        trailList: visible.map(({ Name, TrailARN, HomeRegion, IsMultiRegionTrail }) => ({ Name, TrailARN, HomeRegion, IsMultiRegionTrail })),
      });
    } else if (action === "GetTrailStatus" && trail) {
      sendAwsJson(response, 200, { IsLogging: trail.IsLogging });
    } else if (action === "GetEventSelectors" && trail) {
      const selectors = trail.EventSelectors ?? [{ ReadWriteType: "All", IncludeManagementEvents: true }];
      sendAwsJson(response, 200, { TrailARN: trail.TrailARN, EventSelectors: selectors });
    } else {
      sendAwsJson(response, 400, { __type: "TrailNotFoundException", message: `Unknown trail for ${action}` });
    }
  }

  private getRole(action: string, roleName: string, response: ServerResponse): void {
    const role = this.roles.get(roleName);
    response.setHeader("content-type", "text/xml");
    if (action !== "GetRole" || !role) {
      response.writeHead(404);
      response.end(
        `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>` +
          `<Message>The role with name ${xmlEscape(roleName)} cannot be found.</Message></Error><RequestId>fake</RequestId></ErrorResponse>`,
      );
      return;
    }
    response.writeHead(200);
    response.end(
      `<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role>` +
        `<Path>/</Path><RoleName>${xmlEscape(roleName)}</RoleName><RoleId>AROAFAKEFAKEFAKEFAKE</RoleId><Arn>${xmlEscape(role.arn)}</Arn>` +
        `<CreateDate>2026-01-01T00:00:00Z</CreateDate>` +
        `<AssumeRolePolicyDocument>${xmlEscape(encodeURIComponent(JSON.stringify(role.trustPolicy)))}</AssumeRolePolicyDocument>` +
        `<MaxSessionDuration>3600</MaxSessionDuration></Role></GetRoleResult>` +
        `<ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetRoleResponse>`,
    );
  }
}
