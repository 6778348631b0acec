import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

/**
 * Calls the pack's policies directly, with the arguments the policy SDK would build from an
 * engine request (server.js, makeAnalyzeRpcFun / makeAnalyzeStackRpcFun), and collects what they report.
 */

/** A resource for a policy: its type, the types of its parents (outermost first), inputs and options. */
export interface TestResource {
  type: string;
  name?: string;
  /** Types of the parents, outermost first, as the URN names them. */
  parents?: string[];
  props: Record<string, unknown>;
  protect?: boolean;
}

/** The URN the engine gives such a resource: `urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>`. */
export function urnOf(resource: TestResource): string {
  return `urn:pulumi:prod::another-project::${[...(resource.parents ?? []), resource.type].join("$")}::${resource.name ?? "res"}`;
}

function notApplicable(reason?: string): never {
  throw new Error(`not applicable: ${reason}`);
}

/** What a resource policy reports for one resource, with `config` as the policy's settings. */
export async function violations(policy: ResourceValidationPolicy, resource: TestResource, config: Record<string, unknown> = {}): Promise<string[]> {
  const found: string[] = [];
  const args: ResourceValidationArgs = {
    type: resource.type,
    name: resource.name ?? "res",
    urn: urnOf(resource),
    props: resource.props,
    opts: { protect: resource.protect ?? false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const validate of validations) {
    await validate(args, (message) => found.push(message));
  }
  return found;
}

/** What a stack policy reports for a stack of `resources`, each with the URN it names. */
export async function stackViolations(policy: StackValidationPolicy, resources: TestResource[]): Promise<{ message: string; urn?: string }[]> {
  const found: { message: string; urn?: string }[] = [];
  const policyResources = resources.map(
    (resource): PolicyResource => ({
      type: resource.type,
      name: resource.name ?? "res",
      urn: urnOf(resource),
      props: resource.props,
      opts: { protect: resource.protect ?? false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    }),
  );
  await policy.validateStack({ resources: policyResources, stackTags: new Map(), getConfig: <T extends object>() => ({}) as T, notApplicable }, (message, urn) =>
    found.push({ message, urn }),
  );
  return found;
}
