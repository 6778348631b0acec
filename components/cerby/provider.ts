import * as pulumi from "@pulumi/pulumi";
import type { CompleteProvider } from "../bundledProvider";
import { PROJECT } from "../project";
import {
  arnAccountId,
  checkCerbyApiUrl,
  checkCerbyApiUrlWorkspace,
  checkAwsAccountId,
  checkCerbyVaultName,
  checkDnsLabel,
  checkGuid,
  checkIamRoleArn,
  checkKeyName,
  checkKmsKeyId,
  checkVaultUrl,
} from "../validation";
import { CerbyClient, ClientTuning, KEY_ADMINS, SET_API_KEY } from "./client";
import { AkvConfiguration, KmsByoConfiguration, SCHEME_TITLES, VAULT_SCHEMES, VaultChanges, VaultRecord, VaultScheme } from "./contract";
import { inputApiUrl, recordedApiUrl, vaultInApp } from "./endpoint";
import { configError, isApiError, redact, redactError, vaultConflictError } from "./errors";
import {
  DEFAULT_REGISTRATION_MODE,
  fallbackWarning,
  guidedChange,
  guidedCreate,
  isMissingEndpoint,
  modeOf,
  registrationFailures,
  waitMinutesOf,
  type GuidedContext,
  type RegistrationSettings,
  vaultGoneError,
  type WaitOptions,
} from "./registration";
import { confirmedMessage, isConfirmed, pendingOf, rotationInstruction, type ClientSecretRotation, type PendingRotation } from "./rotation";

export type OnDelete = "retain" | "disable";

/**
 * The resource's inputs after `check`: plain values, defaults filled in. `registration` and
 * `registrationWaitMinutes` (registration.ts) say how the vault gets into Cerby and changes reach it.
 */
export interface CerbyVaultInputs extends RegistrationSettings {
  workspace: string;
  apiUrl?: string;
  name: string;
  scheme: VaultScheme;
  setAsDefault: boolean;
  onDelete: OnDelete;
  akv?: AkvConfiguration;
  kmsByo?: KmsByoConfiguration;
  /** akv: which secret `akv.clientSecret` is, and the person's confirmation of a guided rotation (rotation.ts). */
  clientSecretRotation?: ClientSecretRotation;
}

/** State kept by Pulumi: the inputs plus what Cerby reports. `name` is Cerby's current name. */
export interface CerbyVaultOutputs extends CerbyVaultInputs {
  /** The normalized API base URL the vault was created at; the only URL used for it afterwards. */
  apiBaseUrl?: string;
  vaultId: string;
  state: string;
  isDefault: boolean;
  workspaceId?: string;
  createdAt?: string;
  updatedAt?: string;
  /**
   * akv: false while a guided rotation is unconfirmed, when `akv.clientSecret` is still the
   * previous secret (the one Cerby is known to hold) and `clientSecretPending` the rotated one.
   */
  clientSecretConfirmed?: boolean;
  clientSecretPending?: PendingRotation;
}

/** Where provider messages go; `pulumi.log` by default. */
export interface ProviderLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface CerbyVaultProviderOptions {
  /** Retry policy and test seams for every client the provider builds. */
  client?: ClientTuning;
  log?: ProviderLog;
  /** Clock and timer of the guided wait, for tests; the real ones by default. */
  wait?: Pick<WaitOptions, "sleep" | "now">;
}

const API_KEY_SETTING = `${PROJECT}:cerbyApiKey`;
const API_KEY_ENV = "CERBY_API_KEY";

/** The stack config key that names each scheme's vault, for messages that tell users what to change. */
const VAULT_NAME_SETTING: Record<VaultScheme, string> = { akv: "cerbyAzureVaultName", kms_byo: "cerbyAwsVaultName" };

const pulumiLog: ProviderLog = {
  info: (message) => void pulumi.log.info(message),
  warn: (message) => void pulumi.log.warn(message),
};

/** A field whose change diff refuses, and how to read it from inputs, and from state when that differs. */
interface Field {
  path: string;
  read(props: Partial<CerbyVaultOutputs>): unknown;
  readState?(props: Partial<CerbyVaultOutputs>): unknown;
}

/** Fields that define which key and which workspace the vault is: Cerby cannot change them. */
const REFUSED_FIELDS: Field[] = [
  { path: "scheme", read: (props) => props.scheme },
  { path: "workspace/apiUrl", read: (props) => inputApiUrl(props), readState: (props) => recordedApiUrl(props) },
  ...["akv.clientId", "akv.tenantId", "akv.vaultUrl", "akv.keyName", "kmsByo.awsAccountId", "kmsByo.kmsKeyId", "kmsByo.roleArn"].map((path): Field => {
    const [parent, key] = path.split(".") as ["akv" | "kmsByo", string];
    return { path, read: (props) => nested(props[parent], key) };
  }),
];

function isUnknown(value: unknown): boolean {
  return value === pulumi.runtime.unknownValue;
}

/** A nested field; unknown when its parent object is (a preview with the whole object unknown). */
function nested(parent: unknown, key: string): unknown {
  if (isUnknown(parent)) {
    return pulumi.runtime.unknownValue;
  }
  return typeof parent === "object" && parent !== null ? (parent as Record<string, unknown>)[key] : undefined;
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function stateValue(field: Field, olds: Partial<CerbyVaultOutputs>): unknown {
  return (field.readState ?? field.read)(olds);
}

function describe(vault: { name: string; id: string; scheme: string }): string {
  return `"${vault.name}" (id ${vault.id}, scheme ${vault.scheme})`;
}

function clientSecretOf(props: unknown): string | undefined {
  const secret = nested(nested(props, "akv"), "clientSecret");
  return typeof secret === "string" ? secret : undefined;
}

/** onDelete disable where Cerby's API cannot disable the vault: the vault stays enabled until a person disables it. */
function disableByHand(vault: { name: string; id: string; scheme: string }, workspace: string, error: { status: number; method: string; path: string }): string {
  return (
    `Cerby vault ${describe(vault)} is still enabled in Cerby: Cerby's API cannot disable it in this workspace ` +
    `(HTTP ${error.status} on ${error.method} ${error.path}). With onDelete "disable" it stays in this stack while Cerby ` +
    `uses it: ${vaultInApp(vault, workspace)}, disable it, then run the delete ` +
    'again. To leave it enabled, set onDelete to "retain" and run `pulumi up` first.'
  );
}

/**
 * The CerbyVault dynamic provider. Its source is what the program ships (CerbyVault wraps it in a
 * BundledProvider), so an instance holds no secret until the engine calls `configure` in the
 * provider process: the API key lives only in instance state set there (or read from the
 * environment on first use).
 */
export class CerbyVaultProvider implements CompleteProvider {
  private apiKey?: string;
  private configured = false;

  constructor(private readonly options: CerbyVaultProviderOptions = {}) {}

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    this.load((key) => req.config.get(key));
  }

  async check(olds: unknown, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    return this.guard([olds, news], async () => {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      const fail = (property: string, reason: string) => failures.push({ property, reason });
      const expect = (property: string, value: unknown, rule: (value: string) => string | undefined) => {
        if (isUnknown(value)) {
          return;
        }
        const problem = typeof value === "string" ? rule(value) : "must be a string";
        if (problem) {
          fail(property, problem);
        }
      };
      const inputs: Record<string, unknown> = {
        ...news,
        setAsDefault: news.setAsDefault ?? false,
        onDelete: news.onDelete ?? "retain",
        registration: news.registration ?? DEFAULT_REGISTRATION_MODE,
        registrationWaitMinutes: news.registrationWaitMinutes ?? 0,
      };
      if (typeof inputs.apiUrl === "string" && present(inputs.apiUrl) === undefined) {
        delete inputs.apiUrl;
      }

      expect("workspace", inputs.workspace, checkDnsLabel);
      if (inputs.apiUrl !== undefined) {
        const workspace = inputs.workspace;
        expect("apiUrl", inputs.apiUrl, (url) =>
          checkCerbyApiUrl(url) ?? (typeof workspace === "string" ? checkCerbyApiUrlWorkspace(url, workspace) : undefined),
        );
      }
      expect("name", inputs.name, checkCerbyVaultName);
      if (!isUnknown(inputs.setAsDefault) && typeof inputs.setAsDefault !== "boolean") {
        fail("setAsDefault", "must be true or false");
      }
      const scheme = inputs.scheme;
      if (!isUnknown(scheme) && !VAULT_SCHEMES.includes(scheme as VaultScheme)) {
        fail("scheme", `must be one of ${VAULT_SCHEMES.join(", ")} (${VAULT_SCHEMES.map((s) => SCHEME_TITLES[s]).join(", ")})`);
      }
      if (!isUnknown(inputs.onDelete) && inputs.onDelete !== "retain" && inputs.onDelete !== "disable") {
        fail("onDelete", 'must be "retain" (leave the vault in Cerby) or "disable"');
      } else if (inputs.onDelete === "disable" && scheme === "kms_byo") {
        fail("onDelete", 'is "disable", but Cerby cannot disable AWS KMS vaults; use "retain" (the vault stays in Cerby on delete)');
      }
      registrationFailures(inputs, (value) => !isUnknown(value)).forEach((failure) => fail(failure.property, failure.reason));

      if (scheme === "akv") {
        this.checkAkv(inputs.akv, expect, fail);
        if (inputs.kmsByo !== undefined) {
          fail("kmsByo", "must not be set when scheme is akv; remove it or set scheme to kms_byo");
        }
      } else if (scheme === "kms_byo") {
        this.checkKmsByo(inputs.kmsByo, expect, fail);
        if (inputs.akv !== undefined) {
          fail("akv", "must not be set when scheme is kms_byo; remove it or set scheme to akv");
        }
      }
      return { inputs, failures };
    });
  }

  private checkAkv(
    akv: unknown,
    expect: (property: string, value: unknown, rule: (value: string) => string | undefined) => void,
    fail: (property: string, reason: string) => void,
  ): void {
    if (isUnknown(akv)) {
      return;
    }
    if (typeof akv !== "object" || akv === null) {
      fail("akv", "is required when scheme is akv: clientId, tenantId, clientSecret, vaultUrl and keyName");
      return;
    }
    const fields = akv as Record<string, unknown>;
    expect("akv.clientId", fields.clientId, checkGuid);
    expect("akv.tenantId", fields.tenantId, checkGuid);
    // The reason never quotes the value: this is the one field that is a secret. Absent: an adopted
    // setup whose secret only Cerby holds (create then only adopts the vault, and sends nothing).
    if (fields.clientSecret !== undefined) {
      expect("akv.clientSecret", fields.clientSecret, (value) => (value.trim() === "" ? "must be the application's client secret, not empty" : undefined));
    }
    expect("akv.vaultUrl", fields.vaultUrl, checkVaultUrl);
    expect("akv.keyName", fields.keyName, checkKeyName);
  }

  private checkKmsByo(
    kms: unknown,
    expect: (property: string, value: unknown, rule: (value: string) => string | undefined) => void,
    fail: (property: string, reason: string) => void,
  ): void {
    if (isUnknown(kms)) {
      return;
    }
    if (typeof kms !== "object" || kms === null) {
      fail("kmsByo", "is required when scheme is kms_byo: awsAccountId, kmsKeyId and roleArn");
      return;
    }
    const fields = kms as Record<string, unknown>;
    expect("kmsByo.awsAccountId", fields.awsAccountId, checkAwsAccountId);
    expect("kmsByo.kmsKeyId", fields.kmsKeyId, checkKmsKeyId);
    expect("kmsByo.roleArn", fields.roleArn, checkIamRoleArn);
    const account = fields.awsAccountId;
    for (const property of ["kmsKeyId", "roleArn"] as const) {
      const value = fields[property];
      const owner = typeof value === "string" ? arnAccountId(value) : undefined;
      if (typeof account === "string" && owner !== undefined && owner !== account) {
        fail(`kmsByo.${property}`, `is in AWS account ${owner}, but awsAccountId is ${account}; Cerby expects the key and the role in that one account`);
      }
    }
  }

  /** Local only: no request to Cerby, so `pulumi preview` needs no API key. */
  async diff(id: string, olds: CerbyVaultOutputs, news: CerbyVaultInputs): Promise<pulumi.dynamic.DiffResult> {
    return this.guard([olds, news], async () => {
      this.refuseRekeying(id, olds, news);
      const changed = this.undecidedPaths(olds, news).length > 0 || this.inPlaceChanges(olds, news).length > 0;
      return { changes: changed, replaces: [], stables: ["vaultId", "scheme", "workspace", "apiBaseUrl", "workspaceId", "createdAt"], deleteBeforeReplace: false };
    });
  }

  /**
   * Refused fields whose new value is not known yet (a preview). The update re-checks once it is:
   * the engine diffs again with known values before calling update.
   */
  private undecidedPaths(olds: Partial<CerbyVaultOutputs>, news: Partial<CerbyVaultInputs>): string[] {
    return REFUSED_FIELDS.filter((field) => isUnknown(field.read(news)) && stateValue(field, olds) !== undefined).map((field) => field.path);
  }

  private inPlaceChanges(olds: Partial<CerbyVaultOutputs>, news: Partial<CerbyVaultInputs>): string[] {
    const changes: string[] = [];
    if (news.name !== olds.name) {
      changes.push("name");
    }
    if ((news.setAsDefault ?? false) !== (olds.isDefault ?? olds.setAsDefault ?? false)) {
      changes.push("setAsDefault");
    }
    if ((news.onDelete ?? "retain") !== (olds.onDelete ?? "retain")) {
      changes.push("onDelete");
    }
    if (clientSecretOf(news) !== clientSecretOf(olds) || isUnknown(nested(news.akv, "clientSecret"))) {
      changes.push("akv.clientSecret");
    }
    return changes;
  }

  private refuseRekeying(id: string, olds: Partial<CerbyVaultOutputs>, news: Partial<CerbyVaultInputs>): void {
    const refused = REFUSED_FIELDS.filter((field) => {
      const [before, after] = [stateValue(field, olds), field.read(news)];
      return !isUnknown(after) && before !== undefined && before !== after;
    }).map((field) => field.path);
    if (refused.length === 0) {
      return;
    }
    const vault = { name: String(olds.name ?? news.name), id, scheme: String(olds.scheme ?? news.scheme) };
    throw configError(
      `Cannot change ${refused.join(", ")} of Cerby vault ${describe(vault)}: Cerby cannot re-key a vault. ` +
        "Everything in it is encrypted with the current key, a vault cannot be pointed at another key, tenant, application or " +
        "workspace, and Cerby allows one vault per cloud, so Pulumi cannot replace it side by side. Revert the change. To move " +
        "to a new key: register it in Cerby as a new vault, move the accounts and secrets to it in the Cerby app and disable the " +
        "old vault; only then remove the old vault from this stack (`pulumi state unprotect` and `pulumi state delete` on its URN) " +
        "and apply the new settings, which adopts the new vault by name.",
    );
  }

  async create(inputs: CerbyVaultInputs): Promise<pulumi.dynamic.CreateResult<CerbyVaultOutputs>> {
    return this.guard([inputs], async () => {
      const apiBaseUrl = inputApiUrl(inputs);
      const client = this.client(typeof apiBaseUrl === "string" ? apiBaseUrl : undefined);
      const existing = this.ofScheme(await client.listVaults(), inputs.scheme);
      const vault = existing ? await this.adopt(client, existing, inputs) : await this.register(client, inputs);
      return { id: vault.id, outs: this.outputs(inputs, vault, client.baseUrl) };
    });
  }

  private ofScheme(vaults: VaultRecord[], scheme: VaultScheme): VaultRecord | undefined {
    return vaults.find((vault) => vault.scheme === scheme);
  }

  private configuration(inputs: CerbyVaultInputs): AkvConfiguration | KmsByoConfiguration {
    const configuration = inputs.scheme === "akv" ? inputs.akv : inputs.kmsByo;
    if (!configuration) {
      throw configError(`The ${inputs.scheme} vault "${inputs.name}" has no ${inputs.scheme === "akv" ? "akv" : "kmsByo"} settings.`);
    }
    return configuration;
  }

  /** The vault is not in Cerby: POST it, or have a person register it (guided, or auto without the endpoint). */
  private async register(client: CerbyClient, inputs: CerbyVaultInputs): Promise<VaultRecord> {
    if (inputs.akv && inputs.akv.clientSecret === undefined) {
      throw configError(
        `Cerby has no ${SCHEME_TITLES.akv} vault named "${inputs.name}" to adopt, and this stack holds no client secret to register one with. ` +
          `Set ${VAULT_NAME_SETTING.akv} to the name of the vault Cerby already uses, or set clientSecretStartDate to create a new secret, then run pulumi up again.`,
      );
    }
    let postStatus: number | undefined;
    if (modeOf(inputs) !== "guided") {
      const written = await this.write(inputs, () => this.post(client, inputs));
      if (typeof written !== "number") {
        return written;
      }
      postStatus = written;
    }
    this.configuration(inputs);
    // Guided from here on in this create: the default flag of the vault found is not PATCHed either.
    const guided: CerbyVaultInputs = { ...inputs, registration: "guided" };
    return this.adopt(client, await guidedCreate(this.guided(client, guided), guided, postStatus), guided);
  }

  /** An API write. In auto mode a missing endpoint is warned about and returned as its status, for the caller to carry on guided. */
  private async write(inputs: CerbyVaultInputs, request: () => Promise<VaultRecord>): Promise<VaultRecord | number> {
    try {
      return await request();
    } catch (error) {
      if (modeOf(inputs) !== "auto" || !isMissingEndpoint(error)) {
        throw error;
      }
      this.logFor([inputs]).warn(fallbackWarning(error));
      return error.status;
    }
  }

  /**
   * Applies a name, default-flag or client-secret change: by PATCH, or (guided, or auto without
   * the endpoint) as instructions checked against the list. `listed` is the vault when already read.
   * `byApi` says whether Cerby accepted the change, so a new client secret may be recorded as its.
   */
  private async change(
    client: CerbyClient,
    id: string,
    changes: VaultChanges,
    inputs: CerbyVaultInputs,
    listed?: VaultRecord,
  ): Promise<{ vault: VaultRecord; byApi: boolean }> {
    if (modeOf(inputs) !== "guided") {
      const written = await this.write(inputs, () => client.updateVault(id, changes));
      if (typeof written !== "number") {
        return { vault: written, byApi: true };
      }
    }
    return { vault: await guidedChange(this.guided(client, inputs), id, changes, inputs.name, listed), byApi: false };
  }

  /**
   * The outputs of a rotation Cerby did not accept by API. Unconfirmed (rotation.ts, isConfirmed),
   * the state keeps the previous secret, so every later run shows the change and repeats the
   * instruction, and `clientSecretConfirmed` is false for `npm run verify`.
   */
  private guidedRotation(olds: CerbyVaultOutputs, news: CerbyVaultInputs, vault: VaultRecord, baseUrl: string): CerbyVaultOutputs {
    const log = this.logFor([olds, news]);
    const rotation = news.clientSecretRotation;
    if (rotation !== undefined && isConfirmed(rotation, olds.clientSecretPending)) {
      log.info(confirmedMessage(vault, rotation));
      return this.outputs(news, vault, baseUrl);
    }
    log.warn(rotationInstruction(vault, news.workspace, rotation, olds.clientSecretPending));
    const previous: CerbyVaultInputs = { ...news, akv: news.akv && { ...news.akv, clientSecret: clientSecretOf(olds) ?? "" } };
    return this.outputs(previous, vault, baseUrl, { pending: pendingOf(rotation) });
  }

  private guided(client: CerbyClient, inputs: CerbyVaultInputs): GuidedContext {
    return {
      listVaults: () => client.listVaults(),
      baseUrl: client.baseUrl,
      log: this.logFor([inputs]),
      workspace: inputs.workspace,
      waitMinutes: waitMinutesOf(inputs),
      wait: this.options.wait,
    };
  }

  private async post(client: CerbyClient, inputs: CerbyVaultInputs): Promise<VaultRecord> {
    const configuration = this.configuration(inputs);
    try {
      return await client.createVault({ name: inputs.name, scheme: inputs.scheme, isDefault: inputs.setAsDefault, configuration });
    } catch (error) {
      // A 409 after the list means a vault of the scheme appeared meanwhile: most often this very
      // POST, committed by Cerby on an earlier attempt whose answer was lost. Look again.
      if (!isApiError(error, 409)) {
        throw error;
      }
      const existing = this.ofScheme(await client.listVaults(), inputs.scheme);
      if (!existing) {
        throw error;
      }
      return this.adopt(client, existing, inputs);
    }
  }

  /**
   * Takes over a vault of the same scheme and name (a create retried after its response was lost,
   * or one made by hand) and converges the default flag. It never sends the client secret: the
   * vault's other settings cannot be read back, and a new secret beside another application's
   * client ID would cut Cerby off from its key.
   */
  private async adopt(client: CerbyClient, vault: VaultRecord, inputs: CerbyVaultInputs): Promise<VaultRecord> {
    if (vault.name !== inputs.name) {
      throw vaultConflictError(this.conflictMessage(vault, inputs), vault);
    }
    const log = this.logFor([inputs]);
    log.info(`Adopting the existing Cerby vault ${describe(vault)}: it has this resource's scheme and name, so it is managed from now on instead of created.`);
    // In guided mode a person entered this stack's values from the printed instructions.
    if (modeOf(inputs) !== "guided") {
      log.warn(
        `Cerby does not return a vault's key settings, so those of ${describe(vault)} were not compared with this stack's; ` +
          "they are assumed to be this stack's own. Once that is confirmed, rotate the client secret so Cerby holds the one in this stack's state.",
      );
    }
    if (vault.state !== "enabled") {
      log.warn(`The adopted Cerby vault ${describe(vault)} is ${vault.state}; Cerby does not encrypt with it until it is enabled in the Cerby app.`);
    }
    return vault.isDefault === inputs.setAsDefault ? vault : (await this.change(client, vault.id, { isDefault: inputs.setAsDefault }, inputs, vault)).vault;
  }

  private conflictMessage(vault: VaultRecord, inputs: CerbyVaultInputs): string {
    const setting = VAULT_NAME_SETTING[inputs.scheme];
    return (
      `Cerby already has a ${SCHEME_TITLES[inputs.scheme]} vault in this workspace: ${describe(vault)}, and allows one per ` +
      `workspace, so "${inputs.name}" cannot be created. To manage that vault with this stack, give this resource its name ` +
      `(\`pulumi config set ${setting} ${JSON.stringify(vault.name)}\`) or rename it in the Cerby app to ${JSON.stringify(inputs.name)}, ` +
      "then run `pulumi up` again: a vault of the same scheme and name is adopted, not re-created (its key settings and client secret are kept; " +
      "only the default flag is set). Adopt it only if it uses this stack's key; otherwise migrate its items and disable it in Cerby first."
    );
  }

  /** Refresh, and adoption by ID: only the ID and the workspace are needed. Reports drift. */
  async read(id: string, props: Partial<CerbyVaultOutputs>): Promise<pulumi.dynamic.ReadResult<CerbyVaultOutputs>> {
    return this.guard([props], async () => {
      const client = this.client(recordedApiUrl(props));
      const vault = (await client.listVaults()).find((candidate) => candidate.id === id);
      const log = this.logFor([props]);
      if (!vault) {
        throw vaultGoneError(id, props.name, client.baseUrl);
      }
      for (const message of this.drift(props, vault)) {
        log.warn(message);
      }
      // outputs() takes the input fields alone from these.
      const inputs: CerbyVaultInputs = {
        ...props,
        workspace: props.workspace ?? "",
        name: props.name ?? vault.name,
        scheme: (props.scheme ?? vault.scheme) as VaultScheme,
        setAsDefault: props.setAsDefault ?? vault.isDefault,
        onDelete: props.onDelete ?? "retain",
      };
      // A guided rotation still waiting for the person's confirmation stays pending through a refresh.
      const unconfirmed = props.clientSecretConfirmed === false ? { pending: props.clientSecretPending } : undefined;
      return { id, props: this.outputs(inputs, vault, client.baseUrl, unconfirmed) };
    });
  }

  private drift(props: Partial<CerbyVaultOutputs>, vault: VaultRecord): string[] {
    const messages: string[] = [];
    const which = `Cerby vault ${describe(vault)}`;
    if (vault.state !== "enabled" && props.state !== vault.state) {
      messages.push(`${which} is ${vault.state} in Cerby; Cerby no longer encrypts new items with it. Re-enable it in the Cerby app if that was not intended.`);
    }
    if (props.name !== undefined && props.name !== vault.name) {
      messages.push(`${which} was renamed in Cerby (it was "${props.name}"); the next \`pulumi up\` renames it back unless the stack's name changes too.`);
    }
    const wanted = props.setAsDefault ?? props.isDefault;
    if (wanted !== undefined && wanted !== vault.isDefault) {
      messages.push(
        vault.isDefault
          ? `${which} was made the default vault in Cerby; the next \`pulumi up\` unsets that unless setAsDefault is true.`
          : `${which} is no longer the default vault in Cerby; the next \`pulumi up\` makes it the default again.`,
      );
    }
    if (props.scheme !== undefined && props.scheme !== vault.scheme) {
      messages.push(`${which} has scheme ${vault.scheme}, not ${props.scheme}; this resource points at the wrong vault.`);
    }
    return messages;
  }

  /** PATCHes only what changed; an onDelete-only change touches nothing in Cerby. */
  async update(id: string, olds: CerbyVaultOutputs, news: CerbyVaultInputs): Promise<pulumi.dynamic.UpdateResult<CerbyVaultOutputs>> {
    return this.guard([olds, news], async () => {
      this.refuseRekeying(id, olds, news);
      const changes: VaultChanges = {};
      if (news.name !== olds.name) {
        changes.name = news.name;
      }
      if (news.setAsDefault !== (olds.isDefault ?? olds.setAsDefault)) {
        changes.isDefault = news.setAsDefault;
      }
      const secret = clientSecretOf(news);
      if (news.scheme === "akv" && secret !== undefined && secret !== clientSecretOf(olds)) {
        changes.clientSecret = secret;
      }
      if (Object.keys(changes).length === 0) {
        const unchanged: VaultRecord = {
          id,
          name: olds.name,
          scheme: olds.scheme,
          state: olds.state,
          isDefault: olds.isDefault,
          workspaceId: olds.workspaceId,
          createdAt: olds.createdAt,
          updatedAt: olds.updatedAt,
        };
        return { outs: this.outputs(news, unchanged, recordedApiUrl(olds)) };
      }
      const client = this.client(recordedApiUrl(olds));
      const { vault, byApi } = await this.change(client, id, changes, news);
      if (changes.clientSecret !== undefined && !byApi) {
        return { outs: this.guidedRotation(olds, news, vault, client.baseUrl) };
      }
      return { outs: this.outputs(news, vault, client.baseUrl) };
    });
  }

  /** By default the vault stays in Cerby (items encrypted with it depend on it); "disable" disables it. */
  async delete(id: string, props: CerbyVaultOutputs): Promise<void> {
    return this.guard([props], async () => {
      const log = this.logFor([props]);
      const vault = { name: props.name, id, scheme: props.scheme };
      if ((props.onDelete ?? "retain") === "retain") {
        log.info(
          `Cerby vault ${describe(vault)} is left in place in Cerby (onDelete: retain): it is only removed from this stack. ` +
            "Cerby keeps using it and its key; disable it in the Cerby app if it should no longer be used.",
        );
        return;
      }
      if (props.scheme !== "akv") {
        throw configError(`Cerby vault ${describe(vault)} cannot be disabled: Cerby cannot disable AWS KMS vaults. Set onDelete to "retain".`);
      }
      const client = this.client(recordedApiUrl(props));
      try {
        await client.updateVault(id, { state: "disabled" });
      } catch (error) {
        // A 404 may be the vault or the endpoint: only the list tells a vault gone from one still there.
        if (!isMissingEndpoint(error)) {
          throw error;
        }
        const listed = (await client.listVaults()).find((candidate) => candidate.id === id);
        if (!listed) {
          log.warn(`Cerby vault ${describe(vault)} no longer exists in Cerby; nothing to disable.`);
          return;
        }
        if (listed.state !== "disabled") {
          throw configError(disableByHand(vault, props.workspace, error));
        }
        log.info(`Cerby vault ${describe(vault)} is disabled in Cerby, as onDelete: disable asks; it is removed from this stack.`);
        return;
      }
      log.info(`Disabled Cerby vault ${describe(vault)} (onDelete: disable). Cerby keeps it, disabled; its key must stay readable while items encrypted with it remain.`);
    });
  }

  /** `unconfirmed`: a guided rotation not confirmed yet, whose secret `inputs` does not hold. */
  private outputs(inputs: CerbyVaultInputs, vault: VaultRecord, apiBaseUrl: string | undefined, unconfirmed?: { pending?: PendingRotation }): CerbyVaultOutputs {
    const outputs: CerbyVaultOutputs = {
      workspace: inputs.workspace,
      apiUrl: inputs.apiUrl,
      apiBaseUrl,
      name: vault.name,
      scheme: inputs.scheme,
      setAsDefault: inputs.setAsDefault,
      onDelete: inputs.onDelete,
      registration: inputs.registration,
      registrationWaitMinutes: inputs.registrationWaitMinutes,
      akv: inputs.akv,
      kmsByo: inputs.kmsByo,
      vaultId: vault.id,
      state: vault.state,
      isDefault: vault.isDefault,
      workspaceId: vault.workspaceId,
      createdAt: vault.createdAt,
      updatedAt: vault.updatedAt,
      clientSecretConfirmed: inputs.scheme === "akv" ? unconfirmed === undefined : undefined,
      clientSecretPending: unconfirmed?.pending,
    };
    // The engine's wire format has no `undefined`: absent values are left out.
    for (const key of Object.keys(outputs) as (keyof CerbyVaultOutputs)[]) {
      if (outputs[key] === undefined) {
        delete outputs[key];
      }
    }
    return outputs;
  }

  private load(get: (key: string) => string | undefined): void {
    this.apiKey = present(get(API_KEY_SETTING)) ?? present(process.env[API_KEY_ENV]);
    this.configured = true;
  }

  /** A client for the vault's own base URL: from its inputs at create, from its state after. */
  private client(baseUrl: string | undefined): CerbyClient {
    if (!this.configured) {
      this.load(() => undefined);
    }
    if (this.apiKey === undefined) {
      throw configError(
        `No Cerby API key: set the stack secret ${API_KEY_SETTING} (${SET_API_KEY}) or the ${API_KEY_ENV} environment ` +
          `variable. Keys are created in the Cerby web app by ${KEY_ADMINS}; ` +
          'the key needs the "vaults" scopes (read and manage vaults).',
      );
    }
    if (baseUrl === undefined) {
      throw configError("No Cerby workspace: the vault has no workspace or apiUrl in its inputs or state.");
    }
    return new CerbyClient({ ...this.options.client, baseUrl, apiKey: this.apiKey });
  }

  private secrets(values: unknown[]): string[] {
    const found = [this.apiKey, present(process.env[API_KEY_ENV]), ...values.map(clientSecretOf)];
    return found.filter((value): value is string => value !== undefined);
  }

  private logFor(values: unknown[]): ProviderLog {
    const log = this.options.log ?? pulumiLog;
    const secrets = this.secrets(values);
    return {
      info: (message) => log.info(redact(message, secrets)),
      warn: (message) => log.warn(redact(message, secrets)),
    };
  }

  /** The safety net: whatever escapes a provider method has the API key and client secrets redacted. */
  private async guard<T>(values: unknown[], work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw redactError(error, this.secrets(values));
    }
  }
}
