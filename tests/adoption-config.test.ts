import { parseConfig } from "../components/config";
import { configProblems, configSource } from "./support/config-source";

const AZURE = {
  cerbyWorkspace: "acme",
  adoptExisting: true,
  existingApplicationClientId: "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
  keyVaultName: "kv-acme-cerby",
  resourceGroupName: "rg-security",
  createResourceGroup: false,
};
const AWS = {
  cerbyWorkspace: "acme",
  azureEnabled: false,
  awsEnabled: true,
  cerbyWorkspaceId: "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b",
  adoptExisting: true,
  existingKmsKeyId: "mrk-0123456789abcdef0123456789abcdef",
};

describe("adoption config", () => {
  test("adopting Azure needs no client secret start date, and reads the names of what exists", () => {
    const config = parseConfig(configSource(AZURE));
    expect(config.azure?.clientSecretStartDate).toBe("");
    expect(config.azure?.adopt).toEqual({ applicationClientId: AZURE.existingApplicationClientId, roleAssignmentId: undefined, applyDefaults: [] });
  });

  test("without adoption the client secret start date is still required", () => {
    expect(configProblems({ cerbyWorkspace: "acme" })).toEqual([expect.stringMatching(/^clientSecretStartDate is required: .*pulumi config set clientSecretStartDate <today, YYYY-MM-DD>/)]);
  });

  test("adopting Azure names each missing or wrong setting, with the fix", () => {
    expect(
      configProblems({ cerbyWorkspace: "acme", adoptExisting: true, existingRoleAssignmentId: "/subscriptions/x/roleAssignments/y", adoptApplyDefaults: ["lock"] }),
    ).toEqual([
      'adoptApplyDefaults item "lock" is not one of purgeProtection, deleteLock, network, tags, role.',
      "keyVaultName is required with adoptExisting: set it to the name of the existing Key Vault (`pulumi config set keyVaultName <name>`).",
      "createResourceGroup must be false with adoptExisting: the resource group of the existing vault exists already (`pulumi config set createResourceGroup false`).",
      expect.stringMatching(/^existingApplicationClientId is required: .*pulumi config set existingApplicationClientId/),
      expect.stringMatching(/^existingRoleAssignmentId "\/subscriptions\/x\/roleAssignments\/y" must be a role assignment's ARM ID/),
    ]);
  });

  test("names of what exists without adoptExisting are refused rather than ignored", () => {
    expect(configProblems({ cerbyWorkspace: "acme", clientSecretStartDate: "2026-11-28", existingApplicationClientId: AZURE.existingApplicationClientId })).toEqual([
      "existingApplicationClientId is set but adoptExisting is false, so it would be ignored; set adoptExisting to true to adopt a setup made by hand, or remove it.",
    ]);
  });

  test("adopting AWS takes the key by ID and the role name from awsRoleName unless existingAwsRoleName names it", () => {
    expect(parseConfig(configSource(AWS)).aws?.adopt).toEqual({ kmsKeyId: AWS.existingKmsKeyId, roleName: "cerby-kms-byo-key-access" });
    expect(parseConfig(configSource({ ...AWS, existingAwsRoleName: "CerbyKms" })).aws?.adopt?.roleName).toBe("CerbyKms");
  });

  test("adopting AWS needs the key, and an ARN must be in the primary Region", () => {
    expect(configProblems({ ...AWS, existingKmsKeyId: undefined })).toEqual([expect.stringMatching(/^existingKmsKeyId is required: /)]);
    expect(configProblems({ ...AWS, existingKmsKeyId: "arn:aws:kms:us-west-2:123456789012:key/mrk-0123456789abcdef0123456789abcdef" })).toEqual([
      expect.stringMatching(/^existingKmsKeyId ".*" is in us-west-2, but awsPrimaryRegion is us-east-2; name the multi-Region primary key/),
    ]);
  });
});
