#!/usr/bin/env bash
# Prints a KrakenD v3 contract with N endpoints, for the build-time benchmark
# (scripts/bench-build.sh). Deterministic: the same N and NAME give the same bytes.
#
#   scripts/gen-bench-contract.sh N [NAME] > contract.json
#
# Endpoints cycle through four kinds, so the generated code has the mix of a real contract:
#   i % 4 == 0  GET  /v1/items<i>/{id}    one backend, query allow-list, `allow` of 3 fields
#   i % 4 == 1  GET  /v1/dashboard<i>/{id} three backends with `group`, `allow`, `mapping`
#   i % 4 == 2  GET  /v1/raw<i>/{id}       `output_encoding: no-op` passthrough
#   i % 4 == 3  POST /v1/orders<i>         header allow-list, request body forwarded
set -euo pipefail

n=${1:?usage: gen-bench-contract.sh N [NAME]}
name=${2:-"Krustd build bench: $n endpoints"}
[[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || { echo "N must be a positive integer" >&2; exit 2; }

cat <<EOF
{
  "version": 3,
  "name": "$name",
  "listen_ip": "127.0.0.1",
  "port": 9200,
  "host": ["http://127.0.0.1:9100"],
  "timeout": "3s",
  "endpoints": [
EOF
for ((i = 0; i < n; i++)); do
  sep=","
  ((i == n - 1)) && sep=""
  case $((i % 4)) in
    0)
      cat <<EOF
    {
      "endpoint": "/v1/items$i/{id}",
      "input_query_strings": ["fields", "lang"],
      "backend": [{ "url_pattern": "/items/{id}", "allow": ["id", "name", "status"] }]
    }$sep
EOF
      ;;
    1)
      cat <<EOF
    {
      "endpoint": "/v1/dashboard$i/{id}",
      "backend": [
        { "url_pattern": "/users/{id}", "allow": ["id", "name", "address.city"], "group": "user" },
        { "url_pattern": "/orders/{id}", "allow": ["orders", "total"], "mapping": { "total": "orders_total" } },
        { "url_pattern": "/prefs/{id}", "mapping": { "theme": "ui_theme" }, "group": "preferences" }
      ]
    }$sep
EOF
      ;;
    2)
      cat <<EOF
    {
      "endpoint": "/v1/raw$i/{id}",
      "output_encoding": "no-op",
      "backend": [{ "url_pattern": "/raw/{id}" }]
    }$sep
EOF
      ;;
    3)
      cat <<EOF
    {
      "endpoint": "/v1/orders$i",
      "method": "POST",
      "input_headers": ["Content-Type", "X-Request-Id"],
      "backend": [{ "url_pattern": "/orders", "method": "POST" }]
    }$sep
EOF
      ;;
  esac
done
cat <<EOF
  ]
}
EOF
