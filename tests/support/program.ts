import program = require("../../index");
import { PROJECT } from "../../components/config";
import { runUnderMocks, type MockCloud, type MockRunResult, type RecordedResource } from "../../tools/mock-runtime";
import { azureCloud } from "./azure-cloud";
import { configText } from "./config-source";

/** The smallest valid config for an Azure-only stack. */
export const BASE_CONFIG: Record<string, unknown> = {
  cerbyWorkspace: "acme",
  clientSecretStartDate: "2026-11-28",
  rolePropagationWaitSeconds: 0,
};

/** Config as Pulumi stores it: project-qualified keys, arrays and maps as JSON text. */
export function toPulumiConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [`${PROJECT}:${key}`, configText(value)]),
  );
}

/** Runs the real program (index.ts) under mocks with BASE_CONFIG plus `overrides`. */
export function runProgram(
  overrides: Record<string, unknown> = {},
  options: { preview?: boolean; cloud?: MockCloud } = {},
): Promise<MockRunResult> {
  return runUnderMocks(program, {
    project: PROJECT,
    stack: "test",
    config: toPulumiConfig({ ...BASE_CONFIG, ...overrides }),
    preview: options.preview ?? false,
    cloud: options.cloud ?? azureCloud,
  });
}

/** The one resource of `type` (and name, when given); fails the test when there is not exactly one. */
export function single(resources: RecordedResource[], type: string, name?: string): RecordedResource {
  const found = resources.filter((resource) => resource.type === type && (name === undefined || resource.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
  }
  return found[0];
}

/** First-run figures of a setup: what the engine imports, creates (changes and replacements cannot happen on a first run). */
export function figures(resources: RecordedResource[]): { imported: string[]; created: string[] } {
  const custom = resources.filter((resource) => resource.custom && !resource.type.startsWith("pulumi:providers:"));
  return {
    imported: custom.filter((resource) => resource.importId).map((resource) => resource.type),
    created: custom.filter((resource) => !resource.importId).map((resource) => resource.type),
  };
}
