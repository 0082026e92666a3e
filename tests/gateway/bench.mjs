// bench.mjs -- the tools/call round trip through ward mcp and, in the same
// run, straight to the same server (the fixture's echo tool), p50 and p99.
//   node tests/gateway/bench.mjs [N]      (make bench runs bench.sh)
// The ward home is on a tmpfs (/dev/shm), where issue 19's target applies
// (at most 300 us added at p50), and then on disk (build/): on disk each
// approval waits for the audit log's fdatasync in ward-core.  Then the
// time from ward mcp's start to initialize's answer, with ward-core up and
// down (issue 19: the core's absence holds nothing back).
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WARD = process.env.WARD_BIN || path.resolve(HERE, "../../build/ward");
const CORE = path.join(path.dirname(WARD), "ward-core");
const N = Number(process.argv[2] || 2000), WARM = 200;

function peer(cmd, args) {
	const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "ignore"], env: { PATH: process.env.PATH, WARD_MCP_QUIET: "1" } });
	let buf = "", want = null;
	p.stdout.on("data", (d) => {
		buf += d;
		let i;
		while ((i = buf.indexOf("\n")) >= 0) {
			const m = JSON.parse(buf.slice(0, i));
			buf = buf.slice(i + 1);
			if (want && m.id === want.id) { const w = want; want = null; w.res(m); }
		}
	});
	return {
		call(m) { return new Promise((res) => { want = { id: m.id, res }; p.stdin.write(JSON.stringify(m) + "\n"); }); },
		close() { p.stdin.end(); return new Promise((r) => p.on("exit", r)); },
	};
}
async function measure(cmd, args, tool) {
	const c = peer(cmd, args);
	await c.call({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } } });
	c.call({ jsonrpc: "2.0", method: "notifications/initialized" }).catch(() => {});
	await c.call({ jsonrpc: "2.0", id: "l", method: "tools/list" });
	const t = [];
	for (let i = 1; i <= N + WARM; i++) {
		const t0 = process.hrtime.bigint();
		const r = await c.call({ jsonrpc: "2.0", id: i, method: "tools/call", params: { name: tool, arguments: { text: "ping" } } });
		const dt = Number(process.hrtime.bigint() - t0) / 1000;
		if (!r.result || r.result.isError) throw new Error(`call failed: ${JSON.stringify(r).slice(0, 200)}`);
		if (i > WARM) t.push(dt);
	}
	await c.close();
	t.sort((a, b) => a - b);
	return { p50: t[Math.floor(t.length * 0.5)], p99: t[Math.floor(t.length * 0.99)] };
}

async function run(base, label, target) {
	const T = fs.mkdtempSync(path.join(base, "ward-gw-bench-"));
	fs.chmodSync(T, 0o755);	// the daemons run as their own accounts: they must reach HOME
	const HOME = path.join(T, "home"), ws = path.join(T, "ws");
	fs.mkdirSync(ws, { mode: 0o777 });
	fs.chmodSync(ws, 0o777);
	execFileSync(WARD, ["init", "--home", HOME], { stdio: "ignore" });
	const core = spawn(CORE, ["--home", HOME], { stdio: "ignore" });
	for (let i = 0; i < 100 && !fs.existsSync(path.join(HOME, "run/core/broker.sock")); i++)
		execFileSync("sleep", ["0.05"]);
	const prof = path.join(T, "bench.ward");
	fs.writeFileSync(prof, `name bench\nserver fx\n  run node /fixture/fixture-server.mjs /tmp\n  bind ${HERE} /fixture\n`);
	// Discover, then approve, as the operator would.
	const g = peer(WARD, ["mcp", "--home", HOME, "--profile", prof]);
	await g.call({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } } });
	await g.call({ jsonrpc: "2.0", id: 1, method: "tools/list" });
	await g.close();
	execFileSync(WARD, ["mcp", "approve", "--home", HOME, "--profile", prof, "--all"], { stdio: "ignore" });
	const direct = await measure("node", [path.join(HERE, "fixture-server.mjs"), ws], "echo");
	const gw = await measure(WARD, ["mcp", "--home", HOME, "--profile", prof], "fx_echo");
	// Issue 19: initialize is not held back by ward-core.  From ward mcp's
	// start to initialize's answer, with the core up, then down.
	const up = await startup(HOME, prof);
	const gone = new Promise((r) => core.once("exit", r));
	core.kill("SIGTERM");
	await gone;
	const down = await startup(HOME, prof);
	fs.rmSync(T, { recursive: true, force: true });
	const f = (x) => `${x.toFixed(0).padStart(6)} us`;
	const added = gw.p50 - direct.p50;
	console.log(`ward mcp tools/call (${label}, N=${N}): direct p50 ${f(direct.p50)} p99 ${f(direct.p99)} | ` +
		`through ward mcp p50 ${f(gw.p50)} p99 ${f(gw.p99)} | added at p50 ${f(added)}, ` +
		`ratio ${(gw.p50 / direct.p50).toFixed(2)}x` +
		(target ? ` (target: at most 300 us added: ${added <= 300 ? "met" : "not met"})` : ""));
	const ms = (x) => `${(x / 1000).toFixed(1)} ms`;
	console.log(`ward mcp start to initialize's answer (${label}, p50 of ${STARTS}): ward-core up ${ms(up)}, ` +
		`ward-core down ${ms(down)} (${down <= up * 1.5 + 50000 ? "not held back by the core" : "HELD BACK by the core"})`);
}

// From spawning ward mcp to the answer to initialize (us), p50 of STARTS.
const STARTS = 7;
async function startup(HOME, prof) {
	const t = [];
	for (let i = 0; i < STARTS; i++) {
		const t0 = process.hrtime.bigint();
		const g = peer(WARD, ["mcp", "--home", HOME, "--profile", prof]);
		const r = await g.call({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } } });
		t.push(Number(process.hrtime.bigint() - t0) / 1000);
		if (!r.result) throw new Error(`initialize failed: ${JSON.stringify(r).slice(0, 200)}`);
		await g.close();
	}
	t.sort((a, b) => a - b);
	return t[Math.floor(t.length / 2)];
}

// tmpfs, where the target applies; then the tree's own build folder, which
// is on the disk the checkout is on (os.tmpdir() may be a tmpfs too).
const shm = fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
await run(shm, "ward home on tmpfs", true);
if (!process.env.WARD_BENCH_TMPFS_ONLY)
	await run(path.resolve(HERE, "../../build"), "ward home on disk", false);
