import { parseArgs } from "node:util";

/** The planner's options, as node:util's parseArgs declares them. */
export type PlanOptions = Record<string, { type: "string" | "boolean" }>;

/** The value words of the planner's usage, for an option whose value npm's parse lost. */
const PLACEHOLDERS: Record<string, string> = { stack: "NAME", "config-file": "PATH", out: "FILE", dir: "DIR" };

/**
 * `npm run plan --stack prod` (no `--`) gives `--stack` to npm, not to the planner: npm keeps an
 * option it does not know as its own config, which it passes to the script as
 * `npm_config_stack=true` in the environment, and the value `prod` as a bare argument
 * (`--stack=prod` arrives whole as `npm_config_stack=prod`). `--format` is special: npm expands it
 * to its own `--format-package-lock` and only the format name arrives. Returns the message that
 * says so and the command meant, or undefined when npm took none of the planner's options.
 */
export function npmTookOptions(argv: string[], env: Record<string, string | undefined>, options: PlanOptions, formats: readonly string[]): string | undefined {
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const given = new Set(tokens.flatMap((token) => (token.kind === "option" ? [token.name] : [])));
  const bare = tokens.flatMap((token) => (token.kind === "positional" ? [token.value] : []));

  const taken: { name: string; value?: string }[] = [];
  for (const [name, { type }] of Object.entries(options)) {
    const value = env[`npm_config_${name.replace(/-/g, "_")}`];
    if (value === undefined || given.has(name)) {
      continue;
    }
    taken.push({ name, value: type === "boolean" || value === "true" ? undefined : value });
  }
  const format = !given.has("format") ? bare.find((value) => formats.includes(value)) : undefined;
  if (format) {
    taken.push({ name: "format", value: format });
  }
  if (taken.length === 0) {
    return undefined;
  }

  // A string option npm took without `=` left its value among the bare arguments, in command-line
  // order; the pairing is certain only when one option lacks its value and one bare argument is left.
  let rest = bare.filter((value) => value !== format);
  const missing = taken.filter(({ name, value }) => value === undefined && options[name].type === "string");
  if (missing.length === 1 && rest.length === 1) {
    missing[0].value = rest[0];
    rest = [];
  } else if (missing.length > 0) {
    rest = [];
  }
  const positional = new Set(tokens.flatMap((token) => (token.kind === "positional" ? [token.index] : [])));
  const words = [
    ...taken.map(({ name, value }) => (options[name].type === "boolean" ? `--${name}` : `--${name} ${value ?? PLACEHOLDERS[name] ?? "VALUE"}`)),
    ...rest,
    ...argv.filter((_, index) => !positional.has(index)),
  ];
  const names = taken.map(({ name }) => `--${name}`);
  const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names[0];
  return `npm took ${list} for itself: npm passes a script only the arguments after \`--\`. Run \`npm run plan -- ${words.join(" ")}\`.`;
}
