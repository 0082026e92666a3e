"""scripted_openai -- a stand-in for a model API, for the examples and the
tests (nothing here reaches the Internet): an OpenAI-compatible
/v1/chat/completions endpoint on the host's loopback that "decides" by a
script: list the workspace, read notes.txt, write out/answer.md, then
answer.  It refuses (401) a request whose Authorization header is not
"Bearer " + the key in $MODEL_KEY, so an agent that got through shows the
key was put there by ward-egress, not by the agent (which never has it).
It also answers Anthropic's /v1/messages (key in x-api-key, the
anthropic-version header required) with a plain text answer that echoes
the last user message.  It records, for each request, whether the key was
right and whether a placeholder arrived, in $MODEL_LOG if set.

    MODEL_KEY=... python3 scripted_openai.py PORT
"""
import http.server
import json
import os
import sys

KEY = os.environ.get("MODEL_KEY", "")
LOG = os.environ.get("MODEL_LOG")


def reply(messages):
    tool_results = [m for m in messages if m.get("role") == "tool"]
    step = len(tool_results)
    if step == 0:
        return {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "fs_list", "arguments": "{\"path\": \".\"}"}}]}
    if step == 1:
        return {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_2", "type": "function", "function": {"name": "fs_read", "arguments": "{\"path\": \"notes.txt\"}"}}]}
    if step == 2:
        notes = tool_results[-1].get("content", "")
        bullets = [l for l in notes.splitlines() if l.startswith("- ")]
        text = "# Summary\n\n" + "\n".join(bullets) + "\n"
        return {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_3", "type": "function", "function": {"name": "fs_write",
             "arguments": json.dumps({"path": "out/answer.md", "content": text})}}]}
    return {"role": "assistant", "content": "Done: out/answer.md holds %d bullet points." %
            tool_results[1].get("content", "").count("\n- ")}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        if self.path == "/v1/messages":
            return self.anthropic(req)
        auth = self.headers.get("Authorization", "")
        if LOG:
            with open(LOG, "a") as f:
                f.write(json.dumps({"authorization_ok": auth == "Bearer " + KEY,
                                    "placeholder_seen": "ward-secret-" in auth,
                                    "path": self.path}) + "\n")
        if self.path != "/v1/chat/completions" or auth != "Bearer " + KEY:
            body = json.dumps({"error": {"message": "bad key or path", "type": "invalid_request_error"}})
            self.send_response(401)
        else:
            msg = reply(req.get("messages", []))
            body = json.dumps({"id": "chatcmpl-demo", "object": "chat.completion", "model": req.get("model"),
                               "choices": [{"index": 0, "message": msg,
                                            "finish_reason": "tool_calls" if msg.get("tool_calls") else "stop"}],
                               "usage": {"prompt_tokens": 40 + 10 * len(req.get("messages", [])),
                                         "completion_tokens": 12, "total_tokens": 0}})
            self.send_response(200)
        b = body.encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def anthropic(self, req):
        key = self.headers.get("x-api-key", "")
        if LOG:
            with open(LOG, "a") as f:
                f.write(json.dumps({"authorization_ok": key == KEY,
                                    "placeholder_seen": "ward-secret-" in key,
                                    "path": self.path}) + "\n")
        if key != KEY or not self.headers.get("anthropic-version"):
            body = {"type": "error", "error": {"type": "authentication_error",
                                               "message": "bad key or version"}}
            self.send_response(401)
        else:
            last = req.get("messages", [{}])[-1].get("content", "")
            body = {"id": "msg_demo", "type": "message", "role": "assistant",
                    "model": req.get("model"), "stop_reason": "end_turn",
                    "content": [{"type": "text", "text": "echo: %s" % last}],
                    "usage": {"input_tokens": 21, "output_tokens": 5}}
            self.send_response(200)
        b = json.dumps(body).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def log_message(self, *a):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
