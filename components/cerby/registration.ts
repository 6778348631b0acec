/**
 * Guided registration: how a vault gets into Cerby when this stack may not, or cannot, write to
 * Cerby's API (which documents only GET /vaults). The provider lists the vaults; this module says
 * when to fall back from the API, what a person must do in the Cerby app, and waits for it.
 */
import { setTimeout as delay } from "node:timers/promises";
import { SCHEME_TITLES, type AkvConfiguration, type KmsByoConfiguration, type VaultChanges, type VaultRecord, type VaultScheme } from "./contract";
import { cerbyApp, vaultInApp } from "./endpoint";
import { configError, isApiError, type CerbyApiError } from "./errors";
import { secretCommand, type ClientSecretRotation } from "./rotation";

/**
 * `api`: POST and PATCH /vaults. `guided`: never a write; a person registers the vault from printed
 * instructions and the provider finds it in the list. `auto`: api, but guided when the create's
 * POST shows the endpoint does not exist.
 */
export type RegistrationMode = "api" | "guided" | "auto";
export const REGISTRATION_MODES: readonly RegistrationMode[] = ["api", "guided", "auto"];
export const DEFAULT_REGISTRATION_MODE: RegistrationMode = "auto";

/** The longest one create may wait for a person (cerbyRegistrationWaitMinutes). */
export const MAX_WAIT_MINUTES = 60;

/** The settings as a resource's inputs hold them; absent in state written before they existed. */
export interface RegistrationSettings {
  registration?: RegistrationMode;
  registrationWaitMinutes?: number;
}

export function modeOf(settings: RegistrationSettings): RegistrationMode {
  return settings.registration ?? DEFAULT_REGISTRATION_MODE;
}

export function waitMinutesOf(settings: RegistrationSettings): number {
  return settings.registrationWaitMinutes ?? 0;
}

/**
 * Statuses of a write that mean "no such endpoint", the only ones auto falls back on. Every other
 * answer (400 bad value, 401/403 key or role, 409 conflict, 429/5xx faults) stays an error: it
 * names something to fix, which a switch to a manual procedure would hide.
 */
const MISSING_ENDPOINT_STATUSES: readonly number[] = [404, 405, 501];

export function isMissingEndpoint(error: unknown): error is CerbyApiError {
  return isApiError(error) && MISSING_ENDPOINT_STATUSES.includes(error.status);
}

/** The warning auto gives when it carries on as guided. */
export function fallbackWarning(error: { status: number; method: string; path: string }): string {
  return (
    `Cerby's API has no endpoint for ${error.method} ${error.path} in this workspace (HTTP ${error.status}), so cerbyRegistration ` +
    "auto carries on as guided: a person makes the change in the Cerby app, as printed, and the provider checks for it in the " +
    "vault list. Set cerbyRegistration to guided to skip the attempt."
  );
}

/** What a person needs to register a vault. */
export interface VaultToRegister {
  workspace: string;
  name: string;
  scheme: VaultScheme;
  setAsDefault: boolean;
  akv?: AkvConfiguration;
  kmsByo?: KmsByoConfiguration;
  clientSecretRotation?: ClientSecretRotation;
}

/**
 * The client secret is never printed: a command shows it. A failed create saves no stack outputs,
 * so until a run has completed the command reads the state.
 */
function clientSecretField(vault: VaultToRegister): string {
  const saved = secretCommand(vault.clientSecretRotation, true);
  const unsaved = secretCommand(vault.clientSecretRotation, false);
  return saved === unsaved
    ? `${saved} shows it (not printed here)`
    : `${saved} shows it (not printed here); until a \`pulumi up\` of this stack has completed: ${unsaved}`;
}

/** Each value of the Cerby form, in the order the form asks for it. */
function formFields(vault: VaultToRegister): [string, string][] {
  if (vault.scheme === "akv") {
    const akv = vault.akv;
    return [
      ["Tenant ID", akv?.tenantId ?? "?"],
      ["Client ID", akv?.clientId ?? "?"],
      ["Client secret", clientSecretField(vault)],
      ["Vault URL", akv?.vaultUrl ?? "?"],
      ["Key name", akv?.keyName ?? "?"],
    ];
  }
  const kms = vault.kmsByo;
  return [
    ["AWS account ID", kms?.awsAccountId ?? "?"],
    ["KMS key ID", kms?.kmsKeyId ?? "?"],
    ["Role ARN", kms?.roleArn ?? "?"],
  ];
}

function defaultFlag(on: boolean): string {
  return on ? "on (make it the default vault)" : "off (not the default vault)";
}

/**
 * The instructions of a guided create: `why` says why a person must act, `then` what happens once
 * they have (run `pulumi up` again, or nothing while this run waits).
 */
export function registrationInstructions(vault: VaultToRegister, why: string, then: string): string {
  const fields = formFields(vault);
  const width = Math.max(...fields.map(([label]) => label.length));
  return [
    why,
    `  1. In Cerby (${cerbyApp(vault.workspace)}) open Settings → Vaults and add a vault with the strategy "${SCHEME_TITLES[vault.scheme]}".`,
    `  2. Vault name: ${vault.name}`,
    `     Default vault: ${defaultFlag(vault.setAsDefault)}`,
    "  3. Enter these values, in this order:",
    ...fields.map(([label, value]) => `       ${label.padEnd(width)}  ${value}`),
    `  4. Save the vault. ${then}`,
  ].join("\n");
}

const RUN_AGAIN =
  "Then run `pulumi up` again: it finds the vault by its name and records it. Everything this stack built before the Cerby vault stays deployed.";

function minutesText(minutes: number): string {
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

function waitingThen(minutes: number): string {
  return `This \`pulumi up\` checks Cerby for the vault for up to ${minutesText(minutes)} and carries on once it appears.`;
}

/** The name and default flag the stack wants, where Cerby shows something else; one instruction each. */
function pendingChanges(vault: VaultRecord, wanted: { name?: string; isDefault?: boolean }, workspace: string): string[] {
  const where = vaultInApp(vault, workspace);
  const pending: string[] = [];
  if (wanted.name !== undefined && wanted.name !== vault.name) {
    pending.push(`${where} and rename it to "${wanted.name}".`);
  }
  if (wanted.isDefault !== undefined && wanted.isDefault !== vault.isDefault) {
    pending.push(`${where} and turn its default flag ${defaultFlag(wanted.isDefault)}.`);
  }
  return pending;
}

/** Reported, never assumed done: the state keeps Cerby's values, so the next `pulumi up` checks again. */
function pendingMessage(instructions: string[], waitMinutes = 0): string {
  const then =
    waitMinutes > 0
      ? `This \`pulumi up\` checks Cerby for the change for up to ${minutesText(waitMinutes)}.`
      : "The stack records what Cerby shows, so each `pulumi up` checks again and repeats this until Cerby shows the change.";
  return (
    "Cerby does not show these changes yet, and guided registration never makes them through the API:\n" +
    instructions.map((line) => `  - ${line}`).join("\n") +
    `\n${then}`
  );
}

/**
 * A vault of this stack's state that Cerby's list does not show. It stays in the state: dropping
 * it would forget the pinned URL and let the next run register the key anew, wherever config then
 * points; an API key that sees no vaults looks exactly the same.
 */
export function vaultGoneError(id: string, name: string | undefined, baseUrl: string): Error {
  return configError(
    `Cerby vault ${id}${name ? ` ("${name}")` : ""} is not in the vault list at ${baseUrl}. It stays in the stack's state: a ` +
      'refresh never drops it. If the API key cannot see it, give the key the "Read vaults" scope of this workspace and run ' +
      "the command again. If the vault was deleted in Cerby on purpose, remove it from the state by hand (`pulumi stack " +
      "--show-urns` names its URN; `pulumi state unprotect <urn>`, then `pulumi state delete <urn>`); the next `pulumi up` " +
      "registers the key again.",
  );
}

/** Settings of the wait; sleep and now are seams for tests. */
export interface WaitOptions {
  waitMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** Monotonic milliseconds. */
  now?: () => number;
  log: (message: string) => void;
  /** What is awaited, for the progress lines. */
  subject: string;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

export const FIRST_POLL_DELAY_MS = 5_000;
export const MAX_POLL_DELAY_MS = 60_000;

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
}

/**
 * Calls `poll` after growing pauses (doubling up to a ceiling) until it returns a value or the
 * wait is spent; one progress line before each pause. The caller has already looked once.
 */
export async function waitFor<T>(poll: () => Promise<T | undefined>, options: WaitOptions): Promise<T | undefined> {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const started = now();
  let next = options.firstDelayMs ?? FIRST_POLL_DELAY_MS;
  for (;;) {
    const elapsed = now() - started;
    const left = options.waitMs - elapsed;
    if (left <= 0) {
      return undefined;
    }
    const pause = Math.min(next, left);
    options.log(`${options.subject}: not in Cerby yet after ${duration(elapsed)} of ${duration(options.waitMs)}; next check in ${duration(pause)}.`);
    await sleep(pause);
    const found = await poll();
    if (found !== undefined) {
      return found;
    }
    next = Math.min(next * 2, options.maxDelayMs ?? MAX_POLL_DELAY_MS);
  }
}

/** Check failures of the registration inputs; `known` skips values a preview does not know yet. */
export function registrationFailures(
  inputs: { registration?: unknown; registrationWaitMinutes?: unknown; onDelete?: unknown },
  known: (value: unknown) => boolean,
): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  const { registration, registrationWaitMinutes: minutes, onDelete } = inputs;
  if (known(registration) && !REGISTRATION_MODES.includes(registration as RegistrationMode)) {
    failures.push({ property: "registration", reason: `must be one of ${REGISTRATION_MODES.join(", ")}` });
  }
  if (known(minutes) && (typeof minutes !== "number" || !Number.isInteger(minutes) || minutes < 0 || minutes > MAX_WAIT_MINUTES)) {
    failures.push({ property: "registrationWaitMinutes", reason: `must be a whole number of minutes from 0 to ${MAX_WAIT_MINUTES}` });
  }
  if (registration === "guided" && onDelete === "disable") {
    failures.push({
      property: "onDelete",
      reason: 'is "disable", but guided registration never writes to Cerby; use "retain" and disable the vault in the Cerby app',
    });
  }
  return failures;
}

/** What the guided flows need of the provider: the vault list, where messages go, and the wait. */
export interface GuidedContext {
  listVaults(): Promise<VaultRecord[]>;
  baseUrl: string;
  log: { info(message: string): void; warn(message: string): void };
  workspace: string;
  waitMinutes: number;
  wait?: Pick<WaitOptions, "sleep" | "now">;
}

function awaitInCerby<T>(context: GuidedContext, subject: string, find: (vaults: VaultRecord[]) => T | undefined): Promise<T | undefined> {
  return waitFor(async () => find(await context.listVaults()), {
    ...context.wait,
    waitMs: context.waitMinutes * 60_000,
    log: (message) => context.log.info(message),
    subject,
  });
}

/**
 * The create of a vault Cerby does not have, in guided mode: fails with the instructions, or
 * prints them once and waits for a vault of the scheme, which it returns for the caller to adopt
 * (a wrong name is then a conflict, as ever). `postStatus`: auto's POST found no endpoint.
 */
export async function guidedCreate(context: GuidedContext, vault: VaultToRegister, postStatus?: number): Promise<VaultRecord> {
  const missing = `Cerby has no ${SCHEME_TITLES[vault.scheme]} vault "${vault.name}" yet`;
  const why =
    postStatus === undefined
      ? `${missing}, and cerbyRegistration is guided: this stack never creates vaults through Cerby's API. Register it in the Cerby app:`
      : `${missing}, and Cerby's API cannot create it (HTTP ${postStatus} on POST). Register it in the Cerby app:`;
  const minutes = context.waitMinutes;
  if (minutes === 0) {
    throw configError(registrationInstructions(vault, why, RUN_AGAIN));
  }
  context.log.warn(registrationInstructions(vault, why, waitingThen(minutes)));
  const found = await awaitInCerby(context, `Cerby vault "${vault.name}"`, (vaults) => vaults.find((candidate) => candidate.scheme === vault.scheme));
  if (!found) {
    const timedOut =
      `Cerby showed no ${SCHEME_TITLES[vault.scheme]} vault "${vault.name}" within ${minutesText(minutes)} ` +
      "(cerbyRegistrationWaitMinutes). Register it in the Cerby app:";
    throw configError(registrationInstructions(vault, timedOut, RUN_AGAIN));
  }
  return found;
}

/**
 * A rename or a default-flag change in guided mode, never faked as done: reported until Cerby
 * shows it (polled for with a wait), and the vault returned is what Cerby shows, so the state
 * records that and the next `pulumi up` checks again. A rotated secret is the provider's (rotation.ts).
 * `listed` is the vault when the caller has just read it.
 */
export async function guidedChange(context: GuidedContext, id: string, changes: VaultChanges, name: string, listed?: VaultRecord): Promise<VaultRecord> {
  let vault = listed ?? (await context.listVaults()).find((candidate) => candidate.id === id);
  if (!vault) {
    throw vaultGoneError(id, name, context.baseUrl);
  }
  const wanted = { name: changes.name, isDefault: changes.isDefault };
  const pending = pendingChanges(vault, wanted, context.workspace);
  if (pending.length === 0) {
    return vault;
  }
  context.log.warn(pendingMessage(pending, context.waitMinutes));
  if (context.waitMinutes === 0) {
    return vault;
  }
  const done = await awaitInCerby(context, `The change of Cerby vault "${vault.name}"`, (vaults) => {
    const current = vaults.find((candidate) => candidate.id === id);
    vault = current ?? vault;
    return current && pendingChanges(current, wanted, context.workspace).length === 0 ? current : undefined;
  });
  if (!done) {
    context.log.warn(pendingMessage(pendingChanges(vault, wanted, context.workspace)));
  }
  return done ?? vault;
}
