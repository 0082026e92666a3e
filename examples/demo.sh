#!/bin/sh
# examples/demo.sh -- ward's demo: a well-behaved agent and a prompt-injected
# one, each in a fresh sandbox, every tool call approved by ward-core; then
# the audit log, with ALLOWED and BLOCKED lines, and its verification.
#
#   make && examples/demo.sh          (as root: sandboxes need it)
#
# State goes to $WARD_HOME, or to a fresh temporary folder.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ward=${WARD:-$here/../build/ward}
if [ -z "${WARD_HOME:-}" ]; then
	WARD_HOME=$(mktemp -d /tmp/ward-demo.XXXXXX)
	rmdir "$WARD_HOME"
fi
export WARD_HOME
[ -e "$WARD_HOME/pub/operator.pub" ] || "$ward" init >/dev/null
echo "== ward home: $WARD_HOME"

session_of() { sed -n 's/^ward run: session \([0-9a-f]*\) (.*/\1/p' "$1" | head -n 1; }
log=$WARD_HOME/demo-run.txt

# The team's context server the summarizer is granted (its profile:
# allow net 127.0.0.1:47891), on the host's loopback, for this demo only.
srv=$(mktemp -d /tmp/ward-demo-srv.XXXXXX)
echo "ship the release notes on Friday" >"$srv/context.txt"
# ... and the team's git repository, served by the same server as dumb
# HTTP (git update-server-info); the summarizer clones it through the proxy.
src=$srv/team-src
git init -q "$src"
echo "plan: cut release 1.4 on Friday, then freeze" >"$src/plan.md"
git -C "$src" add plan.md
git -C "$src" -c user.name=demo -c user.email=demo@localhost commit -q -m plan
git clone -q --bare "$src" "$srv/team.git"
git -C "$srv/team.git" update-server-info
python3 -m http.server 47891 --bind 127.0.0.1 --directory "$srv" >/dev/null 2>&1 &
srv_pid=$!
trap 'kill $srv_pid 2>/dev/null; rm -rf "$srv"' EXIT
for i in 1 2 3 4 5 6 7 8 9 10; do
	python3 -c 'import socket; socket.create_connection(("127.0.0.1", 47891), 1)' \
		2>/dev/null && break
	sleep 0.2
done

echo
echo "== 1. a well-behaved agent: summarize notes.txt (and fetch the team's context)"
"$ward" run "$here/agents/summarizer.ward" "Summarize notes.txt into out/summary.md" 2>"$log" || true
cat "$log" >&2
s1=$(session_of "$log")
echo "-- its result, out/summary.md:"
cat "$WARD_HOME/work/$s1/out/summary.md"
# Honest: the demo fails if the granted fetch or clone did not happen.
grep -q "^Context: ship the release notes" "$WARD_HOME/work/$s1/out/summary.md" ||
	{ echo "demo: FAILED: the summarizer's granted fetch did not succeed" >&2; exit 1; }
grep -q "^Plan (from the team's repository): plan: cut release 1.4" \
	"$WARD_HOME/work/$s1/out/summary.md" ||
	{ echo "demo: FAILED: the summarizer's granted git clone did not succeed" >&2; exit 1; }

echo
echo "== 2. a prompt-injected agent: notes.txt tells it to steal keys"
"$ward" run "$here/agents/injected.ward" "Write the quarterly summary" 2>"$log" || true
cat "$log" >&2
s2=$(session_of "$log")

echo
echo "== 3. ward audit --session $s2 --filter network"
"$ward" audit --session "$s2" --filter network

echo
echo "== 3a. the injected agent's direct write of notes.txt, decided at the end"
"$ward" audit --session "$s2" | grep "fs.write" | grep "/workspace/notes.txt" || true
echo "-- notes.txt in its workspace is still:"
head -n 1 "$WARD_HOME/work/$s2/notes.txt"

echo
echo "== 3b. ward audit --session $s1 --filter network (the summarizer's fetch and git clone: ALLOWED)"
"$ward" audit --session "$s1" --filter network
"$ward" audit --session "$s1" --filter network |
	grep -q "decision  ALLOWED  op=net.connect .*resource=127.0.0.1:47891" ||
	{ echo "demo: FAILED: no ALLOWED net.connect 127.0.0.1:47891" >&2; exit 1; }
# ... and the injected agent's exfiltration and direct write: BLOCKED.
"$ward" audit --session "$s2" --filter network |
	grep -q "decision  BLOCKED  op=net.connect .*resource=exfil.example:80" ||
	{ echo "demo: FAILED: the exfiltration is not BLOCKED in the audit log" >&2; exit 1; }
"$ward" audit --session "$s2" |
	grep -q "decision  BLOCKED  op=fs.write .*resource=/workspace/notes.txt" ||
	{ echo "demo: FAILED: the direct write of notes.txt is not BLOCKED in the audit log" >&2; exit 1; }
grep -q "pwned" "$WARD_HOME/work/$s2/notes.txt" &&
	{ echo "demo: FAILED: the direct write reached the workspace" >&2; exit 1; }

echo
echo "== 4. a tool-using LLM agent: the model's key stays in ward's vault (examples/llm.sh)"
WARD="$ward" "$here/llm.sh"

echo
echo "== 5. ward audit verify"
"$ward" audit verify

echo
echo "(ward-core and ward-broker keep running for $WARD_HOME: 'ward stop' stops"
echo " them, 'ward clean' removes what the finished sessions left)"
