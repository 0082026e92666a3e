/*
 * client.c -- see client.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>
#include <sodium.h>

#include "ward/v1/ward.pb-c.h"
#include "client.h"
#include "wire.h"

int
wc_open(const char *url, int timeout_ms)
{
	int s = nn_socket(AF_SP, NN_REQ);
	int max = -1;

	if (s < 0)
		return -1;
	if (nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout_ms,
			  sizeof timeout_ms) < 0 ||
	    nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDTIMEO, &timeout_ms,
			  sizeof timeout_ms) < 0 ||
	    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max, sizeof max) < 0 ||
	    nn_connect(s, url) < 0) {
		nn_close(s);
		return -1;
	}
	return s;
}

int
wc_listening(const char *url)
{
	struct sockaddr_un a;
	const char *p;
	int fd, ok;

	if (strncmp(url, "ipc://", 6) != 0)
		return 1;	/* not ours to check: let nanomsg try */
	p = url + 6;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	if (strlen(p) >= sizeof a.sun_path)
		return 0;
	memcpy(a.sun_path, p, strlen(p) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

void
wc_close(int s)
{
	nn_close(s);
}

int
wc_call(int s, const uint8_t *req, size_t len, uint8_t **rep, size_t *rep_len)
{
	void *buf = NULL;
	int n;

	if (nn_send(s, req, len, 0) < 0)
		return -1;
	n = nn_recv(s, &buf, NN_MSG, 0);
	if (n < 0)
		return -1;
	*rep = malloc((size_t)n ? (size_t)n : 1);
	if (*rep == NULL) {
		nn_freemsg(buf);
		errno = ENOMEM;
		return -1;
	}
	memcpy(*rep, buf, (size_t)n);
	*rep_len = (size_t)n;
	nn_freemsg(buf);
	return 0;
}

uint8_t *
wc_admin_wrap(const uint8_t sk[64], const uint8_t *req, size_t len,
	      uint64_t ts, const uint8_t *nonce, size_t *out_len)
{
	Ward__V1__AdminEnvelope e = WARD__V1__ADMIN_ENVELOPE__INIT;
	uint8_t n[WIRE_NONCE_BYTES], sig[64];
	uint8_t *signed_buf, *out;
	size_t sl;

	if (nonce != NULL)
		memcpy(n, nonce, sizeof n);
	else
		randombytes_buf(n, sizeof n);
	signed_buf = malloc(40 + len);
	if (signed_buf == NULL)
		return NULL;
	sl = wire_admin_signed_bytes(signed_buf, ts, n, req, len);
	crypto_sign_detached(sig, NULL, signed_buf, sl, sk);
	free(signed_buf);
	e.request.data = (uint8_t *)req;
	e.request.len = len;
	e.timestamp = ts;
	e.nonce.data = n;
	e.nonce.len = sizeof n;
	e.signature.data = sig;
	e.signature.len = sizeof sig;
	*out_len = ward__v1__admin_envelope__get_packed_size(&e);
	out = malloc(*out_len ? *out_len : 1);
	if (out != NULL)
		ward__v1__admin_envelope__pack(&e, out);
	return out;
}
