import * as pulumi from "@pulumi/pulumi";
import { isConfigError, parseConfig, pulumiConfigSource } from "./components/config";
import { buildStack } from "./components/stack";

/** The stack config, or a RunError: pulumi up prints its message (every problem, by key) without a stack trace. */
function stackConfig() {
  try {
    return parseConfig(pulumiConfigSource());
  } catch (error) {
    throw isConfigError(error) ? new pulumi.RunError(error.message) : error;
  }
}

// Pulumi runs an exported function as the program and exports what it returns as stack outputs.
export = async () => buildStack(stackConfig());
