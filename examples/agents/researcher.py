"""researcher -- a tool-using agent loop on llm.complete: it sends the task
and its tools to the model, runs each tool call the model asks for through
ward (which approves or refuses it), gives the results back, and stops when
the model answers without a tool call.  Standard library only."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wardmcp import Ward, Refused  # noqa: E402

TOOLS = [
    {"type": "function", "function": {"name": "fs_list", "description": "List a folder of the workspace.",
     "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "fs_read", "description": "Read a file of the workspace.",
     "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}},
    {"type": "function", "function": {"name": "fs_write", "description": "Write a file of the workspace.",
     "parameters": {"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                    "required": ["path", "content"]}}},
]
WARD_TOOL = {"fs_list": "fs.list", "fs_read": "fs.read", "fs_write": "fs.write"}


def main():
    ward = Ward()
    task = os.environ.get("WARD_TASK", "Summarize the notes into out/answer.md")
    messages = [{"role": "user", "content": task}]
    for step in range(10):
        answer = ward.call_json("llm.complete", messages=messages, tools=TOOLS,
                                system="You are a careful assistant. Use the tools.")
        msg = answer["choices"][0]["message"]
        messages.append(msg)
        calls = msg.get("tool_calls") or []
        if not calls:
            print("model: " + (msg.get("content") or ""))
            return 0
        for c in calls:
            name = c["function"]["name"]
            args = json.loads(c["function"]["arguments"] or "{}")
            try:
                out = ward.call(WARD_TOOL.get(name, name), **args)
                print("tool %s %s: ok" % (name, args.get("path", "")))
            except Refused as e:
                out = "refused by ward: %s (%s)" % (e, e.reason)
                print("tool %s %s: REFUSED (%s)" % (name, args.get("path", ""), e.reason))
            messages.append({"role": "tool", "tool_call_id": c["id"], "content": out})
    print("model: no final answer after 10 steps")
    return 1


if __name__ == "__main__":
    sys.exit(main())
