import * as pulumi from "@pulumi/pulumi";
import type { AlertsConfig, AwsConfig, AzureConfig } from "./config";
import type { AwsKmsIntegration } from "./aws/integration";
import { KmsTamperAlerts, type WatchedKey } from "./aws/tamperAlerts";
import type { AzureKeyVaultIntegration } from "./azure/integration";
import { KeyVaultMonitoring } from "./azure/monitoring";
import { awsPartition } from "./validation";

type Outputs = Record<string, pulumi.Input<unknown>>;

/**
 * Adds the Azure audit trail and alerts under the integration, from its outputs, and returns the
 * stack outputs for the parts that are on (none when all are off).
 */
export function addAzureMonitoring(azure: AzureKeyVaultIntegration, config: AzureConfig, alerts: AlertsConfig): Outputs {
  if (!alerts.auditLogs && !alerts.tamperAlerts && !alerts.keyEvents) {
    return {};
  }
  const monitoring = new KeyVaultMonitoring(
    "cerby-azure-monitoring",
    {
      alerts,
      vaultId: azure.keyVaultId,
      keyName: config.keyName,
      resourceGroupName: azure.resourceGroupName,
      location: config.location,
      tags: config.tags,
    },
    { parent: azure },
  );
  const outputs: Outputs = {
    logAnalyticsWorkspaceId: monitoring.workspaceId,
    alertActionGroupId: monitoring.actionGroupId,
    azureAlertRuleIds: monitoring.alertRuleIds,
    keyEventsSystemTopicId: monitoring.systemTopicId,
  };
  return Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined));
}

/** Adds the AWS tamper alerts under the integration when tamperAlerts is on; returns their stack outputs. */
export function addAwsTamperAlerts(aws: AwsKmsIntegration, config: AwsConfig, alerts: AlertsConfig): Outputs {
  if (!alerts.tamperAlerts) {
    return {};
  }
  const watched = (region: string, keyArn: pulumi.Output<string>): pulumi.Output<WatchedKey> =>
    pulumi.all([keyArn, aws.keyId, aws.accountId]).apply(([arn, keyId, accountId]) => ({
      keyArn: arn,
      keyId,
      aliasName: config.kmsKeyAlias,
      aliasArn: `arn:${awsPartition(region)}:kms:${region}:${accountId}:${config.kmsKeyAlias}`,
    }));
  const tamper = new KmsTamperAlerts(
    "cerby-aws-tamper",
    {
      primaryRegion: config.primaryRegion,
      replicaRegion: config.replicaRegion,
      primaryKey: watched(config.primaryRegion, aws.keyArn),
      replicaKey: watched(config.replicaRegion, aws.replicaKeyArn),
      roleName: config.roleName,
      emails: alerts.emails,
      allowedAccountIds: config.accountId ? [config.accountId] : undefined,
      tags: config.tags,
    },
    { parent: aws },
  );
  return { tamperAlertTopicArns: tamper.topicArns, tamperAlertRuleArns: tamper.ruleArns };
}
