import * as pulumi from "@pulumi/pulumi";

/** The identity of Cerby's AWS key: the multi-Region key ID and the ARNs of the primary and replica. */
export interface AwsKeyIdentity {
  keyId: string;
  keyArn: string;
  replicaKeyArn: string;
}

/** The identity of Cerby's Azure key: ARM IDs of the vault and key, and the versionless key URI. */
export interface AzureKeyIdentity {
  vaultId: string;
  keyResourceId: string;
  keyUri: string;
}

export type KeyContinuityArgs =
  | { cloud: "aws"; identity: { [K in keyof AwsKeyIdentity]: pulumi.Input<string> } }
  | { cloud: "azure"; identity: { [K in keyof AzureKeyIdentity]: pulumi.Input<string> } };

export interface KeyContinuityInputs {
  cloud: "aws" | "azure";
  identity: Record<string, string>;
}

/** How an unknown value reaches a dynamic provider (a preview of a resource still to be created). */
const UNKNOWN = pulumi.runtime.unknownValue;

/** The region of a KMS ARN (arn:aws:kms:<region>:<account>:key/<id>). */
function kmsRegion(arn: string): string {
  return arn.split(":")[3] ?? "<region>";
}

/** The name after `/<segment>/` in an ARM ID (a vault or key name). */
function armName(id: string, segment: string): string {
  const parts = id.split("/");
  const index = parts.findIndex((part) => part.toLowerCase() === segment);
  return index >= 0 && parts[index + 1] ? parts[index + 1] : `<${segment}>`;
}

/** What to run when the state lost the key: bring the same key back, never make a new one. */
export function recoveryCommands(cloud: "aws" | "azure", identity: Record<string, string>): string {
  if (cloud === "aws") {
    const key = identity.keyId;
    const regions = [kmsRegion(identity.keyArn), kmsRegion(identity.replicaKeyArn)];
    return (
      "Cancel the deletion and re-enable both keys (a cancelled key stays disabled): " +
      regions.map((region) => `\`aws kms cancel-key-deletion --key-id ${key} --region ${region}\``).join(", ") +
      ", then " +
      regions.map((region) => `\`aws kms enable-key --key-id ${key} --region ${region}\``).join(", ") +
      ". Then run `pulumi refresh`; if a refresh already dropped a key from the state, `pulumi import` it again " +
      `(aws:kms/key:Key ${key}, aws:kms/replicaKey:ReplicaKey ${key} in ${regions[1]}; docs/security.md, "Key continuity").`
    );
  }
  const vault = armName(identity.vaultId, "vaults");
  const key = armName(identity.keyResourceId, "keys");
  return (
    `Recover the vault if it was deleted (\`az keyvault recover --name ${vault}\`), then the key ` +
    `(\`az keyvault key recover --vault-name ${vault} --name ${key}\`). Then run \`pulumi refresh\`; if a refresh ` +
    "already dropped them from the state, `pulumi import` them again (azure-native:keyvault:Vault " +
    `${identity.vaultId}, azure-native:keyvault:Key ${identity.keyResourceId}; docs/security.md, "Key continuity").`
  );
}

/** Azure resource IDs, which ARM compares without regard to case; AWS ARNs and key IDs are exact. */
const CASE_INSENSITIVE: Record<KeyContinuityInputs["cloud"], readonly string[]> = { aws: [], azure: ["vaultId", "keyResourceId"] };

/** Whether a value is the pinned one: Azure may return an ARM ID with its segments cased differently. */
function samePinned(cloud: KeyContinuityInputs["cloud"], name: string, pinned: string, value: unknown): boolean {
  if (typeof value === "string" && CASE_INSENSITIVE[cloud].includes(name)) {
    return value.toLowerCase() === pinned.toLowerCase();
  }
  return value === pinned;
}

/**
 * What to clean up when the run went on without a preview (`pulumi up --skip-preview`): the
 * provider has then created a new key and replica, which the state holds under the protected names,
 * before the guard could refuse. Empty when the new values are unknown (a preview stopped in time).
 */
function unusedNewKeyCleanup(cloud: "aws" | "azure", after: Record<string, unknown>, before: Record<string, string>): string {
  const created = typeof after.keyId === "string" && after.keyId !== UNKNOWN && after.keyId !== before.keyId;
  if (cloud !== "aws" || !created) {
    return "";
  }
  const arn = (name: string) => (typeof after[name] === "string" && after[name] !== UNKNOWN ? (after[name] as string) : before[name]);
  const [primary, replica] = [kmsRegion(arn("keyArn")), kmsRegion(arn("replicaKeyArn"))];
  return (
    `This run went on without a preview (\`pulumi up --skip-preview\`), so AWS already created an unused new key ${after.keyId} ` +
    "and its replica, and the state holds them under the protected key and replica names. Clean up first: " +
    "`pulumi state unprotect <URN>` and `pulumi state delete <URN>` for the new key and the new replica (their URNs from " +
    "`pulumi stack --show-urns`, types aws:kms/key:Key and aws:kms/replicaKey:ReplicaKey), then schedule the deletion of the " +
    `unused key, replica first: \`aws kms schedule-key-deletion --key-id ${after.keyId} --region ${replica} --pending-window-in-days 7\`, ` +
    `then \`aws kms schedule-key-deletion --key-id ${after.keyId} --region ${primary} --pending-window-in-days 7\`. ` +
    "Then bring back the old key as follows, and never run this stack with `--skip-preview`. "
  );
}

/**
 * Refuses any change to a pinned value that the state holds: a different value, or one that is
 * unknown (the key or vault would be created). Either means the state no longer has Cerby's key.
 */
export function continuityDiff(olds: Partial<KeyContinuityInputs>, news: KeyContinuityInputs): pulumi.dynamic.DiffResult {
  const cloud = olds.cloud ?? news.cloud;
  const before = olds.identity ?? {};
  const after: Record<string, unknown> = (news.identity as unknown) === UNKNOWN ? {} : news.identity;
  const lost = Object.keys(before).filter((name) => before[name] !== undefined && !samePinned(cloud, name, before[name], after[name] ?? UNKNOWN));
  if (lost.length > 0) {
    const described = lost
      .map((name) => `${name} ${before[name]} → ${after[name] === UNKNOWN || after[name] === undefined ? "a new one" : after[name]}`)
      .join("; ");
    throw new Error(
      `Key continuity: this run would point Cerby's dependencies at another key (${described}). The state lost Cerby's key ` +
        "(scheduled for deletion, or soft-deleted, and dropped by a refresh), and a new key cannot decrypt anything Cerby " +
        `encrypted. Nothing Cerby depends on was changed. ${unusedNewKeyCleanup(cloud, after, before)}${recoveryCommands(cloud, before)} ` +
        "To move to a new key on purpose, migrate Cerby first (docs/cerby-registration.md, \"Changes, and moving to a new key\"), then " +
        "`pulumi state unprotect` and `pulumi state delete` this guard's URN.",
    );
  }
  const added = Object.keys(after).some((name) => before[name] === undefined);
  return { changes: added, replaces: [], deleteBeforeReplace: false };
}

/** Small and self-contained: the engine stores it, serialized, with the resource. */
export const continuityProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: KeyContinuityInputs, news: KeyContinuityInputs) {
    return continuityDiff(olds, news);
  },
  async create(inputs: KeyContinuityInputs) {
    return { id: `key-continuity-${inputs.cloud}`, outs: inputs };
  },
  async update(_id: string, _olds: KeyContinuityInputs, news: KeyContinuityInputs) {
    return { outs: news };
  },
};

/**
 * Why: the providers read a KMS key pending deletion (@pulumi/aws, as terraform-provider-aws#19967)
 * and a soft-deleted Key Vault key or vault (azure-native, a 404) as deleted, so a refresh drops
 * them from state despite `protect`, and the next run plans a new key; see docs/security.md, "Key continuity".
 *
 * Pins the identity of Cerby's key in state and passes it on: everything that points at the key
 * (aliases, the role's policy, the role assignment, the lock, the Cerby vault) takes the IDs from
 * here, so when a refresh has dropped a key scheduled for deletion or soft-deleted, the run stops
 * at this guard with the recovery commands before anything Cerby depends on changes. Protected:
 * removing it is part of a deliberate migration to a new key.
 */
export class KeyContinuityGuard extends pulumi.dynamic.Resource {
  declare readonly cloud: pulumi.Output<"aws" | "azure">;
  declare readonly identity: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: KeyContinuityArgs, opts?: pulumi.CustomResourceOptions) {
    super(continuityProvider, name, { cloud: args.cloud, identity: args.identity }, { protect: true, ...opts }, "cerby", "KeyContinuity");
  }

  /** A value that follows from the pinned identity (a vault URL), passed on once the guard has accepted it. */
  gate<T>(value: pulumi.Input<T>): pulumi.Output<T> {
    return pulumi.all([this.identity, value]).apply(([, passed]) => passed as T);
  }

  /** One pinned value, carrying the dependency on this guard. */
  pinned<K extends keyof AwsKeyIdentity | keyof AzureKeyIdentity>(name: K): pulumi.Output<string> {
    return this.identity.apply((identity) => identity[name]);
  }
}
