/**
 * The deployer's DataPlaneReadiness as the engine runs it: the program's real `__provider` in the
 * real provider host (tests/support/provider-host.ts), signing in as the deployer from ARM_*
 * variables, against the fake Entra ID and Key Vault (sockets redirected by a preload).
 */
import { FAKE_VAULT_URL, FakeAzure, makeKeyPair } from "./support/fake-azure";
import { ProviderHost } from "./support/provider-host";
import { runProgram, single, toPulumiConfig } from "./support/program";

const DEPLOYER = { tenantId: "cccccccc-1111-4222-8333-444444444444", clientId: "dddddddd-5555-4666-8777-888888888888", clientSecret: "Dep~engine-readiness-1" };
const REDIRECT = require.resolve("./support/host-azure-redirect.js");

let azure: FakeAzure;
let host: ProviderHost | undefined;
let declared: { urn: string; inputs: Record<string, unknown> };

beforeAll(async () => {
  azure = await FakeAzure.start(DEPLOYER, { name: "another-key", kty: "RSA", privateKey: await makeKeyPair({ rsaBits: 2048 }), keyOps: [], enabled: true });
  const { resources } = await runProgram({ cerbyPreflight: false });
  const readiness = single(resources, "pulumi-nodejs:dynamic/azure:DataPlaneReadiness");
  declared = { urn: readiness.urn, inputs: readiness.rawInputs };
});

afterEach(async () => {
  await host?.stop();
  host = undefined;
});

afterAll(() => azure.close());

async function startHost(): Promise<ProviderHost> {
  host = await ProviderHost.start({
    env: { ARM_CLIENT_ID: DEPLOYER.clientId, ARM_CLIENT_SECRET: DEPLOYER.clientSecret, ARM_TENANT_ID: DEPLOYER.tenantId, FAKE_AZURE_PORT: String(azure.port) },
    preload: [REDIRECT],
  });
  await host.configure(toPulumiConfig({ cerbyWorkspace: "acme", clientSecretStartDate: "2026-11-28" }));
  return host;
}

test("the program wires the probe to the deployer's grant, the vault, the key name and the configured bounds", () => {
  expect(declared.inputs).toMatchObject({ keyName: "cerby-external-key", timeoutSeconds: 15 * 60, fallbackSeconds: 0 });
  expect(String(declared.inputs.trigger)).toMatch(/\/providers\/Microsoft\.Authorization\/roleAssignments\//);
});

test("create continues once Key Vault turns 403 into 404, logging each poll", async () => {
  azure.forbidGet = 2;
  const provider = await startHost();
  const inputs = { ...declared.inputs, vaultUrl: FAKE_VAULT_URL };
  const { inputs: checked } = await provider.check(declared.urn, {}, inputs);
  const created = await provider.create(declared.urn, checked);
  expect(created.id).toMatch(/^deployer-access-/);
  expect(azure.forbidGet).toBe(0);
  await provider.line(`Waiting until service principal ${DEPLOYER.clientId} can use ${FAKE_VAULT_URL}`);
  await provider.line("(poll 3, after");
  expect(provider.output.filter((line) => line.includes("still answers 403"))).toHaveLength(2);
  expect(provider.output.join("\n")).not.toContain(DEPLOYER.clientSecret);
});

test("create fails at the bound when Key Vault never stops answering 403, saying what to do", async () => {
  azure.forbidGet = Number.POSITIVE_INFINITY;
  try {
    const provider = await startHost();
    const inputs = { ...declared.inputs, vaultUrl: FAKE_VAULT_URL, timeoutSeconds: 3 };
    const failure = await provider.create(declared.urn, inputs).then(
      () => new Error("expected create to fail"),
      (error: Error) => error,
    );
    expect(failure.message).toMatch(/still cannot use Key Vault https:\/\/kv-cerby-fake\.vault\.azure\.net\/ .*403 Forbidden.*run `pulumi up` again/);
  } finally {
    azure.forbidGet = 0;
  }
});
