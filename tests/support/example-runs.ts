import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import program = require("../../index");
import { runUnderMocks, type MockCloud, type RecordedResource } from "../../tools/mock-runtime";
import { loadProject, loadStackConfig } from "../../tools/plan";
import { FakeAws } from "./aws-cloud";
import { azureCloud } from "./azure-cloud";
import { ManualAws } from "./manual-aws";
import { manualAzureCloud } from "./manual-azure";
import { ROOT } from "./plan-run";

/**
 * The program's own mocked run of each example stack under examples/: its stack file read over
 * Pulumi.yaml as the CLI does, then index.ts run against the fake clouds, which answer with the
 * tenant, subscription, account and workspace the examples name, as a deployment (the fake AWS
 * learns each provider's Region when it is created). What it records is what the engine hands a
 * policy pack's Analyze before each step, in a preview as in an update: the resources' inputs.
 */

export const EXAMPLE_STACKS = [
  "examples/Pulumi.azure.yaml",
  "examples/Pulumi.azure-production.yaml",
  "examples/Pulumi.azure-and-aws.yaml",
  "examples/Pulumi.aws-only.yaml",
  "examples/Pulumi.adopt-existing.yaml",
] as const;

/**
 * The setup the adoption example adopts: made by hand with Cerby's articles, with the purge
 * protection the article leaves to the reader turned on (a setup without it is refused by the
 * pack until adoptApplyDefaults includes purgeProtection).
 */
function adoptedSetup(options: { purgeProtection: boolean }): MockCloud {
  const azure = manualAzureCloud();
  const aws = new ManualAws();
  return {
    newResource: (args) => (args.type === "pulumi:providers:aws" || args.type.startsWith("aws:") ? aws.newResource(args) : azure.newResource!(args)),
    call: (args) => {
      if (args.token.startsWith("aws:")) {
        return aws.call(args);
      }
      const answer = azure.call!(args);
      if (args.token === "azure-native:keyvault:getVault" && options.purgeProtection) {
        return { ...answer, properties: { ...(answer.properties as object), enablePurgeProtection: true } };
      }
      return answer;
    },
  };
}

/** Runs one example stack file under mocks and returns what the program declared. */
export async function runExample(file: string, options: { purgeProtection?: boolean } = {}): Promise<RecordedResource[]> {
  const project = loadProject(ROOT);
  const stack = loadStackConfig(project, path.join(ROOT, file), "prod");
  const cloud = /adopt/.test(file) ? adoptedSetup({ purgeProtection: options.purgeProtection ?? true }) : new FakeAws(azureCloud);
  // The program's warnings and notes (an adopted setup's differences) are not what these runs look at.
  const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(async () => undefined);
  const info = jest.spyOn(pulumi.log, "info").mockImplementation(async () => undefined);
  try {
    const run = await runUnderMocks(program, { project: project.name, stack: "prod", config: stack.config, secretKeys: stack.secretKeys, preview: false, cloud });
    return run.resources;
  } finally {
    warn.mockRestore();
    info.mockRestore();
  }
}
