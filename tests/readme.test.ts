import { readFileSync } from "node:fs";
import { join } from "node:path";

const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");

describe("README", () => {
  test("its set-up commands are the ones CI runs", () => {
    const ci = readFileSync(join(__dirname, "..", ".ci", "run"), "utf8");
    expect(readme).toContain("npm ci && pulumi up");
    expect(readme).toMatch(/^npm test\b/m);
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});
