import { createHash } from "node:crypto";
import { parse } from "yaml";
import { exampleFiles, readText } from "./support/example-files";

/** The licence, the changelog and the security policy are what package.json and the README say. */

/** MD5 of https://www.apache.org/licenses/LICENSE-2.0.txt, the Apache Software Foundation's text. */
const APACHE_2_0_TXT_MD5 = "3b83ef96387f14655fc854ddc3c6bd57";

const KEEP_A_CHANGELOG_TYPES = ["Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"];

interface Release {
  version: string;
  date?: string;
  types: string[];
}

function releases(changelog: string): Release[] {
  return changelog
    .split(/^## /m)
    .slice(1)
    .map((section) => {
      const heading = /^\[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?\s*$/m.exec(section.split("\n")[0]);
      return { version: heading?.[1] ?? `unparsed heading: ${section.split("\n")[0]}`, date: heading?.[2], types: [...section.matchAll(/^### (.+)$/gm)].map((match) => match[1]) };
    });
}

const semver = (version: string): number[] => version.split(".").map(Number);
const newer = (a: string, b: string): boolean => (semver(a).map((part, index) => part - semver(b)[index]).find((difference) => difference !== 0) ?? 0) > 0;

/** What breaks Keep a Changelog's form: Unreleased first, then x.y.z - date, newest first, each with known change types. */
function changelogProblems(changelog: string): string[] {
  const found = releases(changelog);
  const problems: string[] = [];
  if (found[0]?.version !== "Unreleased") {
    problems.push("the first section is not [Unreleased]");
  }
  const versions = found.slice(1);
  versions.forEach((release, index) => {
    if (!/^\d+\.\d+\.\d+$/.test(release.version) || !release.date) {
      problems.push(`${release.version}: not "[x.y.z] - YYYY-MM-DD"`);
    }
    const next = versions[index + 1];
    if (next && (!newer(release.version, next.version) || (release.date && next.date && release.date < next.date))) {
      problems.push(`${release.version} comes before ${next.version} but is not newer`);
    }
  });
  for (const release of found) {
    // Unreleased is empty right after a release.
    if (release.types.length === 0 && release.version !== "Unreleased") {
      problems.push(`${release.version}: no change types`);
    }
    problems.push(...release.types.filter((type) => !KEEP_A_CHANGELOG_TYPES.includes(type)).map((type) => `${release.version}: "${type}" is not a change type`));
  }
  return problems;
}

describe("LICENSE, CHANGELOG.md, SECURITY.md", () => {
  test("LICENSE is the Apache License 2.0 text exactly as published, the licence package.json names", () => {
    const license = readText("LICENSE");
    expect(createHash("md5").update(license).digest("hex")).toBe(APACHE_2_0_TXT_MD5);
    expect(license).toContain("APPENDIX: How to apply the Apache License to your work.");
    expect((JSON.parse(readText("package.json")) as { license: string }).license).toBe("Apache-2.0");
  });

  test("CHANGELOG.md follows Keep a Changelog: Unreleased first, then versions newest first with dates, only its change types", () => {
    const text = readText("CHANGELOG.md");
    expect(releases(text).map((release) => release.version)).toEqual(["Unreleased", "0.4.0", "0.3.0", "0.2.0", "0.1.0"]);
    expect(changelogProblems(text)).toEqual([]);
  });

  test("the changelog check catches versions out of order, a missing date and a made-up change type", () => {
    const text = readText("CHANGELOG.md");
    expect(changelogProblems(text.replace("## [0.3.0]", "## [0.1.9]"))).toEqual(["0.1.9 comes before 0.2.0 but is not newer"]);
    expect(changelogProblems(text.replace("## [0.2.0] - 2026-11-28", "## [0.2.0]"))).toEqual(['0.2.0: not "[x.y.z] - YYYY-MM-DD"']);
    expect(changelogProblems(text.replace("### Fixed", "### Tweaked"))).toEqual(['0.2.0: "Tweaked" is not a change type']);
    expect(changelogProblems(text.replace("## [0.4.0]", "## [0.4.1] - 2026-12-02\n\n## [0.4.0]"))).toEqual(["0.4.1: no change types"]);
  });

  test("SECURITY.md says how to report privately, what is in scope and which versions get fixes, and marks the contact for the owner", () => {
    const policy = readText("SECURITY.md");
    expect([...policy.matchAll(/^## (.+)$/gm)].map((match) => match[1])).toEqual(["Reporting a vulnerability", "In scope", "Supported versions"]);
    expect(policy).toMatch(/private vulnerability reporting/);
    expect(policy).toMatch(/`SECURITY-CONTACT@EXAMPLE\.COM` \*\(owner: replace this placeholder/);
    expect(policy).toMatch(/Cerby API key/);
    expect(policy).toMatch(/Key loss/);
  });
});

/** Where the docs and pipelines tell someone to edit Pulumi.yaml's backend to move the state. */
function backendEdits(text: string): string[] {
  return [...text.matchAll(/(?:change|point|edit|set|delete)[^.\n]{0,40}`backend(?:\.url)?:?`/gi)].map((match) => match[0]);
}

describe("Pulumi.yaml: where the state goes", () => {
  test("the local file backend stays the default for a first run, and the file says PULUMI_BACKEND_URL wins over it", () => {
    const text = readText("Pulumi.yaml");
    expect((parse(text) as { backend: { url: string } }).backend).toEqual({ url: "file://~" });
    expect(text).toMatch(/^# PULUMI_BACKEND_URL wins over this URL, and this URL over `pulumi login`/m);
  });

  test("moving to Pulumi Cloud or a bucket is one documented step, PULUMI_BACKEND_URL, and no doc or pipeline asks for Pulumi.yaml to be edited", () => {
    const state = /## State\n([\s\S]*?)\n## /.exec(readText("docs/operations.md"))?.[1] ?? "";
    expect(state).toMatch(/^export PULUMI_BACKEND_URL=https:\/\/api\.pulumi\.com/m);
    expect(state).toMatch(/^export PULUMI_BACKEND_URL='azblob:/m);
    const texts = ["README.md", "docs/operations.md", "docs/ci.md", "docs/pulumi-cloud.md", ...exampleFiles()];
    expect(texts.flatMap((file) => backendEdits(readText(file)).map((edit) => `${file}: ${edit}`))).toEqual([]);
  });

  test("the edit check catches the instructions the project used to give", () => {
    expect(backendEdits("either change `backend.url` in `Pulumi.yaml`, or delete the `backend:` block")).toHaveLength(2);
    expect(backendEdits("point `backend.url` at Pulumi Cloud")).toHaveLength(1);
  });
});
