import * as fs from "node:fs";
import * as path from "node:path";
// Not `path.posix`: the serializer names a built-in module by its object, and on Linux `path` is
// the same object as `path/posix`, on Windows as `path/win32`; this one is `path/posix` everywhere.
import * as posix from "node:path/posix";
import * as vm from "node:vm";
import type * as pulumi from "@pulumi/pulumi";
import { transpile } from "./transpile";

/** Module IDs are paths from here, so that a bundle is the same text on every machine. */
const PROJECT_ROOT = path.resolve(__dirname, "..");

/** The calls the engine makes of a dynamic provider; BundledProvider forwards each of them. */
const PROVIDER_METHODS = ["configure", "check", "diff", "create", "read", "update", "delete"] as const;

/** A provider that implements every call, so that forwarding them changes nothing the engine does. */
export type CompleteProvider = Required<Pick<pulumi.dynamic.ResourceProvider, (typeof PROVIDER_METHODS)[number]>>;

/**
 * A dynamic provider's source as the provider host runs it: the entry module and every project
 * module it imports, directly or not, as CommonJS JavaScript keyed by module ID (the path from the
 * project folder, with "/" and without extension). Packages and Node's own modules are not in it:
 * the host requires them from the project's node_modules, as it does for any serialized provider.
 */
export interface ProviderBundle {
  /** ID of the module that exports the provider class. */
  readonly entry: string;
  /** The export of `entry` that is the provider class; it is constructed without arguments. */
  readonly exportName: string;
  readonly modules: Readonly<Record<string, string>>;
}

function moduleId(file: string): string {
  const relative = path.relative(PROJECT_ROOT, file).split(path.sep).join("/");
  return relative.replace(/\.(ts|js)$/, "");
}

/** Whether a require names a project module, rather than a package or one of Node's own. */
function isRelative(specifier: string): boolean {
  return specifier === "." || specifier === ".." || specifier.startsWith("./") || specifier.startsWith("../");
}

/**
 * The module of the bundle that a relative require in module `requirer` names: that ID, that ID
 * without the .ts or .js the import spelled out, or that folder's index. The loader resolves with
 * it, and bundleProvider checks with it that the loader will find every module.
 */
function bundledModule(modules: ProviderBundle["modules"], requirer: string, specifier: string): string | undefined {
  const target = posix.join(posix.dirname(requirer), specifier);
  return [target, target.replace(/\.(ts|js)$/, ""), `${target}/index`].find((candidate) => Object.hasOwn(modules, candidate));
}

/** The file a relative import names, in the order Node looks with .ts registered after .js. */
function resolveImport(importer: string, specifier: string): string {
  const base = path.resolve(path.dirname(importer), specifier);
  const candidates = [base, `${base}.js`, `${base}.ts`, path.join(base, "index.js"), path.join(base, "index.ts")];
  const found = candidates.find((candidate) => /\.(ts|js)$/.test(candidate) && fs.existsSync(candidate) && fs.statSync(candidate).isFile());
  if (!found) {
    throw new Error(`Cannot bundle "${specifier}", imported by ${moduleId(importer)}: no such .ts or .js module.`);
  }
  return found;
}

/**
 * Bundles the provider class `exportName` of `entryFile` with every project module it imports. The
 * imports are read from the emitted JavaScript, where TypeScript has already dropped type-only
 * ones; an import the provider host could not load fails here rather than in the engine.
 */
export function bundleProvider(entryFile: string, exportName: string): ProviderBundle {
  const modules: Record<string, string> = {};
  const imports: Array<{ requirer: string; specifier: string }> = [];
  const pending = [path.resolve(entryFile)];
  for (let file = pending.shift(); file !== undefined; file = pending.shift()) {
    const id = moduleId(file);
    if (Object.hasOwn(modules, id)) {
      continue;
    }
    // Line endings as a Windows checkout may have them would make the bundle differ by machine.
    const source = fs.readFileSync(file, "utf8").replace(/\r\n/g, "\n");
    const code = file.endsWith(".ts") ? transpile(file, source) : source;
    modules[id] = code;
    for (const [, , specifier] of code.matchAll(/\brequire\((["'])([^"'\n]+)\1\)/g)) {
      if (isRelative(specifier)) {
        imports.push({ requirer: id, specifier });
        pending.push(resolveImport(file, specifier));
      }
    }
  }
  for (const { requirer, specifier } of imports) {
    if (bundledModule(modules, requirer, specifier) === undefined) {
      throw new Error(`Cannot bundle "${specifier}", imported by ${requirer}: the provider host would not find it in the bundle.`);
    }
  }
  return { entry: moduleId(entryFile), exportName, modules };
}

/**
 * Runs a bundle's modules in this process, each once and as they are first required, and returns
 * the exports of module `id` (the entry by default). Every call starts from fresh modules.
 */
export function runBundle(bundle: ProviderBundle, id: string = bundle.entry): Record<string, unknown> {
  const loaded = new Map<string, { exports: Record<string, unknown> }>();
  const load = (moduleId: string): Record<string, unknown> => {
    const existing = loaded.get(moduleId);
    if (existing) {
      return existing.exports;
    }
    if (!Object.hasOwn(bundle.modules, moduleId)) {
      throw new Error(`The provider bundle of ${bundle.exportName} has no module "${moduleId}".`);
    }
    // Registered before it runs, as Node does, so that an import cycle gets the partial exports.
    const module = { exports: {} as Record<string, unknown> };
    loaded.set(moduleId, module);
    const requireFromBundle = (specifier: string): unknown => {
      if (!isRelative(specifier)) {
        return require(specifier);
      }
      const found = bundledModule(bundle.modules, moduleId, specifier);
      if (found === undefined) {
        throw new Error(`The provider bundle of ${bundle.exportName} has no module "${specifier}", which "${moduleId}" requires.`);
      }
      return load(found);
    };
    const filename = `${moduleId}.js`;
    const run = vm.compileFunction(bundle.modules[moduleId], ["exports", "require", "module", "__filename", "__dirname"], { filename });
    run(module.exports, requireFromBundle, module, filename, posix.dirname(filename));
    return module.exports;
  };
  return load(id);
}

/**
 * A new instance of the bundle's provider class, from fresh modules. This is what runs in the
 * dynamic provider host.
 */
export function loadBundle(bundle: ProviderBundle): CompleteProvider {
  const Provider = runBundle(bundle)[bundle.exportName];
  if (typeof Provider !== "function") {
    throw new Error(`The provider bundle's module "${bundle.entry}" exports no class ${bundle.exportName}.`);
  }
  const provider = new (Provider as new () => Partial<CompleteProvider>)();
  const missing = PROVIDER_METHODS.filter((method) => typeof provider[method] !== "function");
  if (missing.length > 0) {
    throw new Error(`${bundle.exportName} does not implement ${missing.join(", ")}; a bundled provider must implement every call it is forwarded.`);
  }
  return provider as CompleteProvider;
}

/**
 * A dynamic provider that carries another as its bundled source and forwards every call to an
 * instance built from it on first use, in the provider host.
 *
 * Why: the engine runs a dynamic provider from the text Pulumi's closure serializer makes of it, and
 * that serializer inspects each function the provider can reach through the V8 inspector, at about
 * 2 ms each. The Cerby provider reaches over a hundred, which made serializing it the largest part
 * of every `pulumi up`, preview and offline plan (README, "Performance"). This class reaches a
 * handful of small functions; the bundle is strings. It also means the state holds source and
 * nothing captured from the deploying process.
 */
export class BundledProvider implements CompleteProvider {
  private instance?: CompleteProvider;

  constructor(private readonly bundle: ProviderBundle) {}

  private provider(): CompleteProvider {
    this.instance ??= loadBundle(this.bundle);
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
