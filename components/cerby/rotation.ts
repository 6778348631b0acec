/**
 * A client-secret rotation that a person carries to Cerby (guided registration, or auto where
 * Cerby has no PATCH endpoint). Cerby never returns the secret, so nothing can check that it holds
 * the new one: the vault's state keeps the secret Cerby is known to hold, every run shows the
 * change and repeats the instruction, and only the person's confirmation in stack config
 * (cerbyClientSecretConfirmedStartDate) lets the new secret be recorded as Cerby's.
 */
import type { CerbyConfig } from "../config";
import type { VaultRecord } from "./contract";
import { vaultInApp } from "./endpoint";

/** The stack config key by which a person confirms that Cerby holds the new secret. */
export const CONFIRMATION_SETTING = "cerbyClientSecretConfirmedStartDate";

/**
 * Whether the stack exports the client secret (always as a secret). Guided registration always
 * does, whatever the stack asks, since a person pastes it into Cerby; otherwise `requested` decides.
 */
export function exportsClientSecret(cerby: Pick<CerbyConfig, "registration">, requested: boolean): boolean {
  return cerby.registration === "guided" || requested;
}

/** What the provider knows of the client secret in its inputs (the program sets it for akv vaults). */
export interface ClientSecretRotation {
  /** clientSecretStartDate of that secret, YYYY-MM-DD. */
  startDate: string;
  /** Its Entra key ID (the ApplicationPassword's keyId), which tells one secret from the next. */
  keyId: string;
  /** cerbyClientSecretConfirmedStartDate: the start date of the secret the person says Cerby holds. */
  confirmedStartDate?: string;
  /** Whether the stack exports the secret as the output clientSecret. */
  exported: boolean;
}

/** A rotated secret whose instruction a completed run has printed, not yet confirmed: kept in the vault's state. */
export interface PendingRotation {
  startDate: string;
  keyId: string;
}

const PASSWORD_TYPE = "azuread:index/applicationPassword:ApplicationPassword";

/**
 * A command that prints the client secret and nothing else. The stack output exists only when the
 * stack exports it and a run has completed; otherwise the state is filtered down to the
 * ApplicationPassword (of this key ID when known): an unfiltered `pulumi stack export
 * --show-secrets` would print every secret of the stack. With --show-secrets a secret is exported
 * as an object whose `plaintext` is the JSON of the value.
 */
export function secretCommand(rotation: Partial<ClientSecretRotation> | undefined, outputSaved: boolean): string {
  if (rotation?.exported && outputSaved) {
    return "`pulumi stack output clientSecret --show-secrets`";
  }
  const keyFilter = rotation?.keyId ? ` and .outputs.keyId == "${rotation.keyId}"` : "";
  return (
    `\`pulumi stack export --show-secrets | jq -r '.deployment.resources[] | select(.type == "${PASSWORD_TYPE}"${keyFilter}) | ` +
    `.outputs.value | if type == "object" then .plaintext | fromjson else . end'\``
  );
}

/**
 * The rule: a confirmation counts for the secret whose start date it names, once a completed run
 * has printed the instruction for that very secret (its key ID is pending in the state). A
 * confirmation written in the same change as the new start date therefore never records a
 * rotation the person has not been told about; past that, the person is trusted, since Cerby
 * cannot be asked.
 */
export function isConfirmed(rotation: ClientSecretRotation | undefined, pending: PendingRotation | undefined): boolean {
  return (
    rotation !== undefined &&
    pending !== undefined &&
    rotation.confirmedStartDate === rotation.startDate &&
    pending.startDate === rotation.startDate &&
    pending.keyId === rotation.keyId
  );
}

export function pendingOf(rotation: ClientSecretRotation | undefined): PendingRotation | undefined {
  return rotation && { startDate: rotation.startDate, keyId: rotation.keyId };
}

/** Printed as a warning by every run until the rotation is confirmed. */
export function rotationInstruction(vault: VaultRecord, workspace: string, rotation: ClientSecretRotation | undefined, pending: PendingRotation | undefined): string {
  const startDate = rotation?.startDate ?? "<clientSecretStartDate>";
  const early =
    rotation !== undefined && rotation.confirmedStartDate === rotation.startDate && !isConfirmed(rotation, pending)
      ? ` ${CONFIRMATION_SETTING} already names ${startDate}, but it was set before this instruction was printed, so this run ` +
        "does not take it: the next `pulumi up` does. Paste the new secret into Cerby before you run it."
      : "";
  return (
    `The Entra client secret was rotated (start date ${startDate}${rotation ? `, key ID ${rotation.keyId}` : ""}), and Cerby ` +
    `has not been confirmed to hold it. Give it to Cerby by hand: ${vaultInApp(vault, workspace)}, edit it and replace the client ` +
    `secret with the one ${secretCommand(rotation, true)} prints once this run has completed. Then confirm: ` +
    `\`pulumi config set ${CONFIRMATION_SETTING} ${startDate}\` and run \`pulumi up\`. Until then this stack keeps recording ` +
    "the previous secret as Cerby's, every `pulumi up` repeats this, and `npm run verify` fails. Do not revoke the previous " +
    `secret meanwhile: Cerby still uses it, and it stays valid in Entra ID until its end date.${early}`
  );
}

export function confirmedMessage(vault: VaultRecord, rotation: ClientSecretRotation): string {
  return (
    `${CONFIRMATION_SETTING} confirms that Cerby vault "${vault.name}" (id ${vault.id}) holds the client secret of ` +
    `${rotation.startDate} (key ID ${rotation.keyId}); it is recorded as Cerby's. Once \`npm run verify\` passes, the ` +
    "previous secret may be revoked (docs/operations.md, \"Client-secret rotation\")."
  );
}
