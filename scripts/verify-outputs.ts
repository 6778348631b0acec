/** Reading the stack outputs `npm run verify` is given (`pulumi stack output --json --show-secrets`). */
import { fail, type CheckLine } from "./verify-report";

export type Outputs = Record<string, unknown>;

/** What `pulumi stack output --json` prints for a secret without --show-secrets. */
export const MASKED = "[secret]";

/** A non-empty string output, or undefined when it is absent, empty or masked. */
export function text(outputs: Outputs, name: string): string | undefined {
  const value = outputs[name];
  return typeof value === "string" && value.trim() !== "" && value !== MASKED ? value : undefined;
}

/** One line naming the outputs a group lacks, and why a masked secret does not count. */
export function missingOutputs(check: string, outputs: Outputs, names: string[]): CheckLine[] {
  const missing = names.filter((name) => text(outputs, name) === undefined);
  if (missing.length === 0) {
    return [];
  }
  const masked = missing.filter((name) => outputs[name] === MASKED);
  const hint = masked.length > 0 ? ` (${masked.join(", ")} masked: add --show-secrets to pulumi stack output)` : "";
  return [fail(check, `missing stack outputs: ${missing.join(", ")}${hint}`)];
}

export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error && error.name !== "Error" ? `${error.name}: ` : "";
  return `${name}${message}`;
}
