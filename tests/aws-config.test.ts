import { CERBY_AWS_PRINCIPAL_ARN, parseConfig, type ConfigSource } from "../components/config";
import { configProblems, configSource } from "./support/config-source";
import { CERBY_WORKSPACE_ID } from "./support/aws-cloud";

/** The smallest valid config for an AWS-only stack. */
const AWS_ONLY: Record<string, unknown> = {
  cerbyWorkspace: "acme",
  azureEnabled: false,
  awsEnabled: true,
  cerbyWorkspaceId: CERBY_WORKSPACE_ID,
};

function source(values: Record<string, unknown>): ConfigSource {
  return configSource({ ...AWS_ONLY, ...values });
}

function problemsOf(values: Record<string, unknown>): string[] {
  return configProblems({ ...AWS_ONLY, ...values });
}

describe("AWS config: good values", () => {
  test("the smallest AWS config gives the documented defaults and no Azure part", () => {
    const config = parseConfig(source({}));
    expect(config.azure).toBeUndefined();
    expect(config.aws).toEqual({
      cerbyWorkspaceId: CERBY_WORKSPACE_ID,
      accountId: undefined,
      primaryRegion: "us-east-2",
      replicaRegion: "us-west-2",
      cerbyPrincipalArn: "arn:aws:iam::749452252575:role/production-kms-byo-key-access-role",
      kmsKeyAlias: "alias/cerby-external-keys",
      kmsDeletionWindowDays: 30,
      roleName: "cerby-kms-byo-key-access",
      cerbyVaultName: "AWS KMS",
      cerbyVaultSetAsDefault: false,
      cerbyVaultOnDelete: "retain",
      tags: {},
    });
    expect(CERBY_AWS_PRINCIPAL_ARN).toBe(config.aws!.cerbyPrincipalArn);
  });

  test("awsEnabled is off by default, so an existing Azure-only stack is unchanged", () => {
    const config = parseConfig(source({ azureEnabled: undefined, awsEnabled: undefined, clientSecretStartDate: "2026-11-28" }));
    expect(config.aws).toBeUndefined();
    expect(config.azure).toBeDefined();
  });

  test("with awsEnabled false the AWS keys set are checked, and their problems are warnings, not errors", () => {
    const warnings: string[] = [];
    const config = parseConfig(
      source({ azureEnabled: true, clientSecretStartDate: "2026-11-28", awsEnabled: false, cerbyWorkspaceId: "acme", awsPrimaryRegion: "mars-1" }),
      (message) => warnings.push(message),
    );
    expect(config.aws).toBeUndefined();
    expect(warnings).toEqual([
      expect.stringMatching(/^cerby-external-keys:cerbyWorkspaceId "acme" must be the Cerby workspace ID.*\(Unused while awsEnabled is false; fix it before you set awsEnabled to true\.\)$/),
      expect.stringMatching(/^cerby-external-keys:awsPrimaryRegion "mars-1" must be an AWS Region code such as us-east-2\. \(Unused while awsEnabled is false/),
    ]);
  });

  test("both integrations at once", () => {
    const config = parseConfig(source({ azureEnabled: true, clientSecretStartDate: "2026-11-28", tags: { team: "platform" } }));
    expect(config.azure!.tags).toEqual({ team: "platform" });
    expect(config.aws!.tags).toEqual({ team: "platform" });
  });

  test("other Regions are accepted once awsAllowNonStandardRegions acknowledges Cerby's DR pair", () => {
    const aws = parseConfig(source({ awsPrimaryRegion: "eu-west-1", awsReplicaRegion: "eu-central-1", awsAllowNonStandardRegions: true })).aws!;
    expect([aws.primaryRegion, aws.replicaRegion]).toEqual(["eu-west-1", "eu-central-1"]);
  });

  test("chosen values come through", () => {
    const aws = parseConfig(
      source({
        awsAccountId: "210987654321",
        cerbyPrincipalArn: "arn:aws:iam::749452252575:role/staging-kms-byo-key-access-role",
        kmsKeyAlias: "alias/acme/cerby",
        kmsDeletionWindowDays: 7,
        awsRoleName: "acme-cerby",
        cerbyAwsVaultName: "Acme AWS",
        cerbyAwsVaultSetAsDefault: true,
        cerbyAwsVaultOnDelete: "Retain",
      }),
    ).aws!;
    expect(aws).toMatchObject({
      accountId: "210987654321",
      cerbyPrincipalArn: "arn:aws:iam::749452252575:role/staging-kms-byo-key-access-role",
      kmsKeyAlias: "alias/acme/cerby",
      kmsDeletionWindowDays: 7,
      roleName: "acme-cerby",
      cerbyVaultName: "Acme AWS",
      cerbyVaultSetAsDefault: true,
      cerbyVaultOnDelete: "retain",
    });
  });
});

const DR = /Cerby's disaster-recovery setup expects the primary key in us-east-2 and its replica in us-west-2\. To use another Region anyway, set awsAllowNonStandardRegions to true\.$/;

// Each row: the bad config, and a pattern the one resulting problem must match (key first).
const BAD_AWS_INPUTS: Array<[string, Record<string, unknown>, RegExp]> = [
  ["primary Region not us-east-2", { awsPrimaryRegion: "eu-west-1" }, new RegExp(`^awsPrimaryRegion "eu-west-1" is not us-east-2: ${DR.source}`)],
  ["replica Region not us-west-2", { awsReplicaRegion: "us-east-1" }, new RegExp(`^awsReplicaRegion "us-east-1" is not us-west-2: ${DR.source}`)],
  ["Region that is not a Region code", { awsPrimaryRegion: "US East (Ohio)" }, /^awsPrimaryRegion "US East \(Ohio\)" must be an AWS Region code such as us-east-2\.$/],
  [
    "replica in the primary's Region, even when acknowledged",
    { awsReplicaRegion: "us-east-2", awsAllowNonStandardRegions: true },
    /^awsReplicaRegion "us-east-2" is also the primary Region; a replica must be in another Region \(Cerby's disaster-recovery setup/,
  ],
  [
    "replica in another partition",
    { awsPrimaryRegion: "us-gov-west-1", awsReplicaRegion: "us-west-2", awsAllowNonStandardRegions: true },
    /^awsReplicaRegion "us-west-2" is in partition aws but the primary Region is in aws-us-gov; a replica must be in its primary key's partition\.$/,
  ],
  ["acknowledgement not a boolean", { awsAllowNonStandardRegions: "yes" }, /^awsAllowNonStandardRegions "yes" is not a boolean/],
  ["missing workspace ID", { cerbyWorkspaceId: undefined }, /^cerbyWorkspaceId is required: Cerby workspace ID \(a UUID\).*pulumi config set cerbyWorkspaceId 123e4567-/],
  [
    "workspace subdomain instead of the ID",
    { cerbyWorkspaceId: "acme" },
    /^cerbyWorkspaceId "acme" must be the Cerby workspace ID, a UUID .*\(not the workspace's subdomain\): Cerby presents it as the sts:ExternalId .* locks Cerby out of the key\.$/,
  ],
  ["workspace ID that is the nil UUID", { cerbyWorkspaceId: "00000000-0000-0000-0000-000000000000" }, /^cerbyWorkspaceId "0{8}-.*" is the nil UUID, a placeholder; use your Cerby workspace's ID\.$/],
  [
    "principal that is a user, not a role",
    { cerbyPrincipalArn: "arn:aws:iam::749452252575:user/cerby" },
    /^cerbyPrincipalArn "arn:aws:iam::749452252575:user\/cerby" must be an IAM role ARN such as arn:aws:iam::123456789012:role\/name\.$/,
  ],
  ["principal that is an account ID", { cerbyPrincipalArn: "749452252575" }, /^cerbyPrincipalArn "749452252575" must be an IAM role ARN/],
  [
    "onDelete disable",
    { cerbyAwsVaultOnDelete: "disable" },
    /^cerbyAwsVaultOnDelete "disable" is not allowed: Cerby cannot disable AWS KMS vaults, so pulumi destroy can only leave the vault in place; use retain\.$/,
  ],
  ["deletion window below 7", { kmsDeletionWindowDays: 6 }, /^kmsDeletionWindowDays 6 is out of range; use a number from 7 to 30\.$/],
  ["deletion window above 30", { kmsDeletionWindowDays: 31 }, /^kmsDeletionWindowDays 31 is out of range/],
  ["alias without the alias/ prefix", { kmsKeyAlias: "cerby" }, /^kmsKeyAlias "cerby" must be alias\/ followed by 1–250 letters/],
  ["alias in AWS's reserved space", { kmsKeyAlias: "alias/aws/cerby" }, /^kmsKeyAlias "alias\/aws\/cerby" is in alias\/aws\/, which AWS reserves/],
  ["role name too long", { awsRoleName: "r".repeat(65) }, /^awsRoleName "r+" must be 1–64 letters, digits or \+ = , \. @ _ - characters\.$/],
  [
    "account ID of 11 digits, as YAML leaves an unquoted 012345678901: says to quote it",
    { awsAccountId: "12345678901" },
    /^awsAccountId "12345678901" has 11 digits, but an AWS account ID has 12; if yours starts with 0, quote it in the stack file/,
  ],
  ["account ID with a letter", { awsAccountId: "12345678901a" }, /^awsAccountId "12345678901a" must be a 12-digit AWS account ID\.$/],
  ["all-zero placeholder account ID", { awsAccountId: "000000000000" }, /^awsAccountId "000000000000" is all zeros, a placeholder; use your own ID\.$/],
  ["empty Cerby vault name", { cerbyAwsVaultName: " " }, /^cerbyAwsVaultName " " must be 1–100 characters, not only spaces\.$/],
  ["set-as-default not a boolean", { cerbyAwsVaultSetAsDefault: "no" }, /^cerbyAwsVaultSetAsDefault "no" is not a boolean/],
  ["tag name in AWS's reserved space", { tags: { "aws:team": "x" } }, /^tags name "aws:team" must be at most 128 .* and not start with aws: \(AWS's rule\)\.$/],
  ["tag value with a character IAM refuses", { tags: { team: "a&b" } }, /^tags value of "team" must be at most 256 letters, digits, spaces or _ \. : \/ = \+ - @ \(AWS's rule\)\.$/],
  [
    "both integrations off",
    { awsEnabled: false },
    /^awsEnabled and azureEnabled are both false, so this stack would create nothing; set azureEnabled, awsEnabled or both to true\.$/,
  ],
  ["awsEnabled not a boolean", { awsEnabled: "on" }, /^awsEnabled "on" is not a boolean; use true or false\.$/],
];

describe("AWS config: bad values are refused with a message naming the key, the value and the fix", () => {
  test.each(BAD_AWS_INPUTS)("%s", (_name, values, expected) => {
    const problems = problemsOf(values);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  test("both Regions off the DR pair give one problem each, in one error", () => {
    expect(problemsOf({ awsPrimaryRegion: "eu-west-1", awsReplicaRegion: "eu-central-1" }).map((problem) => problem.split(" ")[0])).toEqual([
      "awsPrimaryRegion",
      "awsReplicaRegion",
    ]);
  });

  test("both vaults set as the workspace's default is refused: Cerby has one default vault", () => {
    expect(
      problemsOf({ azureEnabled: true, clientSecretStartDate: "2026-11-28", cerbyAzureVaultSetAsDefault: true, cerbyAwsVaultSetAsDefault: true }),
    ).toEqual([
      "cerbyAwsVaultSetAsDefault and cerbyAzureVaultSetAsDefault are both true, but a Cerby workspace has one default vault; set one of them to false.",
    ]);
  });

  test("a malformed tags map is reported once although both integrations read it", () => {
    const problems = problemsOf({ azureEnabled: true, clientSecretStartDate: "2026-11-28", tags: ["a"] });
    expect(problems).toEqual(["tags must be a map of strings, e.g. `pulumi config set --path 'tags.name' VALUE`."]);
  });

  test("Azure and AWS problems come together in one ConfigError", () => {
    expect(() => parseConfig(source({ azureEnabled: true, keyVaultName: "kv", cerbyWorkspaceId: "acme" }))).toThrow(
      /\(3 problems\):\n {2}- cerby-external-keys:keyVaultName .*\n {2}- cerby-external-keys:clientSecretStartDate .*\n {2}- cerby-external-keys:cerbyWorkspaceId /,
    );
  });
});
