import { CerbyVaultProvider, type CerbyVaultInputs, type CerbyVaultOutputs } from "../components/cerby/provider";
import { isSecretValue, type MockCloud, type MockRunResult, type RecordedResource } from "../tools/mock-runtime";
import { azureCloud } from "./support/azure-cloud";
import { CerbyEmulator } from "./support/cerby-emulator";
import { runProgram, single } from "./support/program";
import { AZURE_TYPES } from "./support/resource-types";

/**
 * A client-secret rotation whose Cerby update fails, then the next `pulumi up`, with the state the
 * engine keeps between them. The engine's rules modelled here:
 * - A create-before-delete replacement creates the new resource, updates its dependents, and only
 *   then deletes the old one. When the run fails in between, the old resource stays in state
 *   marked for deletion, and the next run deletes it first, before any other step
 *   (retirePendingDeletes in pulumi/pulumi pkg/resource/deploy/deployment_executor.go).
 * - A delete (replacement, pending or destroy) of a resource whose state says retainOnDelete never
 *   calls the provider's Delete: the engine only drops it from state ("retainOnDelete": Pulumi
 *   docs, resource options; pulumi/pulumi#8746). The flag comes from the old resource's state, not
 *   from the program running now (pulumi/pulumi#13428), so each entry keeps the flag of the run
 *   that registered it.
 */

const API_KEY = "cerby-rotation-key-9c41d7e2";
const FIRST_START = "2026-11-28";
const ROTATED_START = "2027-05-01";

/** The fake Entra ID: client secrets by key ID. A secret mints per start date, as a rotation does. */
class FakeEntra {
  readonly secrets = new Map<string, string>();

  static keyIdFor(startDate: string): string {
    return `${startDate.replace(/-/g, "")}-7777-4777-8777-777777777777`;
  }

  static valueFor(startDate: string): string {
    return `entra-secret~${startDate}_Qx7`;
  }

  readonly cloud: MockCloud = {
    ...azureCloud,
    newResource: (args) => {
      if (args.type !== AZURE_TYPES.password) {
        return azureCloud.newResource?.(args);
      }
      const startDate = String(args.inputs.startDate).slice(0, 10);
      const keyId = FakeEntra.keyIdFor(startDate);
      this.secrets.set(keyId, FakeEntra.valueFor(startDate));
      return { id: `${args.inputs.applicationId}/password/${keyId}`, state: { keyId, value: FakeEntra.valueFor(startDate) } };
    },
  };
}

/** A resource entry in the modelled state. */
interface StateEntry {
  urn: string;
  keyId: string;
  retainOnDelete: boolean;
  pendingDelete: boolean;
}

/** Raw inputs with secret wrappers opened: what the engine hands the provider. */
function reveal(value: unknown): unknown {
  if (isSecretValue(value)) {
    return reveal(value.value);
  }
  if (Array.isArray(value)) {
    return value.map(reveal);
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, reveal(item)]));
  }
  return value;
}

describe("a client-secret rotation whose Cerby update fails, then the next pulumi up", () => {
  let emulator: CerbyEmulator;
  let entra: FakeEntra;
  let provider: CerbyVaultProvider;
  const state: StateEntry[] = [];
  const runs: MockRunResult[] = [];

  beforeAll(async () => {
    emulator = await CerbyEmulator.start({ keys: { [API_KEY]: { role: "admin", scopes: ["vaults:read", "vaults:write"] } } });
    entra = new FakeEntra();
    // One attempt per request, so that one injected fault fails the update.
    provider = new CerbyVaultProvider({ client: { maxAttempts: 1, timeoutMs: 30_000 }, log: { info: () => undefined, warn: () => undefined } });
    const config: Record<string, string> = { "cerby-external-keys:cerbyApiKey": API_KEY };
    await provider.configure({ config: { get: (key) => config[key], require: (key) => config[key] } });
  });

  afterAll(async () => {
    await emulator.stop();
  });

  async function run(startDate: string): Promise<MockRunResult> {
    // The preflight (an Azure check, its own resource) is tested elsewhere.
    const result = await runProgram({ clientSecretStartDate: startDate, cerbyApiUrl: emulator.url, cerbyPreflight: false }, { cloud: entra.cloud });
    runs.push(result);
    return result;
  }

  function vaultInputs(result: MockRunResult): CerbyVaultInputs {
    return reveal(single(result.resources, AZURE_TYPES.cerbyVault).rawInputs) as CerbyVaultInputs;
  }

  /** The invariant: the secret Cerby holds exists in Entra ID. */
  function expectCerbySecretValid(step: string): void {
    const [vault] = emulator.allVaults().filter((stored) => stored.scheme === "akv");
    const held = vault.configuration.clientSecret;
    expect({ step, heldSecretExistsInEntra: [...entra.secrets.values()].includes(held) }).toEqual({ step, heldSecretExistsInEntra: true });
  }

  /** Registers a run's password as the engine would: replaced create-before-delete, or unchanged. */
  function applyPassword(password: RecordedResource, keyId: string): void {
    const current = state.find((entry) => entry.urn === password.urn && !entry.pendingDelete);
    if (current && current.keyId !== keyId) {
      if (password.deleteBeforeReplace) {
        deleteEntry(current);
      } else {
        current.pendingDelete = true;
      }
    }
    if (!current || current.keyId !== keyId) {
      state.push({ urn: password.urn, keyId, retainOnDelete: password.retainOnDelete, pendingDelete: false });
    } else {
      current.retainOnDelete = password.retainOnDelete;
    }
  }

  function deleteEntry(entry: StateEntry): void {
    if (!entry.retainOnDelete) {
      entra.secrets.delete(entry.keyId);
    }
    state.splice(state.indexOf(entry), 1);
  }

  test("Cerby's secret exists in Entra ID after every step, and the next run gives Cerby the new one", async () => {
    // Run 1: the first deployment.
    const first = await run(FIRST_START);
    applyPassword(single(first.resources, AZURE_TYPES.password), FakeEntra.keyIdFor(FIRST_START));
    const inputs = (await provider.check({}, vaultInputs(first) as unknown as Record<string, unknown>)).inputs as CerbyVaultInputs;
    const created = await provider.create(inputs);
    let vaultState = created.outs as CerbyVaultOutputs;
    expectCerbySecretValid("first deployment");

    // Run 2: a new start date creates the new secret; the Cerby update fails; the run stops.
    const rotated = await run(ROTATED_START);
    applyPassword(single(rotated.resources, AZURE_TYPES.password), FakeEntra.keyIdFor(ROTATED_START));
    expectCerbySecretValid("new secret created");
    emulator.inject({ method: "PATCH", path: "/vaults/", fault: { kind: "status", status: 503 } });
    await expect(provider.update(created.id, vaultState, vaultInputs(rotated))).rejects.toThrow();
    expect(emulator.pendingFaults()).toBe(0);
    expectCerbySecretValid("Cerby update failed");

    // Run 3: the engine first deletes what the failed run left pending, then updates Cerby.
    const next = await run(ROTATED_START);
    for (const entry of state.filter((candidate) => candidate.pendingDelete)) {
      deleteEntry(entry);
      expectCerbySecretValid("pending delete processed");
    }
    applyPassword(single(next.resources, AZURE_TYPES.password), FakeEntra.keyIdFor(ROTATED_START));
    vaultState = (await provider.update(created.id, vaultState, vaultInputs(next))).outs as CerbyVaultOutputs;
    expectCerbySecretValid("Cerby updated");
    expect(emulator.allVaults().find((stored) => stored.id === created.id)?.configuration.clientSecret).toBe(FakeEntra.valueFor(ROTATED_START));
    expect(vaultState.akv?.clientSecret).toBe(FakeEntra.valueFor(ROTATED_START));
    // The previous secret is still valid: the person revokes it by key ID once verify passes.
    expect(entra.secrets.has(FakeEntra.keyIdFor(FIRST_START))).toBe(true);
  });

  test("every run declares the password retained on delete and replaced create-before-delete", () => {
    expect(runs).toHaveLength(3);
    for (const result of runs) {
      const password = single(result.resources, AZURE_TYPES.password);
      expect({ retainOnDelete: password.retainOnDelete, deleteBeforeReplace: password.deleteBeforeReplace }).toEqual({
        retainOnDelete: true,
        deleteBeforeReplace: false,
      });
    }
  });

  test("the Cerby vault takes its client secret from the password, so the engine updates it only after the new one exists", () => {
    for (const result of runs) {
      const password = single(result.resources, AZURE_TYPES.password);
      expect(single(result.resources, AZURE_TYPES.cerbyVault).dependsOn).toContain(password.urn);
    }
  });

  test("the stack exports the current secret's key ID, the one to keep when revoking the previous", () => {
    const [, rotated] = runs;
    expect(rotated.outputs.clientSecretKeyId).toEqual({ kind: "known", value: FakeEntra.keyIdFor(ROTATED_START) });
  });
});
