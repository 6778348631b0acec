import { spawn } from "node:child_process";
import * as path from "node:path";
import { runPlanCli } from "../../tools/plan-cli";

/** The project folder, where `npm run plan` runs. */
export const ROOT = path.resolve(__dirname, "..", "..");

/** What a run of the plan's command line printed, and its exit code. */
export interface PlanRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the plan's command line in this process and captures what it prints. */
export async function planInProcess(...argv: string[]): Promise<PlanRun> {
  let stdout = "";
  let stderr = "";
  const code = await runPlanCli(argv, {
    stdout: (text) => (stdout += `${text}\n`),
    stderr: (text) => (stderr += `${text}\n`),
    cwd: ROOT,
    projectDir: ROOT,
  });
  return { code, stdout, stderr };
}

/** Runs a command in the project folder, as npm would (INIT_CWD set), and captures its output. */
export function runInProject(command: string, args: string[]): Promise<PlanRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, INIT_CWD: ROOT } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The node command `npm run plan` runs, in a child process. */
export const planChild = (...args: string[]): Promise<PlanRun> =>
  runInProject(process.execPath, ["-r", "./tools/plan-register.js", "scripts/plan.ts", ...args]);
