import type { KeyVaultKey } from "@azure/keyvault-keys";
import { checkKeyProperties } from "../components/azure/preflight";

const NOW = new Date("2026-06-01T00:00:00Z");

/** A modulus of `bits` bits, optionally with the leading zero byte some encoders add. */
function modulus(bits: number, leadingZero = false): Uint8Array {
  const bytes = new Uint8Array(bits / 8).fill(0x5a);
  bytes[0] = 0xc1;
  return leadingZero ? Uint8Array.from([0, ...bytes]) : bytes;
}

function key(overrides: { keyType?: string; n?: Uint8Array; enabled?: boolean; expiresOn?: Date; notBefore?: Date; ops?: string[] } = {}): KeyVaultKey {
  const keyType = overrides.keyType ?? "RSA";
  return {
    name: "cerby-external-key",
    id: "https://kv.vault.azure.net/keys/cerby-external-key/0123",
    keyType,
    keyOperations: overrides.ops ?? ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
    key: { kty: keyType, n: "n" in overrides ? overrides.n : modulus(4096) },
    properties: {
      name: "cerby-external-key",
      vaultUrl: "https://kv.vault.azure.net",
      enabled: overrides.enabled ?? true,
      expiresOn: overrides.expiresOn,
      notBefore: overrides.notBefore,
    },
  } as KeyVaultKey;
}

function failures(checked: ReturnType<typeof checkKeyProperties>): string[] {
  return checked.filter((check) => !check.ok).map((check) => check.name);
}

describe("checkKeyProperties", () => {
  test("an enabled RSA 4096 key that may wrap and unwrap passes every check", () => {
    const checks = checkKeyProperties(key(), NOW);
    expect(checks.map((check) => check.name)).toEqual(["key-type", "key-size", "key-enabled", "key-dates", "key-operations"]);
    expect(failures(checks)).toEqual([]);
  });

  test("RSA-HSM is accepted, and a leading zero byte in the modulus does not change its size", () => {
    expect(failures(checkKeyProperties(key({ keyType: "RSA-HSM", n: modulus(4096, true) }), NOW))).toEqual([]);
  });

  test("a 2048-bit key fails the size check and says to create a new key", () => {
    const size = checkKeyProperties(key({ n: modulus(2048) }), NOW).find((check) => check.name === "key-size");
    expect(size).toMatchObject({ ok: false, detail: "2048-bit modulus, not 4096" });
    expect(size?.cause).toMatch(/create a new RSA 4096 key/);
  });

  test("an EC key fails both type and size", () => {
    const checks = checkKeyProperties(key({ keyType: "EC", n: undefined }), NOW);
    expect(failures(checks)).toEqual(["key-type", "key-size"]);
    expect(checks[0].detail).toBe("key type is EC, not RSA or RSA-HSM");
  });

  test("a disabled key fails", () => {
    expect(failures(checkKeyProperties(key({ enabled: false }), NOW))).toEqual(["key-enabled"]);
  });

  test("an expired key and a key not yet valid fail the date check", () => {
    const expired = checkKeyProperties(key({ expiresOn: new Date("2026-05-31T23:59:59Z") }), NOW);
    expect(expired.find((check) => check.name === "key-dates")).toMatchObject({ ok: false, detail: "expired at 2026-05-31T23:59:59.000Z" });
    const early = checkKeyProperties(key({ notBefore: new Date("2026-06-02T00:00:00Z") }), NOW);
    expect(failures(early)).toEqual(["key-dates"]);
    const later = checkKeyProperties(key({ expiresOn: new Date("2027-01-01T00:00:00Z") }), NOW);
    expect(later.find((check) => check.name === "key-dates")).toMatchObject({ ok: true, detail: "valid until 2027-01-01T00:00:00.000Z" });
  });

  test("a key that may not unwrap fails and lists what it allows", () => {
    const checks = checkKeyProperties(key({ ops: ["encrypt", "decrypt", "wrapKey"] }), NOW);
    expect(checks.find((check) => check.name === "key-operations")).toMatchObject({
      ok: false,
      detail: "unwrapKey not allowed (allowed: encrypt, decrypt, wrapKey)",
    });
  });
});
