#!/usr/bin/env bash
# The vendored Open Responses compliance suite (test/fixtures/conformance/open-responses, Apache-2.0) against
# this server over the Ollama stand-in: HTTP, SSE and WebSocket. Writes test-output/conformance.json and prints
# one line per test. Exit 0: all passed; 1: some failed; 2: the suite's own dependencies (bun, zod from npm)
# could not be installed, so nothing was tested.
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
mkdir -p test-output
work=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null; rm -rf "$work"' EXIT
cp -r test/fixtures/conformance/open-responses/. "$work/"
if ! (cd "$work" && npm install --no-audit --no-fund > install.log 2>&1 && npx bun --version > /dev/null 2>&1); then
  echo "conformance: the suite's dependencies could not be installed (see below); nothing tested"
  tail -5 "$work/install.log"
  exit 2
fi
node --import tsx test/conformance/stand-in-server.ts > "$work/server.log" 2>&1 &
server_pid=$!
base=""
for _ in $(seq 100); do
  base=$(grep -m1 '^BASE ' "$work/server.log" | cut -d' ' -f2)
  [ -n "$base" ] && break
  sleep 0.2
done
[ -z "$base" ] && { echo "conformance: the server did not start"; cat "$work/server.log"; exit 1; }
(cd "$work" && npx bun run bin/compliance-test.ts --base-url "$base" --api-key local --model gpt-4o-mini --json > "$repo/test-output/conformance.json")
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-output/conformance.json", "utf8"));
  for (const t of r.results) console.log(`${t.status === "passed" ? "✓" : "✗"} ${t.id}${t.status === "passed" ? "" : ": " + (t.errors ?? []).map((e) => String(e).slice(0, 300)).join("; ")}`);
  console.log(`Open Responses compliance: ${r.summary.passed} passed, ${r.summary.failed} failed`);
  process.exit(r.summary.failed === 0 && r.summary.passed > 0 ? 0 : 1);
'
