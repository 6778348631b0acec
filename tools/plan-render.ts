import { SECRET_TEXT, UNKNOWN_TEXT, resourceRef, type Plan, type PlannedResource } from "./plan";

/** The three shapes of `npm run plan` output: a terminal, a pull-request comment, tools. */
export const PLAN_FORMATS = ["table", "markdown", "json"] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

/** A resource in tree order (children under their parent), numbered for cross-references. */
interface Row {
  number: number;
  depth: number;
  resource: PlannedResource;
}

function treeRows(resources: PlannedResource[]): Row[] {
  const refs = new Set(resources.map(resourceRef));
  const children = new Map<string | null, PlannedResource[]>();
  for (const resource of resources) {
    const parent = resource.parent && refs.has(resource.parent) ? resource.parent : null;
    children.set(parent, [...(children.get(parent) ?? []), resource]);
  }
  const rows: Row[] = [];
  const visit = (parent: string | null, depth: number) => {
    for (const resource of children.get(parent) ?? []) {
      rows.push({ number: rows.length + 1, depth, resource });
      visit(resourceRef(resource), depth + 1);
    }
  };
  visit(null, 0);
  return rows;
}

function shortType(type: string): string {
  return type.split(":").pop() ?? type;
}

/** `path: text` lines for a value: maps are walked, lists of scalars stay on one line. */
function flatten(value: unknown, prefix = ""): [string, string][] {
  if (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([key, item]) => flatten(item, prefix ? `${prefix}.${key}` : key));
  }
  if (Array.isArray(value) && value.some((item) => typeof item === "object" && item !== null)) {
    return value.flatMap((item, index) => flatten(item, `${prefix}[${index}]`));
  }
  return [[prefix, scalarText(value)]];
}

function scalarText(value: unknown): string {
  if (typeof value !== "string") {
    return JSON.stringify(value) ?? String(value);
  }
  // Quote only what would otherwise read wrong: empty, padded or multi-line text.
  return value === "" || value.trim() !== value || value.includes("\n") ? JSON.stringify(value) : value;
}

function summary(plan: Plan): string {
  const custom = plan.resources.filter((resource) => resource.custom).length;
  const protectedCount = plan.resources.filter((resource) => resource.protect).length;
  const imported = plan.resources.filter((resource) => resource.importId).length;
  return (
    `${plan.resources.length} resources: ${custom} cloud resources, ${plan.resources.length - custom} components; ` +
    `${protectedCount} protected${imported ? `; ${imported} imported` : ""}.`
  );
}

const LEGEND = `Nothing was deployed or called: ${UNKNOWN_TEXT} marks values only a deployment knows, ${SECRET_TEXT} marks secrets.`;

function flags(resource: PlannedResource): string[] {
  return [
    ...(resource.custom ? [] : ["component"]),
    ...(resource.importId ? ["import"] : []),
    ...(resource.protect ? ["protect"] : []),
    ...(resource.retainOnDelete ? ["retainOnDelete"] : []),
  ];
}

function aligned(lines: [string, string][], indent: string): string[] {
  const width = Math.max(0, ...lines.map(([key]) => key.length));
  return lines.map(([key, text]) => `${indent}${key.padEnd(width)}  ${text}`.trimEnd());
}

/** Each answered field of a provider function: its value and, when it came from somewhere, where. */
function invokeFields(invoke: Plan["invokes"][number]): [string, string][] {
  return flatten(invoke.result).map(([field, text]) => [field, invoke.from[field] ? `${text}  (from ${invoke.from[field]})` : text]);
}

function renderTable(plan: Plan): string {
  const rows = treeRows(plan.resources);
  const numbers = new Map(rows.map((row) => [resourceRef(row.resource), row]));
  const mention = (ref: string) => {
    const row = numbers.get(ref);
    return row ? `[${row.number}] ${shortType(row.resource.type)} ${row.resource.name}` : ref;
  };
  const out = [`Stack ${plan.stack} (${plan.file})`, `  ${summary(plan)}`, `  ${LEGEND}`, ""];
  for (const { number, depth, resource } of rows) {
    const indent = "  ".repeat(depth);
    out.push(`${indent}[${number}] ${resource.type}  ${resource.name}${flags(resource).length ? `  (${flags(resource).join(", ")})` : ""}`);
    const details: [string, string][] = [];
    if (resource.dependsOn.length) {
      details.push(["depends on", resource.dependsOn.map(mention).join(", ")]);
    }
    if (resource.dependsOnViaParent.length) {
      details.push(["and, via parent", resource.dependsOnViaParent.map(mention).join(", ")]);
    }
    if (resource.importId) {
      details.push(["imports", `${resource.importId} (inputs below must equal what it has; the deploy reads them first)`]);
    }
    if (resource.providerBytes !== undefined) {
      details.push(["provider", `serialized dynamic provider, ${resource.providerBytes} bytes (not shown)`]);
    }
    details.push(...flatten(resource.inputs).filter(([key]) => key !== ""));
    out.push(...aligned(details, `${indent}      `));
  }
  out.push("", "Outputs", ...aligned(flatten(plan.outputs), "  "));
  if (plan.invokes.length) {
    out.push("", "Provider functions (answered offline, not by the cloud)");
    for (const invoke of plan.invokes) {
      out.push(`  ${invoke.token}`, ...aligned(invokeFields(invoke), "      "));
    }
  }
  if (plan.notes.length) {
    out.push("", "Notes", ...plan.notes.map((note) => `  - ${note}`));
  }
  return out.join("\n");
}

/** Inline code that survives any backticks in the text, with table pipes escaped. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const padded = longest ? ` ${text} ` : text;
  return `${fence}${padded}${fence}`.replace(/\|/g, "\\|");
}

function fenced(lines: string[]): string[] {
  const text = lines.join("\n");
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return [`${fence}text`, ...lines, fence];
}

function renderMarkdown(plan: Plan): string {
  const rows = treeRows(plan.resources);
  const numbers = new Map(rows.map((row) => [resourceRef(row.resource), row.number]));
  const mention = (ref: string) => (numbers.has(ref) ? `#${numbers.get(ref)}` : code(ref));
  const out = [
    `### Plan for stack ${code(plan.stack)} (${code(plan.file)})`,
    "",
    `${summary(plan)} ${LEGEND}`,
    "",
    "| # | Type | Name | Parent | Depends on | Flags |",
    "| --: | --- | --- | --- | --- | --- |",
  ];
  for (const { number, resource } of rows) {
    const dependsOn = [
      ...resource.dependsOn.map(mention),
      ...resource.dependsOnViaParent.map((ref) => `${mention(ref)} (via parent)`),
    ];
    out.push(
      `| ${number} | ${code(resource.type)} | ${code(resource.name)} | ${resource.parent ? mention(resource.parent) : ""} | ` +
        `${dependsOn.join(", ")} | ${flags(resource).join(", ")} |`,
    );
  }
  out.push("", "<details><summary>Inputs of each resource</summary>", "");
  for (const { number, resource } of rows) {
    const lines = flatten(resource.inputs).filter(([key]) => key !== "");
    if (resource.importId) {
      lines.unshift(["(imports)", resource.importId]);
    }
    if (resource.providerBytes !== undefined) {
      lines.unshift(["(provider)", `serialized dynamic provider, ${resource.providerBytes} bytes (not shown)`]);
    }
    if (lines.length) {
      out.push(`**#${number} ${code(resource.type)} ${code(resource.name)}**`, "", ...fenced(aligned(lines, "")), "");
    }
  }
  out.push("</details>", "", "#### Outputs", "", "| Output | Value |", "| --- | --- |");
  out.push(...flatten(plan.outputs).map(([name, text]) => `| ${code(name)} | ${code(text)} |`));
  if (plan.invokes.length) {
    out.push("", "#### Provider functions (answered offline, not by the cloud)", "");
    for (const invoke of plan.invokes) {
      out.push(`- ${code(invoke.token)}: ${invokeFields(invoke).map(([field, text]) => `${field} ${code(text)}`).join(", ")}`);
    }
  }
  if (plan.notes.length) {
    out.push("", "#### Notes", "", ...plan.notes.map((note) => `- ${note}`));
  }
  return out.join("\n");
}

/** One stack's plan, or several (`--all`), in a format. JSON is one object, or an array for several. */
export function renderPlans(plans: Plan[], format: PlanFormat, several: boolean): string {
  switch (format) {
    case "json":
      return JSON.stringify(several ? plans : plans[0], null, 2);
    case "markdown":
      return plans.map(renderMarkdown).join("\n\n---\n\n");
    case "table":
      return plans.map(renderTable).join(`\n\n${"=".repeat(72)}\n\n`);
  }
}
