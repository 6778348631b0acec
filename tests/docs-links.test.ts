import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { anchors, brokenLinks, docReferences, slug } from "./support/doc-links";

const ROOT = join(__dirname, "..");

/** The files under a folder of the repository whose names match, as paths from the root. */
function filesUnder(dir: string, name: RegExp): string[] {
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return filesUnder(path, name);
    return name.test(entry.name) ? [path] : [];
  });
}

const ROOT_FILES = readdirSync(ROOT);
const PAGES = [
  ...ROOT_FILES.filter((file) => file.endsWith(".md")),
  ...filesUnder("docs", /\.md$/),
  ...filesUnder("examples", /\.md$/),
];

/** Files whose messages, comments and instructions may send a reader to the docs. */
const SOURCES = [
  ...["components", "scripts", "tools"].flatMap((dir) => filesUnder(dir, /\.(ts|js)$/)),
  ...filesUnder("examples", /\.(md|ya?ml)$/),
  ...filesUnder("docs", /\.md$/),
  ...ROOT_FILES.filter((file) => /^(index\.ts|Pulumi(\.[\w-]+)?\.yaml)$/.test(file)),
  ".ci/run",
];

describe("links in the README, CONTRIBUTING.md, docs/ and examples/", () => {
  test("the pages the README's documentation list promises exist", () => {
    expect(PAGES).toEqual(
      expect.arrayContaining([
        "README.md",
        "CONTRIBUTING.md",
        "docs/operations.md",
        "docs/cerby-registration.md",
        "docs/aws-kms.md",
        "docs/security.md",
        "docs/ci.md",
        "docs/troubleshooting.md",
      ]),
    );
  });

  test.each(PAGES)("every relative link and #anchor in %s resolves", (page) => {
    expect(brokenLinks(ROOT, page)).toEqual([]);
  });

  test("the check reports a missing file, a missing heading and an anchor into a file that has none, and skips code", () => {
    const page = [
      "[fine](security.md#key-continuity), [also fine](../README.md), [external](https://example.com/x#y)",
      "[gone](no-such-page.md) and [wrong heading](security.md#no-such-heading)",
      "[json anchor](aws-deployer-policy.json#statement)",
      "`[in code](ignored.md)`",
      "```",
      "[in a fence](ignored-too.md)",
      "```",
    ].join("\n");
    expect(brokenLinks(ROOT, "docs/example.md", page)).toEqual([
      "docs/example.md: (no-such-page.md) names no file",
      "docs/example.md: (security.md#no-such-heading) names no heading of docs/security.md",
      "docs/example.md: (aws-deployer-policy.json#statement) has an anchor into something that is not a Markdown page",
    ]);
  });

  test("anchors are GitHub's: punctuation and code marks dropped, spaces to hyphens, repeats numbered", () => {
    expect(slug("Reviewing changes offline (`npm run plan`)")).toBe("reviewing-changes-offline-npm-run-plan");
    expect(slug("Waiting for the deployer's access")).toBe("waiting-for-the-deployers-access");
    expect(slug("Changes, and moving to a new key")).toBe("changes-and-moving-to-a-new-key");
    expect([...anchors("# A\n## Outputs\n```\n## Not a heading\n```\n### Outputs")]).toEqual(["a", "outputs", "outputs-1"]);
  });
});

describe("the code's messages point at pages and headings that exist", () => {
  const references = SOURCES.flatMap((source) => docReferences(source, readFileSync(join(ROOT, source), "utf8")));

  test("each reference names an existing page and one of its headings", () => {
    const broken = references.filter((reference) => {
      try {
        return !anchors(readFileSync(join(ROOT, reference.page), "utf8")).has(slug(reference.heading));
      } catch {
        return true;
      }
    });
    expect(broken).toEqual([]);
  });

  test("the messages that send the reader to the docs are found (the check above is not vacuous)", () => {
    const where = new Set(references.map((reference) => reference.source));
    expect([...where]).toEqual(
      expect.arrayContaining([
        "components/keyContinuity.ts",
        "components/cerby/rotation.ts",
        "components/azure/existing.ts",
        "components/aws/tamperAlerts.ts",
        "scripts/verify-alerts.ts",
        "examples/pipelines/README.md",
        "examples/pipelines/github/deploy.yml",
        "examples/Pulumi.adopt-existing.yaml",
      ]),
    );
  });

  test("a reference to a heading that moved away is reported", () => {
    const [reference, inShell] = docReferences("x.ts", 'see README, \\"Client-secret rotation\\". echo "(README\'s \'State\')"');
    expect(reference).toEqual({ source: "x.ts", page: "README.md", heading: "Client-secret rotation" });
    expect(inShell).toEqual({ source: "x.ts", page: "README.md", heading: "State" });
    expect(anchors(readFileSync(join(ROOT, "README.md"), "utf8")).has(slug(reference.heading))).toBe(false);
  });
});
