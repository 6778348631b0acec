import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Plan } from "../tools/plan";
import { planChild as planCli, runInProject as run, type PlanRun as Run } from "./support/plan-run";

/**
 * The plan's command line end to end, in child processes: the npm script, the require hook that
 * runs the TypeScript, exit codes and output streams. The in-process tests (plan.test.ts) cover
 * what the plan says; these run concurrently to keep the suite fast.
 */

const PLAINTEXT_SECRET = "plan-fixture-NOT-A-REAL-KEY-7d1e0c4b9a";

describe("npm run plan, in a child process", () => {
  let json: Run;
  let table: Run;
  let markdown: Run;
  let invalid: Run;
  let plaintext: Run;
  let out: Run;
  let npmTookStack: Run;
  let outDir: string;

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-cli-"));
    [json, table, markdown, invalid, plaintext, out, npmTookStack] = await Promise.all([
      run("npm", ["run", "--silent", "plan", "--", "--stack", "dev", "--format", "json"]),
      planCli("--stack", "dev"),
      planCli("--stack", "dev", "--format", "markdown"),
      planCli("--config-file", "tests/fixtures/plan-invalid.yaml"),
      planCli("--config-file", "tests/fixtures/plan-plaintext-secret.yaml", "--format", "json"),
      run("npm", ["run", "plan", "--", "--stack", "dev", "--format", "json", "--out", path.join(outDir, "plan.json")]),
      run("npm", ["run", "plan", "--stack", "dev"]),
    ]);
  });

  afterAll(() => {
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  test("--out through the npm script, without --silent: npm's banner stays on stdout and the file is one JSON document", () => {
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("> cerby-external-keys@");
    const plan = JSON.parse(fs.readFileSync(path.join(outDir, "plan.json"), "utf8")) as Plan;
    expect(plan.stack).toBe("dev");
  });

  test("`npm run plan --stack dev` (no `--`): npm takes --stack, and the message gives the command meant", () => {
    expect(npmTookStack.code).toBe(2);
    expect(npmTookStack.stderr).toContain("npm took --stack for itself: npm passes a script only the arguments after `--`. Run `npm run plan -- --stack dev`.");
    expect(npmTookStack.stderr).not.toContain("Unexpected argument");
  });

  test("--format json through the npm script: exit code 0 and one JSON document on stdout", () => {
    expect({ code: json.code, stderr: json.stderr }).toEqual({ code: 0, stderr: "" });
    const plan = JSON.parse(json.stdout) as Plan;
    expect(Object.keys(plan)).toEqual(expect.arrayContaining(["stack", "resources", "outputs"]));
    expect(plan.stack).toBe("dev");
    expect(plan.resources.length).toBeGreaterThan(10);
    for (const resource of plan.resources) {
      expect(Object.keys(resource)).toEqual(expect.arrayContaining(["type", "name", "parent", "dependsOn", "protect", "inputs"]));
    }
  });

  test("--format table (the default): the plan on stdout", () => {
    expect({ code: table.code, stderr: table.stderr }).toEqual({ code: 0, stderr: "" });
    expect(table.stdout).toMatch(/^Stack dev \(Pulumi\.dev\.yaml\)\n/);
    expect(table.stdout).toContain("azure-native:keyvault:Key  cerby-azure-key  (protect, retainOnDelete)");
  });

  test("--format markdown: the plan on stdout", () => {
    expect({ code: markdown.code, stderr: markdown.stderr }).toEqual({ code: 0, stderr: "" });
    expect(markdown.stdout).toMatch(/^### Plan for stack `dev`/);
  });

  test("invalid config: exit code 1, the problems on stderr, nothing on stdout", () => {
    expect({ code: invalid.code, stdout: invalid.stdout }).toEqual({ code: 1, stdout: "" });
    expect(invalid.stderr).toMatch(/Invalid stack configuration \(3 problems\)/);
  });

  test("a plaintext secret: exit code 1, and the value appears in neither stream", () => {
    expect({ code: plaintext.code, stdout: plaintext.stdout }).toEqual({ code: 1, stdout: "" });
    expect(plaintext.stderr).toContain("cerbyApiKey");
    expect(plaintext.stdout + plaintext.stderr).not.toContain(PLAINTEXT_SECRET);
  });
});
