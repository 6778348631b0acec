import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import type { AzureConfig, CerbyConfig } from "../config";
import { exportsClientSecret } from "../cerby/rotation";
import { CerbyVault } from "../cerby/vault";
import { CerbyApplication } from "./application";
import { KeyContinuityGuard } from "../keyContinuity";
import { CerbyKey } from "./key";
import { CerbyKeyVault } from "./keyVault";
import { VaultDeleteLock } from "./deleteLock";
import { DataPlaneReadiness } from "./dataPlaneReadiness";
import { keyPreflights } from "./keyPreflight";
import { KeyVaultRoleAssignment } from "./roleAssignment";
import { KeyVaultCustomRole, builtInRole, type CustomKeyVaultRole } from "./roleDefinition";
import type { SignedInIdentity } from "./signedInIdentity";

export interface AzureKeyVaultIntegrationArgs {
  /** The validated Azure part of the stack config. */
  azure: AzureConfig;
  /** The Cerby workspace the vault is registered in. */
  cerby: CerbyConfig;
  /** The identity running `pulumi up`: its tenant hosts the vault, and it gets the deployer grant. */
  signedIn: SignedInIdentity;
}

/**
 * Everything Cerby's "Azure External Keys" strategy needs: an Entra application with a service
 * principal and client secret, a Key Vault, an RSA-4096 key, and a role assignment that lets the
 * service principal use the key.
 */
export class AzureKeyVaultIntegration extends pulumi.ComponentResource {
  readonly tenantId: pulumi.Output<string>;
  readonly subscriptionId: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
  readonly clientSecret: pulumi.Output<string>;
  readonly clientSecretExpiresAt: pulumi.Output<string>;
  /** Key ID of the current client secret, to revoke the previous one by after a rotation. */
  readonly clientSecretKeyId: pulumi.Output<string>;
  readonly servicePrincipalObjectId: pulumi.Output<string>;
  readonly resourceGroupName: pulumi.Output<string>;
  readonly keyVaultId: pulumi.Output<string>;
  readonly keyVaultName: pulumi.Output<string>;
  readonly keyVaultUri: pulumi.Output<string>;
  readonly keyName: pulumi.Output<string>;
  readonly keyResourceId: pulumi.Output<string>;
  /** Versionless key URI: what Cerby and other stacks should reference. */
  readonly keyId: pulumi.Output<string>;
  readonly keyVersionedId: pulumi.Output<string>;
  readonly roleAssignmentId: pulumi.Output<string>;
  readonly cerbyVaultId: pulumi.Output<string>;
  /** False while a client-secret rotation a person carries to Cerby is not confirmed (cerbyClientSecretConfirmedStartDate). */
  readonly cerbyClientSecretConfirmed: pulumi.Output<boolean>;

  constructor(name: string, args: AzureKeyVaultIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:azure:KeyVaultIntegration", name, {}, opts);
    const azure = args.azure;

    const signedIn = args.signedIn;
    this.tenantId = pulumi.output(signedIn.tenantId);
    this.subscriptionId = pulumi.output(signedIn.subscriptionId);

    this.resourceGroupName = azure.createResourceGroup
      ? new resources.ResourceGroup(
          `${name}-rg`,
          { resourceGroupName: azure.resourceGroupName, location: azure.location, tags: azure.tags },
          // Deleting the group would delete the vault in it.
          { parent: this, protect: true, retainOnDelete: true },
        ).name
      : resources.getResourceGroupOutput({ resourceGroupName: azure.resourceGroupName }, { parent: this }).name;

    const application = new CerbyApplication(
      `${name}-app`,
      {
        displayName: azure.applicationName,
        clientSecretStartDate: azure.clientSecretStartDate,
        clientSecretLifetimeDays: azure.clientSecretLifetimeDays,
      },
      { parent: this },
    );

    const vault = new CerbyKeyVault(
      `${name}-kv`,
      {
        resourceGroupName: this.resourceGroupName,
        location: azure.location,
        tenantId: this.tenantId,
        name: azure.keyVaultName,
        sku: azure.keyVaultSku,
        softDeleteRetentionDays: azure.softDeleteRetentionDays,
        purgeProtection: azure.purgeProtection,
        networkDefaultAction: azure.networkDefaultAction,
        networkAllowedIpRanges: azure.networkAllowedIpRanges,
        tags: azure.tags,
      },
      { parent: this },
    );

    const customRole = (role: CustomKeyVaultRole, vaultId: pulumi.Input<string>) =>
      new KeyVaultCustomRole(
        `${name}-${role}-role`,
        { role, subscriptionId: this.subscriptionId, resourceGroupName: this.resourceGroupName, vaultId, vaultName: vault.vaultName },
        { parent: this },
      );

    const keyDependsOn: pulumi.Resource[] = [];
    const roleAssignments: pulumi.Resource[] = [];
    if (azure.grantDeployerAccess) {
      const deployerRole = azure.deployerRole === "custom" ? customRole("deployer", vault.vaultId) : builtInRole("crypto-officer");
      const deployerGrant = new KeyVaultRoleAssignment(
        `${name}-deployer`,
        {
          subscriptionId: this.subscriptionId,
          roleDefinitionGuid: deployerRole.guid,
          principalId: signedIn.objectId,
          principalType: signedIn.principalType,
          scope: vault.vaultId,
          description: "Lets the identity running pulumi up create and check the Cerby key (cerby-external-keys).",
        },
        { parent: this },
      );
      roleAssignments.push(deployerGrant);
      keyDependsOn.push(
        new DataPlaneReadiness(
          `${name}-deployer-propagation`,
          {
            trigger: deployerGrant.roleAssignmentId,
            vaultUrl: vault.vaultUri,
            keyName: azure.keyName,
            timeoutSeconds: azure.rolePropagationTimeoutMinutes * 60,
            fallbackSeconds: azure.rolePropagationWaitSeconds,
          },
          { parent: this, dependsOn: [deployerGrant] },
        ),
      );
    }

    const key = new CerbyKey(
      `${name}-key`,
      {
        resourceGroupName: this.resourceGroupName,
        vaultName: vault.vaultName,
        keyName: azure.keyName,
        keyType: azure.keyType,
        tags: azure.tags,
      },
      { parent: this, dependsOn: keyDependsOn },
    );

    // What points at the key or vault below takes its ID from the guard: a state that lost a
    // soft-deleted key or vault stops there, before Cerby's access, the lock or the Cerby vault move.
    const guard = new KeyContinuityGuard(
      `${name}-key-continuity`,
      { cloud: "azure", identity: { vaultId: vault.vaultId, keyResourceId: key.keyResourceId, keyUri: key.keyUri } },
      { parent: this },
    );
    const vaultId = guard.pinned("vaultId");
    const keyUri = guard.pinned("keyUri");

    const role = azure.servicePrincipalRole === "minimal" ? customRole("minimal", vaultId) : builtInRole(azure.servicePrincipalRole);
    const servicePrincipalRole = new KeyVaultRoleAssignment(
      `${name}-cerby`,
      {
        subscriptionId: this.subscriptionId,
        roleDefinitionGuid: role.guid,
        principalId: application.servicePrincipalObjectId,
        principalType: "ServicePrincipal",
        scope: azure.roleScope === "key" ? guard.pinned("keyResourceId") : vaultId,
        description: pulumi.interpolate`${role.displayName} for Cerby's service principal (cerby-external-keys).`,
      },
      { parent: this },
    );

    roleAssignments.push(servicePrincipalRole);
    if (azure.deleteLock) {
      new VaultDeleteLock(`${name}-kv-lock`, { vaultId }, { parent: this, dependsOn: [...roleAssignments, key] });
    }

    const target = {
      clientId: application.clientId,
      tenantId: this.tenantId,
      clientSecret: application.clientSecret,
      // Named by the pinned IDs; the guard passes them on once it has accepted those.
      vaultUrl: guard.gate(vault.vaultUri),
      keyName: guard.gate(key.keyName),
    };
    const cerbyDependsOn = [servicePrincipalRole, key, guard];
    // Cerby is called only once its service principal has proved it can use the key with this secret.
    const { akv, dependsOn: preflight } = keyPreflights(`${name}-key-preflight`, target, azure.preflight, azure.keyName, { parent: this, dependsOn: cerbyDependsOn });
    const cerbyVault = new CerbyVault(
      `${name}-cerby-vault`,
      {
        workspace: args.cerby.workspace,
        apiUrl: args.cerby.apiUrl,
        registration: args.cerby.registration,
        registrationWaitMinutes: args.cerby.registrationWaitMinutes,
        name: azure.cerbyVaultName,
        scheme: "akv",
        setAsDefault: azure.cerbyVaultSetAsDefault,
        onDelete: azure.cerbyVaultOnDelete,
        akv,
        clientSecretRotation: {
          startDate: azure.clientSecretStartDate,
          keyId: application.clientSecretKeyId,
          confirmedStartDate: azure.cerbyClientSecretConfirmedStartDate,
          exported: exportsClientSecret(args.cerby, azure.exportClientSecret),
        },
      },
      { parent: this, dependsOn: [...cerbyDependsOn, ...preflight] },
    );

    this.clientId = application.clientId;
    this.clientSecret = application.clientSecret;
    this.clientSecretExpiresAt = application.clientSecretExpiresAt;
    this.clientSecretKeyId = application.clientSecretKeyId;
    this.servicePrincipalObjectId = application.servicePrincipalObjectId;
    this.keyVaultId = vaultId;
    this.keyVaultName = vault.vaultName;
    this.keyVaultUri = vault.vaultUri;
    this.keyName = key.keyName;
    this.keyResourceId = guard.pinned("keyResourceId");
    this.keyId = keyUri;
    this.keyVersionedId = key.keyUriWithVersion;
    this.roleAssignmentId = servicePrincipalRole.roleAssignmentId;
    this.cerbyVaultId = cerbyVault.vaultId;
    this.cerbyClientSecretConfirmed = cerbyVault.clientSecretConfirmed.apply((confirmed) => confirmed !== false);

    this.registerOutputs({
      tenantId: this.tenantId,
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      clientSecretExpiresAt: this.clientSecretExpiresAt,
      clientSecretKeyId: this.clientSecretKeyId,
      servicePrincipalObjectId: this.servicePrincipalObjectId,
      resourceGroupName: this.resourceGroupName,
      keyVaultId: this.keyVaultId,
      keyVaultName: this.keyVaultName,
      keyVaultUri: this.keyVaultUri,
      keyName: this.keyName,
      keyId: this.keyId,
      keyVersionedId: this.keyVersionedId,
      roleAssignmentId: this.roleAssignmentId,
      cerbyVaultId: this.cerbyVaultId,
      cerbyClientSecretConfirmed: this.cerbyClientSecretConfirmed,
    });
  }
}
