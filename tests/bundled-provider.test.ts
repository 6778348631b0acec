/**
 * BundledProvider: a dynamic provider shipped as its esbuild bundle (components/bundledProvider.ts).
 * The fixture provider in tests/fixtures/bundle records every call; the Cerby provider's own bundle
 * is checked for what it holds and how the SDK serializes it, and the Azure key preflight's bundle
 * for its size and that the Azure SDKs load from it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { AzureKeyPreflightProvider, KeyPreflightInputs } from "../components/azure/preflightProvider";
import { BundledProvider, bundleProvider, runBundle, type ProviderBundle } from "../components/bundledProvider";
import { FAKE_VAULT_URL, FakeAzure, makeKeyPair } from "./support/fake-azure";

// Loaded the way the dynamic provider host loads a serialized provider.
const requireFromString: (code: string, filename: string) => { handler(): unknown } = require("require-from-string");

const ROOT = path.resolve(__dirname, "..");
const FIXTURE = path.join(__dirname, "fixtures", "bundle", "provider.ts");
const CERBY_PROVIDER = path.join(ROOT, "components", "cerby", "provider.ts");
const PREFLIGHT_PROVIDER = path.join(ROOT, "components", "azure", "preflightProvider.ts");
const READINESS_PROVIDER = path.join(ROOT, "components", "azure", "readinessProvider.ts");

/** Modules in a fresh folder, removed afterwards. */
function withTemporaryModules(files: Record<string, string>, test: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-"));
  try {
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    test(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function cerbyBundle(): ProviderBundle {
  return bundleProvider(CERBY_PROVIDER, "CerbyVaultProvider");
}

/** Every module a bundle's code requires at run time. */
function requiredModules(code: string): string[] {
  return [...new Set([...code.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]))].sort();
}

describe("bundleProvider", () => {
  test("the Cerby bundle is one module that requires only packages and Node's modules, and holds no config parser and no Azure preflight", () => {
    const { code } = cerbyBundle();
    expect(requiredModules(code)).toEqual(["@pulumi/pulumi", "node:crypto", "node:timers/promises"]);
    // Texts of components/azure/preflight.ts: its retry line, its verdict and Entra ID's error codes.
    for (const text of ["Preflight", "Likely cause", "AADSTS", "RSA-OAEP-256"]) {
      expect(code).not.toContain(text);
    }
    // Texts of components/config.ts: its reader's messages and a config key only it knows.
    expect(code).not.toContain("is not a setting of this project");
    expect(code).not.toContain("awsAllowNonStandardRegions");
    expect(code).not.toContain(ROOT);
    expect(code).not.toMatch(/sourceMappingURL/);
  });

  test("is the same text every time and leaves nothing in node_modules/.cache", () => {
    const cache = path.join(ROOT, "node_modules", ".cache");
    const before = fs.existsSync(cache) ? fs.readdirSync(cache).sort() : [];
    expect(cerbyBundle().code).toBe(cerbyBundle().code);
    expect(fs.existsSync(cache) ? fs.readdirSync(cache).sort() : []).toEqual(before);
  });

  test("leaves out type-only imports and keeps Node's modules as requires", () => {
    const { code } = bundleProvider(FIXTURE, "RecordingProvider");
    expect(code).not.toContain("must never run");
    expect(requiredModules(code)).toEqual(["node:os"]);
  });

  test("a file with Windows line endings bundles to the same text as with Unix ones", () => {
    const lines = ["export class P {", "  // a comment", "  said = `two", "lines`;", "}", ""];
    withTemporaryModules({ "entry.ts": lines.join("\n") }, (dir) => {
      const unix = bundleProvider(path.join(dir, "entry.ts"), "P");
      fs.writeFileSync(path.join(dir, "entry.ts"), lines.join("\r\n"));
      expect(bundleProvider(path.join(dir, "entry.ts"), "P")).toEqual(unix);
    });
  });

  test("an import of a file that does not exist fails when bundling, naming the importer", () => {
    withTemporaryModules({ "entry.ts": 'export { P } from "./gone";\n' }, (dir) => {
      expect(() => bundleProvider(path.join(dir, "entry.ts"), "P")).toThrow(/entry\.ts:1:\d+: ERROR: Could not resolve "\.\/gone"/);
    });
  });
});

describe("BundledProvider", () => {
  test("builds the provider on its first call, once, and forwards each of the seven calls with their arguments", async () => {
    const provider = new BundledProvider(bundleProvider(FIXTURE, "RecordingProvider"));
    const request = { config: { get: () => "value", require: () => "value" } };
    await provider.configure(request);
    const checked = await provider.check({ a: 1 }, { a: 2 });
    const diffed = await provider.diff("id-1", { a: 1 }, { a: 2 });
    const created = await provider.create({ a: 3 });
    const read = await provider.read("id-1", { a: 4 });
    const updated = await provider.update("id-1", { a: 4 }, { a: 5 });
    await provider.delete("id-1", { a: 5 });

    const calls = [checked.inputs, diffed, created.outs, read.props, updated.outs];
    expect(calls.map((call) => [call.call, call.args])).toEqual([
      ["check", [{ a: 1 }, { a: 2 }]],
      ["diff", ["id-1", { a: 1 }, { a: 2 }]],
      ["create", [{ a: 3 }]],
      ["read", ["id-1", { a: 4 }]],
      ["update", ["id-1", { a: 4 }, { a: 5 }]],
    ]);
    // One instance answered all of them, the configured one, and its Node module import worked.
    expect(new Set(calls.map((call) => call.instance))).toEqual(new Set(["1st"]));
    expect(calls.every((call) => call.configured === request && call.host === "string")).toBe(true);
    expect(created.id).toBe("created");
  });

  test("serialized by the SDK and loaded as the engine loads it, it still forwards to a fresh provider", async () => {
    const provider = new BundledProvider(bundleProvider(FIXTURE, "RecordingProvider"));
    const { text } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    const loaded = requireFromString(text, `${__dirname}/serialized-provider.js`).handler() as BundledProvider;
    const created = await loaded.create({ a: 1 });
    expect(created.outs).toMatchObject({ call: "create", args: [{ a: 1 }], instance: "1st", host: "string" });
  });

  // 116,860 bytes with the home-made bundler; 52,104 with esbuild and the Azure preflight inside;
  // about 39,600 once the preflight became its own resource (components/azure/keyPreflight.ts).
  test("the SDK serializes the Cerby provider in at most 40,000 bytes and at most 16 small functions", async () => {
    const provider = new BundledProvider(cerbyBundle());
    const { text } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(40_000);
    expect((text.match(/^function __/gm) ?? []).length).toBeLessThanOrEqual(16);
    expect(text).not.toContain(ROOT);
  });

  // Measured: about 17,900 bytes (the preflight) and 10,900 (the readiness probe, with OIDC sign-in).
  test.each([
    ["the Azure key preflight", PREFLIGHT_PROVIDER, "AzureKeyPreflightProvider", 19_000],
    ["the data-plane readiness probe", READINESS_PROVIDER, "DataPlaneReadinessProvider", 12_000],
  ])("the SDK serializes the provider of %s in a few kilobytes", async (_name, entry, exportName, bound) => {
    const provider = new BundledProvider(bundleProvider(entry, exportName));
    const { text } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(bound);
    expect(text).not.toContain(ROOT);
  });
});

test("the Azure key preflight's provider runs from its bundle, with the Azure SDKs required from the project's packages", async () => {
  const principal = {
    tenantId: "11111111-2222-3333-4444-555555555555",
    clientId: "66666666-7777-8888-9999-000000000000",
    clientSecret: "Bn4~bundled-preflight-secret",
  };
  const azure = await FakeAzure.start(principal, {
    name: "cerby-external-key",
    kty: "RSA",
    privateKey: await makeKeyPair({ rsaBits: 4096 }),
    keyOps: ["wrapKey", "unwrapKey", "encrypt", "decrypt"],
    enabled: true,
  });
  try {
    const bundle = bundleProvider(PREFLIGHT_PROVIDER, "AzureKeyPreflightProvider");
    expect(requiredModules(bundle.code)).toEqual(["@azure/identity", "@azure/keyvault-keys", "@pulumi/pulumi", "node:crypto", "node:perf_hooks", "node:timers/promises"]);
    const Provider = runBundle(bundle).AzureKeyPreflightProvider as typeof AzureKeyPreflightProvider;
    const logs: string[] = [];
    const provider = new Provider({ log: (message) => logs.push(message), preflight: { httpClient: azure.httpClient(), initialBackoffMs: 50 } });
    const inputs: KeyPreflightInputs = { ...principal, vaultUrl: FAKE_VAULT_URL, keyName: "cerby-external-key", timeoutMs: 60_000 };
    await provider.create(inputs);
    expect(azure.vaultCalls("unwrapkey")).toHaveLength(1);
    expect(logs.at(-1)).toMatch(/^Preflight passed after 1 attempt/);
  } finally {
    await azure.close();
  }
});
