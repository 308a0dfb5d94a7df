#!/usr/bin/env bash
# Validates deploy/k8s/ against the Kubernetes API schemas (pip `kubernetes-validate`, strict:
# unknown fields fail), in a throw-away virtualenv under target/, and checks what no schema can:
# at least 2 replicas, readiness and liveness on /__health, a preStop hook, and a grace period
# covering the preStop sleep plus the contract's max_shutdown_wait_time.
#
#   scripts/k8s-check.sh [CONTRACT]     # default examples/bluegreen/v1.json; K8S_VERSION=1.33.0
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CONTRACT=${1:-examples/bluegreen/v1.json}
VENV=target/k8s-check-venv
if [[ ! -x $VENV/bin/kubernetes-validate ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q kubernetes-validate
fi
"$VENV/bin/kubernetes-validate" -k "${K8S_VERSION:-1.33.0}" --strict deploy/k8s/*.yaml
"$VENV/bin/python" - "$CONTRACT" <<'PY'
import json, re, sys, yaml
contract = json.load(open(sys.argv[1]))
def seconds(d):
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)(ns|us|µs|ms|s|m|h)", d))
wait = seconds(contract.get("max_shutdown_wait_time", "0s"))
docs = {d["kind"]: d for f in ["deployment", "pdb", "service"]
        for d in yaml.safe_load_all(open(f"deploy/k8s/{f}.yaml"))}
dep = docs["Deployment"]
spec = dep["spec"]["template"]["spec"]
c = spec["containers"][0]
errors = []
if dep["spec"]["replicas"] < 2:
    errors.append("fewer than 2 replicas")
for probe in ["readinessProbe", "livenessProbe"]:
    if c.get(probe, {}).get("httpGet", {}).get("path") != "/__health":
        errors.append(f"{probe} is not on /__health")
pre = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds")
if pre is None:
    errors.append("no preStop sleep")
grace = spec.get("terminationGracePeriodSeconds", 30)
if pre is not None and grace < pre + wait:
    errors.append(f"terminationGracePeriodSeconds {grace} < preStop {pre} + max_shutdown_wait_time {wait}")
if "resources" not in c:
    errors.append("no resources")
sel = docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]
if sel != dep["spec"]["selector"]["matchLabels"]:
    errors.append("the PodDisruptionBudget does not select the Deployment's pods")
if docs["Service"]["spec"]["selector"] != dep["spec"]["selector"]["matchLabels"]:
    errors.append("the Service does not select the Deployment's pods")
if errors:
    sys.exit("FAIL: " + "; ".join(errors))
print(f"OK: {dep['spec']['replicas']} replicas, probes on /__health, grace {grace}s >= preStop {pre}s + max_shutdown_wait_time {wait:g}s ({sys.argv[1]}), PDB and Service select the pods")
PY
