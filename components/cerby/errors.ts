import type { VaultRecord } from "./contract";

/** Base class of every error this module raises, so callers can tell Cerby trouble apart. */
export class CerbyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The provider is missing settings (API key, URL) or they are malformed. Nothing was sent. */
export class CerbyConfigError extends CerbyError {}

/** Cerby answered with an HTTP error status, after any retries the status allows. */
export class CerbyApiError extends CerbyError {
  constructor(
    message: string,
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly attempts: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export type NetworkFailure = "timeout" | "network" | "malformed-response";

/** No usable answer: timeouts, refused or reset connections, unparseable bodies, after retries. */
export class CerbyNetworkError extends CerbyError {
  constructor(
    message: string,
    readonly reason: NetworkFailure,
    readonly method: string,
    readonly path: string,
    readonly attempts: number,
  ) {
    super(message);
  }
}

/** Cerby answered, but not in the shape the contract module expects (or with a redirect). */
export class CerbyProtocolError extends CerbyError {}

/** The workspace already has a vault of the scheme under another name; Cerby allows one. */
export class CerbyVaultConflictError extends CerbyError {
  constructor(
    message: string,
    readonly existing: VaultRecord,
  ) {
    super(message);
  }
}

export const REDACTED = "[redacted]";

/**
 * Shorter values are not treated as secrets: replacing them would garble messages, and no Cerby
 * API key or Entra client secret is that short.
 */
const MIN_SECRET_LENGTH = 8;

/** Replaces every occurrence of each secret in `text`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH) {
      result = result.split(secret).join(REDACTED);
    }
  }
  return result;
}

/**
 * The safety net under every provider method: whatever was thrown (ours, Node's, a Cerby detail
 * that echoed a value), the message and stack the engine prints carry no secret. Errors are
 * edited in place so that their class and fields survive for callers and tests.
 */
export function redactError(error: unknown, secrets: readonly (string | undefined)[]): Error {
  if (!(error instanceof Error)) {
    return new CerbyError(redact(String(error), secrets));
  }
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    current.message = redact(current.message, secrets);
    if (current.stack !== undefined) {
      current.stack = redact(current.stack, secrets);
    }
  }
  return error;
}
