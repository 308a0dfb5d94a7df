#!/usr/bin/env bash
# Verifies the container image story without a registry: builds an image FROM scratch around
# the built gateway binary (its shared libraries copied in beside it), with the labels and the
# HEALTHCHECK of ./Dockerfile, runs it as a non-root user, and checks that it answers /__health
# with the binary's release, that its HEALTHCHECK (`krustd --health-check`) passes, that the
# labels carry the contract sha256 and the release, and that SIGTERM stops it with status 0.
# (./Dockerfile itself needs the rust and distroless base images, which no registry here serves.)
#
#   scripts/image-check.sh                        # builds with scripts/build-release.sh
#   KRUSTD_BIN=target/debug/krustd scripts/image-check.sh   # wraps an existing binary
#
# Needs podman (installed from Debian's packages when absent, with runc). Environment:
# IMAGE_PORT=18080, PODMAN_RUN_FLAGS (default: what this sandbox needs: runc, cgroupfs,
# explicit ulimits, host network; see README "Shipping").
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PORT=${IMAGE_PORT:-18080}

if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends podman runc >/dev/null
fi
# Host networking and explicit ulimits: containers here may not create network namespaces with
# slirp nor raise rlimits; runc with cgroupfs because crun refuses the hybrid cgroup layout.
PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)
read -r -a RUN_FLAGS <<<"${PODMAN_RUN_FLAGS:---network host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024}"

if [[ -n ${KRUSTD_BIN:-} ]]; then
  BIN=$KRUSTD_BIN
else
  read -r BIN _ < <(scripts/build-release.sh | tail -1)
fi
VERSION=$("$BIN" --version)
SHA=$(sed -n 's/^contract sha256: //p' <<<"$VERSION")
RELEASE=$(sed -n 's/^release: //p' <<<"$VERSION")
TAG=localhost/krustd-image-check:$RELEASE
NAME=krustd-image-check-$$

CTX=$(mktemp -d)
cleanup() {
  "${PODMAN[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
  "${PODMAN[@]}" rmi -f "$TAG" >/dev/null 2>&1 || true
  rm -rf "$CTX"
}
trap cleanup EXIT

# The root file system: the binary, the libraries it links and the dynamic loader.
mkdir -p "$CTX/rootfs/usr/bin" "$CTX/rootfs/etc"
cp "$BIN" "$CTX/rootfs/usr/bin/krustd"
ldd "$BIN" | grep -o '/[^ ]*' | while read -r lib; do
  mkdir -p "$CTX/rootfs$(dirname "$lib")"
  cp -L "$lib" "$CTX/rootfs$lib"
done
echo 'nonroot:x:65532:65532::/:/sbin/nologin' >"$CTX/rootfs/etc/passwd"
echo 'nonroot:x:65532:' >"$CTX/rootfs/etc/group"
# The final stage of ./Dockerfile, FROM scratch.
cat >"$CTX/Containerfile" <<CONTAINERFILE
FROM scratch
COPY rootfs/ /
LABEL org.opencontainers.image.revision="$RELEASE" \\
      org.opencontainers.image.version="$RELEASE" \\
      io.krustd.release="$RELEASE" \\
      io.krustd.contract.sha256="$SHA"
USER 65532:65532
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \\
  CMD ["/usr/bin/krustd", "--health-check"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/krustd"]
CONTAINERFILE

fail() { echo "FAIL: $*" >&2; exit 1; }
# Docker format: the OCI image format has no HEALTHCHECK.
"${PODMAN[@]}" build -q --format docker -t "$TAG" "$CTX" >/dev/null
echo "image $TAG: $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$TAG") bytes"
labels=$("${PODMAN[@]}" image inspect --format '{{index .Labels "io.krustd.contract.sha256"}} {{index .Labels "org.opencontainers.image.revision"}}' "$TAG")
[[ $labels == "$SHA $RELEASE" ]] || fail "labels are '$labels', want '$SHA $RELEASE'"
user=$("${PODMAN[@]}" image inspect --format '{{.Config.User}}' "$TAG")
[[ $user == 65532:65532 ]] || fail "user is '$user'"
hc=$("${PODMAN[@]}" image inspect --format '{{.Config.Healthcheck.Test}}' "$TAG")
[[ $hc == *--health-check* ]] || fail "healthcheck is '$hc'"
echo "labels: contract sha256 $SHA, release $RELEASE; user $user; healthcheck $hc"

# (podman's complaints that it has no systemd to schedule the health check go to run.log:
# `healthcheck run` below runs it on demand.)
"${PODMAN[@]}" run -d --name "$NAME" "${RUN_FLAGS[@]}" -e KRAKEND_PORT="$PORT" "$TAG" \
  >/dev/null 2>"$CTX/run.log" || { cat "$CTX/run.log" >&2; fail "podman run failed"; }
body=
for _ in $(seq 1 100); do
  if body=$(curl -fsS "http://127.0.0.1:$PORT/__health" 2>/dev/null); then break; fi
  sleep 0.1
done
[[ -n $body ]] || { "${PODMAN[@]}" logs "$NAME" >&2 || true; fail "no answer on /__health"; }
[[ $body == *"\"release\":\"$RELEASE\""* ]] || fail "/__health body lacks the release: $body"
[[ $body == *"\"contract_sha256\":\"$SHA\""* ]] || fail "/__health body lacks the contract sha256: $body"
echo "/__health: $body"
uid=$("${PODMAN[@]}" top "$NAME" user 2>/dev/null | tail -1 | tr -d ' ')
echo "process user in the container: ${uid:-?}"
"${PODMAN[@]}" healthcheck run "$NAME" 2>>"$CTX/run.log" || fail "the HEALTHCHECK command failed"
echo "podman healthcheck run (krustd --health-check): healthy"
# The probe can fail: pointed at a port nothing listens on, it exits 1.
if "${PODMAN[@]}" exec "$NAME" /usr/bin/krustd --health-check -p 1 2>/dev/null; then
  fail "--health-check passed against a closed port"
fi
echo "krustd --health-check against a closed port: unhealthy (exit 1)"
"${PODMAN[@]}" stop -t 10 "$NAME" >/dev/null 2>>"$CTX/run.log"
code=$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$NAME")
[[ $code == 0 ]] || fail "exit status $code after SIGTERM"
echo "SIGTERM: exit status 0"
echo "IMAGE OK"
