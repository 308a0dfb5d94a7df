# syntax=docker/dockerfile:1
# One immutable image per contract version: the contract is compiled into the binary, the image
# holds nothing else. See README "Shipping".
#
#   docker build \
#     --build-arg KRUSTD_CONTRACT=contracts/krakend.json \
#     --build-arg KRUSTD_RELEASE=$(git rev-parse --short HEAD) \
#     --build-arg KRUSTD_CONTRACT_SHA256=$(sha256sum contracts/krakend.json | cut -d' ' -f1) \
#     --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) \
#     -t krustd:$(git rev-parse --short HEAD) .
#
# KRUSTD_CONTRACT_SHA256 only fills the label; the builder checks it against the sha256 the
# binary reports (`krustd --version`), so a label can never name another contract. With
# flexible configuration (FC_ENABLE=1) it is the sha256 of the flattened contract (FC_OUT).

ARG RUST_VERSION=1.95

FROM docker.io/library/rust:${RUST_VERSION}-slim-bookworm AS builder
ARG KRUSTD_CONTRACT=contracts/krakend.json
ARG KRUSTD_RELEASE=unknown
ARG KRUSTD_CONTRACT_SHA256=
ARG SOURCE_DATE_EPOCH=0
# `release` (default, proven reproducible by scripts/repro-check.sh) or `ship` (fat LTO, one
# codegen unit: ~10 % less CPU per request, BENCHMARKS.md; its reproducibility is not proven yet).
ARG KRUSTD_PROFILE=release
# Flexible configuration: the build renders the contract as a template when FC_ENABLE is set
# (paths relative to the checkout); the binary never reads these.
ARG FC_ENABLE=
ARG FC_SETTINGS=
ARG FC_PARTIALS=
ARG FC_TEMPLATES=
ARG FC_OUT=
WORKDIR /krustd
COPY . .
# The same reproducible build as scripts/build-release.sh (remapped paths, --locked).
RUN KRUSTD_RELEASE="$KRUSTD_RELEASE" SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" \
      KRUSTD_PROFILE="$KRUSTD_PROFILE" CARGO_TARGET_DIR=/krustd/target \
      scripts/build-release.sh "$KRUSTD_CONTRACT" \
 && cp "target/$KRUSTD_PROFILE/krustd" /krustd-bin \
 && /krustd-bin --version \
 && if [ -n "$KRUSTD_CONTRACT_SHA256" ]; then \
      /krustd-bin --version | grep -qx "contract sha256: $KRUSTD_CONTRACT_SHA256" \
      || { echo "KRUSTD_CONTRACT_SHA256 is not the compiled contract's sha256" >&2; exit 1; }; \
    fi

# glibc and libgcc_s are all the binary links; distroless/cc has them and runs as 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
ARG KRUSTD_RELEASE=unknown
ARG KRUSTD_CONTRACT_SHA256=
LABEL org.opencontainers.image.title="krustd" \
      org.opencontainers.image.description="A KrakenD v3 contract compiled into a dedicated gateway" \
      org.opencontainers.image.revision="${KRUSTD_RELEASE}" \
      org.opencontainers.image.version="${KRUSTD_RELEASE}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      io.krustd.release="${KRUSTD_RELEASE}" \
      io.krustd.contract.sha256="${KRUSTD_CONTRACT_SHA256}"
COPY --from=builder /krustd-bin /usr/bin/krustd
USER 65532:65532
EXPOSE 8080
# No shell in the image: the binary probes its own /__health (exit 0 on a 200).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/bin/krustd", "--health-check"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/krustd"]
