/**
 * The verdicts of `npm run verify` and how a run is summed up. Each check either passed, failed, or
 * could not run and is "not proved": a check that did not run is never counted as a pass. A
 * scheduled run (--scheduled, what the shipped pipelines use) fails on "not proved" too, since a
 * daily check that quietly skips the key guards nothing.
 */

export type CheckStatus = "pass" | "fail" | "not-proved";

export interface CheckLine {
  check: string;
  status: CheckStatus;
  reason: string;
}

export const pass = (check: string, reason: string): CheckLine => ({ check, status: "pass", reason });
export const fail = (check: string, reason: string): CheckLine => ({ check, status: "fail", reason });
export const notProved = (check: string, reason: string): CheckLine => ({ check, status: "not-proved", reason });

export interface Summary {
  pass: number;
  fail: number;
  notProved: number;
}

export function summarize(lines: CheckLine[]): Summary {
  const count = (status: CheckStatus) => lines.filter((line) => line.status === status).length;
  return { pass: count("pass"), fail: count("fail"), notProved: count("not-proved") };
}

/** Whether the run succeeds: nothing failed and, when scheduled, nothing is left unproved. */
export function succeeded(lines: CheckLine[], scheduled: boolean): boolean {
  const summary = summarize(lines);
  return summary.fail === 0 && (!scheduled || summary.notProved === 0);
}

const LABELS: Record<CheckStatus, string> = { pass: "PASS", fail: "FAIL", "not-proved": "NOT PROVED" };
const LABEL_WIDTH = Math.max(...Object.values(LABELS).map((label) => label.length));

function summaryLine(lines: CheckLine[], scheduled: boolean): string {
  const summary = summarize(lines);
  const counts = `${summary.pass} passed, ${summary.fail} failed, ${summary.notProved} not proved`;
  return scheduled && summary.notProved > 0 && summary.fail === 0 ? `${counts} (a scheduled run fails on a check it could not prove)` : counts;
}

export function formatLines(lines: CheckLine[], scheduled = false): string {
  const width = Math.max(...lines.map((line) => line.check.length));
  const body = lines.map((line) => `${LABELS[line.status].padEnd(LABEL_WIDTH)}  ${line.check.padEnd(width)}  ${line.reason}`);
  return [...body, summaryLine(lines, scheduled)].join("\n") + "\n";
}

export function formatJson(lines: CheckLine[], scheduled = false): string {
  return JSON.stringify({ ok: succeeded(lines, scheduled), scheduled, summary: summarize(lines), checks: lines }, null, 2) + "\n";
}
