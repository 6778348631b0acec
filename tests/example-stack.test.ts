import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/**
 * Pulumi.dev.yaml is the stack file people copy. Its header is read in the copy, under another
 * stack's name, so it must not tell them to create the stack "dev", and it must name every value
 * that carries the name "dev": two stacks with the same vault name or KMS alias collide.
 */

const FILE = join(__dirname, "..", "Pulumi.dev.yaml");
const text = readFileSync(FILE, "utf8");
const header = text.slice(0, text.search(/^config:/m));

/** Each scalar under `config:`, by its key without the project prefix (maps by dotted path). */
function values(node: unknown, prefix = ""): [string, string][] {
  if (typeof node === "object" && node !== null) {
    return Object.entries(node).flatMap(([key, item]) => values(item, prefix ? `${prefix}.${key}` : key.replace(/^cerby-external-keys:/, "")));
  }
  return [[prefix, String(node)]];
}

describe("Pulumi.dev.yaml, the example stack file", () => {
  test("its header tells a copy to choose a stack name and use it in the file name and `pulumi stack init`, never `stack init dev`", () => {
    expect(header).not.toMatch(/stack init dev\b/);
    expect(header).toContain("pulumi stack init <name>");
    expect(header).toContain("Pulumi.<name>.yaml");
  });

  test("its header names every value that carries the stack name, for a copy to change", () => {
    const named = values((parse(text) as { config: unknown }).config).filter(([, value]) => /\bdev\b/.test(value));
    expect(named.length).toBeGreaterThan(0);
    for (const [key] of named) {
      expect({ key, inHeader: header.includes(key) }).toEqual({ key, inHeader: true });
    }
  });
});
