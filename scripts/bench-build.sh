#!/usr/bin/env bash
# Build-time benchmark: for generated contracts of 10, 100 and 1000 endpoints
# (scripts/gen-bench-contract.sh), the codegen time, the time of a contract-only rebuild in the
# dev and release profiles, and the binary size. A 1-endpoint contract measured in the same
# run is the reference every figure is divided by. See BENCHMARKS.md.
#
#   scripts/bench-build.sh
#
# Settings (environment):
#   BENCH_SIZES="1 10 100 1000"   endpoint counts; the first one is the reference
#   BENCH_BUILD_REPEATS=3          timed rebuilds per size and profile (median reported)
#   BENCH_CODEGEN_REPEATS=5        timed codegen runs per size (median reported)
#   BENCH_PROFILES="dev release"
#   BENCH_TARGET_DIR=target/bench  cargo target dir (its own, so other builds do not interfere)
#   BENCH_RESULTS=$BENCH_TARGET_DIR/results/build-<UTC time>
#
# "Contract-only rebuild": the gateway was built for the contract already; the contract
# changes (its `name`, which changes the generated code and the contract's sha256) and
# `cargo build --bin krustd` runs again. Only the krustd package (build.rs + the generated
# gateway) must recompile; a timed build that recompiled anything else is flagged.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SIZES=${BENCH_SIZES:-"1 10 100 1000"}
REPEATS=${BENCH_BUILD_REPEATS:-3}
CODEGEN_REPEATS=${BENCH_CODEGEN_REPEATS:-5}
PROFILES=${BENCH_PROFILES:-"dev release"}
TARGET_DIR=${BENCH_TARGET_DIR:-$ROOT/target/bench}
[[ $TARGET_DIR = /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR
RESULTS=${BENCH_RESULTS:-$TARGET_DIR/results/build-$(date -u +%Y%m%dT%H%M%SZ)}
WORK=$RESULTS/contracts
export CARGO_TARGET_DIR=$TARGET_DIR

mkdir -p "$RESULTS" "$WORK"
log() { printf '[bench-build] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

now_ns() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else printf "–" }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# --- codegen ---------------------------------------------------------------------------------
log "building the contract CLI (release)"
cargo build --release -p krustd-codegen --bin krustd-contract >"$RESULTS/build-cli.log" 2>&1 ||
  die "build failed (see $RESULTS/build-cli.log)"
CLI=$WORK/krustd-contract
cp "$TARGET_DIR/release/krustd-contract" "$CLI"

contract() { echo "$WORK/endpoints-$1.json"; }
declare -A CODEGEN_MS LINES KIB
for n in $SIZES; do
  scripts/gen-bench-contract.sh "$n" >"$(contract "$n")"
  "$CLI" check "$(contract "$n")" >/dev/null 2>"$RESULTS/check-$n.log" || die "contract $n does not check (see $RESULTS/check-$n.log)"
  times=()
  for ((r = 0; r < CODEGEN_REPEATS; r++)); do
    t0=$(now_ns)
    "$CLI" generate "$(contract "$n")" >"$WORK/endpoints-$n.rs"
    t1=$(now_ns)
    times+=($(((t1 - t0) / 1000)))
  done
  CODEGEN_MS[$n]=$(printf '%s\n' "${times[@]}" | median | awk '{ printf "%.1f", $1 / 1000 }')
  LINES[$n]=$(wc -l <"$WORK/endpoints-$n.rs")
  KIB[$n]=$(awk -v b="$(wc -c <"$WORK/endpoints-$n.rs")" 'BEGIN { printf "%.0f", b / 1024 }')
  log "codegen $n endpoints: ${CODEGEN_MS[$n]} ms (median of $CODEGEN_REPEATS), ${LINES[$n]} lines"
done

# --- contract-only rebuilds ------------------------------------------------------------------
declare -A REBUILD_S SIZE_B STRIPPED_B FLAGS
build() { # $1 profile, $2 contract, $3 log; prints the wall time in ms
  local flag=() t0 t1
  [[ $1 == release ]] && flag=(--release)
  t0=$(now_ns)
  KRUSTD_CONTRACT=$2 cargo build "${flag[@]}" --bin krustd >"$3" 2>&1 || die "build failed (see $3)"
  t1=$(now_ns)
  echo $(((t1 - t0) / 1000000))
}

for profile in $PROFILES; do
  dir=$TARGET_DIR/$([[ $profile == release ]] && echo release || echo debug)
  first=${SIZES%% *}
  log "$profile: warm-up build (dependencies; not timed)"
  build "$profile" "$(contract "$first")" "$RESULTS/$profile-warmup.log" >/dev/null
  for n in $SIZES; do
    # Switch to this contract (not timed), then time rebuilds after changing it.
    build "$profile" "$(contract "$n")" "$RESULTS/$profile-$n-switch.log" >/dev/null
    times=()
    for ((r = 1; r <= REPEATS; r++)); do
      scripts/gen-bench-contract.sh "$n" "Krustd build bench: $n endpoints, revision $r" >"$(contract "$n")"
      ms=$(build "$profile" "$(contract "$n")" "$RESULTS/$profile-$n-rebuild-$r.log")
      times+=("$ms")
      others=$(grep -E '^ *Compiling ' "$RESULTS/$profile-$n-rebuild-$r.log" | grep -v ' krustd v' | sed 's/^ *Compiling //; s/ (.*//' | tr '\n' ' ' || true)
      if [[ -n $others ]]; then
        FLAGS[$profile-$n]="also recompiled: $others"
        log "  warning: rebuild $r of $n endpoints ($profile) also recompiled: $others"
      fi
      log "  $profile, $n endpoints, rebuild $r: $ms ms"
    done
    REBUILD_S[$profile-$n]=$(printf '%s\n' "${times[@]}" | median | awk '{ printf "%.1f", $1 / 1000 }')
    SIZE_B[$profile-$n]=$(stat -c %s "$dir/krustd")
    if command -v strip >/dev/null; then
      strip -o "$RESULTS/krustd-stripped" "$dir/krustd"
      STRIPPED_B[$profile-$n]=$(stat -c %s "$RESULTS/krustd-stripped")
      rm -f "$RESULTS/krustd-stripped"
    fi
  done
done

# --- report ----------------------------------------------------------------------------------
ref=${SIZES%% *}
{
  echo "### Build ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "- machine: $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), Linux $(uname -r); $(rustc --version)"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (work tree has uncommitted changes)')"
  echo "- medians of $CODEGEN_REPEATS codegen runs and $REPEATS contract-only rebuilds; reference: the $ref-endpoint contract, same run"
  echo "- load average before: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  header="| endpoints | generated lines | generated KiB | codegen ms | ÷ ref |"
  rule="|--:|--:|--:|--:|--:|"
  for profile in $PROFILES; do
    header+=" $profile rebuild s | ÷ ref | $profile binary MiB (stripped) |"
    rule+="--:|--:|--:|"
  done
  echo "$header"
  echo "$rule"
  for n in $SIZES; do
    row="| $n | ${LINES[$n]} | ${KIB[$n]} | ${CODEGEN_MS[$n]} | $(ratio "${CODEGEN_MS[$n]}" "${CODEGEN_MS[$ref]}") |"
    for profile in $PROFILES; do
      stripped=""
      [[ -n ${STRIPPED_B[$profile-$n]:-} ]] && stripped=" ($(mib "${STRIPPED_B[$profile-$n]}"))"
      row+=" ${REBUILD_S[$profile-$n]} | $(ratio "${REBUILD_S[$profile-$n]}" "${REBUILD_S[$profile-$ref]}") | $(mib "${SIZE_B[$profile-$n]}")$stripped |"
    done
    echo "$row"
  done
  for key in "${!FLAGS[@]}"; do
    echo
    echo "- note: $key: ${FLAGS[$key]} (another build changed shared sources during the run)"
  done
} | tee "$RESULTS/summary.md"
log "raw outputs and summary.md in $RESULTS"
