#!/usr/bin/env python3
"""Instructions per request of a built gateway, counted by valgrind (cachegrind, no cache
simulation): the gateway runs under valgrind twice, serving N1 and then N2 sequential keep-alive
GETs of PATH; (I(N2) - I(N1)) / (N2 - N1) cancels start-up and shutdown. Deterministic to about
±1 %, unlike CPU time on a shared machine; it counts instructions, not cycles (a `rep movsb`
copy counts per iteration, cache misses not at all), so read it beside the load figures.

    scripts/instructions-per-request.py [--addr-env VAR] GATEWAY [PATH] [N1] [N2]

The gateway must answer PATH with 200 on 127.0.0.1:9201 (`-p 9201`; `IPR_PORT` changes it), its backends running
(e.g. `target/gateways/mock_backend serve --port 9100` for contracts/bench/*.json). With
`--addr-env VAR` the gateway gets no argument and `VAR=127.0.0.1:9201` in its environment
instead: how the yardstick's reference gateway is counted, e.g.
`REF_MODE=tpc REF_THREADS=2 scripts/instructions-per-request.py --addr-env REF_ADDR ref-gw /single`.
"""
import http.client, os, re, signal, subprocess, sys, tempfile, time

# The gateway's port; `IPR_PORT` moves it (two measurements side by side on one machine).
PORT = os.environ.get("IPR_PORT", "9201")

def instructions(binary, n, path):
    log = tempfile.NamedTemporaryFile(delete=False, suffix=".cg").name
    args, env = [binary, "-p", PORT], dict(os.environ)
    if addr_env:
        args, env[addr_env] = [binary], "127.0.0.1:" + PORT
    p = subprocess.Popen(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                          "--cachegrind-out-file=/dev/null"] + args,
                         stdout=subprocess.DEVNULL, stderr=open(log, "w"), env=env)
    c = None
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", int(PORT), timeout=10)
            c.request("GET", path)
            c.getresponse().read()
            break
        except OSError:
            time.sleep(0.2)
    if c is None:
        p.kill()
        sys.exit("the gateway did not answer")
    for _ in range(n):
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        if r.status != 200:
            p.kill()
            sys.exit(f"{path} answered {r.status}")
    c.close()
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    m = re.search(r"I\s+refs:\s+([\d,]+)", open(log).read())
    os.unlink(log)
    return int(m.group(1).replace(",", ""))

argv = sys.argv[1:]
addr_env = None
if argv[:1] == ["--addr-env"]:
    addr_env, argv = argv[1], argv[2:]
binary = argv[0]
path = argv[1] if len(argv) > 1 else "/json/1kb"
n1 = int(argv[2]) if len(argv) > 2 else 200
n2 = int(argv[3]) if len(argv) > 3 else 1200
per = (instructions(binary, n2, path) - instructions(binary, n1, path)) / (n2 - n1)
print(f"{os.path.basename(binary)} {path}: {per:.0f} instructions per request")
