/**
 * BundledProvider: a dynamic provider shipped as its bundled source (components/bundledProvider.ts).
 * The fixture provider in tests/fixtures/bundle records every call; the Cerby provider's own bundle
 * is checked for what it holds, how the SDK serializes it, and that its preflight runs from it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { AzureKeyTarget, preflightAzureKey } from "../components/azure/preflight";
import { BundledProvider, bundleProvider, loadBundle, runBundle, type ProviderBundle } from "../components/bundledProvider";
import { FAKE_VAULT_URL, FakeAzure, makeKeyPair } from "./support/fake-azure";

// Loaded the way the dynamic provider host loads a serialized provider.
const requireFromString: (code: string, filename: string) => { handler(): unknown } = require("require-from-string");

const ROOT = path.resolve(__dirname, "..");
const FIXTURE = path.join(__dirname, "fixtures", "bundle", "provider.ts");
const CERBY_PROVIDER = path.join(ROOT, "components", "cerby", "provider.ts");

/** Plain JavaScript modules in a fresh folder (not TypeScript: they would fill the transpile cache). */
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

describe("bundleProvider", () => {
  test("bundles the Cerby provider with exactly the project modules it imports, under IDs relative to the project", () => {
    const bundle = cerbyBundle();
    expect(bundle.entry).toBe("components/cerby/provider");
    expect(Object.keys(bundle.modules).sort()).toEqual([
      "components/azure/preflight",
      "components/cerby/client",
      "components/cerby/contract",
      "components/cerby/endpoint",
      "components/cerby/errors",
      "components/cerby/provider",
      "components/cerby/registration",
      "components/config",
      "components/validation",
    ]);
    for (const code of Object.values(bundle.modules)) {
      expect(code).not.toContain(ROOT);
    }
  });

  test("is the same text every time, so a second pulumi up sees the same provider", () => {
    expect(JSON.stringify(cerbyBundle())).toBe(JSON.stringify(cerbyBundle()));
  });

  test("follows modules and folder indexes, and leaves out type-only imports and Node's modules", () => {
    const bundle = bundleProvider(FIXTURE, "RecordingProvider");
    expect(Object.keys(bundle.modules).sort()).toEqual([
      "tests/fixtures/bundle/calls",
      "tests/fixtures/bundle/numbers/index",
      "tests/fixtures/bundle/provider",
    ]);
    expect(bundle.modules["tests/fixtures/bundle/provider"]).toContain('require("node:os")');
  });

  test("follows the requires TypeScript and hand-written JavaScript produce: single quotes, explicit extensions, a parent folder's index", () => {
    withTemporaryModules(
      {
        "index.js": "exports.parent = 'parent index';\n",
        "pkg/entry.js": "const helper = require('./helper.js');\nconst parent = require(\"..\");\nexports.P = class { constructor() { this.said = [helper.said, parent.parent]; } };\n",
        "pkg/helper.js": 'exports.said = "helper";\n',
      },
      (dir) => {
        const bundle = bundleProvider(path.join(dir, "pkg", "entry.js"), "P");
        const folder = path.relative(ROOT, dir).split(path.sep).join("/");
        expect(Object.keys(bundle.modules).sort()).toEqual([`${folder}/index`, `${folder}/pkg/entry`, `${folder}/pkg/helper`]);
        const Provider = runBundle(bundle).P as new () => { said: string[] };
        expect(new Provider().said).toEqual(["helper", "parent index"]);
      },
    );
  });

  test("a file with Windows line endings bundles to the same text as with Unix ones", () => {
    const lines = ["exports.P = class {", "  // a comment", "};", ""];
    withTemporaryModules({ "entry.js": lines.join("\n") }, (dir) => {
      const unix = bundleProvider(path.join(dir, "entry.js"), "P");
      fs.writeFileSync(path.join(dir, "entry.js"), lines.join("\r\n"));
      expect(bundleProvider(path.join(dir, "entry.js"), "P")).toEqual(unix);
    });
  });

  test("an import of a file that does not exist fails when bundling, naming the importer", () => {
    withTemporaryModules({ "entry.js": 'exports.P = require("./gone").P;\n' }, (dir) => {
      expect(() => bundleProvider(path.join(dir, "entry.js"), "P")).toThrow(/Cannot bundle "\.\/gone", imported by .*entry: no such \.ts or \.js module/);
    });
  });
});

describe("loadBundle and runBundle", () => {
  test("a provider class that lacks any of the seven calls is refused, by name", () => {
    const bundle: ProviderBundle = { entry: "p", exportName: "Partial", modules: { p: "exports.Partial = class { async create() { return { id: 'x' }; } };" } };
    expect(() => loadBundle(bundle)).toThrow("Partial does not implement configure, check, diff, read, update, delete");
  });

  test("an entry without the named class is refused", () => {
    const bundle: ProviderBundle = { entry: "p", exportName: "Missing", modules: { p: "exports.Other = class {};" } };
    expect(() => loadBundle(bundle)).toThrow('module "p" exports no class Missing');
  });

  test("a module the bundle does not hold is reported with its ID and the module that requires it", () => {
    const bundle: ProviderBundle = { entry: "a/p", exportName: "P", modules: { "a/p": 'require("../q");' } };
    expect(() => runBundle(bundle)).toThrow('The provider bundle of P has no module "../q", which "a/p" requires.');
    expect(() => runBundle(bundle, "r")).toThrow('The provider bundle of P has no module "r".');
  });

  test("every load runs the modules afresh, and each module once however often it is required", () => {
    const bundle: ProviderBundle = {
      entry: "p",
      exportName: "P",
      modules: {
        p: 'const a = require("./counter"); const b = require("./counter"); exports.same = a === b; exports.runs = a.runs;',
        counter: "exports.runs = (globalThis.__bundleCounterRuns = (globalThis.__bundleCounterRuns ?? 0) + 1);",
      },
    };
    const global = globalThis as { __bundleCounterRuns?: number };
    try {
      expect(runBundle(bundle)).toEqual({ same: true, runs: 1 });
      expect(runBundle(bundle)).toEqual({ same: true, runs: 2 });
    } finally {
      delete global.__bundleCounterRuns;
    }
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

  test("the SDK serializes the Cerby provider as at most 16 small functions (109 when it walked the provider) and the bundle's text", async () => {
    const provider = new BundledProvider(cerbyBundle());
    const { text } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    const functions = text.match(/^function __/gm) ?? [];
    expect(functions.length).toBeLessThanOrEqual(16);
    expect(text).toContain('"components/cerby/provider"');
    expect(text).not.toContain(ROOT);
  });
});

test("the Azure preflight runs from the bundle, with the Azure SDKs required from the project's packages", async () => {
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
    const preflight = runBundle(cerbyBundle(), "components/azure/preflight").preflightAzureKey as typeof preflightAzureKey;
    const target: AzureKeyTarget = { ...principal, vaultUrl: FAKE_VAULT_URL, keyName: "cerby-external-key" };
    const result = await preflight(target, { httpClient: azure.httpClient(), initialBackoffMs: 50 });
    expect(result.checks.map((check) => [check.name, check.ok])).toContainEqual(["wrap-unwrap", true]);
  } finally {
    await azure.close();
  }
});
