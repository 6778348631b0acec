import type * as pulumi from "@pulumi/pulumi";
import { cerbyTrustPolicy } from "../../components/aws/role";
import { CERBY_AWS_PRINCIPAL_ARN } from "../../components/config";
import { AWS_ACCOUNT_ID, CERBY_WORKSPACE_ID, FakeAws, MRK_KEY_ID } from "./aws-cloud";

/** A key, replica and role made by hand following Cerby's "AWS KMS" article. */
export const MANUAL_AWS = {
  keyArn: `arn:aws:kms:us-east-2:${AWS_ACCOUNT_ID}:key/${MRK_KEY_ID}`,
  replicaArn: `arn:aws:kms:us-west-2:${AWS_ACCOUNT_ID}:key/${MRK_KEY_ID}`,
  roleName: "CerbyKmsAccess",
  policyName: "CerbyKmsPolicy",
};

export const ADOPT_AWS_CONFIG: Record<string, unknown> = {
  azureEnabled: false,
  awsEnabled: true,
  cerbyWorkspaceId: CERBY_WORKSPACE_ID,
  adoptExisting: true,
  clientSecretStartDate: undefined,
  existingKmsKeyId: MRK_KEY_ID,
  existingAwsRoleName: MANUAL_AWS.roleName,
};

export interface ManualAwsOptions {
  keySpec?: string;
  multiRegion?: boolean;
  /** Whether the replica was made in us-west-2. */
  replica?: boolean;
}

function key(arn: string, kind: "PRIMARY" | "REPLICA", options: ManualAwsOptions): Record<string, unknown> {
  const region = arn.split(":")[3];
  return {
    id: MRK_KEY_ID,
    keyId: MRK_KEY_ID,
    arn,
    awsAccountId: AWS_ACCOUNT_ID,
    description: "Cerby key",
    keySpec: options.keySpec ?? "RSA_4096",
    customerMasterKeySpec: options.keySpec ?? "RSA_4096",
    keyUsage: "ENCRYPT_DECRYPT",
    keyState: "Enabled",
    enabled: true,
    origin: "AWS_KMS",
    multiRegion: options.multiRegion ?? true,
    multiRegionConfigurations:
      options.multiRegion === false
        ? []
        : [
            {
              multiRegionKeyType: kind,
              primaryKeys: [{ arn: MANUAL_AWS.keyArn, region: "us-east-2" }],
              replicaKeys: options.replica === false ? [] : [{ arn: MANUAL_AWS.replicaArn, region: "us-west-2" }],
            },
          ],
    region,
  };
}

/** The fake AWS with the manual setup in it: the get functions answer from it. */
export class ManualAws extends FakeAws {
  constructor(private readonly options: ManualAwsOptions = {}) {
    super();
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    switch (args.token) {
      case "aws:kms/getKey:getKey":
        this.calls.push(args);
        return key(String(args.inputs.keyId).includes("us-west-2") ? MANUAL_AWS.replicaArn : MANUAL_AWS.keyArn, String(args.inputs.keyId).includes("us-west-2") ? "REPLICA" : "PRIMARY", this.options);
      case "aws:iam/getRole:getRole":
        this.calls.push(args);
        return {
          id: MANUAL_AWS.roleName,
          name: MANUAL_AWS.roleName,
          arn: `arn:aws:iam::${AWS_ACCOUNT_ID}:role/${MANUAL_AWS.roleName}`,
          // The data source decodes the URL-encoded document IAM returns.
          assumeRolePolicy: JSON.stringify(cerbyTrustPolicy(CERBY_AWS_PRINCIPAL_ARN, CERBY_WORKSPACE_ID)),
          description: "",
          path: "/",
          maxSessionDuration: 3600,
          permissionsBoundary: "",
          tags: {},
        };
      case "aws:iam/getRolePolicies:getRolePolicies":
        this.calls.push(args);
        return { roleName: MANUAL_AWS.roleName, policyNames: [MANUAL_AWS.policyName] };
      default:
        return super.call(args);
    }
  }
}
