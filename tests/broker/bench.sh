#!/bin/sh
# tests/broker/bench.sh -- the broker's benchmark (make bench): tool_call
# overhead of the trivial built-in tool 'echo' (agent -> broker -> core ->
# tool -> agent), measured by an agent inside a real sandbox, and beside it
# the bare core approval round trip, in the same run, against the same
# ward-core.  Target: tool_call p50 <= 200 us.
#
#   tests/broker/bench.sh [N]          (as root)
#
# Twice: with the ward home on disk (every approval waits for the audit
# log's fdatasync, grouped by the core), and on a private tmpfs (where the
# figure is the broker's and the core's own cost).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-2000}

one() {
	base=$1
	WARD_HOME=$(mktemp -d "$base/ward-bench.XXXXXX")
	export WARD_HOME
	rmdir "$WARD_HOME"
	prof=$(mktemp -d "$base/ward-bench-prof.XXXXXX")
	chmod 755 "$prof"
	"$root/build/ward" init >/dev/null
	cat >"$prof/profile.ward" <<EOP
name bench
run /ward/bench/broker_bench agent $n
allow echo uses 1000000 expires 1h
limit time 600s
EOP
	"$root/build/ward" run --quiet "$prof" bench 2>"$prof/err" ||
		{ cat "$prof/err" >&2; return 1; }
	"$root/build/bench/broker_bench" core "$n"
	# Eight transactions at once: the broker keeps their approvals in
	# flight together, and the core commits them in one batch.
	m=$((n / 4))
	sed -i "s/agent $n\$/agent $m/" "$prof/profile.ward"
	t0=$(date +%s%N)
	for i in 1 2 3 4 5 6 7 8; do
		"$root/build/ward" run --quiet "$prof" bench >"$prof/out.$i" 2>&1 &
	done
	wait
	t1=$(date +%s%N)
	echo "8 transactions at once, $m calls each: $((8 * m * 1000000000 / (t1 - t0))) calls/s in all (including sandbox start-up); per agent:"
	cat "$prof"/out.* | grep 'tool_call' | sed 's/^/  /'
	"$root/build/ward" stop >/dev/null || true
	rm -rf "$WARD_HOME" "$prof"
}

if [ "${1:-}" = "--tmpfs-inner" ]; then
	n=$2
	d=$(mktemp -d /tmp/ward-bench-tmpfs.XXXXXX)
	mount -t tmpfs -o size=256m tmpfs "$d"
	chmod 755 "$d"
	one "$d"
	exit 0
fi
echo "broker benchmark, $n calls each; ward home on disk (/tmp):"
one /tmp
echo "broker benchmark, $n calls each; ward home on tmpfs:"
if command -v unshare >/dev/null; then
	unshare --mount --propagation private "$0" --tmpfs-inner "$n"
else
	echo "  (skipped: no unshare)"
fi
