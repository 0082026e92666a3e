#!/usr/bin/env python3
"""bench.py -- the egress proxy's costs (make bench), each beside the
direct figure measured in the same run, against the same server on the
host's loopback:

  * connection set-up: connect, request and first answer of a small GET;
    direct from the host, and from an agent under 'ward run' through a
    CONNECT tunnel (which includes the core's approval of net.connect and
    ward-egress's check of it).  Target: at most 1 ms added at p50.
  * bulk throughput: a 256 MiB GET (the median of 5), direct and through
    the tunnel.  Target: at least 80% of direct.

Twice, as tests/broker/bench.sh: the ward home on disk (every approval
waits for the audit log's fdatasync, grouped by the core), and on a
private tmpfs (ward's own cost).  Beside them, what one small append and
fdatasync costs on each (the floor of an approval on that file system),
and the CPU time ward-egress used for the agent's run.

How it is made fair (an earlier version was not):
  * the server is a process of its own that sends the body with
    sendfile(2) from a file in /dev/shm, so neither client shares a
    Python interpreter (and its lock) with it: the earlier direct client
    ran in the server's own process, which made the direct figure swing
    between 1.1 and 3.4 GB/s from run to run;
  * both clients are the same code in a process of their own, reading
    into one buffer (recv_into, no 1 MiB allocation per read);
  * the agent's sandbox may use both cores ('limit cpu 200'; the default
    is one), as the direct client may;
  * direct is measured before and after the proxied run, and both are
    printed: the spread is the noise of the machine;
  * between them, the same client through a minimal CONNECT relay
    (tests/egress/splice_relay.c, built here with cc: splice(2) through
    256 KiB pipes as ward-egress, and no approval, no check, no log), a
    process on the host: the cost of one more process and one more
    loopback TCP hop on this machine, the floor under any proxy.

Needs root (sandboxes).  WARD_EGRESS_BENCH_N sets the number of set-ups
(default 200), WARD_EGRESS_BENCH_MIB the bulk size (default 256).
"""
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WARD = os.path.join(ROOT, "build", "ward")
N = int(os.environ.get("WARD_EGRESS_BENCH_N", "200"))
BIG = int(os.environ.get("WARD_EGRESS_BENCH_MIB", "256")) << 20
RUNS = 5
COMMITS = 50        # set-ups of the commits run (ward-core's fdatasync counted)
SRV_PID = None
RELAY = None        # the minimal relay's port, or None (no cc)
RELAY_PID = None

MEASURE = r'''
import json, socket, time, sys

BUF = bytearray(1 << 20)
VIEW = memoryview(BUF)

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
        k = s.recv_into(VIEW)
        if not k:
            return n
        n += k

def measure(via, host, port, n, runs, big):
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        s = tunnel(via, host, port)
        get(s, "/small", host)
        lat.append((time.perf_counter() - t0) * 1000)
        s.close()
    rates = []
    cpu = 0.0
    for _ in range(runs):
        s = tunnel(via, host, port)
        t0 = time.perf_counter()
        c0 = time.process_time()
        got = get(s, "/big", host)
        cpu += time.process_time() - c0
        dt = time.perf_counter() - t0
        s.close()
        if got < big:
            raise OSError("short body: %d of %d" % (got, big))
        rates.append(got / dt / 1e6)
    rates.sort()
    return {"lat": lat, "mbps": rates[len(rates) // 2] if rates else None, "rates": rates,
            "cpu_ms_per_mb": 1000 * cpu / (runs * big / 1e6) if runs else None}
'''

SERVER = r'''
import os, socket, sys, threading
big = sys.argv[1]
size = os.path.getsize(big)
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(128)
print(ls.getsockname()[1], flush=True)

def serve(c):
    try:
        b = b""
        while b"\r\n\r\n" not in b:
            d = c.recv(4096)
            if not d:
                return
            b += d
        if b.startswith(b"GET /big "):
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            with open(big, "rb") as f:
                c.sendfile(f)
        else:
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
    except OSError:
        pass
    finally:
        c.close()

while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
'''


def fsync_p50(d, n=50):
    """What one small append and fdatasync costs in folder d (ms, p50)."""
    path = os.path.join(d, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    lat = []
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            os.write(fd, b"x" * 200)
            os.fdatasync(fd)
            lat.append((time.perf_counter() - t0) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    return statistics.median(lat)


def cpu_of(pid):
    """CPU seconds (user + system, all threads) of process pid, or None."""
    try:
        f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def sched_of(home):
    """{name: (ms on a CPU, ms waiting for one)} of this home's ward-core,
    ward-broker (both processes) and ward-egress, every thread, from
    /proc/PID/task/TID/schedstat."""
    out = {}
    for name in ("ward-core", "ward-broker", "ward-egress"):
        r = subprocess.run(["pgrep", "-f", "^%s --home %s$" % (name, home)],
                           capture_output=True, text=True)
        run = wait = 0
        for p in r.stdout.split():
            try:
                tids = os.listdir("/proc/%s/task" % p)
            except OSError:
                continue
            for t in tids:
                try:
                    f = open("/proc/%s/task/%s/schedstat" % (p, t)).read().split()
                    run += int(f[0])
                    wait += int(f[1])
                except (OSError, IndexError, ValueError):
                    pass
        out[name] = (run / 1e6, wait / 1e6)
    return out


def egress_cpu(home):
    """CPU seconds of this home's ward-egress so far, or None."""
    r = subprocess.run(["pgrep", "-u", "ward-egress", "-f", "ward-egress --home " + home],
                       capture_output=True, text=True)
    for p in r.stdout.split():
        c = cpu_of(p)
        if c is not None:
            return c
    return None


def main():
    if os.geteuid() != 0:
        print("egress bench: needs root (sandboxes); skipped")
        return 0
    # The body, once, in memory (/dev/shm): the server sends it with
    # sendfile, never from disk.
    bigdir = tempfile.mkdtemp(prefix="ward-egress-bench-body.", dir="/dev/shm")
    big = os.path.join(bigdir, "big")
    with open(big, "wb") as f:
        chunk = b"x" * (1 << 20)
        for _ in range(BIG >> 20):
            f.write(chunk)
    srv = subprocess.Popen([sys.executable, "-c", SERVER, big], stdout=subprocess.PIPE, text=True)
    try:
        port = int(srv.stdout.readline())
        print("egress bench: %d set-ups, bulk %d MiB x %d (median), server: a process of its "
              "own (sendfile from /dev/shm); targets: set-up +1 ms at p50 at most, bulk 80%% "
              "of direct at least" % (N, BIG >> 20, RUNS))
        global SRV_PID, RELAY, RELAY_PID
        SRV_PID = srv.pid
        relay = start_relay(bigdir, port)
        RELAY = relay[0] if relay else None
        RELAY_PID = relay[1].pid if relay else None
        rc = one("disk", tempfile.gettempdir(), port)
        mnt = tempfile.mkdtemp(prefix="ward-egress-bench-tmpfs.")
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m,mode=0755", "tmpfs",
                           mnt]).returncode != 0:
            print("egress bench: cannot mount a tmpfs; the tmpfs run is skipped")
            os.rmdir(mnt)
            return rc
        try:
            rc |= one("tmpfs", mnt, port)
        finally:
            subprocess.run(["umount", "-l", mnt])
            os.rmdir(mnt)
        return rc
    finally:
        if RELAY is not None:
            relay[1].kill()
            relay[1].wait()
        srv.kill()
        srv.wait()
        shutil.rmtree(bigdir, ignore_errors=True)


def start_relay(d, port):
    """tests/egress/splice_relay.c built in d and started towards port:
    (its port, the process), or None without a C compiler."""
    src = os.path.join(ROOT, "tests", "egress", "splice_relay.c")
    exe = os.path.join(d, "splice_relay")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or subprocess.run([cc, "-O2", "-o", exe, src]).returncode != 0:
        print("egress bench: no C compiler: the minimal relay is not measured")
        return None
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    rport = s.getsockname()[1]
    s.close()
    p = subprocess.Popen([exe, str(rport), str(port)], stdout=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != "ready":
        p.kill()
        p.wait()
        print("egress bench: the minimal relay did not start: not measured")
        return None
    return rport, p


def direct(port, via=None):
    """The client from the host, straight to the server (or through the
    minimal relay listening on via)."""
    code = MEASURE + "\nprint(json.dumps(measure(('127.0.0.1', %d), '127.0.0.1', %d, %d, %d, %d)))\n" \
        % (via or port, port, N, RUNS, BIG)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    return json.loads(r.stdout)


def audit_count(env):
    r = subprocess.run([WARD, "audit", "show"], capture_output=True, text=True, env=env)
    return len(r.stdout.splitlines()) if r.returncode == 0 else None


def commits_of(env, prof):
    """(fdatasync calls, records appended) of ward-core while the agent
    makes COMMITS set-ups one after another: how many approvals a closed
    line shares its group commit with (tests/suites/egress asserts only
    that no commit goes without a record).  None without strace."""
    if shutil.which("strace") is None:
        print("egress bench: no strace: ward-core's commits are not counted")
        return None
    r = subprocess.run(["pgrep", "-f", "^ward-core --home %s$" % env["WARD_HOME"]],
                       capture_output=True, text=True)
    if not r.stdout.split():
        return None
    out = os.path.join(os.path.dirname(env["WARD_HOME"]), "core-strace")
    before = audit_count(env)
    st = subprocess.Popen(["strace", "-f", "-c", "-e", "trace=fdatasync", "-o", out, "-p",
                           r.stdout.split()[0]],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        subprocess.run([WARD, "run", "--quiet", prof, "commits"], capture_output=True,
                       text=True, env=env, timeout=300)
    finally:
        st.send_signal(signal.SIGINT)
        st.wait(timeout=20)
    after = audit_count(env)
    syncs = 0
    for l in open(out).read().splitlines():
        f = l.split()
        if f and f[-1] == "fdatasync":
            syncs = int(f[3]) if len(f) >= 6 else int(f[-2])
    if None in (before, after) or syncs == 0:
        return None
    return syncs, after - before


def one(where, base, port):
    tmp = tempfile.mkdtemp(prefix="ward-egress-bench.", dir=base)
    os.chmod(tmp, 0o755)
    home = os.path.join(tmp, "home")
    env = dict(os.environ, WARD_HOME=home)
    try:
        r = subprocess.run([WARD, "init"], capture_output=True, text=True, env=env)
        if r.returncode != 0:
            print("egress bench: ward init failed: " + r.stderr)
            return 1
        sync = fsync_p50(home)
        s0 = cpu_of(SRV_PID)
        d1 = direct(port)
        s1 = cpu_of(SRV_PID)
        r0 = cpu_of(RELAY_PID) if RELAY is not None else None
        rl = direct(port, RELAY) if RELAY is not None else None
        r1 = cpu_of(RELAY_PID) if RELAY is not None else None
        prof = os.path.join(tmp, "prof")
        os.makedirs(os.path.join(prof, "seed"))
        with open(os.path.join(prof, "agent.py"), "w") as f:
            f.write(MEASURE + "\nimport os\ntask = os.environ.get('WARD_TASK')\n"
                    "if task == 'warm-up':\n    sys.exit(0)\n"
                    "n, runs = {'setup': (%d, 0), 'commits': (%d, 0)}.get(task, (0, %d))\n"
                    "print('R ' + json.dumps(measure(('127.0.0.1', 3128), "
                    "'127.0.0.1', %d, n, runs, %d)))\n" % (N, COMMITS, RUNS, port, BIG))
        with open(os.path.join(prof, "profile.ward"), "w") as f:
            f.write("name egress-bench\nrun python3 /agent/agent.py\nworkspace seed\n"
                    "limit time 600s\nlimit cpu 200\nallow net 127.0.0.1:%d uses %d\n"
                    % (port, N + COMMITS + RUNS + 10))
        # ward-broker and ward-egress up first, so that their CPU time
        # before the measured run can be read.
        subprocess.run([WARD, "run", "--quiet", prof, "warm-up"], capture_output=True,
                       text=True, env=env, timeout=60)
        # The set-ups and the bulk in two runs, so that what ward's
        # processes spent on each can be read apart.
        sch0 = sched_of(home)
        r = subprocess.run([WARD, "run", "--quiet", prof, "setup"], capture_output=True,
                           text=True, env=env, timeout=900)
        sch1 = sched_of(home)
        outs = [json.loads(l[2:]) for l in r.stdout.splitlines() if l.startswith("R ")]
        cpu0 = egress_cpu(home)
        s2 = cpu_of(SRV_PID)
        r = subprocess.run([WARD, "run", "--quiet", prof, "bulk"], capture_output=True,
                           text=True, env=env, timeout=900)
        cpu1 = egress_cpu(home)
        s3 = cpu_of(SRV_PID)
        outs += [json.loads(l[2:]) for l in r.stdout.splitlines() if l.startswith("R ")]
        if len(outs) != 2:
            print("egress bench: the agent measured nothing: " + r.stderr[-500:])
            return 1
        proxy = dict(outs[1], lat=outs[0]["lat"])
        commits = commits_of(env, prof)
        d2 = direct(port)
        dlat = d1["lat"] + d2["lat"]
        d50 = statistics.median(dlat)
        p50 = statistics.median(proxy["lat"])
        added = p50 - d50
        print("egress [home on %s] set-up p50 (connect + small GET): direct %.3f ms "
              "(before %.3f, after %.3f), through the proxy %.3f ms: added %.3f ms, "
              "target +1 ms: %s"
              % (where, d50, statistics.median(d1["lat"]), statistics.median(d2["lat"]), p50,
                 added, "met" if added <= 1.0 else "NOT met"))
        print("egress [home on %s]   one 200-byte append + fdatasync there: %.3f ms (p50), "
              "the floor of a durable approval record" % (where, sync))
        print("egress [home on %s]   per set-up, ward's processes (all threads): %s" % (
            where, ", ".join("%s %.3f ms on a CPU + %.3f ms waiting for one" % (
                k, (sch1[k][0] - sch0[k][0]) / N, (sch1[k][1] - sch0[k][1]) / N) for k in sch0)))
        dm = statistics.median([d1["mbps"], d2["mbps"]])
        ratio = proxy["mbps"] / dm
        print("egress [home on %s] bulk %d MiB: direct %.0f MB/s (before %.0f, after %.0f), "
              "through the proxy %.0f MB/s: %.0f%% of direct, target 80%%: %s"
              % (where, BIG >> 20, dm, d1["mbps"], d2["mbps"], proxy["mbps"], 100 * ratio,
                 "met" if ratio >= 0.8 else "NOT met"))
        if rl is not None:
            print("egress [home on %s]   a minimal splice relay in the same run (no ward: no "
                  "approval, no check, no log): set-up p50 %.3f ms (added %.3f ms), bulk %.0f MB/s "
                  "(%.0f%% of direct), the relay's CPU per MB %s: the floor of one more process "
                  "and TCP hop here"
                  % (where, statistics.median(rl["lat"]), statistics.median(rl["lat"]) - d50,
                     rl["mbps"], 100 * rl["mbps"] / dm,
                     "%.2f ms (its set-ups included)" % (1000 * (r1 - r0) / (RUNS * BIG / 1e6))
                     if None not in (r0, r1) else "unknown"))
        if commits is not None:
            syncs, recs = commits
            print("egress [home on %s] commits: %d set-ups one after another, ward-core appended "
                  "%d records with %d fdatasync calls: %.2f a set-up (the approval's; each "
                  "connection's closed line logged at once and alone would make it 2.00, "
                  "target about 1)" % (where, COMMITS, recs, syncs, syncs / COMMITS))
        print("egress [home on %s]   runs, MB/s: direct %s, proxy %s" % (
            where, " ".join("%.0f" % x for x in d1["rates"] + d2["rates"]),
            " ".join("%.0f" % x for x in proxy["rates"])))
        if None not in (cpu0, cpu1, s0, s1, s2, s3):
            moved = RUNS * BIG / 1e6
            eg = 1000 * (cpu1 - cpu0) / moved
            sd = 1000 * (s1 - s0) / moved
            sp = 1000 * (s3 - s2) / moved
            print("egress [home on %s]   CPU per MB of bulk (ms): direct: client %.2f + server "
                  "%.2f; through the proxy: client %.2f + server %.2f + ward-egress %.2f "
                  "(its bulk run): the proxied path needs %.0f%% of the "
                  "direct path's CPU, on %d cores shared with everything else"
                  % (where, d1["cpu_ms_per_mb"], sd, proxy["cpu_ms_per_mb"], sp, eg,
                     100 * (proxy["cpu_ms_per_mb"] + sp + eg) / (d1["cpu_ms_per_mb"] + sd),
                     os.cpu_count()))
        return 0
    finally:
        subprocess.run([WARD, "stop"], capture_output=True, env=env)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
