import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as azuread from "@pulumi/azuread";
import * as authorization from "@pulumi/azure-native/authorization";
import { type AzureAdoption, type KeyVaultSku, type AzureConfig, type CerbyConfig } from "../config";
import { exportsClientSecret } from "../cerby/rotation";
import { CerbyVault } from "../cerby/vault";
import { KeyContinuityGuard } from "../keyContinuity";
import { clientSecret } from "./application";
import { VaultDeleteLock } from "./deleteLock";
import { keyPreflights } from "./keyPreflight";
import { AdoptionRefused, azureDifferences, azureRefusals, discoverExistingAzure, type ExistingAzure } from "./existing";
import { KeyVaultCustomRole, builtInRole } from "./roleDefinition";
import { KeyVaultRoleAssignment } from "./roleAssignment";
import type { SignedInIdentity } from "./signedInIdentity";

export interface AdoptedAzureIntegrationArgs {
  /** The validated Azure part of the stack config, with adoptExisting on. */
  azure: AzureConfig & { adopt: AzureAdoption; keyVaultName: string };
  cerby: CerbyConfig;
  signedIn: SignedInIdentity;
  /** What exists, read before declaring (existing.ts), already checked. */
  existing: ExistingAzure;
  /** The client secret Cerby holds, when the stack supplies it (existingClientSecret); never sent to Cerby on adoption. */
  existingClientSecret?: pulumi.Output<string>;
}

/** Drops undefined fields: an input left out and one set to undefined differ for nobody, but the plan shows both. */
function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

/** The vault's inputs: exactly what exists, except the defaults the stack applies (adoptApplyDefaults). */
export function adoptedVaultInputs(existing: ExistingAzure, azure: AdoptedAzureIntegrationArgs["azure"]): keyvault.VaultArgs {
  const { vault } = existing;
  const p = vault.properties;
  const applied = new Set(azure.adopt.applyDefaults);
  const acls = p.networkAcls;
  const networkAcls = applied.has("network")
    ? { bypass: "AzureServices", defaultAction: azure.networkDefaultAction, ipRules: azure.networkAllowedIpRanges.map((value) => ({ value })) }
    : acls &&
      defined({
        bypass: acls.bypass,
        defaultAction: acls.defaultAction,
        ipRules: acls.ipRules?.map((rule) => ({ value: rule.value })),
        virtualNetworkRules: acls.virtualNetworkRules?.map((rule) => defined({ id: rule.id, ignoreMissingVnetServiceEndpoint: rule.ignoreMissingVnetServiceEndpoint })),
      });
  const tags = applied.has("tags") ? { ...vault.tags, ...azure.tags } : vault.tags;
  return {
    vaultName: vault.name,
    resourceGroupName: azure.resourceGroupName,
    location: vault.location,
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
    properties: defined({
      tenantId: p.tenantId,
      sku: { family: p.sku.family, name: p.sku.name as KeyVaultSku },
      enableRbacAuthorization: p.enableRbacAuthorization,
      enableSoftDelete: p.enableSoftDelete,
      softDeleteRetentionInDays: p.softDeleteRetentionInDays,
      // Azure rejects an explicit false; leaving it out means "off".
      enablePurgeProtection: applied.has("purgeProtection") || p.enablePurgeProtection === true ? true : undefined,
      enabledForDeployment: p.enabledForDeployment,
      enabledForDiskEncryption: p.enabledForDiskEncryption,
      enabledForTemplateDeployment: p.enabledForTemplateDeployment,
      publicNetworkAccess: p.publicNetworkAccess,
      networkAcls,
    }),
  };
}

/** Import IDs of what adoption declares, by the resource names it declares them under. */
export function importIds(existing: ExistingAzure): Record<"vault" | "key" | "application" | "servicePrincipal", string> {
  return {
    vault: existing.vault.id,
    key: existing.key.id,
    application: `/applications/${existing.application.objectId}`,
    servicePrincipal: `/servicePrincipals/${existing.servicePrincipal.objectId}`,
  };
}

/**
 * Cerby's Azure integration made by hand, brought under the stack: the application, service
 * principal, vault, key and (when named) role assignment are imported with the inputs they have,
 * so the first `pulumi up` changes none of them. What Cerby needs and lacks (a role assignment)
 * is created; every one of them is protected. No client secret is created unless the stack sets
 * clientSecretStartDate, and the Cerby vault is adopted by name, nothing sent to it.
 */
export class AdoptedAzureIntegration extends pulumi.ComponentResource {
  readonly tenantId: pulumi.Output<string>;
  readonly subscriptionId: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
  readonly clientSecret: pulumi.Output<string | undefined>;
  readonly clientSecretExpiresAt: pulumi.Output<string | undefined>;
  readonly clientSecretKeyId: pulumi.Output<string | undefined>;
  readonly servicePrincipalObjectId: pulumi.Output<string>;
  readonly resourceGroupName: pulumi.Output<string>;
  readonly keyVaultId: pulumi.Output<string>;
  readonly keyVaultName: pulumi.Output<string>;
  readonly keyVaultUri: pulumi.Output<string>;
  readonly keyName: pulumi.Output<string>;
  readonly keyResourceId: pulumi.Output<string>;
  readonly keyId: pulumi.Output<string>;
  readonly keyVersionedId: pulumi.Output<string>;
  readonly roleAssignmentId: pulumi.Output<string>;
  readonly cerbyVaultId: pulumi.Output<string>;
  /** False while a client-secret rotation a person carries to Cerby is not confirmed. */
  readonly cerbyClientSecretConfirmed: pulumi.Output<boolean>;

  constructor(name: string, args: AdoptedAzureIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    // The same type as the integration that creates: one stack has one or the other.
    super("cerby:azure:KeyVaultIntegration", name, {}, opts);
    const { azure, existing, signedIn } = args;
    const ids = importIds(existing);
    const applied = new Set(azure.adopt.applyDefaults);
    // Everything adopted is protected: a replacement would lose the key or cut Cerby off from it.
    const kept = { parent: this, protect: true, retainOnDelete: true };

    const application = new azuread.Application(
      `${name}-app`,
      existing.application.inputs as unknown as azuread.ApplicationArgs,
      { ...kept, import: ids.application },
    );
    const servicePrincipal = new azuread.ServicePrincipal(
      `${name}-app`,
      existing.servicePrincipal.inputs as unknown as azuread.ServicePrincipalArgs,
      { ...kept, import: ids.servicePrincipal },
    );
    const vault = new keyvault.Vault(`${name}-kv`, adoptedVaultInputs(existing, azure), { ...kept, import: ids.vault });
    const key = new keyvault.Key(
      `${name}-key`,
      {
        keyName: existing.key.name,
        resourceGroupName: azure.resourceGroupName,
        vaultName: existing.vault.name,
        properties: defined({ kty: existing.key.kty, keySize: existing.key.keySize, keyOps: existing.key.keyOps, attributes: defined({ enabled: existing.key.enabled }) }),
      },
      // Azure never updates a key's tags through ARM (see key.ts): whatever it has is kept.
      { ...kept, import: ids.key, ignoreChanges: ["tags"] },
    );

    const guard = new KeyContinuityGuard(
      `${name}-key-continuity`,
      { cloud: "azure", identity: { vaultId: vault.id, keyResourceId: key.id, keyUri: key.keyUri } },
      { parent: this },
    );

    const assignment = existing.roleAssignment;
    let role: pulumi.Resource & { id: pulumi.Output<string> };
    if (assignment && !applied.has("role")) {
      role = new authorization.RoleAssignment(
        `${name}-cerby`,
        defined({
          roleAssignmentName: assignment.name,
          roleDefinitionId: assignment.roleDefinitionId,
          principalId: assignment.principalId,
          principalType: assignment.principalType,
          scope: assignment.scope,
          description: assignment.description,
          condition: assignment.condition,
          conditionVersion: assignment.conditionVersion,
        }),
        { ...kept, import: assignment.id },
      );
    } else {
      // Cerby needs it and none was named (or the stack narrows it): the project's own.
      const definition =
        azure.servicePrincipalRole === "minimal"
          ? new KeyVaultCustomRole(
              `${name}-minimal-role`,
              { role: "minimal", subscriptionId: signedIn.subscriptionId, resourceGroupName: azure.resourceGroupName, vaultId: guard.pinned("vaultId"), vaultName: vault.name },
              { parent: this },
            )
          : builtInRole(azure.servicePrincipalRole);
      const created = new KeyVaultRoleAssignment(
        `${name}-cerby-role`,
        {
          subscriptionId: signedIn.subscriptionId,
          roleDefinitionGuid: definition.guid,
          principalId: servicePrincipal.objectId,
          principalType: "ServicePrincipal",
          scope: azure.roleScope === "key" ? guard.pinned("keyResourceId") : guard.pinned("vaultId"),
          description: pulumi.interpolate`${definition.displayName} for Cerby's service principal (cerby-external-keys).`,
        },
        { parent: this, protect: true },
      );
      role = Object.assign(created, { id: created.roleAssignmentId });
    }

    if (applied.has("deleteLock")) {
      new VaultDeleteLock(`${name}-kv-lock`, { vaultId: guard.pinned("vaultId") }, { parent: this, dependsOn: [role, key] });
    }

    // A new secret only when asked (clientSecretStartDate): the one Cerby holds cannot be read back.
    const password = azure.clientSecretStartDate ? clientSecret(this, `${name}-app-secret`, application.id, azure) : undefined;
    const secret = password ? pulumi.secret(password.value) : args.existingClientSecret;

    const vaultUri = vault.properties.apply((properties) => properties.vaultUri ?? "");
    const target = {
      clientId: application.clientId,
      tenantId: signedIn.tenantId,
      // Absent: no preflight, and an existing vault is adopted with nothing sent.
      ...(secret ? { clientSecret: secret } : {}),
      vaultUrl: guard.gate(vaultUri),
      keyName: guard.gate(key.name),
    };
    const cerbyDependsOn = [role, key, guard];
    const { akv, dependsOn: preflight } = keyPreflights(`${name}-key-preflight`, target, azure.preflight, existing.key.name, { parent: this, dependsOn: cerbyDependsOn });
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
        // A new secret is rotated into Cerby under the same confirmation rules as a created stack's.
        ...(password
          ? {
              clientSecretRotation: {
                startDate: azure.clientSecretStartDate,
                keyId: password.keyId,
                confirmedStartDate: azure.cerbyClientSecretConfirmedStartDate,
                exported: exportsClientSecret(args.cerby, azure.exportClientSecret),
              },
            }
          : {}),
      },
      { parent: this, dependsOn: [...cerbyDependsOn, ...preflight] },
    );

    this.tenantId = pulumi.output(signedIn.tenantId);
    this.subscriptionId = pulumi.output(signedIn.subscriptionId);
    this.keyResourceId = guard.pinned("keyResourceId");
    this.clientId = application.clientId;
    this.clientSecret = secret ? pulumi.secret(secret) : pulumi.output(undefined);
    this.clientSecretExpiresAt = password ? password.endDate : pulumi.output(undefined);
    this.clientSecretKeyId = password ? password.keyId : pulumi.output(undefined);
    this.cerbyClientSecretConfirmed = cerbyVault.clientSecretConfirmed.apply((confirmed) => confirmed !== false);
    this.servicePrincipalObjectId = servicePrincipal.objectId;
    this.resourceGroupName = pulumi.output(azure.resourceGroupName);
    this.keyVaultId = guard.pinned("vaultId");
    this.keyVaultName = vault.name;
    this.keyVaultUri = vaultUri;
    this.keyName = key.name;
    this.keyId = guard.pinned("keyUri");
    this.keyVersionedId = key.keyUriWithVersion;
    this.roleAssignmentId = role.id;
    this.cerbyVaultId = cerbyVault.vaultId;

    this.registerOutputs({
      tenantId: this.tenantId,
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      servicePrincipalObjectId: this.servicePrincipalObjectId,
      keyVaultId: this.keyVaultId,
      keyVaultUri: this.keyVaultUri,
      keyId: this.keyId,
      roleAssignmentId: this.roleAssignmentId,
      cerbyVaultId: this.cerbyVaultId,
    });
  }
}

/**
 * Reads what exists, refuses what Cerby cannot use (every reason at once), warns once per
 * difference from this project's defaults, then declares the adopted integration.
 */
export async function adoptAzure(
  name: string,
  args: Omit<AdoptedAzureIntegrationArgs, "existing" | "azure"> & { azure: AzureConfig },
  log: (message: string) => void = (message) => void pulumi.log.warn(message),
): Promise<AdoptedAzureIntegration> {
  const { adopt, keyVaultName } = args.azure;
  if (!adopt || !keyVaultName) {
    throw new Error("adoptAzure needs adoptExisting and keyVaultName, which the config module requires together.");
  }
  const azure = { ...args.azure, adopt, keyVaultName };
  const existing = await discoverExistingAzure(azure);
  const refusals = azureRefusals(existing);
  if (refusals.length > 0) {
    throw new AdoptionRefused(`Cannot adopt this setup for Cerby (adoptExisting):\n${refusals.map((reason) => `  - ${reason}`).join("\n")}`);
  }
  azureDifferences(existing, azure).forEach(log);
  return new AdoptedAzureIntegration(name, { ...args, azure, existing });
}
