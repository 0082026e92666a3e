/*
 * broker.c -- ward-broker: the untrusted half of ward (DESIGN.md §1, §3).
 *
 * One event loop (poll) serves every transaction at once:
 *
 *   run/broker/broker.ctl  unix stream, JSON lines, for the ward CLI (operator):
 *                    hello, run (a grant the operator signed, with the
 *                    CLI's stdout/stderr passed by SCM_RIGHTS), list, stop
 *   agent sockets    one socketpair per transaction; the sandbox gets its
 *                    end as fd 3 (WARD_FD=3): MCP, JSON-RPC 2.0, one
 *                    message a line
 *   log pipes        the sandbox's reports of refused network attempts
 *   spawner          sandboxes start and end there (spawner.c)
 *   ward-core        one REQ socket (broker.sock): every effect is approved
 *                    there first, and the approval's signature checked
 *
 * The broker holds no authority of its own: the chains it shows were
 * signed by the operator (or delegated from those), the core counts and
 * logs each use, and a refusal goes back to the agent with its reason and
 * audit position.  Not part of the verified core.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <sodium.h>

#include "wb.h"
#include "wt.h"
#include "home.h"
#include "outq.h"
#include "mcp.h"
#include "priv.h"
#include "fdio.h"
#include "text.h"
#include "egw.h"
#include "egress_link.h"
#include "sandbox.h"
#include "params.h"
#include "wire.h"

#define TX_MAX 256
#define CTL_MAX 64
#define JOB_MAX 512
#define LINE_MAX_BYTES MCP_AGENT_LINE_MAX	/* longest JSON-RPC message */
#define OUT_MAX (64u * 1024u)		/* exec output kept */

/* What an agent may leave unread before the broker stops reading its
 * requests (outq.h).  1 MiB is some 25,000 ordinary replies on top of what
 * the kernel's socket buffer already holds (net.core.wmem_default, about
 * 200 KiB): an agent that reads its replies at all never comes near it,
 * and 256 agents at the cap hold 256 MiB. */
#define OUTQ_AGENT_CAP (1u << 20)
/* Replies to calls taken before the cap was reached (an approval that
 * comes back, an exec that ends) are still queued, up to one largest reply
 * past the cap: an fs.read of WT_READ_MAX bytes, each escaped in JSON as
 * \u00XX.  A reply that would pass this cuts the agent off at once. */
#define OUTQ_AGENT_HARD (OUTQ_AGENT_CAP + 6u * WT_READ_MAX + (64u << 10))
/* The ward CLI's connections: their answers are small but for 'list',
 * which for 256 sessions of 32 handles is under 3 MiB. */
#define OUTQ_CTL_CAP (1u << 20)
#define OUTQ_CTL_HARD (OUTQ_CTL_CAP + (4u << 20))
/* How long a peer may stay at its cap, its requests unread, before it is
 * cut off: a program that reads its socket at all drains a megabyte in
 * milliseconds, and ten seconds keeps a briefly stopped one (a debugger,
 * a swapped-out process) alive while bounding how long a stalled one
 * holds its memory and its sandbox. */
#define OUTQ_STALL_MS 10000u


struct handle {
	char tool[48];
	unsigned kind, op;
	char scope[WARD_SCOPE_MAX + 1];
	struct wb_chain ch;
	int delegate;
	uint32_t uses;
};

/* A file an approved fs.write tool call wrote into the copy, and what it
 * wrote: the same change at commit is covered by that call's ALLOWED
 * record, and costs no second use (tx_commit). */
struct wrote {
	char rel[WT_REL_MAX];
	unsigned char h[32];
};
#define WROTE_MAX 1024

struct tx {
	int used;
	uint32_t gen;			/* tells a reused slot from its past */
	uint8_t ctx[WARD_CTX_BYTES];
	char sid[2 * WARD_CTX_BYTES + 1];
	int parent;			/* index, -1 for a root transaction */
	int nh;
	struct handle h[PF_MAX_CAPS];
	uint64_t nonce;
	int afd;			/* our end of the agent's socket */
	struct outq out;		/* replies the agent has not read yet */
	int overflow;			/* a reply would pass OUTQ_AGENT_HARD */
	int rdeof;			/* the agent shut its sending side */
	const char *cut;		/* why the broker cut it off, or NULL */
	struct mcp_in in;		/* read, not handled yet: at most one
					   partial line, and lines left over
					   while the replies are at the cap */
	int logfd;			/* sandbox BLOCKED reports */
	int logw;			/* its write end, for exec sandboxes */
	char logbuf[512];
	size_t loglen;
	char ws[512];
	char live[520];			/* its copy: WS.live for a root,
					   WS.kids/SID for a child (commit.c) */
	char kids[520];			/* the root's WS.kids */
	int realfd;			/* root: the workspace itself, else -1 */
	char agent_dir[512];		/* bound at /agent; children share it */
	int wsfd;
	json_t *mem;			/* staged memory partition */
	int ctl;			/* control connection waiting, -1 */
	int job;			/* the agent's spawner job */
	int closed;			/* context closed at the core */
	int finished;
	int code;			/* as a shell says it; end says how */
	int end;			/* SP_END_*, 0 while it runs */
	char how[32];			/* "exit 1", "signal KILL", ... */
	/* spawn_child: the parent's request waiting on this child */
	int wait_parent;
	json_t *wait_id;
	struct wrote *wrote;		/* WROTE_MAX at most, in call order */
	size_t nwrote;
	/* Records that cost no use (the agent's log lines, ward-egress's
	 * refusals before any approval): LOG_RATE_MAX a minute, then counted
	 * (log_rate) -- each is a synchronous durable record. */
	time_t log_minute;
	unsigned log_n, log_dropped;
	struct {			/* the profile's llm line (llm.complete) */
		int set;
		char api[16], dest[WARD_SCOPE_MAX + 1], model[128], key[65];
		uint64_t max_tokens, budget, spent;
	} llm;
	char task[2048];
	uint32_t calls, refusals;
	time_t started;
};

enum job_kind { JOB_AGENT = 1, JOB_EXEC = 2 };

struct job {
	int used;
	int kind;
	int tx;
	json_t *rpc_id;			/* exec: the call to answer */
	int llm;			/* exec of 'ward-call llm' for llm.complete */
	int outfd, errfd;
	char *out, *err;
	size_t outlen, errlen;
};

struct ctl {
	int fd;
	struct outq out;		/* answers not read yet */
	int overflow;			/* an answer would pass OUTQ_CTL_HARD */
	char buf[256 * 1024];
	size_t len;
};

/* Approvals in flight: one REQ socket each, so that the core can batch
 * the requests of many transactions into one group commit.  When every
 * socket is busy, a call waits for its approval (core_s). */
#define CS_N 16
#define CS_TIMEOUT_NS (3000ull * 1000000ull)

struct csock {
	int s;				/* nanomsg REQ socket, -1 if none */
	int fd;				/* its NN_RCVFD, for poll */
	int pend;			/* the pending approval, -1 if idle */
};

/* An approval asked for; the tool call runs again, from the top, once it
 * is answered (replay: everything before the approval is a pure function
 * of the call and the context's handles). */
struct pend {
	int used;
	int tx;
	uint32_t gen;
	json_t *id, *args;		/* NULL id: a network report */
	char tool[WARD_SCOPE_MAX + 1];
	unsigned op;
	char res[WARD_SCOPE_MAX + 64];
	uint8_t d[32];
	uint64_t nonce;
	uint64_t sent;
	int cs;
	int answered;			/* 0: no answer (core down) */
	struct wb_reply r;
	int egress;			/* ward-egress's question eg_req */
	int logline;			/* a held line (hold_send): no call */
	uint32_t eg_req;
	uint64_t until;			/* parked: the core's deadline, plus
					   PARK_GRACE_S (wall clock) */
};

static struct csock csocks[CS_N];
static struct pend pends[CS_N];
static struct pend *replaying;		/* the call being finished */
static int deferred_now;		/* approve() sent it asynchronously */

/* Calls that wait for the operator's answer (the core replied deferred,
 * server/pending.h): the agent's call stays open, and the same Approve
 * (same nonce) is sent again every PARK_EVERY_NS until the core answers
 * otherwise.  They hold no core socket meanwhile, and one transaction
 * holds at most PARK_PER_TX of them, so that no transaction's waiting
 * calls stall another's. */
#define PARK_N 64
#define PARK_PER_TX 16
#define PARK_EVERY_NS (1000ull * 1000000ull)
#define PARK_GRACE_S 10u	/* past the core's deadline: give up */
static struct pend parks[PARK_N];
static struct pend *resending;		/* the parked call sent again */
static int resend_busy;			/* no core socket was free for it */

static struct ward_home H;
static uint8_t bk_pk[32], bk_sk[64], core_pk[32];
static int core_s = -1, sp_s = -1, ctl_listen = -1;
static int eg_s = -1;			/* ward-egress (egress_link.c), -1: none */
static struct tx txs[TX_MAX];
static struct job jobs[JOB_MAX];
static struct ctl *ctls[CTL_MAX];
static volatile sig_atomic_t stopping;
static char ctl_path[WH_PATH + 32];
static int verbose, no_confine;
/* Check the core's Ed25519 signature on every approval before acting on it
 * (--verify-approvals).  The fields are always checked against the
 * request.  Off by default for the built-in tools: they run in this
 * process, which the threat model already assumes may be compromised, and
 * the check costs about as much as the core's whole decision. */
static int verify_sigs;
static char bin_dir[PATH_MAX];	/* ward-call, for the sandboxes */
static uint64_t n_calls;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vline(stderr, "ward-broker: ", fmt, ap);
	va_end(ap);
	exit(1);
}

static void __attribute__((format(printf, 1, 2)))
note(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	text_vline(stderr, "ward-broker: ", fmt, ap);
	va_end(ap);
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* ---- sending -------------------------------------------------------------- */

/* Every write to an agent or to a ward CLI connection goes through that
 * peer's output queue (outq.h) and never waits: one peer that stops
 * reading must not stall the loop that serves every transaction. */

static void
agent_send(struct tx *t, json_t *j)
{
	if (t->afd < 0 || t->overflow) {
		json_decref(j);
		return;
	}
	/* Past the hard limit: cut off by the loop (sweep_peers), never in
	 * the middle of handling one of its lines. */
	if (mcp_send(&t->out, t->afd, j) != 0)
		t->overflow = 1;
}

static void
rpc_result(struct tx *t, json_t *id, json_t *result)
{
	agent_send(t, mcp_result(id, result));
}


/* A tool's result, and a refusal (refused when it has an audit position)
 * or failure, in the one shape of mcp.h. */
#define tool_ok mcp_tool_ok
#define tool_err(reason, pos, has_pos, ...) \
	mcp_refusal((has_pos), (reason), (pos), (has_pos), __VA_ARGS__)


/* ---- the core ------------------------------------------------------------- */

static void
core_reconnect(void)
{
	cc_disconnect(core_s);
	core_s = cc_connect(H.broker_url, 3000);
}

/* The digest of a call (server/params.h, the one function the core uses
 * too) and its parameters, TOOL NUL JSON, in params when they fit in
 * WIRE_PARAMS_MAX bytes: their length, or 0 when they do not fit.  The
 * core shows them to the operator when the call must wait for an answer
 * (server/pending.h) and checks that they hash to the digest. */
static size_t
digest_of(uint8_t d[32], const char *tool, json_t *args,
	  uint8_t params[WIRE_PARAMS_MAX])
{
	char *s = json_dumps(args != NULL ? args : json_null(),
			     JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	size_t tl = strlen(tool) + 1, sl = s != NULL ? strlen(s) : 0;
	uint8_t *p = malloc(tl + sl + 1);
	size_t n = 0;

	if (p == NULL)
		die("out of memory");
	memcpy(p, tool, tl);
	if (sl > 0)
		memcpy(p + tl, s, sl);
	params_digest(d, p, tl + sl);
	if (tl + sl <= WIRE_PARAMS_MAX) {
		memcpy(params, p, tl + sl);
		n = tl + sl;
	}
	free(p);
	free(s);
	return n;
}

/* Ask the core for one effect.  0 when approved (and the approval's
 * signature checked); otherwise *out is the MCP tool error to return. */
static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
cs_open(int k)
{
	int s = nn_socket(AF_SP, NN_REQ), max = -1;
	size_t sz = sizeof csocks[k].fd;

	csocks[k].s = csocks[k].fd = -1;
	csocks[k].pend = -1;
	if (s < 0)
		return;
	if (nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max, sizeof max) < 0 ||
	    nn_connect(s, H.broker_url) < 0 ||
	    nn_getsockopt(s, NN_SOL_SOCKET, NN_RCVFD, &csocks[k].fd, &sz) < 0) {
		nn_close(s);
		return;
	}
	csocks[k].s = s;
}

static void
cs_reset(int k)
{
	if (csocks[k].s >= 0)
		nn_close(csocks[k].s);
	cs_open(k);
}

static void hold_kick(void);

/* Send the approval request on an idle socket: 0 if sent (the call is
 * deferred), -1 if every socket is busy (the caller asks synchronously). */
static int
approve_async(struct tx *t, const struct handle *h, unsigned op,
	      const char *res, const char *tool, json_t *args,
	      const uint8_t d[32], uint64_t nonce, json_t *id,
	      const uint8_t *params, size_t plen)
{
	uint8_t buf[WIRE_MSG_MAX];
	struct pend *p;
	long len;
	int k;

	for (k = 0; k < CS_N; k++)
		if (csocks[k].s >= 0 && csocks[k].pend < 0 && !pends[k].used)
			break;
	if (k == CS_N)
		return -1;
	len = cc_pack_approve_p(buf, sizeof buf, t->ctx, &h->ch, op, res, d,
				nonce, params, plen);
	if (len < 0)	/* the chain and the parameters do not fit: without */
		len = cc_pack_approve(buf, sizeof buf, t->ctx, &h->ch, op, res,
				      d, nonce);
	if (len < 0 || nn_send(csocks[k].s, buf, (size_t)len, NN_DONTWAIT) < 0)
		return -1;
	p = &pends[k];
	memset(p, 0, sizeof *p);
	p->used = 1;
	p->tx = (int)(t - txs);
	p->gen = t->gen;
	p->id = id != NULL ? json_incref(id) : NULL;
	p->args = json_incref(args);
	snprintf(p->tool, sizeof p->tool, "%s", tool);
	p->op = op;
	snprintf(p->res, sizeof p->res, "%s", res);
	memcpy(p->d, d, 32);
	p->nonce = nonce;
	p->sent = mono_ns();
	p->cs = k;
	csocks[k].pend = k;
	hold_kick();
	return 0;
}

/* ward-egress's lines for a transaction's audit log (a connection's bytes
 * each way when it closed, a refusal after its approval) are held here
 * rather than logged at once: a line logged on its own costs the core a
 * commit (one fdatasync) that the agent's next connection, asked for a
 * moment later, waits behind.  Held, a line goes out on an idle core
 * socket right after the next approval request is sent, to anything
 * (hold_kick), so that the core takes both into one group commit; after
 * HOLD_NS at the latest whatever comes; and before its transaction's
 * context closes (hold_drain: the lines of every connection of it, which
 * ward-egress closed and sent before it answered the detach, are in the
 * log before the record of the context's end).  Lost if the broker dies:
 * the lines held, at most HOLD_NS old -- never an approval, which the
 * core made durable before ward-egress could connect (docs/egress.md,
 * "The closed line"). */
#define HOLD_N 64
#define HOLD_NS (100ull * 1000000ull)
#define HOLD_SOCKS (CS_N / 2)	/* the core sockets held lines may take */

struct held {
	int tx;
	uint32_t gen;
	uint64_t at;
	char text[EGW_TEXT_MAX];
};
static struct held helds[HOLD_N];	/* oldest first */
static int nheld;

/* One held line out on an idle core socket (at most cap of them busy
 * with lines): 0, or -1 when none is free. */
static int
hold_send(const struct held *l, int cap)
{
	uint8_t buf[1024];
	struct pend *p;
	long len;
	int k, busy = 0;

	if (!txs[l->tx].used || txs[l->tx].gen != l->gen || txs[l->tx].closed)
		return 0;	/* its context is closed: the core would refuse it */
	for (k = 0; k < CS_N; k++)
		busy += pends[k].used && pends[k].logline;
	if (busy >= cap)
		return -1;
	for (k = 0; k < CS_N; k++)
		if (csocks[k].s >= 0 && csocks[k].pend < 0 && !pends[k].used)
			break;
	if (k == CS_N)
		return -1;
	len = cc_pack_log(buf, sizeof buf, txs[l->tx].ctx, l->text);
	if (len < 0 || nn_send(csocks[k].s, buf, (size_t)len, NN_DONTWAIT) < 0)
		return -1;
	p = &pends[k];
	memset(p, 0, sizeof *p);
	p->used = 1;
	p->logline = 1;
	p->tx = l->tx;
	p->gen = l->gen;
	p->sent = mono_ns();
	p->cs = k;
	csocks[k].pend = k;
	return 0;
}

/* The held lines of transaction tx (-1: of all), oldest first, out on
 * idle core sockets while there are any (at most cap busy with lines);
 * the rest stay held. */
static void
hold_flush(int tx, int cap)
{
	int i, j = 0;

	for (i = 0; i < nheld; i++) {
		if ((tx < 0 || helds[i].tx == tx) && hold_send(&helds[i], cap) == 0)
			continue;
		if (j != i)
			helds[j] = helds[i];
		j++;
	}
	nheld = j;
}

/* An approval request just went to the core: the held lines with it. */
static void
hold_kick(void)
{
	if (nheld > 0)
		hold_flush(-1, HOLD_SOCKS);
}

/* Held lines past HOLD_NS go; the poll timeout (ms) until the next one
 * is due, at most dflt. */
static int
hold_tick(int dflt)
{
	uint64_t now = mono_ns(), due, ms;

	if (nheld > 0 && now - helds[0].at >= HOLD_NS)
		hold_flush(-1, HOLD_SOCKS);
	if (nheld == 0)
		return dflt;
	/* Overdue (no core socket was free): again in 10 ms. */
	due = helds[0].at + HOLD_NS;
	ms = due <= now ? 10 : (due - now) / 1000000u + 1;
	return ms < (uint64_t)dflt ? (int)ms : dflt;
}

/* A line for t's audit log, held (see above); with every place taken, the
 * held lines go first, and if they cannot, this one is logged at once. */
static void
hold_add(struct tx *t, const char *text)
{
	struct wb_reply r;

	if (nheld == HOLD_N)
		hold_flush(-1, CS_N);
	if (nheld == HOLD_N) {
		if (cc_log(core_s, t->ctx, text, &r) != 0)
			core_reconnect();
		return;
	}
	helds[nheld].tx = (int)(t - txs);
	helds[nheld].gen = t->gen;
	helds[nheld].at = mono_ns();
	snprintf(helds[nheld].text, sizeof helds[nheld].text, "%s", text);
	nheld++;
}

static void cs_readable(int k);

/* Before t's context closes: its held lines out, and every one of them
 * answered by the core (written and durable), CS_TIMEOUT_NS at most; a
 * line no core socket takes is logged on the broker's own. */
static void
hold_drain(struct tx *t)
{
	int tx = (int)(t - txs), i, k, left;
	uint64_t t0 = mono_ns();
	struct wb_reply r;

	hold_flush(tx, CS_N);
	for (i = 0; i < nheld;) {
		if (helds[i].tx != tx) {
			i++;
			continue;
		}
		if (cc_log(core_s, t->ctx, helds[i].text, &r) != 0)
			core_reconnect();
		memmove(helds + i, helds + i + 1, (size_t)(nheld - i - 1) * sizeof helds[0]);
		nheld--;
	}
	for (;;) {
		struct pollfd pf[CS_N];
		int ks[CS_N], n = 0;
		uint64_t now = mono_ns();

		for (k = 0; k < CS_N; k++)
			if (csocks[k].pend >= 0 && pends[csocks[k].pend].logline &&
			    pends[csocks[k].pend].tx == tx) {
				pf[n].fd = csocks[k].fd;
				pf[n].events = POLLIN;
				pf[n].revents = 0;
				ks[n++] = k;
			}
		if (n == 0)
			return;
		if (now - t0 >= CS_TIMEOUT_NS) {
			/* The core does not answer: these lines may be lost. */
			for (i = 0; i < n; i++) {
				memset(&pends[csocks[ks[i]].pend], 0, sizeof pends[0]);
				cs_reset(ks[i]);
			}
			note("session %s: ward-core did not answer for %d "
			     "line(s) of ward-egress; they may not be logged",
			     t->sid, n);
			return;
		}
		left = (int)((CS_TIMEOUT_NS - (now - t0)) / 1000000u) + 1;
		if (poll(pf, (nfds_t)n, left) < 0 && errno != EINTR)
			return;
		for (i = 0; i < n; i++)
			if (pf[i].revents != 0)
				cs_readable(ks[i]);
	}
}

static void spawn_job_kill(int job);
static void egress_answer(struct tx *t, uint32_t req, unsigned op,
			  const char *dest,
			  const struct wb_reply *r);

/* The core says the context of t is not open (revoked by the operator, or
 * closed): no call of it can be approved again -- that is the core's
 * property, and it holds whatever the broker does.  As a convenience the
 * broker ends the transaction's sandbox now rather than let the agent run
 * on, every call refused (its children end with it, in tx_end), and
 * 'ward run' says why.  The refusal in hand is still sent to the agent. */
static void
tx_context_gone(struct tx *t, const char *why)
{
	if (t->cut != NULL || t->finished)
		return;
	t->cut = why;
	t->closed = 1;		/* nothing left to close at the core */
	fprintf(stderr, "ward-broker: session %s: the core says its context is "
		"not open (%s); ending its sandbox\n", t->sid, why);
	spawn_job_kill(t->job);
}

/* The id of the JSON-RPC call being handled (NULL for a network report):
 * an asynchronous approval answers it later. */
static json_t *current_id;
static int current_is_call;
/* Set while the approval's answer is needed at once (tx_commit). */
static int approve_sync;

/* Ask the core for one effect.  0 when approved; otherwise *out is the MCP
 * tool error to return -- or NULL with deferred_now set, when the request
 * went out asynchronously and the call will be finished on the answer. */
static int
approve(struct tx *t, const struct handle *h, unsigned op, const char *res,
	const char *tool, json_t *args, json_t **out, struct wb_reply *r)
{
	uint8_t d[32];
	uint64_t nonce;
	int rc;

	if (replaying != NULL) {
		/* The answer to what this call asked the first time. */
		struct pend *p = replaying;

		memcpy(d, p->d, 32);
		nonce = p->nonce;
		if (p->op != op || strcmp(p->res, res) != 0) {
			*out = tool_err("internal", 0, 0, "%s %s: the call changed "
					"while its approval was pending", tool, res);
			return -1;
		}
		*r = p->r;
		rc = p->answered ? 0 : -1;
	} else {
		static uint8_t params[WIRE_PARAMS_MAX];
		size_t plen = digest_of(d, tool, args, params);

		/* A call held for the operator is sent again as it was
		 * (same nonce): another call is another decision. */
		if (resending != NULL) {
			nonce = resending->nonce;
			if (memcmp(d, resending->d, 32) != 0 ||
			    resending->op != op || strcmp(resending->res, res)) {
				*out = tool_err("internal", 0, 0, "%s %s: the call "
						"changed while it waited for the "
						"operator", tool, res);
				return -1;
			}
		} else {
			nonce = ++t->nonce;
		}
		if (!approve_sync &&
		    approve_async(t, h, op, res, tool, args, d, nonce,
				  current_is_call ? current_id : NULL, params,
				  plen) == 0) {
			deferred_now = 1;
			*out = NULL;
			return -1;
		}
		if (resending != NULL) {
			/* Every core socket busy: try again on the next tick,
			 * never wait here for a call that waits anyway. */
			resend_busy = 1;
			deferred_now = 1;
			*out = NULL;
			return -1;
		}
		rc = cc_approve_p(core_s, t->ctx, &h->ch, op, res, d, nonce,
				  plen ? params : NULL, plen, r);
	}
	if (rc != 0) {
		if (replaying == NULL)
			core_reconnect();
		t->refusals++;
		*out = tool_err("core_unreachable", 0, 0, "%s %s: ward-core did "
				"not answer; nothing was done (ward fails closed)",
				tool, res);
		return -1;
	}
	if (r->reason != 0) {
		t->refusals++;
		*out = tool_err(cc_reason_name(r->reason), r->audit_pos, 1,
				"%s %s: %s", tool, res, r->detail);
		if (r->reason == WARD_E_CONTEXT_UNKNOWN)
			tx_context_gone(t, "context_closed");
		return -1;
	}
	if (cc_approval_ok(r, verify_sigs ? core_pk : NULL, t->ctx, op, res, d,
			   nonce) != 0) {
		t->refusals++;
		*out = tool_err("bad_approval", r->audit_pos, 1, "%s %s: the "
				"approval does not verify under the core's key; "
				"nothing was done", tool, res);
		return -1;
	}
	return 0;
}

/* ---- transactions --------------------------------------------------------- */

static struct tx *
tx_find(const char *sid)
{
	int i;
	size_t n = strlen(sid);

	if (n == 0)
		return NULL;
	for (i = 0; i < TX_MAX; i++)
		if (txs[i].used && strncmp(txs[i].sid, sid, n) == 0)
			return &txs[i];
	return NULL;
}

static int
tx_alloc(void)
{
	int i;

	for (i = 0; i < TX_MAX; i++)
		if (!txs[i].used) {
			uint32_t g = txs[i].gen;

			memset(&txs[i], 0, sizeof txs[i]);
			txs[i].gen = g + 1;
			txs[i].used = 1;
			txs[i].afd = txs[i].logfd = txs[i].wsfd = -1;
			txs[i].realfd = -1;
			txs[i].logw = -1;
			txs[i].ctl = txs[i].job = txs[i].wait_parent = -1;
			txs[i].parent = -1;
			txs[i].mem = json_object();
			txs[i].started = time(NULL);
			oq_init(&txs[i].out, OUTQ_AGENT_CAP, OUTQ_AGENT_HARD);
			mcp_in_init(&txs[i].in, LINE_MAX_BYTES);
			return i;
		}
	return -1;
}

static int
job_alloc(int kind, int tx)
{
	int i;

	for (i = 0; i < JOB_MAX; i++)
		if (!jobs[i].used) {
			memset(&jobs[i], 0, sizeof jobs[i]);
			jobs[i].used = 1;
			jobs[i].kind = kind;
			jobs[i].tx = tx;
			jobs[i].outfd = jobs[i].errfd = -1;
			return i;
		}
	return -1;
}

static void
job_free(int j)
{
	if (jobs[j].outfd >= 0)
		close(jobs[j].outfd);
	if (jobs[j].errfd >= 0)
		close(jobs[j].errfd);
	free(jobs[j].out);
	free(jobs[j].err);
	json_decref(jobs[j].rpc_id);
	memset(&jobs[j], 0, sizeof jobs[j]);
}

/* Does the handle's scope cover res (same rule as the core's)? */
static int
covers(const struct handle *h, const char *res)
{
	size_t pl = strlen(h->scope), cl = strlen(res);
	char sep = h->kind == WARD_KIND_NET ? 0 : h->kind == WARD_KIND_TOOL ?
		   '.' : '/';

	if (strcmp(h->scope, "*") == 0 || strcmp(h->scope, res) == 0)
		return 1;
	return sep != 0 && pl < cl && strncmp(res, h->scope, pl) == 0 &&
	       (h->scope[pl - 1] == sep || res[pl] == sep);
}

/* The handle for a tool and resource: one that covers it, else any of that
 * tool (the core will refuse it as out of scope, and log it). */
static struct handle *
pick(struct tx *t, const char *tool, const char *res)
{
	struct handle *any = NULL;
	int i;

	for (i = 0; i < t->nh; i++) {
		if (strcmp(t->h[i].tool, tool) != 0)
			continue;
		if (res == NULL || covers(&t->h[i], res))
			return &t->h[i];
		if (any == NULL)
			any = &t->h[i];
	}
	return any;
}

/* A call of a tool this context holds no handle for: the core still
 * decides (and logs it), under the context's grant, which cannot cover it. */
static json_t *
not_granted(struct tx *t, const char *tool, unsigned op, const char *res,
	    json_t *args)
{
	struct wb_reply r;
	json_t *out = NULL;

	if (t->nh == 0)
		return tool_err("not_granted", 0, 0, "%s: no handle", tool);
	if (approve(t, &t->h[0], op, res, tool, args, &out, &r) == 0) {
		/* Cannot happen with a well-formed grant; never act on it. */
		return tool_err("not_granted", r.audit_pos, 1, "%s was not granted "
				"to this context", tool);
	}
	return out;
}

static struct ctl *
ctl_of(int fd)
{
	int k;

	for (k = 0; fd >= 0 && k < CTL_MAX; k++)
		if (ctls[k] != NULL && ctls[k]->fd == fd)
			return ctls[k];
	return NULL;
}

static void
send_ctl(struct ctl *c, json_t *j)
{
	char *s;
	size_t n;

	if (c != NULL && !c->overflow && j != NULL &&
	    (s = json_dumps(j, JSON_COMPACT)) != NULL) {
		n = strlen(s);
		s[n] = '\n';
		if (oq_send(&c->out, c->fd, s, n + 1) != 0)
			c->overflow = 1;	/* closed by sweep_peers */
		free(s);
	}
	json_decref(j);
}


#define LOG_RATE_MAX 120u

/* 1 if one more record that costs no use may be written for t this
 * minute; the first of a new minute says how many the last one dropped. */
static int
log_rate(struct tx *t)
{
	time_t m = time(NULL) / 60;
	struct wb_reply r;
	char text[160];

	if (m != t->log_minute) {
		if (t->log_dropped > 0) {
			snprintf(text, sizeof text, "broker: %u more log lines of "
				 "this session not written (more than %u a minute: "
				 "the agent's own, and ward-egress's refusals)",
				 t->log_dropped, LOG_RATE_MAX);
			if (!t->closed && cc_log(core_s, t->ctx, text, &r) != 0)
				core_reconnect();
		}
		t->log_minute = m;
		t->log_n = t->log_dropped = 0;
	}
	if (t->log_n >= LOG_RATE_MAX) {
		t->log_dropped++;
		return 0;
	}
	t->log_n++;
	return 1;
}

/* At the session's end: the count of what this minute dropped. */
static void
log_rate_flush(struct tx *t)
{
	t->log_minute = 0;	/* a new minute: log_rate writes the count */
	if (t->log_dropped > 0)
		(void)log_rate(t);
}

static void
wrote_add(struct tx *t, const char *rel, const char *data, size_t len)
{
	struct wrote *w;

	if (t->wrote == NULL)
		t->wrote = calloc(WROTE_MAX, sizeof *t->wrote);
	if (t->wrote == NULL || t->nwrote == WROTE_MAX ||
	    strlen(rel) >= sizeof w->rel)
		return;		/* not remembered: approved again at commit */
	w = &t->wrote[t->nwrote++];
	snprintf(w->rel, sizeof w->rel, "%s", rel);
	crypto_generichash(w->h, 32, (const unsigned char *)data, len, NULL, 0);
}

/* A change an approved fs.write call of this transaction made, as it
 * made it: the file with the bytes the call wrote last (whatever the
 * agent did in between), or a folder that call made for it. */
static int
wrote_covers(const struct tx *t, const struct wt_change *c)
{
	unsigned char h[32];
	size_t i, n = strlen(c->rel);

	if (t->wrote == NULL)
		return 0;
	if (c->kind == WT_MKDIR) {
		for (i = 0; i < t->nwrote; i++)
			if (strncmp(t->wrote[i].rel, c->rel, n) == 0 &&
			    t->wrote[i].rel[n] == '/')
				return 1;
		return 0;
	}
	if (c->kind != WT_WRITE || wt_file_hash(t->wsfd, c->rel, h) != 0)
		return 0;
	for (i = t->nwrote; i-- > 0;)
		if (strcmp(t->wrote[i].rel, c->rel) == 0)
			return sodium_memcmp(t->wrote[i].h, h, 32) == 0;
	return 0;
}

/* The end of a root transaction's writes (commit.c): when it ended well,
 * each change between its copy and the workspace is one approval of
 * fs.write under the context's capabilities, applied only if approved;
 * what cannot be a change (a link, a device, ...) is logged BLOCKED.
 * When it did not end well, nothing is applied.  The copy goes either
 * way. */
static void
tx_commit(struct tx *t, int ok)
{
	struct wt_changes cs;
	struct wb_reply r;
	char text[700];
	size_t k, applied = 0, refused = 0;
	int k2;

	if (t->realfd < 0 || t->wsfd < 0)
		return;
	if (wt_changes(t->realfd, t->wsfd, &cs) != 0) {
		snprintf(text, sizeof text, "BLOCKED fs.write: more than %zu "
			 "changes; the rest of them are not committed", cs.n);
		if (!t->closed && cc_log(core_s, t->ctx, text, &r) != 0)
			core_reconnect();
	}
	if (!ok && cs.n > 0) {
		snprintf(text, sizeof text, "BLOCKED fs.write: %zu change%s of "
			 "the workspace not committed: the transaction did not "
			 "end well (%s)", cs.n, cs.n == 1 ? "" : "s",
			 t->cut != NULL ? t->cut : "exit status not 0");
		if (!t->closed && cc_log(core_s, t->ctx, text, &r) != 0)
			core_reconnect();
	}
	for (k = 0; ok && !t->closed && k < cs.n; k++) {
		const struct wt_change *c = &cs.v[k];
		char res[WARD_SCOPE_MAX + 1], err[300];
		const char *reason;
		struct handle *h;
		json_t *out = NULL, *args;

		if (c->kind == WT_REFUSED ||
		    (size_t)snprintf(res, sizeof res, "/workspace/%s", c->rel) >=
		    sizeof res) {
			snprintf(text, sizeof text, "BLOCKED fs.write /workspace/"
				 "%.400s reason=%s (not committed)", c->rel,
				 c->kind == WT_REFUSED ? c->why : "path_too_long");
			if (cc_log(core_s, t->ctx, text, &r) != 0)
				core_reconnect();
			refused++;
			continue;
		}
		if (wrote_covers(t, c)) {
			/* Approved and logged when the call made it. */
			if (wt_apply(t->realfd, t->wsfd, c, &reason, err,
				     sizeof err) != 0) {
				snprintf(text, sizeof text, "fs.write %s approved but "
					 "not committed: %s (reason=%s)", res, err,
					 reason);
				if (cc_log(core_s, t->ctx, text, &r) != 0)
					core_reconnect();
			} else {
				applied++;
			}
			continue;
		}
		h = pick(t, "fs.write", res);
		if (h == NULL)
			h = &t->h[0];	/* the core refuses it, and logs it */
		args = json_pack("{s:s, s:s}", "commit", c->kind == WT_WRITE ?
				 "write" : c->kind == WT_MKDIR ? "mkdir" :
				 c->kind == WT_DELETE ? "delete" : "rmdir", "path",
				 res);
		current_is_call = 0;
		approve_sync = 1;
		k2 = approve(t, h, WARD_OP_FS_WRITE, res, "fs.write", args, &out,
			     &r);
		approve_sync = 0;
		if (k2 != 0) {
			refused++;
		} else if (wt_apply(t->realfd, t->wsfd, c, &reason, err,
				    sizeof err) != 0) {
			snprintf(text, sizeof text, "fs.write %s approved but not "
				 "committed: %s (reason=%s)", res, err, reason);
			if (cc_log(core_s, t->ctx, text, &r) != 0)
				core_reconnect();
		} else {
			applied++;
		}
		deferred_now = 0;
		json_decref(out);
		json_decref(args);
	}
	if (ok && cs.n > 0)
		note("session %s: %zu change%s committed, %zu refused", t->sid,
		     applied, applied == 1 ? "" : "s", refused);
	wt_changes_free(&cs);
}

static void egress_msg(struct egw_msg *m);

/* ward-egress closes transaction i's connections and sends their lines;
 * they are logged before its context closes (at its end, or cut off). */
static void
tx_egress_detach(int i)
{
	struct tx *t = &txs[i];
	struct egw_msg *m = calloc(1, sizeof *m);

	if (el_detach(eg_s, (uint32_t)i, t->gen, -1) != 0)
		note("session %s: ward-egress did not confirm the end of its "
		     "connections; lines of them may not be logged", t->sid);
	while (m != NULL && el_kept_log((uint32_t)i, t->gen, m) == 0)
		egress_msg(m);
	free(m);
}

static void
tx_end(int i)
{
	struct tx *t = &txs[i];
	struct wb_reply r;
	int k;

	if (!t->used)
		return;
	tx_egress_detach(i);
	/* Children first: no sandbox outlives its parent's transaction. */
	for (k = 0; k < TX_MAX; k++)
		if (txs[k].used && txs[k].parent == i && !txs[k].finished)
			spawn_job_kill(txs[k].job);
	log_rate_flush(t);
	if (t->realfd >= 0) {
		tx_commit(t, t->code == 0 && t->cut == NULL);
		close(t->realfd);
		t->realfd = -1;
		if (t->wsfd >= 0)
			close(t->wsfd);
		t->wsfd = -1;
		wt_live_remove(t->live);
	}
	if (!t->closed && t->nh > 0) {
		hold_drain(t);
		if (cc_close(core_s, t->ctx, &t->h[0].ch, &r) != 0)
			core_reconnect();
		t->closed = 1;
	}
	/* The transaction's memory commits only if it ended well (not cut
	 * off, not revoked). */
	if (t->code == 0 && t->cut == NULL && json_object_size(t->mem) > 0) {
		char p[WH_PATH + 128], tmp[WH_PATH + 140];

		snprintf(p, sizeof p, "%s/broker/memory/%s.json", H.home, t->sid);
		snprintf(tmp, sizeof tmp, "%s.tmp", p);
		if (json_dump_file(t->mem, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) == 0)
			(void)rename(tmp, p);
	}
	if (t->ctl >= 0) {
		json_t *ev = json_pack("{s:s, s:s, s:i, s:i, s:i}", "event",
				       "exit", "session", t->sid, "code", t->code,
				       "calls", (int)t->calls, "refused",
				       (int)t->refusals);

		if (t->cut != NULL)
			json_object_set_new(ev, "reason", json_string(t->cut));
		if (t->how[0] != '\0')
			json_object_set_new(ev, "ended", json_string(t->how));
		send_ctl(ctl_of(t->ctl), ev);
	}
	if (t->afd >= 0)
		close(t->afd);
	oq_free(&t->out);
	if (t->logfd >= 0)
		close(t->logfd);
	if (t->logw >= 0)
		close(t->logw);
	if (t->wsfd >= 0)
		close(t->wsfd);
	mcp_in_free(&t->in);
	json_decref(t->mem);
	json_decref(t->wait_id);
	free(t->wrote);
	note("session %s ended with %d", t->sid, t->code);
	{
		uint32_t g = t->gen;

		memset(t, 0, sizeof *t);
		t->gen = g;
	}
	t->afd = t->logfd = t->logw = t->wsfd = t->ctl = -1;
	t->realfd = -1;
}

/* ---- spawning --------------------------------------------------------------- */

static void
spawn_job_kill(int job)
{
	struct sp_msg *m;

	if (job < 0 || !jobs[job].used)
		return;
	m = calloc(1, sizeof *m);
	if (m == NULL)
		return;
	m->op = SP_KILL;
	m->id = (uint32_t)job;
	if (sp_send(sp_s, m, NULL, 0) != 0)
		note("the spawner did not take a kill request");
	free(m);
}

static int
pipe_cloexec(int p[2])
{
	return pipe2(p, O_CLOEXEC);
}

/* Start a sandbox.  fds: out, err, log, agent (or -1), and for an agent
 * the pair end its proxy listener goes to (or -1). */
static int
spawn(struct sp_msg *m, int out, int err, int log, int agent, int proxy)
{
	int fds[5] = { out, err, log, agent, proxy };
	int n = agent >= 0 ? 4 : 3, dn = -1, rc;

	if (proxy >= 0 && agent < 0) {
		/* The proxy's end is the fifth: /dev/null holds the agent's
		 * place (has_agent_fd says there is none). */
		dn = open("/dev/null", O_RDONLY | O_CLOEXEC);
		fds[3] = dn;
	}
	if (proxy >= 0 && fds[3] >= 0)
		n = 5;
	m->op = SP_SPAWN;
	m->has_agent_fd = agent >= 0;
	m->has_proxy_fd = n == 5;
	rc = sp_send(sp_s, m, fds, n);
	if (dn >= 0)
		close(dn);
	return rc;
}

/* The egress proxy, for every client that reads the usual variables
 * (docs/egress.md); NO_PROXY empty: nothing goes around it. */
static int
egress_env(struct sp_msg *m, int k)
{
	static const char *const names[] = {
		"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
		"http_proxy", "https_proxy", "all_proxy",
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0] && k < WB_ENV_MAX; i++)
		snprintf(m->env[k++], sizeof m->env[0], "%s=http://%s:%u",
			 names[i], WARD_SB_PROXY_ADDR, WARD_SB_PROXY_PORT);
	if (k + 2 <= WB_ENV_MAX) {
		snprintf(m->env[k++], sizeof m->env[0], "NO_PROXY=");
		snprintf(m->env[k++], sizeof m->env[0], "no_proxy=");
	}
	return k;
}

/* NAME=ward-secret-NAME for each secret the transaction may use
 * (secret.use NAME@host:port/header): a placeholder that ward-egress
 * replaces with the value, sealed to it by the core, only in that header
 * of a request to that destination (docs/secrets.md).  Never the value:
 * the broker never has it. */
static int
secret_env(struct sp_msg *m, const struct tx *t, int k)
{
	int i, j;

	for (i = 0; i < t->nh && k < WB_ENV_MAX; i++) {
		const char *sc = t->h[i].scope, *at = strchr(sc, '@');
		int nl = at != NULL ? (int)(at - sc) : 0, dup = 0;

		if (strcmp(t->h[i].tool, "secret") != 0 || nl == 0)
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(t->h[j].tool, "secret") == 0 &&
			    strncmp(t->h[j].scope, sc, (size_t)nl + 1) == 0)
				dup = 1;
		if (!dup)
			snprintf(m->env[k++], sizeof m->env[0],
				 "%.*s=ward-secret-%.*s", nl, sc, nl, sc);
	}
	return k;
}

/* The destinations ("host:port ...") the secrets of t are bound to
 * (secret.use NAME@host:port/header): the tunnels ward-egress
 * intercepts (docs/egress.md, "Interception").  A static buffer. */
static const char *
secret_dests(const struct tx *t)
{
	static char out[EGW_BOUND_MAX];
	size_t ol = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < t->nh; i++) {
		const char *sc = t->h[i].scope, *at = strchr(sc, '@'), *sl;
		int dl;

		if (strcmp(t->h[i].tool, "secret") != 0 || at == NULL ||
		    (sl = strchr(at, '/')) == NULL)
			continue;
		dl = (int)(sl - at - 1);
		if (dl <= 0 || ol + (size_t)dl + 2 > sizeof out)
			continue;
		ol += (size_t)snprintf(out + ol, sizeof out - ol, "%s%.*s",
				       ol > 0 ? " " : "", dl, at + 1);
	}
	return out;
}

/* The environment of a sandbox of transaction t: an agent's (with its
 * socket, WARD_FD, and its task), or an exec's (agent 0: neither). */
static void
fill_env(struct sp_msg *m, struct tx *t, int agent)
{
	int k = 0;

	snprintf(m->env[k++], sizeof m->env[0],
		 "PATH=/ward:/usr/local/bin:/usr/bin:/bin");
	snprintf(m->env[k++], sizeof m->env[0], "HOME=%s", WB_WORKSPACE);
	snprintf(m->env[k++], sizeof m->env[0], "LANG=C.UTF-8");
	snprintf(m->env[k++], sizeof m->env[0], "WARD_SESSION=%s", t->sid);
	snprintf(m->env[k++], sizeof m->env[0], "WARD_WORKSPACE=%s", WB_WORKSPACE);
	if (agent) {
		snprintf(m->env[k++], sizeof m->env[0], "WARD_FD=3");
		snprintf(m->env[k++], sizeof m->env[0], "WARD_TASK=%s", t->task);
		snprintf(m->env[k++], sizeof m->env[0], "PYTHONDONTWRITEBYTECODE=1");
		snprintf(m->env[k++], sizeof m->env[0], "PYTHONUNBUFFERED=1");
	}
	k = egress_env(m, k);
	k = secret_env(m, t, k);
	k = el_ca_env(m, k, secret_dests(t));
	m->nenv = (uint32_t)k;
}

/* Start the agent of transaction i: socketpair, log pipe, sandbox. */
static int
start_agent(int i, const char *const *argv, int argc, const char *agent_dir,
	    int out, int err, const struct pf_profile *lim, char *why, size_t wl)
{
	struct tx *t = &txs[i];
	struct sp_msg *m;
	int sv[2], lp[2], j, k, rc, px = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(why, wl, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (pipe_cloexec(lp) != 0) {
		close(sv[0]);
		close(sv[1]);
		snprintf(why, wl, "pipe: %s", strerror(errno));
		return -1;
	}
	j = job_alloc(JOB_AGENT, i);
	m = calloc(1, sizeof *m);
	if (j < 0 || m == NULL) {
		free(m);
		close(sv[0]); close(sv[1]); close(lp[0]); close(lp[1]);
		snprintf(why, wl, "too many sandboxes at once");
		return -1;
	}
	m->id = (uint32_t)j;
	for (k = 0; k < argc && k < PF_MAX_ARGV; k++)
		snprintf(m->argv[k], sizeof m->argv[0], "%s", argv[k]);
	m->argc = (uint32_t)k;
	fill_env(m, t, 1);
	snprintf(m->workspace, sizeof m->workspace, "%s", t->ws);
	snprintf(m->agent_dir, sizeof m->agent_dir, "%s", agent_dir);
	snprintf(m->bin_dir, sizeof m->bin_dir, "%s", bin_dir);
	m->mem_bytes = lim->mem_bytes;
	m->tmp_bytes = lim->tmp_bytes;
	m->time_ms = lim->time_ms;
	m->pids = lim->pids;
	m->cpu = lim->cpu;
	/* No ward-egress: the agent runs without a proxy (fail closed). */
	eg_s = el_ensure(eg_s, sp_s);	/* started again after it died */
	if (el_attach(eg_s, (uint32_t)i, t->gen, j, t->ctx, secret_dests(t), m->ca,
		      sizeof m->ca, &px) != 0)
		px = -1;
	rc = spawn(m, out, err, lp[1], sv[1], px);
	free(m);
	close(sv[1]);
	if (px >= 0)
		close(px);
	if (rc != 0) {
		close(lp[1]);
		close(sv[0]);
		close(lp[0]);
		job_free(j);
		snprintf(why, wl, "the spawner is gone");
		return -1;
	}
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(lp[0], F_SETFL, O_NONBLOCK);
	t->afd = sv[0];
	t->logfd = lp[0];
	t->logw = lp[1];	/* exec sandboxes report here too */
	t->job = j;
	return 0;
}

/* ---- the tools ------------------------------------------------------------ */

static const char *
str_arg(json_t *args, const char *k)
{
	json_t *v = json_object_get(args, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The part of the workspace in which fs.write may create folders: the
 * handle's scope below /workspace ("" for all of it), or NULL when the
 * scope names no folder there. */
static const char *
fs_mkscope(const struct handle *h, char *buf, size_t cap)
{
	const char *sc = h->scope;
	size_t n;

	if (strcmp(sc, "*") == 0 || strcmp(sc, "/") == 0 ||
	    strcmp(sc, "/workspace") == 0 || strcmp(sc, "/workspace/") == 0)
		return "";
	if (strncmp(sc, "/workspace/", 11) != 0)
		return NULL;
	snprintf(buf, cap, "%s", sc + 11);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '/')
		buf[--n] = '\0';
	return buf;
}

static json_t *
t_fs(struct tx *t, const char *tool, json_t *args)
{
	char res[1024], err[600], mk[WARD_SCOPE_MAX + 1];
	const char *rel = NULL, *path = str_arg(args, "path"), *why = "io";
	const struct handle *h;
	int write = strcmp(tool, "fs.write") == 0;
	unsigned op = write ? WARD_OP_FS_WRITE : WARD_OP_FS_READ;
	struct wb_reply r;
	json_t *out = NULL, *v;

	if (path == NULL && strcmp(tool, "fs.list") != 0)
		return tool_err("invalid_params", 0, 0, "%s needs a string "
				"argument 'path'", tool);
	if (wt_resource(res, sizeof res, path, &rel) != 0)
		return tool_err("invalid_params", 0, 0, "path too long");
	h = pick(t, tool, res);
	if (h == NULL)
		return not_granted(t, tool, op, res, args);
	if (approve(t, h, op, res, tool, args, &out, &r) != 0)
		return out;
	if (rel == NULL)	/* approved outside the workspace: never served */
		return tool_err("outside_workspace", r.audit_pos, 1, "%s is "
				"outside the workspace", res);
	if (write) {
		const char *data = str_arg(args, "content");

		if (data == NULL)
			return tool_err("invalid_params", 0, 0, "fs.write needs a "
					"string argument 'content'");
		if (wt_fs_write(t->wsfd, rel, fs_mkscope(h, mk, sizeof mk), data,
				strlen(data), &why, err, sizeof err))
			return tool_err(why, 0, 0, "%s", err);
		wrote_add(t, rel, data, strlen(data));
		snprintf(err, sizeof err, "wrote %zu bytes to %s", strlen(data), res);
		return tool_ok(json_pack("{s:s, s:I, s:I}", "path", res, "bytes",
				 (json_int_t)strlen(data), "audit_pos",
				 (json_int_t)r.audit_pos), err);
	}
	if (strcmp(tool, "fs.read") == 0) {
		v = wt_fs_read(t->wsfd, rel, &why, err, sizeof err);
		if (v == NULL)
			return tool_err(why, 0, 0, "%s", err);
		out = tool_ok(NULL, json_string_value(v));
		json_decref(v);
		return out;
	}
	v = strcmp(tool, "fs.list") == 0 ? wt_fs_list(t->wsfd, rel, err, sizeof err) :
	    wt_fs_stat(t->wsfd, rel, err, sizeof err);
	if (v == NULL)
		return tool_err("io", 0, 0, "%s", err);
	{
		char *s = json_dumps(v, JSON_COMPACT);
		json_t *sc = json_is_array(v) ? json_pack("{s:o}", "entries", v) : v;

		out = tool_ok(sc, s != NULL ? s : "");
		free(s);
	}
	return out;
}

static json_t *
t_echo(struct tx *t, json_t *args)
{
	struct handle *h = pick(t, "echo", "echo");
	struct wb_reply r;
	json_t *out = NULL;
	char *s;

	if (h == NULL)
		return not_granted(t, "echo", WARD_OP_TOOL_INVOKE, "echo", args);
	if (approve(t, h, WARD_OP_TOOL_INVOKE, "echo", "echo", args, &out, &r))
		return out;
	s = json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY);
	out = tool_ok(NULL, s != NULL ? s : "");
	free(s);
	return out;
}

static int
mem_res(struct tx *t, char *res, size_t cap, const char *key)
{
	size_t i;

	if (key == NULL || key[0] == '\0')
		return -1;
	for (i = 0; key[i] != '\0'; i++)
		if (key[i] < 0x21 || key[i] > 0x7e)
			return -1;
	return (size_t)snprintf(res, cap, "/mem/%s/%s", t->sid, key) < cap ? 0 : -1;
}

static json_t *
t_memory(struct tx *t, const char *tool, json_t *args)
{
	int write = strcmp(tool, "memory.write") == 0;
	unsigned op = write ? WARD_OP_MEM_WRITE : WARD_OP_MEM_READ;
	const char *key = str_arg(args, "key");
	char res[512];
	struct handle *h;
	struct wb_reply r;
	json_t *out = NULL, *v;

	if (mem_res(t, res, sizeof res, key) != 0)
		return tool_err("invalid_params", 0, 0, "%s needs 'key': printable "
				"ASCII without spaces", tool);
	h = pick(t, tool, res);
	if (h == NULL)
		return not_granted(t, tool, op, res, args);
	if (approve(t, h, op, res, tool, args, &out, &r) != 0)
		return out;
	if (write) {
		const char *val = str_arg(args, "value");

		if (val == NULL)
			return tool_err("invalid_params", 0, 0, "memory.write needs "
					"a string 'value'");
		if (json_object_size(t->mem) >= 1024 || strlen(val) > 65536)
			return tool_err("memory_full", 0, 0, "the partition holds at "
					"most 1024 keys of 64 KiB");
		json_object_set_new(t->mem, key, json_string(val));
		return tool_ok(json_pack("{s:s, s:b}", "key", key, "staged", 1),
			       "staged; persisted when the transaction ends well");
	}
	v = json_object_get(t->mem, key);
	if (v == NULL)
		return tool_err("no_such_key", 0, 0, "no key %s in this "
				"transaction's memory", key);
	return tool_ok(NULL, json_string_value(v));
}

#define EXEC_PER_TX 8
static json_t *exec_start(struct tx *t, json_t *id, const char *const *argv,
			  int argc, int fd3, int llm, int *deferred);

static json_t *
t_exec(struct tx *t, json_t *id, json_t *args, int *deferred)
{
	json_t *av = json_object_get(args, "argv"), *out = NULL;
	const char *argv[PF_MAX_ARGV + 48];
	char res[WARD_SCOPE_MAX + 8];
	struct handle *h;
	struct wb_reply r;
	int argc = 0, k;
	size_t n;

	if (!json_is_array(av) || (n = json_array_size(av)) == 0 ||
	    n > PF_MAX_ARGV + 48)
		return tool_err("invalid_params", 0, 0, "exec needs 'argv': an "
				"array of 1 to 64 strings");
	for (k = 0; k < (int)n; k++) {
		json_t *a = json_array_get(av, (size_t)k);

		if (!json_is_string(a) || json_string_length(a) > 255)
			return tool_err("invalid_params", 0, 0, "argv[%d] must be a "
					"string of at most 255 bytes", k);
		argv[argc++] = json_string_value(a);
	}
	if (argv[0][0] != '/')
		return tool_err("invalid_params", 0, 0, "argv[0] must be an "
				"absolute path, as the capability names it");
	if (wt_exec_resource(res, sizeof res, argv, argc) != 0)
		return tool_err("invalid_params", 0, 0, "the command line is "
				"longer than a capability can name (200 bytes)");
	h = pick(t, "exec", res);
	if (h == NULL)
		return not_granted(t, "exec", WARD_OP_EXEC, res, args);
	if (approve(t, h, WARD_OP_EXEC, res, "exec", args, &out, &r) != 0)
		return out;
	return exec_start(t, id, argv, argc, -1, 0, deferred);
}

/* Start an exec sandbox of transaction t running argv (approved by the
 * caller); fd3, if not -1, becomes its fd 3 (taken); llm marks the
 * 'ward-call llm' of llm.complete.  NULL with *deferred: answered when
 * it ends (job_exited). */
static json_t *
exec_start(struct tx *t, json_t *id, const char *const *argv, int argc,
	   int fd3, int llm, int *deferred)
{
	struct sp_msg *m;
	int po[2], pe[2], lp[2], j, k, px = -1, mine = 0;

	/* One session cannot take the sandboxes (and ward-egress's
	 * connections, a listener each) from the others. */
	for (k = 0; k < JOB_MAX; k++)
		mine += jobs[k].used && jobs[k].kind == JOB_EXEC &&
			jobs[k].tx == (int)(t - txs);
	if (mine >= EXEC_PER_TX) {
		if (fd3 >= 0)
			close(fd3);
		return tool_err("busy", 0, 0, "this session runs %d sandboxes "
				"(exec, llm.complete) already; at most %d at once",
				mine, EXEC_PER_TX);
	}
	if (pipe_cloexec(po) != 0) {
		if (fd3 >= 0)
			close(fd3);
		return tool_err("io", 0, 0, "pipe: %s", strerror(errno));
	}
	if (pipe_cloexec(pe) != 0) {
		close(po[0]); close(po[1]);
		if (fd3 >= 0)
			close(fd3);
		return tool_err("io", 0, 0, "pipe: %s", strerror(errno));
	}
	lp[0] = -1;
	lp[1] = t->logw >= 0 ? fcntl(t->logw, F_DUPFD_CLOEXEC, 0) :
		open("/dev/null", O_WRONLY | O_CLOEXEC);
	j = job_alloc(JOB_EXEC, (int)(t - txs));
	m = calloc(1, sizeof *m);
	if (j < 0 || m == NULL) {
		free(m);
		close(po[0]); close(po[1]); close(pe[0]); close(pe[1]);
		close(lp[1]);
		if (fd3 >= 0)
			close(fd3);
		if (j >= 0)
			job_free(j);
		return tool_err("busy", 0, 0, "too many sandboxes at once");
	}
	m->id = (uint32_t)j;
	for (k = 0; k < argc; k++)
		snprintf(m->argv[k], sizeof m->argv[0], "%s", argv[k]);
	m->argc = (uint32_t)argc;
	fill_env(m, t, 0);	/* no WARD_FD: exec gets no socket */
	snprintf(m->workspace, sizeof m->workspace, "%s", t->ws);
	snprintf(m->bin_dir, sizeof m->bin_dir, "%s", bin_dir);
	m->mem_bytes = 256ull << 20;
	m->tmp_bytes = 16ull << 20;
	/* A model may take minutes to answer; a program gets 30 s. */
	m->time_ms = llm ? 300000 : 30000;
	m->pids = 32;
	m->cpu = 100;
	/* An exec sandbox has the proxy too, its own listener in its own
	 * namespace, under the same context. */
	eg_s = el_ensure(eg_s, sp_s);	/* started again after it died */
	if (el_attach(eg_s, (uint32_t)(t - txs), t->gen, j, t->ctx, secret_dests(t),
		      m->ca, sizeof m->ca, &px) != 0)
		px = -1;
	k = spawn(m, po[1], pe[1], lp[1], fd3, px);
	if (px >= 0)
		close(px);
	if (fd3 >= 0)
		close(fd3);
	free(m);
	close(po[1]);
	close(pe[1]);
	close(lp[1]);
	if (k != 0) {
		close(po[0]);
		close(pe[0]);
		job_free(j);
		return tool_err("spawner_gone", 0, 0, "cannot start the sandbox");
	}
	fcntl(po[0], F_SETFL, O_NONBLOCK);
	fcntl(pe[0], F_SETFL, O_NONBLOCK);
	jobs[j].outfd = po[0];
	jobs[j].errfd = pe[0];
	jobs[j].rpc_id = json_incref(id);
	jobs[j].llm = llm;
	*deferred = 1;
	return NULL;
}

/* llm.complete: one tool.invoke approval, then 'ward-call llm' in a fresh
 * sandbox of the transaction sends the request to the profile's endpoint
 * through ward-egress, with the key's placeholder in the API's header
 * (ward-egress puts the value there, after its own secret.use approval).
 * The request goes in as fd 3 (a sealed memfd); the answer comes back on
 * its stdout (llm_done).  The broker counts the tokens the API reports
 * against the profile's budget, and logs the model and the counts. */
static json_t *
t_llm(struct tx *t, json_t *id, json_t *args, int *deferred)
{
	static const char *const argv[] = { "/ward/ward-call", "llm" };
	json_t *msgs = json_object_get(args, "messages"), *out = NULL, *body, *rq;
	json_t *tools = json_object_get(args, "tools"), *mt;
	const char *sys = str_arg(args, "system");
	int anth = strcmp(t->llm.api, "anthropic") == 0, fd;
	struct handle *h;
	struct wb_reply r;
	char hv[100], url[WARD_SCOPE_MAX + 40], *txt;
	uint64_t max = t->llm.max_tokens;
	size_t len;

	if (!t->llm.set)
		return not_granted(t, "llm.complete", WARD_OP_TOOL_INVOKE,
				   "llm.complete", args);
	if (!json_is_array(msgs) || json_array_size(msgs) == 0 ||
	    (tools != NULL && !json_is_array(tools)) ||
	    (json_object_get(args, "system") != NULL && sys == NULL))
		return tool_err("invalid_params", 0, 0, "llm.complete needs "
				"'messages' (an array, in the %s API's format); "
				"'tools' is an array, 'system' a string", t->llm.api);
	mt = json_object_get(args, "max_tokens");
	if (json_is_integer(mt) && json_integer_value(mt) > 0 &&
	    (uint64_t)json_integer_value(mt) < max)
		max = (uint64_t)json_integer_value(mt);
	if (t->llm.spent >= t->llm.budget)
		return tool_err("token_budget", 0, 0, "llm.complete: this session "
				"has spent %llu of its %llu tokens (the profile's "
				"budget); nothing was sent",
				(unsigned long long)t->llm.spent,
				(unsigned long long)t->llm.budget);
	h = pick(t, "llm.complete", "llm.complete");
	if (h == NULL)
		return not_granted(t, "llm.complete", WARD_OP_TOOL_INVOKE,
				   "llm.complete", args);
	if (approve(t, h, WARD_OP_TOOL_INVOKE, "llm.complete", "llm.complete",
		    args, &out, &r) != 0)
		return out;
	body = json_pack("{s:s, s:O, s:I}", "model", t->llm.model, "messages",
			 msgs, "max_tokens", (json_int_t)max);
	if (tools != NULL)
		json_object_set(body, "tools", tools);
	if (sys != NULL && anth)
		json_object_set_new(body, "system", json_string(sys));
	else if (sys != NULL) {
		json_t *m2 = json_array();

		json_array_append_new(m2, json_pack("{s:s, s:s}", "role", "system",
						    "content", sys));
		json_array_extend(m2, msgs);
		json_object_set_new(body, "messages", m2);
	}
	snprintf(url, sizeof url, "http://%s%s", t->llm.dest,
		 anth ? "/v1/messages" : "/v1/chat/completions");
	snprintf(hv, sizeof hv, "%sward-secret-%s", anth ? "" : "Bearer ",
		 t->llm.key);
	rq = json_pack("{s:s, s:s, s:s, s:o}", "url", url, "header",
		       anth ? "x-api-key" : "Authorization", "value", hv,
		       "body", body);
	if (anth)
		json_object_set_new(rq, "version", json_string("2023-06-01"));
	txt = json_dumps(rq, JSON_COMPACT);
	json_decref(rq);
	if (txt == NULL)
		return tool_err("internal", 0, 0, "llm.complete: out of memory");
	len = strlen(txt);
	fd = memfd_create("llm-request", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || write(fd, txt, len) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) != 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
		  F_SEAL_SEAL) != 0) {
		free(txt);
		if (fd >= 0)
			close(fd);
		return tool_err("io", 0, 0, "llm.complete: memfd: %s",
				strerror(errno));
	}
	free(txt);
	return exec_start(t, id, argv, 2, fd, 1, deferred);
}

/* The answer of 'ward-call llm': {"status": N, "body": "..."} on its
 * stdout.  The tokens the API reports are counted and logged (the model,
 * in and out); the body goes back to the agent as the API sent it. */
static json_t *
llm_done(struct tx *t, const char *out, size_t len, const char *err)
{
	json_t *o = out != NULL ? json_loadb(out, len, 0, NULL) : NULL;
	json_t *b = NULL, *u, *res;
	const char *body = o != NULL ? str_arg(o, "body") : NULL;
	json_int_t st = o != NULL ? json_integer_value(json_object_get(o, "status")) : 0;
	uint64_t in = 0, outt = 0;
	struct wb_reply r;
	char text[256];

	if (body == NULL) {
		json_decref(o);
		return tool_err("llm_failed", 0, 0, "llm.complete: no answer from "
				"%s: %s", t->llm.dest, err != NULL && *err ? err :
				"the request did not complete");
	}
	b = json_loads(body, 0, NULL);
	u = b != NULL ? json_object_get(b, "usage") : NULL;
	if (u != NULL) {
		json_int_t a = json_integer_value(json_object_get(u, "prompt_tokens")) +
			       json_integer_value(json_object_get(u, "input_tokens"));
		json_int_t c = json_integer_value(json_object_get(u,
				"completion_tokens")) + json_integer_value(
				json_object_get(u, "output_tokens"));

		in = a > 0 ? (uint64_t)a : 0;
		outt = c > 0 ? (uint64_t)c : 0;
	}
	t->llm.spent += in + outt;
	snprintf(text, sizeof text, "llm.complete %s model=%s status=%lld "
		 "input_tokens=%llu output_tokens=%llu spent=%llu/%llu",
		 t->llm.dest, t->llm.model, (long long)st,
		 (unsigned long long)in, (unsigned long long)outt,
		 (unsigned long long)t->llm.spent,
		 (unsigned long long)t->llm.budget);
	if (cc_log(core_s, t->ctx, text, &r) != 0)
		core_reconnect();
	if (st < 200 || st > 299 || b == NULL)
		res = tool_err("llm_failed", 0, 0, "llm.complete: %s answered "
			       "%lld: %.300s", t->llm.dest, (long long)st, body);
	else
		res = tool_ok(json_incref(b), body);
	json_decref(b);
	json_decref(o);
	return res;
}

static void
drain(int *fd, char **buf, size_t *len)
{
	char tmp[4096];
	ssize_t n;

	if (*fd < 0)
		return;
	for (;;) {
		n = read(*fd, tmp, sizeof tmp);
		if (n > 0) {
			size_t keep = *len + (size_t)n > OUT_MAX ? OUT_MAX - *len :
				      (size_t)n;
			char *nb;

			if (keep == 0)
				continue;
			nb = realloc(*buf, *len + keep + 1);
			if (nb == NULL)
				continue;
			*buf = nb;
			memcpy(*buf + *len, tmp, keep);
			*len += keep;
			(*buf)[*len] = '\0';
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			close(*fd);
			*fd = -1;
		}
		return;
	}
}

/* spawn_child: an attenuated chain, a child context and a child sandbox.
 * args: { "run": [argv...], "task": "...", "tools": [ {"tool": "fs.read",
 * "scope": "/workspace/sub", "uses": 3}, ... ] } */
static json_t *
t_spawn(struct tx *t, json_t *id, json_t *args, int *deferred)
{
	json_t *run = json_object_get(args, "run"), *tools = json_object_get(args,
		"tools"), *out = NULL;
	const char *argv[PF_MAX_ARGV];
	struct pf_profile lim;
	uint8_t cctx[WARD_CTX_BYTES];
	struct wb_reply r;
	char why[256];
	int argc = 0, ci, k, n;
	size_t i;

	if (!json_is_array(run) || json_array_size(run) == 0 ||
	    json_array_size(run) > PF_MAX_ARGV || !json_is_array(tools) ||
	    json_array_size(tools) == 0 || json_array_size(tools) > PF_MAX_CAPS)
		return tool_err("invalid_params", 0, 0, "spawn_child needs 'run' "
				"(argv, 1..16 strings) and 'tools' (1..32 of "
				"{tool, scope, uses})");
	for (i = 0; i < json_array_size(run); i++) {
		json_t *a = json_array_get(run, i);

		if (!json_is_string(a))
			return tool_err("invalid_params", 0, 0, "run[%zu] is not a "
					"string", i);
		argv[argc++] = json_string_value(a);
	}
	ci = tx_alloc();
	if (ci < 0)
		return tool_err("busy", 0, 0, "too many transactions");
	randombytes_buf(cctx, sizeof cctx);
	memcpy(txs[ci].ctx, cctx, sizeof cctx);
	wb_hex(txs[ci].sid, cctx, sizeof cctx);
	txs[ci].parent = (int)(t - txs);
	n = 0;
	for (i = 0; i < json_array_size(tools); i++) {
		json_t *d = json_array_get(tools, i), *u;
		const char *tool = str_arg(d, "tool"), *scope = str_arg(d, "scope");
		struct handle *ph = NULL, *chh;
		struct wb_blk *cb;
		int k2, best = -1;

		/* The parent's handle to delegate from: a delegable one that
		 * covers the scope asked for, else any delegable one, else any
		 * (the core then says why not). */
		for (k2 = 0; tool != NULL && k2 < t->nh; k2++) {
			struct handle *c = &t->h[k2];
			int rank;

			if (strcmp(c->tool, tool) != 0)
				continue;
			rank = (c->delegate ? 2 : 0) +
			       (scope == NULL || covers(c, scope) ? 1 : 0);
			if (ph == NULL || rank > best) {
				ph = c;
				best = rank;
			}
		}
		if (ph == NULL) {
			out = not_granted(t, tool != NULL ? tool : "?",
					  WARD_OP_TOOL_INVOKE, tool != NULL ?
					  tool : "?", args);
			goto fail;
		}
		if (ph->ch.n >= WARD_CHAIN_MAX) {
			out = tool_err("chain_too_long", 0, 0, "cannot delegate %s "
				       "further", tool);
			goto fail;
		}
		chh = &txs[ci].h[n];
		*chh = *ph;
		chh->delegate = 0;
		cb = &chh->ch.blk[chh->ch.n];
		cb->b = ph->ch.blk[ph->ch.n - 1].b;
		memcpy(cb->b.parent, ph->ch.blk[ph->ch.n - 1].id, WARD_ID_BYTES);
		memcpy(cb->b.issuer, bk_pk, 32);
		memcpy(cb->b.holder, bk_pk, 32);
		memcpy(cb->b.context, cctx, WARD_CTX_BYTES);
		/* What the agent asks for, as asked: if it is more than the
		 * parent holds, the core refuses the delegation. */
		if (scope != NULL) {
			snprintf((char *)cb->b.scope, sizeof cb->b.scope + 0, "%.*s",
				 (int)WARD_SCOPE_MAX - 1, scope);
			cb->b.scope_len = (uint16_t)strlen((char *)cb->b.scope);
			snprintf(chh->scope, sizeof chh->scope, "%s", scope);
		}
		u = json_object_get(d, "uses");
		if (json_is_integer(u) && json_integer_value(u) > 0 &&
		    json_integer_value(u) <= 0xffffffffLL)
			cb->b.max_uses = (uint32_t)json_integer_value(u);
		if (json_is_true(json_object_get(d, "delegate")))
			cb->b.r_delegate = 1;
		else
			cb->b.r_delegate = 0;
		cb->b.depth = cb->b.depth > 0 ? (uint8_t)(cb->b.depth - 1) : 0;
		if (wb_seal(cb, bk_sk) != 0) {
			out = tool_err("internal", 0, 0, "cannot seal the delegation");
			goto fail;
		}
		/* The core checks each delegation; the first one opens the
		 * child's context, a descendant of ours. */
		if (cc_attenuate(core_s, &ph->ch, cb, n == 0, &r) != 0) {
			core_reconnect();
			out = tool_err("core_unreachable", 0, 0, "spawn_child: "
				       "ward-core did not answer; nothing was done");
			goto fail;
		}
		if (r.reason != 0) {
			t->refusals++;
			out = tool_err(cc_reason_name(r.reason), r.audit_pos, 1,
				       "spawn_child: delegation of %s refused: %s",
				       tool, r.detail);
			if (r.reason == WARD_E_CONTEXT_UNKNOWN && n == 0)
				tx_context_gone(t, "context_closed");
			goto fail;
		}
		chh->ch.n++;
		chh->uses = cb->b.max_uses;
		n++;
	}
	txs[ci].nh = n;
	/* The child's own copy of its parent's: what it changes reaches the
	 * parent's copy only when it ends well, each change approved under
	 * the child's capabilities (tx_commit), never its parent's. */
	memcpy(txs[ci].kids, t->kids, sizeof txs[ci].kids);
	{
		char sidc[sizeof txs[ci].sid];

		memcpy(sidc, txs[ci].sid, sizeof sidc);
		snprintf(txs[ci].live, sizeof txs[ci].live, "%s/%s", t->kids,
			 sidc);
	}
	why[0] = '\0';
	errno = 0;
	txs[ci].realfd = fcntl(t->wsfd, F_DUPFD_CLOEXEC, 0);
	if (txs[ci].realfd < 0 || mkdir(txs[ci].live, 0700) != 0 ||
	    (txs[ci].wsfd = wt_live_make(txs[ci].realfd, txs[ci].live, why,
					 sizeof why)) < 0) {
		if (why[0] == '\0')
			snprintf(why, sizeof why, "cannot make the child's copy "
				 "%s: %s", txs[ci].live, strerror(errno));
		out = tool_err("spawn_failed", 0, 0, "spawn_child: %s", why);
		goto fail;
	}
	memcpy(txs[ci].ws, txs[ci].live, sizeof txs[ci].ws - 1);
	txs[ci].ws[sizeof txs[ci].ws - 1] = '\0';
	snprintf(txs[ci].task, sizeof txs[ci].task, "%s",
		 str_arg(args, "task") != NULL ? str_arg(args, "task") : "");
	memset(&lim, 0, sizeof lim);
	lim.mem_bytes = 128ull << 20;
	lim.tmp_bytes = 16ull << 20;
	lim.time_ms = 60000;
	lim.pids = 32;
	lim.cpu = 100;
	memcpy(txs[ci].agent_dir, t->agent_dir, sizeof txs[ci].agent_dir);
	{
		/* The child's output goes where its parent's goes. */
		int o = fcntl(jobs[t->job].outfd, F_DUPFD_CLOEXEC, 0);
		int e = fcntl(jobs[t->job].errfd, F_DUPFD_CLOEXEC, 0);

		if (o < 0)
			o = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (e < 0)
			e = open("/dev/null", O_WRONLY | O_CLOEXEC);
		k = start_agent(ci, argv, argc, txs[ci].agent_dir, o, e, &lim, why,
				sizeof why);
		if (k == 0) {
			jobs[txs[ci].job].outfd = o;
			jobs[txs[ci].job].errfd = e;
		} else {
			close(o);
			close(e);
		}
	}
	if (k != 0) {
		out = tool_err("spawn_failed", 0, 0, "%s", why);
		goto fail;
	}
	txs[ci].wait_parent = (int)(t - txs);
	txs[ci].wait_id = json_incref(id);
	*deferred = 1;
	return NULL;
fail:
	if (n > 0 && !txs[ci].closed) {
		if (cc_close(core_s, txs[ci].ctx, &txs[ci].h[0].ch, &r) != 0)
			core_reconnect();
	}
	txs[ci].closed = 1;
	txs[ci].nh = 0;
	tx_end(ci);
	return out;
}

static json_t *
t_log(struct tx *t, json_t *args)
{
	const char *text = str_arg(args, "text");
	struct wb_reply r;
	char buf[300];

	if (text == NULL)
		return tool_err("invalid_params", 0, 0, "log needs a string 'text'");
	if (!log_rate(t))
		return tool_err("log_rate", 0, 0, "log: more than %u lines this "
				"minute; this one was not written (the count is)",
				LOG_RATE_MAX);
	snprintf(buf, sizeof buf, "agent: %.240s", text);
	if (cc_log(core_s, t->ctx, buf, &r) != 0) {
		core_reconnect();
		return tool_err("core_unreachable", 0, 0, "ward-core did not answer; "
				"the event was not logged");
	}
	if (r.reason != 0) {
		if (r.reason == WARD_E_CONTEXT_UNKNOWN)
			tx_context_gone(t, "context_closed");
		return tool_err(cc_reason_name(r.reason), r.audit_pos, 1, "log: %s",
				r.detail);
	}
	return tool_ok(json_pack("{s:I}", "audit_pos", (json_int_t)r.audit_pos),
		       "logged");
}

/* ---- MCP -------------------------------------------------------------------- */

struct tool_doc {
	const char *name, *desc, *schema;
};

static const struct tool_doc docs[] = {
	{ "fs.read", "Read a text file of the workspace.",
	  "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"]}" },
	{ "fs.write", "Write a file of the workspace (whole, atomically).",
	  "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"},\"content\":{\"type\":\"string\"}},\"required\":[\"path\",\"content\"]}" },
	{ "fs.list", "List a folder of the workspace.",
	  "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}}}" },
	{ "fs.stat", "Describe a file of the workspace.",
	  "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"]}" },
	{ "exec", "Run a program in a fresh sandbox (argv[0] absolute).",
	  "{\"type\":\"object\",\"properties\":{\"argv\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},\"required\":[\"argv\"]}" },
	{ "memory.read", "memory_read: a key of this transaction's memory.",
	  "{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"}},\"required\":[\"key\"]}" },
	{ "memory.write", "memory_write: stage a key, persisted when the transaction ends well.",
	  "{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"},\"value\":{\"type\":\"string\"}},\"required\":[\"key\",\"value\"]}" },
	{ "echo", "Return the arguments (a trivial tool).",
	  "{\"type\":\"object\"}" },
	{ "net", "Network access goes through the egress proxy (HTTP_PROXY).",
	  "{\"type\":\"object\"}" },
	{ "llm.complete", "Ask the model the profile names: messages (and optionally tools, system, max_tokens) in the profile's API's format; returns the API's answer. Tokens are counted against the session's budget.",
	  "{\"type\":\"object\",\"properties\":{\"messages\":{\"type\":\"array\"},\"tools\":{\"type\":\"array\"},\"system\":{\"type\":\"string\"},\"max_tokens\":{\"type\":\"integer\"}},\"required\":[\"messages\"]}" },
};

static json_t *
tools_list(struct tx *t)
{
	json_t *arr = json_array();
	size_t d;
	int i, deleg = 0;

	for (d = 0; d < sizeof docs / sizeof docs[0]; d++) {
		json_t *hs = json_array();

		for (i = 0; i < t->nh; i++) {
			char idh[17];

			if (strcmp(t->h[i].tool, docs[d].name) != 0)
				continue;
			wb_hex(idh, t->h[i].ch.blk[t->h[i].ch.n - 1].id, 8);
			json_array_append_new(hs, json_pack("{s:s, s:s, s:i}",
				"handle", idh, "scope", t->h[i].scope, "uses",
				(int)t->h[i].uses));
			deleg |= t->h[i].delegate;
		}
		if (json_array_size(hs) == 0) {
			json_decref(hs);
			continue;
		}
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:{s:o}}",
			"name", docs[d].name, "description", docs[d].desc,
			"inputSchema", json_loads(docs[d].schema, 0, NULL),
			"_meta", "ward/handles", hs));
	}
	json_array_append_new(arr, json_pack("{s:s, s:s, s:{s:s, s:{s:{s:s}}, s:[s]}}",
		"name", "log", "description", "log: append an agent-reported event "
		"to the audit log.", "inputSchema", "type", "object", "properties",
		"text", "type", "string", "required", "text"));
	if (deleg)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:{s:s}}",
			"name", "spawn_child", "description", "spawn_child: run a "
			"child agent with an attenuated subset of these handles "
			"(args: run, task, tools=[{tool, scope, uses}]).",
			"inputSchema", "type", "object"));
	return json_pack("{s:o}", "tools", arr);
}

/* Run one tool.  NULL with *deferred set: answered later (an approval in
 * flight, or an exec or spawn_child sandbox running). */
static json_t *
dispatch(struct tx *t, json_t *id, const char *name, json_t *args,
	 int *deferred)
{
	json_t *res;

	deferred_now = 0;
	current_id = id;
	current_is_call = 1;
	if (strcmp(name, "fs.read") == 0 || strcmp(name, "fs.write") == 0 ||
	    strcmp(name, "fs.list") == 0 || strcmp(name, "fs.stat") == 0)
		res = t_fs(t, name, args);
	else if (strcmp(name, "echo") == 0)
		res = t_echo(t, args);
	else if (strcmp(name, "memory.read") == 0 ||
		 strcmp(name, "memory.write") == 0)
		res = t_memory(t, name, args);
	else if (strcmp(name, "exec") == 0)
		res = t_exec(t, id, args, deferred);
	else if (strcmp(name, "llm.complete") == 0)
		res = t_llm(t, id, args, deferred);
	else if (strcmp(name, "spawn_child") == 0)
		res = t_spawn(t, id, args, deferred);
	else if (strcmp(name, "log") == 0)
		res = t_log(t, args);
	else {
		/* Not a tool ward serves: still the core's decision, and
		 * logged, like any other call of an ungranted tool. */
		char tn[WARD_SCOPE_MAX + 1];
		size_t i;

		snprintf(tn, sizeof tn, "%s", name);
		for (i = 0; tn[i] != '\0'; i++)
			if (tn[i] < 0x21 || tn[i] > 0x7e)
				tn[i] = '?';
		res = not_granted(t, tn[0] ? tn : "?", WARD_OP_TOOL_INVOKE,
				  tn[0] ? tn : "?", args);
	}
	current_is_call = 0;
	current_id = NULL;
	if (deferred_now)
		*deferred = 1;
	deferred_now = 0;
	return res;
}

static void
handle_call(struct tx *t, json_t *id, json_t *params)
{
	const char *name = str_arg(params, "name");
	json_t *args = json_object_get(params, "arguments"), *res = NULL;
	int deferred = 0;

	if (name == NULL) {
		agent_send(t, mcp_error(id, MCP_INVALID_PARAMS, "tools/call "
					"needs a string \"name\""));
		return;
	}
	if (args == NULL)
		args = json_object();
	else if (!json_is_object(args)) {
		agent_send(t, mcp_error(id, MCP_INVALID_PARAMS, "tools/call: "
					"\"arguments\" must be an object"));
		return;
	} else
		json_incref(args);
	t->calls++;
	n_calls++;
	res = dispatch(t, id, name, args, &deferred);
	json_decref(args);
	if (!deferred)
		rpc_result(t, id, res);
}

/* Keep a call the core holds for the operator: 0, or -1 when the table
 * (or the transaction's share of it) is full, and the call is answered
 * with the core's reply (deferred) as a refusal. */
static int
park(struct pend *p)
{
	int k, free_k = -1, mine = 0;

	for (k = 0; k < PARK_N; k++) {
		if (!parks[k].used) {
			if (free_k < 0)
				free_k = k;
		} else if (parks[k].tx == p->tx && parks[k].gen == p->gen) {
			mine++;
		}
	}
	if (free_k < 0 || mine >= PARK_PER_TX)
		return -1;
	parks[free_k] = *p;		/* takes over its id and args */
	parks[free_k].cs = -1;
	parks[free_k].sent = mono_ns();
	parks[free_k].until = p->r.pending_deadline + PARK_GRACE_S;
	p->id = p->args = NULL;
	note("session %s: %s %s waits for the operator (call %llu)",
	     txs[p->tx].sid, p->tool, p->res,
	     (unsigned long long)p->r.pending_id);
	return 0;
}

/* Send each parked call again when its second has passed (the core
 * answers at once: still deferred, or its decision), and give up on one
 * whose deadline is long past (the core's answer never came). */
static void
park_tick(void)
{
	uint64_t now = mono_ns(), wall = (uint64_t)time(NULL);
	int k, deferred;

	for (k = 0; k < PARK_N; k++) {
		struct pend *p = &parks[k];
		struct tx *t = &txs[p->tx];
		json_t *res;

		if (!p->used || now - p->sent < PARK_EVERY_NS)
			continue;
		if (!t->used || t->gen != p->gen || t->cut != NULL) {
			json_decref(p->id);
			json_decref(p->args);
			memset(p, 0, sizeof *p);
			continue;
		}
		if (wall > p->until) {
			t->refusals++;
			rpc_result(t, p->id, tool_err("deferred_expired", 0, 0,
				   "%s %s: no answer from ward-core after the "
				   "operator's deadline; nothing was done",
				   p->tool, p->res));
			json_decref(p->id);
			json_decref(p->args);
			memset(p, 0, sizeof *p);
			continue;
		}
		resending = p;
		resend_busy = 0;
		deferred = 0;
		res = dispatch(t, p->id, p->tool, p->args, &deferred);
		resending = NULL;
		if (resend_busy) {
			p->sent = now;	/* every socket busy: next tick */
			json_decref(res);
			continue;
		}
		if (!deferred)
			rpc_result(t, p->id, res);
		json_decref(p->id);
		json_decref(p->args);
		memset(p, 0, sizeof *p);
	}
}

/* The core answered an approval in flight (or did not, in time): run the
 * call again with the answer, and reply to the agent. */
static void
finish_pend(int k)
{
	struct pend *p = &pends[k];
	struct tx *t = &txs[p->tx];
	json_t *res;
	int deferred = 0;

	csocks[p->cs].pend = -1;
	if (p->logline) {
		/* A held line: written (or refused: the context closed). */
		if (!p->answered)
			note("ward-core did not answer for a line of ward-egress; "
			     "it may not be logged");
		goto out;
	}
	if (!t->used || t->gen != p->gen || t->cut != NULL) {
		/* The transaction ended (or was cut off) meanwhile: nothing
		 * to do or answer. */
		goto out;
	}
	if (p->egress) {
		egress_answer(t, p->eg_req, p->op, p->res,
			      p->answered ? &p->r : NULL);
		goto out;
	}
	if (p->answered && p->r.reason == WR_DEFERRED && p->id != NULL &&
	    park(p) == 0)
		goto out;	/* the call stays open: park_tick sends it again */
	replaying = p;
	if (p->id == NULL) {
		/* A network report: the core's decision is all there was. */
		json_t *o = NULL;
		struct wb_reply r;

		(void)approve(t, NULL, p->op, p->res, p->tool, p->args, &o, &r);
		json_decref(o);
		replaying = NULL;
		goto out;
	}
	res = dispatch(t, p->id, p->tool, p->args, &deferred);
	replaying = NULL;
	if (!deferred)
		rpc_result(t, p->id, res);
out:
	json_decref(p->id);
	json_decref(p->args);
	memset(p, 0, sizeof *p);
}

static void
cs_readable(int k)
{
	void *buf = NULL;
	int n = nn_recv(csocks[k].s, &buf, NN_MSG, NN_DONTWAIT);
	struct pend *p;

	if (n < 0)
		return;
	if (csocks[k].pend < 0) {
		nn_freemsg(buf);
		return;
	}
	p = &pends[csocks[k].pend];
	p->answered = cc_parse_reply(buf, (size_t)n, &p->r) == 0;
	nn_freemsg(buf);
	finish_pend(csocks[k].pend);
}

/* Approvals not answered in time: refused (the core is down or stuck). */
static void
cs_expire(void)
{
	uint64_t now = mono_ns();
	int k;

	for (k = 0; k < CS_N; k++) {
		if (csocks[k].pend < 0 || now - pends[csocks[k].pend].sent <
		    CS_TIMEOUT_NS)
			continue;
		pends[csocks[k].pend].answered = 0;
		finish_pend(csocks[k].pend);
		cs_reset(k);	/* a late answer must not meet a new request */
	}
}

static void
m_initialize(void *ctx, struct mcp_msg *m)
{
	agent_send(ctx, mcp_initialize(m->id, m->params, 0, "ward broker",
		"Every tool call is approved by ward-core and logged; "
		"refusals carry a reason and an audit position."));
}

static void
m_ping(void *ctx, struct mcp_msg *m)
{
	rpc_result(ctx, m->id, json_object());
}

static void
m_tools_list(void *ctx, struct mcp_msg *m)
{
	rpc_result(ctx, m->id, tools_list(ctx));
}

static void
m_tools_call(void *ctx, struct mcp_msg *m)
{
	if (!json_is_object(m->params))
		agent_send(ctx, mcp_error(m->id, MCP_INVALID_PARAMS,
					  "tools/call needs a string \"name\""));
	else
		handle_call(ctx, m->id, m->params);
}

/* What an agent may ask (its notifications are all ignored). */
static const struct mcp_method agent_methods[] = {
	{ "initialize", m_initialize },
	{ "ping", m_ping },
	{ "tools/list", m_tools_list },
	{ "tools/call", m_tools_call },
	{ NULL, NULL },
};

static void
handle_line(struct tx *t, const char *line, size_t len)
{
	struct mcp_msg m;
	json_t *reply;

	switch (mcp_parse(line, len, &m, &reply)) {
	case MCP_BAD:
		agent_send(t, reply);
		return;
	case MCP_REQUEST:	/* a notification is never answered */
		if (!mcp_dispatch(agent_methods, t, &m, &reply))
			agent_send(t, reply);
		break;
	default:	/* a response (we ask nothing), nothing */
		break;
	}
	mcp_msg_free(&m);
}

/* Handle the complete lines the agent has sent, one by one, while its
 * replies have room (backpressure): what is left waits in t->in, and what
 * is not read yet in the socket, until the agent reads its replies down. */
static void
agent_lines(int i)
{
	struct tx *t = &txs[i];
	char *line;
	size_t len;
	int k;

	while (t->used && t->afd >= 0 && !t->overflow && !oq_over(&t->out) &&
	       (k = mcp_in_next(&t->in, &line, &len)) != 0) {
		if (k == 2)	/* answered once, dropped to its end */
			agent_send(t, mcp_too_long(LINE_MAX_BYTES));
		else
			handle_line(t, line, len);
	}
}

static void
agent_readable(int i)
{
	struct tx *t = &txs[i];
	int rounds = 0;

	while (rounds++ < 16 && t->used && t->afd >= 0 && !t->rdeof &&
	       !t->overflow && !oq_over(&t->out)) {
		/* 0 with rdeof: the agent shut its end (it may still run, and
		 * read what is owed to it), or it is gone. */
		long n = mcp_in_fill(&t->in, t->afd);

		t->rdeof = t->in.eof;
		if (n <= 0)
			return;
		agent_lines(i);
	}
}

/* POLLOUT (or a hang-up) on an agent's socket: send what is queued; back
 * under the cap, the lines already read come first. */
static void
agent_writable(int i)
{
	struct tx *t = &txs[i];

	oq_flush(&t->out, t->afd);
	if (!oq_over(&t->out) && mcp_in_pending(&t->in) > 0)
		agent_lines(i);
}

/* An agent that does not read its replies: the broker stopped reading its
 * requests when they reached OUTQ_AGENT_CAP, and it has not read them down
 * in OUTQ_STALL_MS -- or a reply would take them past OUTQ_AGENT_HARD.  Its
 * transaction ends as a revoked one does: the context is closed at the
 * core, the reason logged there and here, the sandbox killed (tx_end
 * follows when the spawner reports it gone).  No other transaction waits
 * on it at any point. */
static void
tx_cut_off(int i)
{
	struct tx *t = &txs[i];
	struct wb_reply r;
	char why[160], text[220];

	if (t->cut != NULL)
		return;
	t->cut = "agent_not_reading";
	if (t->overflow)
		snprintf(why, sizeof why, "transaction cut off, reason="
			 "agent_not_reading: %zu bytes of replies unread, and "
			 "the next would pass the limit", oq_pending(&t->out));
	else
		snprintf(why, sizeof why, "transaction cut off, reason="
			 "agent_not_reading: %zu bytes of replies unread for "
			 "%u s, its requests no longer read",
			 oq_pending(&t->out), OUTQ_STALL_MS / 1000u);
	snprintf(text, sizeof text, "broker: %s", why);
	fprintf(stderr, "ward-broker: session %s: %s\n", t->sid, why);
	if (!t->closed && t->nh > 0) {
		if (cc_log(core_s, t->ctx, text, &r) != 0)
			core_reconnect();
		tx_egress_detach(i);
		hold_drain(t);
		if (cc_close(core_s, t->ctx, &t->h[0].ch, &r) != 0)
			core_reconnect();
		t->closed = 1;
	}
	if (t->afd >= 0)
		close(t->afd);
	t->afd = -1;
	oq_free(&t->out);
	mcp_in_free(&t->in);
	spawn_job_kill(t->job);
}

/* "BLOCKED net.connect 10.0.0.1:443 reason=proxy_bypass" from a sandbox: a
 * connect that went around the egress proxy, refused by the sandbox
 * already.  It goes to the audit log as it is -- one event, one reason,
 * whatever the context holds -- and never to the core as a request: an
 * approval would count a use of a net capability for a connection that
 * was never made. */
static void
net_report(struct tx *t, const char *line)
{
	char dest[WARD_SCOPE_MAX + 1], text[WARD_SCOPE_MAX + 96];
	const char *p = strstr(line, "net.");
	struct wb_reply r;
	const char *what;
	size_t k = 0;

	if (p == NULL)
		return;
	what = strncmp(p, "net.send ", 9) == 0 ? "net.send" : "net.connect";
	p = strchr(p, ' ');
	if (p == NULL)
		return;
	p++;
	while (*p != '\0' && *p != ' ' && k < WARD_SCOPE_MAX) {
		dest[k++] = (*p > 0x20 && *p < 0x7f) ? *p : '?';
		p++;
	}
	dest[k] = '\0';
	if (k == 0)
		snprintf(dest, sizeof dest, "unknown");
	t->refusals++;
	snprintf(text, sizeof text, "sandbox: BLOCKED %s %s reason=%s", what, dest,
		 WB_REASON_PROXY_BYPASS);
	if (cc_log(core_s, t->ctx, text, &r) != 0)
		core_reconnect();
}

/* ---- ward-egress (egress_link.c) ---------------------------------------------- */

/* One question of ward-egress: approve net.connect dest for the
 * transaction in slot/gen, with ward-egress's digest, and pass on the
 * core's answer as it came (ward-egress checks it under the core's key);
 * or a line for the transaction's audit log. */
/* The core's answer to ward-egress's question req (r NULL: no answer),
 * passed on as it came: ward-egress checks it under the core's key. */
static void
egress_answer(struct tx *t, uint32_t req, unsigned op, const char *dest,
	      const struct wb_reply *r)
{
	struct egw_msg *m = calloc(1, sizeof *m);
	const char *what = op == WARD_OP_SECRET_USE ? "secret.use" :
			   "net.connect";

	if (m == NULL)
		return;
	m->op = EGW_ANSWER;
	m->eop = op;
	m->slot = (uint32_t)(t - txs);
	m->gen = t->gen;
	m->req = req;
	snprintf(m->dest, sizeof m->dest, "%s", dest);
	if (r == NULL) {
		t->refusals++;
		m->reason = -1;
		snprintf(m->text, sizeof m->text, "%s %s: ward-core did not "
			 "answer; nothing was done (ward fails closed)", what, dest);
	} else if (r->reason != 0) {
		t->refusals++;
		m->reason = r->reason;
		m->audit_pos = r->audit_pos;
		snprintf(m->text, sizeof m->text, "%s %s refused: %s (%s); "
			 "audit position %llu", what, dest,
			 cc_reason_name(r->reason), r->detail,
			 (unsigned long long)r->audit_pos);
		if (r->reason == WARD_E_CONTEXT_UNKNOWN)
			tx_context_gone(t, "context_closed");
	} else if (!r->has_approval || r->apr_len > sizeof m->apr ||
		   r->sealed_len > sizeof m->sealed ||
		   (op == WARD_OP_SECRET_USE && r->sealed_len == 0)) {
		m->reason = -1;
		snprintf(m->text, sizeof m->text, "%s %s: no approval in the "
			 "core's answer", what, dest);
	} else {
		m->audit_pos = r->audit_pos;
		m->apr_len = (uint32_t)r->apr_len;
		memcpy(m->apr, r->apr_msg, r->apr_len);
		memcpy(m->sig, r->apr_sig, sizeof m->sig);
		/* Opaque here: sealed to ward-egress's key by the core. */
		m->sealed_len = (uint32_t)r->sealed_len;
		memcpy(m->sealed, r->sealed, r->sealed_len);
	}
	if (el_send(eg_s, m) != 0)
		note("ward-egress did not take an answer");
	free(m);
}

/* One question of ward-egress: approve net.connect dest for the
 * transaction in slot/gen, with ward-egress's digest (asynchronously when
 * a core socket is idle: the answer goes out in finish_pend); or a line
 * for the transaction's audit log. */
static void
egress_msg(struct egw_msg *m)
{
	struct tx *t = m->slot < TX_MAX ? &txs[m->slot] : NULL;
	struct handle *h;
	struct wb_reply r;
	uint8_t buf[8192];
	uint64_t nonce;
	unsigned op;
	long len;
	int k;

	if (m->op == EGW_CA)
		return;		/* late: el_attach waited for it */
	if (t == NULL || !t->used || t->gen != m->gen || t->nh == 0) {
		if (m->op != EGW_ASK)
			return;
		m->op = EGW_ANSWER;
		m->reason = -1;
		snprintf(m->text, sizeof m->text, "net.connect: the session has ended");
		if (el_send(eg_s, m) != 0)
			note("ward-egress did not take an answer");
		return;
	}
	if (m->op == EGW_LOG) {
		/* A closed connection's line follows an approval (a use); the
		 * rest (refusals before any question) are rate-limited. */
		m->text[sizeof m->text - 1] = '\0';
		if (strncmp(m->text, "egress: closed ", 15) != 0 && !log_rate(t))
			return;
		if (!t->closed)
			hold_add(t, m->text);
		return;
	}
	if (m->op != EGW_ASK)
		return;
	/* net.connect of host:port, or secret.use of NAME@host:port/header
	 * for a placeholder ward-egress found: either way the core decides
	 * under this transaction's capabilities, and logs. */
	op = m->eop == WARD_OP_SECRET_USE ? WARD_OP_SECRET_USE :
	     WARD_OP_NET_CONNECT;
	m->dest[sizeof m->dest - 1] = '\0';
	h = pick(t, op == WARD_OP_SECRET_USE ? "secret" : "net", m->dest);
	if (h == NULL)
		h = &t->h[0];	/* cannot cover it: the core refuses and logs */
	t->calls++;
	nonce = ++t->nonce;
	for (k = 0; k < CS_N; k++)
		if (csocks[k].s >= 0 && csocks[k].pend < 0 && !pends[k].used)
			break;
	len = k < CS_N ? cc_pack_approve(buf, sizeof buf, t->ctx, &h->ch,
					 op, m->dest, m->digest, nonce) : -1;
	if (len >= 0 && nn_send(csocks[k].s, buf, (size_t)len, NN_DONTWAIT) >= 0) {
		struct pend *p = &pends[k];

		memset(p, 0, sizeof *p);
		p->used = 1;
		p->egress = 1;
		p->eg_req = m->req;
		p->tx = (int)(t - txs);
		p->gen = t->gen;
		p->op = op;
		snprintf(p->res, sizeof p->res, "%s", m->dest);
		p->nonce = nonce;
		p->sent = mono_ns();
		p->cs = k;
		csocks[k].pend = k;
		hold_kick();
		return;
	}
	/* Every core socket busy: ask and wait. */
	if (cc_approve(core_s, t->ctx, &h->ch, op, m->dest, m->digest, nonce,
		       &r) != 0) {
		core_reconnect();
		egress_answer(t, m->req, op, m->dest, NULL);
		return;
	}
	egress_answer(t, m->req, op, m->dest, &r);
}

static void
egress_readable(void)
{
	struct egw_msg *m = calloc(1, sizeof *m);
	int rc = 0, k;

	if (m == NULL)
		return;
	/* A bounded batch: the other peers get their turn. */
	for (k = 0; k < 64 && (rc = el_recv(eg_s, m)) == 0; k++)
		egress_msg(m);
	if (rc < 0)
		eg_s = el_lost(eg_s);	/* fail closed; started again later */
	free(m);
}

static void
log_readable(int i)
{
	struct tx *t = &txs[i];
	ssize_t n;

	for (;;) {
		char *nl;

		n = read(t->logfd, t->logbuf + t->loglen,
			 sizeof t->logbuf - 1 - t->loglen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0) {
				close(t->logfd);
				t->logfd = -1;
			}
			return;
		}
		t->loglen += (size_t)n;
		t->logbuf[t->loglen] = '\0';
		while ((nl = strchr(t->logbuf, '\n')) != NULL) {
			*nl = '\0';
			if (strncmp(t->logbuf, "BLOCKED", 7) == 0)
				net_report(t, t->logbuf);
			memmove(t->logbuf, nl + 1, t->loglen - (size_t)(nl + 1 -
				t->logbuf) + 1);
			t->loglen = strlen(t->logbuf);
		}
		if (t->loglen == sizeof t->logbuf - 1)
			t->loglen = 0;	/* a line that long is not a report */
	}
}

/* ---- the spawner's reports -------------------------------------------------- */

/* An exec's output as a JSON string: bytes that are not UTF-8 become
 * U+FFFD, so that the reply stays valid JSON whatever the program wrote. */
static json_t *
out_json(const char *buf, size_t len)
{
	size_t cap = 3 * len + 1, n;
	char *u = malloc(cap);
	json_t *j = NULL;

	if (u != NULL && text_utf8_lossy(u, cap, &n, buf, len) == 0)
		j = json_stringn(u, n);
	free(u);
	return j != NULL ? j : json_string("");
}

/* How a sandbox ended, in words: "exit 128", "signal KILL", "timeout". */
static void
end_words(char *w, size_t cap, int end, int code)
{
	const char *sig = end == SP_END_SIGNAL ? sigabbrev_np(code) : NULL;

	if (end == SP_END_EXIT)
		snprintf(w, cap, "exit %d", code);
	else if (end == SP_END_SIGNAL && sig != NULL)
		snprintf(w, cap, "signal %s", sig);
	else if (end == SP_END_SIGNAL)
		snprintf(w, cap, "signal %d", code);
	else if (end == SP_END_TIMEOUT)
		snprintf(w, cap, "timeout");
	else if (end == SP_END_KILLED)
		snprintf(w, cap, "killed");
	else
		snprintf(w, cap, "setup_failed");
}

static void
job_exited(int j, int end, int code)
{
	struct job *jb = &jobs[j];
	char how[32];

	if (j < 0 || j >= JOB_MAX || !jb->used)
		return;
	end_words(how, sizeof how, end, code);
	if (jb->tx >= 0 && jb->tx < TX_MAX && txs[jb->tx].used)
		el_detach(eg_s, (uint32_t)jb->tx, txs[jb->tx].gen, j);
	if (jb->kind == JOB_AGENT) {
		int i = jb->tx;
		struct tx *t = &txs[i];

		job_free(j);
		if (!t->used)
			return;
		t->job = -1;
		t->finished = 1;
		/* One number for ward run's exit status and the memory commit:
		 * the status of an agent that exited, else as a shell says it
		 * (128 + signal, 124 timeout, 143 killed, 125 never started);
		 * t->end says which. */
		t->end = end;
		t->code = end == SP_END_EXIT ? code : end == SP_END_SIGNAL ?
			  128 + code : end == SP_END_TIMEOUT ? 124 :
			  end == SP_END_KILLED ? 128 + SIGTERM : 125;
		snprintf(t->how, sizeof t->how, "%s", how);
		/* Requests still in the socket are answered first. */
		if (t->afd >= 0)
			agent_readable(i);
		if (t->logfd >= 0)
			log_readable(i);
		{
			/* The child's changes reach its parent's copy (tx_end,
			 * tx_commit) before the parent hears it ended. */
			int wp = t->wait_parent;
			uint32_t wgen = wp >= 0 ? txs[wp].gen : 0;
			json_t *wid = json_incref(t->wait_id);
			char text[128], sid[sizeof t->sid];
			json_t *sc;

			memcpy(sid, t->sid, sizeof sid);
			sc = json_pack("{s:s, s:s, s:b}", "session", sid, "ended", how,
				       "ok", end == SP_END_EXIT && code == 0);
			json_object_set_new(sc, "exit_code", end == SP_END_EXIT ?
					    json_integer(code) : json_null());
			snprintf(text, sizeof text, "child %s ended: %s", sid, how);
			tx_end(i);
			if (wp >= 0 && txs[wp].used && txs[wp].gen == wgen && wid != NULL)
				rpc_result(&txs[wp], wid, tool_ok(sc, text));
			else
				json_decref(sc);
			json_decref(wid);
		}
		return;
	}
	/* exec: the status whole (0-255) or the signal, each on its own,
	 * and stdout and stderr apart. */
	drain(&jb->outfd, &jb->out, &jb->outlen);
	drain(&jb->errfd, &jb->err, &jb->errlen);
	if (jb->llm && txs[jb->tx].used && txs[jb->tx].afd >= 0) {
		rpc_result(&txs[jb->tx], jb->rpc_id, end == SP_END_EXIT &&
			   code == 0 ? llm_done(&txs[jb->tx], jb->out, jb->outlen,
			   jb->err) : tool_err("llm_failed", 0, 0, "llm.complete: "
			   "the request ended: %s: %.300s", how,
			   jb->err != NULL ? jb->err : ""));
	} else if (txs[jb->tx].used && txs[jb->tx].afd >= 0) {
		json_t *o = out_json(jb->out, jb->outlen);
		json_t *e = out_json(jb->err, jb->errlen);
		json_t *sc, *res;
		char *text;
		size_t tl;

		if (end == SP_END_SETUP) {
			res = tool_err("sandbox", 0, 0, "the sandbox could not start: "
				       "%s", json_string_value(e));
		} else {
			const char *sig = end == SP_END_SIGNAL ? sigabbrev_np(code) : NULL;

			sc = json_pack("{s:s, s:b, s:O, s:O}", "ended", how, "ok",
				       end == SP_END_EXIT && code == 0, "stdout", o,
				       "stderr", e);
			json_object_set_new(sc, "exit_code", end == SP_END_EXIT ?
					    json_integer(code) : json_null());
			json_object_set_new(sc, "signal", end != SP_END_SIGNAL ?
					    json_null() : sig != NULL ?
					    json_string(sig) : json_integer(code));
			tl = strlen(how) + json_string_length(o) + 2;
			text = malloc(tl);
			if (text != NULL)
				snprintf(text, tl, "%s\n%s", how, json_string_value(o));
			res = tool_ok(sc, text != NULL ? text : how);
			free(text);
		}
		rpc_result(&txs[jb->tx], jb->rpc_id, res);
		json_decref(o);
		json_decref(e);
	}
	job_free(j);
}

static void
spawner_readable(void)
{
	struct sp_msg *m = malloc(sizeof *m);
	int fds[4], nfds = 0, k;

	if (m == NULL)
		return;
	if (sp_recv(sp_s, m, fds, &nfds) != 0) {
		free(m);
		die("the spawner is gone; stopping (every sandbox dies with it)");
	}
	for (k = 0; k < nfds; k++)
		close(fds[k]);
	if (m->op == SP_EXITED)
		job_exited((int)m->id, m->end, m->code);
	free(m);
}

/* ---- the control socket (the ward CLI) ------------------------------------- */

static int
recv_fds(int fd, char *buf, size_t cap, int *fds, int *nfds)
{
	return (int)fdio_recv(fd, buf, cap, fds, 2, nfds, MSG_DONTWAIT);
}

static int
load_chain(struct wb_chain *ch, json_t *blocks)
{
	size_t i;

	if (!json_is_array(blocks) || json_array_size(blocks) == 0 ||
	    json_array_size(blocks) > WARD_CHAIN_MAX)
		return -1;
	memset(ch, 0, sizeof *ch);
	for (i = 0; i < json_array_size(blocks); i++) {
		const char *hx = json_string_value(json_array_get(blocks, i));
		long n = wb_unhex_var(ch->blk[i].raw, sizeof ch->blk[i].raw, hx);

		if (n <= 0)
			return -1;
		ch->blk[i].len = (uint32_t)n;
		if (wb_unseal(&ch->blk[i]) != 0)
			return -1;
	}
	ch->n = (uint32_t)json_array_size(blocks);
	return 0;
}

static void
ctl_run(struct ctl *c, json_t *q, int *fds, int nfds)
{
	json_t *caps = json_object_get(q, "caps"), *argvj = json_object_get(q,
		"argv");
	const char *ctxh = str_arg(q, "context"), *ws = str_arg(q, "workspace"),
		*agent_dir = str_arg(q, "agent_dir"), *task = str_arg(q, "task");
	const char *argv[PF_MAX_ARGV];
	struct pf_profile lim;
	struct wb_reply r;
	char why[300];
	int i, argc = 0, k;
	struct tx *t;
	size_t n;

	if (nfds != 2 || ctxh == NULL || ws == NULL || !json_is_array(caps) ||
	    json_array_size(caps) == 0 || json_array_size(caps) > PF_MAX_CAPS ||
	    !json_is_array(argvj) || json_array_size(argvj) == 0 ||
	    json_array_size(argvj) > PF_MAX_ARGV) {
		send_ctl(c, json_pack("{s:b, s:s}", "ok", 0, "error",
			 "malformed run request (context, workspace, caps, argv "
			 "and two fds are required)"));
		return;
	}
	i = tx_alloc();
	if (i < 0) {
		send_ctl(c, json_pack("{s:b, s:s}", "ok", 0, "error",
			 "the broker is full (256 transactions)"));
		return;
	}
	t = &txs[i];
	if (wb_unhex(t->ctx, WARD_CTX_BYTES, ctxh) != 0 || tx_find(ctxh) != NULL) {
		t->nh = 0;
		tx_end(i);
		send_ctl(c, json_pack("{s:b, s:s}", "ok", 0, "error",
			 "bad or duplicate context id"));
		return;
	}
	wb_hex(t->sid, t->ctx, WARD_CTX_BYTES);
	for (n = 0; n < json_array_size(caps); n++) {
		json_t *cj = json_array_get(caps, n);
		struct handle *h = &t->h[t->nh];
		const char *tool = str_arg(cj, "tool");

		if (pf_tool_op(tool, &h->kind, &h->op) != 0 ||
		    load_chain(&h->ch, json_object_get(cj, "blocks")) != 0) {
			snprintf(why, sizeof why, "capability %zu is malformed", n);
			goto fail;
		}
		snprintf(h->tool, sizeof h->tool, "%s", tool);
		{
			const struct ward_block *lb = &h->ch.blk[h->ch.n - 1].b;

			memcpy(h->scope, lb->scope, lb->scope_len);
			h->scope[lb->scope_len] = '\0';
			h->uses = lb->max_uses;
			h->delegate = lb->r_delegate;
		}
		t->nh++;
	}
	for (n = 0; n < json_array_size(argvj); n++) {
		argv[argc] = json_string_value(json_array_get(argvj, n));
		if (argv[argc] == NULL) {
			snprintf(why, sizeof why, "argv[%zu] is not a string", n);
			goto fail;
		}
		argc++;
	}
	memset(&t->llm, 0, sizeof t->llm);
	if (json_is_object(json_object_get(q, "llm"))) {
		json_t *l = json_object_get(q, "llm");
		const char *api = str_arg(l, "api"), *dest = str_arg(l, "dest"),
			   *model = str_arg(l, "model"), *key = str_arg(l, "key");
		json_int_t mt = json_integer_value(json_object_get(l, "max_tokens")),
			   bu = json_integer_value(json_object_get(l, "budget"));

		if (api == NULL || dest == NULL || model == NULL || key == NULL ||
		    strlen(dest) > WARD_SCOPE_MAX || strlen(model) >= 128 ||
		    strlen(key) > 64 || mt <= 0 || bu <= 0 ||
		    (strcmp(api, "openai") != 0 && strcmp(api, "anthropic") != 0)) {
			snprintf(why, sizeof why, "malformed llm line");
			goto fail;
		}
		t->llm.set = 1;
		snprintf(t->llm.api, sizeof t->llm.api, "%s", api);
		snprintf(t->llm.dest, sizeof t->llm.dest, "%s", dest);
		snprintf(t->llm.model, sizeof t->llm.model, "%s", model);
		snprintf(t->llm.key, sizeof t->llm.key, "%s", key);
		t->llm.max_tokens = (uint64_t)mt;
		t->llm.budget = (uint64_t)bu;
	}
	snprintf(t->ws, sizeof t->ws, "%s", ws);
	snprintf(t->agent_dir, sizeof t->agent_dir, "%s",
		 agent_dir != NULL ? agent_dir : "");
	snprintf(t->task, sizeof t->task, "%s", task != NULL ? task : "");
	t->wsfd = open(ws, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (t->wsfd < 0) {
		snprintf(why, sizeof why, "cannot open the workspace %s: %s", ws,
			 strerror(errno));
		goto fail;
	}
	/* The sandboxes and the fs tools see a copy; the workspace changes
	 * only at the end, change by approved change (tx_commit). */
	snprintf(t->live, sizeof t->live, "%s.live", ws);
	snprintf(t->kids, sizeof t->kids, "%s.kids", ws);
	t->realfd = t->wsfd;
	t->wsfd = wt_live_make(t->realfd, t->live, why, sizeof why);
	if (t->wsfd < 0) {
		t->live[0] = '\0';
		goto fail;
	}
	memcpy(t->ws, t->live, sizeof t->ws - 1);	/* what sandboxes see */
	t->ws[sizeof t->ws - 1] = '\0';
	/* The core opens the context from the operator's grant. */
	if (cc_open_ctx(core_s, &t->h[0].ch, &r) != 0) {
		core_reconnect();
		snprintf(why, sizeof why, "ward-core did not answer on %s",
			 H.broker_url);
		t->closed = 1;
		goto fail;
	}
	if (r.reason != 0) {
		snprintf(why, sizeof why, "ward-core refused to open the context: "
			 "%s (%s, audit #%llu)", r.detail, cc_reason_name(r.reason),
			 (unsigned long long)r.audit_pos);
		t->closed = 1;
		goto fail;
	}
	memset(&lim, 0, sizeof lim);
	lim.mem_bytes = (uint64_t)json_integer_value(json_object_get(q, "memory"));
	lim.tmp_bytes = (uint64_t)json_integer_value(json_object_get(q, "tmp"));
	lim.time_ms = (uint64_t)json_integer_value(json_object_get(q, "time_ms"));
	lim.pids = (uint32_t)json_integer_value(json_object_get(q, "pids"));
	lim.cpu = (uint32_t)json_integer_value(json_object_get(q, "cpu"));
	if (lim.mem_bytes == 0) lim.mem_bytes = 256ull << 20;
	if (lim.tmp_bytes == 0) lim.tmp_bytes = 16ull << 20;
	if (lim.time_ms == 0) lim.time_ms = 60000;
	if (lim.pids == 0) lim.pids = 64;
	if (lim.cpu == 0) lim.cpu = 100;
	k = start_agent(i, argv, argc, t->agent_dir, fds[0], fds[1], &lim, why,
			sizeof why);
	if (k != 0)
		goto fail;
	/* Kept for the children this agent may spawn (not polled). */
	jobs[t->job].outfd = fcntl(fds[0], F_DUPFD_CLOEXEC, 0);
	jobs[t->job].errfd = fcntl(fds[1], F_DUPFD_CLOEXEC, 0);
	t->ctl = c->fd;
	send_ctl(c, json_pack("{s:b, s:s, s:i}", "ok", 1, "session", t->sid,
		 "handles", t->nh));
	note("session %s started", t->sid);
	return;
fail:
	send_ctl(c, json_pack("{s:b, s:s}", "ok", 0, "error", why));
	t->code = -1;
	t->ctl = -1;
	tx_end(i);
}

static json_t *
list_sessions(void)
{
	json_t *arr = json_array();
	int i, k;

	for (i = 0; i < TX_MAX; i++) {
		struct tx *t = &txs[i];
		json_t *hs;

		if (!t->used)
			continue;
		hs = json_array();
		for (k = 0; k < t->nh; k++) {
			char idh[65];

			wb_hex(idh, t->h[k].ch.blk[t->h[k].ch.n - 1].id, 32);
			json_array_append_new(hs, json_pack("{s:s, s:s, s:s, s:i}",
				"tool", t->h[k].tool, "scope", t->h[k].scope, "id",
				idh, "uses", (int)t->h[k].uses));
		}
		json_array_append_new(arr, json_pack("{s:s, s:s?, s:i, s:i, s:I, s:o}",
			"session", t->sid, "parent", t->parent >= 0 ?
			txs[t->parent].sid : NULL, "calls", (int)t->calls,
			"refused", (int)t->refusals, "started",
			(json_int_t)t->started, "handles", hs));
	}
	return arr;
}

static void
ctl_line(struct ctl *c, const char *line, int *fds, int *nfds)
{
	json_t *q = json_loads(line, 0, NULL);
	const char *op = str_arg(q, "op");
	char hx[65];
	int k;

	if (op == NULL) {
		send_ctl(c, json_pack("{s:b, s:s}", "ok", 0, "error",
			 "not a request"));
	} else if (strcmp(op, "hello") == 0) {
		wb_hex(hx, bk_pk, 32);
		send_ctl(c, json_pack("{s:b, s:s, s:i, s:I, s:b}", "ok", 1, "key",
			 hx, "pid", (int)getpid(), "calls", (json_int_t)n_calls,
			 "egress", eg_s >= 0));
	} else if (strcmp(op, "run") == 0) {
		ctl_run(c, q, fds, *nfds);	/* the spawner has its own copies */
	} else if (strcmp(op, "list") == 0) {
		send_ctl(c, json_pack("{s:b, s:o}", "ok", 1, "sessions",
			 list_sessions()));
	} else if (strcmp(op, "stop") == 0) {
		/* 'ward revoke' of a session says "revoked": the agent's
		 * sandbox ends now, not at its next (refused) call. */
		const char *sid = str_arg(q, "session"), *why = str_arg(q, "reason");
		struct tx *t = sid != NULL && strlen(sid) == 2 * WARD_CTX_BYTES ?
			       tx_find(sid) : NULL;

		if (t != NULL && why != NULL && strcmp(why, "revoked") == 0)
			tx_context_gone(t, "revoked");
		else if (t != NULL)
			spawn_job_kill(t->job);
		send_ctl(c, json_pack("{s:b}", "ok", t != NULL));
	} else {
		send_ctl(c, json_pack("{s:b, s:s}", "ok", 0, "error",
			 "unknown op"));
	}
	for (k = 0; k < *nfds; k++)
		close(fds[k]);
	*nfds = 0;
	json_decref(q);
}

static void
ctl_close(int k)
{
	int i;

	for (i = 0; i < TX_MAX; i++)
		if (txs[i].used && txs[i].ctl == ctls[k]->fd) {
			/* ward run went away (Ctrl-C): its agent goes too. */
			txs[i].ctl = -1;
			spawn_job_kill(txs[i].job);
		}
	close(ctls[k]->fd);
	oq_free(&ctls[k]->out);
	free(ctls[k]);
	ctls[k] = NULL;
}

/* The requests in c->buf, one line each, while the answers have room;
 * fds (the run request's stdout and stderr) go with the first. */
static void
ctl_lines(struct ctl *c, int *fds, int *nfds)
{
	char *nl;

	while (!c->overflow && !oq_over(&c->out) &&
	       (nl = strchr(c->buf, '\n')) != NULL) {
		*nl = '\0';
		ctl_line(c, c->buf, fds, nfds);
		memmove(c->buf, nl + 1, c->len - (size_t)(nl + 1 - c->buf) + 1);
		c->len = strlen(c->buf);
	}
}

static void
ctl_readable(int k)
{
	struct ctl *c = ctls[k];
	int fds[2], nfds = 0, n;

	n = recv_fds(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, fds,
		     &nfds);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			oq_flush(&c->out, c->fd);	/* what it still takes */
			ctl_close(k);
		}
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	ctl_lines(c, fds, &nfds);
	for (n = 0; n < nfds; n++)
		close(fds[n]);
	if (c->len == sizeof c->buf - 1 && strchr(c->buf, '\n') == NULL)
		ctl_close(k);	/* a line longer than the buffer */
}

static void
ctl_writable(int k)
{
	struct ctl *c = ctls[k];
	int nfds = 0;

	oq_flush(&c->out, c->fd);
	if (!oq_over(&c->out))
		ctl_lines(c, NULL, &nfds);
}

static void
ctl_accept(void)
{
	int fd = accept4(ctl_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), k;

	if (fd < 0)
		return;
	for (k = 0; k < CTL_MAX; k++)
		if (ctls[k] == NULL) {
			ctls[k] = calloc(1, sizeof *ctls[k]);
			if (ctls[k] == NULL)
				break;
			ctls[k]->fd = fd;
			oq_init(&ctls[k]->out, OUTQ_CTL_CAP, OUTQ_CTL_HARD);
			return;
		}
	close(fd);
}

/* Does transaction i still owe its agent an answer (an approval in
 * flight, an exec or a child running)? */
static int
tx_owes(int i)
{
	int k;

	for (k = 0; k < CS_N; k++)
		if (pends[k].used && pends[k].tx == i && pends[k].gen ==
		    txs[i].gen && pends[k].id != NULL)
			return 1;
	for (k = 0; k < JOB_MAX; k++)
		if (jobs[k].used && jobs[k].kind == JOB_EXEC && jobs[k].tx == i)
			return 1;
	for (k = 0; k < TX_MAX; k++)
		if (txs[k].used && txs[k].wait_parent == i)
			return 1;
	return 0;
}

/* Peers that do not read what they are sent: cut off, each on its own.
 * An agent that shut its sending side gets its socket closed once it has
 * been sent every answer it is owed. */
static void
sweep_peers(void)
{
	int k;

	for (k = 0; k < TX_MAX; k++) {
		if (!txs[k].used || txs[k].afd < 0)
			continue;
		if (txs[k].overflow || oq_stalled(&txs[k].out, OUTQ_STALL_MS))
			tx_cut_off(k);
		else if (txs[k].rdeof && oq_pending(&txs[k].out) == 0 &&
			 !tx_owes(k)) {
			close(txs[k].afd);
			txs[k].afd = -1;
		}
	}
	for (k = 0; k < CTL_MAX; k++)
		if (ctls[k] != NULL && (ctls[k]->overflow ||
		    oq_stalled(&ctls[k]->out, OUTQ_STALL_MS))) {
			fprintf(stderr, "ward-broker: a control connection cut "
				"off, reason=ctl_not_reading: %zu bytes of "
				"answers unread\n", oq_pending(&ctls[k]->out));
			ctl_close(k);
		}
}

/* ---- start-up ---------------------------------------------------------------- */

/* The folder we were started from holds ward-call: the sandboxes get it
 * read-only at /ward.  Without it, shell agents cannot use
 * ward-call; MCP agents work all the same. */
static void
find_ward_call(void)
{
	char exe[PATH_MAX], src[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *s;

	bin_dir[0] = '\0';
	if (n <= 0)
		return;
	exe[n] = '\0';
	s = strrchr(exe, '/');
	if (s == NULL)
		return;
	*s = '\0';
	snprintf(src, sizeof src, "%s/ward-call", exe);
	if (access(src, X_OK) == 0 && strlen(exe) < sizeof bin_dir)
		snprintf(bin_dir, sizeof bin_dir, "%s", exe);
	else
		note("no ward-call for the sandboxes (%s)", src);
}

static void
load_key(void)
{
	char err[512];

	/* The broker's own key: holder of the grants it serves, issuer of the
	 * delegations it makes for spawn_child.  Fresh at every start: a
	 * grant is only ever for the broker that asked for it. */
	crypto_sign_keypair(bk_pk, bk_sk);
	if (wh_read_key(H.core_pub, core_pk, 32, err, sizeof err) != 0)
		die("%s", err);
	find_ward_call();
}

/* Our own folders, made as our account once we are it. */
static void
make_dirs(void)
{
	char path[WH_PATH + 64];

	snprintf(path, sizeof path, "%s/memory", H.bstate);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		die("cannot create %s: %s", path, strerror(errno));
}

/* One broker a home: the lock is ours as long as we run (flock: the
 * kernel drops it when we die), and it holds our pid for 'ward stop'.  A
 * second broker finds the first and goes, touching nothing (the control
 * socket is the first's). */
static void
take_home_lock(void)
{
	char pid[32];
	int fd = open(H.broker_lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		      0600);
	ssize_t n;

	if (fd < 0)
		die("cannot open %s: %s", H.broker_lock, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		die("another ward-broker (pid %s) already serves %s; not starting "
		    "a second one", pid[0] != '\0' ? pid : "?", H.home);
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		die("cannot write %s: %s", H.broker_lock, strerror(errno));
	/* Kept open, never closed: the lock lasts as long as we do. */
}

static int
listen_ctl(void)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old;

	snprintf(ctl_path, sizeof ctl_path, "%s", H.ctl);
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	if (fd < 0 || strlen(ctl_path) >= sizeof a.sun_path)
		die("cannot create the control socket %s (path too long?)", ctl_path);
	memcpy(a.sun_path, ctl_path, strlen(ctl_path) + 1);
	(void)unlink(ctl_path);
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0)
		die("cannot listen on %s: %s", ctl_path, strerror(errno));
	umask(old);
	return fd;
}

static int
usage(FILE *f)
{
	fprintf(f,
		"usage: ward-broker [--home DIR] [--verbose] [--no-confine]\n"
		"                   [--verify-approvals]\n"
		"\n"
		"The untrusted half of ward: serves agents (MCP over one socket per\n"
		"sandbox) and asks ward-core to approve every effect.  Listens for\n"
		"the ward CLI on $WARD_HOME/run/broker/broker.ctl.  'ward run' starts it\n"
		"when it is not running.  After start-up it confines itself\n"
		"(Landlock + seccomp); --no-confine skips that (debugging only).\n"
		"--verify-approvals checks the core's signature on each approval\n"
		"(its fields are always checked against the request).\n");
	return f == stdout ? 0 : 2;
}

int
main(int argc, char **argv)
{
	const char *dir = NULL;
	char err[512];
	pid_t sp_pid;
	struct sigaction sa;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--verbose") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "--no-confine") == 0)
			no_confine = 1;
		else if (strcmp(argv[i], "--verify-approvals") == 0)
			verify_sigs = 1;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout);
		else
			return usage(stderr);
	}
	/* A clean start: no inherited descriptors or environment, cwd /. */
	wp_daemon_start();
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	if (wh_resolve(&H, dir, err, sizeof err) != 0)
		die("%s", err);
	if (geteuid() == 0 && wh_layout(&H, 0, err, sizeof err) != 0)
		die("%s", err);
	load_key();
	signal(SIGPIPE, SIG_IGN);
	/* The spawner keeps the rights to build sandboxes (it is forked
	 * while we are still root); we drop ours: from here on this process
	 * is the broker's account, which can reach neither keys/ nor state/
	 * nor the core's admin socket. */
	sp_s = sp_start(&sp_pid, H.home, bin_dir);
	if (sp_s < 0)
		die("cannot start the spawner: %s", strerror(errno));
	/* ward-egress, started by the spawner (root): it becomes its own
	 * account; the spawner starts it again after it died (el_ensure). */
	el_ca_dir(H.run_broker);
	eg_s = el_spawn(sp_s);
	if (eg_s < 0)
		note("ward-egress not started: agents get no network at all");
	if (wp_drop(WP_BROKER_ACCOUNT, err, sizeof err) != 0)
		die("%s", err);
	make_dirs();
	take_home_lock();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	prctl(PR_SET_DUMPABLE, 0);
	ctl_listen = listen_ctl();
	/* Confinement comes before any thread exists: nanomsg starts its
	 * worker threads with the first socket, below. */
	if (!no_confine) {
		const char *rw[] = { H.run_broker, H.work, H.bstate, NULL };
		const char *ro[] = { H.pub, "/dev/null", "/dev/urandom", NULL };
		struct wp_profile prof = { rw, ro, 0 };

		if (wp_confine(&prof, err, sizeof err) != 0)
			die("cannot confine myself: %s (use --no-confine only to "
			    "debug)", err);
	}
	core_s = cc_connect(H.broker_url, 3000);
	if (core_s < 0)
		die("cannot create a socket to ward-core (%s)", H.broker_url);
	for (i = 0; i < CS_N; i++)
		cs_open(i);
	note("ready on %s", ctl_path);
	while (!stopping) {
		struct pollfd pf[1 + 1 + 1 + CS_N + CTL_MAX + 2 * TX_MAX + 2 * JOB_MAX];
		int who[sizeof pf / sizeof pf[0]];
		int n = 0, k, tmo;

		/* What changes the queues and the peers comes before the poll
		 * set is made from them: a message kept while el_attach
		 * waited, then the held audit lines (and the sockets they use). */
		if (el_pending())
			egress_readable();
		tmo = hold_tick(250);

		pf[n].fd = sp_s; pf[n].events = POLLIN; who[n++] = -1;
		for (k = 0; k < CS_N; k++)
			if (csocks[k].s >= 0 && csocks[k].pend >= 0) {
				pf[n].fd = csocks[k].fd; pf[n].events = POLLIN;
				who[n++] = 6000 + k;
			}
		pf[n].fd = ctl_listen; pf[n].events = POLLIN; who[n++] = -2;
		if (eg_s >= 0) {
			pf[n].fd = eg_s; pf[n].events = POLLIN; who[n++] = -3;
		}
		/* POLLIN only from peers whose answers are under their cap
		 * (backpressure), POLLOUT only for peers with bytes queued. */
		for (k = 0; k < CTL_MAX; k++)
			if (ctls[k] != NULL) {
				pf[n].fd = ctls[k]->fd;
				pf[n].events = (short)((oq_over(&ctls[k]->out) ? 0 :
					POLLIN) | (oq_pending(&ctls[k]->out) > 0 ?
					POLLOUT : 0));
				who[n++] = 1000 + k;
			}
		for (k = 0; k < TX_MAX; k++) {
			if (!txs[k].used)
				continue;
			if (txs[k].afd >= 0) {
				pf[n].fd = txs[k].afd;
				pf[n].events = (short)((txs[k].rdeof ||
					oq_over(&txs[k].out) ? 0 : POLLIN) |
					(oq_pending(&txs[k].out) > 0 ? POLLOUT : 0));
				who[n++] = 2000 + k;
			}
			if (txs[k].logfd >= 0) {
				pf[n].fd = txs[k].logfd; pf[n].events = POLLIN;
				who[n++] = 3000 + k;
			}
		}
		for (k = 0; k < JOB_MAX; k++) {
			if (!jobs[k].used || jobs[k].kind != JOB_EXEC)
				continue;
			if (jobs[k].outfd >= 0) {
				pf[n].fd = jobs[k].outfd; pf[n].events = POLLIN;
				who[n++] = 4000 + k;
			}
			if (jobs[k].errfd >= 0) {
				pf[n].fd = jobs[k].errfd; pf[n].events = POLLIN;
				who[n++] = 5000 + k;
			}
		}
		if (poll(pf, (nfds_t)n, tmo) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		for (k = 0; k < n; k++) {
			int w = who[k];

			if (pf[k].revents == 0)
				continue;
			if (w >= 6000) {
				if (csocks[w - 6000].fd == pf[k].fd &&
				    csocks[w - 6000].pend >= 0)
					cs_readable(w - 6000);
			} else if (w == -1)
				spawner_readable();
			else if (w == -2)
				ctl_accept();
			else if (w == -3) {
				if (eg_s == pf[k].fd)
					egress_readable();
			}
			else if (w < 2000) {
				int c = w - 1000;

				if (ctls[c] != NULL && ctls[c]->fd == pf[k].fd &&
				    (pf[k].revents & ~POLLIN) != 0 &&
				    oq_pending(&ctls[c]->out) > 0)
					ctl_writable(c);
				if (ctls[c] != NULL && ctls[c]->fd == pf[k].fd &&
				    (pf[k].revents & ~POLLOUT) != 0 &&
				    !oq_over(&ctls[c]->out))
					ctl_readable(c);
			} else if (w < 3000) {
				int x = w - 2000;

				if (txs[x].used && txs[x].afd == pf[k].fd &&
				    (pf[k].revents & ~POLLIN) != 0 &&
				    oq_pending(&txs[x].out) > 0)
					agent_writable(x);
				if (txs[x].used && txs[x].afd == pf[k].fd &&
				    (pf[k].revents & ~POLLOUT) != 0)
					agent_readable(x);
			} else if (w < 4000) {
				if (txs[w - 3000].used && txs[w - 3000].logfd == pf[k].fd)
					log_readable(w - 3000);
			} else if (w < 5000) {
				if (jobs[w - 4000].used)
					drain(&jobs[w - 4000].outfd, &jobs[w - 4000].out,
					      &jobs[w - 4000].outlen);
			} else if (jobs[w - 5000].used) {
				drain(&jobs[w - 5000].errfd, &jobs[w - 5000].err,
				      &jobs[w - 5000].errlen);
			}
		}
		cs_expire();
		park_tick();
		sweep_peers();
	}
	/* Stopping: every sandbox dies, every context closes. */
	for (i = 0; i < TX_MAX; i++)
		if (txs[i].used) {
			txs[i].code = 128 + SIGTERM;
			tx_end(i);
		}
	(void)unlink(ctl_path);
	return 0;
}
