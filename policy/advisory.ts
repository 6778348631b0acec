import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { PROJECT_TAG, cerbyUses, hasProjectTag, isAzureKey, isKmsKey, readKnown } from "./cerby-resources";

/**
 * The advisory policies: what weakens the setup without losing the key by itself. They warn and
 * let the deployment go on; each can be made mandatory (see policy/README.md, "Levels and settings").
 */

/** The longest client-secret lifetime (days) that does not warn: a year. */
export const CLIENT_SECRET_MAX_DAYS = 365;

const DAY_MS = 24 * 60 * 60 * 1000;

const isActivityLogAlert = (type: string): boolean => /^azure-native:(?:monitor|insights)(?:\/v\w+)?:ActivityLogAlert$/.test(type);
const isEventRule = (type: string): boolean => type === "aws:cloudwatch/eventRule:EventRule";

/** A stack that holds a key Cerby uses has tamper alerts for it. */
export const tamperAlerts: StackValidationPolicy = {
  name: "cerby-tamper-alerts",
  description: "A stack that holds a key Cerby uses also alerts on its deletion or change (Azure activity-log alerts, AWS EventBridge rules).",
  enforcementLevel: "advisory",
  validateStack: (args, reportViolation) => {
    const clouds = [
      { isKey: isAzureKey, isAlert: isActivityLogAlert, alerts: "Azure activity-log alerts" },
      { isKey: isKmsKey, isAlert: isEventRule, alerts: "EventBridge rules" },
    ];
    for (const cloud of clouds) {
      const key = args.resources.find((resource) => cloud.isKey(resource.type) && cerbyUses(resource));
      if (key && !args.resources.some((resource) => cloud.isAlert(resource.type))) {
        reportViolation(
          `Tamper alerts are off: nobody is told when ${key.type} ${key.name}, which Cerby uses, or what guards it is deleted, disabled or changed. ` +
            `Set tamperAlerts true and alertEmails (this stack then declares ${cloud.alerts}).`,
          key.urn,
        );
      }
    }
  },
};

/** Days from an RFC 3339 start date (or now, which the policy cannot know: undefined) to the end date. */
function lifetimeDays(props: Record<string, unknown>): number | undefined {
  const start = typeof props.startDate === "string" ? Date.parse(props.startDate) : Number.NaN;
  if (typeof props.endDate === "string") {
    const end = Date.parse(props.endDate);
    return Number.isNaN(start) || Number.isNaN(end) ? undefined : (end - start) / DAY_MS;
  }
  const relative = typeof props.endDateRelative === "string" ? /^(\d+)h/.exec(props.endDateRelative) : null;
  if (relative) {
    return Number(relative[1]) / 24;
  }
  // Microsoft Graph's addPassword: "The default value is startDateTime + 2 years".
  return props.endDateRelative === undefined ? 2 * 365 : undefined;
}

/** The client secret Cerby signs in with is short-lived. */
export const clientSecretLifetime: ResourceValidationPolicy = {
  name: "cerby-client-secret-lifetime",
  description: `The client secret Cerby signs in to Entra ID with is valid for at most ${CLIENT_SECRET_MAX_DAYS} days.`,
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      maximumDays: { type: "integer", minimum: 1, default: CLIENT_SECRET_MAX_DAYS, description: "The longest lifetime (days) that does not warn." },
    },
  },
  validateResource: (args, reportViolation) => {
    if (args.type !== "azuread:index/applicationPassword:ApplicationPassword" || !cerbyUses(args)) {
      return;
    }
    const { maximumDays = CLIENT_SECRET_MAX_DAYS } = args.getConfig<{ maximumDays?: number }>();
    const days = lifetimeDays(args.props);
    if (days !== undefined && days > maximumDays) {
      reportViolation(
        `${args.type} ${args.name} is valid for ${Math.round(days)} days, over ${maximumDays}: a leaked secret stays usable that long. ` +
          `Set clientSecretLifetimeDays ${maximumDays} or less and rotate before the end date (docs/operations.md, "Client-secret rotation").`,
      );
    }
  },
};

/** The resource group of an Azure resource: its resourceGroupName, or the one its ARM ID names. */
function resourceGroupOf(resource: PolicyResource): string | undefined {
  const name = readKnown(() => resource.props.resourceGroupName);
  if (typeof name === "string") {
    return name.toLowerCase();
  }
  const id = readKnown(() => resource.props.id);
  return typeof id === "string" ? /\/resourceGroups\/([^/]+)/i.exec(id)?.[1]?.toLowerCase() : undefined;
}

/** A key in a resource group Cerby's setup manages is Cerby's or says whose it is. */
export const untaggedKey: StackValidationPolicy = {
  name: "cerby-untagged-key",
  description: "Every Key Vault key in a resource group this project manages for Cerby is Cerby's own (of this project's types or tagged by it).",
  enforcementLevel: "advisory",
  validateStack: (args, reportViolation) => {
    const managed = new Set(
      args.resources
        .filter((resource) => resource.type === "azure-native:resources:ResourceGroup" && cerbyUses(resource))
        .map(resourceGroupOf)
        .filter((name): name is string => name !== undefined),
    );
    for (const resource of args.resources) {
      const group = resourceGroupOf(resource);
      if (!isAzureKey(resource.type) || group === undefined || !managed.has(group) || cerbyUses(resource) || hasProjectTag(resource)) {
        continue;
      }
      reportViolation(
        `${resource.type} ${resource.name} is in the resource group ${group}, which this project manages for Cerby, but is not Cerby's and is untagged: ` +
          "it is easily mistaken for Cerby's key (or the other way round) when someone cleans up. Move it to another resource group; " +
          `if it is Cerby's key declared in another program, tag it ${PROJECT_TAG.key}: ${PROJECT_TAG.value} so the mandatory policies guard it.`,
        resource.urn,
      );
    }
  },
};

export const ADVISORY_POLICIES: readonly (ResourceValidationPolicy | StackValidationPolicy)[] = [tamperAlerts, clientSecretLifetime, untaggedKey];
