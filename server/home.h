/*
 * home.h -- $WARD_HOME: where ward keeps its keys and its state, and the
 * permission rules the core enforces before it starts.
 *
 *   $WARD_HOME/               root 0711   (the operator's: root)
 *     operator/               root 0700
 *       operator.key          0600  hex Ed25519 secret key: signs grants and
 *                                   admin requests; read only by the CLI
 *     pub/                    root 0755
 *       operator.pub          0644  hex Ed25519 public key (trusted authority)
 *       core.pub              0644  hex, the core's approval/checkpoint key
 *     keys/                   ward-core 0700
 *       core.key              0600  hex, the core's secret key
 *       vault.key             0600  hex, 64 random bytes: the vault's key
 *                                   (made by ward-core on its first start)
 *     state/                  ward-core 0700
 *       audit.log             0600  the audit log (journal.h)
 *       audit.ckpt            0600  the latest signed checkpoint
 *       vault                 0600  the secrets, encrypted (vault.h)
 *     run/                    root 0711
 *       admin/                ward-core 0700             admin.sock, lock
 *       core/                 ward-core:ward-broker 2750 broker.sock (0660)
 *       broker/               ward-broker 0700           broker.ctl, lock
 *       clean.lock            root 0600  ward run (shared) and ward clean
 *                                        (exclusive) while they make or
 *                                        remove a session's folders
 *     work/                   root 0711   work/<session>: ward-broker 0700
 *     broker/                 ward-broker 0700  the broker's memory store
 *     agents/, log/           root        agent code copies, daemon logs
 *
 * ward-core and ward-broker run under system accounts of their own
 * (common/priv.h): the broker's account can reach neither keys/ nor
 * state/ nor the admin socket, and holds no key file at all (its holder
 * key is made fresh in memory at every start).
 *
 * Not part of the verified core.
 */
#ifndef WARD_SRV_HOME_H
#define WARD_SRV_HOME_H

#include <stddef.h>
#include <stdint.h>

#define WH_PATH 512

struct ward_home {
	char home[WH_PATH];
	char keys[WH_PATH];
	char state[WH_PATH];
	char run[WH_PATH];
	char op_dir[WH_PATH];
	char pub[WH_PATH];
	char run_admin[WH_PATH];
	char run_core[WH_PATH];
	char run_broker[WH_PATH];
	char ctl[WH_PATH];		/* run/broker/broker.ctl */
	char lock[WH_PATH];		/* run/admin/lock */
	char broker_lock[WH_PATH];	/* run/broker/lock: one broker a home */
	char clean_lock[WH_PATH];	/* run/clean.lock */
	char work[WH_PATH];
	char bstate[WH_PATH];		/* broker/ */
	char egress[WH_PATH];		/* egress/ */
	char egress_key[WH_PATH];	/* egress/egress.key */
	char egress_pub[WH_PATH];	/* pub/egress.pub */
	char op_pub[WH_PATH];
	char op_key[WH_PATH];
	char core_pub[WH_PATH];
	char core_key[WH_PATH];
	char log[WH_PATH];
	char ckpt[WH_PATH];
	char admin_url[WH_PATH];
	char broker_url[WH_PATH];
};

#define WH_DEFAULT_HOME "/var/lib/ward"

/* Fill the paths from dir, or $WARD_HOME, or WH_DEFAULT_HOME.  -1 with a
 * message in err if the path is too long or no home can be found. */
int wh_resolve(struct ward_home *h, const char *dir, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The layout above, as ward-core sees it after it switched to its
 * account: keys/, state/ and run/admin/ its own and 0700, every key and
 * state file its own and 0600 at most, the folders above them writable
 * by root alone.  On -1, err names the file at fault and the fix. */
int wh_check_perms(const struct ward_home *h, int need_secret, char *err,
		   size_t errlen)
	__attribute__((warn_unused_result));

/* Make every missing folder of the layout above with its owner and mode
 * (root only; folders only, never a file, never through a link); with
 * repair ('ward init'), also set them on folders that exist, else refuse
 * one that is not as it must be, naming it and the fix.  Each daemon
 * calls it before it leaves root.  -1 with a message when an account is
 * missing or a path is not a plain folder. */
int wh_layout(const struct ward_home *h, int repair, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Read a key file of exactly n bytes written as 2n hex digits (and an
 * optional newline).  A secret key (n == 64) must be this user's own and
 * 0600 at most; a public key (n == 32) must be root's or this user's and
 * writable by nobody else.  The temporary text buffer is wiped. */
int wh_read_key(const char *path, uint8_t *out, size_t n, char *err,
		size_t errlen)
	__attribute__((warn_unused_result));

/* Create path (which must not exist) 0600 with n bytes of data as hex,
 * fsync it.  The text buffer is wiped. */
int wh_write_key(const char *path, const uint8_t *data, size_t n, char *err,
		 size_t errlen)
	__attribute__((warn_unused_result));

/* fsync a folder, so that a rename or creation in it is durable. */
int wh_sync_dir(const char *dir) __attribute__((warn_unused_result));

#endif
