/**
 * A fake of the two AWS APIs `npm run verify` calls, on 127.0.0.1: KMS DescribeKey (JSON 1.1
 * protocol) and IAM GetRole (query protocol, XML answer). The real @aws-sdk clients talk to it
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

export interface AwsRequest {
  service: "kms" | "iam";
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

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export class FakeAws {
  readonly requests: AwsRequest[] = [];
  /** Keys by ARN. */
  readonly keys = new Map<string, WireKeyMetadata>();
  /** Roles by name. */
  readonly roles = new Map<string, FakeRole>();

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
      this.requests.push({ service: "kms", region, action });
      this.describeKey(region, action, JSON.parse(body) as { KeyId?: string }, response);
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
