import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { CONFIG_KEYS, PROJECT } from "../components/config";
import type { Plan } from "../tools/plan";

/**
 * `npm run bench`: how long the offline plan takes next to the floor the Pulumi SDK sets by itself
 * (a bare require of @pulumi/pulumi), as medians over several runs interleaved in one session, so
 * that a busy machine slows every row alike. Prints a Markdown table for CONTRIBUTING.md, "Performance".
 *
 *   npm run bench -- [--runs 5] [--skip-tests]
 */

const ROOT = path.resolve(__dirname, "..");
const STACKS_FOR_GROWTH = 20;

const { values: options } = parseArgs({
  options: { runs: { type: "string", default: "5" }, "skip-tests": { type: "boolean", default: false } },
});
const RUNS = Number(options.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  throw new Error(`--runs ${options.runs} is not a positive whole number.`);
}

interface Command {
  label: string;
  command: string;
  args: string[];
  /** Time it whatever its exit code (npm test, whose result is reported, not required). */
  anyExit?: boolean;
}

interface Timed {
  seconds: number;
  stdout: string;
  code: number | null;
}

function time({ command, args, anyExit }: Command): Timed {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.error) {
    throw result.error;
  }
  if (!anyExit && result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with ${result.status}:\n${result.stderr}`);
  }
  return { seconds, stdout: result.stdout, code: result.status };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * The dev stack with every integration this tree has switched on: AWS once its keys exist, with a
 * workspace ID in place of the example's placeholder, which validation refuses on purpose.
 */
function bothIntegrationsConfig(): { config: Record<string, unknown>; aws: boolean } {
  const dev = parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  const awsSettings = { awsEnabled: true, cerbyWorkspaceId: "123e4567-e89b-42d3-a456-426614174000" };
  const present = Object.entries(awsSettings).filter(([key]) => key in CONFIG_KEYS);
  return {
    config: { ...dev.config, ...Object.fromEntries(present.map(([key, value]) => [`${PROJECT}:${key}`, value])) },
    aws: "awsEnabled" in CONFIG_KEYS,
  };
}

function writeStacks(dir: string): { both: string; growthDir: string; aws: boolean } {
  const { config, aws } = bothIntegrationsConfig();
  const both = path.join(dir, "Pulumi.both.yaml");
  fs.writeFileSync(both, stringifyYaml({ config }));
  const growthDir = path.join(dir, "stacks");
  fs.mkdirSync(growthDir);
  for (let index = 1; index <= STACKS_FOR_GROWTH; index += 1) {
    const suffix = String(index).padStart(2, "0");
    const stack = {
      ...config,
      [`${PROJECT}:cerbyWorkspace`]: `bench${suffix}`,
      [`${PROJECT}:keyVaultName`]: `kv-cerby-bench-${suffix}`,
    };
    fs.writeFileSync(path.join(growthDir, `Pulumi.bench${suffix}.yaml`), stringifyYaml({ config: stack }));
  }
  return { both, growthDir, aws };
}

const node = process.execPath;
const planArgs = ["-r", "./tools/plan-register.js", "scripts/plan.ts"];

function main(): void {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cerby-plan-bench-"));
  try {
    const { both, growthDir, aws } = writeStacks(scratch);
    const bothLabel = aws ? "Azure + AWS stack" : "Azure stack (no AWS keys in this tree yet)";
    const json = ["--format", "json"];
    const commands = {
      bare: { label: "bare SDK: node -e \"require('@pulumi/pulumi')\"", command: node, args: ["-e", "require('@pulumi/pulumi')"] },
      program: {
        label: "SDK and the program's modules: node -e \"require('./index.ts')\"",
        command: node,
        args: ["-r", "./tools/plan-register.js", "-e", "require('./index.ts')"],
      },
      devNpm: { label: "plan dev: npm run plan -- --stack dev --format json", command: "npm", args: ["run", "--silent", "plan", "--", "--stack", "dev", ...json] },
      devNode: { label: "plan dev: the node command npm runs", command: node, args: [...planArgs, "--stack", "dev", ...json] },
      bothNpm: { label: `plan ${bothLabel}: npm run plan`, command: "npm", args: ["run", "--silent", "plan", "--", "--config-file", both, ...json] },
      bothNode: { label: `plan ${bothLabel}: node`, command: node, args: [...planArgs, "--config-file", both, ...json] },
      growth: { label: `plan ${STACKS_FOR_GROWTH} such stacks with --all: node`, command: node, args: [...planArgs, "--all", "--dir", growthDir, ...json] },
    } satisfies Record<string, Command>;
    type Name = keyof typeof commands;
    const names = Object.keys(commands) as Name[];

    // A first run fills the transpile cache; every later run is a warm start, as in daily use.
    const outputs = Object.fromEntries(names.map((name) => [name, time(commands[name]).stdout])) as Record<Name, string>;
    const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Name, number[]>;
    for (let run = 0; run < RUNS; run += 1) {
      for (const name of names) {
        samples[name].push(time(commands[name]).seconds);
      }
    }
    const medians = Object.fromEntries(names.map((name) => [name, median(samples[name])])) as Record<Name, number>;

    const cpu = fs.readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1] ?? os.cpus()[0]?.model ?? "unknown CPU";
    const lines = [
      `Machine: ${cpu}, ${os.availableParallelism()} CPUs (nproc), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
        `Node ${process.version}, ${os.platform()} ${os.release()}. Medians of ${RUNS} interleaved runs, warm transpile cache.`,
      "",
      "| Measurement | Median wall time | × bare SDK require |",
      "| --- | ---: | ---: |",
      ...names.map((name) => `| ${commands[name].label} | ${medians[name].toFixed(2)} s | ${(medians[name] / medians.bare).toFixed(2)}× |`),
      `| npm's own overhead (npm run minus node, dev stack) | ${(medians.devNpm - medians.devNode).toFixed(2)} s | |`,
      `| each stack beyond the first, in one --all process | ${((medians.growth - medians.bothNode) / (STACKS_FOR_GROWTH - 1)).toFixed(3)} s | |`,
    ];

    if (!options["skip-tests"]) {
      const tests = time({ label: "npm test", command: "npm", args: ["test", "--silent"], anyExit: true });
      lines.push(`| npm test (whole suite, one run${tests.code === 0 ? "" : `, exit code ${tests.code}`}) | ${tests.seconds.toFixed(1)} s | |`);
    }

    lines.push("", "| Stack | Dynamic resource | Serialized provider |", "| --- | --- | ---: |");
    for (const [stack, output] of [["dev", outputs.devNode], [path.basename(both), outputs.bothNode]] as const) {
      const plan = JSON.parse(output) as Plan;
      for (const resource of plan.resources.filter((item) => item.providerBytes !== undefined)) {
        lines.push(`| ${stack} | \`${resource.type}\` ${resource.name} | ${resource.providerBytes} bytes |`);
      }
    }
    console.log(lines.join("\n"));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main();
