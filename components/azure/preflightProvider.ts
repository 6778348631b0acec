/**
 * The AzureKeyPreflight dynamic provider (components/azure/keyPreflight.ts), shipped as its esbuild
 * bundle. Create and update prove the key as Cerby's service principal (preflight.ts); the
 * CerbyVault depends on this resource, so the engine never calls Cerby with a key or client
 * secret this resource has not proved.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CompleteProvider } from "../bundledProvider";
import { redactError } from "../cerby/errors";
import { NEW_SECRET_REPLICATION_MS, preflightAzureKey, type AzureKeyTarget, type PreflightOptions } from "./preflight";

export interface KeyPreflightInputs extends AzureKeyTarget {
  /** How long propagation-type failures are retried (config cerbyPreflightTimeoutMinutes). */
  timeoutMs: number;
}

/** The inputs that are what the CerbyVault sends Cerby: a change of any of them is proved again. */
const PROVED_INPUTS = ["tenantId", "clientId", "clientSecret", "vaultUrl", "keyName"] as const;

/** Test seams; the provider host builds the provider without them. */
export interface KeyPreflightProviderOptions {
  preflight?: Pick<PreflightOptions, "httpClient" | "initialBackoffMs" | "newSecretGraceMs">;
  log?: (message: string) => void;
}

export class AzureKeyPreflightProvider implements CompleteProvider {
  constructor(private readonly options: KeyPreflightProviderOptions = {}) {}

  async configure(): Promise<void> {}

  async check(_olds: unknown, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const timeout = news.timeoutMs;
    const valid = timeout === pulumi.runtime.unknownValue || (typeof timeout === "number" && Number.isInteger(timeout) && timeout > 0);
    const failures = valid ? [] : [{ property: "timeoutMs", reason: "must be a whole number of milliseconds (config cerbyPreflightTimeoutMinutes)" }];
    return { inputs: news, failures };
  }

  /** A new client secret, key or principal is an update, which proves it before the CerbyVault is stepped; the bound alone is not. */
  async diff(_id: string, olds: Partial<KeyPreflightInputs>, news: KeyPreflightInputs): Promise<pulumi.dynamic.DiffResult> {
    return { changes: PROVED_INPUTS.some((input) => olds[input] !== news[input]), replaces: [], deleteBeforeReplace: false };
  }

  async create(inputs: KeyPreflightInputs): Promise<pulumi.dynamic.CreateResult<KeyPreflightInputs>> {
    await this.prove(inputs);
    return { id: `preflight-${inputs.keyName}`, outs: inputs };
  }

  async read(id: string, props: KeyPreflightInputs): Promise<pulumi.dynamic.ReadResult<KeyPreflightInputs>> {
    return { id, props };
  }

  async update(_id: string, _olds: KeyPreflightInputs, news: KeyPreflightInputs): Promise<pulumi.dynamic.UpdateResult<KeyPreflightInputs>> {
    await this.prove(news);
    return { outs: news };
  }

  /** Nothing to undo: the preflight leaves nothing behind in Azure. */
  async delete(): Promise<void> {}

  private async prove(inputs: KeyPreflightInputs): Promise<void> {
    const { tenantId, clientId, clientSecret, vaultUrl, keyName } = inputs;
    try {
      await preflightAzureKey(
        { tenantId, clientId, clientSecret, vaultUrl, keyName },
        {
          // The secret may have been created or rotated moments ago, in this same deployment.
          newSecretGraceMs: NEW_SECRET_REPLICATION_MS,
          ...this.options.preflight,
          timeoutMs: inputs.timeoutMs,
          log: this.options.log ?? ((message) => void pulumi.log.info(message)),
        },
      );
    } catch (error) {
      throw redactError(error, [clientSecret]);
    }
  }
}
