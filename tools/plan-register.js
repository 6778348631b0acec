// @ts-check
"use strict";
/**
 * Lets Node require this project's TypeScript directly, for `npm run plan`, whose start-up time
 * matters. Each .ts file is transpiled on its own (typescript.transpileModule: no type check, which
 * `npm run build` and the tests do) and the JavaScript is cached on disk under a hash of the source,
 * the compiler settings and the compiler version. A warm start therefore never loads the compiler,
 * which alone costs about as much as loading the Pulumi SDK.
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

/** @param {string} filename @param {string} source */
function transpile(filename, source) {
  const key = crypto.createHash("sha256").update(SETTINGS).update("\0").update(filename).update("\0").update(source).digest("hex");
  const cached = path.join(CACHE_DIR, `${key}.js`);
  try {
    return fs.readFileSync(cached, "utf8");
  } catch {
    const { ts, options } = loadCompiler();
    const output = ts.transpileModule(source, { compilerOptions: options, fileName: filename }).outputText;
    // Write-then-rename, so that plans running in parallel never read half a file.
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const temporary = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, output);
    fs.renameSync(temporary, cached);
    return output;
  }
}

require.extensions[".ts"] = (module, filename) => {
  const source = fs.readFileSync(filename, "utf8");
  /** @type {{ _compile(code: string, filename: string): void }} */ (/** @type {unknown} */ (module))._compile(transpile(filename, source), filename);
};
