// @ts-check
"use strict";
/**
 * Lets Node require this project's TypeScript directly, for `npm run plan`, whose start-up time
 * matters: each .ts file is transpiled on its own and cached (tools/transpile.js), so a warm
 * start never loads the compiler's emitter. ts-node, with type checking, is several times slower.
 *
 * Use: node -r ./tools/plan-register.js scripts/plan.ts
 */
const fs = require("node:fs");
const { transpile } = require("./transpile");

require.extensions[".ts"] = (module, filename) => {
  const source = fs.readFileSync(filename, "utf8");
  // _compile is what Node's own loader calls with a module's JavaScript; ts-node does the same.
  /** @type {any} */ (module)._compile(transpile(filename, source), filename);
};
