#!/usr/bin/env python3
"""The integration suite's agent: it runs the script of actions given as
JSON in $WARD_TASK and prints one line "R <json>" per action, so that the
suite (tests/suites/broker-integration) can check what ward answered.

actions:  ["call", tool, {args}]        one tools/call
          ["full", tool, {args}]        one tools/call; prints the whole
                                        MCP result (isError, structuredContent)
          ["list"]                      tools/list
          ["raw", "line"]               send a raw line, print the reply
          ["connect", host, port]       a direct network attempt
          ["until_refused", tool, {args}, seconds]
                                        call every 0.1 s until refused
          ["repeat", tool, {args}, n]   n calls, 0.1 s apart; prints how
                                        many were answered and allowed
          ["flood", n]                  send n pings and never read a reply
          ["sleep", seconds]
          ["write", "stdout"|"stderr", hex]
                                        raw bytes on stdout or stderr
          ["exit", code]
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wardmcp import Ward, Refused  # noqa: E402  (examples/agents/wardmcp.py)


def out(obj):
    print("R " + json.dumps(obj), flush=True)


def raw(ward, line):
    ward.sock.sendall(line.encode() if isinstance(line, str) else line)
    reply = ward.reader.readline()
    return json.loads(reply) if reply else None


def call(ward, tool, args):
    try:
        return {"ok": True, "text": ward.call(tool, **args)}
    except Refused as e:
        return {"ok": False, "reason": e.reason, "audit_pos": e.audit_pos, "text": str(e)}


def main():
    ward = Ward()
    for a in json.loads(os.environ.get("WARD_TASK") or "[]"):
        if a[0] == "call":
            out(call(ward, a[1], a[2] if len(a) > 2 else {}))
        elif a[0] == "full":
            out(ward.request("tools/call", {"name": a[1], "arguments": a[2]}))
        elif a[0] == "list":
            out({"tools": ward.tools()})
        elif a[0] == "raw":
            out(raw(ward, a[1]))
        elif a[0] == "rawbig":
            out(raw(ward, b"{" + b" " * a[1] + b"\n"))
        elif a[0] == "connect":
            s = socket.socket()
            s.settimeout(3)
            try:
                s.connect((a[1], a[2]))
                out({"connected": True})
            except OSError as e:
                out({"connected": False, "error": e.errno})
        elif a[0] == "until_refused":
            end = time.time() + a[3]
            r = None
            while time.time() < end:
                r = call(ward, a[1], a[2])
                if not r["ok"]:
                    break
                time.sleep(0.1)
            out(r)
        elif a[0] == "repeat":
            rs = []
            for _ in range(a[3]):
                rs.append(call(ward, a[1], a[2]))
                time.sleep(0.1)
            out({"allowed": sum(1 for r in rs if r["ok"]), "of": a[3]})
        elif a[0] == "parallel":
            # [parallel, tool, args, n]: n calls sent at once, then every
            # answer read; the reasons of the refused ones.
            base = 9000
            for k in range(a[3]):
                ward.sock.sendall((json.dumps({"jsonrpc": "2.0", "id": base + k,
                                               "method": "tools/call", "params": {
                                                   "name": a[1], "arguments": a[2]}}) + "\n").encode())
            got = {}
            while len(got) < a[3]:
                line = ward.reader.readline()
                if not line:
                    break
                m = json.loads(line)
                if m.get("id", 0) >= base:
                    got[m["id"]] = m
            reasons = []
            for m in got.values():
                res = m.get("result", {})
                if res.get("isError"):
                    reasons.append(res.get("structuredContent", {}).get("reason"))
            out({"answers": len(got), "refused": sorted(reasons)})
        elif a[0] == "burst":
            # As repeat, without a pause: [burst, tool, args, n].
            rs = [call(ward, a[1], a[2]) for _ in range(a[3])]
            out({"allowed": sum(1 for r in rs if r["ok"]), "of": a[3],
                 "reasons": sorted({r.get("reason") for r in rs if not r["ok"]})})
        elif a[0] == "flood":
            # The attack "one agent stalls all": requests, no reading.
            out({"flooding": a[1]})
            pad = "p" * 64
            ward.sock.sendall(b"".join(
                ('{"jsonrpc":"2.0","id":"%s-%d","method":"ping"}\n' % (pad, k)).encode()
                for k in range(a[1])))
            out({"flooded": a[1]})
            time.sleep(60)
        elif a[0] == "sleep":
            time.sleep(a[1])
        elif a[0] == "write":
            sys.stdout.flush()
            os.write(1 if a[1] == "stdout" else 2, bytes.fromhex(a[2]))
        elif a[0] == "file":
            # A write straight to the sandbox's /workspace, not a tool
            # call: committed (or not) at the transaction's end.
            os.makedirs(os.path.dirname(a[1]) or ".", exist_ok=True)
            with open(a[1], "w") as f:
                f.write(a[2])
        elif a[0] == "exit":
            sys.exit(a[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
