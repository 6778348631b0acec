import { CONFIG_KEYS } from "../components/config";

/**
 * The README's config reference table, made from the config module's own table so that the two
 * cannot drift apart (a test compares them; `npm run docs:config` prints it).
 */
export function configReferenceTable(): string {
  const rows = Object.entries(CONFIG_KEYS).map(([key, spec]) => {
    const fallback = spec.secret
      ? spec.required === false
        ? "(secret, optional)"
        : "(secret, required)"
      : spec.required
        ? "(required)"
        : spec.default === undefined || spec.default === ""
          ? "(none)"
          : `\`${typeof spec.default === "string" ? spec.default : JSON.stringify(spec.default)}\``;
    return `| \`${key}\` | ${spec.type} | ${fallback} | ${spec.description.replace(/\|/g, "\\|")} |`;
  });
  return ["| Key | Type | Default | Meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

if (require.main === module) {
  console.log(configReferenceTable());
}
