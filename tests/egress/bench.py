#!/usr/bin/env python3
"""bench.py -- the egress proxy's costs (make bench), each beside the
direct figure measured in the same run, against the same server on the
host's loopback:

  * connection set-up: connect, request and first answer of a small GET;
    direct from the host, and from an agent under 'ward run' through a
    CONNECT tunnel (which includes the core's approval of net.connect and
    ward-egress's check of it).  Target: at most 1 ms added at p50.
  * bulk throughput: a 64 MiB GET (the median of 3), direct and through
    the tunnel.  Target: at least 80% of direct.

Twice, as tests/broker/bench.sh: the ward home on disk (every approval
waits for the audit log's fdatasync, grouped by the core), and on a
private tmpfs (ward's own cost).

Needs root (sandboxes).  WARD_EGRESS_BENCH_N sets the number of set-ups
(default 200).
"""
import http.server
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WARD = os.path.join(ROOT, "build", "ward")
N = int(os.environ.get("WARD_EGRESS_BENCH_N", "200"))
BIG = 64 << 20
CHUNK = b"x" * (1 << 20)

MEASURE = r'''
import json, socket, time, sys

def tunnel(via, host, port):
    s = socket.create_connection(via, 10)
    if via != (host, port):
        s.sendall(("CONNECT %s:%d HTTP/1.1\r\n\r\n" % (host, port)).encode())
        b = b""
        while b"\r\n\r\n" not in b:
            d = s.recv(4096)
            if not d:
                raise OSError("proxy closed")
            b += d
        if not b.startswith(b"HTTP/1.1 200"):
            raise OSError(b[:80])
    return s

def get(s, path, host):
    s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode())
    n = 0
    while True:
        d = s.recv(1 << 20)
        if not d:
            return n
        n += len(d)

def measure(via, host, port, n):
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        s = tunnel(via, host, port)
        get(s, "/small", host)
        lat.append((time.perf_counter() - t0) * 1000)
        s.close()
    rates = []
    for _ in range(3):
        s = tunnel(via, host, port)
        t0 = time.perf_counter()
        got = get(s, "/big", host)
        rates.append(got / (time.perf_counter() - t0) / 1e6)
        s.close()
    rates.sort()
    return {"lat": lat, "mbps": rates[1]}
'''


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        if self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Length", str(BIG))
            self.end_headers()
            for _ in range(BIG // len(CHUNK)):
                self.wfile.write(CHUNK)
        else:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


def main():
    if os.geteuid() != 0:
        print("egress bench: needs root (sandboxes); skipped")
        return 0
    rc = one("disk", tempfile.gettempdir())
    mnt = tempfile.mkdtemp(prefix="ward-egress-bench-tmpfs.")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m,mode=0755", "tmpfs", mnt]).returncode != 0:
        print("egress bench: cannot mount a tmpfs; the tmpfs run is skipped")
        return rc
    try:
        rc |= one("tmpfs", mnt)
    finally:
        subprocess.run(["umount", "-l", mnt])
        os.rmdir(mnt)
    return rc


def one(where, base):
    tmp = tempfile.mkdtemp(prefix="ward-egress-bench.", dir=base)
    os.chmod(tmp, 0o755)
    env = dict(os.environ, WARD_HOME=os.path.join(tmp, "home"))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        r = subprocess.run([WARD, "init"], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            print("egress bench: ward init failed: " + r.stderr)
            return 1
        ns = {}
        exec(MEASURE, ns)
        direct = ns["measure"](("127.0.0.1", port), "127.0.0.1", port, N)
        prof = os.path.join(tmp, "prof")
        os.makedirs(os.path.join(prof, "seed"))
        with open(os.path.join(prof, "agent.py"), "w") as f:
            f.write(MEASURE + "\nprint('R ' + json.dumps(measure(('127.0.0.1', 3128), "
                    "'127.0.0.1', %d, %d)))\n" % (port, N))
        with open(os.path.join(prof, "profile.ward"), "w") as f:
            f.write("name egress-bench\nrun python3 /agent/agent.py\nworkspace seed\n"
                    "limit time 300s\nallow net 127.0.0.1:%d uses %d\n" % (port, N + 10))
        r = subprocess.run([WARD, "run", "--quiet", prof, "bench"], capture_output=True,
                           text=True, env=env, timeout=600)
        outs = [json.loads(l[2:]) for l in r.stdout.splitlines() if l.startswith("R ")]
        if not outs:
            print("egress bench: the agent measured nothing: " + r.stderr[-500:])
            return 1
        proxy = outs[0]
        d50 = statistics.median(direct["lat"])
        p50 = statistics.median(proxy["lat"])
        print("egress [home on %s] connection set-up p50 (%d, connect + small GET): direct "
              "%.3f ms, through the proxy %.3f ms, added %.3f ms (target <= 1 ms: %s)"
              % (where, N, d50, p50, p50 - d50, "met" if p50 - d50 <= 1.0 else "NOT met"))
        ratio = proxy["mbps"] / direct["mbps"]
        print("egress [home on %s] bulk 64 MiB GET: direct %.0f MB/s, through the proxy %.0f MB/s, "
              "%.0f%% of direct (target >= 80%%: %s)"
              % (where, direct["mbps"], proxy["mbps"], 100 * ratio, "met" if ratio >= 0.8 else "NOT met"))
        return 0
    finally:
        subprocess.run([WARD, "stop"], capture_output=True, env=env)
        srv.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
