import type { ConfigKeySpec, ConfigProblem, ConfigSource } from "./config";
import { ECHO_LIMIT, echoValue } from "./validation";

/*
 * Reading raw config values (strings as Pulumi stores them) into typed values: each key's type
 * comes from its declaration, and every problem is recorded with its key rather than thrown, so
 * that the config module can report them all at once.
 */

function isJsonOf(value: string, kind: "list" | "map"): boolean {
  if (!/^\s*[[{]/.test(value)) {
    return false;
  }
  try {
    const parsed: unknown = JSON.parse(value);
    return kind === "list" ? Array.isArray(parsed) : typeof parsed === "object" && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

/** What is wrong with a set value for its declared type, if anything. */
function typeProblem(spec: ConfigKeySpec, key: string, value: string): string | undefined {
  switch (spec.type) {
    case "string": {
      const kind = isJsonOf(value, "list") ? "list" : isJsonOf(value, "map") ? "map" : undefined;
      return kind
        ? `is a ${kind} (${echoValue(value)}), but it takes one string; write the value on one line, in quotes if it starts with [ or {.`
        : undefined;
    }
    case "boolean":
      return value === "true" || value === "false" ? undefined : `${echoValue(value)} is not a boolean; use true or false.`;
    case "integer":
      return /^-?\d+$/.test(value) ? undefined : `${echoValue(value)} is not a whole number: ${spec.description}`;
    case "array":
      return isJsonOf(value, "list") ? undefined : `${echoValue(value)} is not a list of strings, e.g. \`pulumi config set --path '${key}[0]' VALUE\`.`;
    case "object":
      return isJsonOf(value, "map") ? undefined : `must be a map of strings, e.g. \`pulumi config set --path '${key}.name' VALUE\`.`;
  }
}

/** Reads values with the right type, recording a problem (never throwing) for each bad one. */
export class Reader {
  readonly problems: ConfigProblem[] = [];
  /** What does not stop the program but will surprise the person running it. */
  readonly warnings: ConfigProblem[] = [];
  /** Every key this reader looked at, set or not. */
  readonly read = new Set<string>();
  private readonly mistyped = new Set<string>();

  constructor(
    private readonly source: ConfigSource,
    /** The declared keys, CONFIG_KEYS: each one's type, default and description. */
    private readonly keys: Record<string, ConfigKeySpec>,
  ) {}

  get today(): string | undefined {
    return this.source.today?.();
  }

  warn(key: string, message: string): void {
    this.warnings.push({ key, message });
  }

  fail(key: string, message: string): void {
    // A key read by both integrations (tags) would otherwise report the same problem twice.
    if (this.problems.some((problem) => problem.key === key && problem.message === message)) {
      return;
    }
    this.problems.push({ key, message });
  }

  /** The value as set; undefined when unset, empty, or not of the key's type (reported once). */
  raw(key: string): string | undefined {
    this.read.add(key);
    const value = this.source.get(key);
    if (value === undefined || value === "" || this.mistyped.has(key)) {
      return undefined;
    }
    const problem = typeProblem(this.keys[key], key, value);
    if (problem) {
      this.mistyped.add(key);
      this.fail(key, problem);
      return undefined;
    }
    return value;
  }

  optionalString(key: string, check?: (value: string) => string | undefined): string | undefined {
    const value = this.raw(key);
    if (value === undefined) {
      return undefined;
    }
    const problem = check?.(value);
    if (problem) {
      this.fail(key, `${echoValue(value)} ${problem}.`);
      return undefined;
    }
    return value;
  }

  string(key: string, check?: (value: string) => string | undefined): string {
    const value = this.optionalString(key, check);
    if (value !== undefined) {
      return value;
    }
    const fallback = this.keys[key].default;
    return typeof fallback === "string" ? fallback : "";
  }

  required(key: string, check: (value: string) => string | undefined, example: string): string {
    if (this.source.get(key) === undefined || this.source.get(key) === "") {
      this.read.add(key);
      this.fail(key, `is required: ${this.keys[key].description} Set it with \`pulumi config set ${key} ${example}\`.`);
      return "";
    }
    return this.string(key, check);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.string(key);
    const match = allowed.find((choice) => choice.toLowerCase() === value.toLowerCase());
    if (match === undefined) {
      this.fail(key, `${echoValue(value)} is not allowed; use one of: ${allowed.join(", ")}.`);
      return allowed[0];
    }
    return match;
  }

  boolean(key: string): boolean {
    const value = this.raw(key);
    return value === undefined ? (this.keys[key].default as boolean) : value === "true";
  }

  /** A whole number from min to max; `rule` replaces "use a number from min to max" where a key allows less. */
  integer(key: string, min: number, max: number, rule = `is out of range; use a number from ${min} to ${max}.`): number {
    const value = this.raw(key);
    const fallback = this.keys[key].default as number;
    if (value === undefined) {
      return fallback;
    }
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      // The digits as written: Number would show a huge value as 1e+23.
      this.fail(key, `${value.length <= ECHO_LIMIT ? value : echoValue(value)} ${rule}`);
      return fallback;
    }
    return number;
  }

  stringArray(key: string, check: (value: string) => string | undefined): string[] {
    const value = this.raw(key);
    if (value === undefined) {
      return [];
    }
    const items = JSON.parse(value) as unknown[];
    const strings: string[] = [];
    items.forEach((item, index) => {
      if (typeof item !== "string") {
        this.fail(key, `item ${index} is ${describeJson(item)}, not a string.`);
        return;
      }
      const problem = check(item);
      if (problem) {
        this.fail(key, `item ${echoValue(item)} ${problem}.`);
      }
      strings.push(item);
    });
    return strings;
  }

  stringMap(key: string): Record<string, string> {
    const value = this.raw(key);
    if (value === undefined) {
      return {};
    }
    const entries: Array<[string, string]> = [];
    for (const [name, item] of Object.entries(JSON.parse(value) as Record<string, unknown>)) {
      if (typeof item === "string" || typeof item === "number" || typeof item === "boolean") {
        entries.push([name, String(item)]);
      } else if (item === null) {
        this.fail(key, `entry ${echoValue(name)} has no value; give it one or remove the entry.`);
      } else {
        this.fail(key, `entry ${echoValue(name)} must be a string, not ${describeJson(item)}.`);
      }
    }
    // fromEntries defines own properties, so a tag named __proto__ stays a tag.
    return Object.fromEntries(entries);
  }
}

function describeJson(item: unknown): string {
  if (item === null) {
    return "empty (null)";
  }
  return Array.isArray(item) ? "a list" : typeof item === "object" ? "a map" : typeof item;
}
