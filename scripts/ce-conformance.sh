#!/usr/bin/env bash
# krakend-ce conformance (not in CI: it needs a krakend-ce checkout).
#
#   scripts/ce-conformance.sh <krakend-ce checkout (work tree or bare git dir)>
#
# Copies the checkout's `tests/` to a scratch directory, builds the Krustd gateway (debug) from
# its `tests/fixtures/krakend.json`, then runs tests/ce_conformance.rs: a mock backend on
# 127.0.0.1:8081, the gateway started from the scratch `tests/` directory (the working
# directory of krakend-ce's runner) on :8080, and every `fixtures/specs/*.json` compared as
# krakend-ce's runner compares them. Prints pass/FAIL per spec with the differences, and
# N/M at the end. Ports 8080 and 8081 on 127.0.0.1 must be free. Bounded: 15 s to start,
# 10 s per request, 10 min for the whole run.
#
# KRUSTD_CE_KEEP=1 keeps the scratch directory. CE_SED='<sed script>' edits the copied
# contract first (e.g. CE_SED='s/"live": true/"live": false/').
set -euo pipefail
ce="${1:?usage: scripts/ce-conformance.sh <krakend-ce checkout>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/krustd-ce.XXXXXX")"
if [ "${KRUSTD_CE_KEEP:-}" != 1 ]; then trap 'rm -rf "$scratch"' EXIT; fi

if [ -f "$ce/tests/fixtures/krakend.json" ]; then
  cp -r "$ce/tests" "$scratch/tests"
elif git -C "$ce" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$ce" archive HEAD tests | tar -x -C "$scratch"
else
  echo "no tests/fixtures/krakend.json in $ce" >&2; exit 2
fi
if [ -n "${CE_SED:-}" ]; then sed -i "$CE_SED" "$scratch/tests/fixtures/krakend.json"; fi

cd "$root"
export CARGO_INCREMENTAL=0
echo "== building the gateway from krakend-ce's tests/fixtures/krakend.json" >&2
KRUSTD_CONTRACT="$scratch/tests/fixtures/krakend.json" nice -n 19 cargo build --bin krustd
target="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
# Keep this gateway binary: the next build of the workspace replaces target/debug/krustd.
cp "$target/debug/krustd" "$scratch/krustd"
echo "== running $(ls "$scratch/tests/fixtures/specs"/*.json | wc -l) specs" >&2
# The same KRUSTD_CONTRACT: building the test target then rebuilds no gateway.
KRUSTD_CONTRACT="$scratch/tests/fixtures/krakend.json" \
  KRUSTD_CE_TESTS="$scratch/tests" KRUSTD_CE_BIN="$scratch/krustd" \
  timeout 600 nice -n 19 cargo test --test ce_conformance -- --ignored --nocapture
