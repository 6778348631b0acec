import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT } from "../components/config";
import type { Plan } from "../tools/plan";
import { planChild, planInProcess, type PlanRun as Run } from "./support/plan-run";

/**
 * The corpus of stack files a new user might write, run through `npm run plan -- --config-file
 * FILE` (runPlanCli, in this process: a child process per file would take minutes on a 2-core
 * machine; one child process runs the whole bad corpus with --all to prove the command line).
 *
 * tests/fixtures/bad-stacks/Pulumi.<case>.yaml: one class of mistake per file (a few carry
 * several), with header comments saying what the output must hold:
 *   # key: NAME       the problem list names cerby-external-keys:NAME
 *   # names: TEXT     the output contains TEXT (for mistakes in the file itself, not in a key)
 *   # secret: TEXT    TEXT appears in no output
 * tests/fixtures/good-stacks/Pulumi.<case>.yaml: stacks that must plan;
 *   # warns: NAME     the plan carries a warning naming cerby-external-keys:NAME
 * Adding a case is adding a file.
 */

const BAD = path.join(__dirname, "fixtures", "bad-stacks");
const GOOD = path.join(__dirname, "fixtures", "good-stacks");

interface Case {
  name: string;
  file: string;
  keys: string[];
  names: string[];
  secrets: string[];
  warns: string[];
}

function header(text: string, tag: string): string[] {
  return [...text.matchAll(new RegExp(`^# ${tag}: (.*)$`, "gm"))].map((match) => match[1]);
}

function corpus(dir: string): Case[] {
  return fs
    .readdirSync(dir)
    .filter((name) => /^Pulumi\..+\.yaml$/.test(name))
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      const text = fs.readFileSync(file, "utf8");
      return {
        name: name.replace(/^Pulumi\.|\.yaml$/g, ""),
        file,
        keys: header(text, "key"),
        names: header(text, "names"),
        secrets: header(text, "secret"),
        warns: header(text, "warns"),
      };
    });
}

const BAD_CASES = corpus(BAD);
const GOOD_CASES = corpus(GOOD);
const ALL_SECRETS = BAD_CASES.flatMap((item) => item.secrets);

/** A Node stack frame ("    at fn (file:1:2)"), as an uncaught error would print it. */
const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;
/** A URL carrying a user name and a password that are not masked. */
const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s"/@*]+:[^\s"/@*]+@/i;
/** A quoted value longer than the cap (80 characters; escapes count double, so allow some slack). */
const UNCAPPED_VALUE = /"(?:[^"\\\n]|\\.){100,}"/;

function leaks(run: Run): string[] {
  const output = run.stdout + run.stderr;
  return [
    ...ALL_SECRETS.filter((secret) => output.includes(secret)),
    ...(URL_PASSWORD.test(output) ? ["a URL password"] : []),
  ];
}

describe("bad stack files: every one is refused with its key named, and nothing leaks", () => {
  const results = new Map<string, Run>();

  beforeAll(async () => {
    for (const item of BAD_CASES) {
      results.set(item.name, await planInProcess("--config-file", item.file));
    }
  }, 120_000);

  test(`the corpus holds at least 60 cases, each saying what its output must name (${BAD_CASES.length} cases)`, () => {
    expect(BAD_CASES.length).toBeGreaterThanOrEqual(60);
    expect(BAD_CASES.filter((item) => item.keys.length + item.names.length === 0).map((item) => item.name)).toEqual([]);
    expect(BAD_CASES.filter((item) => item.keys.length > 1).length).toBeGreaterThanOrEqual(3);
  });

  test.each(BAD_CASES.map((item) => [item.name, item] as const))("%s: exit code 1, the key named, no trace, no secret, values capped", (_, item) => {
    const run = results.get(item.name)!;
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: "" });
    for (const key of item.keys) {
      expect(run.stderr).toContain(`${PROJECT}:${key} `);
    }
    for (const text of item.names) {
      expect(run.stderr).toContain(text);
    }
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stderr).not.toMatch(/the program failed/);
    expect(leaks(run)).toEqual([]);
    expect(run.stderr).not.toMatch(UNCAPPED_VALUE);
    expect(run.stderr.length).toBeLessThan(2_500);
  });

  test("npm run plan --all over the whole corpus in a child process: exit code 1, each file reported, no trace, no secret", async () => {
    const run = await planChild("--all", "--dir", BAD);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: "" });
    for (const item of BAD_CASES) {
      expect(run.stderr).toContain(`Pulumi.${item.name}.yaml`);
    }
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(leaks(run)).toEqual([]);
  }, 120_000);
});

describe("valid stack files plan, with the warnings they deserve", () => {
  const plans = new Map<string, Run>();

  beforeAll(async () => {
    for (const item of GOOD_CASES) {
      plans.set(item.name, await planInProcess("--config-file", item.file, "--format", "json"));
    }
  }, 180_000);

  test("the valid variants include Azure only, AWS only, both, and a Unicode resource group", () => {
    expect(GOOD_CASES.map((item) => item.name)).toEqual(expect.arrayContaining(["azure-only", "aws-only", "both", "unicode-resource-group"]));
  });

  test.each(GOOD_CASES.map((item) => [item.name, item] as const))(
    "%s: exit code 0, nothing on stderr, and a warning for each key it should warn of",
    (_, item) => {
      const run = plans.get(item.name)!;
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
      const plan = JSON.parse(run.stdout) as Plan;
      expect(plan.resources.length).toBeGreaterThan(5);
      const warnings = plan.notes.filter((note) => note.startsWith("Warning: "));
      expect(warnings.map((note) => /^Warning: cerby-external-keys:(\w+) /.exec(note)?.[1])).toEqual(item.warns);
    },
  );

  test("the Unicode resource group reaches the plan as written", () => {
    const plan = JSON.parse(plans.get("unicode-resource-group")!.stdout) as Plan;
    const group = plan.resources.find((resource) => resource.type === "azure-native:resources:ResourceGroup");
    expect(group?.inputs.resourceGroupName).toBe("rg-Überprüfung_日本-(prod).1");
  });
});
