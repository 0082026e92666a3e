/*
 * escape_host.c -- the host side of the escape battery: listeners on host
 * loopback (TCP and UDP, v4 and v6), a unix socket by path and an abstract
 * one.  Counts whatever reaches them until SIGTERM, then prints
 *   tcp=N udp=N unix_path=N unix_abstract=N
 * and exits.  It writes its ports to the file named by argv[1] first.
 *
 * usage: escape_host READY_FILE UNIX_PATH ABSTRACT_NAME
 */
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int inet_listener(int family, int type, int port)
{
	int s = socket(family, type, 0);
	if (s < 0)
		return -1;
	int one = 1;
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	int rc;
	if (family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = bind(s, (void *)&a, sizeof a);
	} else {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6,
					  .sin6_port = htons((uint16_t)port) };
		a.sin6_addr = in6addr_loopback;
		(void)setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		rc = bind(s, (void *)&a, sizeof a);
	}
	if (rc != 0 || (type == SOCK_STREAM && listen(s, 16) != 0)) {
		close(s);
		return -1;
	}
	return s;
}

static int port_of(int s)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof ss;
	if (getsockname(s, (void *)&ss, &l) != 0)
		return -1;
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: escape_host READY_FILE UNIX_PATH ABSTRACT_NAME\n");
		return 2;
	}
	signal(SIGTERM, on_term);
	int tcp = inet_listener(AF_INET, SOCK_STREAM, 0);
	int port = port_of(tcp);
	int udp = inet_listener(AF_INET, SOCK_DGRAM, 0);
	int uport = port_of(udp);
	int tcp6 = inet_listener(AF_INET6, SOCK_STREAM, port);
	int udp6 = inet_listener(AF_INET6, SOCK_DGRAM, uport);
	int up = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path, sizeof un.sun_path, "%s", argv[2]);
	unlink(argv[2]);
	if (bind(up, (void *)&un, sizeof un) != 0 || listen(up, 16) != 0)
		return 1;
	int ua = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un an = { .sun_family = AF_UNIX };
	size_t al = strlen(argv[3]);
	memcpy(an.sun_path + 1, argv[3], al);
	if (bind(ua, (void *)&an, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + al)) != 0 ||
	    listen(ua, 16) != 0)
		return 1;
	if (tcp < 0 || udp < 0)
		return 1;
	FILE *f = fopen(argv[1], "w");
	if (f == NULL)
		return 1;
	fprintf(f, "%d %d\n", port, uport);
	fclose(f);

	int n_tcp = 0, n_udp = 0, n_up = 0, n_ua = 0;
	while (!stop) {
		struct pollfd pf[6] = {
			{ tcp, POLLIN, 0 }, { udp, POLLIN, 0 }, { tcp6, POLLIN, 0 },
			{ udp6, POLLIN, 0 }, { up, POLLIN, 0 }, { ua, POLLIN, 0 },
		};
		if (poll(pf, 6, 200) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 6; i++) {
			if (!(pf[i].revents & POLLIN))
				continue;
			int c;
			char buf[64];
			if (i == 1 || i == 3) {
				if (recv(pf[i].fd, buf, sizeof buf, 0) >= 0)
					n_udp++;
				continue;
			}
			c = accept(pf[i].fd, NULL, NULL);
			if (c >= 0)
				close(c);
			if (i == 0 || i == 2)
				n_tcp++;
			else if (i == 4)
				n_up++;
			else
				n_ua++;
		}
	}
	printf("tcp=%d udp=%d unix_path=%d unix_abstract=%d\n", n_tcp, n_udp, n_up, n_ua);
	unlink(argv[2]);
	return 0;
}
