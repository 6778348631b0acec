import * as authorization from "@pulumi/azure-native/authorization";

/** The identity running `pulumi up`, as Azure reports it. */
export interface SignedInIdentity {
  tenantId: string;
  subscriptionId: string;
  objectId: string;
}

/** Fails when the signed-in identity is not in the tenant or subscription the config names. */
export function checkSignedInTarget(
  signedIn: SignedInIdentity,
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
export async function resolveSignedInIdentity(expected: { tenantId?: string; subscriptionId?: string }): Promise<SignedInIdentity> {
  const client = await authorization.getClientConfig();
  const signedIn = { tenantId: client.tenantId, subscriptionId: client.subscriptionId, objectId: client.objectId };
  checkSignedInTarget(signedIn, expected);
  return signedIn;
}
