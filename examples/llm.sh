#!/bin/sh
# examples/llm.sh -- a tool-using LLM agent under ward: the model (a local
# stand-in for an OpenAI-compatible API, examples/models/scripted_openai.py,
# on the host's loopback) decides which tools to call; ward approves each
# call; the model's key is in ward's vault, never in the agent's sandbox.
#
#   make && examples/llm.sh          (as root: sandboxes need it)
#
# It exits non-zero unless the agent finished, out/answer.md was written,
# and the model saw the real key (put in by ward-egress) and never the
# placeholder.  State goes to $WARD_HOME, or to a fresh temporary folder.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ward=${WARD:-$here/../build/ward}
if [ -z "${WARD_HOME:-}" ]; then
	WARD_HOME=$(mktemp -d /tmp/ward-llm.XXXXXX)
	rmdir "$WARD_HOME"
fi
export WARD_HOME
[ -e "$WARD_HOME/pub/operator.pub" ] || "$ward" init >/dev/null
[ -e "$WARD_HOME/pub/egress.pub" ] || "$ward" init >/dev/null

key=demo-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s' "$key" | "$ward" secret set DEMO_MODEL_KEY >/dev/null
mlog=$(mktemp /tmp/ward-llm-model.XXXXXX)
MODEL_KEY=$key MODEL_LOG=$mlog python3 "$here/models/scripted_openai.py" 47893 &
model=$!
trap 'kill $model 2>/dev/null; rm -f "$mlog"' EXIT
for i in 1 2 3 4 5 6 7 8 9 10; do
	python3 -c 'import socket; socket.create_connection(("127.0.0.1", 47893), 1)' \
		2>/dev/null && break
	sleep 0.2
done

echo "== a tool-using agent on llm.complete (key in the vault: ward secret list)"
"$ward" secret list
log=$WARD_HOME/llm-run.txt
rc=0
"$ward" run "$here/agents/researcher.ward" "Summarize notes.txt into out/answer.md" \
	2>"$log" || rc=$?
cat "$log" >&2
s=$(sed -n 's/^ward run: session \([0-9a-f]*\) (.*/\1/p' "$log" | head -n 1)
echo "-- out/answer.md:"
cat "$WARD_HOME/work/$s/out/answer.md"
echo
echo "== ward audit --session $s (the model's calls, the key's uses, the tools)"
"$ward" audit --session "$s" | grep -E "llm.complete|secret.use|net.connect|fs\." | cut -c1-200
echo
echo "== what the model saw in the Authorization header"
if grep -q '"placeholder_seen": true' "$mlog" || ! grep -q '"authorization_ok": true' "$mlog"; then
	echo "FAILED: the model did not get the real key (see $mlog)"
	exit 1
fi
echo "the real key, on every request; the agent only ever had the placeholder"
exit $rc
