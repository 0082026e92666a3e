/*
 * home.h -- $WARD_HOME: where ward keeps its keys and its state, and the
 * permission rules the core enforces before it starts.
 *
 *   $WARD_HOME/           0700
 *     keys/               0700
 *       operator.pub      0600  hex Ed25519 public key (trusted authority)
 *       operator.key      0600  hex Ed25519 secret key (the operator's; the
 *                               core never reads it)
 *       core.pub          0600  hex, the core's approval/checkpoint key
 *       core.key          0600  hex, the core's secret key
 *     state/              0700
 *       audit.log         0600  the audit log (journal.h)
 *       audit.ckpt        0600  the latest signed checkpoint
 *     run/                0700  admin.sock, broker.sock (nanomsg ipc)
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
	char op_pub[WH_PATH];
	char op_key[WH_PATH];
	char core_pub[WH_PATH];
	char core_key[WH_PATH];
	char log[WH_PATH];
	char ckpt[WH_PATH];
	char admin_url[WH_PATH];
	char broker_url[WH_PATH];
};

/* Fill the paths from dir, or $WARD_HOME, or $HOME/.ward.  -1 with a
 * message in err if the path is too long or no home can be found. */
int wh_resolve(struct ward_home *h, const char *dir, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Every folder 0700 and every file that exists 0600 at most, owned by us.
 * On -1, err names the file at fault and the chmod that fixes it. */
int wh_check_perms(const struct ward_home *h, int need_secret, char *err,
		   size_t errlen)
	__attribute__((warn_unused_result));

/* Read a key file of exactly n bytes written as 2n hex digits (and an
 * optional newline).  The file must be 0600 at most.  The temporary text
 * buffer is wiped. */
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
