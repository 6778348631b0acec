import { parseDocument } from "yaml";
import {
  actionsUsed,
  configKeysNamed,
  exampleFiles,
  jobsWithoutIdToken,
  missingNpmScripts,
  npmScriptsCalled,
  parseWorkflow,
  planFlags,
  readText,
  storedCredentials,
  unknownConfigKeys,
  unpinnedActions,
  yamlErrors,
} from "./support/example-files";
import { planInProcess } from "./support/plan-run";

/**
 * The pipeline files under examples/pipelines/ and the text of every example: each file parses,
 * calls only scripts package.json has and config keys the project knows, pins its actions to
 * commit SHAs and signs in to the clouds with OIDC, never with a stored credential. Each check is
 * also shown to catch a broken copy, so none of them passes vacuously.
 */

const GITHUB = ["examples/pipelines/github/pull-request.yml", "examples/pipelines/github/deploy.yml", "examples/pipelines/github/scheduled.yml"];
const AZURE_DEVOPS = [
  "examples/pipelines/azure-devops/pull-request.yml",
  "examples/pipelines/azure-devops/deploy.yml",
  "examples/pipelines/azure-devops/scheduled.yml",
  "examples/pipelines/azure-devops/templates/setup.yml",
  "examples/pipelines/azure-devops/templates/signed-in.yml",
];
const PIPELINES = [...GITHUB, ...AZURE_DEVOPS];
const YAML_FILES = exampleFiles().filter((file) => /\.ya?ml$/.test(file));
const TEXT_FILES = exampleFiles().filter((file) => /\.(ya?ml|md)$/.test(file));

/** The first occurrence of `find` in `text` replaced, failing loudly when it is not there. */
function broken(text: string, find: string | RegExp, replace: string): string {
  const changed = text.replace(find, replace);
  expect(changed).not.toBe(text);
  return changed;
}

describe("examples/pipelines/: the files", () => {
  test("are the GitHub Actions workflows and Azure Pipelines files the README lists, and nothing else", () => {
    expect(exampleFiles().filter((file) => file.startsWith("examples/pipelines/") && /\.ya?ml$/.test(file)).sort()).toEqual([...PIPELINES].sort());
  });

  test.each(YAML_FILES)("%s parses as YAML", (file) => {
    expect(yamlErrors(readText(file))).toEqual([]);
  });

  test("the YAML check catches a broken file", () => {
    expect(yamlErrors(broken(readText(GITHUB[1]), "    runs-on:", "  runs-on: [\n"))).not.toEqual([]);
  });
});

describe("examples/: every npm script and config key named exists", () => {
  test.each(TEXT_FILES)("%s calls only npm scripts that package.json has", (file) => {
    expect(missingNpmScripts(readText(file))).toEqual([]);
  });

  test.each(TEXT_FILES)("%s names only config keys of the project (CONFIG_KEYS)", (file) => {
    expect(unknownConfigKeys(readText(file))).toEqual([]);
  });

  test("the checks find the scripts and keys, and catch a wrong one", () => {
    const deploy = readText(GITHUB[1]);
    expect(new Set(npmScriptsCalled(deploy))).toEqual(new Set(["plan", "verify"]));
    expect(missingNpmScripts(broken(deploy, "npm run --silent verify", "npm run --silent verfy"))).toEqual(["verfy"]);
    expect(new Set(configKeysNamed(deploy))).toEqual(new Set(["cerbyApiKey"]));
    expect(unknownConfigKeys(broken(deploy, "pulumi config get cerbyApiKey", "pulumi config get cerbyApiToken"))).toEqual(["cerbyApiToken"]);
    const production = readText("examples/Pulumi.azure-production.yaml");
    expect(configKeysNamed(production)).toEqual(expect.arrayContaining(["cerbyApiKey", "alertWebhookUrl", "keyVaultSku", "networkDefaultAction"]));
    expect(unknownConfigKeys(broken(production, "cerby-external-keys:keyVaultSku:", "cerby-external-keys:keyvaultSku:"))).toEqual(["keyvaultSku"]);
    expect(configKeysNamed("pulumi config set --path 'adoptApplyDefaults[0]' purgeProtection")).toEqual(["adoptApplyDefaults"]);
  });

  test.each(PIPELINES.filter((file) => readText(file).includes("npm run plan")))("%s passes the offline plan only flags it has", async (file) => {
    const { stdout } = await planInProcess("--help");
    const flags = planFlags(readText(file));
    expect(flags.length).toBeGreaterThan(0);
    expect(flags.filter((flag) => !stdout.includes(`${flag} `))).toEqual([]);
  });

  test("the flag check reads the flags after npm run plan's -- and catches one the planner lacks", async () => {
    const { stdout } = await planInProcess("--help");
    const text = broken(readText(GITHUB[0]), "--format markdown", "--output markdown");
    expect(planFlags(text)).toEqual(["--stack", "--output"]);
    expect(planFlags(text).filter((flag) => !stdout.includes(`${flag} `))).toEqual(["--output"]);
  });
});

describe("examples/pipelines/github: pinned actions and OIDC", () => {
  test.each(GITHUB)("%s pins every action to a full commit SHA, with its version in a comment", (file) => {
    const text = readText(file);
    expect(actionsUsed(text).length).toBeGreaterThan(0);
    expect(unpinnedActions(text)).toEqual([]);
  });

  test("the pin check catches a tag, a short SHA and a missing version comment", () => {
    const text = readText(GITHUB[0]);
    expect(unpinnedActions(broken(text, /actions\/checkout@[0-9a-f]{40} # v7\.0\.1/, "actions/checkout@v7"))).toEqual(["actions/checkout@v7"]);
    expect(unpinnedActions(broken(text, /actions\/checkout@[0-9a-f]{40}/, "actions/checkout@3d3c42e"))).toEqual(["actions/checkout@3d3c42e"]);
    expect(unpinnedActions(broken(text, / # v7\.0\.1/, ""))).toEqual(["actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"]);
    expect(unpinnedActions(`${text}\n      - { uses: actions/checkout@v7 }\n`)).toEqual(["1 uses: not on a line of its own"]);
  });

  test.each(GITHUB)("%s: every job that signs in to a cloud asks for id-token: write; the workflow grants nothing by default", (file) => {
    const text = readText(file);
    expect(parseWorkflow(text).permissions).toEqual({});
    expect(jobsWithoutIdToken(text)).toEqual([]);
  });

  test("the id-token check catches a job without it", () => {
    expect(jobsWithoutIdToken(broken(readText(GITHUB[1]), "      id-token: write\n", ""))).toEqual(["deploy"]);
  });

  test("Azure signs in with azure/login (client, tenant and subscription IDs) and ARM_USE_OIDC; AWS with a role to assume", () => {
    for (const file of GITHUB) {
      const workflow = parseWorkflow(readText(file));
      const cloudJobs = Object.values(workflow.jobs).filter((job) => job.env?.ARM_USE_OIDC);
      expect(cloudJobs.length).toBeGreaterThan(0);
      for (const job of cloudJobs) {
        expect(job.env).toMatchObject({ ARM_USE_OIDC: "true", ARM_CLIENT_ID: "${{ vars.AZURE_CLIENT_ID }}" });
        const steps = job.steps as { uses?: string; with?: Record<string, string> }[];
        expect(steps.find((step) => step.uses?.startsWith("azure/login@"))?.with).toEqual({
          "client-id": "${{ vars.AZURE_CLIENT_ID }}",
          "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
          "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
        });
        expect(steps.find((step) => step.uses?.startsWith("aws-actions/configure-aws-credentials@"))?.with).toEqual({
          "role-to-assume": "${{ vars.AWS_ROLE_ARN }}",
          "aws-region": "us-east-2",
        });
      }
    }
  });

  test("Node.js 24, the LTS line the README and CONTRIBUTING.md recommend and package.json's engines admit, in every job", () => {
    expect(JSON.parse(readText("package.json")).engines.node).toContain("^24.");
    for (const file of GITHUB) {
      for (const job of Object.values(parseWorkflow(readText(file)).jobs)) {
        const setup = (job.steps as { uses?: string; with?: Record<string, unknown> }[]).filter((step) => step.uses?.startsWith("actions/setup-node@"));
        expect(setup.map((step) => step.with?.["node-version"])).toEqual([24]);
      }
    }
  });
});

describe("examples/pipelines/: dependencies install without their install scripts", () => {
  // The jobs hold the Pulumi secret and GitHub's OIDC request token in their environment: a
  // dependency's install script would run with them. package.json's allowScripts refuses every
  // one, but npm 10 and 11 run them anyway; --ignore-scripts is what stops them.
  test.each(PIPELINES)("%s installs with npm ci --ignore-scripts only", (file) => {
    const installs = readText(file).match(/\bnpm (?:ci|install)\b[^\n]*/g) ?? [];
    expect(installs.filter((line) => !/^npm ci --ignore-scripts\b/.test(line))).toEqual([]);
  });
});

describe("examples/pipelines/: the deploying identity is reachable from main only", () => {
  // Entra ID and AWS trust the environment or service connection, not the branch: a pull request
  // that edits its own workflow to name them would otherwise deploy its own code.
  test("GitHub's deploy workflow has the production environment limited to the main branch, not only reviewers", () => {
    expect(readText(GITHUB[1]).replace(/\n# /g, " ")).toMatch(/Deployment branches "main" only/);
  });

  test("Azure Pipelines' deploy puts approval and Branch control on the deploying service connection itself", () => {
    expect(readText(AZURE_DEVOPS[1]).replace(/\n# /g, " ")).toMatch(/give the connection itself the approval and a Branch control check \(refs\/heads\/main\)/);
  });
});

describe("examples/pipelines/: no stored cloud credential; only Pulumi's secret", () => {
  test.each(PIPELINES)("%s reads no cloud secret and no secret but the Pulumi access token or passphrase", (file) => {
    expect(storedCredentials(readText(file))).toEqual([]);
  });

  test("the check catches a client secret, access keys and any other secret", () => {
    const text = readText(GITHUB[1]);
    expect(storedCredentials(broken(text, "ARM_USE_OIDC: \"true\"", "ARM_CLIENT_SECRET: ${{ secrets.AZURE_CLIENT_SECRET }}"))).toEqual([
      "ARM_CLIENT_SECRET",
      "AZURE_CLIENT_SECRET",
      "secrets.AZURE_CLIENT_SECRET",
    ]);
    expect(storedCredentials(broken(text, "role-to-assume: ${{ vars.AWS_ROLE_ARN }}", "aws-access-key-id: ${{ vars.KEY_ID }}"))).toEqual(["aws-access-key-id:"]);
    expect(storedCredentials(broken(text, "${{ secrets.PULUMI_ACCESS_TOKEN }}", "${{ secrets.CERBY_API_KEY }}"))).toEqual(["secrets.CERBY_API_KEY"]);
    expect(storedCredentials(broken(readText(AZURE_DEVOPS[4]), '"$idToken"', '"$servicePrincipalKey"'))).toEqual(["servicePrincipalKey"]);
  });

  test("Azure Pipelines signs in through AzureCLI@2 with the service connection's OIDC token, and pins each task's major version", () => {
    const signedIn = readText(AZURE_DEVOPS[4]);
    const task = (parseDocument(signedIn).toJS() as { steps: { task: string; inputs: Record<string, unknown> }[] }).steps[0];
    expect(task.task).toBe("AzureCLI@2");
    expect(task.inputs).toMatchObject({ addSpnToEnvironment: true, scriptType: "bash" });
    expect(task.inputs.inlineScript).toMatch(/export ARM_USE_OIDC=true ARM_OIDC_TOKEN="\$idToken"/);
    for (const file of AZURE_DEVOPS) {
      const tasks = [...readText(file).matchAll(/^\s*-?\s*task:\s*(\S+)/gm)].map((match) => match[1]);
      expect(tasks.filter((name) => !/^\w+@\d+$/.test(name))).toEqual([]);
    }
    expect(readText(AZURE_DEVOPS[3])).toMatch(/versionSpec: 24\.x/);
  });
});

describe("examples/pipelines/: each flavour does what examples/README.md promises", () => {
  const flavours = [
    { name: "GitHub Actions", files: GITHUB.slice(0, 3) },
    { name: "Azure Pipelines", files: AZURE_DEVOPS.slice(0, 3) },
  ];

  test.each(flavours)("$name: the pull-request pipeline comments the offline plan as markdown and runs pulumi preview", ({ files }) => {
    const text = readText(files[0]);
    expect(text).toMatch(/npm run plan --silent -- --stack "\$STACK" --format markdown > plan\.md/);
    expect(text).toMatch(/command: preview|pulumi preview /);
    expect(text).not.toMatch(/command: up|pulumi up/);
  });

  test.each(flavours)("$name: the deploy pipeline runs on main, plans offline first, then pulumi up and npm run verify", ({ files }) => {
    const text = readText(files[1]);
    expect(text).toMatch(/branches:(?: \[main\]|\n\s+include: \[main\])/);
    const order = [/npm run plan --silent -- --stack/, /command: up|pulumi up --yes/, /npm run --silent verify -- --outputs -/].map((pattern) => text.search(pattern));
    expect(order.every((index) => index > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test.each(flavours)("$name: every npm run verify in the deploy and scheduled pipelines is --scheduled, a flag verify has, so a check it could not prove fails the run", async ({ files }) => {
    const { main } = await import("../scripts/verify");
    let usage = "";
    const io = { stdin: process.stdin, stdout: { write: (text: string) => (usage += text) }, stderr: { write: () => true }, env: {} };
    expect(await main(["--help"], io)).toBe(0);
    expect(usage).toMatch(/--scheduled +.*could not be proved fails the run/);
    for (const file of files.slice(1)) {
      const calls = readText(file).match(/npm run --silent verify -- [^\n]*/g) ?? [];
      expect(calls.length).toBeGreaterThan(0);
      expect(calls.filter((call) => !/(?:^|\s)--scheduled(?:\s|$)/.test(call))).toEqual([]);
    }
  });

  test.each(flavours)("$name: the scheduled pipeline runs npm run verify and the drift check", ({ files }) => {
    const text = readText(files[2]);
    expect(text).toMatch(/cron: "17 6 \* \* \*"/);
    expect(text).toContain("npm run --silent verify -- --outputs -");
    expect(text).toMatch(/pulumi refresh --preview-only --expect-no-changes/);
  });
});

describe("examples/pipelines/: the policy pack and the state", () => {
  const flavours = [
    { name: "GitHub Actions", files: GITHUB.slice(0, 3) },
    { name: "Azure Pipelines", files: AZURE_DEVOPS.slice(0, 3) },
  ];

  test.each(flavours)("$name: every pulumi preview and pulumi up runs the repository's policy pack", ({ files }) => {
    for (const file of files) {
      const text = readText(file);
      const runs = [...text.matchAll(/command: (?:preview|up)\b[\s\S]*?(?=\n\s*- |$)|pulumi (?:preview|up) --[^\n]*/g)].map((match) => match[0]);
      expect({ file, without: runs.filter((run) => !/policyPacks: policy\b|--policy-pack policy\b/.test(run)) }).toEqual({ file, without: [] });
    }
    expect(files.map(readText).join("\n")).toMatch(/policyPacks: policy|--policy-pack policy/);
  });

  test("the state guard reads PULUMI_BACKEND_URL, which wins over Pulumi.yaml, and every job that runs pulumi gets it", () => {
    for (const file of [...GITHUB.slice(0, 3), AZURE_DEVOPS[3]]) {
      const text = readText(file);
      expect({ file, readsPulumiYaml: /grep[^\n]*Pulumi\.yaml/.test(text) }).toEqual({ file, readsPulumiYaml: false });
    }
    for (const file of GITHUB.slice(0, 3)) {
      const workflow = parseWorkflow(readText(file));
      const pulumiJobs = Object.entries(workflow.jobs).filter(([, job]) => (job.steps ?? []).some((step) => /pulumi\/actions@|pulumi (?:preview|up|refresh|config|stack)/.test(`${step.uses ?? ""} ${step.run ?? ""}`)));
      expect(pulumiJobs.length).toBeGreaterThan(0);
      expect(pulumiJobs.filter(([, job]) => job.env?.PULUMI_BACKEND_URL !== "${{ vars.PULUMI_BACKEND_URL }}").map(([name]) => `${file} ${name}`)).toEqual([]);
    }
    expect(readText(AZURE_DEVOPS[3])).toMatch(/if \[ -z "\$\{PULUMI_BACKEND_URL:-\}" \] \|\| \[\[ "\$PULUMI_BACKEND_URL" == file:\/\/\* \]\]/);
  });
});
