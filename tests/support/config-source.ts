import { checkConfig, type ConfigSource } from "../../components/config";

/** A config value as Pulumi stores it: strings as they are, lists and maps as JSON text. */
export function configText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A config source holding `values` (undefined ones left unset), listing exactly the keys it holds. */
export function configSource(values: Record<string, unknown>): ConfigSource {
  // A Map, so that keys such as __proto__ or constructor are data, not the object's own machinery.
  const raw = new Map<string, string>();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) {
      raw.set(key, configText(value));
    }
  }
  return { get: (key) => raw.get(key), keys: () => [...raw.keys()] };
}

/** Every problem the config module reports for `values`, as "key message" lines; none when it is valid. */
export function configProblems(values: Record<string, unknown>): string[] {
  return checkConfig(configSource(values)).problems.map((problem) => `${problem.key} ${problem.message}`);
}

/** Every warning the config module gives for `values`, as "key message" lines. */
export function configWarnings(values: Record<string, unknown>): string[] {
  return checkConfig(configSource(values)).warnings.map((warning) => `${warning.key} ${warning.message}`);
}
