import * as path from "node:path";
import { runPlanCli } from "../tools/plan-cli";

// The offline plan's command line; see tools/plan-cli.ts. npm runs scripts in the project folder
// and keeps the caller's folder in INIT_CWD, which relative paths given by the caller start from.

// A reader that stops early (`npm run plan | head`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") {
    throw error;
  }
  process.exit(process.exitCode ?? 0);
});

runPlanCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  cwd: process.env.INIT_CWD ?? process.cwd(),
  projectDir: path.resolve(__dirname, ".."),
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`plan: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
