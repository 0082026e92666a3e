/*
 * client.h -- the client side of the core's sockets, for the ward CLI and
 * the tests: a REQ socket, one call, and the operator's signed envelope.
 * Not part of the verified core.
 */
#ifndef WARD_SRV_CLIENT_H
#define WARD_SRV_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* A REQ socket connected to url; replies wait at most timeout_ms. */
int wc_open(const char *url, int timeout_ms) __attribute__((warn_unused_result));
void wc_close(int s);

/* Does something listen at url (ipc:// only: a plain unix connect, which
 * fails at once when nothing does)?  1 yes, 0 no.  A REQ socket would
 * wait its whole timeout for a peer that is not there: ask this first. */
int wc_listening(const char *url);

/* Send req, receive the reply into a malloc'd buffer.  0 or -1 (errno). */
int wc_call(int s, const uint8_t *req, size_t len, uint8_t **rep,
	    size_t *rep_len) __attribute__((warn_unused_result));

/* Wrap a serialized Request in an AdminEnvelope signed by sk at time ts
 * with the given nonce (random if NULL).  Returns a malloc'd buffer. */
uint8_t *wc_admin_wrap(const uint8_t sk[64], const uint8_t *req, size_t len,
		       uint64_t ts, const uint8_t *nonce, size_t *out_len);

#endif
