import * as pulumi from "@pulumi/pulumi";
import { cerbyApiBaseUrl, type CerbyConfig, type StackConfig } from "./config";
import { AwsKmsIntegration } from "./aws/integration";
import { AzureKeyVaultIntegration } from "./azure/integration";
import { resolveSignedInIdentity } from "./azure/signedInIdentity";

/**
 * Whether the stack exports the client secret (always as a secret). Guided registration always
 * does, whatever the stack asks, since a person pastes it into Cerby; otherwise `requested` decides.
 */
export function exportsClientSecret(cerby: Pick<CerbyConfig, "registration">, requested: boolean): boolean {
  return cerby.registration === "guided" || requested;
}

/**
 * Builds every enabled integration from validated config and returns the stack outputs. Output
 * names are a contract: other stacks read them with a StackReference.
 */
export async function buildStack(config: StackConfig): Promise<Record<string, pulumi.Input<unknown>>> {
  const outputs: Record<string, pulumi.Input<unknown>> = {
    cerbyApiUrl: cerbyApiBaseUrl(config.cerby),
  };

  if (config.azure) {
    const signedIn = await resolveSignedInIdentity(config.azure);
    const azure = new AzureKeyVaultIntegration("cerby-azure", { azure: config.azure, cerby: config.cerby, signedIn });
    Object.assign(outputs, {
      tenantId: azure.tenantId,
      clientId: azure.clientId,
      servicePrincipalObjectId: azure.servicePrincipalObjectId,
      resourceGroupName: azure.resourceGroupName,
      keyVaultId: azure.keyVaultId,
      keyVaultName: azure.keyVaultName,
      keyVaultUri: azure.keyVaultUri,
      keyName: azure.keyName,
      keyId: azure.keyId,
      keyVersionedId: azure.keyVersionedId,
      roleAssignmentId: azure.roleAssignmentId,
      clientSecretExpiresAt: azure.clientSecretExpiresAt,
      clientSecretKeyId: azure.clientSecretKeyId,
      cerbyVaultId: azure.cerbyVaultId,
      cerbyVaultSetAsDefault: config.azure.cerbyVaultSetAsDefault,
    });
    if (exportsClientSecret(config.cerby, config.azure.exportClientSecret)) {
      outputs.clientSecret = pulumi.secret(azure.clientSecret);
    }
  }

  if (config.aws) {
    const aws = new AwsKmsIntegration("cerby-aws", { aws: config.aws, cerby: config.cerby });
    // None of these names is an Azure output name (a test runs both integrations and checks).
    Object.assign(outputs, {
      awsAccountId: aws.accountId,
      kmsPrimaryRegion: aws.primaryRegion,
      kmsReplicaRegion: aws.replicaRegion,
      kmsKeyArn: aws.keyArn,
      kmsKeyId: aws.keyId,
      kmsReplicaKeyArn: aws.replicaKeyArn,
      cerbyRoleArn: aws.roleArn,
      cerbyWorkspaceId: config.aws.cerbyWorkspaceId,
      // npm run verify checks the role trusts exactly this principal.
      cerbyPrincipalArn: config.aws.cerbyPrincipalArn,
      awsCerbyVaultId: aws.cerbyVaultId,
      awsCerbyVaultSetAsDefault: config.aws.cerbyVaultSetAsDefault,
    });
  }

  return outputs;
}
