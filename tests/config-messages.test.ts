import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, PROJECT, parseConfig } from "../components/config";
import { changeable } from "../components/configChange";
import { checkAwsRegion, checkResourceGroupName, echoValue, isPulumiCiphertext, maskUrlCredentials, nearestName } from "../components/validation";
import { configProblems, configSource, configWarnings } from "./support/config-source";
import { runProgram } from "./support/program";

const VALID = { cerbyWorkspace: "acme", clientSecretStartDate: "2026-11-28" };

describe("echoValue: how every config message shows a value", () => {
  test("a short value is shown whole, quoted", () => {
    expect(echoValue("kv--cerby")).toBe('"kv--cerby"');
  });

  test("a 1 MiB value shows its first 80 characters, an ellipsis and its full length", () => {
    const shown = echoValue("x".repeat(1024 * 1024));
    expect(shown).toBe(`"${"x".repeat(80)}"… (1048576 characters)`);
  });

  test("credentials inside a URL are masked, with and without a scheme; the host stays", () => {
    expect(echoValue("https://admin:hunter2@acme.cerby.com/api/v1")).toBe('"https://***@acme.cerby.com/api/v1"');
    expect(echoValue("see ftp://u:p%40ss@host and deploy:pw@acme")).toBe('"see ftp://***@host and ***@acme"');
    expect(echoValue("https://admin:p@ss@acme.cerby.com")).toBe('"https://***@acme.cerby.com"');
    expect(maskUrlCredentials('redirect to "https://u:p@evil.example/x" refused')).toBe('redirect to "https://***@evil.example/x" refused');
  });

  test("an e-mail address is no credential and is shown", () => {
    expect(echoValue("ops@example.com")).toBe('"ops@example.com"');
  });

  test("a password beyond the first 80 characters is masked before the value is cut", () => {
    const shown = echoValue(`${"a".repeat(70)} https://u:secret-pass@h`);
    expect(shown).not.toContain("secret-pass");
  });

  test("control characters are escaped, so a value cannot rewrite the terminal", () => {
    expect(echoValue("a\u001b[2Jb\n")).toBe('"a\\u001b[2Jb\\n"');
  });
});

describe("the rules behind the corpus", () => {
  test("resource group names: letters and digits of any script, _ - . ( ), up to 90, not ending in a period", () => {
    expect(["rg-Überprüfung", "リソース_グループ", "rg.(prod)-1", "r".repeat(90)].map(checkResourceGroupName)).toEqual([undefined, undefined, undefined, undefined]);
    expect(["rg.", "r".repeat(91), "rg#1", "rg cerby", ""].map((name) => checkResourceGroupName(name) === undefined)).toEqual([false, false, false, false, false]);
  });

  test("AWS Regions: the form, then the Regions the AWS provider knows", () => {
    expect(["us-east-2", "eu-central-2", "us-gov-west-1", "cn-northwest-1", "eusc-de-east-1"].map(checkAwsRegion)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(checkAwsRegion("us-east-7")).toMatch(/is not an AWS Region the AWS provider knows/);
    expect(checkAwsRegion("US East (Ohio)")).toMatch(/must be an AWS Region code/);
  });

  test("Pulumi ciphertext: v1:<base64>:<base64>, or one long base64 text; a pasted word is not", () => {
    expect(isPulumiCiphertext("v1:cGxhbi1maXh0dXJlLW5vbmNl:cGxhbi1maXh0dXJlLWNpcGhlcnRleHQ=")).toBe(true);
    expect(isPulumiCiphertext("AQICAHhVZm9vYmFyYmF6cXV4cXV1eA==")).toBe(true);
    expect([isPulumiCiphertext("hunter22"), isPulumiCiphertext("my-api-key-123"), isPulumiCiphertext(12345), isPulumiCiphertext("")]).toEqual([false, false, false, false]);
  });

  test("did you mean: another case, or up to two edits away, and nothing further", () => {
    expect(nearestName("keyvaultname", ["keyVaultName", "keyName"])).toBe("keyVaultName");
    expect(nearestName("keyVaultNmae", ["keyVaultName", "keyName"])).toBe("keyVaultName");
    expect(nearestName("conifg", ["config", "environment"])).toBe("config");
    expect(nearestName("constructor", ["keyName", "keySize"])).toBeUndefined();
  });
});

describe("config checks the old code let through", () => {
  test.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])("a key named %s is not a setting", (key) => {
    expect(configProblems({ ...VALID, [key]: "x" })).toEqual([`${key} is not a setting of this project. See docs/configuration.md.`]);
  });

  test("a list where a string is expected never becomes a display name", () => {
    expect(configProblems({ ...VALID, applicationName: ["cerby", "keys"] })).toEqual([
      'applicationName is a list ("[\\"cerby\\",\\"keys\\"]"), but it takes one string; write the value on one line, in quotes if it starts with [ or {.',
    ]);
  });

  test("a string key whose text merely starts with a bracket is a string", () => {
    expect(configProblems({ ...VALID, applicationName: "[team] keys" })).toEqual([]);
  });

  test("a key set in a near-miss namespace is reported under the key it meant", () => {
    const source = { ...configSource(VALID), otherKeys: () => ["cerby-external-key:keySize", "azure-native:location"] };
    expect(() => parseConfig(source, () => undefined)).toThrow(
      /- cerby-external-keys:keySize is set as "cerby-external-key:keySize", in the namespace "cerby-external-key", which this project never reads; did you mean cerby-external-keys:keySize\?$/,
    );
  });

  test("keySize says what is allowed for it and shows a huge number by its digits", () => {
    expect(configProblems({ ...VALID, keySize: "100000000000000000000000" })).toEqual([
      "keySize 100000000000000000000000 is not supported; Cerby accepts only 4096-bit RSA keys. Remove the key or set it to 4096.",
    ]);
  });

  test("an empty tag name and a tag without a value are named as such", () => {
    expect(configProblems({ ...VALID, tags: { "": "x" } })).toEqual(["tags has a tag with an empty name; every tag needs a name."]);
    expect(configProblems({ ...VALID, tags: { owner: null } })).toEqual(['tags entry "owner" has no value; give it one or remove the entry.']);
  });

  test("all-zero tenant and subscription IDs are refused while Azure is on", () => {
    const zero = "00000000-0000-0000-0000-000000000000";
    expect(configProblems({ ...VALID, azureTenantId: zero, azureSubscriptionId: zero }).map((problem) => problem.split(" ")[0])).toEqual([
      "azureTenantId",
      "azureSubscriptionId",
    ]);
  });

  test("a key of the disabled integration is type-checked too, as a warning", () => {
    const values = { cerbyWorkspace: "acme", azureEnabled: false, awsEnabled: true, cerbyWorkspaceId: "0b5c2a1e-8d3f-4c6a-9e7b-2f1d4a5c6b7e", cerbyPreflightTimeoutMinutes: "ten" };
    expect(configWarnings(values)).toEqual([
      expect.stringMatching(/^cerbyPreflightTimeoutMinutes "ten" is not a whole number: .*\(Unused while azureEnabled is false/),
    ]);
    expect(configProblems(values)).toEqual([]);
  });

  test("a key added to CONFIG_KEYS that no reader asks for still has its declared type checked", () => {
    CONFIG_KEYS.laterKey = { type: "integer", group: "general", change: changeable(), default: 1, description: "A key another change adds." };
    try {
      expect(configProblems({ ...VALID, laterKey: ["a"] })).toEqual(['laterKey "[\\"a\\"]" is not a whole number: A key another change adds.']);
      expect(configProblems({ ...VALID, laterKey: 5 })).toEqual([]);
    } finally {
      delete CONFIG_KEYS.laterKey;
    }
  });
});

describe("the client secret's end date", () => {
  const today = (date: string) => ({ today: () => date });

  test("a secret that has expired gets a loud warning naming the key, the end date and the fix", () => {
    const warnings: string[] = [];
    parseConfig({ ...configSource({ ...VALID, clientSecretStartDate: "2026-01-01", clientSecretLifetimeDays: 30 }), ...today("2026-11-30") }, (message) =>
      warnings.push(message),
    );
    expect(warnings).toEqual([
      `${PROJECT}:clientSecretStartDate "2026-01-01" with clientSecretLifetimeDays 30: the client secret EXPIRED on 2026-01-31, so Cerby cannot sign in with it. Set clientSecretStartDate to today's date (2026-11-30) to issue a new secret.`,
    ]);
  });

  test("a secret still valid today, or a source that does not know the date, gives no warning", () => {
    expect(configWarnings({ ...VALID })).toEqual([]);
    const warnings: string[] = [];
    parseConfig({ ...configSource({ ...VALID, clientSecretLifetimeDays: 3 }), ...today("2026-11-30") }, (message) => warnings.push(message));
    expect(warnings).toEqual([]);
  });
});

describe("at pulumi up: problems without a stack trace, warnings to the engine's warning log", () => {
  afterEach(() => jest.restoreAllMocks());

  test("a bad key of the disabled AWS integration is a pulumi.log.warn, and the program still runs", async () => {
    const warn = jest.spyOn(pulumi.log, "warn").mockResolvedValue();
    const run = await runProgram({ awsAccountId: "000000000000" });
    expect(run.resources.length).toBeGreaterThan(5);
    expect(warn.mock.calls.map(([message]) => message)).toContainEqual(
      `${PROJECT}:awsAccountId "000000000000" is all zeros, a placeholder; use your own ID. (Unused while awsEnabled is false; fix it before you set awsEnabled to true.)`,
    );
  }, 60_000);

  test("invalid config stops the program with a RunError, which pulumi up prints without a stack trace", async () => {
    const failure = await runProgram({ keySize: 2048, keyVaultName: "https://u:pw-NOT-REAL@kv" }).catch((error: unknown) => error);
    expect(pulumi.RunError.isInstance(failure)).toBe(true);
    expect((failure as Error).message).toMatch(/^Invalid stack configuration \(2 problems\):\n {2}- cerby-external-keys:keySize 2048 is not supported/);
    expect((failure as Error).message).toContain('cerby-external-keys:keyVaultName "https://***@kv"');
    expect((failure as Error).message).not.toContain("pw-NOT-REAL");
  }, 60_000);
});
