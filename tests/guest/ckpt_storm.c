/* SPDX-License-Identifier: MIT */
/*
 * ckpt_storm - a driver that crashes at every byte offset of a checkpoint
 * commit, under driver_supervisor on board pc (issue 8, tests/demo/
 * test_pc_ipc.sh): the memfd lives in the supervisor's fd store, as a
 * real driver's does.
 *
 * Each instance: opens checkpoint "storm" and checks what it restored is
 * one whole state (every fill byte equal to its generation) and either
 * the last committed one or the one the dead instance was committing; then
 * commits a plan (next offset), reopens with UDRV_CKPT_CRASH_AT=OFF armed
 * and commits generation + 1, dying at byte OFF of it. The supervisor
 * restarts it (Restart=on-failure). When OFF passes the commit's length the
 * commit completes; the instance then makes a stray write into the stored
 * copy, checks udrv_ckpt_verify() sees it, and exits 3; the next instance
 * must open the other copy (UDRV_CKPT_FALLBACK) and exits 0.
 *
 * Output, one line per instance: "restored off=N gen=G old|new|TORN" (old:
 * the previous state, new: the one being committed; a commit cut short at
 * any byte leaves the old one, since its last word is the state word), and
 * "done offsets=N", "stray write: verify=..." and "fallback: ..." lines.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "udrv.h"

#define SZ 100
struct st {
	uint32_t off;     /* the byte offset the current attempt crashes at */
	uint32_t gen;     /* generation: every fill byte is (uint8_t)gen */
	uint32_t planned; /* 1: a plan for offset `off` (gen not yet bumped) */
	uint32_t stray;   /* 1: the stray-write step was done */
	uint8_t fill[SZ - 16];
};

static int whole(const struct st *s)
{
	for (size_t i = 0; i < sizeof(s->fill); i++)
		if (s->fill[i] != (uint8_t)s->gen)
			return 0;
	return 1;
}

int main(void)
{
	udrv_ckpt *c;
	struct st *s;
	uint32_t off;
	char env[32];

	setvbuf(stdout, NULL, _IOLBF, 0);
	c = udrv_ckpt_open("storm", 1, SZ);
	if (!c) {
		printf("error=open: %s\n", strerror(errno));
		return 1;
	}
	s = udrv_ckpt_data(c);
	if (udrv_ckpt_origin(c) == UDRV_CKPT_FALLBACK || udrv_ckpt_origin(c) == UDRV_CKPT_DAMAGED) {
		/* The instance before damaged the copy it had committed last. */
		printf("fallback: origin=%s damaged=%u whole=%s gen=%u\n",
		       udrv_ckpt_origin_str(udrv_ckpt_origin(c)), udrv_ckpt_damaged(c),
		       whole(s) ? "yes" : "no", s->gen);
		return udrv_ckpt_origin(c) == UDRV_CKPT_FALLBACK && whole(s) ? 0 : 1;
	}
	if (udrv_ckpt_origin(c) == UDRV_CKPT_FRESH) {
		/* First start: plan offset 0 and restart, so that every attempt
		 * runs on the memfd the supervisor passed back. */
		memset(s, 0, sizeof(*s));
		s->planned = 1;
		udrv_ckpt_commit(c);
		printf("fresh: planned\n");
		return 1;
	}
	printf("restored off=%u gen=%u %s\n", s->off, s->gen,
	       !whole(s) ? "TORN" : s->planned ? "old" : "new");

	/* Plan the next offset (committed unarmed), then attempt it armed: the
	 * first commit of the reopened handle dies after byte off - 1. */
	off = s->off + 1;
	s->off = off;
	s->planned = 1;
	udrv_ckpt_commit(c);
	udrv_ckpt_close(c);
	snprintf(env, sizeof(env), "%u:1", off - 1);
	setenv("UDRV_CKPT_CRASH_AT", env, 1);
	c = udrv_ckpt_open("storm", 1, SZ);
	unsetenv("UDRV_CKPT_CRASH_AT");
	if (!c) {
		printf("error=reopen: %s\n", strerror(errno));
		return 1;
	}
	s = udrv_ckpt_data(c);
	s->gen++;
	s->planned = 0;
	memset(s->fill, (uint8_t)s->gen, sizeof(s->fill));
	udrv_ckpt_commit(c); /* SIGKILL in here, unless off is past its end */
	printf("done offsets=%u (the commit of gen %u completed)\n", off - 1, s->gen);

	/* A stray write: flip one fill byte of the stored current copy. */
	s->stray = 1;
	udrv_ckpt_commit(c);
	{
		int fd = udrv_listen_fd("storm");
		struct stat sb;
		uint8_t *m;
		int hits = 0;

		if (fd < 0 || fstat(fd, &sb) < 0) {
			printf("error=no stored fd 'storm'\n");
			return 1;
		}
		m = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			printf("error=mmap: %s\n", strerror(errno));
			return 1;
		}
		/* The current copy is the one whose header says stray = 1 (and
		 * gen): find its fill run by content and hit it once. */
		for (off_t i = 0; i + SZ <= sb.st_size && !hits; i++) {
			const struct st *t = (const struct st *)(m + i);

			if (t->stray == 1 && t->planned == 0 && t->gen == s->gen && t->off == s->off &&
			    whole(t)) {
				m[i + 16 + 7] ^= 0x40;
				hits++;
			}
		}
		printf("stray write: hits=%d verify=%s\n", hits,
		       udrv_ckpt_verify(c) == -EBADMSG ? "EBADMSG (detected)" : "not detected");
	}
	return 3; /* restarted: the next instance must fall back */
}
