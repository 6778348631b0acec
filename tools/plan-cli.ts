import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { describeProblem, invalidConfigError, isConfigError } from "../components/config";
import {
  PlanFileError,
  displayPath,
  loadProgram,
  loadProject,
  loadStackConfig,
  planStack,
  stackFiles,
  stackNameOf,
  validateStackConfig,
  type Plan,
} from "./plan";
import { npmTookOptions } from "./plan-npm-args";
import { PLAN_FORMATS, renderPlans, type PlanFormat } from "./plan-render";

const USAGE = `Usage: npm run plan -- (--stack NAME | --all | --config-file PATH) [--format table|markdown|json] [--out FILE] [--dir DIR]

Plans offline what \`pulumi up\` would declare for a stack: validates Pulumi.<stack>.yaml over the
defaults in Pulumi.yaml, runs the program under Pulumi's mock runtime, and prints every resource,
its inputs and dependencies, and the stack outputs. No cloud credentials, no Pulumi CLI.

  --stack NAME        plan Pulumi.NAME.yaml (with --config-file: the stack name to use)
  --all               plan every Pulumi.*.yaml in the folder
  --config-file PATH  plan the stack file at PATH
  --format FORMAT     table (default), markdown (pull-request comment) or json
  --out FILE          write the plan to FILE (created or overwritten) instead of stdout, and print nothing
  --dir DIR           folder of the stack files (default: the project folder)

The options go after \`--\`: before it, npm takes them for itself. npm prints a banner on stdout
before the plan; to redirect stdout, use --out or \`npm run --silent plan -- ...\`.

Exit code: 0 planned, 1 a stack file is invalid or unreadable, the program failed or FILE cannot be
written, 2 bad usage.`;

export interface PlanCliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Where relative paths given on the command line start (npm runs scripts in the project folder). */
  cwd: string;
  /** The folder holding Pulumi.yaml and index.ts. */
  projectDir: string;
  /** The environment, where npm leaves the options it took for itself (`npm_config_<name>`); none when absent. */
  env?: Record<string, string | undefined>;
}

interface Target {
  file: string;
  stack: string;
}

class UsageError extends Error {}

const OPTIONS = {
  stack: { type: "string" },
  all: { type: "boolean", default: false },
  "config-file": { type: "string" },
  format: { type: "string", default: "table" },
  out: { type: "string" },
  dir: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  const format = values.format as PlanFormat;
  if (!PLAN_FORMATS.includes(format)) {
    throw new UsageError(`--format ${values.format} is not a format; use one of: ${PLAN_FORMATS.join(", ")}.`);
  }
  if (!values.help && values.all === Boolean(values.stack ?? values["config-file"])) {
    throw new UsageError(
      values.all ? "--all plans every stack; leave out --stack and --config-file." : "Name what to plan: --stack NAME, --all or --config-file PATH.",
    );
  }
  return { ...values, format };
}

function targets(options: ReturnType<typeof parse>, io: PlanCliIo): Target[] {
  const dir = options.dir ? path.resolve(io.cwd, options.dir) : io.projectDir;
  if (options.all) {
    const files = stackFiles(dir);
    if (files.length === 0) {
      throw new PlanFileError(`${displayPath(dir)}: no stack files (Pulumi.<stack>.yaml) to plan.`);
    }
    return files.map((file) => ({ file, stack: stackNameOf(file) }));
  }
  if (options["config-file"]) {
    const file = path.resolve(io.cwd, options["config-file"]);
    return [{ file, stack: options.stack ?? stackNameOf(file) }];
  }
  const stack = options.stack as string;
  const file = [`Pulumi.${stack}.yaml`, `Pulumi.${stack}.yml`].map((name) => path.join(dir, name)).find((candidate) => fs.existsSync(candidate));
  if (!file) {
    const known = stackFiles(dir).map(stackNameOf);
    throw new PlanFileError(
      `${displayPath(path.join(dir, `Pulumi.${stack}.yaml`))}: no such stack file. ${known.length ? `Stacks here: ${known.join(", ")}.` : "There are no stack files here."}`,
    );
  }
  return [{ file, stack }];
}

/** The file --out names, from the caller's folder; a folder is refused before anything is planned. */
function outputFile(name: string, io: PlanCliIo): string {
  const file = path.resolve(io.cwd, name);
  if (name === "" || fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--out ${name || '""'} is a folder; name the file to write, e.g. --out ${path.join(name, "plan.json")}.`);
  }
  // Overwriting a stack file would lose its config and encrypted secrets; a link is judged by what it points to.
  const written = fs.existsSync(file) ? fs.realpathSync(file) : file;
  if (/^Pulumi(\..+)?\.ya?ml$/i.test(path.basename(written))) {
    throw new UsageError(`--out ${name} would overwrite ${path.basename(written)}, a Pulumi project or stack file; name another file, e.g. --out plan.json.`);
  }
  return file;
}

/**
 * `npm run plan`: plans each stack asked for and prints the plans that succeeded to stdout, or
 * writes them to the --out file; every failure (invalid config, unreadable YAML, a program error)
 * goes to stderr and makes the exit code 1, and a stack that failed prints nothing.
 */
export async function runPlanCli(argv: string[], io: PlanCliIo): Promise<number> {
  let options: ReturnType<typeof parse>;
  let planned: Target[];
  let out: string | undefined;
  try {
    options = parse(argv);
    if (options.help) {
      io.stdout(USAGE);
      return 0;
    }
    planned = targets(options, io);
    out = options.out === undefined ? undefined : outputFile(options.out, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const npm = npmTookOptions(argv, io.env ?? {}, OPTIONS, PLAN_FORMATS);
      io.stderr(npm ?? `${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof PlanFileError) {
      io.stderr(error.message);
      return 1;
    }
    throw error;
  }

  const plans: Plan[] = [];
  let failed = false;
  let program: ReturnType<typeof loadProgram> | undefined;
  for (const target of planned) {
    const where = displayPath(target.file);
    try {
      const project = loadProject(io.projectDir);
      const stack = loadStackConfig(project, target.file, target.stack);
      const { problems, warnings } = validateStackConfig(project, stack);
      if (problems.length > 0) {
        // A stack that runs carries its warnings in the plan; one that stops here shows them with its problems.
        failed = true;
        io.stderr(`${where}: ${invalidConfigError(problems).message}${warnings.map((warning) => `\n  warning: ${describeProblem(warning)}`).join("")}`);
        continue;
      }
      program ??= loadProgram(io.projectDir);
      plans.push(await planStack(project, stack, program));
    } catch (error) {
      failed = true;
      if (isConfigError(error)) {
        io.stderr(`${where}: ${error.message}`);
      } else if (error instanceof PlanFileError) {
        io.stderr(error.message);
      } else {
        io.stderr(`${where}: the program failed while planning stack ${target.stack}: ${(error as Error).message ?? String(error)}`);
      }
    }
  }
  if (plans.length === 0) {
    return 1;
  }
  const rendered = renderPlans(plans, options.format, options.all);
  if (out === undefined) {
    io.stdout(rendered);
    return failed ? 1 : 0;
  }
  try {
    fs.writeFileSync(out, `${rendered}\n`);
  } catch (error) {
    io.stderr(`${displayPath(out)}: cannot write the plan (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
    return 1;
  }
  return failed ? 1 : 0;
}
