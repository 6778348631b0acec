import { readFileSync } from "node:fs";
import { arch, platform } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";

/**
 * npm 11 lists, after every install, the dependencies whose install scripts package.json's
 * `allowScripts` does not decide (npm 12 will skip them). Each one here is decided, and refused:
 * see CONTRIBUTING.md, "Node.js versions and install scripts", for why none is needed.
 */

const ROOT = join(__dirname, "..");
const readJson = (file: string) => JSON.parse(readFileSync(join(ROOT, file), "utf8"));

describe("dependencies' install scripts", () => {
  test("every package the lockfile marks hasInstallScript has a decision in package.json's allowScripts", () => {
    const lock = readJson("package-lock.json") as { packages: Record<string, { hasInstallScript?: boolean; version: string }> };
    const allowScripts = (readJson("package.json") as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([location, entry]) => ({ name: location.slice(location.lastIndexOf("node_modules/") + "node_modules/".length), version: entry.version }));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const { name, version } of withScripts) {
      expect({ name, decided: name in allowScripts || `${name}@${version}` in allowScripts }).toEqual({ name, decided: true });
    }
  });

  test("esbuild runs without its refused postinstall: the API uses the binary of its platform package, at esbuild's version", async () => {
    const platformPackage = readJson(`node_modules/@esbuild/${platform()}-${arch()}/package.json`) as { version: string };
    expect(platformPackage.version).toBe(esbuild.version);
    const { code } = await esbuild.transform("const size: number = 4096;", { loader: "ts" });
    expect(code).toBe("const size = 4096;\n");
  });
});
