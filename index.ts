import { parseConfig, pulumiConfigSource } from "./components/config";
import { buildStack } from "./components/stack";

// Pulumi runs an exported function as the program and exports what it returns as stack outputs.
export = async () => buildStack(parseConfig(pulumiConfigSource()));
