import { readFileSync } from "node:fs";
import { join } from "node:path";

const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");

describe("README", () => {
  test("it stays short enough to read first: under 220 lines", () => {
    expect(readme.split("\n").length).toBeLessThan(220);
  });

  test("its quick start goes the way a newcomer goes: install, copy a stack file, plan offline, create the stack, store the API key, deploy, verify", () => {
    const quickStart = /## Quick start\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? "";
    const steps = [
      /^ {3}npm ci$/m,
      /^ {3}cp examples\/\S+ Pulumi\.(\w+)\.yaml$/m,
      /^ {3}npm run plan -- --stack (\w+)$/m,
      /^ {3}pulumi stack init (\w+)$/m,
      /^ {3}pulumi config set --secret cerbyApiKey$/m,
      /^ {3}pulumi up$/m,
      /npm run --silent verify -- --outputs -$/m,
    ].map((step) => step.exec(quickStart));
    expect(steps.map((step) => step !== null)).toEqual(steps.map(() => true));
    const positions = steps.map((step) => step!.index);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    // One stack name throughout: the copied file's, the plan's and the new stack's.
    expect(new Set([steps[1]![1], steps[2]![1], steps[3]![1]]).size).toBe(1);
  });

  test("its set-up commands are the ones CI runs", () => {
    const ci = readFileSync(join(__dirname, "..", ".ci", "run"), "utf8");
    expect(readme).toContain("npm ci && pulumi up");
    expect(readme).toMatch(/^npm test\b/m);
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});
