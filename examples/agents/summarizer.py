#!/usr/bin/env python3
"""A well-behaved agent (standard library only): it summarizes notes.txt
into out/summary.md, every step a tool call that ward-core approves."""
import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, "/agent")
from wardmcp import Ward, Refused  # noqa: E402


def main():
    ward = Ward()
    print("summarizer: task:", os.environ.get("WARD_TASK", ""))
    print("summarizer: tools granted:", ", ".join(ward.tools()))
    listing = ward.call("fs.list", path=".")
    print("summarizer: workspace:", listing)
    notes = ward.call("fs.read", path="notes.txt")
    # The team's context, from a server this profile grants
    # (allow net 127.0.0.1:47891): through the egress proxy ($HTTP_PROXY),
    # one approval of net.connect, logged.  demo.sh starts the server.
    try:
        with urllib.request.urlopen("http://127.0.0.1:47891/context.txt", timeout=10) as r:
            context = r.read().decode().strip()
        print("summarizer: fetched the team's context through the proxy:", context)
    except OSError as e:
        context = ""
        print("summarizer: no team context (%s)" % e)
    # The team's repository, cloned with git from the same granted server
    # (dumb HTTP; git follows $HTTP_PROXY like any client): each request
    # one approval of net.connect 127.0.0.1:47891.  Into /tmp, the
    # sandbox's scratch space, so nothing of it is committed.
    plan = ""
    try:
        # (An identity given, so that git does not look up the host's
        # name for one: that lookup would be a blocked connect to port 53.)
        env = dict(os.environ, GIT_AUTHOR_NAME="summarizer", GIT_COMMITTER_NAME="summarizer",
                   GIT_AUTHOR_EMAIL="summarizer@localhost",
                   GIT_COMMITTER_EMAIL="summarizer@localhost")
        r = subprocess.run(["git", "clone", "-q", "http://127.0.0.1:47891/team.git",
                            "/tmp/team"], capture_output=True, text=True, timeout=30, env=env)
        if r.returncode == 0:
            with open("/tmp/team/plan.md") as f:
                plan = f.readline().strip()
            print("summarizer: git clone of the team's repository through the proxy:", plan)
        else:
            print("summarizer: git clone failed (%d): %s" % (r.returncode, r.stderr.strip()[-300:]))
    except OSError as e:
        print("summarizer: git clone failed: %s" % e)
    lines = [l for l in notes.splitlines() if l.strip()]
    todos = [l.split(":", 1)[1].strip() for l in lines if l.startswith("TODO:")]
    summary = "# Summary of notes.txt\n\n%d lines, %d words, %d to do:\n\n%s\n" % (
        len(lines), len(notes.split()), len(todos),
        "\n".join("- " + t for t in todos))
    if context:
        summary += "\nContext: %s\n" % context
    if plan:
        summary += "Plan (from the team's repository): %s\n" % plan
    print("summarizer:", ward.call("fs.write", path="out/summary.md", content=summary))
    ward.call("memory.write", key="todo-count", value=str(len(todos)))
    print("summarizer: remembered todo-count =", ward.call("memory.read", key="todo-count"))
    ward.call("log", text="summarized notes.txt: %d todos" % len(todos))
    try:
        ward.call("fs.write", path="notes.txt", content="overwritten")
        print("summarizer: UNEXPECTED: writing notes.txt was allowed")
        return 1
    except Refused as e:
        print("summarizer: as expected, ward refused writing notes.txt:", e.reason)
    return 0


if __name__ == "__main__":
    sys.exit(main())
