import * as authorization from "@pulumi/azure-native/authorization";
import type { DeployerPrincipalType } from "../config";

/** The identity running `pulumi up`, as Azure reports it. */
export interface SignedInIdentity {
  tenantId: string;
  subscriptionId: string;
  /** Who gets the deployer grant: the signed-in identity, or the one deployerObjectId names. */
  objectId: string;
  /** What kind of principal it is, for its role assignment: Azure refuses a wrong principalType. */
  principalType: "User" | "ServicePrincipal" | "Group";
}

/**
 * Microsoft's own sign-in apps, the Azure CLI and Azure PowerShell: a token from one of them
 * belongs to a person. Any other client ID is an application: a pipeline's service principal or
 * a managed identity.
 */
const USER_SIGN_IN_CLIENT_IDS = ["04b07795-8ddb-461a-bbee-02f9e1bf7b46", "1950a258-227b-4e31-a9cf-717495945fc2"];

/** The deployer's principal type: the configured one, or worked out from the client it signed in with. */
export function deployerPrincipalType(clientId: string, configured: DeployerPrincipalType): SignedInIdentity["principalType"] {
  if (configured !== "auto") {
    return configured;
  }
  return USER_SIGN_IN_CLIENT_IDS.includes(clientId.toLowerCase()) ? "User" : "ServicePrincipal";
}

/** Fails when the signed-in identity is not in the tenant or subscription the config names. */
export function checkSignedInTarget(
  signedIn: Pick<SignedInIdentity, "tenantId" | "subscriptionId">,
  expected: { tenantId?: string; subscriptionId?: string },
): void {
  if (expected.tenantId && expected.tenantId.toLowerCase() !== signedIn.tenantId.toLowerCase()) {
    throw new Error(
      `azureTenantId is ${expected.tenantId} but you are signed in to tenant ${signedIn.tenantId}. ` +
        `Run \`az login --tenant ${expected.tenantId}\`, or change azureTenantId.`,
    );
  }
  if (expected.subscriptionId && expected.subscriptionId.toLowerCase() !== signedIn.subscriptionId.toLowerCase()) {
    throw new Error(
      `azureSubscriptionId is ${expected.subscriptionId} but the selected subscription is ${signedIn.subscriptionId}. ` +
        `Run \`az account set --subscription ${expected.subscriptionId}\` (or set ARM_SUBSCRIPTION_ID), or change azureSubscriptionId.`,
    );
  }
}

/**
 * Asks Azure who is deploying, once, before any resource is declared, so that a wrong tenant or
 * subscription stops the run before anything is created.
 */
export async function resolveSignedInIdentity(expected: {
  tenantId?: string;
  subscriptionId?: string;
  deployerObjectId?: string;
  deployerPrincipalType: DeployerPrincipalType;
}): Promise<SignedInIdentity> {
  const client = await authorization.getClientConfig();
  const signedIn: SignedInIdentity = {
    tenantId: client.tenantId,
    subscriptionId: client.subscriptionId,
    objectId: expected.deployerObjectId ?? client.objectId,
    principalType: deployerPrincipalType(client.clientId, expected.deployerPrincipalType),
  };
  checkSignedInTarget(signedIn, expected);
  return signedIn;
}
