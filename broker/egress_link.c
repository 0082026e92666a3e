/*
 * egress_link.c -- ward-broker's side of ward-egress (common/egw.h): it
 * forks ward-egress while still root, gives it each agent transaction's
 * proxy listener (through a pair whose other end goes to the sandbox),
 * and carries its questions to ward-core and the core's answers back.
 * The broker decides nothing here: ward-egress checks every approval under
 * the core's key itself.  Untrusted, not verified.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "egw.h"
#include "egress_link.h"
#include "fdio.h"

int
el_start(const char *home, const char *bin_dir, pid_t *pid)
{
	char path[4200];
	int sv[2];
	pid_t p;

	snprintf(path, sizeof path, "%s/ward-egress", bin_dir);
	if (access(path, X_OK) != 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	p = fork();
	if (p < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (p == 0) {
		/* Nothing of the broker but the pair, as fd 3. */
		if (dup2(sv[1], 3) != 3)
			_exit(127);
		close_range(4, ~0u, 0);
		execl(path, "ward-egress", "--home", home, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	*pid = p;
	return sv[0];
}

int
el_attach(int eg, uint32_t slot, uint32_t gen, int job, const uint8_t ctx[16],
	  int *sandbox_end)
{
	struct egw_msg *m;
	int pp[2], rc;

	*sandbox_end = -1;
	if (eg < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pp) != 0)
		return -1;
	m = calloc(1, sizeof *m);
	if (m == NULL) {
		close(pp[0]);
		close(pp[1]);
		return -1;
	}
	m->op = EGW_ATTACH;
	m->slot = slot;
	m->gen = gen;
	m->req = (uint32_t)job + 1;
	memcpy(m->ctx, ctx, 16);
	rc = fdio_send(eg, m, sizeof *m, &pp[0], 1) == (ssize_t)sizeof *m ? 0 : -1;
	free(m);
	close(pp[0]);
	if (rc != 0) {
		close(pp[1]);
		return -1;
	}
	*sandbox_end = pp[1];
	return 0;
}

void
el_detach(int eg, uint32_t slot, uint32_t gen, int job)
{
	struct egw_msg *m;

	if (eg < 0 || (m = calloc(1, sizeof *m)) == NULL)
		return;
	m->op = EGW_DETACH;
	m->slot = slot;
	m->gen = gen;
	m->req = job < 0 ? 0 : (uint32_t)job + 1;
	(void)fdio_send(eg, m, sizeof *m, NULL, 0);
	free(m);
}

int
el_recv(int eg, struct egw_msg *m)
{
	int fds[FDIO_MAX], nfds = 0, i;
	ssize_t n = fdio_recv(eg, m, sizeof *m, fds, FDIO_MAX, &nfds, MSG_DONTWAIT);

	for (i = 0; i < nfds; i++)
		close(fds[i]);	/* ward-egress sends none */
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n != (ssize_t)sizeof *m)
		return -1;
	m->dest[sizeof m->dest - 1] = '\0';
	m->text[sizeof m->text - 1] = '\0';
	return 0;
}

int
el_send(int eg, const struct egw_msg *m)
{
	return fdio_send(eg, m, sizeof *m, NULL, 0) == (ssize_t)sizeof *m ? 0 : -1;
}
