import * as path from "node:path";
import * as vm from "node:vm";
import type * as pulumi from "@pulumi/pulumi";
import { buildSync } from "esbuild";

/** Entry points are named from here, so that a bundle is the same text on every machine. */
const PROJECT_ROOT = path.resolve(__dirname, "..");

/**
 * A provider that implements every call the engine makes of a dynamic provider, so that
 * BundledProvider, which forwards each of them, changes nothing the engine does. A bundled class
 * declares `implements CompleteProvider`.
 */
export type CompleteProvider = Required<Pick<pulumi.dynamic.ResourceProvider, "configure" | "check" | "diff" | "create" | "read" | "update" | "delete">>;

/**
 * A dynamic provider's source as the provider host runs it: its module and every project module it
 * imports, bundled by esbuild into one minified CommonJS module. Packages and Node's own modules
 * are not in it: the host requires them from the project's node_modules, as it does for any
 * serialized provider.
 */
export interface ProviderBundle {
  /** The export of the bundle that is the provider class; it is constructed without arguments. */
  readonly exportName: string;
  readonly code: string;
}

/**
 * Bundles the provider class `exportName` of `entryFile` with every project module it imports.
 * No cache: esbuild takes milliseconds, so nothing but the sources and the pinned esbuild decide
 * what is deployed. An import esbuild cannot resolve fails here rather than in the engine.
 */
export function bundleProvider(entryFile: string, exportName: string): ProviderBundle {
  const result = buildSync({
    absWorkingDir: PROJECT_ROOT,
    // A relative, "/"-separated entry: esbuild writes no absolute path into the bundle.
    entryPoints: [path.relative(PROJECT_ROOT, entryFile).split(path.sep).join("/")],
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    sourcemap: false,
    legalComments: "none",
    charset: "utf8",
    write: false,
    logLevel: "silent",
  });
  return { exportName, code: result.outputFiles[0].text };
}

/** The exports of a bundle, from a fresh run of its module in this process. */
export function runBundle(bundle: ProviderBundle): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  const run = vm.compileFunction(bundle.code, ["exports", "require", "module"], { filename: `${bundle.exportName}.js` });
  run(module.exports, (specifier: string) => require(specifier), module);
  return module.exports;
}

/**
 * A dynamic provider that carries another as its bundled source and forwards every call to an
 * instance built from it on first use, in the provider host.
 *
 * Why: the engine runs a dynamic provider from the text Pulumi's closure serializer makes of it, and
 * that serializer inspects each function the provider can reach through the V8 inspector, at about
 * 2 ms each. The Cerby provider reaches over a hundred, which made serializing it the largest part
 * of every `pulumi up`, preview and offline plan (CONTRIBUTING.md, "Performance"). This class reaches a
 * handful of small functions; the bundle is a string. It also means the state holds source and
 * nothing captured from the deploying process.
 */
export class BundledProvider implements CompleteProvider {
  private instance?: CompleteProvider;

  constructor(private readonly bundle: ProviderBundle) {}

  /**
   * A new instance of the bundle's provider class, from a fresh run of its module: what runs in the
   * provider host. The class's own type guarantees CompleteProvider, so the shipped text carries no
   * check of it. Inline rather than a helper: each function the provider reaches is serialized.
   */
  private provider(): CompleteProvider {
    this.instance ??= new (runBundle(this.bundle)[this.bundle.exportName] as new () => CompleteProvider)();
    return this.instance;
  }

  configure(...args: Parameters<CompleteProvider["configure"]>): ReturnType<CompleteProvider["configure"]> {
    return this.provider().configure(...args);
  }

  check(...args: Parameters<CompleteProvider["check"]>): ReturnType<CompleteProvider["check"]> {
    return this.provider().check(...args);
  }

  diff(...args: Parameters<CompleteProvider["diff"]>): ReturnType<CompleteProvider["diff"]> {
    return this.provider().diff(...args);
  }

  create(...args: Parameters<CompleteProvider["create"]>): ReturnType<CompleteProvider["create"]> {
    return this.provider().create(...args);
  }

  read(...args: Parameters<CompleteProvider["read"]>): ReturnType<CompleteProvider["read"]> {
    return this.provider().read(...args);
  }

  update(...args: Parameters<CompleteProvider["update"]>): ReturnType<CompleteProvider["update"]> {
    return this.provider().update(...args);
  }

  delete(...args: Parameters<CompleteProvider["delete"]>): ReturnType<CompleteProvider["delete"]> {
    return this.provider().delete(...args);
  }
}
