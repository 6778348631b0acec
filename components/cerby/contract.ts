/**
 * The Cerby HTTP contract as this project uses it: every path, header, query parameter and body
 * shape lives here. Cerby documents only part of it (GET /vaults, the JSON:API-like envelopes,
 * the error shape, pagination); the rest is assumed in the same style (see cerby-api.md). When
 * Cerby's real contract differs, this is the one file to change.
 */

/** Documented: the key travels in this header. */
export const API_KEY_HEADER = "X-API-Key";

/** Assumed: Retry-After on 429 carries whole seconds (an HTTP-date is ignored, falling back to backoff). */
export const RETRY_AFTER_HEADER = "Retry-After";

/** Documented: the collection of cloud vaults. */
export const VAULTS_PATH = "/vaults";

/** Assumed: one vault is addressed below the collection. */
export function vaultPath(id: string): string {
  return `${VAULTS_PATH}/${encodeURIComponent(id)}`;
}

/** Documented: pages are numbered from 1 and hold at most 100 items. */
export const MAX_PAGE_SIZE = 100;

export function pageQuery(number: number, size: number): Record<string, string> {
  return { "page[number]": String(number), "page[size]": String(size) };
}

/** The schemes this project registers; Cerby also has a built-in `local_encryption_key` vault. */
export type VaultScheme = "akv" | "kms_byo";
export const VAULT_SCHEMES: readonly VaultScheme[] = ["akv", "kms_byo"];

export type VaultState = "enabled" | "disabled";

/** Human names of the schemes, as the Cerby web app calls the strategies. */
export const SCHEME_TITLES: Record<VaultScheme, string> = {
  akv: "Azure External Keys",
  kms_byo: "AWS KMS",
};

/** Assumed: the configuration Cerby stores for an Azure Key Vault vault. */
export interface AkvConfiguration {
  clientId: string;
  tenantId: string;
  clientSecret: string;
  vaultUrl: string;
  keyName: string;
}

/** Assumed: the configuration Cerby stores for an AWS KMS vault. */
export interface KmsByoConfiguration {
  awsAccountId: string;
  kmsKeyId: string;
  roleArn: string;
}

/** A vault as Cerby returns it. Cerby never returns the configuration's client secret. */
export interface VaultRecord {
  id: string;
  name: string;
  /** A string, not VaultScheme: the list also holds `local_encryption_key` and future schemes. */
  scheme: string;
  state: string;
  /** Assumed attribute; false when Cerby omits it. */
  isDefault: boolean;
  workspaceId?: string;
  createdAt?: string;
  updatedAt?: string;
}

export interface NewVault {
  name: string;
  scheme: VaultScheme;
  isDefault: boolean;
  configuration: AkvConfiguration | KmsByoConfiguration;
}

/** The attributes a PATCH may change; absent ones are left alone by Cerby. */
export interface VaultChanges {
  name?: string;
  isDefault?: boolean;
  state?: "disabled";
  clientSecret?: string;
}

/** Assumed: the vault resource type in request bodies. */
const VAULT_TYPE = "vault";

export function createVaultBody(vault: NewVault): unknown {
  return {
    data: {
      type: VAULT_TYPE,
      attributes: {
        name: vault.name,
        scheme: vault.scheme,
        isDefault: vault.isDefault,
        configuration: vault.configuration,
      },
    },
  };
}

export function patchVaultBody(id: string, changes: VaultChanges): unknown {
  const attributes: Record<string, unknown> = {};
  if (changes.name !== undefined) {
    attributes.name = changes.name;
  }
  if (changes.isDefault !== undefined) {
    attributes.isDefault = changes.isDefault;
  }
  if (changes.state !== undefined) {
    attributes.state = changes.state;
  }
  if (changes.clientSecret !== undefined) {
    attributes.configuration = { clientSecret: changes.clientSecret };
  }
  return { data: { type: VAULT_TYPE, id, attributes } };
}

/**
 * Raised when a body parses as JSON but not into the shape above: the contract has changed. A
 * named Error rather than a subclass, for the reason given in errors.ts.
 */
const CONTRACT_MISMATCH = "ContractMismatch";

function contractMismatch(message: string): Error {
  return Object.assign(new Error(message), { name: CONTRACT_MISMATCH });
}

export function isContractMismatch(error: unknown): error is Error {
  return error instanceof Error && error.name === CONTRACT_MISMATCH;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function parseVaultResource(resource: unknown, where: string): VaultRecord {
  if (!isObject(resource) || typeof resource.id !== "string" || !isObject(resource.attributes)) {
    throw contractMismatch(`${where} has no vault with an "id" and "attributes"`);
  }
  const attributes = resource.attributes;
  for (const field of ["name", "scheme", "state"]) {
    if (typeof attributes[field] !== "string") {
      throw contractMismatch(`${where} has a vault without a string "${field}" attribute`);
    }
  }
  return {
    id: resource.id,
    name: attributes.name as string,
    scheme: attributes.scheme as string,
    state: attributes.state as string,
    isDefault: attributes.isDefault === true,
    workspaceId: optionalString(attributes.workspaceId),
    createdAt: optionalString(attributes.createdAt),
    updatedAt: optionalString(attributes.updatedAt),
  };
}

/** `{"data": {vault}}` → the vault. */
export function parseVaultDocument(body: unknown): VaultRecord {
  if (!isObject(body)) {
    throw contractMismatch("the response is not a JSON object");
  }
  return parseVaultResource(body.data, "the response");
}

export interface VaultPage {
  vaults: VaultRecord[];
  /** True when `links.next` names another page. Its URL is not followed (see client). */
  hasNext: boolean;
  /** `meta.page.total`, when Cerby sends it. */
  total?: number;
}

/** `{"data": [vaults], "links": {"next"}, "meta": {"page": {"total"}}}` → one page. */
export function parseVaultPage(body: unknown): VaultPage {
  if (!isObject(body) || !Array.isArray(body.data)) {
    throw contractMismatch('the list response has no "data" array');
  }
  const vaults = body.data.map((item, index) => parseVaultResource(item, `item ${index} of the list`));
  const next = isObject(body.links) ? body.links.next : undefined;
  const page = isObject(body.meta) && isObject(body.meta.page) ? body.meta.page : undefined;
  const total = page && typeof page.total === "number" ? page.total : undefined;
  return { vaults, hasNext: typeof next === "string" && next.length > 0, total };
}

/** The first entry of `{"errors": [{status, code, title, detail}]}`, if the body has one. */
export interface ApiErrorEntry {
  code?: string;
  title?: string;
  detail?: string;
}

export function parseErrorBody(body: unknown): ApiErrorEntry | undefined {
  if (!isObject(body) || !Array.isArray(body.errors) || !isObject(body.errors[0])) {
    return undefined;
  }
  const first = body.errors[0];
  return { code: optionalString(first.code), title: optionalString(first.title), detail: optionalString(first.detail) };
}
