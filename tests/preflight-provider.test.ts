/**
 * The preflight inside the CerbyVault provider: before an akv vault is created in Cerby, or given
 * a new client secret, the key must wrap and unwrap as the service principal; otherwise Cerby is
 * not called at all. The Azure side is tests/support/fake-azure.ts (the real SDKs, rerouted
 * through their pluggable HTTP client), the Cerby side the emulator.
 */
import type { KeyObject } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { isPreflightError } from "../components/azure/preflight";
import type { CerbyVaultInputs, CerbyVaultOutputs } from "../components/cerby/provider";
import { CerbyVaultProvider } from "../components/cerby/provider";
import { parseConfig } from "../components/config";
import { configSource } from "./support/config-source";
import { CerbyEmulator } from "./support/cerby-emulator";
import { FAKE_VAULT_URL, FakeAzure, makeKeyPair } from "./support/fake-azure";

const API_KEY = "cerby-preflight-provider-key-7c1d";
const SECRET = "entra-secret-Pf7~preflight-first";
const NEW_SECRET = "entra-secret-Pf7~preflight-rotated";
const PRINCIPAL = { tenantId: "11111111-2222-3333-4444-555555555555", clientId: "66666666-7777-8888-9999-000000000000", clientSecret: SECRET };

let rsa4096: KeyObject;
let rsa2048: KeyObject;
let azure: FakeAzure;
let cerby: CerbyEmulator;
let logs: string[];

beforeAll(async () => {
  [rsa4096, rsa2048] = await Promise.all([makeKeyPair({ rsaBits: 4096 }), makeKeyPair({ rsaBits: 2048 })]);
});

beforeEach(async () => {
  azure = await FakeAzure.start(PRINCIPAL, { name: "cerby-external-key", kty: "RSA", privateKey: rsa4096, keyOps: ["wrapKey", "unwrapKey", "encrypt", "decrypt"], enabled: true });
  cerby = await CerbyEmulator.start({ keys: { [API_KEY]: { role: "admin", scopes: ["vaults:read", "vaults:write"] } } });
  logs = [];
});

afterEach(async () => {
  for (const line of logs) {
    expect(line).not.toContain(SECRET);
    expect(line).not.toContain(NEW_SECRET);
  }
  await Promise.all([azure.close(), cerby.stop()]);
});

async function provider(): Promise<CerbyVaultProvider> {
  const instance = new CerbyVaultProvider({
    client: { maxAttempts: 1 },
    log: { info: (message) => logs.push(message), warn: (message) => logs.push(message) },
    preflight: { httpClient: azure.httpClient(), initialBackoffMs: 50, newSecretGraceMs: 200 },
  });
  const values: Record<string, string> = { "cerby-external-keys:cerbyApiKey": API_KEY };
  const request: pulumi.dynamic.ConfigureRequest = { config: { get: (key) => values[key], require: (key) => values[key] } };
  await instance.configure(request);
  return instance;
}

function akvInputs(clientSecret = SECRET): CerbyVaultInputs {
  return {
    workspace: "acme",
    apiUrl: cerby.url,
    name: "Azure Key Vault",
    scheme: "akv",
    setAsDefault: false,
    onDelete: "retain",
    akv: { ...PRINCIPAL, clientSecret, vaultUrl: FAKE_VAULT_URL, keyName: "cerby-external-key" },
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => new Error("expected a failure"),
    (reason: Error) => reason,
  );
  expect(error.message).not.toContain(SECRET);
  expect(error.message).not.toContain(NEW_SECRET);
  return error;
}

describe("the preflight in CerbyVault create and update", () => {
  test("create proves the key first, then registers the vault", async () => {
    const instance = await provider();
    const { id } = await instance.create(akvInputs());
    expect(azure.vaultCalls("unwrapkey")).toHaveLength(1);
    expect(cerby.allVaults().map((vault) => vault.id)).toEqual([id]);
    expect(logs.some((line) => line.startsWith("Preflight passed after 1 attempt"))).toBe(true);
  });

  test("a 2048-bit key stops create before any call to Cerby", async () => {
    azure.key = { ...azure.key, privateKey: rsa2048 };
    const instance = await provider();
    const error = await rejection(instance.create(akvInputs()));
    expect(isPreflightError(error)).toBe(true);
    expect(error.message).toMatch(/check "key-size".*2048-bit modulus/);
    expect(cerby.requests).toHaveLength(0);
  });

  test("a vault that unwraps to other bytes stops create at wrap-unwrap at once, and Cerby is never called", async () => {
    azure.tamperWith = "unwrapkey";
    // The shortest bound, so that a mismatch wrongly retried fails this test instead of stalling it.
    const instance = await provider();
    const error = await rejection(instance.create({ ...akvInputs(), preflight: { enabled: true, timeoutMs: 60_000 } }));
    expect(isPreflightError(error) && [error.check, error.attempts]).toEqual(["wrap-unwrap", 1]);
    expect(azure.vaultCalls("unwrapkey")).toHaveLength(1);
    expect(cerby.requests).toHaveLength(0);
    expect(cerby.allVaults()).toHaveLength(0);
  });

  test("role propagation is waited out within the configured bound", async () => {
    azure.forbidWrap = 2;
    const instance = await provider();
    await instance.create({ ...akvInputs(), preflight: { enabled: true, timeoutMs: 60_000 } });
    expect(logs.filter((line) => line.startsWith("Preflight attempt"))).toHaveLength(2);
    expect(cerby.allVaults()).toHaveLength(1);
  });

  test("by default a secret rotated moments ago is given time to replicate in Entra ID before Cerby gets it", async () => {
    const instance = new CerbyVaultProvider({
      client: { maxAttempts: 1 },
      log: { info: (message) => logs.push(message), warn: (message) => logs.push(message) },
      preflight: { httpClient: azure.httpClient(), initialBackoffMs: 50 },
    });
    await instance.configure({ config: { get: (key) => (key === "cerby-external-keys:cerbyApiKey" ? API_KEY : undefined), require: () => "" } });
    const { id, outs } = await instance.create(akvInputs());
    const replicated = setTimeout(() => (azure.principal.clientSecret = NEW_SECRET), 300);
    try {
      await instance.update(id, outs as CerbyVaultOutputs, akvInputs(NEW_SECRET));
    } finally {
      clearTimeout(replicated);
    }
    expect(logs.join("\n")).toContain("can take minutes to reach every Entra ID region");
    expect(cerby.requests.some((request) => request.method === "PATCH")).toBe(true);
  });

  test("cerbyPreflight false skips it and says so", async () => {
    const instance = await provider();
    await instance.create({ ...akvInputs(), preflight: { enabled: false, timeoutMs: 60_000 } });
    expect(azure.requests).toHaveLength(0);
    expect(logs).toContain('Skipped the preflight of Azure key "cerby-external-key" (cerbyPreflight is false).');
  });

  test("a new client secret is proved before it is sent; a rejected one never reaches Cerby", async () => {
    const instance = await provider();
    const { id, outs } = await instance.create(akvInputs());
    cerby.requests.length = 0;
    const olds = outs as CerbyVaultOutputs;

    const rejected = await rejection(instance.update(id, olds, akvInputs(NEW_SECRET)));
    expect(rejected.message).toMatch(/check "sign-in".*AADSTS7000215/);
    expect(cerby.requests).toHaveLength(0);

    azure.principal.clientSecret = NEW_SECRET;
    await instance.update(id, olds, akvInputs(NEW_SECRET));
    expect(cerby.requests.map((request) => request.method)).toEqual(["PATCH"]);
    expect(cerby.allVaults()[0].configuration.clientSecret).toBe(NEW_SECRET);
  });

  test("an update that leaves the secret alone does not run it", async () => {
    const instance = await provider();
    const { id, outs } = await instance.create(akvInputs());
    const before = azure.requests.length;
    await instance.update(id, outs as CerbyVaultOutputs, { ...akvInputs(), name: "Renamed" });
    expect(azure.requests).toHaveLength(before);
  });
});

describe("the preflight settings, which reach the provider as the resource's input preflight", () => {
  test("parseConfig reads cerbyPreflight and cerbyPreflightTimeoutMinutes into the Azure settings, 10 minutes on by default", () => {
    const base = { cerbyWorkspace: "acme", clientSecretStartDate: "2026-11-28" };
    expect(parseConfig(configSource(base)).azure?.preflight).toEqual({ enabled: true, timeoutMs: 600_000 });
    const set = parseConfig(configSource({ ...base, cerbyPreflight: false, cerbyPreflightTimeoutMinutes: 25 }));
    expect(set.azure?.preflight).toEqual({ enabled: false, timeoutMs: 25 * 60_000 });
  });

  test("check refuses a malformed preflight input by property, and accepts one unknown at preview", async () => {
    const instance = await provider();
    const bad = await instance.check({}, { ...akvInputs(), preflight: { enabled: "no", timeoutMs: 0 } });
    expect(bad.failures?.map((failure) => failure.property)).toEqual(["preflight.enabled", "preflight.timeoutMs"]);
    const unknown = await instance.check({}, { ...akvInputs(), preflight: pulumi.runtime.unknownValue });
    expect(unknown.failures).toEqual([]);
  });
});
