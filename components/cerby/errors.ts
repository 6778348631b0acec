import type { VaultRecord } from "./contract";

/*
 * Errors are plain Error objects with a distinguishing `name` and typed fields, not subclasses of
 * Error, and are recognised by name (isApiError and the like). A name holds across copies of this
 * module: the provider process runs its own copy, built from the provider's bundled source
 * (components/bundledProvider.ts), and `instanceof` against another copy's class would be false.
 */

/** The provider is missing settings (API key, URL) or they are malformed, or a change is refused. */
export interface CerbyConfigError extends Error {
  name: "CerbyConfigError";
}

/** Cerby answered with an HTTP error status, after any retries the status allows. */
export interface CerbyApiError extends Error {
  name: "CerbyApiError";
  status: number;
  method: string;
  path: string;
  attempts: number;
  /** The `code` of Cerby's first error entry, when it sent one. */
  code?: string;
}

export type NetworkFailure = "timeout" | "network" | "malformed-response";

/** No usable answer: timeouts, refused or reset connections, unparseable bodies, after retries. */
export interface CerbyNetworkError extends Error {
  name: "CerbyNetworkError";
  reason: NetworkFailure;
  method: string;
  path: string;
  attempts: number;
}

/** Cerby answered, but not in the shape the contract module expects (or with a redirect). */
export interface CerbyProtocolError extends Error {
  name: "CerbyProtocolError";
}

/** The workspace already has a vault of the scheme under another name; Cerby allows one. */
export interface CerbyVaultConflictError extends Error {
  name: "CerbyVaultConflictError";
  existing: VaultRecord;
}

export type CerbyError = CerbyConfigError | CerbyApiError | CerbyNetworkError | CerbyProtocolError | CerbyVaultConflictError;

type Fields<T extends CerbyError> = Omit<T, keyof Error>;

function cerbyError<T extends CerbyError>(name: T["name"], message: string, fields: Fields<T>): T {
  return Object.assign(new Error(message), fields, { name }) as T;
}

export function configError(message: string): CerbyConfigError {
  return cerbyError<CerbyConfigError>("CerbyConfigError", message, {});
}

export function apiError(message: string, fields: Fields<CerbyApiError>): CerbyApiError {
  return cerbyError<CerbyApiError>("CerbyApiError", message, fields);
}

export function networkError(message: string, fields: Fields<CerbyNetworkError>): CerbyNetworkError {
  return cerbyError<CerbyNetworkError>("CerbyNetworkError", message, fields);
}

export function protocolError(message: string): CerbyProtocolError {
  return cerbyError<CerbyProtocolError>("CerbyProtocolError", message, {});
}

export function vaultConflictError(message: string, existing: VaultRecord): CerbyVaultConflictError {
  return cerbyError<CerbyVaultConflictError>("CerbyVaultConflictError", message, { existing });
}

/** By shape, not `instanceof`: errors from another realm (Node's fetch, test sandboxes) count too. */
function isErrorLike(value: unknown): value is Error {
  return typeof value === "object" && value !== null && typeof (value as { message?: unknown }).message === "string";
}

/** A Cerby API error, optionally with the given status. */
export function isApiError(error: unknown, status?: number): error is CerbyApiError {
  return isErrorLike(error) && error.name === "CerbyApiError" && (status === undefined || (error as CerbyApiError).status === status);
}

const REDACTED = "[redacted]";

/**
 * Shorter values are not treated as secrets: replacing them would garble messages, and no Cerby
 * API key or Entra client secret is that short.
 */
const MIN_SECRET_LENGTH = 8;

/** A string as it appears inside a JSON string literal. */
function jsonEscaped(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/**
 * Every form a secret takes on its way into a message: as is; JSON-escaped (a request body Cerby
 * echoes in an error detail), and escaped twice (that detail quoted again in our message);
 * URL-encoded, as in a path or query (encodeURIComponent) and as in a form body (a space as +).
 * Longest first, so that no form leaves a piece of another.
 */
export function secretForms(secret: string): string[] {
  const once = jsonEscaped(secret);
  const formEncoded = new URLSearchParams([["", secret]]).toString().slice(1);
  const forms = new Set([secret, once, jsonEscaped(once), encodeURIComponent(secret), formEncoded]);
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each secret in `text`, in each of its forms (see secretForms). */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  const forms = secrets
    .filter((secret): secret is string => secret !== undefined && secret.length >= MIN_SECRET_LENGTH)
    .flatMap(secretForms)
    .sort((a, b) => b.length - a.length);
  let result = text;
  for (const form of forms) {
    result = result.split(form).join(REDACTED);
  }
  return result;
}

/**
 * The safety net under every provider method: whatever was thrown (ours, Node's, a Cerby detail
 * that echoed a value), the message and stack the engine prints carry no secret. Errors are
 * edited in place so that their name and fields survive for callers and tests.
 */
export function redactError(error: unknown, secrets: readonly (string | undefined)[]): Error {
  if (!isErrorLike(error)) {
    return new Error(redact(String(error), secrets));
  }
  for (let current: unknown = error, depth = 0; isErrorLike(current) && depth < 8; current = current.cause, depth++) {
    current.message = redact(current.message, secrets);
    if (typeof current.stack === "string") {
      current.stack = redact(current.stack, secrets);
    }
  }
  return error;
}
