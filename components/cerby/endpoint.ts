import * as pulumi from "@pulumi/pulumi";
import { normalizeCerbyApiUrl, workspaceApiUrl } from "../validation";

/**
 * Where a CerbyVault lives. The API base URL is part of the vault's identity: it is taken from the
 * resource's inputs (apiUrl, else the workspace) when the vault is created, recorded in its state
 * as `apiBaseUrl`, and from then on read, update and delete talk to that URL alone. Neither stack
 * config nor the environment can point an existing vault elsewhere, so the API key and the client
 * secret never follow a changed setting to another host, and another host's empty list never
 * drops the vault from state.
 */
export interface VaultEndpoint {
  workspace?: string;
  apiUrl?: string;
  /** The normalized base URL recorded at create. States written before it existed lack it. */
  apiBaseUrl?: string;
}

function isUnknown(value: unknown): boolean {
  return value === pulumi.runtime.unknownValue;
}

function present(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

/** The Cerby web app of a workspace, for instructions to a person. */
export function cerbyApp(workspace: string): string {
  return `https://${workspace}.cerby.com`;
}

/** Where a person finds a vault in the Cerby app. */
export function vaultInApp(vault: { name: string; id: string }, workspace: string): string {
  return `in Cerby (${cerbyApp(workspace)}) open Settings → Vaults → "${vault.name}" (id ${vault.id})`;
}

/**
 * The base URL the inputs name, normalized so that an explicit default URL equals the workspace's.
 * Unknown during a preview while either is unknown; a URL that breaks the rule is kept as given
 * (check reports it, and the client refuses it), so that a comparison still sees the change.
 */
export function inputApiUrl(props: Partial<VaultEndpoint>): string | undefined | typeof pulumi.runtime.unknownValue {
  if (isUnknown(props.apiUrl) || isUnknown(props.workspace)) {
    return pulumi.runtime.unknownValue;
  }
  if (present(props.apiUrl)) {
    return normalizeCerbyApiUrl(props.apiUrl) ?? props.apiUrl;
  }
  return present(props.workspace) ? workspaceApiUrl(props.workspace) : undefined;
}

/**
 * The base URL recorded in a vault's state. A state from before the URL was recorded derives it
 * from what it holds (its apiUrl, else its workspace), never from config or the environment.
 */
export function recordedApiUrl(state: Partial<VaultEndpoint>): string | undefined {
  if (present(state.apiBaseUrl)) {
    return state.apiBaseUrl;
  }
  const derived = inputApiUrl({ workspace: state.workspace, apiUrl: state.apiUrl });
  return typeof derived === "string" ? derived : undefined;
}
