// @ts-check
"use strict";
/**
 * TypeScript to CommonJS JavaScript, one file at a time (typescript.transpileModule: no type check,
 * which `npm run build` and the tests do), cached in node_modules/.cache and checked against a hash
 * of the source, the compiler settings and the compiler version. A warm cache never loads the
 * compiler's emitter, which costs a quarter of a second before it has warmed up.
 *
 * Plain JavaScript, because tools/plan-register.js uses it to load TypeScript in the first place.
 * Only `npm run plan` uses it: what is deployed is bundled by esbuild, without a cache
 * (components/bundledProvider.ts). An esbuild register hook measured no faster.
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "cerby-external-keys-transpile");
const TSCONFIG = fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8");
// What a cached file depends on besides its own source and name, this file (with the options it
// sets below) included; cheap to read on every start.
const SETTINGS = [
  TSCONFIG,
  JSON.parse(fs.readFileSync(require.resolve("typescript/package.json"), "utf8")).version,
  fs.readFileSync(__filename, "utf8"),
].join("\0");

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
 * A cache that cannot be written (a read-only node_modules) only costs the time to transpile again.
 * @param {string} filename absolute path of the TypeScript file
 * @param {string} source its text
 * @returns {string} the JavaScript
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
  // Write-then-rename, so that processes running in parallel never read half a file.
  const temporary = `${cached}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    fs.writeFileSync(temporary, `// ${key}\n${output}`);
    fs.renameSync(temporary, cached);
  } catch {
    fs.rmSync(temporary, { force: true });
  }
  return output;
}

module.exports = { transpile };
