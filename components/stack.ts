import * as pulumi from "@pulumi/pulumi";
import { cerbyApiBaseUrl, existingClientSecret, type StackConfig } from "./config";
import { adoptAws } from "./aws/adoption";
import { adoptAzure } from "./azure/adoption";
import { exportsClientSecret } from "./cerby/rotation";
import { AwsKmsIntegration } from "./aws/integration";
import { AzureKeyVaultIntegration } from "./azure/integration";
import { resolveSignedInIdentity } from "./azure/signedInIdentity";
import { addAwsTamperAlerts, addAzureMonitoring } from "./alerts";

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
    const azure = config.azure.adopt
      ? await adoptAzure("cerby-azure", { azure: config.azure, cerby: config.cerby, signedIn, existingClientSecret: existingClientSecret() })
      : new AzureKeyVaultIntegration("cerby-azure", { azure: config.azure, cerby: config.cerby, signedIn });
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
      // npm run verify fails while this is false.
      cerbyClientSecretConfirmed: azure.cerbyClientSecretConfirmed,
      cerbyVaultSetAsDefault: config.azure.cerbyVaultSetAsDefault,
      ...(config.azure.adopt ? { adoptedExisting: true } : {}),
    });
    if (exportsClientSecret(config.cerby, config.azure.exportClientSecret)) {
      outputs.clientSecret = pulumi.secret(azure.clientSecret);
    }
    Object.assign(outputs, addAzureMonitoring(azure, config.azure, config.alerts));
  }

  if (config.aws) {
    const aws = config.aws.adopt
      ? await adoptAws("cerby-aws", { aws: config.aws, cerby: config.cerby })
      : new AwsKmsIntegration("cerby-aws", { aws: config.aws, cerby: config.cerby });
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
    // An adopted role keeps its own name.
    Object.assign(outputs, addAwsTamperAlerts(aws, { ...config.aws, roleName: config.aws.adopt?.roleName ?? config.aws.roleName }, config.alerts));
  }

  return outputs;
}
