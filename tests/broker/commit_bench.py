#!/usr/bin/env python3
"""commit_bench.py -- the cost of writes verified at the end of a
transaction (broker/commit.c), for make bench: an agent under 'ward run'
writes N files into out/; the run's wall time with N files less the time
with none, per file, is the commit's cost per changed file (one core
approval of fs.write, logged, and the file copied into the workspace),
printed beside writing the same N files directly on the host in the same
run.  The median of 3 runs each.  Needs root (sandboxes).
WARD_COMMIT_BENCH_N sets N (default 200).
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WARD = os.path.join(ROOT, "build", "ward")
N = int(os.environ.get("WARD_COMMIT_BENCH_N", "200"))

AGENT = """#!/bin/sh
i=0
while [ $i -lt $1 ]; do echo "file $i" > out/f$i.txt; i=$((i + 1)); done
"""


def run_once(tmp, home, n):
    d = os.path.join(tmp, "agent%d" % n)
    if not os.path.isdir(d):
        os.makedirs(os.path.join(d, "seed", "out"))
        with open(os.path.join(d, "w.sh"), "w") as f:
            f.write(AGENT)
        with open(os.path.join(d, "profile.ward"), "w") as f:
            f.write("name bench\nrun /bin/sh /agent/w.sh %d\nworkspace seed\n"
                    "allow fs.write /workspace/out uses %d\nlimit time 300s\n" % (n, max(1, n)))
    env = dict(os.environ, WARD_HOME=home)
    t0 = time.monotonic()
    r = subprocess.run([WARD, "run", "--quiet", d, "bench"], capture_output=True,
                       text=True, env=env, timeout=600)
    t = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit("commit_bench: ward run failed: %s" % r.stderr[-300:])
    return t


def direct_once(tmp, n):
    d = tempfile.mkdtemp(dir=tmp)
    t0 = time.monotonic()
    for i in range(n):
        with open(os.path.join(d, "f%d.txt" % i), "w") as f:
            f.write("file %d\n" % i)
            f.flush()
            os.fsync(f.fileno())
    t = time.monotonic() - t0
    shutil.rmtree(d)
    return t


def main():
    if os.geteuid() != 0:
        print("commit_bench: needs root (sandboxes); skipped")
        return 0
    tmp = tempfile.mkdtemp(prefix="ward-commit-bench.")
    os.chmod(tmp, 0o755)
    home = os.path.join(tmp, "home")
    env = dict(os.environ, WARD_HOME=home)
    subprocess.run([WARD, "init"], capture_output=True, env=env, check=True)
    try:
        run_once(tmp, home, 0)          # starts the daemons
        base = statistics.median(run_once(tmp, home, 0) for _ in range(3))
        with_n = statistics.median(run_once(tmp, home, N) for _ in range(3))
        direct = statistics.median(direct_once(tmp, N) for _ in range(3))
        per = (with_n - base) / N * 1e3
        print("commit at transaction end (N=%d files, ward home on disk): %.2f ms a file "
              "(approval, log, copy) | direct write+fsync on the host %.2f ms a file | "
              "ratio %.1fx" % (N, per, direct / N * 1e3, per / max(direct / N * 1e3, 1e-6)))
    finally:
        subprocess.run([WARD, "stop"], capture_output=True, env=env)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
