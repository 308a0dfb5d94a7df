#!/usr/bin/env bash
# Proves the release build reproducible: builds the gateway twice from the same sources, contract
# and release, in two checkouts at different paths with two separate target directories (so
# nothing is shared but the Cargo registry), and compares the binaries' sha256. Exit 1 when they
# differ. Slow (two full release builds: see README "Shipping"), so CI does not run it by default.
#
#   scripts/repro-check.sh [CONTRACT]     # default contracts/krakend.json
#
# Environment: KRUSTD_RELEASE (default: git short SHA), REPRO_DIR (default: target/repro),
# REPRO_KEEP=1 keeps the two checkouts and target directories for inspection.
# The sources are the committed tree plus uncommitted changes to tracked files (`git stash
# create`); untracked files are not part of a release and are left out.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CONTRACT=${1:-contracts/krakend.json}
RELEASE=${KRUSTD_RELEASE:-$(git rev-parse --short HEAD)}
DIR=${REPRO_DIR:-$ROOT/target/repro}
REV=$(git stash create)
REV=${REV:-HEAD}
EPOCH=$(git log -1 --format=%ct HEAD)

rm -rf "$DIR"
# Two checkouts at paths of different lengths and depths.
A=$DIR/a/src
B=$DIR/b/another/checkout/path/src
for src in "$A" "$B"; do
  mkdir -p "$src"
  git archive "$REV" | tar -x -C "$src"
  case $CONTRACT in
    /*) mkdir -p "$src/.repro" && cp "$CONTRACT" "$src/.repro/contract.json" ;;
  esac
done
case $CONTRACT in
  /*) REL=.repro/contract.json ;;
  *) REL=$CONTRACT ;;
esac

build() { # src target
  local started=$SECONDS out
  out=$(cd "$1" && KRUSTD_RELEASE=$RELEASE SOURCE_DATE_EPOCH=$EPOCH CARGO_TARGET_DIR=$2 \
    scripts/build-release.sh "$REL" | tail -1)
  echo "$out $((SECONDS - started))"
}
echo "== build 1: $A (target $DIR/a/target)"
read -r BIN_A SHA_A T_A < <(build "$A" "$DIR/a/target")
echo "== build 2: $B (target $DIR/b/target)"
read -r BIN_B SHA_B T_B < <(build "$B" "$DIR/b/target")

echo "contract $CONTRACT, release $RELEASE, rustc $(rustc --version | cut -d' ' -f2)"
echo "build 1: $SHA_A  ($(stat -c %s "$BIN_A") bytes, ${T_A}s)"
echo "build 2: $SHA_B  ($(stat -c %s "$BIN_B") bytes, ${T_B}s)"
status=0
if [[ $SHA_A == "$SHA_B" ]]; then
  echo "REPRODUCIBLE: identical binaries"
else
  echo "NOT REPRODUCIBLE: the binaries differ; first differences:"
  cmp -l "$BIN_A" "$BIN_B" | head -5 || true
  echo "(diffoscope $BIN_A $BIN_B says where; REPRO_KEEP=1 keeps them)"
  status=1
  REPRO_KEEP=1
fi
if [[ ${REPRO_KEEP:-0} != 1 ]]; then
  rm -rf "$DIR"
fi
exit $status
