// bench-remote.mjs -- a remote server's tools/call through ward mcp (the
// bridge, ward-egress, two approvals a request: net.connect and
// secret.use), beside the same server reached directly by the SDK's
// Streamable HTTP client, in the same run.  Needs a ward home with
// ward-core running and RTOKEN in its vault, and root (ward-egress).
//
//   WARD_HOME=... node tests/gateway/bench-remote.mjs [N]
//
// Prints p50 and p90 of each, and the difference.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WARD = process.env.WARD_BIN || path.resolve(HERE, "../../build/ward");
const HOME = process.env.WARD_HOME;
const N = Number(process.argv[2] || 200);
const T = fs.mkdtempSync(path.join(os.tmpdir(), "ward-rbench-"));
const pct = (a, p) => { const s = [...a].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const ms = (ns) => (Number(ns) / 1e6).toFixed(2);

const pf = path.join(T, "port");
const rs = spawn("node", [path.join(HERE, "remote-server.mjs"), pf, path.join(T, "log"), "json"], { stdio: "ignore" });
while (!fs.existsSync(pf)) await new Promise((r) => setTimeout(r, 50));
const port = Number(fs.readFileSync(pf, "utf8"));

// Direct: the SDK's own HTTP client.
const c = new Client({ name: "bench", version: "1" });
await c.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
const direct = [];
for (let i = 0; i < N; i++) {
	const t0 = process.hrtime.bigint();
	await c.callTool({ name: "echo", arguments: { text: "x" } });
	direct.push(process.hrtime.bigint() - t0);
}
await c.close();

// Through ward mcp, raw lines.
const prof = path.join(T, "rb.ward");
fs.writeFileSync(prof, `name rbench\nserver rem\n  url http://127.0.0.1:${port}/mcp\n` +
	`  header Authorization Bearer secret RTOKEN\n  allow net 127.0.0.1:${port}\n`);
const run = (lines, until) => new Promise((res) => {
	const g = spawn(WARD, ["mcp", "--profile", prof], { stdio: ["pipe", "pipe", "ignore"],
		env: { ...process.env, WARD_MCP_QUIET: "1" } });
	let buf = "";
	const waiting = new Map();
	g.stdout.on("data", (d) => {
		buf += d;
		let k;
		while ((k = buf.indexOf("\n")) >= 0) {
			const m = JSON.parse(buf.slice(0, k));
			buf = buf.slice(k + 1);
			if (waiting.has(m.id)) { waiting.get(m.id)(m); waiting.delete(m.id); }
		}
	});
	const call = (m) => new Promise((r) => { waiting.set(m.id, r); g.stdin.write(JSON.stringify(m) + "\n"); });
	res({ g, call });
});
const INIT = { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25",
	capabilities: {}, clientInfo: { name: "b", version: "1" } } };
{	// Once to see (and quarantine) the tools, then approve them.
	const { g, call } = await run();
	await call(INIT);
	await call({ jsonrpc: "2.0", id: 1, method: "tools/list" });
	g.stdin.end();
	await new Promise((r) => g.on("exit", r));
	spawnSync(WARD, ["mcp", "approve", "--profile", prof, "--all"], { stdio: "ignore" });
}
const { g, call } = await run();
await call(INIT);
await call({ jsonrpc: "2.0", id: 1, method: "tools/list" });
const through = [];
for (let i = 0; i < N; i++) {
	const t0 = process.hrtime.bigint();
	const r = await call({ jsonrpc: "2.0", id: 10 + i, method: "tools/call", params: { name: "rem_echo", arguments: { text: "x" } } });
	through.push(process.hrtime.bigint() - t0);
	if (!r.result || r.result.isError) { console.log("call failed (approve the tools first: ward mcp approve --profile", prof, "--all):", JSON.stringify(r).slice(0, 300)); break; }
}
g.stdin.end();
rs.kill("SIGKILL");
console.log(`remote tools/call, ${N} each: direct (SDK HTTP client) p50 ${ms(pct(direct, 0.5))} ms p90 ${ms(pct(direct, 0.9))} ms; ` +
	`through ward mcp p50 ${ms(pct(through, 0.5))} ms p90 ${ms(pct(through, 0.9))} ms; added p50 ${ms(pct(through, 0.5) - pct(direct, 0.5))} ms`);
