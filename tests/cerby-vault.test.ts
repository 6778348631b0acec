import * as pulumi from "@pulumi/pulumi";
import { CerbyVaultOutputs, CerbyVaultProvider } from "../components/cerby/provider";
import { CerbyVault, CerbyVaultArgs } from "../components/cerby/vault";
import { PlainValue, RecordedResource, redactSecrets, runUnderMocks } from "../tools/mock-runtime";
import { CerbyEmulator } from "./support/cerby-emulator";
import { akvSettings } from "./support/cerby-fixtures";

// Loaded the way the dynamic provider host loads a serialized provider.
const requireFromString: (code: string, filename: string) => { handler(): unknown } = require("require-from-string");

const API_KEY = "cerby-mock-key-93c1e7a05b";
const ENV_API_KEY = "cerby-env-key-28d4f6b1c9";
const CLIENT_SECRET = "entra-secret-Vb7~Kd1_mocked";
const SECRETS = [API_KEY, ENV_API_KEY, CLIENT_SECRET];

const OUTPUT_NAMES = [
  "vaultId",
  "name",
  "scheme",
  "state",
  "isDefault",
  "setAsDefault",
  "onDelete",
  "workspace",
  "apiUrl",
  "apiBaseUrl",
  "workspaceId",
  "createdAt",
  "updatedAt",
  "akv",
  "kmsByo",
] as const;

function akvArgs(overrides: Partial<CerbyVaultArgs> = {}): CerbyVaultArgs {
  return {
    workspace: "acme",
    name: "Azure Key Vault",
    scheme: "akv",
    akv: akvSettings(CLIENT_SECRET),
    ...overrides,
  };
}

interface Declared {
  resource: RecordedResource;
  outputs: Record<string, PlainValue>;
  secretOutputs: string[];
}

/** Declares one CerbyVault under mocks, with the API key in stack config and the environment. */
async function declare(args: CerbyVaultArgs, opts?: pulumi.CustomResourceOptions): Promise<Declared> {
  const saved = process.env.CERBY_API_KEY;
  process.env.CERBY_API_KEY = ENV_API_KEY;
  try {
    const secretOutputs: string[] = [];
    const result = await runUnderMocks(
      async () => {
        const vault = new CerbyVault("azure-vault", args, opts);
        for (const name of OUTPUT_NAMES) {
          if (await pulumi.isSecret(vault[name] as pulumi.Output<unknown>)) {
            secretOutputs.push(name);
          }
        }
        return Object.fromEntries(OUTPUT_NAMES.map((name) => [name, vault[name]]));
      },
      {
        project: "cerby-external-keys",
        stack: "dev",
        config: { "cerby-external-keys:cerbyApiKey": API_KEY, "cerby-external-keys:cerbyWorkspace": "acme" },
        secretKeys: ["cerby-external-keys:cerbyApiKey"],
        preview: false,
        cloud: { newResource: () => ({ id: "vault-1", state: { vaultId: "vault-1", state: "enabled", isDefault: false } }) },
      },
    );
    const [resource] = result.resources;
    return { resource, outputs: result.outputs, secretOutputs };
  } finally {
    if (saved === undefined) {
      delete process.env.CERBY_API_KEY;
    } else {
      process.env.CERBY_API_KEY = saved;
    }
  }
}

test("registers as pulumi-nodejs:dynamic/cerby:Vault, protected by default, with akv an additional secret output", async () => {
  const { resource } = await declare(akvArgs());
  expect(resource.type).toBe("pulumi-nodejs:dynamic/cerby:Vault");
  expect(resource.custom).toBe(true);
  expect(resource.protect).toBe(true);
  expect(resource.additionalSecretOutputs).toEqual(["akv"]);
});

test("a caller may turn protection off and add secret outputs of its own", async () => {
  const { resource } = await declare(akvArgs(), { protect: false, additionalSecretOutputs: ["name"] });
  expect(resource.protect).toBe(false);
  expect(resource.additionalSecretOutputs).toEqual(["name", "akv"]);
});

test("the serialized __provider holds neither the API key nor the client secret, and is not itself secret", async () => {
  const { resource } = await declare(akvArgs());
  const serialized = resource.rawInputs.__provider;
  expect(typeof serialized).toBe("string");
  for (const secret of SECRETS) {
    expect(serialized).not.toContain(secret);
  }
  expect(serialized).toContain("exports.handler");
});

test("no registered input or output carries the API key or the client secret in plaintext", async () => {
  const { resource, outputs } = await declare(akvArgs());
  const plaintextInputs = JSON.stringify(redactSecrets(resource.rawInputs));
  const plaintextOutputs = JSON.stringify(Object.values(outputs).map((output) => (output.kind === "secret" ? "[secret]" : output)));
  for (const secret of SECRETS) {
    expect(plaintextInputs).not.toContain(secret);
    expect(plaintextOutputs).not.toContain(secret);
  }
  // The secret is there, wrapped: the engine encrypts it in state.
  expect(JSON.stringify(resource.rawInputs)).toContain(CLIENT_SECRET);
});

test("the client secret is secret in the inputs and the akv output; the other akv inputs stay readable", async () => {
  const { resource, outputs, secretOutputs } = await declare(akvArgs());
  const akv = resource.rawInputs.akv as Record<string, unknown>;
  expect(akv.vaultUrl).toBe("https://kv-cerby-abc123.vault.azure.net/");
  expect(JSON.stringify(redactSecrets(akv))).toContain('"clientSecret":"[secret]"');
  expect(secretOutputs).toEqual(["akv"]);
  expect(outputs.akv.kind).toBe("secret");
  expect(outputs.vaultId).toEqual({ kind: "known", value: "vault-1" });
});

test("an akv block given as an Output is made secret as a whole", async () => {
  const { resource, secretOutputs } = await declare(akvArgs({ akv: pulumi.output(akvArgs().akv!) }));
  expect(JSON.stringify(redactSecrets(resource.rawInputs.akv))).toBe('"[secret]"');
  expect(secretOutputs).toEqual(["akv"]);
});

test("the serialized provider, loaded as the engine loads it, has no key until configure and then creates the vault", async () => {
  const { resource } = await declare(akvArgs());
  const emulator = await CerbyEmulator.start({ keys: { [API_KEY]: { role: "owner", scopes: ["vaults:read", "vaults:write"] } } });
  const saved = process.env.CERBY_API_KEY;
  delete process.env.CERBY_API_KEY;
  try {
    type Loaded = pulumi.dynamic.ResourceProvider & { create(inputs: unknown): Promise<pulumi.dynamic.CreateResult<CerbyVaultOutputs>> };
    const load = () => requireFromString(resource.rawInputs.__provider as string, `${__dirname}/serialized-provider.js`).handler() as Loaded;
    // The Azure preflight is its own resource (tests/preflight-provider.test.ts): this provider never calls Azure.
    const inputs = { ...akvArgs(), apiUrl: emulator.url, setAsDefault: false, onDelete: "retain" };

    // It arrives unbuilt: no provider instance, and so nothing configured, rides along in state.
    expect((load() as { instance?: unknown }).instance).toBeUndefined();

    const unconfigured = load();
    await unconfigured.configure?.({ config: { get: () => undefined, require: () => "" } });
    await expect(unconfigured.create(inputs)).rejects.toThrow("No Cerby API key");

    const provider = load();
    const settings: Record<string, string> = { "cerby-external-keys:cerbyApiKey": API_KEY };
    await provider.configure?.({ config: { get: (key) => settings[key], require: () => "" } });
    const created = await provider.create(inputs);
    expect(emulator.allVaults()).toEqual([expect.objectContaining({ id: created.id, name: "Azure Key Vault", scheme: "akv" })]);
    expect(emulator.requests.map((request) => request.method)).toEqual(["GET", "POST"]);
    expect(created.outs?.apiBaseUrl).toBe(emulator.url);

    // Errors raised in the provider process keep their name, message and fields.
    const wrongKey = load();
    const wrongSettings: Record<string, string> = { ...settings, "cerby-external-keys:cerbyApiKey": "not-the-right-key-000" };
    await wrongKey.configure?.({ config: { get: (key) => wrongSettings[key], require: () => "" } });
    await expect(wrongKey.create(inputs)).rejects.toMatchObject({
      name: "CerbyApiError",
      status: 401,
      message: expect.stringContaining("pulumi config set --secret cerbyApiKey"),
    });
  } finally {
    if (saved !== undefined) {
      process.env.CERBY_API_KEY = saved;
    }
    await emulator.stop();
  }
});

test("without an injected logger, the provider logs through pulumi.log", async () => {
  const info = jest.spyOn(pulumi.log, "info").mockResolvedValue();
  try {
    const props = { ...akvArgs(), scheme: "akv", onDelete: "retain", vaultId: "vault-1" } as unknown as CerbyVaultOutputs;
    await new CerbyVaultProvider().delete("vault-1", props);
    expect(info).toHaveBeenCalledWith(expect.stringContaining('"Azure Key Vault" (id vault-1, scheme akv) is left in place in Cerby'));
  } finally {
    info.mockRestore();
  }
});
