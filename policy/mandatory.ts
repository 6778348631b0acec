import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { cerbyUses, isAzureKey, isAzureVault, isKmsKey, isKmsReplica, keyResourceKind, ownType } from "./cerby-resources";
import { trustProblems } from "./role-trust";

/**
 * The mandatory policies: what must hold of every resource Cerby uses, in any stack. Deleting,
 * replacing or weakening any of them loses every account and secret Cerby encrypted, and Cerby
 * does not notice. Each message names what is wrong, the setting of this project that fixes it,
 * and the property to fix in any other program.
 */

/** The only key size Cerby accepts (Cerby's "Azure External Keys" and "AWS KMS" articles). */
export const CERBY_KEY_SIZE = 4096;
/** Cerby's AWS principal, as Cerby's "AWS KMS" article names it (this project's cerbyPrincipalArn default). */
export const CERBY_PRINCIPAL_ARN = "arn:aws:iam::749452252575:role/production-kms-byo-key-access-role";
/** AWS's longest deletion window, which this project uses by default (kmsDeletionWindowDays). */
export const KMS_DELETION_WINDOW_DAYS = 30;

const describe = (args: ResourceValidationArgs): string => `${args.type} ${args.name}`;

/** Cerby's resources of the kinds that must keep `protect`: the keys and vault, and this project's own resources marked so. */
export const resourcesProtected: ResourceValidationPolicy = {
  name: "cerby-resources-protected",
  description: "A Key Vault, Key Vault key, KMS key or replica that Cerby uses, and the Cerby vault registration and key-continuity guard, keep the protect option.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const kind = keyResourceKind(args.type) ?? (ownType(args.type)?.protect ? ownType(args.type)?.what : undefined);
    if (kind === undefined || !cerbyUses(args) || args.opts.protect) {
      return;
    }
    reportViolation(
      `${describe(args)} is ${kind.startsWith("the ") ? kind : `a ${kind}`} Cerby uses and is not protected: a delete or replacement would lose every secret Cerby encrypted with it. ` +
        "Keep the resource option protect: true (this project's components set it; in another program set protect on the resource). " +
        "To remove it on purpose, once Cerby no longer uses it, see docs/operations.md, \"What is protected against deletion\".",
    );
  },
};

/** Property of Azure's VaultProperties, read from the vault's `properties` input. */
function vaultProperty(args: ResourceValidationArgs, name: string): unknown {
  const properties = args.props.properties as Record<string, unknown> | undefined;
  return properties?.[name];
}

/** Cerby's Key Vault stays recoverable (soft delete, purge protection) and uses Azure RBAC. */
export const vaultRecoverableRbac: ResourceValidationPolicy = {
  name: "cerby-vault-recoverable-rbac",
  description: "Cerby's Key Vault keeps soft delete and purge protection on and the Azure RBAC permission model.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!isAzureVault(args.type) || !cerbyUses(args)) {
      return;
    }
    if (vaultProperty(args, "enableSoftDelete") === false) {
      reportViolation(`${describe(args)} turns soft delete off (properties.enableSoftDelete false): a deleted key could not be recovered. Remove enableSoftDelete or set it true.`);
    }
    if (vaultProperty(args, "enablePurgeProtection") !== true) {
      reportViolation(
        `${describe(args)} lacks purge protection (properties.enablePurgeProtection is not true): anyone who can delete the vault can purge Cerby's key for good. ` +
          "Set purgeProtection true (an adopted vault: add purgeProtection to adoptApplyDefaults); in another program set properties.enablePurgeProtection true. Azure never lets it be turned off again.",
      );
    }
    if (vaultProperty(args, "enableRbacAuthorization") !== true) {
      reportViolation(
        `${describe(args)} does not use the Azure RBAC permission model (properties.enableRbacAuthorization is not true; Azure's default is access policies), ` +
          "which Cerby's role assignment needs. Set properties.enableRbacAuthorization true.",
      );
    }
  },
};

/** The CIDR prefix length of an IP rule, 32 for a bare address. */
function prefixLength(rule: string): number {
  const [, length] = rule.trim().split("/");
  return length === undefined ? 32 : Number(length);
}

/** No IP rule of Cerby's vault lets every address through. */
export const vaultNoOpenNetworkRule: ResourceValidationPolicy = {
  name: "cerby-vault-no-open-network-rule",
  description: "No network rule opens Cerby's Key Vault to 0.0.0.0/0 (every address).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!isAzureVault(args.type) || !cerbyUses(args)) {
      return;
    }
    const acls = vaultProperty(args, "networkAcls") as { ipRules?: { value?: unknown }[] } | undefined;
    for (const rule of acls?.ipRules ?? []) {
      const value = String(rule?.value ?? "");
      if (prefixLength(value) === 0) {
        reportViolation(
          `${describe(args)} has the network rule ${value}, which opens the vault's firewall to every address. ` +
            "Remove it from networkAllowedIpRanges (properties.networkAcls.ipRules in another program) and list the addresses that need the vault.",
        );
      }
    }
  },
};

/** Cerby's Azure key stays RSA 4096 and can wrap and unwrap. */
export const keyRsa4096: ResourceValidationPolicy = {
  name: "cerby-key-rsa-4096",
  description: "Cerby's Key Vault key stays RSA (or RSA-HSM) 4096 with the wrapKey and unwrapKey operations.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!isAzureKey(args.type) || !cerbyUses(args)) {
      return;
    }
    const properties = (args.props.properties ?? {}) as { kty?: unknown; keySize?: unknown; keyOps?: unknown };
    if (properties.kty !== "RSA" && properties.kty !== "RSA-HSM") {
      reportViolation(`${describe(args)} is of type ${String(properties.kty)}; Cerby works only with RSA keys. Set keyType RSA or RSA-HSM (properties.kty).`);
    }
    if (properties.keySize !== CERBY_KEY_SIZE) {
      reportViolation(
        `${describe(args)} has size ${String(properties.keySize)} (Azure's default is 2048); Cerby accepts only ${CERBY_KEY_SIZE}. Set keySize ${CERBY_KEY_SIZE} (properties.keySize).`,
      );
    }
    // Without a list Azure allows every operation the key type has, wrapKey and unwrapKey included.
    if (Array.isArray(properties.keyOps)) {
      const missing = ["wrapKey", "unwrapKey"].filter((operation) => !(properties.keyOps as unknown[]).includes(operation));
      if (missing.length > 0) {
        reportViolation(`${describe(args)} does not allow ${missing.join(" and ")}, which Cerby calls on every secret. Add them to properties.keyOps.`);
      }
    }
  },
};

/** Days AWS waits before deleting a KMS key; AWS's default when unset is the longest, 30. */
function deletionWindow(args: ResourceValidationArgs): number {
  const days = args.props.deletionWindowInDays;
  return days === undefined || days === null ? KMS_DELETION_WINDOW_DAYS : Number(days);
}

/** Cerby's KMS key stays what Cerby's AWS KMS strategy needs, with the longest deletion window. */
export const kmsKeySpec: ResourceValidationPolicy = {
  name: "cerby-kms-key-spec",
  description: `Cerby's KMS key stays RSA_4096, ENCRYPT_DECRYPT and multi-Region, and it and its replica keep a deletion window of ${KMS_DELETION_WINDOW_DAYS} days.`,
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minimumDeletionWindowDays: {
        type: "integer",
        minimum: 7,
        maximum: KMS_DELETION_WINDOW_DAYS,
        default: KMS_DELETION_WINDOW_DAYS,
        description: "The shortest deletion window (days) the key and replica may have.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    if ((!isKmsKey(args.type) && !isKmsReplica(args.type)) || !cerbyUses(args)) {
      return;
    }
    const { minimumDeletionWindowDays = KMS_DELETION_WINDOW_DAYS } = args.getConfig<{ minimumDeletionWindowDays?: number }>();
    if (deletionWindow(args) < minimumDeletionWindowDays) {
      reportViolation(
        `${describe(args)} has a deletion window of ${deletionWindow(args)} days; keep ${minimumDeletionWindowDays} or more, the time to notice and cancel a scheduled deletion. ` +
          "Set kmsDeletionWindowDays 30 (deletionWindowInDays in another program).",
      );
    }
    if (isKmsReplica(args.type)) {
      return;
    }
    const spec = args.props.customerMasterKeySpec ?? args.props.keySpec;
    const checks: [boolean, string][] = [
      [spec === "RSA_4096", `is of spec ${String(spec)} (customerMasterKeySpec); Cerby's AWS KMS strategy needs RSA_4096`],
      [args.props.keyUsage === "ENCRYPT_DECRYPT", `has key usage ${String(args.props.keyUsage)}; Cerby needs ENCRYPT_DECRYPT`],
      [args.props.multiRegion === true, "is not multi-Region (multiRegion true); Cerby's disaster recovery needs the replica"],
    ];
    for (const [, problem] of checks.filter(([holds]) => !holds)) {
      reportViolation(`${describe(args)} ${problem}. Changing it replaces the key, which loses every secret Cerby encrypted.`);
    }
  },
};

/** True when an IAM policy document names `principal` anywhere (an ARN needs no JSON escaping). */
function namesPrincipal(policy: unknown, principal: string): boolean {
  return JSON.stringify(policy ?? null).includes(principal);
}

/** The trust policy of a role: its JSON text parsed, or the document itself. */
function trustPolicy(value: unknown): unknown {
  if (typeof value !== "string") {
    return value;
  }
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** The role Cerby assumes trusts Cerby's principal, only with the ExternalId condition, and no one else. */
export const roleTrust: ResourceValidationPolicy = {
  name: "cerby-role-trust",
  description: "The IAM role Cerby assumes, and any role whose trust names Cerby's principal, lets that principal assume it only with the sts:ExternalId condition, and no one else.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      cerbyPrincipalArn: { type: "string", default: CERBY_PRINCIPAL_ARN, description: "Cerby's AWS principal (this project's cerbyPrincipalArn)." },
    },
  },
  validateResource: (args, reportViolation: ReportViolation) => {
    if (args.type !== "aws:iam/role:Role") {
      return;
    }
    const { cerbyPrincipalArn = CERBY_PRINCIPAL_ARN } = args.getConfig<{ cerbyPrincipalArn?: string }>();
    const policy = trustPolicy(args.props.assumeRolePolicy);
    if (!cerbyUses(args) && !namesPrincipal(policy, cerbyPrincipalArn)) {
      return;
    }
    if (policy === undefined) {
      reportViolation(`${describe(args)}: its assumeRolePolicy is not a JSON policy document, so its trust cannot be checked. Give it a JSON document.`);
      return;
    }
    for (const problem of trustProblems(policy, cerbyPrincipalArn)) {
      reportViolation(
        `${describe(args)}: ${problem}. Trust only ${cerbyPrincipalArn}, with StringEquals sts:ExternalId set to the Cerby workspace ID (cerbyWorkspaceId); ` +
          "without the external ID any Cerby customer could use the key.",
      );
    }
  },
};

export const MANDATORY_POLICIES: readonly ResourceValidationPolicy[] = [resourcesProtected, vaultRecoverableRbac, vaultNoOpenNetworkRule, keyRsa4096, kmsKeySpec, roleTrust];
