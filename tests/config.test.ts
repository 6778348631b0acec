import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS, cerbyApiBaseUrl, isConfigError, parseConfig, type ConfigSource, type StackConfig } from "../components/config";
import { configProblems, configSource } from "./support/config-source";

const VALID: Record<string, string> = {
  cerbyWorkspace: "acme",
  clientSecretStartDate: "2026-11-28",
};

function source(values: Record<string, unknown>): ConfigSource {
  return configSource({ ...VALID, ...values });
}

function problemsOf(values: Record<string, unknown>): string[] {
  return configProblems({ ...VALID, ...values });
}

describe("parseConfig accepts good config", () => {
  test("the smallest config gives the documented defaults", () => {
    const config: StackConfig = parseConfig(source({}));
    expect(config.cerby).toEqual({ workspace: "acme", apiUrl: undefined, registration: "auto", registrationWaitMinutes: 0 });
    expect(config.azure).toEqual({
      tenantId: undefined,
      subscriptionId: undefined,
      location: "eastus",
      resourceGroupName: "rg-cerby-external-keys",
      createResourceGroup: true,
      keyVaultName: undefined,
      keyVaultSku: "standard",
      softDeleteRetentionDays: 90,
      purgeProtection: true,
      deleteLock: true,
      networkDefaultAction: "Allow",
      networkAllowedIpRanges: [],
      keyName: "cerby-external-key",
      keyType: "RSA",
      keySize: 4096,
      applicationName: "cerby-external-keys",
      servicePrincipalRole: "crypto-user",
      roleScope: "key",
      clientSecretStartDate: "2026-11-28",
      exportClientSecret: false,
      clientSecretLifetimeDays: 180,
      grantDeployerAccess: true,
      deployerObjectId: undefined,
      deployerPrincipalType: "auto",
      deployerRole: "custom",
      rolePropagationWaitSeconds: 60,
      rolePropagationTimeoutMinutes: 15,
      cerbyVaultName: "Azure Key Vault",
      cerbyVaultSetAsDefault: false,
      cerbyVaultOnDelete: "retain",
      preflight: { enabled: true, timeoutMs: 600_000 },
      tags: {},
    });
  });

  test("a rotation confirmation may name the current start date, or an earlier one while a rotation awaits it", () => {
    expect(parseConfig(source({ cerbyClientSecretConfirmedStartDate: "2026-11-28" })).azure?.cerbyClientSecretConfirmedStartDate).toBe("2026-11-28");
    expect(parseConfig(source({ cerbyClientSecretConfirmedStartDate: "2026-05-01" })).azure?.cerbyClientSecretConfirmedStartDate).toBe("2026-05-01");
    expect(parseConfig(source({})).azure?.cerbyClientSecretConfirmedStartDate).toBeUndefined();
  });

  test("choices are matched without regard to case and come back in their canonical spelling", () => {
    const azure = parseConfig(source({ keyVaultSku: "Premium", keyType: "rsa-hsm", networkDefaultAction: "deny", networkAllowedIpRanges: ["10.0.0.0/8"] })).azure!;
    expect([azure.keyVaultSku, azure.keyType, azure.networkDefaultAction]).toEqual(["premium", "RSA-HSM", "Deny"]);
  });

  test("empty strings count as unset, as `pulumi config set key \"\"` leaves them", () => {
    expect(parseConfig(source({ keyVaultName: "", azureTenantId: "" })).azure).toMatchObject({ keyVaultName: undefined, tenantId: undefined });
  });

  test("numeric and boolean tag values are kept as strings", () => {
    expect(parseConfig(source({ tags: { costCenter: 1234, shared: true } })).azure!.tags).toEqual({ costCenter: "1234", shared: "true" });
  });

  test.each([
    ["https://acme.cerby.com", "https://acme.cerby.com/api/v1"],
    ["https://ACME.cerby.com/api/v1/", "https://acme.cerby.com/api/v1"],
    ["https://acme.cerby.com:443/", "https://acme.cerby.com/api/v1"],
    ["http://127.0.0.1:8080/api/v1", "http://127.0.0.1:8080/api/v1"],
    ["http://127.1.2.3:8080/", "http://127.1.2.3:8080"],
    ["http://localhost:3000/api/v1/", "http://localhost:3000/api/v1"],
    ["http://[::1]:3000/api/v1", "http://[::1]:3000/api/v1"],
  ])("cerbyApiUrl %s is a Cerby host or a loopback emulator, and the stack's API URL is %s", (value, normalized) => {
    const config = parseConfig(source({ cerbyApiUrl: value }));
    expect(config.cerby.apiUrl).toBe(value);
    expect(cerbyApiBaseUrl(config.cerby)).toBe(normalized);
  });

  test("azureEnabled false leaves out the Azure part, and a bad Azure key set is a warning that names it", () => {
    const warnings: string[] = [];
    const config = parseConfig(
      source({ azureEnabled: "false", keyVaultName: "x", keySize: 2048, awsEnabled: "true", cerbyWorkspaceId: "0b5c2a1e-8d3f-4c6a-9e7b-2f1d4a5c6b7e" }),
      (message) => warnings.push(message),
    );
    expect(config.azure).toBeUndefined();
    expect(warnings).toEqual([
      expect.stringMatching(/^cerby-external-keys:keySize 2048 is not supported; Cerby accepts only 4096-bit RSA keys\..* \(Unused while azureEnabled is false/),
      expect.stringMatching(/^cerby-external-keys:keyVaultName "x" is 1 characters; .* \(Unused while azureEnabled is false; fix it before you set azureEnabled to true\.\)$/),
    ]);
  });
});

// Each row: the bad config, and a pattern the one resulting problem must match (key first).
const BAD_INPUTS: Array<[string, Record<string, unknown>, RegExp]> = [
  ["missing workspace", { cerbyWorkspace: undefined }, /^cerbyWorkspace is required: .*pulumi config set cerbyWorkspace acme/],
  ["workspace with a dot", { cerbyWorkspace: "acme.cerby.com" }, /^cerbyWorkspace "acme\.cerby\.com" must be the workspace's subdomain/],
  ["workspace in capitals", { cerbyWorkspace: "ACME" }, /^cerbyWorkspace "ACME" must be the workspace's subdomain/],
  ["API URL over plain http", { cerbyApiUrl: "http://acme.cerby.com/api/v1" }, /^cerbyApiUrl "http:\/\/acme\.cerby\.com\/api\/v1" is not a Cerby API URL/],
  ["API URL on another https host", { cerbyApiUrl: "https://cerby.attacker.example/api/v1" }, /^cerbyApiUrl "https:\/\/cerby\.attacker\.example\/api\/v1" is not a Cerby API URL: .*https:\/\/<workspace>\.cerby\.com/],
  ["API URL on a host that only ends like Cerby's", { cerbyApiUrl: "https://acme.cerby.com.attacker.example" }, /^cerbyApiUrl .* is not a Cerby API URL/],
  ["API URL on Cerby's host with a port", { cerbyApiUrl: "https://acme.cerby.com:8443/api/v1" }, /^cerbyApiUrl .* is not a Cerby API URL/],
  ["API URL on Cerby's host with another path", { cerbyApiUrl: "https://acme.cerby.com/proxy/api/v1" }, /^cerbyApiUrl .* is not a Cerby API URL/],
  ["API URL on another workspace's Cerby host", { cerbyApiUrl: "https://attacker.cerby.com/api/v1" }, /^cerbyApiUrl is not workspace "acme"'s host \(acme\.cerby\.com\)/],
  ["API URL on Cerby's status host", { cerbyApiUrl: "https://status.cerby.com" }, /^cerbyApiUrl is not workspace "acme"'s host/],
  ["API URL with a query", { cerbyApiUrl: "https://acme.cerby.com/api/v1?x=1" }, /^cerbyApiUrl .* must not have a query or a fragment/],
  ["API URL with a fragment", { cerbyApiUrl: "https://acme.cerby.com/api/v1#x" }, /^cerbyApiUrl .* must not have a query or a fragment/],
  ["API URL that is not a URL", { cerbyApiUrl: "acme.cerby.com" }, /^cerbyApiUrl "acme\.cerby\.com" is not a URL/],
  ["API URL with credentials, the password not echoed", { cerbyApiUrl: "https://user:hunter2-pw@acme.cerby.com/api/v1" }, /^cerbyApiUrl "https:\/\/\*\*\*@acme\.cerby\.com\/api\/v1" must not carry user info/],
  ["tenant that is not a GUID", { azureTenantId: "contoso.onmicrosoft.com" }, /^azureTenantId "contoso\.onmicrosoft\.com" must be a GUID/],
  ["subscription that is not a GUID", { azureSubscriptionId: "1234" }, /^azureSubscriptionId "1234" must be a GUID/],
  ["location with spaces", { azureLocation: "East US" }, /^azureLocation "East US" must be an Azure region name/],
  ["resource group ending in a period", { resourceGroupName: "rg." }, /^resourceGroupName "rg\." must be 1–90 letters/],
  ["createResourceGroup not a boolean", { createResourceGroup: "yes" }, /^createResourceGroup "yes" is not a boolean; use true or false/],
  ["vault name too short", { keyVaultName: "kv" }, /^keyVaultName "kv" is 2 characters; a Key Vault name must be 3–24 characters/],
  ["vault name too long", { keyVaultName: "kv-cerby-far-too-long-name" }, /^keyVaultName ".*" is 26 characters/],
  ["vault name starting with a digit", { keyVaultName: "1kv-cerby" }, /^keyVaultName "1kv-cerby" must start with a letter/],
  ["vault name ending with a hyphen", { keyVaultName: "kv-cerby-" }, /^keyVaultName "kv-cerby-" must end with a letter or a digit/],
  ["vault name with a double hyphen", { keyVaultName: "kv--cerby" }, /^keyVaultName "kv--cerby" must not contain two hyphens in a row/],
  ["vault name with an underscore", { keyVaultName: "kv_cerby" }, /^keyVaultName "kv_cerby" may contain only letters, digits and hyphens/],
  ["unknown SKU", { keyVaultSku: "basic" }, /^keyVaultSku "basic" is not allowed; use one of: standard, premium/],
  ["retention below 7", { softDeleteRetentionDays: 6 }, /^softDeleteRetentionDays 6 is out of range; use a number from 7 to 90/],
  ["retention above 90", { softDeleteRetentionDays: 91 }, /^softDeleteRetentionDays 91 is out of range/],
  ["unknown registration mode", { cerbyRegistration: "manual" }, /^cerbyRegistration "manual" is not allowed; use one of: api, guided, auto/],
  ["registration wait above an hour", { cerbyRegistrationWaitMinutes: 61 }, /^cerbyRegistrationWaitMinutes 61 is out of range; use a number from 0 to 60/],
  ["negative registration wait", { cerbyRegistrationWaitMinutes: -1 }, /^cerbyRegistrationWaitMinutes -1 is out of range/],
  ["retention not a number", { softDeleteRetentionDays: "ninety" }, /^softDeleteRetentionDays "ninety" is not a whole number/],
  ["purgeProtection not a boolean", { purgeProtection: "on" }, /^purgeProtection "on" is not a boolean/],
  ["key name with a space", { keyName: "cerby key" }, /^keyName "cerby key" may contain only letters, digits and hyphens/],
  ["key name too long", { keyName: "k".repeat(128) }, /^keyName "k{80}"… \(128 characters\) is 128 characters; a key name must be 1–127 characters/],
  ["EC key type", { keyType: "EC" }, /^keyType "EC" is not allowed; use one of: RSA, RSA-HSM/],
  ["RSA-HSM on a standard vault", { keyType: "RSA-HSM" }, /^keyType "RSA-HSM" needs keyVaultSku premium/],
  ["2048-bit key", { keySize: 2048 }, /^keySize 2048 is not supported; Cerby accepts only 4096-bit RSA keys/],
  ["unknown role", { servicePrincipalRole: "owner" }, /^servicePrincipalRole "owner" is not allowed; use one of: crypto-user, minimal, crypto-officer, administrator/],
  ["unknown deployer role", { deployerRole: "owner" }, /^deployerRole "owner" is not allowed; use one of: custom, crypto-officer/],
  ["unknown role scope", { roleScope: "subscription" }, /^roleScope "subscription" is not allowed; use one of: key, vault/],
  ["secret lifetime of 0 days", { clientSecretLifetimeDays: 0 }, /^clientSecretLifetimeDays 0 is out of range; use a number from 1 to 730/],
  ["secret lifetime above two years", { clientSecretLifetimeDays: 731 }, /^clientSecretLifetimeDays 731 is out of range/],
  ["missing secret start date", { clientSecretStartDate: undefined }, /^clientSecretStartDate is required: .*pulumi config set clientSecretStartDate <today, YYYY-MM-DD>/],
  ["secret start date in another format", { clientSecretStartDate: "28/11/2026" }, /^clientSecretStartDate "28\/11\/2026" must be a date written YYYY-MM-DD/],
  ["secret start date that does not exist", { clientSecretStartDate: "2026-02-30" }, /^clientSecretStartDate "2026-02-30" is not a calendar date/],
  ["rotation confirmation that is not a date", { cerbyClientSecretConfirmedStartDate: "yes" }, /^cerbyClientSecretConfirmedStartDate "yes" must be a date written YYYY-MM-DD/],
  [
    "rotation confirmation after the secret's start date (names no secret of the stack)",
    { cerbyClientSecretConfirmedStartDate: "2026-12-01" },
    /^cerbyClientSecretConfirmedStartDate "2026-12-01" is after clientSecretStartDate "2026-11-28", so it names no secret of this stack; set it to "2026-11-28"/,
  ],
  ["unknown firewall action", { networkDefaultAction: "Block" }, /^networkDefaultAction "Block" is not allowed; use one of: Allow, Deny/],
  ["Deny with no allowed ranges", { networkDefaultAction: "Deny" }, /^networkAllowedIpRanges is empty while networkDefaultAction is Deny/],
  ["allowed range that is not an address", { networkAllowedIpRanges: ["office"] }, /^networkAllowedIpRanges item "office" must be an IPv4 address or CIDR range/],
  ["allowed range with a bad prefix", { networkAllowedIpRanges: ["10.0.0.0/33"] }, /^networkAllowedIpRanges item "10\.0\.0\.0\/33" has a prefix length above 32/],
  ["allowed ranges not a list", { networkAllowedIpRanges: "10.0.0.0/8" }, /^networkAllowedIpRanges "10\.0\.0\.0\/8" is not a list of strings/],
  ["tags as a list", { tags: ["a", "b"] }, /^tags must be a map of strings/],
  ["tag holding an object", { tags: { team: { name: "x" } } }, /^tags entry "team" must be a string, not a map\./],
  ["tag name with a slash", { tags: { "a/b": "x" } }, /^tags name "a\/b" must be at most 512 characters and contain none of/],
  ["unknown deployer principal type", { deployerPrincipalType: "robot" }, /^deployerPrincipalType "robot" is not allowed; use one of: auto, User, ServicePrincipal, Group/],
  ["deployer object ID that is not a GUID", { deployerObjectId: "ci-pipeline" }, /^deployerObjectId "ci-pipeline" must be a GUID/],
  ["pinned deployer without its kind", { deployerObjectId: "33333333-3333-4333-8333-333333333333" }, /^deployerPrincipalType must name the kind of identity deployerObjectId is/],
  ["wait above 15 minutes", { rolePropagationWaitSeconds: 901 }, /^rolePropagationWaitSeconds 901 is out of range; use a number from 0 to 900/],
  ["readiness bound above an hour", { rolePropagationTimeoutMinutes: 61 }, /^rolePropagationTimeoutMinutes 61 is out of range; use a number from 1 to 60/],
  ["empty Cerby vault name", { cerbyAzureVaultName: "   " }, /^cerbyAzureVaultName "   " must be 1–100 characters/],
  ["Cerby onDelete delete", { cerbyAzureVaultOnDelete: "delete" }, /^cerbyAzureVaultOnDelete "delete" is not allowed; use one of: retain, disable/],
  ["preflight switch not a boolean", { cerbyPreflight: "skip" }, /^cerbyPreflight "skip" is not a boolean/],
  ["preflight bound above an hour", { cerbyPreflightTimeoutMinutes: 61 }, /^cerbyPreflightTimeoutMinutes 61 is out of range; use a number from 1 to 60/],
  ["set-as-default not a boolean", { cerbyAzureVaultSetAsDefault: "1" }, /^cerbyAzureVaultSetAsDefault "1" is not a boolean/],
];

describe("parseConfig rejects bad config with a message naming the key, the value and the fix", () => {
  test(`the table holds at least 30 cases (${BAD_INPUTS.length})`, () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(30);
  });

  test.each(BAD_INPUTS)("%s", (_name, values, expected) => {
    const problems = problemsOf(values);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  test("every problem is reported at once, each on its own line with the project-qualified key", () => {
    let error: unknown;
    try {
      parseConfig(source({ keyVaultName: "1", softDeleteRetentionDays: 5, keySize: 2048, roleScope: "tenant", cerbyWorkspace: undefined }));
    } catch (caught) {
      error = caught;
    }
    expect(isConfigError(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/^Invalid stack configuration \(5 problems\):/);
    for (const key of ["cerbyWorkspace", "keyVaultName", "softDeleteRetentionDays", "keySize", "roleScope"]) {
      expect(message).toContain(`\n  - cerby-external-keys:${key} `);
    }
  });

  test("a misspelt key is reported with the key it probably meant", () => {
    expect(problemsOf({ keyvaultname: "kv-acme" })).toEqual([
      "keyvaultname is not a setting of this project; did you mean keyVaultName? See docs/configuration.md.",
    ]);
  });

  test("the secret API key is never read by the program's config parser", () => {
    const read: string[] = [];
    parseConfig({ get: (key) => (read.push(key), VALID[key]) });
    expect(read).not.toContain("cerbyApiKey");
  });
});

describe("Pulumi.yaml declares the same keys and defaults as the config module", () => {
  const project = parse(readFileSync(join(__dirname, "..", "Pulumi.yaml"), "utf8")) as {
    config: Record<string, { type: string; default?: unknown; secret?: boolean; description: string }>;
  };

  test("every typed key is declared with its type, description and default", () => {
    const expected = Object.fromEntries(
      Object.entries(CONFIG_KEYS)
        .filter(([, spec]) => spec.type !== "object" && !spec.optionalSecret)
        .map(([key, spec]) => [key, { type: spec.type, default: spec.secret ? undefined : spec.default, secret: spec.secret }]),
    );
    const declared = Object.fromEntries(
      Object.entries(project.config).map(([key, spec]) => [key, { type: spec.type, default: spec.default, secret: spec.secret }]),
    );
    expect(declared).toEqual(expected);
    for (const spec of Object.values(project.config)) {
      expect(spec.description.length).toBeGreaterThan(10);
    }
  });

  test("optional secrets are left out, so the Pulumi CLI does not demand them of every stack", () => {
    expect(Object.keys(project.config)).not.toContain("existingClientSecret");
    expect(Object.keys(project.config)).not.toContain("alertWebhookUrl");
  });

  test("the API key is declared secret and has no default", () => {
    expect(project.config.cerbyApiKey).toMatchObject({ secret: true });
    expect(project.config.cerbyApiKey.default).toBeUndefined();
  });

  test("Pulumi.dev.yaml is a valid stack for the config module", () => {
    const stack = parse(readFileSync(join(__dirname, "..", "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    const values = Object.fromEntries(Object.entries(stack.config).map(([key, value]) => [key.replace(/^cerby-external-keys:/, ""), value]));
    expect(configProblems(values)).toEqual([]);
  });
});
