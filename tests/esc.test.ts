import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { planInProcess, ROOT } from "./support/plan-run";
import { readText } from "./support/example-files";

/**
 * examples/esc/: a Pulumi ESC environment that supplies the Cerby API key and the Azure and AWS
 * OIDC credentials, and a stack file that imports it. Every stack config key the environment
 * sets must be one the project (Pulumi.yaml's config block) or a provider the program uses
 * declares, and each secret must reach the stack as an ESC secret.
 */

const ENVIRONMENT = "examples/esc/cerby-external-keys-prod.yaml";
const STACK_FILE = "examples/esc/Pulumi.prod.yaml";

interface Project {
  name: string;
  config: Record<string, { secret?: boolean }>;
}

const project = parse(readText("Pulumi.yaml")) as Project;

/** The config keys a provider package declares: the exports of its config module (@pulumi/<name>/config/vars.d.ts). */
function providerKeys(provider: string): string[] | undefined {
  const dependencies = (JSON.parse(readText("package.json")) as { dependencies: Record<string, string> }).dependencies;
  if (!Object.hasOwn(dependencies, `@pulumi/${provider}`)) {
    return undefined;
  }
  const declarations = fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", provider, "config", "vars.d.ts"), "utf8");
  return [...declarations.matchAll(/^export declare const (\w+):/gm)].map((match) => match[1]);
}

/** Provider keys that hold credentials: their values must be secret wherever they come from. */
const CREDENTIAL = /secret|token|password|accessKey/i;

/** Keys an environment's pulumiConfig sets that neither the project nor a provider it uses declares. */
function undeclaredKeys(pulumiConfig: Record<string, unknown>): string[] {
  return Object.keys(pulumiConfig).filter((key) => {
    const [namespace, name] = key.split(":");
    if (namespace === project.name) {
      return !Object.hasOwn(project.config, name);
    }
    return !providerKeys(namespace)?.includes(name);
  });
}

/** The value at a property path (`cerby.apiKey`, `azure.login.oidc.token`) of an environment's values, and what holds it. */
function resolve(values: Record<string, unknown>, reference: string): { secret: boolean } {
  let node: unknown = values;
  for (const segment of reference.split(".")) {
    if (typeof node !== "object" || node === null) {
      return { secret: false };
    }
    const map = node as Record<string, unknown>;
    // An ESC login provider's outputs are credentials ESC returns as secrets (its docs: the
    // azure-login and aws-login providers "return a set of credentials").
    if (Object.keys(map).some((key) => /^fn::open::\w+-login$/.test(key))) {
      return { secret: true };
    }
    node = map[segment];
  }
  return { secret: typeof node === "object" && node !== null && "fn::secret" in node };
}

/** Secret keys (the project's `secret: true` ones and the providers' credentials) whose value is not an ESC secret. */
function unsecretSecrets(environment: { values: Record<string, unknown> }): string[] {
  const pulumiConfig = environment.values.pulumiConfig as Record<string, unknown>;
  return Object.entries(pulumiConfig)
    .filter(([key]) => {
      const [namespace, name] = key.split(":");
      return namespace === project.name ? project.config[name]?.secret === true : CREDENTIAL.test(name);
    })
    .filter(([, value]) => {
      if (typeof value === "object" && value !== null && "fn::secret" in value) {
        return false;
      }
      const reference = typeof value === "string" ? /^\$\{([\w.]+)\}$/.exec(value)?.[1] : undefined;
      return reference === undefined || !resolve(environment.values, reference).secret;
    })
    .map(([key]) => key);
}

const environment = parse(readText(ENVIRONMENT)) as { values: Record<string, unknown> };
const pulumiConfig = environment.values.pulumiConfig as Record<string, unknown>;

describe("examples/esc/: the ESC environment", () => {
  test("supplies the Cerby API key and the Azure and AWS OIDC logins", () => {
    expect(pulumiConfig[`${project.name}:cerbyApiKey`]).toBe("${cerby.apiKey}");
    expect(environment.values.azure).toMatchObject({ login: { "fn::open::azure-login": { oidc: true } } });
    expect(environment.values.aws).toMatchObject({ login: { "fn::open::aws-login": { oidc: { roleArn: expect.stringMatching(/^arn:aws:iam::\d{12}:role\//) } } } });
    // The program's AWS providers are explicit, so they read credentials from the environment, never aws: config.
    expect(Object.keys(pulumiConfig).filter((key) => key.startsWith("aws:"))).toEqual([]);
    expect(environment.values.environmentVariables).toMatchObject({
      AWS_ACCESS_KEY_ID: "${aws.login.accessKeyId}",
      AWS_SECRET_ACCESS_KEY: "${aws.login.secretAccessKey}",
      AWS_SESSION_TOKEN: "${aws.login.sessionToken}",
      ARM_OIDC_TOKEN: "${azure.login.oidc.token}",
    });
  });

  test("sets only config keys the project or a provider it uses declares", () => {
    expect(Object.keys(pulumiConfig).length).toBeGreaterThan(5);
    expect(undeclaredKeys(pulumiConfig)).toEqual([]);
  });

  test("the key check catches a misspelt project key, a provider key that does not exist and a provider the project does not use", () => {
    expect(undeclaredKeys({ [`${project.name}:cerbyApikey`]: "x", "azure-native:oidcTokn": "x", "gcp:project": "x", "azuread:tenantId": "x" })).toEqual([
      `${project.name}:cerbyApikey`,
      "azure-native:oidcTokn",
      "gcp:project",
    ]);
  });

  test("every secret it sets is an ESC secret: the API key under fn::secret, the OIDC tokens from the login providers", () => {
    expect(environment.values.cerby).toEqual({ apiKey: { "fn::secret": expect.any(String) } });
    expect(unsecretSecrets(environment)).toEqual([]);
  });

  test("the secret check catches an API key in plain text and a token that is not from a login", () => {
    const broken = {
      values: {
        ...environment.values,
        cerby: { apiKey: "pasted-in-clear" },
        pulumiConfig: { ...pulumiConfig, "azuread:oidcToken": "eyJ-pasted" },
      },
    };
    expect(unsecretSecrets(broken).sort()).toEqual(["azuread:oidcToken", `${project.name}:cerbyApiKey`]);
  });
});

describe("examples/esc/: the stack file that imports it", () => {
  test("imports the environment by the name its file says to create it under, and holds no secret", () => {
    const stack = parse(readText(STACK_FILE)) as { environment: string[]; config: Record<string, unknown> };
    const created = /pulumi env init (\S+) --file examples\/esc\/cerby-external-keys-prod\.yaml/.exec(readText(ENVIRONMENT))?.[1];
    expect(stack.environment).toEqual([created]);
    const secretKeys = Object.keys(project.config).filter((key) => project.config[key].secret);
    expect(Object.keys(stack.config).filter((key) => secretKeys.includes(key.split(":")[1]))).toEqual([]);
  });

  test("plans offline with no problem, noting that the environment's values are left out", async () => {
    const { code, stdout, stderr } = await planInProcess("--config-file", STACK_FILE, "--stack", "prod", "--format", "json");
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect((JSON.parse(stdout) as { notes: string[] }).notes).toContainEqual(expect.stringMatching(/imports Pulumi ESC environments/));
  });
});
