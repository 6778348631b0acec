import type { MockRunResult } from "../../tools/mock-runtime";

/**
 * Fails unless every resource of `before` is in `after` with the same URN, inputs, dependencies
 * and options: an added feature may add resources, never touch the ones a stack already has.
 */
export function expectExistingResourcesUnchanged(before: MockRunResult, after: MockRunResult): void {
  const byUrn = new Map(after.resources.map((resource) => [resource.urn, resource]));
  for (const resource of before.resources) {
    const same = byUrn.get(resource.urn);
    expect({ urn: resource.urn, found: same !== undefined }).toEqual({ urn: resource.urn, found: true });
    const { rawOutputs: _before, ...declared } = resource;
    const { rawOutputs: _after, ...declaredAfter } = same!;
    expect(declaredAfter).toEqual(declared);
  }
}
