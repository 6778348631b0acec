/**
 * The Azure key preflight as its own resource (components/azure/keyPreflight.ts): its provider
 * against the fake Entra ID and Key Vault (tests/support/fake-azure.ts, the real SDKs rerouted
 * through their pluggable HTTP client), and the program's wiring under mocks. Cerby is never called
 * with a key or client secret the preflight has not proved because the CerbyVault depends on the
 * preflight and both are given the same values: any change of them is an update of the preflight,
 * which the engine steps (and fails) before the CerbyVault.
 */
import type { KeyObject } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { isPreflightError } from "../components/azure/preflight";
import { AzureKeyPreflightProvider, type KeyPreflightInputs } from "../components/azure/preflightProvider";
import { parseConfig } from "../components/config";
import { CerbyVaultProvider, type CerbyVaultOutputs } from "../components/cerby/provider";
import { isSecretValue, redactSecrets, type MockCloud, type RecordedResource } from "../tools/mock-runtime";
import { azureCloud, CLIENT_SECRET as PROGRAM_SECRET } from "./support/azure-cloud";
import { configSource } from "./support/config-source";
import { FAKE_VAULT_URL, FakeAzure, makeKeyPair } from "./support/fake-azure";
import { withoutSecrets } from "./support/provider-host";
import { runProgram, single } from "./support/program";
import { AZURE_TYPES } from "./support/resource-types";

const SECRET = "entra-secret-Pf7~preflight-first";
const NEW_SECRET = "entra-secret-Pf7~preflight-rotated";
const PRINCIPAL = { tenantId: "11111111-2222-3333-4444-555555555555", clientId: "66666666-7777-8888-9999-000000000000", clientSecret: SECRET };
const PREFLIGHT_TYPE = "pulumi-nodejs:dynamic/azure:KeyPreflight";

let rsa4096: KeyObject;
let rsa2048: KeyObject;
let azure: FakeAzure;
let logs: string[];

beforeAll(async () => {
  [rsa4096, rsa2048] = await Promise.all([makeKeyPair({ rsaBits: 4096 }), makeKeyPair({ rsaBits: 2048 })]);
});

function inputs(clientSecret = SECRET, timeoutMs = 60_000): KeyPreflightInputs {
  return { ...PRINCIPAL, clientSecret, vaultUrl: FAKE_VAULT_URL, keyName: "cerby-external-key", timeoutMs };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => new Error("expected a failure"),
    (reason: Error) => reason,
  );
  for (const text of [error.message, error.stack ?? ""]) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(NEW_SECRET);
  }
  return error;
}

describe("AzureKeyPreflightProvider against the fake Key Vault", () => {
  beforeEach(async () => {
    azure = await FakeAzure.start(PRINCIPAL, { name: "cerby-external-key", kty: "RSA", privateKey: rsa4096, keyOps: ["wrapKey", "unwrapKey", "encrypt", "decrypt"], enabled: true });
    logs = [];
  });

  afterEach(async () => {
    for (const line of logs) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(NEW_SECRET);
    }
    await azure.close();
  });

  function provider(grace: { newSecretGraceMs?: number } = { newSecretGraceMs: 200 }): AzureKeyPreflightProvider {
    return new AzureKeyPreflightProvider({ log: (message) => logs.push(message), preflight: { httpClient: azure.httpClient(), initialBackoffMs: 50, ...grace } });
  }

  test("create proves the key (wrap, unwrap, encrypt, decrypt as the service principal) and records the inputs", async () => {
    const created = await provider().create(inputs());
    expect(azure.vaultCalls("unwrapkey")).toHaveLength(1);
    expect(azure.vaultCalls("decrypt")).toHaveLength(1);
    expect(created).toEqual({ id: "preflight-cerby-external-key", outs: inputs() });
    expect(logs.some((line) => line.startsWith("Preflight passed after 1 attempt"))).toBe(true);
  });

  test("a 2048-bit key fails create at key-size, naming the check", async () => {
    azure.key = { ...azure.key, privateKey: rsa2048 };
    const error = await rejection(provider().create(inputs()));
    expect(isPreflightError(error)).toBe(true);
    expect(error.message).toMatch(/check "key-size".*2048-bit modulus/);
  });

  test("a vault that unwraps to other bytes fails create at wrap-unwrap at once, not retried", async () => {
    azure.tamperWith = "unwrapkey";
    const error = await rejection(provider().create(inputs()));
    expect(isPreflightError(error) && [error.check, error.attempts]).toEqual(["wrap-unwrap", 1]);
    expect(azure.vaultCalls("unwrapkey")).toHaveLength(1);
  });

  test("role propagation is waited out within the bound the resource's timeoutMs gives", async () => {
    azure.forbidWrap = 2;
    await provider().create(inputs());
    expect(logs.filter((line) => line.startsWith("Preflight attempt"))).toHaveLength(2);
  });

  test("a bound of a few hundred milliseconds is the resource's own: propagation past it fails create", async () => {
    azure.forbidWrap = Number.POSITIVE_INFINITY;
    const error = await rejection(provider().create(inputs(SECRET, 300)));
    expect(error.message).toMatch(/check "wrap-unwrap".*still failing at the 300 ms bound/);
  });

  test("update proves a new client secret; a secret Entra ID rejects fails the update with AADSTS7000215", async () => {
    const instance = provider();
    const { id } = await instance.create(inputs());
    const outs = inputs();
    const rejected = await rejection(instance.update(id, outs, inputs(NEW_SECRET)));
    expect(rejected.message).toMatch(/check "sign-in".*AADSTS7000215/);

    azure.principal.clientSecret = NEW_SECRET;
    const updated = await instance.update(id, outs, inputs(NEW_SECRET));
    expect(updated.outs?.clientSecret).toBe(NEW_SECRET);
  });

  test("by default, update gives a secret rotated moments ago time to replicate in Entra ID", async () => {
    const instance = provider({});
    const { id } = await instance.create(inputs());
    const outs = inputs();
    const replicated = setTimeout(() => (azure.principal.clientSecret = NEW_SECRET), 300);
    try {
      await instance.update(id, outs, inputs(NEW_SECRET));
    } finally {
      clearTimeout(replicated);
    }
    expect(logs.join("\n")).toContain("can take minutes to reach every Entra ID region");
    expect(logs.at(-1)).toMatch(/^Preflight passed after \d+ attempts/);
  });

  test("read returns the state and delete leaves Azure alone", async () => {
    const instance = provider();
    expect(await instance.read("preflight-cerby-external-key", inputs())).toEqual({ id: "preflight-cerby-external-key", props: inputs() });
    await instance.delete();
    expect(azure.requests).toHaveLength(0);
  });
});

describe("AzureKeyPreflightProvider.diff and check (no Azure call)", () => {
  const instance = new AzureKeyPreflightProvider();

  test("the same values are no change", async () => {
    expect(await instance.diff("p", inputs(), inputs())).toMatchObject({ changes: false, replaces: [] });
  });

  test.each([
    ["clientSecret", NEW_SECRET],
    ["tenantId", "aaaaaaaa-2222-3333-4444-555555555555"],
    ["clientId", "bbbbbbbb-7777-8888-9999-000000000000"],
    ["vaultUrl", "https://kv-other.vault.azure.net/"],
    ["keyName", "another-key"],
  ])("a new %s is an update (proved again before the CerbyVault), never a replacement", async (input, value) => {
    expect(await instance.diff("p", inputs(), { ...inputs(), [input]: value })).toMatchObject({ changes: true, replaces: [] });
  });

  test("a client secret not known yet (a preview) is an update", async () => {
    const news = { ...inputs(), clientSecret: pulumi.runtime.unknownValue } as KeyPreflightInputs;
    expect(await instance.diff("p", inputs(), news)).toMatchObject({ changes: true });
  });

  test("a new bound alone proves nothing new, so it is no change", async () => {
    expect(await instance.diff("p", inputs(), inputs(SECRET, 25 * 60_000))).toMatchObject({ changes: false });
  });

  test("check refuses a bound that is not a whole positive number of milliseconds, and accepts one unknown at preview", async () => {
    expect((await instance.check({}, { ...inputs(), timeoutMs: 0 })).failures?.map((failure) => failure.property)).toEqual(["timeoutMs"]);
    expect((await instance.check({}, { ...inputs(), timeoutMs: "ten" })).failures).toHaveLength(1);
    expect((await instance.check({}, { ...inputs(), timeoutMs: pulumi.runtime.unknownValue })).failures).toEqual([]);
  });
});

describe("the program: the CerbyVault waits on a preflight given its very values", () => {
  function akvOf(vault: RecordedResource): Record<string, unknown> {
    return (withoutSecrets(vault.rawInputs) as { akv: Record<string, unknown> }).akv;
  }

  test("the CerbyVault depends on the preflight, which has the same client secret, tenant, client ID, vault URL and key name", async () => {
    const { resources } = await runProgram();
    const preflight = single(resources, PREFLIGHT_TYPE);
    const vault = single(resources, AZURE_TYPES.cerbyVault);
    expect(vault.dependsOn).toContain(preflight.urn);
    const proved = withoutSecrets(preflight.rawInputs) as Record<string, unknown>;
    const sent = akvOf(vault);
    for (const input of ["clientSecret", "tenantId", "clientId", "vaultUrl", "keyName"]) {
      expect({ input, proved: proved[input] }).toEqual({ input, proved: sent[input] });
    }
    expect(proved.clientSecret).toBe(PROGRAM_SECRET);
    // The preflight runs once Cerby's role is granted and the key's identity accepted, like the vault.
    const grant = resources.find((resource) => resource.type === AZURE_TYPES.roleAssignment && resource.name.endsWith("-cerby"))!;
    expect(preflight.dependsOn).toEqual(expect.arrayContaining([grant.urn, single(resources, AZURE_TYPES.key).urn, single(resources, AZURE_TYPES.keyContinuity).urn]));
  });

  test("the CerbyVault sends the preflight's outputs, so a run that skips the preflight (--target the vault) sends the last proved secret, not a new one", async () => {
    // The engine hands a resource left out of `pulumi up --target` its recorded state: here, an older proved secret.
    const proved = { clientSecret: "Proved~earlier-secret", vaultUrl: "https://kv-proved.vault.azure.net/", keyName: "proved-key" };
    const cloud: MockCloud = {
      ...azureCloud,
      newResource: (args) => {
        const created = azureCloud.newResource?.(args);
        return args.type === PREFLIGHT_TYPE ? { ...created, state: { ...created?.state, ...proved } } : created;
      },
    };
    const { resources } = await runProgram({}, { cloud });
    const vault = single(resources, AZURE_TYPES.cerbyVault);
    const sent = akvOf(vault);
    expect(withoutSecrets(single(resources, PREFLIGHT_TYPE).rawInputs)).toMatchObject({ clientSecret: PROGRAM_SECRET });
    expect({ clientSecret: sent.clientSecret, vaultUrl: sent.vaultUrl, keyName: sent.keyName }).toEqual(proved);
    expect(JSON.stringify(redactSecrets(vault.rawInputs))).not.toContain(proved.clientSecret);
  });

  test("the client secret is a secret in the preflight's inputs and outputs, never plaintext", async () => {
    const { resources } = await runProgram();
    const preflight = single(resources, PREFLIGHT_TYPE);
    expect(isSecretValue(preflight.rawInputs.clientSecret)).toBe(true);
    expect(preflight.additionalSecretOutputs).toContain("clientSecret");
    expect(JSON.stringify(redactSecrets(preflight.rawInputs))).not.toContain(PROGRAM_SECRET);
  });

  test("cerbyPreflightTimeoutMinutes reaches the preflight as its bound; 10 minutes by default", async () => {
    const set = await runProgram({ cerbyPreflightTimeoutMinutes: 25 });
    expect(single(set.resources, PREFLIGHT_TYPE).rawInputs.timeoutMs).toBe(25 * 60_000);
    const byDefault = await runProgram();
    expect(single(byDefault.resources, PREFLIGHT_TYPE).rawInputs.timeoutMs).toBe(10 * 60_000);
  });

  test("cerbyPreflight false declares no preflight, and the CerbyVault depends on none", async () => {
    const { resources } = await runProgram({ cerbyPreflight: false });
    expect(resources.filter((resource) => resource.type === PREFLIGHT_TYPE)).toEqual([]);
    expect(single(resources, AZURE_TYPES.cerbyVault).dependsOn.some((urn) => urn.includes("KeyPreflight"))).toBe(false);
  });

  test("parseConfig reads cerbyPreflight and cerbyPreflightTimeoutMinutes into the Azure settings, 10 minutes on by default", () => {
    const base = { cerbyWorkspace: "acme", clientSecretStartDate: "2026-11-28" };
    expect(parseConfig(configSource(base)).azure?.preflight).toEqual({ enabled: true, timeoutMs: 600_000 });
    const set = parseConfig(configSource({ ...base, cerbyPreflight: false, cerbyPreflightTimeoutMinutes: 25 }));
    expect(set.azure?.preflight).toEqual({ enabled: false, timeoutMs: 25 * 60_000 });
  });
});

describe("upgrading a stack whose CerbyVault ran the preflight itself", () => {
  // The CerbyVault's state as the previous code wrote it: with its `preflight` input.
  const olds = {
    workspace: "acme",
    name: "Azure Key Vault",
    scheme: "akv",
    setAsDefault: false,
    onDelete: "retain",
    registration: "auto",
    registrationWaitMinutes: 0,
    akv: { ...PRINCIPAL, vaultUrl: FAKE_VAULT_URL, keyName: "cerby-external-key" },
    preflight: { enabled: true, timeoutMs: 600_000 },
    apiBaseUrl: "https://acme.cerby.com/api/v1",
    vaultId: "vault-1",
    state: "enabled",
    isDefault: false,
    clientSecretConfirmed: true,
  } as unknown as CerbyVaultOutputs;

  test("the CerbyVault shows no update and no replacement once its inputs lack preflight", async () => {
    const provider = new CerbyVaultProvider();
    const { apiBaseUrl: _a, vaultId: _v, state: _s, isDefault: _i, clientSecretConfirmed: _c, ...previousInputs } = olds as unknown as Record<string, unknown>;
    const { preflight: _dropped, ...programInputs } = previousInputs;
    const { inputs: news, failures } = await provider.check(previousInputs, programInputs);
    expect(failures).toEqual([]);
    expect(news).not.toHaveProperty("preflight");
    expect(await provider.diff("vault-1", olds, news as never)).toMatchObject({ changes: false, replaces: [] });
  });
});
