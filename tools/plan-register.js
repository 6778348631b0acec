// @ts-check
"use strict";
/**
 * Lets Node require this project's TypeScript directly, for `npm run plan`, whose start-up time
 * matters. Each .ts file is transpiled on its own (typescript.transpileModule: no type check, which
 * `npm run build` and the tests do) and the JavaScript is cached in node_modules/.cache, checked
 * against a hash of the source, the compiler settings and the compiler version. A warm start
 * therefore never loads the compiler, which alone costs half as much as loading the Pulumi SDK.
 *
 * Use: node -r ./tools/plan-register.js scripts/plan.ts
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "cerby-external-keys-plan");
const TSCONFIG = fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8");
// What a cached file depends on besides its own source and name; cheap to read on every start.
const SETTINGS = `${TSCONFIG}\0${JSON.parse(fs.readFileSync(require.resolve("typescript/package.json"), "utf8")).version}`;

/** @type {{ ts: typeof import("typescript"), options: import("typescript").CompilerOptions } | undefined} */
let compiler;

function loadCompiler() {
  if (!compiler) {
    const ts = require("typescript");
    const parsed = ts.parseConfigFileTextToJson("tsconfig.json", TSCONFIG);
    const { options } = ts.convertCompilerOptionsFromJson(parsed.config?.compilerOptions ?? {}, ROOT);
    // CommonJS is what require() runs; source maps would point at files nobody reads here.
    compiler = { ts, options: { ...options, module: ts.ModuleKind.CommonJS, sourceMap: false, inlineSourceMap: false, declaration: false } };
  }
  return compiler;
}

/**
 * One cache file per source file, named after its path, whose first line is the hash of what it
 * was made from; an edited file overwrites its entry, so the cache never grows past the sources.
 * @param {string} filename @param {string} source
 */
function transpile(filename, source) {
  const key = crypto.createHash("sha256").update(SETTINGS).update("\0").update(source).digest("hex");
  const cached = path.join(CACHE_DIR, `${crypto.createHash("sha256").update(filename).digest("hex").slice(0, 32)}.js`);
  try {
    const text = fs.readFileSync(cached, "utf8");
    const newline = text.indexOf("\n");
    if (text.slice(0, newline) === `// ${key}`) {
      return text.slice(newline + 1);
    }
  } catch {
    // Not cached yet: transpile below.
  }
  const { ts, options } = loadCompiler();
  const output = ts.transpileModule(source, { compilerOptions: options, fileName: filename }).outputText;
  // Write-then-rename, so that plans running in parallel never read half a file.
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const temporary = `${cached}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `// ${key}\n${output}`);
  fs.renameSync(temporary, cached);
  return output;
}

require.extensions[".ts"] = (module, filename) => {
  const source = fs.readFileSync(filename, "utf8");
  // _compile is what Node's own loader calls with a module's JavaScript; ts-node does the same.
  /** @type {any} */ (module)._compile(transpile(filename, source), filename);
};
