import { spawn, type ChildProcess } from "node:child_process";
import * as readline from "node:readline";

/**
 * Starts a plugin process the way the engine does (a provider host, a policy pack) and waits for
 * the port it prints first on stdout. Everything it prints after that, and on stderr, is kept.
 */
export async function startPluginProcess(
  what: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ child: ChildProcess; port: string; output: string[] }> {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  readline.createInterface({ input: child.stderr! }).on("line", (line) => output.push(line));
  const lines = readline.createInterface({ input: child.stdout! });
  const port = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${what} exited with ${code} before printing its port:\n${output.join("\n")}`)));
    lines.once("line", resolve);
  });
  lines.on("line", (line) => output.push(line));
  return { child, port, output };
}
