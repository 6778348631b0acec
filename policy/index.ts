import { PolicyPack } from "@pulumi/policy";
import { ADVISORY_POLICIES } from "./advisory";
import { MANDATORY_POLICIES } from "./mandatory";

/**
 * The policy pack that guards Cerby's key in any stack: `pulumi preview --policy-pack <path to
 * this folder>`. The Pulumi CLI starts it through the Node.js language host with
 * `@pulumi/pulumi/cmd/run-policy-pack`, which loads this module; the PolicyPack then serves the
 * engine's Analyzer calls on a port it prints. Policies, levels and settings: policy/README.md.
 */
new PolicyPack("cerby-external-keys", {
  description: "Guards the keys, vaults and IAM role a Cerby workspace's customer-managed encryption depends on.",
  policies: [...MANDATORY_POLICIES, ...ADVISORY_POLICIES],
});
