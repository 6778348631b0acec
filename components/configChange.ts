/**
 * What changing a config key after the first deploy does, declared next to each key in
 * CONFIG_KEYS (components/config.ts). docs/configuration.md prints it, and
 * tests/config-changes.test.ts checks every declaration against the program run under mocks.
 */

/** Resources a change can replace or remove, by the names the docs use. */
export type ChangedResource =
  | "resource group"
  | "key vault"
  | "key"
  | "Entra application"
  | "service principal"
  | "key guard"
  | "Cerby vault"
  | "KMS key"
  | "KMS replica"
  | "IAM role"
  | "client secret"
  | "role assignment for Cerby"
  | "deployer grant"
  | "delete lock"
  | "KMS aliases";

/**
 * What refuses a change: the program's config checks (`config`), the Cerby vault provider, which
 * cannot re-key a vault (`cerby`), the key continuity guard (`guard`), `protect` on a resource the
 * change would replace or remove (`protect`), or Azure itself at deploy time (`azure`), which mocks
 * cannot show.
 */
export type Refuser = "config" | "cerby" | "guard" | "protect" | "azure";

export interface ChangeEffect {
  canChange: boolean;
  /** Exactly the resources (of those named above) the change replaces or removes. */
  replaces: ChangedResource[];
  /** Those of `replaces` that it removes rather than replaces, where it can change. */
  removes?: ChangedResource[];
  /** Every check that refuses the change; empty when it can change. */
  refusedBy: Refuser[];
  /** What else a reader must know, in a few words. With `azure`: what Azure refuses, since mocks cannot show it. */
  note?: string;
}

/** A change the program applies: in place, or by replacing `replaces` and removing `removes`, nothing else. */
export function changeable(note?: string, replaces: ChangedResource[] = [], removes: ChangedResource[] = []): ChangeEffect {
  return { canChange: true, replaces: [...replaces, ...removes], removes, refusedBy: [], note };
}

/** A change that is refused, by `refusedBy`, before or while it would replace `replaces`. */
export function refused(refusedBy: Refuser[], replaces: ChangedResource[], note?: string): ChangeEffect {
  return { canChange: false, replaces, refusedBy, note };
}

/** The config groups of docs/configuration.md. */
export type ConfigGroup = "cerby" | "azure" | "aws" | "general";
