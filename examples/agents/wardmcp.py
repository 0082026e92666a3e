"""wardmcp -- a tiny MCP client for agents inside a ward sandbox, standard
library only.  The broker's socket is the file descriptor in $WARD_FD; the
protocol is JSON-RPC 2.0, one message a line (the Model Context Protocol).

    from wardmcp import Ward
    ward = Ward()
    text = ward.call("fs.read", path="notes.txt")      # raises Refused
"""
import json
import os
import socket


class Refused(Exception):
    """A tool call ward refused: .reason and .audit_pos say why and where."""

    def __init__(self, text, reason=None, audit_pos=None):
        super().__init__(text)
        self.reason = reason
        self.audit_pos = audit_pos


class Ward:
    def __init__(self):
        fd = int(os.environ["WARD_FD"])
        self.sock = socket.socket(fileno=fd)
        self.reader = self.sock.makefile("rb")
        self.next_id = 0
        self.request("initialize", {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "wardmcp.py", "version": "0.1"},
        })
        self.notify("notifications/initialized")

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.sock.sendall(json.dumps(msg).encode() + b"\n")

    def request(self, method, params=None):
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        line = self.reader.readline()
        if not line:
            raise ConnectionError("the broker closed the socket")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError("JSON-RPC error %s: %s" % (
                reply["error"]["code"], reply["error"]["message"]))
        return reply["result"]

    def tools(self):
        return [t["name"] for t in self.request("tools/list")["tools"]]

    def call(self, tool, **arguments):
        result = self.request("tools/call", {"name": tool, "arguments": arguments})
        text = "".join(c.get("text", "") for c in result.get("content", []))
        if result.get("isError"):
            sc = result.get("structuredContent", {})
            raise Refused(text, sc.get("reason"), sc.get("audit_pos"))
        return text

    def call_json(self, tool, **arguments):
        """The tool's structured result (llm.complete: the API's answer)."""
        result = self.request("tools/call", {"name": tool, "arguments": arguments})
        if result.get("isError"):
            text = "".join(c.get("text", "") for c in result.get("content", []))
            sc = result.get("structuredContent", {})
            raise Refused(text, sc.get("reason"), sc.get("audit_pos"))
        return result.get("structuredContent", {})
