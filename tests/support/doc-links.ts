/**
 * Checks the relative links of Markdown pages the way GitHub renders them: a path must name an
 * existing file or folder, and a `#anchor` a heading of the Markdown file it points into.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens (github-slugger). */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

/** Markdown with fenced code blocks blanked out, so that examples inside them are not read as links or headings. */
function withoutFences(markdown: string): string[] {
  let fenced = false;
  return markdown.split("\n").map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line;
  });
}

/** The anchors of a page's headings, with GitHub's -1, -2 suffixes for repeats. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of withoutFences(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const base = slug(text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Every link target of a page outside code: `[text](target)` and images. */
export function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of withoutFences(markdown)) {
    const prose = line.replace(/`[^`]*`/g, "");
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      targets.push(match[1]);
    }
  }
  return targets;
}

/** The broken relative links of one page (a path relative to root), each with why; external links are not followed. */
export function brokenLinks(root: string, page: string, markdown = readFileSync(join(root, page), "utf8")): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [path, anchor] = target.split("#", 2) as [string, string | undefined];
    const file = path === "" ? join(root, page) : resolve(dirname(join(root, page)), decodeURI(path));
    const shown = `${page}: (${target})`;
    if (relative(root, file).startsWith("..")) {
      problems.push(`${shown} leaves the repository`);
      continue;
    }
    if (!existsSync(file)) {
      problems.push(`${shown} names no file`);
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(file).isDirectory() || !file.endsWith(".md")) {
      problems.push(`${shown} has an anchor into something that is not a Markdown page`);
    } else if (!anchors(readFileSync(file, "utf8")).has(anchor)) {
      problems.push(`${shown} names no heading of ${relative(root, file)}`);
    }
  }
  return problems;
}

/** A place in the code that sends the reader to a page and heading: `docs/security.md, "Key continuity"`. */
export interface DocReference {
  source: string;
  page: string;
  heading: string;
}

/**
 * The page-and-heading references in a source file's text. The heading is in double quotes, which
 * may be escaped (inside string literals, once or twice), or in single quotes (inside a shell
 * string).
 */
export function docReferences(source: string, text: string): DocReference[] {
  const pattern = /\b(README(?:\.md)?|CONTRIBUTING\.md|docs\/[\w.-]+\.md)(?:'s)?,?\s+(?:section\s+)?(?:\\{0,2}"([^"\\]+)\\{0,2}"|'([^'\\]+)')/g;
  return [...text.matchAll(pattern)].map((match) => ({
    source,
    page: match[1] === "README" ? "README.md" : match[1],
    heading: match[2] ?? match[3],
  }));
}
