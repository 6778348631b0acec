/**
 * Facts the program and the dynamic providers share. The providers import them from here, never
 * from components/config.ts, so that what they ship holds no config parser: settings reach a
 * provider as resource inputs, and data flows one way (config, then components, then providers).
 */

/** The project name, which is also the namespace of every config key. */
export const PROJECT = "cerby-external-keys";

/** The only key size Cerby accepts. */
export const KEY_SIZE = 4096;

/** How long the Azure preflight retries by default (config cerbyPreflightTimeoutMinutes). */
export const DEFAULT_PREFLIGHT_TIMEOUT_MINUTES = 10;

/** Whether the Azure key preflight (components/azure/keyPreflight.ts) is declared, and for how long it retries. */
export interface PreflightSettings {
  enabled: boolean;
  timeoutMs: number;
}
