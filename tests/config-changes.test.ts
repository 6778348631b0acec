import * as pulumi from "@pulumi/pulumi";
import type { MockCloud } from "../tools/mock-runtime";
import { CONFIG_KEYS } from "../components/config";
import type { ChangedResource } from "../components/configChange";
import { changeColumn } from "../tools/config-reference";
import { azureCloud } from "./support/azure-cloud";
import { AWS_ACCOUNT_ID, CERBY_WORKSPACE_ID, FakeAws, MRK_KEY_ID } from "./support/aws-cloud";
import { changeOutcome, type ChangeOutcome, type Run } from "./support/change-outcome";
import { ADOPT_CONFIG, MANUAL_ROLE_ASSIGNMENT_ID, manualAzureCloud } from "./support/manual-azure";
import { ADOPT_AWS_CONFIG, MANUAL_AWS, ManualAws } from "./support/manual-aws";
import { runProgram } from "./support/program";
import { AZURE_TYPES } from "./support/resource-types";

/**
 * Checks the "Can change after the first deploy" column of docs/configuration.md (each key's
 * `change` in CONFIG_KEYS) against the program: for every key, the program runs under mocks with
 * a stack's config and again with the key changed, and the difference is judged as the engine
 * would judge it (tests/support/change-outcome.ts).
 */

type Setup = "azure" | "aws" | "both" | "adopt-azure" | "adopt-aws";

interface Probe {
  setup: Setup;
  /** Config of both runs, over the setup's own. */
  base?: Record<string, unknown>;
  /** The change, usually of the key alone (undefined: the key is removed). */
  change: Record<string, unknown>;
}

/** A change in a second direction or setting, with what it must do (the docs' note says it). */
interface ExtraProbe extends Probe {
  expected: Omit<ChangeOutcome, "removed">;
}

const AWS = { azureEnabled: false, awsEnabled: true, cerbyWorkspaceId: CERBY_WORKSPACE_ID };
const BOTH = { awsEnabled: true, cerbyWorkspaceId: CERBY_WORKSPACE_ID };
const ALERTED = { tamperAlerts: true, alertEmails: ["security@example.com"] };
const WORKSPACE_ID = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/logs";
const OTHER_GUID = "99999999-9999-4999-8999-999999999999";

/** For every key: a stack that sets what the key needs, and a change of it. */
const PROBES: Record<string, Probe> = {
  azureEnabled: { setup: "both", change: { azureEnabled: false } },
  awsEnabled: { setup: "both", change: { awsEnabled: false } },
  cerbyWorkspace: { setup: "azure", change: { cerbyWorkspace: "globex" } },
  cerbyApiUrl: { setup: "azure", change: { cerbyApiUrl: "http://127.0.0.1:8080" } },
  cerbyApiKey: { setup: "azure", change: { cerbyApiKey: "another-api-key" } },
  cerbyRegistration: { setup: "azure", change: { cerbyRegistration: "guided" } },
  cerbyRegistrationWaitMinutes: { setup: "azure", change: { cerbyRegistrationWaitMinutes: 5 } },
  cerbyPreflight: { setup: "azure", change: { cerbyPreflight: false } },
  cerbyPreflightTimeoutMinutes: { setup: "azure", change: { cerbyPreflightTimeoutMinutes: 20 } },
  azureTenantId: { setup: "azure", change: { azureTenantId: OTHER_GUID } },
  azureSubscriptionId: { setup: "azure", change: { azureSubscriptionId: OTHER_GUID } },
  azureLocation: { setup: "azure", change: { azureLocation: "westeurope" } },
  resourceGroupName: { setup: "azure", change: { resourceGroupName: "rg-other" } },
  createResourceGroup: { setup: "azure", change: { createResourceGroup: false } },
  keyVaultName: { setup: "azure", change: { keyVaultName: "kv-cerby-other" } },
  keyVaultSku: { setup: "azure", change: { keyVaultSku: "premium" } },
  softDeleteRetentionDays: { setup: "azure", change: { softDeleteRetentionDays: 30 } },
  purgeProtection: { setup: "azure", change: { purgeProtection: false } },
  keyVaultDeleteLock: { setup: "azure", change: { keyVaultDeleteLock: false } },
  networkDefaultAction: { setup: "azure", base: { networkAllowedIpRanges: ["203.0.113.0/24"] }, change: { networkDefaultAction: "Deny" } },
  networkAllowedIpRanges: { setup: "azure", change: { networkAllowedIpRanges: ["203.0.113.0/24"] } },
  keyName: { setup: "azure", change: { keyName: "cerby-key-2" } },
  keyType: { setup: "azure", base: { keyVaultSku: "premium" }, change: { keyType: "RSA-HSM" } },
  keySize: { setup: "azure", change: { keySize: 2048 } },
  applicationName: { setup: "azure", change: { applicationName: "cerby-app-2" } },
  servicePrincipalRole: { setup: "azure", change: { servicePrincipalRole: "crypto-officer" } },
  roleScope: { setup: "azure", change: { roleScope: "vault" } },
  clientSecretStartDate: { setup: "azure", change: { clientSecretStartDate: "2026-12-01" } },
  clientSecretLifetimeDays: { setup: "azure", change: { clientSecretLifetimeDays: 90 } },
  cerbyClientSecretConfirmedStartDate: { setup: "azure", change: { cerbyClientSecretConfirmedStartDate: "2026-11-28" } },
  exportClientSecret: { setup: "azure", change: { exportClientSecret: true } },
  grantDeployerAccess: { setup: "azure", change: { grantDeployerAccess: false } },
  deployerRole: { setup: "azure", change: { deployerRole: "crypto-officer" } },
  deployerObjectId: { setup: "azure", change: { deployerObjectId: OTHER_GUID, deployerPrincipalType: "User" } },
  deployerPrincipalType: { setup: "azure", change: { deployerPrincipalType: "Group" } },
  rolePropagationWaitSeconds: { setup: "azure", change: { rolePropagationWaitSeconds: 120 } },
  rolePropagationTimeoutMinutes: { setup: "azure", change: { rolePropagationTimeoutMinutes: 30 } },
  cerbyAzureVaultName: { setup: "azure", change: { cerbyAzureVaultName: "Azure Key Vault (prod)" } },
  cerbyAzureVaultSetAsDefault: { setup: "azure", change: { cerbyAzureVaultSetAsDefault: true } },
  cerbyAzureVaultOnDelete: { setup: "azure", change: { cerbyAzureVaultOnDelete: "disable" } },
  cerbyWorkspaceId: { setup: "aws", change: { cerbyWorkspaceId: "7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b" } },
  awsAccountId: { setup: "aws", change: { awsAccountId: AWS_ACCOUNT_ID } },
  awsPrimaryRegion: { setup: "aws", change: { awsPrimaryRegion: "us-east-1" } },
  awsReplicaRegion: { setup: "aws", change: { awsReplicaRegion: "us-west-1" } },
  awsAllowNonStandardRegions: { setup: "aws", change: { awsAllowNonStandardRegions: true } },
  cerbyPrincipalArn: { setup: "aws", change: { cerbyPrincipalArn: "arn:aws:iam::749452252575:role/another-role" } },
  kmsKeyAlias: { setup: "aws", change: { kmsKeyAlias: "alias/cerby-2" } },
  kmsDeletionWindowDays: { setup: "aws", change: { kmsDeletionWindowDays: 7 } },
  awsRoleName: { setup: "aws", change: { awsRoleName: "cerby-role-2" } },
  cerbyAwsVaultName: { setup: "aws", change: { cerbyAwsVaultName: "AWS KMS (prod)" } },
  cerbyAwsVaultSetAsDefault: { setup: "aws", change: { cerbyAwsVaultSetAsDefault: true } },
  cerbyAwsVaultOnDelete: { setup: "aws", change: { cerbyAwsVaultOnDelete: "disable" } },
  tags: { setup: "both", change: { tags: { team: "security" } } },
  adoptExisting: {
    setup: "adopt-azure",
    change: { adoptExisting: false, existingApplicationClientId: undefined, existingRoleAssignmentId: undefined, clientSecretStartDate: "2026-12-01" },
  },
  existingApplicationClientId: { setup: "adopt-azure", change: { existingApplicationClientId: OTHER_GUID } },
  existingRoleAssignmentId: { setup: "adopt-azure", change: { existingRoleAssignmentId: MANUAL_ROLE_ASSIGNMENT_ID.replace(/[0-9a-f-]{36}$/, OTHER_GUID) } },
  existingClientSecret: { setup: "adopt-azure", change: { existingClientSecret: "the-secret-cerby-holds" } },
  adoptApplyDefaults: { setup: "adopt-azure", change: { adoptApplyDefaults: ["deleteLock", "tags"] } },
  existingKmsKeyId: { setup: "adopt-aws", change: { existingKmsKeyId: "mrk-11111111111111111111111111111111" } },
  existingAwsRoleName: { setup: "adopt-aws", change: { existingAwsRoleName: "OtherCerbyRole" } },
  auditLogs: { setup: "azure", change: { auditLogs: true } },
  auditLogAnalyticsWorkspaceId: { setup: "azure", base: { auditLogs: true }, change: { auditLogAnalyticsWorkspaceId: WORKSPACE_ID } },
  auditLogRetentionDays: { setup: "azure", base: { auditLogs: true }, change: { auditLogRetentionDays: 60 } },
  tamperAlerts: { setup: "both", base: { alertEmails: ["security@example.com"] }, change: { tamperAlerts: true } },
  keyEvents: { setup: "azure", base: { alertEmails: ["security@example.com"] }, change: { keyEvents: true } },
  alertEmails: { setup: "both", base: ALERTED, change: { alertEmails: ["security@example.com", "oncall@example.com"] } },
  alertWebhookUrl: { setup: "azure", base: ALERTED, change: { alertWebhookUrl: "https://hooks.example.com/services/T000/B000" } },
};

/** The other direction or setting that a key's note speaks of. */
const EXTRA_PROBES: Record<string, ExtraProbe> = {
  azureEnabled: { setup: "aws", change: { azureEnabled: true }, expected: { replaced: [], protectedReplaced: [], refusedBy: [] } },
  awsEnabled: { setup: "azure", change: { awsEnabled: true, cerbyWorkspaceId: CERBY_WORKSPACE_ID }, expected: { replaced: [], protectedReplaced: [], refusedBy: [] } },
  existingKmsKeyId: { setup: "adopt-aws", change: { existingKmsKeyId: MANUAL_AWS.keyArn }, expected: { replaced: [], protectedReplaced: [], refusedBy: [] } },
  adoptApplyDefaults: {
    setup: "adopt-azure",
    base: { adoptApplyDefaults: ["deleteLock", "role"] }, change: { adoptApplyDefaults: [] },
    expected: { replaced: ["delete lock", "role assignment for Cerby"], protectedReplaced: ["delete lock", "role assignment for Cerby"], refusedBy: [] },
  },
  purgeProtection: { setup: "azure", base: { purgeProtection: false }, change: { purgeProtection: true }, expected: { replaced: [], protectedReplaced: [], refusedBy: [] } },
  awsPrimaryRegion: {
    setup: "aws",
    base: { awsAllowNonStandardRegions: true },
    change: { awsPrimaryRegion: "us-east-1" },
    expected: { replaced: ["KMS aliases", "KMS key", "KMS replica"], protectedReplaced: ["KMS key", "KMS replica"], refusedBy: ["guard"] },
  },
  awsReplicaRegion: {
    setup: "aws",
    base: { awsAllowNonStandardRegions: true },
    change: { awsReplicaRegion: "us-west-1" },
    expected: { replaced: ["KMS aliases", "KMS replica"], protectedReplaced: ["KMS replica"], refusedBy: ["guard"] },
  },
};

/**
 * The manual setups, answering each get function for whatever it is asked (the fakes answer one
 * fixed setup): another role assignment, key or role exists too, so that changing the key that
 * names it shows what adopting another one would do.
 */
function echoingManualAzure(): MockCloud {
  const manual = manualAzureCloud();
  return {
    ...manual,
    call: (args) => {
      const answer = manual.call!(args);
      return args.token === "azure-native:authorization:getRoleAssignment"
        ? { ...answer, id: `${args.inputs.scope}/providers/Microsoft.Authorization/roleAssignments/${args.inputs.roleAssignmentName}`, name: args.inputs.roleAssignmentName }
        : answer;
    },
  };
}

class EchoingManualAws extends ManualAws {
  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const answer = JSON.stringify(super.call(args));
    const keyId = /mrk-[0-9a-f]{32}/.exec(String(args.inputs.keyId ?? ""))?.[0];
    const roleName = args.inputs.name ?? args.inputs.roleName;
    if (keyId !== undefined) {
      return JSON.parse(answer.replaceAll(MRK_KEY_ID, keyId));
    }
    return JSON.parse(typeof roleName === "string" ? answer.replaceAll(MANUAL_AWS.roleName, roleName) : answer);
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id?: string; state?: Record<string, unknown> } | undefined {
    const created = super.newResource(args);
    // An imported key is the one imported, not the fake's fixed one.
    const keyId = /mrk-[0-9a-f]{32}/.exec(args.id ?? "")?.[0];
    return keyId === undefined || created === undefined ? created : JSON.parse(JSON.stringify(created).replaceAll(MRK_KEY_ID, keyId));
  }
}

const SETUPS: Record<Setup, Record<string, unknown>> = {
  azure: {},
  aws: AWS,
  both: BOTH,
  "adopt-azure": ADOPT_CONFIG,
  "adopt-aws": ADOPT_AWS_CONFIG,
};

/** Runs the program for a setup; resolves to undefined config errors as the rejection itself. */
async function run(setup: Setup, config: Record<string, unknown>): Promise<Run> {
  const aws = setup === "adopt-aws" ? new EchoingManualAws() : new FakeAws(azureCloud);
  const cloud = setup === "adopt-azure" ? echoingManualAzure() : aws;
  const spy = jest.spyOn(pulumi.log, "warn").mockImplementation(async () => undefined);
  try {
    const result = await runProgram({ ...SETUPS[setup], ...config }, { cloud });
    return { result, regionOf: aws.regionOf };
  } finally {
    spy.mockRestore();
  }
}

async function outcomeOf(probe: Probe): Promise<ChangeOutcome & { before: Run; after: Run }> {
  const before = await run(probe.setup, probe.base ?? {});
  const after = await run(probe.setup, { ...probe.base, ...probe.change });
  return { ...(await changeOutcome(before, after)), before, after };
}

/** The key vault's inputs in a run, as the engine receives them. */
const vaultInputs = (run: Run) => run.result.resources.find((resource) => resource.type === AZURE_TYPES.vault)?.rawInputs;

const sorted = (names: ChangedResource[]) => [...names].sort();
const ROLE_ASSIGNMENTS: ChangedResource[] = ["role assignment for Cerby", "deployer grant"];

describe("docs/configuration.md's \"Can change after the first deploy\" is what the program does", () => {
  test("every key has a probe here, so a new key cannot go unchecked", () => {
    expect(Object.keys(PROBES).sort()).toEqual(Object.keys(CONFIG_KEYS).sort());
  });

  describe.each(Object.keys(PROBES))("%s", (key) => {
    const spec = CONFIG_KEYS[key];
    const probe = PROBES[key];
    const { change } = spec;

    test(`${changeColumn(change)}`, async () => {
      if (change.refusedBy.includes("config")) {
        await expect(run(probe.setup, probe.base ?? {})).resolves.toBeDefined();
        await expect(run(probe.setup, { ...probe.base, ...probe.change })).rejects.toThrow(key);
        return;
      }
      const outcome = await outcomeOf(probe);
      expect({ replaced: outcome.replaced, refusedBy: outcome.refusedBy }).toEqual({
        replaced: sorted(change.replaces),
        refusedBy: change.refusedBy.filter((refuser) => refuser === "cerby" || refuser === "guard").sort(),
      });
      if (change.canChange) {
        expect(outcome.removed).toEqual(sorted(change.removes ?? []));
      }
      // protect refuses the run exactly when it would replace or remove a protected resource.
      expect(outcome.protectedReplaced.length > 0).toBe(change.refusedBy.includes("protect"));
      if (change.refusedBy.includes("azure")) {
        // Mocks cannot show Azure's refusal: what they show is that the vault is asked to change in place.
        expect(change.note).toBeDefined();
        expect(vaultInputs(outcome.after)).not.toEqual(vaultInputs(outcome.before));
      }
      if (change.replaces.some((name) => ROLE_ASSIGNMENTS.includes(name)) && change.canChange) {
        // The column's warning about the delete lock applies: the default stack locks the vault.
        expect(outcome.before.result.resources.some((resource) => resource.type === AZURE_TYPES.lock)).toBe(true);
      }
    });

    if (EXTRA_PROBES[key]) {
      const extra = EXTRA_PROBES[key];
      test(`and, as its note says, ${JSON.stringify(extra.change)} over ${JSON.stringify(extra.base ?? {})} does ${JSON.stringify(extra.expected)}`, async () => {
        const outcome = await outcomeOf(extra);
        expect({ replaced: outcome.replaced, protectedReplaced: outcome.protectedReplaced, refusedBy: outcome.refusedBy }).toEqual(extra.expected);
      });
    }
  });
});
