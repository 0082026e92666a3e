/*
 * splice_relay.c -- the least a CONNECT proxy can do, for the egress bench
 * (tests/egress/bench.py): accept on 127.0.0.1:PORT, read a request head,
 * answer 200, connect to 127.0.0.1:DPORT and relay both ways with
 * splice(2) through a 256 KiB pipe each way, as ward-egress does -- and
 * nothing else (no approval, no check, no log).  What the bench measures
 * through it is the cost of one more process and one more loopback TCP
 * hop on this machine, the floor under any proxy, ward-egress's included.
 * One connection at a time (the bench's client is sequential).  Not part
 * of ward.
 *
 * usage: splice_relay PORT DPORT   (prints "ready" when it listens)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define SPL (SPLICE_F_NONBLOCK | SPLICE_F_MOVE)
#define OK "HTTP/1.1 200 Connection established\r\n\r\n"

/* The request head, and nothing past it (peeked first): 0, or -1. */
static int
head(int c)
{
	char b[8192];

	for (;;) {
		ssize_t k = recv(c, b, sizeof b - 1, MSG_PEEK);
		char *e;

		if (k <= 0)
			return -1;
		b[k] = '\0';
		if ((e = strstr(b, "\r\n\r\n")) != NULL)
			return recv(c, b, (size_t)(e + 4 - b), 0) == e + 4 - b ? 0 : -1;
		if (k == (ssize_t)sizeof b - 1)
			return -1;
		usleep(1000);	/* a head in pieces: wait for the rest */
	}
}

/* Both ways until both ends are done. */
static void
relay(int c, int o)
{
	int up[2], dn[2], ceof = 0, oeof = 0;
	size_t cap, upp = 0, dnp = 0;

	if (pipe2(up, O_NONBLOCK) != 0)
		return;
	if (pipe2(dn, O_NONBLOCK) != 0) {
		close(up[0]);
		close(up[1]);
		return;
	}
	(void)fcntl(up[1], F_SETPIPE_SZ, 1 << 18);
	(void)fcntl(dn[1], F_SETPIPE_SZ, 1 << 18);
	cap = (size_t)fcntl(dn[1], F_GETPIPE_SZ);
	if ((size_t)fcntl(up[1], F_GETPIPE_SZ) < cap)
		cap = (size_t)fcntl(up[1], F_GETPIPE_SZ);
	fcntl(c, F_SETFL, O_NONBLOCK);
	fcntl(o, F_SETFL, O_NONBLOCK);
	while (!(ceof && oeof && upp == 0 && dnp == 0)) {
		int moved = 0;
		ssize_t n;

		if (!ceof && upp < cap) {
			n = splice(c, NULL, up[1], NULL, cap - upp, SPL);
			if (n > 0)
				upp += (size_t)n, moved = 1;
			else if (n == 0 || errno != EAGAIN)
				ceof = 1;
		}
		if (upp > 0 && (n = splice(up[0], NULL, o, NULL, upp, SPL)) > 0)
			upp -= (size_t)n, moved = 1;
		else if (upp > 0 && errno != EAGAIN)
			break;
		if (!oeof && dnp < cap) {
			n = splice(o, NULL, dn[1], NULL, cap - dnp, SPL);
			if (n > 0)
				dnp += (size_t)n, moved = 1;
			else if (n == 0 || errno != EAGAIN)
				oeof = 1;
		}
		if (dnp > 0 && (n = splice(dn[0], NULL, c, NULL, dnp, SPL)) > 0)
			dnp -= (size_t)n, moved = 1;
		else if (dnp > 0 && errno != EAGAIN)
			break;
		if (ceof && upp == 0)
			(void)shutdown(o, SHUT_WR);
		if (oeof && dnp == 0)
			(void)shutdown(c, SHUT_WR);
		if (!moved) {
			struct pollfd pf[2] = {
				{ c, (short)((!ceof && upp < cap ? POLLIN : 0) |
					     (dnp > 0 ? POLLOUT : 0)), 0 },
				{ o, (short)((!oeof && dnp < cap ? POLLIN : 0) |
					     (upp > 0 ? POLLOUT : 0)), 0 },
			};

			if (poll(pf, 2, 10000) <= 0)
				break;
		}
	}
	close(up[0]);
	close(up[1]);
	close(dn[0]);
	close(dn[1]);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int ls, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: splice_relay PORT DPORT\n");
		return 2;
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)atoi(argv[1]));
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 16) != 0) {
		perror("splice_relay: listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct sockaddr_in d = a;
		int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC), o;

		if (c < 0)
			continue;
		d.sin_port = htons((unsigned short)atoi(argv[2]));
		o = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		/* As ward-egress: the head, the connect, then the 200. */
		if (o >= 0 && head(c) == 0 &&
		    connect(o, (struct sockaddr *)&d, sizeof d) == 0 &&
		    send(c, OK, sizeof OK - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof OK - 1))
			relay(c, o);
		if (o >= 0)
			close(o);
		close(c);
	}
}
