import { isDeepStrictEqual } from "node:util";
import { CerbyVaultProvider } from "../../components/cerby/provider";
import { inputApiUrl } from "../../components/cerby/endpoint";
import type { ChangedResource } from "../../components/configChange";
import { continuityDiff, type KeyContinuityInputs } from "../../components/keyContinuity";
import type { MockRunResult, RecordedResource } from "../../tools/mock-runtime";
import { withoutSecrets } from "./provider-host";
import { AZURE_TYPES } from "./resource-types";

/**
 * Inputs whose change makes a provider replace the resource instead of updating it, as the
 * providers define them: ARM's path parameters and create-only properties (azure-native; a key's
 * type and size are fixed at creation, a role assignment cannot be updated at all), the ForceNew
 * attributes of terraform-provider-aws and -azuread (a client secret is immutable), and every
 * input of a random resource. A KMS key or alias whose AWS Region changes is replaced too (IAM is
 * global), and so is a resource whose `import` option names another ID than the one in state
 * (pulumi/pulumi developer-docs/architecture/import.md: "the current resource is deleted and
 * replaced by importing the resource with the specified ID").
 */
const REPLACED_ON: Record<string, string[]> = {
  [AZURE_TYPES.resourceGroup]: ["resourceGroupName", "location"],
  [AZURE_TYPES.vault]: ["resourceGroupName", "vaultName", "location"],
  [AZURE_TYPES.key]: ["resourceGroupName", "vaultName", "keyName", "properties.kty", "properties.keySize"],
  [AZURE_TYPES.roleAssignment]: ["scope", "roleAssignmentName", "roleDefinitionId", "principalId", "principalType"],
  [AZURE_TYPES.roleDefinition]: ["scope", "roleDefinitionId"],
  [AZURE_TYPES.lock]: ["scope", "lockName"],
  [AZURE_TYPES.servicePrincipal]: ["clientId"],
  [AZURE_TYPES.password]: ["applicationId", "displayName", "startDate", "endDate", "endDateRelative", "rotateWhenChanged"],
  [AZURE_TYPES.randomName]: ["length", "lower", "upper", "numeric", "special", "keepers"],
  "aws:kms/key:Key": ["multiRegion", "customerMasterKeySpec", "keyUsage"],
  "aws:kms/replicaKey:ReplicaKey": ["primaryKeyArn"],
  "aws:kms/alias:Alias": ["name", "namePrefix"],
  "aws:iam/role:Role": ["name", "namePrefix", "path"],
};

/** The name docs/configuration.md gives a resource, for those a config change may replace or remove. */
function docName(resource: RecordedResource): ChangedResource | undefined {
  switch (resource.type) {
    case AZURE_TYPES.resourceGroup:
      return "resource group";
    case AZURE_TYPES.vault:
      return "key vault";
    case AZURE_TYPES.key:
      return "key";
    case AZURE_TYPES.application:
      return "Entra application";
    case AZURE_TYPES.servicePrincipal:
      return "service principal";
    case AZURE_TYPES.password:
      return "client secret";
    case AZURE_TYPES.lock:
      return "delete lock";
    case AZURE_TYPES.keyContinuity:
      return "key guard";
    case AZURE_TYPES.cerbyVault:
      return "Cerby vault";
    case AZURE_TYPES.roleAssignment:
      return resource.name.endsWith("-deployer") ? "deployer grant" : "role assignment for Cerby";
    case "aws:kms/key:Key":
      return "KMS key";
    case "aws:kms/replicaKey:ReplicaKey":
      return "KMS replica";
    case "aws:kms/alias:Alias":
      return "KMS aliases";
    case "aws:iam/role:Role":
      return "IAM role";
    default:
      return undefined;
  }
}

function at(inputs: Record<string, unknown>, path: string): unknown {
  return path.split(".").reduce<unknown>((value, part) => (typeof value === "object" && value !== null ? (value as Record<string, unknown>)[part] : undefined), inputs);
}

/** One program run, with the AWS Region each AWS resource was sent to (FakeAws.regionOf). */
export interface Run {
  result: MockRunResult;
  regionOf?: ReadonlyMap<string, string>;
}

export interface ChangeOutcome {
  /** Resources (docs names) the engine would replace, or remove because the new run no longer declares them. */
  replaced: ChangedResource[];
  /** Those of them the second run no longer declares. */
  removed: ChangedResource[];
  /** Those of them that are protected: the engine refuses the whole run. */
  protectedReplaced: ChangedResource[];
  /** The dynamic providers whose diff refuses the change. */
  refusedBy: ("cerby" | "guard")[];
}

/** Whether the engine would replace `before` with `after`, judged by its provider's replacement inputs. */
function replacedInPlace(before: RecordedResource, after: RecordedResource, runs: [Run, Run]): boolean {
  const paths = (REPLACED_ON[before.type] ?? []).filter((path) => !before.ignoreChanges.includes(path.split(".")[0]));
  const [oldInputs, newInputs] = [withoutSecrets(before.rawInputs), withoutSecrets(after.rawInputs)] as Record<string, unknown>[];
  const region = (run: Run) => (before.type.startsWith("aws:kms/") ? run.regionOf?.get(before.name) : undefined);
  // An ID in state that no import set was created, and differs from any ID an import now names.
  const reimported = after.importId !== undefined && after.importId !== before.importId;
  return paths.some((path) => !isDeepStrictEqual(at(oldInputs, path), at(newInputs, path))) || region(runs[0]) !== region(runs[1]) || reimported;
}

/** What the Cerby vault's diff says: it throws when the change would re-key the vault. */
async function cerbyVaultRefuses(before: RecordedResource, after: RecordedResource): Promise<boolean> {
  const inputs = withoutSecrets(before.rawInputs) as Record<string, unknown>;
  // The state create leaves: the inputs, the vault's ID and the API URL it was created at.
  const state = { ...inputs, vaultId: "vault-1", state: "enabled", isDefault: inputs.setAsDefault ?? false, apiBaseUrl: inputApiUrl(inputs) };
  try {
    await new CerbyVaultProvider().diff("vault-1", state as never, withoutSecrets(after.rawInputs) as never);
    return false;
  } catch {
    return true;
  }
}

function guardRefuses(before: RecordedResource, after: RecordedResource): boolean {
  try {
    continuityDiff(withoutSecrets(before.rawInputs) as KeyContinuityInputs, withoutSecrets(after.rawInputs) as KeyContinuityInputs);
    return false;
  } catch {
    return true;
  }
}

/**
 * What `pulumi up` would do to the resources of the first run when the stack's config changes to
 * that of the second: which it would replace or remove, and which dynamic provider refuses.
 */
export async function changeOutcome(before: Run, after: Run): Promise<ChangeOutcome> {
  const byUrn = new Map(after.result.resources.map((resource) => [resource.urn, resource]));
  const replaced = new Set<ChangedResource>();
  const removed = new Set<ChangedResource>();
  const protectedReplaced = new Set<ChangedResource>();
  const refusedBy = new Set<"cerby" | "guard">();
  for (const resource of before.result.resources.filter((candidate) => candidate.custom)) {
    const name = docName(resource);
    const next = byUrn.get(resource.urn);
    if (next && resource.type === AZURE_TYPES.cerbyVault && (await cerbyVaultRefuses(resource, next))) {
      refusedBy.add("cerby");
    }
    if (next && resource.type === AZURE_TYPES.keyContinuity && guardRefuses(resource, next)) {
      refusedBy.add("guard");
    }
    if (name !== undefined && (next === undefined || replacedInPlace(resource, next, [before, after]))) {
      replaced.add(name);
      if (next === undefined) {
        removed.add(name);
      }
      if (resource.protect) {
        protectedReplaced.add(name);
      }
    }
  }
  return { replaced: [...replaced].sort(), removed: [...removed].sort(), protectedReplaced: [...protectedReplaced].sort(), refusedBy: [...refusedBy].sort() };
}
