import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";

export interface CerbyApplicationArgs {
  /** Display name of the Entra application Cerby signs in as. */
  displayName: pulumi.Input<string>;
  /** First day the client secret is valid, YYYY-MM-DD. Changing it rotates the secret. */
  clientSecretStartDate: string;
  /** Days the client secret stays valid from its start date. */
  clientSecretLifetimeDays: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The client secret's end date, derived only from config so that a second `pulumi up` computes
 * the same value and never replaces the secret by accident.
 */
export function clientSecretEndDate(startDate: string, lifetimeDays: number): string {
  const start = Date.parse(`${startDate}T00:00:00Z`);
  return new Date(start + lifetimeDays * DAY_MS).toISOString().replace(".000Z", "Z");
}

/**
 * The Entra application, its service principal and the client secret that Cerby uses to reach
 * the key. A new start date or lifetime creates a new secret before anything else changes, and
 * Pulumi never deletes a secret (see the password's options): the one Cerby holds stays valid
 * until its own end date, whatever fails during a rotation and whatever runs after it.
 */
export class CerbyApplication extends pulumi.ComponentResource {
  readonly clientId: pulumi.Output<string>;
  readonly applicationObjectId: pulumi.Output<string>;
  readonly servicePrincipalObjectId: pulumi.Output<string>;
  readonly clientSecret: pulumi.Output<string>;
  readonly clientSecretKeyId: pulumi.Output<string>;
  readonly clientSecretExpiresAt: pulumi.Output<string>;

  constructor(name: string, args: CerbyApplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cerby:azure:Application", name, {}, opts);

    const application = new azuread.Application(
      name,
      {
        displayName: args.displayName,
        signInAudience: "AzureADMyOrg",
        notes: "Used by Cerby to wrap and unwrap keys in Azure Key Vault. Managed by Pulumi (cerby-external-keys).",
        preventDuplicateNames: true,
      },
      // Cerby holds this application's client ID: a replacement would cut it off from the key.
      { parent: this, protect: true },
    );

    const servicePrincipal = new azuread.ServicePrincipal(
      name,
      { clientId: application.clientId, appRoleAssignmentRequired: false },
      { parent: this, protect: true },
    );

    const password = clientSecret(this, `${name}-secret`, application.id, args);

    this.clientId = application.clientId;
    this.applicationObjectId = application.objectId;
    this.servicePrincipalObjectId = servicePrincipal.objectId;
    this.clientSecret = pulumi.secret(password.value);
    this.clientSecretKeyId = password.keyId;
    this.clientSecretExpiresAt = password.endDate;

    this.registerOutputs({
      clientId: this.clientId,
      applicationObjectId: this.applicationObjectId,
      servicePrincipalObjectId: this.servicePrincipalObjectId,
      clientSecret: this.clientSecret,
      clientSecretKeyId: this.clientSecretKeyId,
      clientSecretExpiresAt: this.clientSecretExpiresAt,
    });
  }
}

/**
 * A client secret of the application whose resource ID is `applicationId`, valid from the start date
 * for the lifetime. Also used by adoption when a stack asks for a new secret.
 */
export function clientSecret(
  parent: pulumi.Resource,
  name: string,
  applicationId: pulumi.Input<string>,
  args: Pick<CerbyApplicationArgs, "clientSecretStartDate" | "clientSecretLifetimeDays">,
): azuread.ApplicationPassword {
  const startDate = `${args.clientSecretStartDate}T00:00:00Z`;
  const endDate = clientSecretEndDate(args.clientSecretStartDate, args.clientSecretLifetimeDays);
  return new azuread.ApplicationPassword(
    name,
    {
      applicationId,
      displayName: `cerby-${args.clientSecretStartDate}`,
      startDate,
      endDate,
      rotateWhenChanged: { startDate, endDate },
    },
    // retainOnDelete: the engine never calls Delete for it, on replacement, on a delete left
    // pending by a failed run, or on destroy; it only drops the old secret from state (Pulumi
    // docs, "retainOnDelete": "when deleting or replacing the resource"; pulumi/pulumi#8746). Cerby
    // may still hold that secret (the Cerby update can fail after the new one was created, and
    // the next run would otherwise delete the old one first), so it must outlive the rotation;
    // the person revokes it by key ID once `npm run verify` passes
    // (docs/operations.md, "Client-secret rotation"). The engine reads the option from the old
    // resource's state (pulumi/pulumi#13428), so an upgraded stack records it with one
    // `pulumi up` before its next rotation.
    { parent, additionalSecretOutputs: ["value"], deleteBeforeReplace: false, retainOnDelete: true },
  );
}
