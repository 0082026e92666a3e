/*
 * handoff.c -- capabilities handed from the operator's CLI to a keyless
 * program across exec (handoff.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "handoff.h"
#include "codec.h"
#include "outq.h"
#include "text.h"

#define HO_MAGIC "WARDHO1\n"
#define HO_HEAD (8 + WARD_CTX_BYTES + 32 + 4)
#define HO_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) | get16(p + 2) << 16;
}

int
ho_write(const uint8_t ctx[WARD_CTX_BYTES], const uint8_t hold_pk[32],
	 const struct ho_grant *g, uint32_t n, char *err, size_t errlen)
{
	uint8_t head[HO_HEAD], rec[8];
	uint32_t i;
	int fd;

	if (n > HO_MAX)
		return text_err(err, errlen, "%u capabilities to hand over, at most "
			    "%u", n, HO_MAX);
	fd = memfd_create("ward-handoff", MFD_ALLOW_SEALING);
	if (fd < 0)
		return text_err(err, errlen, "memfd_create: %s", strerror(errno));
	memcpy(head, HO_MAGIC, 8);
	memcpy(head + 8, ctx, WARD_CTX_BYTES);
	memcpy(head + 8 + WARD_CTX_BYTES, hold_pk, 32);
	put32(head + 8 + WARD_CTX_BYTES + 32, n);
	if (oq_write_all(fd, head, sizeof head, -1) != 0)
		goto io;
	for (i = 0; i < n; i++) {
		if (g[i].blk.len < WARD_WIRE_MIN ||
		    g[i].blk.len > WARD_BLOCK_MAX) {
			close(fd);
			return text_err(err, errlen, "capability %u: %u bytes", i,
				    g[i].blk.len);
		}
		put16(rec, g[i].srv);
		put16(rec + 2, g[i].allow);
		put32(rec + 4, g[i].blk.len);
		if (oq_write_all(fd, rec, sizeof rec, -1) != 0 ||
		    oq_write_all(fd, g[i].blk.raw, g[i].blk.len, -1) != 0)
			goto io;
	}
	if (fcntl(fd, F_ADD_SEALS, HO_SEALS) != 0 ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return text_err(err, errlen, "sealing the handoff: %s",
			    strerror(errno));
	}
	return fd;
io:
	close(fd);
	return text_err(err, errlen, "writing the handoff: %s", strerror(errno));
}

/* Exactly len bytes at offset off, or -1. */
static int
read_at(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, (uint8_t *)buf + got, len - got,
				  off + (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int
ho_read(int fd, uint8_t ctx[WARD_CTX_BYTES], uint8_t hold_pk[32],
	struct ho_grant *g, uint32_t cap, uint32_t *n, char *err,
	size_t errlen)
{
	uint8_t head[HO_HEAD], rec[8];
	off_t off = HO_HEAD;
	uint32_t i, count;
	int seals;

	*n = 0;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & HO_SEALS) != HO_SEALS)
		return text_err(err, errlen, "descriptor %d is not a sealed handoff "
			    "(%s)", fd, seals < 0 ? strerror(errno) :
			    "seals missing");
	if (read_at(fd, head, sizeof head, 0) != 0 ||
	    memcmp(head, HO_MAGIC, 8) != 0)
		return text_err(err, errlen, "descriptor %d: not a handoff", fd);
	memcpy(ctx, head + 8, WARD_CTX_BYTES);
	memcpy(hold_pk, head + 8 + WARD_CTX_BYTES, 32);
	count = get32(head + 8 + WARD_CTX_BYTES + 32);
	if (count > cap || count > HO_MAX)
		return text_err(err, errlen, "handoff of %u capabilities, at most %u",
			    count, cap < HO_MAX ? cap : HO_MAX);
	for (i = 0; i < count; i++) {
		struct ho_grant *x = &g[i];
		uint32_t len;

		if (read_at(fd, rec, sizeof rec, off) != 0)
			return text_err(err, errlen, "handoff cut short at "
				    "capability %u", i);
		len = get32(rec + 4);
		if (len < WARD_WIRE_MIN || len > WARD_BLOCK_MAX)
			return text_err(err, errlen, "capability %u: %u bytes", i,
				    len);
		memset(x, 0, sizeof *x);
		x->srv = (uint16_t)get16(rec);
		x->allow = (uint16_t)get16(rec + 2);
		x->blk.len = len;
		if (read_at(fd, x->blk.raw, len, off + (off_t)sizeof rec) != 0)
			return text_err(err, errlen, "handoff cut short in "
				    "capability %u", i);
		off += (off_t)(sizeof rec + len);
		if (wb_unseal(&x->blk) != 0)
			return text_err(err, errlen, "capability %u does not decode",
				    i);
		if (memcmp(x->blk.b.context, ctx, WARD_CTX_BYTES) != 0 ||
		    memcmp(x->blk.b.holder, hold_pk, 32) != 0)
			return text_err(err, errlen, "capability %u is not bound to "
				    "the handoff's context and holder", i);
	}
	{
		uint8_t extra;

		if (read_at(fd, &extra, 1, off) == 0)
			return text_err(err, errlen, "bytes after the last "
				    "capability of the handoff");
	}
	*n = count;
	return 0;
}
