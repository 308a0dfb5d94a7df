#!/usr/bin/env bash
# Mutation fuzzing on stable Rust (fuzz/, see RELIABILITY.md): every target runs its corpus
# (fuzz/corpus/<target>/) then FUZZ_RUNS mutated inputs. A crash or a broken property stops the
# script with status 1; the input is saved under target/fuzz-crashes/.
#
#   scripts/fuzz.sh                 # >= 1M runs per target, release build
#   QUICK=1 scripts/fuzz.sh         # CI: a few seconds per target, debug build
#
# Settings (environment):
#   FUZZ_TARGETS="contract json xml rss projection router canonical"
#   FUZZ_RUNS=1000000    mutated runs per target
#   FUZZ_SECONDS=        stop a target after this many seconds (QUICK: 3)
#   FUZZ_SEED=1          seed of the mutator (runs are reproducible from it)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGETS=${FUZZ_TARGETS:-"contract json xml rss projection router canonical"}
RUNS=${FUZZ_RUNS:-1000000}
SEED=${FUZZ_SEED:-1}
if [[ ${QUICK:-0} = 1 ]]; then
  SECONDS_PER_TARGET=${FUZZ_SECONDS:-3}
  PROFILE=()
  BIN=target/debug/krustd-fuzz
else
  SECONDS_PER_TARGET=${FUZZ_SECONDS:-}
  PROFILE=(--release)
  BIN=target/release/krustd-fuzz
fi

cargo build --locked "${PROFILE[@]}" -p krustd-fuzz
for t in $TARGETS; do
  args=("$t" --runs "$RUNS" --seed "$SEED")
  [[ -n $SECONDS_PER_TARGET ]] && args+=(--seconds "$SECONDS_PER_TARGET")
  "$BIN" "${args[@]}"
done
