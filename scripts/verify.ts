/**
 * `npm run verify -- --outputs <file|->`: proves a deployed stack still works for Cerby, from its
 * stack outputs (`pulumi stack output --json --show-secrets`) and the Cerby API key in
 * CERBY_API_KEY. Azure: the key as the service principal, or read as the identity running verify
 * without its secret (scripts/verify-azure.ts), and the client secret's remaining life. AWS: the
 * KMS key and its replica, and the role's trust in Cerby. Cerby: each registered vault exists, is
 * enabled, has the right scheme and default flag. When the outputs show them, the audit trail and
 * tamper alerts too (scripts/verify-alerts.ts). One line per check: passed, failed or not proved
 * (scripts/verify-report.ts); no secret is ever printed.
 */
import { readFile } from "node:fs/promises";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { createDefaultHttpClient } from "@azure/core-rest-pipeline";
import { DefaultAzureCredential } from "@azure/identity";
import { CerbyClient, type ClientTuning } from "../components/cerby/client";
import type { VaultRecord, VaultScheme } from "../components/cerby/contract";
import { redact } from "../components/cerby/errors";
import { cerbyUrlWorkspace, checkCerbyApiUrl, checkCerbyApiUrlWorkspace, maskUrlCredentials } from "../components/validation";
import { trustProblems } from "../policy/role-trust";
import { AZURE_OUTPUTS, azureChecks, type AzureVerifyEnvironment } from "./verify-azure";
import { armReader, awsAlertChecks, azureAlertChecks, type AlertCheckEnvironment } from "./verify-alerts";
import { errorText, missingOutputs, text, type Outputs } from "./verify-outputs";
import { fail, formatJson, formatLines, pass, succeeded, type CheckLine } from "./verify-report";

export type { CheckLine, CheckStatus } from "./verify-report";

/** Everything verify talks to, replaceable by tests. */
export interface VerifyEnvironment extends AzureVerifyEnvironment {
  cerbyApiKey?: string;
  /** CERBY_API_URL: replaces the cerbyApiUrl output (an emulator), under the same rule. */
  cerbyApiUrl?: string;
  kms: (region: string) => KMSClient;
  iam: (region: string) => IAMClient;
  cerby?: ClientTuning;
  /** Azure Resource Manager (as the identity running verify), EventBridge and CloudTrail, for the audit and alert checks. */
  alerts: AlertCheckEnvironment;
}

const AWS_OUTPUTS = [
  "kmsKeyArn",
  "kmsReplicaKeyArn",
  "kmsPrimaryRegion",
  "kmsReplicaRegion",
  "cerbyRoleArn",
  "cerbyWorkspaceId",
  "cerbyPrincipalArn",
  "awsCerbyVaultId",
];
/** Outputs that, when present, say the stack has that integration; the group's others must then be there too. */
const AZURE_MARKERS = [...AZURE_OUTPUTS, "keyId"];
const AWS_MARKERS = [...AWS_OUTPUTS, "kmsKeyId", "awsAccountId"];

/** What DescribeKey must show for a key Cerby can use; one reason per deviation. */
async function kmsKey(
  check: string,
  client: KMSClient,
  arn: string,
  expected: { kind: "PRIMARY" | "REPLICA"; region: string; primaryArn: string; replicaArn: string; keyId?: string; accountId?: string },
): Promise<CheckLine> {
  try {
    const { KeyMetadata: key } = await client.send(new DescribeKeyCommand({ KeyId: arn }));
    if (!key) {
      return fail(check, `DescribeKey returned no metadata for ${arn}`);
    }
    const problems: string[] = [];
    if (key.KeyState === "PendingDeletion" || key.KeyState === "PendingReplicaDeletion") {
      const when = key.DeletionDate ? ` on ${key.DeletionDate.toISOString()}` : "";
      problems.push(
        `scheduled for deletion${when}: cancel it now (aws kms cancel-key-deletion --key-id ${arn} --region ${expected.region}) or everything Cerby encrypted with it is lost`,
      );
    } else if (key.KeyState !== "Enabled") {
      problems.push(`state is ${key.KeyState}, not Enabled: Cerby cannot encrypt or decrypt until it is enabled again`);
    }
    if (key.KeySpec !== "RSA_4096") {
      problems.push(`key spec is ${key.KeySpec}, not RSA_4096`);
    }
    if (key.KeyUsage !== "ENCRYPT_DECRYPT") {
      problems.push(`key usage is ${key.KeyUsage}, not ENCRYPT_DECRYPT`);
    }
    if (key.Origin !== "AWS_KMS") {
      problems.push(`key material origin is ${key.Origin}, not AWS_KMS`);
    }
    const multiRegion = key.MultiRegionConfiguration;
    if (key.MultiRegion !== true || multiRegion?.MultiRegionKeyType !== expected.kind) {
      problems.push(`not a multi-Region ${expected.kind.toLowerCase()} key (${multiRegion?.MultiRegionKeyType ?? "single-Region"})`);
    } else if (expected.kind === "PRIMARY" && !multiRegion.ReplicaKeys?.some((replica) => replica.Arn === expected.replicaArn)) {
      problems.push(`${expected.replicaArn} is not among its replicas`);
    } else if (expected.kind === "REPLICA" && multiRegion.PrimaryKey?.Arn !== expected.primaryArn) {
      problems.push(`its primary is ${multiRegion.PrimaryKey?.Arn}, not ${expected.primaryArn}`);
    }
    if (expected.keyId !== undefined && expected.keyId !== key.KeyId && expected.keyId !== key.Arn) {
      problems.push(`the stack's kmsKeyId ${expected.keyId} (what Cerby was given) is not this key, ${key.KeyId}`);
    }
    if (expected.accountId !== undefined && expected.accountId !== key.AWSAccountId) {
      problems.push(`it belongs to account ${key.AWSAccountId}, not the stack's awsAccountId ${expected.accountId}`);
    }
    return problems.length > 0
      ? fail(check, `${arn}: ${problems.join("; ")}`)
      : pass(check, `${arn}: Enabled, RSA_4096, ENCRYPT_DECRYPT, multi-Region ${expected.kind.toLowerCase()} in ${expected.region}`);
  } catch (error) {
    return fail(check, `DescribeKey ${arn} in ${expected.region} failed: ${errorText(error)} (the identity running verify needs kms:DescribeKey)`);
  }
}

async function roleTrust(client: IAMClient, roleArn: string, principal: string, workspaceId: string): Promise<CheckLine> {
  const check = "aws.role-trust";
  const roleName = roleArn.slice(roleArn.lastIndexOf("/") + 1);
  try {
    const { Role: role } = await client.send(new GetRoleCommand({ RoleName: roleName }));
    if (role?.Arn !== roleArn) {
      return fail(check, `role ${roleName} is ${role?.Arn}, not the stack's cerbyRoleArn ${roleArn}: it was replaced, and Cerby holds the old ARN`);
    }
    // IAM returns the trust policy URL-encoded.
    const policy: unknown = JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument ?? "{}"));
    const problems = trustProblems(policy, principal, workspaceId);
    return problems.length === 0
      ? pass(check, `${roleArn} trusts only ${principal}, with sts:ExternalId ${workspaceId}`)
      : fail(check, `${roleArn}: ${problems.join("; ")}; run pulumi up to restore the trust policy`);
  } catch (error) {
    return fail(check, `GetRole ${roleName} failed: ${errorText(error)} (the identity running verify needs iam:GetRole)`);
  }
}

async function awsChecks(outputs: Outputs, env: VerifyEnvironment): Promise<CheckLine[]> {
  const lines = missingOutputs("aws.outputs", outputs, AWS_OUTPUTS);
  const primaryArn = text(outputs, "kmsKeyArn");
  const replicaArn = text(outputs, "kmsReplicaKeyArn");
  const primaryRegion = text(outputs, "kmsPrimaryRegion");
  const replicaRegion = text(outputs, "kmsReplicaRegion");
  const roleArn = text(outputs, "cerbyRoleArn");
  const workspaceId = text(outputs, "cerbyWorkspaceId");
  const checks: Array<Promise<CheckLine>> = [];
  if (primaryArn && replicaArn && primaryRegion && replicaRegion) {
    const keyId = text(outputs, "kmsKeyId");
    const accountId = text(outputs, "awsAccountId");
    const arns = { primaryArn, replicaArn, accountId };
    checks.push(
      kmsKey("aws.kms-primary", env.kms(primaryRegion), primaryArn, { kind: "PRIMARY", region: primaryRegion, keyId, ...arns }),
      kmsKey("aws.kms-replica", env.kms(replicaRegion), replicaArn, { kind: "REPLICA", region: replicaRegion, ...arns }),
    );
  }
  const principal = text(outputs, "cerbyPrincipalArn");
  if (roleArn && workspaceId && primaryRegion && principal) {
    checks.push(roleTrust(env.iam(primaryRegion), roleArn, principal, workspaceId));
  }
  lines.push(...(await Promise.all(checks)));
  return lines;
}

interface RegisteredVault {
  check: string;
  id: string;
  scheme: VaultScheme;
  /** The stack's "set as default" setting, when it exports it. */
  expectedDefault?: boolean;
  defaultOutput: string;
}

function vaultLine(vault: RegisteredVault, found: VaultRecord | undefined): CheckLine {
  if (!found) {
    return fail(vault.check, `Cerby has no vault ${vault.id}: it was removed in Cerby, or cerbyApiUrl points at another workspace; run pulumi refresh`);
  }
  const named = `vault "${found.name}" (${found.id})`;
  if (found.scheme !== vault.scheme) {
    return fail(vault.check, `${named} has scheme ${found.scheme}, not ${vault.scheme}`);
  }
  if (found.state !== "enabled") {
    return fail(vault.check, `${named} is ${found.state} in Cerby, so nothing new can be encrypted with it; enable it in the Cerby web app`);
  }
  if (vault.expectedDefault === undefined) {
    return pass(vault.check, `${named} is enabled, scheme ${found.scheme}, default ${found.isDefault} (not compared: no ${vault.defaultOutput} output)`);
  }
  if (found.isDefault !== vault.expectedDefault) {
    return fail(
      vault.check,
      `${named} is enabled but ${found.isDefault ? "is" : "is not"} the default vault, unlike the stack's setting; run pulumi up to restore it, or change the setting`,
    );
  }
  return pass(vault.check, `${named} is enabled, scheme ${found.scheme}, default ${found.isDefault}`);
}

async function cerbyChecks(outputs: Outputs, env: VerifyEnvironment, azure: boolean, aws: boolean): Promise<CheckLine[]> {
  const vaults: RegisteredVault[] = [];
  const expected = (name: string) => (typeof outputs[name] === "boolean" ? (outputs[name] as boolean) : undefined);
  const azureVaultId = text(outputs, "cerbyVaultId");
  if (azure && azureVaultId) {
    vaults.push({ check: "cerby.azure-vault", id: azureVaultId, scheme: "akv", expectedDefault: expected("cerbyVaultSetAsDefault"), defaultOutput: "cerbyVaultSetAsDefault" });
  }
  const awsVaultId = text(outputs, "awsCerbyVaultId");
  if (aws && awsVaultId) {
    vaults.push({ check: "cerby.aws-vault", id: awsVaultId, scheme: "kms_byo", expectedDefault: expected("awsCerbyVaultSetAsDefault"), defaultOutput: "awsCerbyVaultSetAsDefault" });
  }
  if (vaults.length === 0) {
    return [];
  }
  const baseUrl = env.cerbyApiUrl || text(outputs, "cerbyApiUrl");
  if (!baseUrl || !env.cerbyApiKey) {
    const missing = [baseUrl ? "" : "the cerbyApiUrl stack output", env.cerbyApiKey ? "" : "CERBY_API_KEY in the environment"].filter(Boolean);
    return [fail("cerby.api", `cannot check the Cerby vaults without ${missing.join(" and ")}`)];
  }
  // CERBY_API_URL may point verify at an emulator, never at another workspace than the stack's.
  const stackWorkspace = cerbyUrlWorkspace(text(outputs, "cerbyApiUrl") ?? "");
  const urlProblem =
    checkCerbyApiUrl(baseUrl) ?? (env.cerbyApiUrl && stackWorkspace ? checkCerbyApiUrlWorkspace(baseUrl, stackWorkspace) : undefined);
  if (urlProblem) {
    const source = env.cerbyApiUrl ? "CERBY_API_URL" : "the cerbyApiUrl stack output";
    return [fail("cerby.api", `${source} ${JSON.stringify(maskUrlCredentials(baseUrl))} ${urlProblem}; CERBY_API_KEY was not sent`)];
  }
  try {
    const listed = await new CerbyClient({ ...env.cerby, baseUrl, apiKey: env.cerbyApiKey }).listVaults();
    return vaults.map((vault) => vaultLine(vault, listed.find((found) => found.id === vault.id)));
  } catch (error) {
    return [fail("cerby.api", `listing the vaults failed: ${errorText(error)}`)];
  }
}

/** Runs every check the outputs allow. Never throws for a check's failure; it becomes a line. */
export async function verify(outputs: unknown, env: VerifyEnvironment): Promise<CheckLine[]> {
  if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) {
    return [fail("outputs", "the stack outputs must be a JSON object, as pulumi stack output --json prints")];
  }
  const record = outputs as Outputs;
  const azure = AZURE_MARKERS.some((name) => name in record);
  const aws = AWS_MARKERS.some((name) => name in record);
  if (!azure && !aws) {
    return [fail("outputs", "no Azure or AWS integration outputs found; pass the outputs of a deployed cerby-external-keys stack")];
  }
  const groups = await Promise.all([
    azure ? azureChecks(record, env) : [],
    aws ? awsChecks(record, env) : [],
    cerbyChecks(record, env, azure, aws),
    azure ? azureAlertChecks(record, env.alerts) : [],
    aws ? awsAlertChecks(record, env.alerts) : [],
  ]);
  const secrets = [text(record, "clientSecret"), env.cerbyApiKey];
  // A last guard: no reason, whatever an SDK or a service put in it, carries a secret out.
  return groups.flat().map((line) => ({ ...line, reason: maskUrlCredentials(redact(line.reason, secrets)) }));
}

const USAGE = `Usage: npm run verify -- --outputs <file|-> [--scheduled] [--json] [--azure-timeout-seconds N]

  --outputs FILE|-            stack outputs as JSON: pulumi stack output --json --show-secrets (- reads stdin)
  --scheduled                 for unattended runs (the shipped pipelines): a check that could not be proved fails the run
  --json                      print a JSON report instead of lines
  --azure-timeout-seconds N   how long Azure access failures are retried (default 60)

Each check is reported as passed, failed or not proved (it could not run: the line says what it needs).
The Cerby API key is read from CERBY_API_KEY, and sent only to the cerbyApiUrl output (or CERBY_API_URL)
when it is https://<workspace>.cerby.com or a loopback emulator. Without the service principal's client
secret in the outputs, the Azure key is read as the identity running verify (az login, or the pipeline's
Azure login), which needs the read-only Key Vault Reader role on the vault.
Exit status: 0 when no check failed (and, with --scheduled, none is unproved), 1 otherwise, 2 on usage errors.
`;

interface Arguments {
  outputs: string;
  json: boolean;
  scheduled: boolean;
  azureTimeoutSeconds: number;
}

function parseArguments(argv: string[]): Arguments | "help" | string {
  if (argv.includes("--help") || argv.includes("-h")) {
    return "help";
  }
  const parsed: Partial<Arguments> = { json: false, scheduled: false, azureTimeoutSeconds: 60 };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === "--json") {
      parsed.json = true;
    } else if (argument === "--scheduled") {
      parsed.scheduled = true;
    } else if (argument === "--outputs" && index + 1 < argv.length) {
      parsed.outputs = argv[(index += 1)];
    } else if (argument === "--azure-timeout-seconds" && /^\d+$/.test(argv[index + 1] ?? "")) {
      parsed.azureTimeoutSeconds = Number(argv[(index += 1)]);
    } else {
      return `unexpected argument ${JSON.stringify(argument)}`;
    }
  }
  return parsed.outputs === undefined ? "--outputs is required" : (parsed as Arguments);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export interface VerifyIo {
  stdin: NodeJS.ReadableStream;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

/** The command line: returns the exit status. `overrides` let tests point the clients at fakes. */
export async function main(argv: string[], io: VerifyIo, overrides: Partial<VerifyEnvironment> = {}): Promise<number> {
  const args = parseArguments(argv);
  if (args === "help") {
    io.stdout.write(USAGE);
    return 0;
  }
  if (typeof args === "string") {
    io.stderr.write(`verify: ${args}\n\n${USAGE}`);
    return 2;
  }
  const report = (lines: CheckLine[]) => {
    io.stdout.write(args.json ? formatJson(lines, args.scheduled) : formatLines(lines, args.scheduled));
    return succeeded(lines, args.scheduled) ? 0 : 1;
  };

  let source: string;
  try {
    source = args.outputs === "-" ? await readAll(io.stdin) : await readFile(args.outputs, "utf8");
  } catch (error) {
    return report([fail("outputs", `cannot read ${args.outputs}: ${(error as NodeJS.ErrnoException).code ?? errorText(error)}`)]);
  }
  let outputs: unknown;
  try {
    outputs = JSON.parse(source);
  } catch {
    // JSON.parse's message quotes the input, which holds the client secret: say only what went wrong.
    return report([fail("outputs", "the stack outputs are not valid JSON; produce them with pulumi stack output --json --show-secrets")]);
  }

  // One identity for everything verify reads as itself: the Azure key without the service
  // principal's secret, and Azure Resource Manager for the audit and alert checks.
  const azureCredential = overrides.azureCredential ?? new DefaultAzureCredential();
  const env: VerifyEnvironment = {
    now: new Date(),
    azureCredential,
    cerbyApiKey: io.env.CERBY_API_KEY,
    cerbyApiUrl: io.env.CERBY_API_URL,
    kms: (region) => new KMSClient({ region }),
    iam: (region) => new IAMClient({ region }),
    alerts: {
      arm: armReader(azureCredential, createDefaultHttpClient()),
      events: (region) => new EventBridgeClient({ region }),
      cloudtrail: (region) => new CloudTrailClient({ region }),
    },
    ...overrides,
    azure: {
      timeoutMs: args.azureTimeoutSeconds * 1000,
      // Progress goes to stderr so that --json output stays parseable; the preflight redacts it.
      log: (message) => io.stderr.write(`${message}\n`),
      ...overrides.azure,
    },
  };
  return report(await verify(outputs, env));
}

if (require.main === module) {
  main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(`verify: ${error instanceof Error ? error.name : "error"}; no report was produced\n`);
      process.exitCode = 2;
    },
  );
}
