// @ts-check
"use strict";
const fs = require("node:fs");
const { transformSync } = require("esbuild");
require.extensions[".ts"] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, "utf8"), { loader: "ts", format: "cjs", target: "node20", sourcefile: filename });
  /** @type {any} */ (module)._compile(code, filename);
};
