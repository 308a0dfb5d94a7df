#!/usr/bin/env python3
"""Bounded constant load for scripts/bluegreen.sh, and the backend its gateways call.

  bluegreen-load.py backend PORT              # JSON backend on 127.0.0.1:PORT (5 ms per answer)
  bluegreen-load.py load URL SECONDS THREADS OUT.csv
      THREADS keep-alive clients, each one request every ~5 ms, until the file OUT.csv.stop
      exists or for at most SECONDS (OUT.csv.started appears with the first answer); one CSV line per
      request: start (epoch ms), latency (ms), status (0 = transport error), X-Served-By.
  bluegreen-load.py report OUT.csv EVENTS      # the summary (EVENTS: lines `epoch_ms name`)
"""
import csv
import http.client
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class Backend(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        time.sleep(0.005)
        body = json.dumps({"greeting": "hello", "language": "en", "internal": 1}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def backend(port):
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", int(port)), Backend)
    # A gateway killed mid-connection resets it: expected in the SIGKILL step, not an error.
    server.handle_error = lambda request, address: None
    server.serve_forever()


def load(url, seconds, threads, out):
    u = urlsplit(url)
    t0 = time.monotonic()
    wall0 = time.time()
    deadline = t0 + float(seconds)
    rows, lock = [], threading.Lock()

    def client():
        conn = None
        mine = []
        while time.monotonic() < deadline and not os.path.exists(out + ".stop"):
            start = time.monotonic()
            status, served = 0, ""
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
                conn.request("GET", u.path)
                r = conn.getresponse()
                r.read()
                status, served = r.status, r.getheader("X-Served-By", "")
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except Exception:
                if conn is not None:
                    conn.close()
                conn = None
            end = time.monotonic()
            if status and not os.path.exists(out + ".started"):
                open(out + ".started", "w").close()
            mine.append((round((start - t0 + wall0) * 1000), round((end - start) * 1000, 1), status, served))
            time.sleep(max(0.0, 0.005 - (end - start)))
        with lock:
            rows.extend(mine)

    ts = [threading.Thread(target=client) for _ in range(int(threads))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    rows.sort()
    with open(out, "w", newline="") as f:
        csv.writer(f).writerows(rows)


def report(path, events_path):
    rows = [(int(a), float(b), int(c), d) for a, b, c, d in csv.reader(open(path))]
    events = [(int(line.split()[0]), line.split()[1]) for line in open(events_path) if line.strip()]
    t0 = min([rows[0][0]] + [e[0] for e in events])
    failed = [r for r in rows if r[2] != 200]
    colour = lambda s: "blue" if s.startswith("blue") else "green" if s.startswith("green") else "-"
    print(f"requests: {len(rows)}, failed: {len(failed)}, "
          f"p50 latency {sorted(r[1] for r in rows)[len(rows) // 2]} ms, "
          f"max {max(r[1] for r in rows)} ms")
    for r in failed[:10]:
        print(f"  failed at +{r[0] - t0} ms: status {r[2]} after {r[1]} ms ({r[3] or 'no server'})")
    blues = [r[0] for r in rows if colour(r[3]) == "blue" and r[2] == 200]
    greens = [r[0] for r in rows if colour(r[3]) == "green" and r[2] == 200]
    for at, name in events:
        print(f"  event +{at - t0:>6} ms  {name}")
    if greens and blues:
        print(f"first green answer +{greens[0] - t0} ms; last blue answer +{blues[-1] - t0} ms")
    print("per second (blue/green/failed, by the server that answered):")
    buckets = {}
    for r in rows:
        b = buckets.setdefault((r[0] - t0) // 1000, [0, 0, 0, set()])
        if r[2] != 200:
            b[2] += 1
        elif colour(r[3]) == "blue":
            b[0] += 1
        else:
            b[1] += 1
        b[3].add(r[3])
    for sec in sorted(buckets):
        b = buckets[sec]
        print(f"  {sec:>3}s  blue {b[0]:>5}  green {b[1]:>5}  failed {b[2]:>3}  servers {','.join(sorted(x for x in b[3] if x))}")
    return len(failed)


if __name__ == "__main__":
    if sys.argv[1] == "backend":
        backend(sys.argv[2])
    elif sys.argv[1] == "load":
        load(*sys.argv[2:6])
    else:
        sys.exit(1 if report(sys.argv[2], sys.argv[3]) else 0)
