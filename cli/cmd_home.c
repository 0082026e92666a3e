/*
 * cmd_home.c -- the operator's commands over a ward home as a whole:
 *
 *   ward stop    stop the home's ward-broker, then its ward-core, cleanly
 *                (SIGTERM, and wait until each has let go of its lock)
 *   ward clean   remove the folders and memory of finished sessions
 *
 * Each daemon holds an flock on a lock file of its own for as long as it
 * runs (ward-core run/admin/lock, ward-broker run/broker/lock), so the
 * kernel, not a pid file, says whether it runs and which process it is
 * (/proc/locks).  Operator-side, not part of the verified core.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <sodium.h>

#include "ward_cli.h"
#include "client.h"
#include "cmd_ctl.h"
#include "home.h"
#include "text.h"
#include "wb.h"

/* Does a process hold the lock on path?  1 yes (its pid in *pid, 0 when
 * /proc/locks does not say), 0 no, -1 cannot tell (message printed). */
static int
lock_held(const char *path, pid_t *pid)
{
	struct stat st;
	char line[256];
	FILE *f;
	int fd, held;

	*pid = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		close(fd);	/* ours for a moment: nobody holds it */
		return 0;
	}
	held = errno == EWOULDBLOCK;
	if (!held || fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	close(fd);
	/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" */
	f = fopen("/proc/locks", "re");
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		unsigned maj, min;
		unsigned long ino;
		long p;
		char kind[16], adv[16], rw[16];

		if (strstr(line, "->") != NULL)
			continue;	/* a waiter, not the holder */
		if (sscanf(line, "%*d: %15s %15s %15s %ld %x:%x:%lu", kind, adv,
			   rw, &p, &maj, &min, &ino) == 7 &&
		    strcmp(kind, "FLOCK") == 0 && ino == st.st_ino &&
		    makedev(maj, min) == st.st_dev) {
			*pid = (pid_t)p;
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	return 1;
}

/* Is pid running the program prog (ward-core, ward-broker)? */
static int
runs(pid_t pid, const char *prog)
{
	char p[64], exe[PATH_MAX];
	ssize_t n;
	const char *b;

	snprintf(p, sizeof p, "/proc/%ld/exe", (long)pid);
	n = readlink(p, exe, sizeof exe - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	b = strrchr(exe, '/');
	b = b != NULL ? b + 1 : exe;
	return strncmp(b, prog, strlen(prog)) == 0;
}

/* Stops the daemon prog that holds lock: SIGTERM, then wait for the lock
 * to be let go (what it does last), SIGKILL after wait_s.  1 stopped,
 * 0 was not running, -1 failed (message printed). */
static int
stop_one(const char *prog, const char *lock, int wait_s)
{
	pid_t pid, now;
	int i, r = lock_held(lock, &pid);

	if (r == 0)
		return 0;
	if (r < 0 || pid <= 0 || !runs(pid, prog)) {
		fprintf(stderr, "ward stop: %s is locked, but not by a %s that "
			"this system shows; stop it by hand\n", lock, prog);
		return -1;
	}
	if (kill(pid, SIGTERM) != 0 && errno != ESRCH) {
		fprintf(stderr, "ward stop: cannot signal %s (pid %ld): %s\n",
			prog, (long)pid, strerror(errno));
		return -1;
	}
	for (i = 0; i < wait_s * 10; i++) {
		if (lock_held(lock, &now) == 0) {
			printf("stopped %s (pid %ld)\n", prog, (long)pid);
			return 1;
		}
		usleep(100000);
	}
	fprintf(stderr, "ward stop: %s (pid %ld) did not stop within %d s of "
		"SIGTERM; killing it (SIGKILL)\n", prog, (long)pid, wait_s);
	(void)kill(pid, SIGKILL);
	for (i = 0; i < 50 && lock_held(lock, &now) != 0; i++)
		usleep(100000);
	printf("killed %s (pid %ld)\n", prog, (long)pid);
	return 1;
}

static int
stop_usage(void)
{
	printf("usage: ward stop [--home DIR]\n"
	       "\n"
	       "Stops the ward-broker and then the ward-core of a ward home, and\n"
	       "says which (pid) it stopped.  The broker first: on SIGTERM it kills\n"
	       "every sandbox and closes every context at the core (so a 'ward run'\n"
	       "in progress exits 7); then the core, which writes a signed\n"
	       "checkpoint before it exits.  Each is waited for until it has let go\n"
	       "of its lock (20 s, then SIGKILL).  Stopping what does not run is\n"
	       "not an error.\n"
	       "\n"
	       "exit status: 0 nothing runs any more, 1 a daemon could not be\n"
	       "stopped, 2 usage, 3 no ward home.\n");
	return WX_OK;
}

static int
home_of(const char *cmd, const char *dir, struct ward_home *h)
{
	char err[512], b[1024];

	if (wh_resolve(h, dir, err, sizeof err) != 0) {
		fprintf(stderr, "ward %s: %s\n", cmd, text_str(b, sizeof b, err));
		return -1;
	}
	if (access(h->core_pub, F_OK) != 0) {
		fprintf(stderr, "ward %s: %s is not a ward home (no keys)\n  run "
			"'ward init' first (or set WARD_HOME or --home)\n", cmd,
			text_str(b, sizeof b, h->home));
		return -1;
	}
	return 0;
}

int
cmd_stop(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ward_home h;
	const char *dir = NULL;
	int c, b, k;

	while ((c = cli_getopt(argc, argv, "stop", "h", lo)) != -1) {
		switch (c) {
		case 'H':
			dir = optarg;
			break;
		case 'h':
			return stop_usage();
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc)
		return cli_extra_arg("stop", argv[optind], "only --home DIR");
	if (home_of("stop", dir, &h) != 0)
		return WX_HOME;
	b = stop_one("ward-broker", h.broker_lock, 20);
	k = stop_one("ward-core", h.lock, 20);
	if (b == 0 && k == 0)
		printf("nothing to stop: neither ward-broker nor ward-core runs "
		       "for %s\n", h.home);
	return b < 0 || k < 0 ? WX_FAILED : WX_OK;
}

/* ---- ward clean ------------------------------------------------------------ */

#define SID_HEX 32

static int
is_sid(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return n == SID_HEX;
}

/* The sessions that may still be running: those open at the core, and
 * those the broker says are live (a claim, but one that only keeps
 * state: a broker that hides a session can lose it nothing it could not
 * delete itself).  -1 (message printed) when a daemon that runs does not
 * answer: then nothing can be said finished. */
struct live {
	char (*sid)[SID_HEX + 1];
	size_t n, cap;
};

static void
live_add(struct live *l, const char *sid)
{
	if (sid == NULL || !is_sid(sid, strlen(sid)))
		return;
	if (l->n == l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 64;
		void *p = realloc(l->sid, nc * sizeof *l->sid);

		if (p == NULL)
			return;
		l->sid = p;
		l->cap = nc;
	}
	snprintf(l->sid[l->n++], SID_HEX + 1, "%s", sid);
}

static int
live_has(const struct live *l, const char *sid)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strncmp(l->sid[i], sid, SID_HEX) == 0)
			return 1;
	return 0;
}

static int
live_sessions(const struct ward_home *h, struct live *l)
{
	pid_t pid;
	char err[512];

	if (lock_held(h->lock, &pid) != 0) {
		struct wb_ctxlist *cl = malloc(sizeof *cl);
		uint8_t sk[64];
		uint32_t i;
		char hx[SID_HEX + 1];
		int ok;

		if (cl == NULL || wh_read_key(h->op_key, sk, 64, err,
					      sizeof err) != 0) {
			fprintf(stderr, "ward clean: %s\n", cl == NULL ?
				"out of memory" : err);
			free(cl);
			return -1;
		}
		ok = cc_admin_list(h->admin_url, sk, NULL, NULL, cl) == 0 &&
		     cl->r.reason == 0 && !cl->truncated;
		sodium_memzero(sk, sizeof sk);
		if (!ok) {
			fprintf(stderr, "ward clean: ward-core runs but did not "
				"list its open sessions; nothing removed\n");
			free(cl);
			return -1;
		}
		for (i = 0; i < cl->n; i++) {
			wb_hex(hx, cl->c[i].context, 16);
			live_add(l, hx);
		}
		free(cl);
	}
	if (lock_held(h->broker_lock, &pid) != 0) {
		char buf[256 * 1024];
		size_t blen = 0, k;
		json_t *rep = NULL, *s;
		int fd = cli_ctl_connect(h);

		if (fd >= 0 && cli_ctl_send(fd, json_pack("{s:s}", "op", "list"),
					    NULL, 0) == 0)
			rep = cli_ctl_read(fd, buf, sizeof buf, &blen, 5000);
		if (fd >= 0)
			close(fd);
		if (!json_is_array(json_object_get(rep, "sessions"))) {
			fprintf(stderr, "ward clean: ward-broker runs but did not "
				"list its sessions; nothing removed\n");
			json_decref(rep);
			return -1;
		}
		json_array_foreach(json_object_get(rep, "sessions"), k, s) {
			live_add(l, json_string_value(json_object_get(s, "session")));
			live_add(l, json_string_value(json_object_get(s, "parent")));
		}
		json_decref(rep);
	}
	return 0;
}

/* rm -r of name in the folder dfd, never following a link. */
static int
remove_tree(int dfd, const char *name, int depth)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0);
	if (depth > 64)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    remove_tree(dirfd(d), e->d_name, depth + 1) != 0)
			rc = -1;
	closedir(d);
	if (rc == 0)
		rc = unlinkat(dfd, name, AT_REMOVEDIR);
	return rc;
}

/* Is a ward run holding the session's workspace (it keeps a shared flock
 * on work/<sid> from the moment it makes it to its end)? */
static int
run_holds(const char *work, const char *sid)
{
	char p[WH_PATH + 64];
	int fd, held;

	snprintf(p, sizeof p, "%s/%s", work, sid);
	fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	held = flock(fd, LOCK_EX | LOCK_NB) != 0;
	close(fd);
	return held;
}

struct cleaner {
	const struct ward_home *h;
	const struct live *live;
	int dry, removed, kept, failed;
};

/* Every session entry of folder dir (a 32-hex name, with suffix sfx:
 * "" for a folder, ".json" for a memory file), when finished. */
static void
clean_folder(struct cleaner *c, const char *dir, const char *sfx)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t sl = strlen(sfx);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char sid[SID_HEX + 1];

		if (n < SID_HEX || !is_sid(e->d_name, SID_HEX))
			continue;
		if (strcmp(e->d_name + SID_HEX, sfx) != 0 &&
		    !(sl > 0 && strncmp(e->d_name + SID_HEX, sfx, sl) == 0 &&
		      strcmp(e->d_name + SID_HEX + sl, ".tmp") == 0))
			continue;
		memcpy(sid, e->d_name, SID_HEX);
		sid[SID_HEX] = '\0';
		if (live_has(c->live, sid) || run_holds(c->h->work, sid)) {
			if (c->dry)
				printf("keep   %s/%s (session running)\n", dir,
				       e->d_name);
			c->kept++;
			continue;
		}
		if (c->dry) {
			printf("remove %s/%s\n", dir, e->d_name);
			c->removed++;
		} else if (remove_tree(dirfd(d), e->d_name, 0) != 0) {
			fprintf(stderr, "ward clean: cannot remove %s/%s: %s\n",
				dir, e->d_name, strerror(errno));
			c->failed++;
		} else {
			c->removed++;
		}
	}
	closedir(d);
}

static int
clean_usage(void)
{
	printf("usage: ward clean [--home DIR] [--dry-run]\n"
	       "\n"
	       "Removes what finished sessions left in the ward home: their\n"
	       "workspaces (work/SESSION), their agent copies (agents/SESSION)\n"
	       "and their committed memory (broker/memory/SESSION.json).  A\n"
	       "session is running, and kept, while a 'ward run' holds its\n"
	       "workspace, while ward-core has its context open, or while\n"
	       "ward-broker lists it; when a daemon that runs does not answer,\n"
	       "nothing is removed.  The audit log is never touched.\n"
	       "--dry-run  lists what would be removed (and what is kept), and\n"
	       "           removes nothing.\n"
	       "\n"
	       "exit status: 0 done, 1 something could not be removed, 2 usage,\n"
	       "3 no ward home, 5 a daemon runs but did not answer.\n");
	return WX_OK;
}

int
cmd_clean(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ward_home h;
	struct live live = { NULL, 0, 0 };
	struct cleaner cl;
	const char *dir = NULL;
	char p[WH_PATH + 32];
	int c, lk, dry = 0;

	while ((c = cli_getopt(argc, argv, "clean", "nh", lo)) != -1) {
		switch (c) {
		case 'H':
			dir = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'h':
			return clean_usage();
		default:
			return WX_USAGE;
		}
	}
	if (optind < argc)
		return cli_extra_arg("clean", argv[optind],
				     "only --home DIR and --dry-run");
	if (sodium_init() < 0 || home_of("clean", dir, &h) != 0)
		return WX_HOME;
	/* No ward run makes a session's folders while we look (it takes
	 * this lock shared until it holds its workspace's own lock). */
	lk = open(h.clean_lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lk < 0 || flock(lk, LOCK_EX) != 0) {
		fprintf(stderr, "ward clean: cannot lock %s: %s\n", h.clean_lock,
			strerror(errno));
		if (lk >= 0)
			close(lk);
		return WX_FAILED;
	}
	if (live_sessions(&h, &live) != 0) {
		close(lk);
		free(live.sid);
		return WX_UNAVAILABLE;
	}
	memset(&cl, 0, sizeof cl);
	cl.h = &h;
	cl.live = &live;
	cl.dry = dry;
	clean_folder(&cl, h.work, "");
	clean_folder(&cl, h.work, ".live");
	clean_folder(&cl, h.work, ".kids");
	snprintf(p, sizeof p, "%s/agents", h.home);
	clean_folder(&cl, p, "");
	snprintf(p, sizeof p, "%s/memory", h.bstate);
	clean_folder(&cl, p, ".json");
	close(lk);
	free(live.sid);
	printf("%s %d entr%s of finished sessions; kept %d of running ones\n",
	       dry ? "would remove" : "removed", cl.removed,
	       cl.removed == 1 ? "y" : "ies", cl.kept);
	return cl.failed > 0 ? WX_FAILED : WX_OK;
}
