/*
 * http.h -- ward mcp's Streamable HTTP transport for clients (MCP
 * 2025-11-25, "Transports"): one endpoint, /mcp, on a loopback address or
 * a unix socket, for the one session a gateway serves.
 *
 *   POST /mcp   one JSON-RPC message.  A request is answered with its
 *               response (application/json); a notification or a response
 *               with 202.  initialize opens the session and returns its
 *               Mcp-Session-Id, which every later request must carry.
 *   GET /mcp    a text/event-stream of what the gateway sends unasked
 *               (list_changed, progress, log messages, the servers'
 *               sampling and elicitation requests); what comes while no
 *               stream is open waits, 1 MiB at most.  Each event has an
 *               id; the latest 1 MiB of them are kept, and a GET with
 *               Last-Event-ID gets those after it again (resumability).
 *   DELETE /mcp ends the session (and the gateway).
 *
 * Every request needs "Authorization: Bearer TOKEN" (the token is made at
 * start and written to a file only the operator can read); a request
 * whose Origin or Host is not the listening address is refused (DNS
 * rebinding), as the specification asks.  Bodies up to 64 MiB, heads up
 * to 16 KiB, 32 connections, no chunked bodies.  Not part of the verified
 * core.
 */
#ifndef WARD_GW_HTTP_H
#define WARD_GW_HTTP_H

#include <poll.h>
#include <stddef.h>
#include <jansson.h>

/* Listen on addr ("127.0.0.1:PORT", "[::1]:PORT", "localhost:PORT" or
 * "unix:/PATH"; PORT 0 picks one) and write the bearer token to
 * token_path (0600).  0, or -1 with err. */
int http_start(const char *addr, const char *token_path, size_t body_max,
	       char *err, size_t errlen);
/* "http://127.0.0.1:PORT/mcp" (or the unix socket's path). */
const char *http_url(void);
/* The descriptors to poll: fills pf[0..] and tags[0..]; the count. */
int http_pollfds(struct pollfd *pf, int *tags, int max);
/* An event on a descriptor of http_pollfds. */
void http_event(int tag, short revents, long now_ms);
/* A message for the client: a response goes to the POST that waits for
 * it, anything else to the event stream.  m is stolen. */
void http_emit(json_t *m);
/* Connections that sent no complete request head in time are closed. */
void http_sweep(long now_ms);
void http_stop(void);

/* From the gateway: one message of the client's, as a line of stdio. */
void gw_client_line(const char *line, size_t len);
/* From the gateway: the session is over (DELETE). */
void gw_client_gone(void);
/* From the gateway: a line on stderr, "ward mcp: ...", escaped. */
void gw_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* WARD_GW_HTTP_H */
