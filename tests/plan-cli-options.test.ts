import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Plan } from "../tools/plan";
import { runPlanCli } from "../tools/plan-cli";
import { ROOT, type PlanRun } from "./support/plan-run";

/**
 * Two traps of running the plan through npm: redirecting stdout also captures npm's banner
 * (hence --out FILE), and options before `--` are taken by npm, which leaves them in the
 * environment as npm_config_<name> (hence the message naming the command meant).
 */

async function plan(argv: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<PlanRun> {
  let stdout = "";
  let stderr = "";
  const code = await runPlanCli(argv, {
    stdout: (text) => (stdout += `${text}\n`),
    stderr: (text) => (stderr += `${text}\n`),
    cwd: options.cwd ?? ROOT,
    projectDir: ROOT,
    env: options.env ?? {},
  });
  return { code, stdout, stderr };
}

describe("--out FILE", () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-out-"));
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("writes the JSON plan to FILE, from the caller's folder, over what was there; the file parses and nothing is printed", async () => {
    fs.writeFileSync(path.join(dir, "plan.json"), "> cerby-external-keys@0.1.0 plan\n".repeat(5000));
    const result = await plan(["--stack", "dev", "--format", "json", "--out", "plan.json"], { cwd: dir });
    expect(result).toEqual({ code: 0, stdout: "", stderr: "" });
    const written = JSON.parse(fs.readFileSync(path.join(dir, "plan.json"), "utf8")) as Plan;
    expect(written.stack).toBe("dev");
    expect(written.resources.length).toBeGreaterThan(10);
  });

  test("the file holds what stdout would show, in the format asked for", async () => {
    const file = path.join(dir, "plan.md");
    // One after the other: the mock runtime is global to the process.
    const written = await plan(["--stack", "dev", "--format", "markdown", "--out", file]);
    const printed = await plan(["--stack", "dev", "--format", "markdown"]);
    expect(written.code).toBe(0);
    expect(printed.code).toBe(0);
    expect(fs.readFileSync(file, "utf8")).toBe(printed.stdout);
  });

  test("a folder is refused before anything is planned: exit code 2, the folder named", async () => {
    const result = await plan(["--stack", "dev", "--out", dir]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(new RegExp(`^--out ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is a folder; name the file to write`));
  });

  test("a Pulumi stack or project file, or a link to one, is refused and left as it was: exit code 2", async () => {
    const stackFile = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(stackFile, "config:\n  cerby-external-keys:cerbyWorkspace: acme\n");
    fs.symlinkSync(stackFile, path.join(dir, "plan-link.json"));
    for (const out of ["Pulumi.prod.yaml", "plan-link.json", "Pulumi.yaml"]) {
      const result = await plan(["--stack", "dev", "--out", out], { cwd: dir });
      expect({ out, code: result.code, stdout: result.stdout }).toEqual({ out, code: 2, stdout: "" });
      expect(result.stderr).toMatch(/^--out \S+ would overwrite Pulumi\.(prod\.)?yaml, a Pulumi project or stack file/);
    }
    expect(fs.readFileSync(stackFile, "utf8")).toBe("config:\n  cerby-external-keys:cerbyWorkspace: acme\n");
    expect(fs.existsSync(path.join(dir, "Pulumi.yaml"))).toBe(false);
  });

  test("a file that cannot be written: exit code 1 and the reason", async () => {
    const result = await plan(["--stack", "dev", "--out", path.join(dir, "missing-folder", "plan.json")]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: "" });
    expect(result.stderr).toMatch(/missing-folder\/plan\.json: cannot write the plan \(ENOENT\)/);
  });

  test("a stack that fails writes no file", async () => {
    const file = path.join(dir, "invalid.json");
    const result = await plan(["--config-file", "tests/fixtures/plan-invalid.yaml", "--out", file]);
    expect(result.code).toBe(1);
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe("options npm took for itself (given before `--`)", () => {
  const took = (options: string) => `npm took ${options} for itself: npm passes a script only the arguments after \`--\`.`;

  test.each([
    // npm run plan --stack prod
    { argv: ["prod"], env: { npm_config_stack: "true" }, options: "--stack", command: "npm run plan -- --stack prod" },
    // npm run plan --stack=prod
    { argv: [], env: { npm_config_stack: "prod" }, options: "--stack", command: "npm run plan -- --stack prod" },
    // npm run plan --format json -- --stack dev (npm expands --format to its --format-package-lock)
    { argv: ["json", "--stack", "dev"], env: {}, options: "--format", command: "npm run plan -- --format json --stack dev" },
    // npm run plan --all
    { argv: [], env: { npm_config_all: "true" }, options: "--all", command: "npm run plan -- --all" },
    // npm run plan --config-file ci/Pulumi.prod.yaml
    { argv: ["ci/Pulumi.prod.yaml"], env: { npm_config_config_file: "true" }, options: "--config-file", command: "npm run plan -- --config-file ci/Pulumi.prod.yaml" },
    // npm run plan --out plan.json -- --stack dev
    { argv: ["plan.json", "--stack", "dev"], env: { npm_config_out: "true" }, options: "--out", command: "npm run plan -- --out plan.json --stack dev" },
    // npm run plan --dir stacks -- --all
    { argv: ["stacks", "--all"], env: { npm_config_dir: "true" }, options: "--dir", command: "npm run plan -- --dir stacks --all" },
    // npm run plan --stack prod --out plan.json: which bare value is whose is lost
    { argv: ["prod", "plan.json"], env: { npm_config_stack: "true", npm_config_out: "true" }, options: "--stack and --out", command: "npm run plan -- --stack NAME --out FILE" },
  ])("$options from npm_config_* and $argv: exit code 2 and `$command`", async ({ argv, env, options, command }) => {
    const result = await plan(argv, { env });
    expect(result).toEqual({ code: 2, stdout: "", stderr: `${took(options)} Run \`${command}\`.\n` });
  });

  test("without npm's traces a stray argument is bad usage, as before", async () => {
    const result = await plan(["prod"]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: "" });
    expect(result.stderr).toMatch(/^Unexpected argument 'prod'/);
    expect(result.stderr).toContain("Usage: npm run plan");
  });

  test("a command line that plans is never refused for npm's environment (all=true in an .npmrc)", async () => {
    const result = await plan(["--stack", "dev", "--format", "json"], { env: { npm_config_all: "true" } });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: "" });
    expect((JSON.parse(result.stdout) as Plan).stack).toBe("dev");
  });
});
