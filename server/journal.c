/*
 * journal.c -- the audit log on disk.  Format in journal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "journal.h"
#include "approve.h"
#include "codec.h"
#include "crypto.h"
#include "home.h"

static const uint8_t TAG_CKPT[16] = "ward.v1.checkpt";

static void
ckpt_msg(uint8_t m[16 + 8 + 32 + 8], uint64_t seq, const uint8_t head[32],
	 uint64_t t)
{
	memcpy(m, TAG_CKPT, 16);
	ward_put_be64(m + 16, seq);
	memcpy(m + 24, head, 32);
	ward_put_be64(m + 56, t);
}

int
jr_ckpt_sign(uint8_t sig[64], uint64_t seq, const uint8_t head[32],
	     uint64_t t, const uint8_t sk[64])
{
	uint8_t m[64];

	ckpt_msg(m, seq, head, t);
	return crypto_sign_detached(sig, NULL, m, sizeof m, sk) == 0 ? 0 : -1;
}

int
jr_ckpt_check(const uint8_t sig[64], uint64_t seq, const uint8_t head[32],
	      uint64_t t, const uint8_t pk[32])
{
	uint8_t m[64];

	ckpt_msg(m, seq, head, t);
	return crypto_sign_verify_detached(sig, m, sizeof m, pk) == 0 ? 0 : -1;
}

/* ---- writer ---------------------------------------------------------------- */

void
jr_add(struct jr_writer *w, uint64_t seq, const uint8_t prev[32],
       const uint8_t *rec, size_t len, const uint8_t head[32])
{
	size_t need = JR_FRAME_OVER + len;
	uint8_t *p;

	if (w->len + need > w->cap) {
		size_t cap = w->cap ? w->cap : 1u << 16;

		while (cap < w->len + need)
			cap *= 2;
		p = realloc(w->buf, cap);
		if (p == NULL) {
			fprintf(stderr, "ward-core: out of memory for the journal\n");
			abort();
		}
		w->buf = p;
		w->cap = cap;
	}
	p = w->buf + w->len;
	ward_put_be32(p, (uint32_t)len);
	ward_put_be64(p + 4, seq);
	memcpy(p + 12, prev, 32);
	memcpy(p + 44, rec, len);
	memcpy(p + 44 + len, head, 32);
	w->len += need;
	w->pending++;
}

int
jr_commit(struct jr_writer *w)
{
	struct timespec a, b;
	size_t off = 0;

	if (w->len == 0)
		return 0;
	while (off < w->len) {
		ssize_t n = write(w->fd, w->buf + off, w->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (fdatasync(w->fd) != 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	w->sync_ns_total += (double)(b.tv_sec - a.tv_sec) * 1e9 +
			    (double)(b.tv_nsec - a.tv_nsec);
	w->syncs++;
	w->committed += w->pending;
	w->pending = 0;
	w->len = 0;
	return 0;
}

/* ---- reader ---------------------------------------------------------------- */

static int
bad(struct jr_result *res, uint64_t i, size_t off, const char *why)
{
	res->ok = 0;
	res->bad_rec = i;
	res->bad_off = off;
	snprintf(res->why, sizeof res->why, "%s", why);
	return 0;
}

int
jr_scan(const char *path, const uint8_t core_pk[32],
	int (*fn)(const struct jr_rec *r, void *arg), void *arg,
	struct jr_result *res)
{
	uint8_t head[32], h2[32];
	uint8_t *data = NULL;
	struct stat st;
	size_t size, off, got = 0;
	uint64_t i = 0;
	int fd;

	memset(res, 0, sizeof *res);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(res->why, sizeof res->why, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(res->why, sizeof res->why, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	size = (size_t)st.st_size;
	data = malloc(size ? size : 1);
	if (data == NULL) {
		snprintf(res->why, sizeof res->why, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	size = got;
	memset(head, 0, sizeof head);
	res->ok = 1;
	if (size < JR_FILE_HDR || memcmp(data, JR_MAGIC, 8) != 0) {
		bad(res, 0, 0, "the file header is missing or damaged (not a ward "
		    "audit log, or truncated to nothing)");
		goto done;
	}
	if (core_pk != NULL && memcmp(data + 8, core_pk, 32) != 0) {
		bad(res, 0, 0, "the log header names another core key than "
		    "keys/core.pub");
		goto done;
	}
	off = JR_FILE_HDR;
	res->good_bytes = off;
	while (off < size) {
		struct jr_rec r;
		uint32_t n;
		uint64_t seq;

		if (size - off < 4) {
			res->torn = 1;
			bad(res, i, off, "truncated: the log ends inside a length "
			    "prefix");
			goto done;
		}
		n = ward_get_be32(data + off);
		if (n < 1 || n > WARD_AUDIT_REC_MAX) {
			bad(res, i, off, "bad length prefix (edited or damaged)");
			goto done;
		}
		if (size - off < JR_FRAME_OVER + n) {
			res->torn = 1;
			bad(res, i, off, "truncated: the log ends inside this record");
			goto done;
		}
		seq = ward_get_be64(data + off + 4);
		if (seq != i) {
			bad(res, i, off, seq < i ? "out of order: the sequence "
			    "number goes back (reordered or duplicated record)" :
			    "a gap in the sequence numbers (deleted records)");
			goto done;
		}
		if (memcmp(data + off + 12, head, 32) != 0) {
			bad(res, i, off, "the previous-hash field does not match the "
			    "chain (a record before it was deleted, reordered or "
			    "edited)");
			goto done;
		}
		memcpy(h2, head, 32);
		if (ward_audit_hash(h2, data + off + 44, n) != 0) {
			bad(res, i, off, "hashing failed");
			goto done;
		}
		if (memcmp(h2, data + off + 44 + n, 32) != 0) {
			bad(res, i, off, "the record does not hash to its stored "
			    "head (its content was edited)");
			goto done;
		}
		r.seq = i;
		r.off = off;
		r.rec = data + off + 44;
		r.len = n;
		r.head = data + off + 44 + n;
		if (r.rec[0] == JR_CHECKPOINT) {
			if (n != JR_CK_LEN ||
			    ward_get_be64(r.rec + JR_CK_SEQ) != i ||
			    memcmp(r.rec + JR_CK_HEAD, head, 32) != 0) {
				bad(res, i, off, "a checkpoint that does not describe "
				    "the records before it");
				goto done;
			}
			if (jr_ckpt_check(r.rec + JR_CK_SIG, i, head,
					  ward_get_be64(r.rec + JR_CK_TIME),
					  core_pk != NULL ? core_pk : data + 8) != 0) {
				bad(res, i, off, "a checkpoint whose signature does not "
				    "verify under the core key");
				goto done;
			}
			res->checkpoints++;
		}
		memcpy(head, h2, 32);
		i++;
		off += JR_FRAME_OVER + n;
		res->records = i;
		res->good_bytes = off;
		memcpy(res->head, head, 32);
		if (fn != NULL && fn(&r, arg) != 0)
			break;
	}
done:
	res->records = i;
	memcpy(res->head, head, 32);
	free(data);
	return 0;
}

int
jr_ckpt_read(const char *path, uint64_t *seq, uint8_t head[32], uint64_t *t,
	     uint8_t sig[64], char *why, size_t whylen)
{
	uint8_t b[JR_CKF_LEN + 1];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, b, sizeof b);
	close(fd);
	if (n != (ssize_t)JR_CKF_LEN || memcmp(b, "WARDCKP1", 8) != 0) {
		snprintf(why, whylen, "%s: not a ward checkpoint file", path);
		return -1;
	}
	*seq = ward_get_be64(b + 8);
	memcpy(head, b + 16, 32);
	*t = ward_get_be64(b + 48);
	memcpy(sig, b + 56, 64);
	return 1;
}

int
jr_ckpt_write(const char *path, const char *dir, uint64_t seq,
	      const uint8_t head[32], uint64_t t, const uint8_t sig[64])
{
	char tmp[WH_PATH + 8];
	uint8_t b[JR_CKF_LEN];
	int fd;

	memcpy(b, "WARDCKP1", 8);
	ward_put_be64(b + 8, seq);
	memcpy(b + 16, head, 32);
	ward_put_be64(b + 48, t);
	memcpy(b + 56, sig, 64);
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, b, sizeof b) != (ssize_t)sizeof b || fsync(fd) != 0) {
		close(fd);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0)
		return -1;
	return wh_sync_dir(dir);
}

struct vmatch {
	uint64_t seq;
	uint8_t head[32];
	int matched;
	int (*fn)(const struct jr_rec *r, void *arg);
	void *arg;
};

static int
vmatch_one(const struct jr_rec *r, void *arg)
{
	struct vmatch *m = arg;

	if (m->seq != 0 && r->seq + 1 == m->seq &&
	    memcmp(r->head, m->head, 32) == 0)
		m->matched = 1;
	return m->fn != NULL ? m->fn(r, m->arg) : 0;
}

int
jr_verify(const char *log, const char *ckpt, const uint8_t core_pk[32],
	  int (*fn)(const struct jr_rec *r, void *arg), void *arg,
	  struct jr_result *res, uint64_t *bad_rec, uint64_t *ck_seq,
	  char *msg, size_t msglen)
{
	struct vmatch m;
	uint8_t sig[64];
	uint64_t t = 0;
	int have;

	memset(&m, 0, sizeof m);
	m.fn = fn;
	m.arg = arg;
	*ck_seq = 0;
	have = jr_ckpt_read(ckpt, &m.seq, m.head, &t, sig, msg, msglen);
	if (have < 0)
		return -1;
	if (have == 1 && jr_ckpt_check(sig, m.seq, m.head, t, core_pk) != 0) {
		snprintf(msg, msglen, "%s: the checkpoint signature does not "
			 "verify under the core key", ckpt);
		return -1;
	}
	if (have == 0)
		m.seq = 0;
	*ck_seq = m.seq;
	if (jr_scan(log, core_pk, vmatch_one, &m, res) != 0) {
		snprintf(msg, msglen, "%s", res->why);
		return -1;
	}
	if (!res->ok) {
		*bad_rec = res->bad_rec;
		snprintf(msg, msglen, "at record %llu (byte %zu of %s): %s",
			 (unsigned long long)res->bad_rec, res->bad_off, log,
			 res->why);
		return 1;
	}
	if (m.seq > res->records) {
		*bad_rec = res->records;
		snprintf(msg, msglen, "at record %llu: truncated: the log ends "
			 "after %llu records but the signed checkpoint (%s) covers "
			 "%llu; records %llu .. %llu are missing",
			 (unsigned long long)res->records,
			 (unsigned long long)res->records, ckpt,
			 (unsigned long long)m.seq,
			 (unsigned long long)res->records,
			 (unsigned long long)(m.seq - 1));
		return 1;
	}
	if (m.seq > 0 && !m.matched) {
		*bad_rec = m.seq - 1;
		snprintf(msg, msglen, "at record %llu: the chain there does not "
			 "match the signed checkpoint (%s): the log was rewritten",
			 (unsigned long long)(m.seq - 1), ckpt);
		return 1;
	}
	return 0;
}
