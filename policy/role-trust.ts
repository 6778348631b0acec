/**
 * The one trust-policy check, shared by `npm run verify`'s aws.role-trust check and the policy
 * pack's cerby-role-trust policy (it lives with the pack, which must stand alone when published):
 * a role Cerby assumes must trust exactly Cerby's principal, and only with the workspace ID as
 * sts:ExternalId. Any other Allow statement that lets someone assume the role is a way around the
 * external ID.
 */

function asList(value: unknown): unknown[] {
  if (value === undefined) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

/** Actions that let a principal assume a role (sts:AssumeRole and its SAML and web-identity forms). */
const ASSUME_ACTIONS = ["sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"];

/** An IAM action pattern as a RegExp: IAM matches actions case-insensitively, with * and ? wildcards. */
function actionPattern(action: string): RegExp {
  const escaped = action.replace(/[.+^$(){}|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
}

/** The assume actions an Allow statement grants; NotAction is taken to grant them all. */
function assumeActions(statement: Record<string, unknown>): string[] {
  if (statement.Effect !== "Allow") {
    return [];
  }
  if (statement.NotAction !== undefined) {
    return ASSUME_ACTIONS;
  }
  const patterns = asList(statement.Action).filter((action): action is string => typeof action === "string").map(actionPattern);
  return ASSUME_ACTIONS.filter((name) => patterns.some((pattern) => pattern.test(name)));
}

/** The principals a statement names, as "AWS:<arn>", "Service:<name>", "*"… for messages. */
function principalsOf(statement: Record<string, unknown>): string[] {
  const principal = statement.Principal;
  if (principal === "*" || principal === undefined) {
    return [String(principal ?? "no Principal")];
  }
  return Object.entries(principal as Record<string, unknown>).flatMap(([kind, values]) => asList(values).map((value) => `${kind}:${String(value)}`));
}

/**
 * Why a trust statement that allows assuming the role is not exactly Cerby's: the one principal,
 * only with sts:ExternalId StringEquals the workspace ID (any one non-empty ID when `externalId`
 * is undefined: a policy pack does not know the workspace). Undefined when it is.
 */
function notCerbyOnly(statement: Record<string, unknown>, principal: string, externalId: string | undefined): string | undefined {
  if (statement.NotPrincipal !== undefined || statement.NotAction !== undefined) {
    return "uses NotPrincipal or NotAction, which lets other principals assume the role";
  }
  const principals = principalsOf(statement);
  const others = principals.filter((name) => name !== `AWS:${principal}`);
  if (others.length > 0) {
    return `lets ${others.join(", ")} assume the role`;
  }
  const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
  const externalIds = asList(condition?.StringEquals?.["sts:ExternalId"]);
  const single = externalIds.length === 1 && typeof externalIds[0] === "string" && externalIds[0] !== "";
  if (!single || (externalId !== undefined && externalIds[0] !== externalId)) {
    const found = externalIds.length === 0 ? "without a StringEquals sts:ExternalId condition" : `with sts:ExternalId ${externalIds.join(", ")}`;
    return `lets ${principal} assume the role ${found}, not only with ${externalId === undefined ? "one workspace ID" : `the workspace ID ${externalId}`}`;
  }
  return undefined;
}

/**
 * The trust policy's verdict: it must let `principal` assume the role with `externalId` (with one
 * workspace ID, when undefined), and no Allow statement may let anyone else, or anyone without
 * that condition, assume it.
 */
export function trustProblems(policy: unknown, principal: string, externalId?: string): string[] {
  const statements = asList((policy as { Statement?: unknown } | null)?.Statement) as Array<Record<string, unknown>>;
  const assuming = statements.map((statement, index) => ({ statement, index, actions: assumeActions(statement) })).filter(({ actions }) => actions.length > 0);
  const problems = assuming.flatMap(({ statement, index }) => {
    const why = notCerbyOnly(statement, principal, externalId);
    return why === undefined ? [] : [`statement ${typeof statement.Sid === "string" ? statement.Sid : `#${index + 1}`} ${why}`];
  });
  const trusted = assuming.some(({ statement, actions }) => actions.includes("sts:AssumeRole") && notCerbyOnly(statement, principal, externalId) === undefined);
  if (!trusted) {
    problems.unshift(`it does not let ${principal} assume it with sts:ExternalId ${externalId ?? "set to the Cerby workspace ID"}, so Cerby cannot use the key`);
  }
  return problems;
}
