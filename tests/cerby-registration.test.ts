/**
 * Guided registration (cerbyRegistration) against the Cerby emulator, with its write endpoints
 * off (as Cerby documents its API: GET /vaults alone) and on. The wait runs on an injected clock
 * and timer, so no test really waits.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClientTuning } from "../components/cerby/client";
import type { CerbyApiError } from "../components/cerby/errors";
import { CerbyVaultInputs, CerbyVaultOutputs, CerbyVaultProvider } from "../components/cerby/provider";
import { FIRST_POLL_DELAY_MS, MAX_POLL_DELAY_MS, registrationInstructions, waitFor } from "../components/cerby/registration";
import { CerbyEmulator, type EmulatedKey, type WriteEndpoints } from "./support/cerby-emulator";
import { akvSettings, akvVaultInputs } from "./support/cerby-fixtures";

const API_KEY = "cerby-registration-key-7c1d9e";
const CLIENT_SECRET = "entra-secret-Gd4~Wq7_guided";
const ROTATED_SECRET = "entra-secret-Hn2~Xy5_rotated";
const START_DATE = "2026-11-28";
const KEY_ID = "5c0e9f3a-1b2c-4d5e-8f90-a1b2c3d4e5f6";
const ROTATED_START_DATE = "2026-12-01";
const ROTATED_KEY_ID = "7d1f0a4b-2c3d-4e5f-9a01-b2c3d4e5f6a7";
/** The ApplicationPassword filter of the command that reads the rotated secret from the state. */
const ROTATED_FILTER = `select(.type == "azuread:index/applicationPassword:ApplicationPassword" and .outputs.keyId == "${ROTATED_KEY_ID}")`;
// Generous per-request bounds (a loaded CI machine must not cause retries), short backoff for the 5xx cases.
const TUNING: ClientTuning = { timeoutMs: 10_000, maxAttempts: 3, maxElapsedMs: 30_000, baseDelayMs: 5, maxDelayMs: 20 };
const KMS = {
  awsAccountId: "123456789012",
  kmsKeyId: "mrk-0123456789abcdef0123456789abcdef",
  roleArn: "arn:aws:iam::123456789012:role/cerby-kms-byo-key-access",
};

/** Every message logged and error thrown in this file, scanned for the secrets at the end. */
const texts: string[] = [];

let emulator: CerbyEmulator;

async function start(writeEndpoints: WriteEndpoints = "on", key: EmulatedKey = { role: "admin", scopes: ["vaults:read", "vaults:write"] }): Promise<void> {
  emulator = await CerbyEmulator.start({ keys: { [API_KEY]: key }, withLocalVault: true, writeEndpoints });
}

afterEach(async () => {
  await emulator?.stop();
});

afterAll(() => {
  expect(texts.length).toBeGreaterThan(10);
  for (const text of texts) {
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).not.toContain(ROTATED_SECRET);
    expect(text).not.toContain(API_KEY);
  }
});

interface Harness {
  provider: CerbyVaultProvider;
  infos: string[];
  warns: string[];
  /** The pauses the wait asked for, in order. */
  sleeps: number[];
}

/**
 * A provider with a fake clock: each sleep advances it by the pause, then runs `onSleep` (which
 * may register the vault "by hand", as a person would while the create waits).
 */
async function harness(onSleep: (count: number) => void = () => undefined): Promise<Harness> {
  const infos: string[] = [];
  const warns: string[] = [];
  const sleeps: number[] = [];
  let clock = 0;
  const provider = new CerbyVaultProvider({
    client: TUNING,
    log: {
      info: (message) => void (infos.push(message), texts.push(message)),
      warn: (message) => void (warns.push(message), texts.push(message)),
    },
    wait: {
      now: () => clock,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
        onSleep(sleeps.length);
      },
    },
  });
  const settings: Record<string, string> = { "cerby-external-keys:cerbyApiKey": API_KEY };
  await provider.configure({ config: { get: (key) => settings[key], require: (key) => settings[key] } });
  return { provider, infos, warns, sleeps };
}

/** As the program passes them in guided mode, which always exports the secret. */
function akvInputs(overrides: Partial<CerbyVaultInputs> = {}): CerbyVaultInputs {
  return akvVaultInputs(emulator.url, CLIENT_SECRET, {
    registration: "guided",
    registrationWaitMinutes: 0,
    clientSecretRotation: { startDate: START_DATE, keyId: KEY_ID, exported: true },
    ...overrides,
  });
}

/** The inputs after clientSecretStartDate moved to ROTATED_START_DATE: a new secret and key ID. */
function rotatedInputs(confirmedStartDate?: string, overrides: Partial<CerbyVaultInputs> = {}): CerbyVaultInputs {
  return akvInputs({
    akv: akvSettings(ROTATED_SECRET),
    clientSecretRotation: { startDate: ROTATED_START_DATE, keyId: ROTATED_KEY_ID, confirmedStartDate, exported: true },
    ...overrides,
  });
}

function kmsInputs(overrides: Partial<CerbyVaultInputs> = {}): CerbyVaultInputs {
  return { ...akvInputs(), name: "AWS KMS", scheme: "kms_byo", akv: undefined, kmsByo: KMS, ...overrides };
}

function calls(): string[] {
  return emulator.requests.map((request) => `${request.method} ${request.path.replace(/[0-9a-f-]{36}/, "{id}")}`);
}

function writes(): string[] {
  return calls().filter((call) => !call.startsWith("GET "));
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    const caught = error as Error;
    texts.push(caught.message, caught.stack ?? "");
    return caught;
  }
  throw new Error("expected a failure");
}

/** Where each of `parts` starts in `text`; -1 for a missing one. */
function positions(text: string, parts: string[]): number[] {
  return parts.map((part) => text.indexOf(part));
}

describe.each([404, 405] as const)("guided create, write endpoints answering %i", (status) => {
  beforeEach(() => start(status));

  test("the first run fails with the instructions: every value in the form's order, the secret only as a command", async () => {
    const { provider } = await harness();
    const error = await failure(provider.create(akvInputs()));
    const akv = akvSettings(CLIENT_SECRET);
    const message = error.message;
    expect(message).toContain("https://acme.cerby.com");
    expect(message).toContain('open Settings → Vaults and add a vault with the strategy "Azure External Keys"');
    expect(message).toContain("Vault name: Azure Key Vault");
    expect(message).toContain("Default vault: off");
    const order = positions(message, [akv.tenantId, akv.clientId, "pulumi stack output clientSecret --show-secrets", akv.vaultUrl, akv.keyName]);
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(message).toContain("run `pulumi up` again");
    expect(message).not.toContain(CLIENT_SECRET);
    expect(writes()).toEqual([]);
  });

  test("the second run, after the vault was registered by hand, adopts it and sends nothing", async () => {
    const { provider } = await harness();
    await failure(provider.create(akvInputs()));
    const byHand = emulator.seed({ name: "Azure Key Vault", scheme: "akv" });
    emulator.requests.length = 0;
    const result = await provider.create(akvInputs());
    expect(result.id).toBe(byHand.id);
    expect(result.outs).toMatchObject({ vaultId: byHand.id, name: "Azure Key Vault", registration: "guided", isDefault: false });
    expect(calls()).toEqual(["GET /vaults"]);
  });

  test("an AWS KMS vault gets the AWS KMS strategy and its three values in the form's order", async () => {
    const { provider } = await harness();
    const error = await failure(provider.create(kmsInputs({ setAsDefault: true })));
    expect(error.message).toContain('strategy "AWS KMS"');
    expect(error.message).toContain("Default vault: on");
    const order = positions(error.message, [KMS.awsAccountId, KMS.kmsKeyId, KMS.roleArn]);
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(error.message).not.toContain("clientSecret");
  });

  test("a vault registered by hand with another name is a conflict, not adopted", async () => {
    emulator.seed({ name: "Our Azure vault", scheme: "akv" });
    const { provider } = await harness();
    const error = await failure(provider.create(akvInputs()));
    expect(error.name).toBe("CerbyVaultConflictError");
    expect(writes()).toEqual([]);
  });
});

describe("guided never writes, even where Cerby has the write endpoints", () => {
  beforeEach(() => start("on"));

  test("a create fails with the instructions instead of POSTing", async () => {
    const { provider } = await harness();
    const error = await failure(provider.create(akvInputs()));
    expect(error.message).toContain("cerbyRegistration is guided");
    expect(writes()).toEqual([]);
    expect(emulator.allVaults().filter((vault) => vault.scheme === "akv")).toEqual([]);
  });

  test("adopting a vault whose default flag differs reports the change instead of PATCHing it", async () => {
    const byHand = emulator.seed({ name: "Azure Key Vault", scheme: "akv" });
    const { provider, warns } = await harness();
    const result = await provider.create(akvInputs({ setAsDefault: true }));
    expect(result.outs).toMatchObject({ vaultId: byHand.id, isDefault: false });
    expect(warns.join("\n")).toContain(`"Azure Key Vault" (id ${byHand.id}) and turn its default flag on`);
    expect(writes()).toEqual([]);
  });
});

describe("a waiting create (cerbyRegistrationWaitMinutes)", () => {
  beforeEach(() => start(404));

  test("prints the instructions once, polls with growing pauses and adopts the vault when it appears", async () => {
    let byHandId = "";
    const { provider, infos, warns, sleeps } = await harness((count) => {
      if (count === 3) {
        byHandId = emulator.seed({ name: "Azure Key Vault", scheme: "akv" }).id;
      }
    });
    const result = await provider.create(akvInputs({ registrationWaitMinutes: 15 }));
    expect(result.id).toBe(byHandId);
    expect(warns.filter((message) => message.includes("Settings → Vaults"))).toHaveLength(1);
    expect(warns[0]).toContain("checks Cerby for the vault for up to 15 minutes");
    expect(sleeps).toEqual([FIRST_POLL_DELAY_MS, FIRST_POLL_DELAY_MS * 2, FIRST_POLL_DELAY_MS * 4]);
    expect(infos.filter((message) => message.startsWith('Cerby vault "Azure Key Vault": not in Cerby yet'))).toHaveLength(3);
    // The first look, then one per pause; never a write.
    expect(calls()).toEqual(["GET /vaults", "GET /vaults", "GET /vaults", "GET /vaults"]);
  });

  test("gives up after the wait with the instructions, having polled a bounded number of times", async () => {
    const { provider, sleeps } = await harness();
    const error = await failure(provider.create(akvInputs({ registrationWaitMinutes: 10 })));
    expect(error.message).toContain("within 10 minutes (cerbyRegistrationWaitMinutes)");
    expect(error.message).toContain("run `pulumi up` again");
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBe(10 * 60_000);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(MAX_POLL_DELAY_MS);
    expect(calls()).toHaveLength(1 + sleeps.length);
  });
});

describe("auto", () => {
  test.each([404, 405, 501] as const)("falls back to guided when the create's POST answers %i, and says why", async (status) => {
    await start(status);
    const { provider, warns } = await harness();
    const error = await failure(provider.create(akvInputs({ registration: "auto" })));
    expect(warns.join("\n")).toContain(`(HTTP ${status}), so cerbyRegistration auto carries on as guided`);
    expect(error.message).toContain("Settings → Vaults");
    expect(error.message).toContain(`Cerby's API cannot create it (HTTP ${status} on POST)`);
    // One POST: a missing endpoint is not retried.
    expect(calls()).toEqual(["GET /vaults", "POST /vaults"]);
  });

  const noFallback: [string, () => Promise<void>, number][] = [
    ["400", () => start().then(() => emulator.inject({ method: "POST", fault: { kind: "status", status: 400 } })), 400],
    ["401 (a key with the read scope alone)", () => start("on", { role: "admin", scopes: ["vaults:read"] }), 401],
    ["403 (a key whose user may not manage vaults)", () => start("on", { role: "member", scopes: ["vaults:read", "vaults:write"] }), 403],
    ["409", () => start().then(() => emulator.inject({ method: "POST", fault: { kind: "status", status: 409 } })), 409],
    ["500", () => start().then(() => emulator.inject(...Array(3).fill({ method: "POST", fault: { kind: "status", status: 500 } }))), 500],
    ["503", () => start().then(() => emulator.inject(...Array(3).fill({ method: "POST", fault: { kind: "status", status: 503 } }))), 503],
  ];

  test.each(noFallback)("does not fall back on %s: the error stands", async (_name, setUp, status) => {
    await setUp();
    const { provider, warns } = await harness();
    const error = await failure(provider.create(akvInputs({ registration: "auto" })));
    expect((error as CerbyApiError).status).toBe(status);
    expect(error.message).not.toContain("Settings → Vaults");
    expect(warns.join("\n")).not.toContain("carries on as guided");
  });

  test("after falling back, a waiting create adopts the vault registered meanwhile and writes nothing more", async () => {
    await start(405);
    let byHandId = "";
    const { provider, warns } = await harness((count) => {
      if (count === 1) {
        byHandId = emulator.seed({ name: "Azure Key Vault", scheme: "akv" }).id;
      }
    });
    const result = await provider.create(akvInputs({ registration: "auto", registrationWaitMinutes: 5, setAsDefault: true }));
    expect(result.id).toBe(byHandId);
    expect(result.outs).toMatchObject({ registration: "auto", isDefault: false });
    expect(warns.join("\n")).toContain("turn its default flag on");
    expect(writes()).toEqual(["POST /vaults"]);
  });

  test("with the write endpoints on, creates the vault by API", async () => {
    await start("on");
    const { provider } = await harness();
    const result = await provider.create(akvInputs({ registration: "auto" }));
    expect(emulator.allVaults().find((vault) => vault.id === result.id)?.configuration.clientSecret).toBe(CLIENT_SECRET);
  });

  test("a rename whose PATCH answers 405 is reported as an instruction", async () => {
    await start("on");
    const { provider, warns } = await harness();
    const { id, outs } = await provider.create(akvInputs({ registration: "auto" }));
    emulator.writeEndpoints = 405;
    const { outs: after } = await provider.update(id, outs as CerbyVaultOutputs, akvInputs({ registration: "auto", name: "Renamed" }));
    expect(after?.name).toBe("Azure Key Vault");
    expect(warns.join("\n")).toContain('and rename it to "Renamed"');
  });
});

/** Write endpoints off, a vault registered by hand, and this stack's state after adopting it. */
async function vaultRegisteredByHand(): Promise<{ byHandId: string; outs: CerbyVaultOutputs }> {
  await start(405);
  const byHandId = emulator.seed({ name: "Azure Key Vault", scheme: "akv", configuration: { clientSecret: CLIENT_SECRET } }).id;
  const { provider } = await harness();
  const outs = (await provider.create(akvInputs())).outs as CerbyVaultOutputs;
  emulator.requests.length = 0;
  return { byHandId, outs };
}

describe("changes in guided mode", () => {
  let byHandId: string;
  let outs: CerbyVaultOutputs;

  beforeEach(async () => {
    ({ byHandId, outs } = await vaultRegisteredByHand());
  });

  test("a rename is an instruction until Cerby shows it, never recorded as done before", async () => {
    const { provider, warns } = await harness();
    const renamed = akvInputs({ name: "Azure external key" });
    const first = (await provider.update(byHandId, outs, renamed)).outs as CerbyVaultOutputs;
    expect(first.name).toBe("Azure Key Vault");
    expect(warns.join("\n")).toContain(`Settings → Vaults → "Azure Key Vault" (id ${byHandId}) and rename it to "Azure external key"`);
    expect((await provider.diff(byHandId, first, renamed)).changes).toBe(true);

    emulator.modify(byHandId, { name: "Azure external key" });
    warns.length = 0;
    const second = (await provider.update(byHandId, first, renamed)).outs as CerbyVaultOutputs;
    expect(second.name).toBe("Azure external key");
    expect(warns).toEqual([]);
    expect((await provider.diff(byHandId, second, renamed)).changes).toBe(false);
    expect(writes()).toEqual([]);
  });

  test("a default-flag change is an instruction until Cerby shows it", async () => {
    const { provider, warns } = await harness();
    const wanted = akvInputs({ setAsDefault: true });
    const first = (await provider.update(byHandId, outs, wanted)).outs as CerbyVaultOutputs;
    expect(first.isDefault).toBe(false);
    expect(warns.join("\n")).toContain("turn its default flag on");
    emulator.modify(byHandId, { isDefault: true });
    const second = (await provider.update(byHandId, first, wanted)).outs as CerbyVaultOutputs;
    expect(second.isDefault).toBe(true);
    expect(writes()).toEqual([]);
  });

  test("with a wait, a rename made while the update polls is recorded in the same run", async () => {
    const { provider, warns } = await harness((count) => {
      if (count === 2) {
        emulator.modify(byHandId, { name: "Azure external key" });
      }
    });
    const { outs: after } = await provider.update(byHandId, outs, akvInputs({ name: "Azure external key", registrationWaitMinutes: 5 }));
    expect(after?.name).toBe("Azure external key");
    expect(warns.filter((message) => message.includes("rename it to"))).toHaveLength(1);
  });

  test("a vault removed from Cerby meanwhile fails the change with the way out, the same as a refresh gives", async () => {
    const { provider } = await harness();
    const error = await failure(provider.update("00000000-0000-4000-8000-000000000000", outs, akvInputs({ name: "Other" })));
    expect(error.message).toContain('Cerby vault 00000000-0000-4000-8000-000000000000 ("Other") is not in the vault list at');
    expect(error.message).toContain('give the key the "Read vaults" scope');
    expect(error.message).toContain("`pulumi state unprotect <urn>`, then `pulumi state delete <urn>`");
  });
});

describe("a rotation a person carries to Cerby is recorded only once confirmed (cerbyClientSecretConfirmedStartDate)", () => {
  let byHandId: string;
  let outs: CerbyVaultOutputs;

  beforeEach(async () => {
    ({ byHandId, outs } = await vaultRegisteredByHand());
  });

  function cerbysSecret(): unknown {
    return emulator.allVaults().find((vault) => vault.id === byHandId)?.configuration.clientSecret;
  }

  test("unconfirmed, the state keeps the secret Cerby holds, so every run shows the change and repeats the instruction", async () => {
    expect(outs).toMatchObject({ clientSecretConfirmed: true, akv: { clientSecret: CLIENT_SECRET } });
    const { provider, warns } = await harness();
    const rotated = rotatedInputs();
    const first = (await provider.update(byHandId, outs, rotated)).outs as CerbyVaultOutputs;
    expect(first.akv?.clientSecret).toBe(CLIENT_SECRET);
    expect(first.clientSecretConfirmed).toBe(false);
    expect(first.clientSecretPending).toEqual({ startDate: ROTATED_START_DATE, keyId: ROTATED_KEY_ID });
    const instruction = warns.join("\n");
    expect(instruction).toContain(`Settings → Vaults → "Azure Key Vault" (id ${byHandId}), edit it and replace the client secret`);
    expect(instruction).toContain("`pulumi stack output clientSecret --show-secrets`");
    expect(instruction).toContain(`\`pulumi config set cerbyClientSecretConfirmedStartDate ${ROTATED_START_DATE}\``);
    expect(instruction).toContain("Do not revoke the previous secret");
    expect((await provider.diff(byHandId, first, rotated)).changes).toBe(true);

    warns.length = 0;
    const second = (await provider.update(byHandId, first, rotated)).outs as CerbyVaultOutputs;
    expect(second).toMatchObject({ clientSecretConfirmed: false, akv: { clientSecret: CLIENT_SECRET } });
    expect(warns.join("\n")).toContain("edit it and replace the client secret");
    expect((await provider.diff(byHandId, second, rotated)).changes).toBe(true);
    expect(cerbysSecret()).toBe(CLIENT_SECRET);
    expect(writes()).toEqual([]);
  });

  test("the confirmation records the new secret; after that neither it nor any rotation setting makes a diff", async () => {
    const { provider, infos } = await harness();
    const pending = (await provider.update(byHandId, outs, rotatedInputs())).outs as CerbyVaultOutputs;
    emulator.modify(byHandId, { configuration: { clientSecret: ROTATED_SECRET } });
    const confirmed = rotatedInputs(ROTATED_START_DATE);
    expect((await provider.diff(byHandId, pending, confirmed)).changes).toBe(true);
    const recorded = (await provider.update(byHandId, pending, confirmed)).outs as CerbyVaultOutputs;
    expect(recorded).toMatchObject({ clientSecretConfirmed: true, akv: { clientSecret: ROTATED_SECRET } });
    expect(recorded.clientSecretPending).toBeUndefined();
    expect(infos.join("\n")).toContain(`confirms that Cerby vault "Azure Key Vault" (id ${byHandId}) holds the client secret of ${ROTATED_START_DATE}`);
    expect((await provider.diff(byHandId, recorded, confirmed)).changes).toBe(false);
    const later = rotatedInputs("2026-11-30", { clientSecretRotation: { startDate: ROTATED_START_DATE, keyId: ROTATED_KEY_ID, exported: false } });
    expect((await provider.diff(byHandId, recorded, later)).changes).toBe(false);
    expect(writes()).toEqual([]);
  });

  test("a confirmation set in the same change as the new start date is not taken by the run that first prints the instruction", async () => {
    const { provider, warns } = await harness();
    const early = rotatedInputs(ROTATED_START_DATE);
    const first = (await provider.update(byHandId, outs, early)).outs as CerbyVaultOutputs;
    expect(first).toMatchObject({ clientSecretConfirmed: false, akv: { clientSecret: CLIENT_SECRET } });
    expect(warns.join("\n")).toContain("it was set before this instruction was printed, so this run does not take it");
    const second = (await provider.update(byHandId, first, early)).outs as CerbyVaultOutputs;
    expect(second).toMatchObject({ clientSecretConfirmed: true, akv: { clientSecret: ROTATED_SECRET } });
  });

  test("a confirmation is not taken for a secret whose instruction no completed run has printed (same start date, new key ID)", async () => {
    const { provider } = await harness();
    const pending = (await provider.update(byHandId, outs, rotatedInputs())).outs as CerbyVaultOutputs;
    const other = rotatedInputs(ROTATED_START_DATE, {
      clientSecretRotation: { startDate: ROTATED_START_DATE, keyId: KEY_ID.replace("5c0e", "6d1f"), confirmedStartDate: ROTATED_START_DATE, exported: true },
    });
    const after = (await provider.update(byHandId, pending, other)).outs as CerbyVaultOutputs;
    expect(after).toMatchObject({ clientSecretConfirmed: false, akv: { clientSecret: CLIENT_SECRET } });
  });
});

describe("auto, where Cerby's PATCH is missing", () => {
  let id: string;
  let outs: CerbyVaultOutputs;
  const auto = (overrides: Partial<CerbyVaultInputs> = {}) =>
    akvInputs({ registration: "auto", clientSecretRotation: { startDate: START_DATE, keyId: KEY_ID, exported: false }, ...overrides });

  beforeEach(async () => {
    await start("on");
    const { provider } = await harness();
    ({ id, outs } = (await provider.create(auto())) as { id: string; outs: CerbyVaultOutputs });
  });

  test("a rotation whose PATCH answers 404 is not recorded, and reads the secret with a command that prints it alone", async () => {
    emulator.writeEndpoints = 404;
    const { provider, warns } = await harness();
    const rotated = rotatedInputs(undefined, {
      registration: "auto",
      clientSecretRotation: { startDate: ROTATED_START_DATE, keyId: ROTATED_KEY_ID, exported: false },
    });
    const after = (await provider.update(id, outs, rotated)).outs as CerbyVaultOutputs;
    expect(after).toMatchObject({ clientSecretConfirmed: false, akv: { clientSecret: CLIENT_SECRET } });
    expect((await provider.diff(id, after, rotated)).changes).toBe(true);
    const instruction = warns.join("\n");
    // The stack has no clientSecret output in auto mode unless exportClientSecret is true.
    expect(instruction).not.toContain("pulumi stack output clientSecret");
    expect(instruction).toContain(`\`pulumi stack export --show-secrets | jq -r '.deployment.resources[] | ${ROTATED_FILTER} | .outputs.value`);
    expect(instruction.match(/pulumi stack export --show-secrets(?! \| jq)/g)).toBeNull();

    // Once the workspace has the endpoint, the PATCH itself is the confirmation.
    emulator.writeEndpoints = "on";
    const patched = (await provider.update(id, after, rotated)).outs as CerbyVaultOutputs;
    expect(patched).toMatchObject({ clientSecretConfirmed: true, akv: { clientSecret: ROTATED_SECRET } });
    expect(emulator.allVaults().find((vault) => vault.id === id)?.configuration.clientSecret).toBe(ROTATED_SECRET);
  });

  test("a create falling back to guided never offers an unfiltered state export for the secret", async () => {
    await emulator.stop();
    await start(404);
    const { provider } = await harness();
    const error = await failure(provider.create(auto()));
    expect(error.message).toContain(`.outputs.keyId == "${KEY_ID}"`);
    expect(error.message.match(/pulumi stack export --show-secrets(?! \| jq)/g)).toBeNull();
  });

  describe("onDelete disable", () => {
    test.each([404, 405, 501] as const)("with PATCH answering %i and the vault still listed, fails with how to disable it by hand, until it is", async (status) => {
      emulator.writeEndpoints = status;
      const { provider, infos } = await harness();
      const props = { ...outs, onDelete: "disable" as const };
      const error = await failure(provider.delete(id, props));
      expect(error.message).toContain("is still enabled in Cerby");
      expect(error.message).toContain(`open Settings → Vaults → "Azure Key Vault" (id ${id}), disable it, then run the delete again`);
      expect(emulator.allVaults().find((vault) => vault.id === id)?.state).toBe("enabled");

      emulator.modify(id, { state: "disabled" });
      await provider.delete(id, props);
      expect(infos.join("\n")).toContain("is disabled in Cerby, as onDelete: disable asks");
    });

    test("a vault no longer in Cerby's list is gone: the delete completes with a warning", async () => {
      emulator.writeEndpoints = 404;
      const { provider, warns } = await harness();
      const gone = "00000000-0000-4000-8000-000000000000";
      await provider.delete(gone, { ...outs, vaultId: gone, onDelete: "disable" });
      expect(warns.join("\n")).toContain("no longer exists in Cerby; nothing to disable");
    });
  });
});

describe("check", () => {
  beforeEach(() => start());

  test("fills in auto and no wait, and refuses a bad mode, a wait beyond an hour and guided with onDelete disable", async () => {
    const { provider } = await harness();
    const { registration, registrationWaitMinutes, ...bare } = akvInputs();
    expect([registration, registrationWaitMinutes]).toEqual(["guided", 0]);
    const filled = await provider.check({}, bare as unknown as Record<string, unknown>);
    expect(filled.failures).toEqual([]);
    expect(filled.inputs).toMatchObject({ registration: "auto", registrationWaitMinutes: 0 });

    const bad = await provider.check({}, { ...akvInputs(), registration: "manual", registrationWaitMinutes: 61 } as unknown as Record<string, unknown>);
    expect(bad.failures?.map((failure) => failure.property).sort()).toEqual(["registration", "registrationWaitMinutes"]);
    const disable = await provider.check({}, akvInputs({ onDelete: "disable" }) as unknown as Record<string, unknown>);
    expect(disable.failures).toEqual([expect.objectContaining({ property: "onDelete", reason: expect.stringContaining("never writes to Cerby") })]);
    const unknown = await provider.check({}, { ...akvInputs(), registration: pulumi.runtime.unknownValue } as unknown as Record<string, unknown>);
    expect(unknown.failures).toEqual([]);
  });
});

describe("the pieces", () => {
  test("waitFor returns at once when the first poll finds it, and never pauses beyond the time left", async () => {
    let clock = 0;
    const pauses: number[] = [];
    const found = await waitFor(async () => "there", {
      waitMs: 3_000,
      now: () => clock,
      sleep: async (ms) => void (pauses.push(ms), (clock += ms)),
      log: () => undefined,
      subject: "x",
    });
    expect(found).toBe("there");
    expect(pauses).toEqual([3_000]);
  });

  test("the instructions print the values given and nothing for a missing secret", () => {
    const text = registrationInstructions(
      { workspace: "acme", name: "Vault", scheme: "akv", setAsDefault: false, akv: akvSettings(CLIENT_SECRET) },
      "Why.",
      "Then.",
    );
    expect(text.split("\n")[0]).toBe("Why.");
    expect(text).toMatch(/ {2}4\. Save the vault\. Then\.$/);
    expect(text).not.toContain(CLIENT_SECRET);
  });
});
