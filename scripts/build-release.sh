#!/usr/bin/env bash
# The reproducible release build of one gateway: the same contract and release give the same
# bytes, whatever the checkout path, the target directory or the machine's clock.
#
#   scripts/build-release.sh [CONTRACT]      # default: $KRUSTD_CONTRACT, else contracts/krakend.json
#
# Environment: KRUSTD_RELEASE (default: `git rev-parse --short HEAD`, else `unknown`),
# CARGO_TARGET_DIR (default: target), KRUSTD_PROFILE (default: release; `ship` is the release
# profile with fat LTO and one codegen unit, ~10 % less CPU per request (Cargo.toml,
# BENCHMARKS.md), whose reproducibility scripts/repro-check.sh has not proven yet). Prints the
# binary's path and its sha256 on the last line.
#
# What makes it reproducible:
# - `--remap-path-prefix` maps the checkout, the target directory and CARGO_HOME to fixed names
#   (/krustd, /target, /cargo) in everything rustc embeds (panic locations, debug info);
#   CFLAGS does the same for the C code (mimalloc) through `-ffile-prefix-map`.
# - `SOURCE_DATE_EPOCH` (the commit's time when unset) for any tool that stamps a date; Krustd's
#   own build embeds no time at all.
# - `--locked`: the dependency versions of Cargo.lock.
# - KRUSTD_RELEASE given explicitly, so the build never asks git.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CONTRACT=${1:-${KRUSTD_CONTRACT:-contracts/krakend.json}}
if [[ -z ${KRUSTD_RELEASE:-} ]]; then
  KRUSTD_RELEASE=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
fi
if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
mkdir -p "$TARGET"
TARGET=$(cd "$TARGET" && pwd)
CARGO_HOME_DIR=${CARGO_HOME:-$HOME/.cargo}

export KRUSTD_CONTRACT=$CONTRACT KRUSTD_RELEASE SOURCE_DATE_EPOCH CARGO_TARGET_DIR=$TARGET
export RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$ROOT=/krustd --remap-path-prefix=$TARGET=/target --remap-path-prefix=$CARGO_HOME_DIR=/cargo"
export CFLAGS="${CFLAGS:-} -ffile-prefix-map=$ROOT=/krustd -ffile-prefix-map=$TARGET=/target -ffile-prefix-map=$CARGO_HOME_DIR=/cargo"
PROFILE=${KRUSTD_PROFILE:-release}
cargo build --profile "$PROFILE" --locked --bin krustd >&2
BIN=$TARGET/$PROFILE/krustd
echo "$BIN $(sha256sum "$BIN" | cut -d' ' -f1)"
