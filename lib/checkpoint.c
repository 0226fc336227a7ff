/* SPDX-License-Identifier: MIT */
/*
 * checkpoint.c - transactional driver state on a memfd kept in the
 * manager's fd store (udrv_ckpt_*).
 *
 * The memfd holds a file header and two slots (double buffering):
 *
 *   0      file header: magic, then one 64-bit word "region" =
 *          (slot base in 4 KiB pages << 32) | slot capacity in 64 B units
 *   base   slot 0: 64-byte header (state, format, layout, seq, len, sum) + data
 *   base+stride  slot 1
 *
 * A commit writes the slot that does NOT hold the current state:
 *   1. state := WRITING          (one aligned 64-bit store)
 *   2. format, layout, seq, len  (24 bytes)
 *   3. data                      (len bytes: the one memcpy)
 *   4. sum := hash of 2+3        (one 64-bit store)
 *   5. state := COMMITTED        (one 64-bit store)
 * with compiler/CPU fences between the steps. The memfd's pages outlive
 * the process, so a crash at any point leaves the other slot intact and
 * this one either COMMITTED with a good sum (the new state) or WRITING (the
 * old state wins). A store of a dead process is never torn: a 64-bit
 * aligned store either happened or not, so the crash-injection hook counts
 * such a word as one unit of 8 bytes. No fsync: nothing goes to a disk.
 *
 * On open, a slot COMMITTED whose sum does not match, or whose state word
 * is none of the three values, was damaged by a stray write: it is counted
 * and the other slot is used (UDRV_CKPT_FALLBACK), or, with none intact,
 * the state starts zeroed (UDRV_CKPT_DAMAGED).
 *
 * The working copy the driver edits is private memory (malloc): stores to
 * it reach the memfd only through a commit.
 */
#include "udrv.h"
#include "udrv_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CKPT_MAGIC      0x31504b4356524455ull /* "UDRVCKP1" little-endian */
#define SLOT_EMPTY      0ull
#define SLOT_WRITING    0x474e495449525721ull /* "!WRITING" */
#define SLOT_COMMITTED  0x444554494d4d4f43ull /* "COMMITED" */
#define SLOT_FORMAT     1u
#define FILE_HDR        64u
#define SLOT_HDR        64u
#define PAGE            4096u

struct file_hdr {
	uint64_t magic;
	uint64_t region; /* base pages << 32 | capacity / 64 */
};

struct slot_hdr {
	uint64_t state;
	uint32_t format;
	uint32_t layout;
	uint64_t seq;
	uint64_t len;
	uint64_t sum;
	uint8_t pad[SLOT_HDR - 40];
};
_Static_assert(sizeof(struct slot_hdr) == SLOT_HDR, "slot header is 64 bytes");

struct udrv_ckpt {
	int fd;
	uint8_t *map;       /* the whole memfd, MAP_SHARED */
	size_t maplen;
	uint64_t base, cap; /* slot region: offset, data capacity per slot */
	int cur;            /* slot holding the current state, -1: none */
	uint64_t seq;       /* sequence of the current state */
	uint32_t layout;    /* the driver's layout version */
	uint32_t stored_layout;
	size_t size;        /* the driver's state size */
	size_t len;         /* bytes restored, then last committed */
	uint8_t *data;      /* working copy, max(size, restored len) bytes */
	enum udrv_ckpt_origin origin;
	unsigned damaged;
	/* crash injection (UDRV_CKPT_CRASH_AT=N[:K]) */
	int64_t crash_at;   /* -1: off */
	uint64_t crash_commit, commits, written;
};

/*
 * A 64-bit hash in the manner of XXH64 (four lanes of multiply-rotate over
 * 8-byte words, then a mix): detects stray writes, not an adversary.
 */
#define P1 0x9e3779b185ebca87ull
#define P2 0xc2b2ae3d27d4eb4full
#define P3 0x165667b19e3779f9ull
static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t lane(uint64_t acc, uint64_t w) { return rotl64(acc + w * P2, 31) * P1; }

uint64_t udrv__hash64(const void *buf, size_t len, uint64_t seed)
{
	const uint8_t *p = buf;
	uint64_t a = seed + P1 + P2, b = seed + P2, c = seed, d = seed - P1, h, w;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		uint64_t x[4];

		memcpy(x, p + i, 32);
		a = lane(a, x[0]);
		b = lane(b, x[1]);
		c = lane(c, x[2]);
		d = lane(d, x[3]);
	}
	h = rotl64(a, 1) + rotl64(b, 7) + rotl64(c, 12) + rotl64(d, 18) + len;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = rotl64(h ^ lane(0, w), 27) * P1 + P3;
	}
	for (; i < len; i++)
		h = rotl64(h ^ (p[i] * P3), 11) * P1;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

static uint64_t slot_sum(const struct slot_hdr *s, const void *data, size_t len)
{
	/* format, layout, seq, len: the 24 bytes after the state word */
	return udrv__hash64(data, len, udrv__hash64(&s->format, 24, 0));
}

static inline struct slot_hdr *slot(const udrv_ckpt *c, int i)
{
	return (struct slot_hdr *)(c->map + c->base + (uint64_t)i * (SLOT_HDR + c->cap));
}

/* Crash injection: the commit dies after byte crash_at of the chosen commit. */
static inline bool crash_armed(const udrv_ckpt *c)
{
	return c->crash_at >= 0 && c->commits == c->crash_commit;
}

static void put(udrv_ckpt *c, void *dst, const void *src, size_t n)
{
	if (crash_armed(c) && c->written + n > (uint64_t)c->crash_at) {
		memcpy(dst, src, (size_t)((uint64_t)c->crash_at - c->written));
		atomic_thread_fence(memory_order_seq_cst);
		raise(SIGKILL);
	}
	memcpy(dst, src, n);
	c->written += n;
}

/* One aligned 64-bit store: whole or not at all, also under injection. */
static void put_word(udrv_ckpt *c, uint64_t *dst, uint64_t v)
{
	if (crash_armed(c) && c->written + 8 > (uint64_t)c->crash_at)
		raise(SIGKILL);
	atomic_store_explicit((_Atomic uint64_t *)dst, v, memory_order_release);
	c->written += 8;
}

static void fence(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}

/* Write @len bytes of @data with @layout/@seq into slot @i (steps 1-5 above). */
static void slot_write(udrv_ckpt *c, int i, uint32_t layout, uint64_t seq, const void *data,
		       size_t len)
{
	struct slot_hdr *s = slot(c, i), h = { .format = SLOT_FORMAT, .layout = layout,
					       .seq = seq, .len = len };
	uint64_t sum = slot_sum(&h, data, len);

	c->written = 0;
	put_word(c, &s->state, SLOT_WRITING);
	fence();
	put(c, &s->format, &h.format, 24);
	put(c, (uint8_t *)s + SLOT_HDR, data, len);
	put_word(c, &s->sum, sum);
	fence();
	put_word(c, &s->state, SLOT_COMMITTED);
	fence();
	if (crash_armed(c) && c->written <= (uint64_t)c->crash_at)
		c->crash_at = -1; /* the whole commit fitted: nothing to crash */
}

/* 1: intact, 0: empty or an interrupted commit, -1: damaged. */
static int slot_check(const udrv_ckpt *c, int i)
{
	const struct slot_hdr *s = slot(c, i);
	uint64_t st = atomic_load_explicit((_Atomic uint64_t *)&s->state, memory_order_acquire);

	if (st == SLOT_EMPTY || st == SLOT_WRITING)
		return 0;
	if (st != SLOT_COMMITTED || s->format != SLOT_FORMAT || s->len > c->cap)
		return -1;
	return slot_sum(s, (const uint8_t *)s + SLOT_HDR, (size_t)s->len) == s->sum ? 1 : -1;
}

static int map_file(udrv_ckpt *c, size_t len)
{
	void *p;

	if (c->map)
		munmap(c->map, c->maplen);
	c->map = NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	c->map = p;
	c->maplen = len;
	return 0;
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/*
 * Give the memfd a slot region with room for @cap bytes per slot at a new
 * base past the end of the file, carry the current record (if any) into its
 * slot 0, then switch the region word (one store): a crash before the switch
 * leaves the old region in use.
 */
static int new_region(udrv_ckpt *c, uint64_t cap, uint64_t file_size, const void *rec,
		      size_t rec_len, uint32_t rec_layout, uint64_t rec_seq, bool fresh_file)
{
	uint64_t base = fresh_file ? PAGE : round_up(file_size, PAGE);
	uint64_t end = base + 2 * (SLOT_HDR + cap);
	struct file_hdr *fh;
	int r;

	if (base / PAGE > UINT32_MAX || cap / 64 > UINT32_MAX)
		return -EFBIG;
	if (ftruncate(c->fd, (off_t)end) < 0)
		return -errno;
	r = map_file(c, (size_t)end);
	if (r < 0)
		return r;
	/* The new region starts zeroed, so both slots are EMPTY: a grown file
	 * is; a "fresh" one (header all zeros) may still hold old slots when a
	 * stray write zeroed only its header, and a stale COMMITTED slot there
	 * would win over the next commit (found by tests/fuzz/fuzz_checkpoint). */
	if (fresh_file)
		memset((uint8_t *)c->map + base, 0, (size_t)(end - base));
	c->base = base;
	c->cap = cap;
	c->cur = -1;
	if (rec) {
		slot_write(c, 0, rec_layout, rec_seq, rec, rec_len);
		c->cur = 0;
	}
	fh = (struct file_hdr *)c->map;
	if (fh->magic != CKPT_MAGIC) {
		fh->region = 0;
		fence();
		fh->magic = CKPT_MAGIC;
	}
	fence();
	atomic_store_explicit((_Atomic uint64_t *)&fh->region, (base / PAGE) << 32 | cap / 64,
			      memory_order_release);
	fence();
	return 0;
}

static void crash_hook_init(udrv_ckpt *c)
{
	const char *e = getenv("UDRV_CKPT_CRASH_AT");
	char *end;

	c->crash_at = -1;
	c->crash_commit = 1;
	if (!e || !*e)
		return;
	errno = 0;
	long long n = strtoll(e, &end, 10);
	if (errno || n < 0 || (*end && *end != ':'))
		return;
	if (*end == ':') {
		unsigned long long k = strtoull(end + 1, &end, 10);
		if (*end || k == 0)
			return;
		c->crash_commit = k;
	}
	c->crash_at = n;
}

/*
 * Fault-injection hooks (udrv_internal.h; tests/faults, drivers/edu/edu_faults.c):
 * not in udrv.h, reachable only by a statically linked test driver.
 */
void udrv__ckpt_crash_next(udrv_ckpt *c, uint64_t at)
{
	/* A commit writes its data plus 48 bytes (state word, header, sum,
	 * state word): an offset in that range is sure to crash. */
	c->crash_at = (int64_t)(at % (c->size + 48));
	c->crash_commit = c->commits + 1;
}

int udrv__ckpt_stray_write(udrv_ckpt *c)
{
	uint8_t *p;

	if (c->cur < 0 || c->len == 0)
		return -ENODATA;
	p = (uint8_t *)slot(c, c->cur) + SLOT_HDR + c->len / 2;
	*p ^= 0x5a; /* one byte of the current copy's data: its sum no longer holds */
	return 0;
}

/* Read what the memfd holds into the handle; (re)lay it out for c->size. */
static int load(udrv_ckpt *c)
{
	struct stat st;
	struct file_hdr fh = { 0 };
	uint64_t need = round_up(c->size, 64), fsize;
	int ok[2] = { 0, 0 }, best = -1, r;
	bool fresh_file = false;

	if (fstat(c->fd, &st) < 0)
		return -errno;
	fsize = (uint64_t)st.st_size;
	if (fsize >= sizeof(fh) && pread(c->fd, &fh, sizeof(fh), 0) != (ssize_t)sizeof(fh))
		return -EIO;
	c->origin = UDRV_CKPT_FRESH;
	c->cur = -1;
	if (fh.magic == 0 && fh.region == 0) {
		fresh_file = true; /* a new memfd: nothing ever committed */
	} else {
		uint64_t base = (fh.region >> 32) * PAGE, cap = (fh.region & 0xffffffffu) * 64;

		if (fh.magic != CKPT_MAGIC || base < PAGE || cap == 0 ||
		    base + 2 * (SLOT_HDR + cap) > fsize) {
			c->damaged = 2; /* the file header itself: nothing to trust */
			c->origin = UDRV_CKPT_DAMAGED;
		} else {
			r = map_file(c, (size_t)fsize);
			if (r < 0)
				return r;
			c->base = base;
			c->cap = cap;
			for (int i = 0; i < 2; i++) {
				ok[i] = slot_check(c, i);
				if (ok[i] < 0)
					c->damaged++;
				if (ok[i] > 0 && (best < 0 || slot(c, i)->seq > slot(c, best)->seq))
					best = i;
			}
			if (best >= 0)
				c->origin = c->damaged ? UDRV_CKPT_FALLBACK : UDRV_CKPT_RESTORED;
			else if (c->damaged)
				c->origin = UDRV_CKPT_DAMAGED;
		}
	}
	if (best >= 0) {
		const struct slot_hdr *s = slot(c, best);

		c->cur = best;
		c->seq = s->seq;
		c->len = (size_t)s->len;
		c->stored_layout = s->layout;
		if (s->layout != c->layout)
			c->origin = UDRV_CKPT_OTHER_LAYOUT;
	}
	c->data = calloc(1, c->len > c->size ? c->len : c->size);
	if (!c->data)
		return -ENOMEM;
	if (best >= 0)
		memcpy(c->data, (const uint8_t *)slot(c, best) + SLOT_HDR, c->len);
	else
		c->stored_layout = c->layout;

	/* Room for this size in the current region? Otherwise a new one. */
	if (fresh_file || c->origin == UDRV_CKPT_DAMAGED || best < 0 || c->cap < need ||
	    c->cap < c->len) {
		uint64_t cap = need > round_up(c->len, 64) ? need : round_up(c->len, 64);

		if (!fresh_file && best < 0 && c->map && c->cap >= cap)
			goto forget_damage; /* nothing worth carrying, the old region fits */
		r = new_region(c, cap, fsize, best >= 0 ? c->data : NULL, c->len,
			       c->stored_layout, c->seq, fresh_file);
		return r;
	}
forget_damage:
	/* Damage is reported once (this open); the slot is free for the next commit. */
	for (int i = 0; i < 2; i++)
		if (ok[i] < 0 && c->map)
			atomic_store((_Atomic uint64_t *)&slot(c, i)->state, SLOT_EMPTY);
	return 0;
}

static udrv_ckpt *ckpt_new(int fd, uint32_t layout, size_t size)
{
	udrv_ckpt *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	c->fd = fd;
	c->layout = layout;
	c->size = size;
	crash_hook_init(c);
	r = load(c);
	if (r < 0) {
		udrv_ckpt_close(c);
		errno = -r;
		return NULL;
	}
	return c;
}

udrv_ckpt *udrv_ckpt_open(const char *name, uint32_t layout, size_t size)
{
	bool old;
	int fd;

	if (size == 0 || size > UDRV_CKPT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	/* A new memfd is created empty (size 1 keeps udrv__state_fd happy:
	 * load() lays it out). */
	fd = udrv__state_fd(name, 1, &old);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	if (old) {
		/* The passed fd stays open for a later open of the same name
		 * (a close and reopen, a second handle): the handle owns a dup. */
		int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		if (d < 0)
			return NULL;
		fd = d;
	}
	return ckpt_new(fd, layout, size);
}

udrv_ckpt *udrv_ckpt_open_fd(int fd, uint32_t layout, size_t size)
{
	int d;

	if (size == 0 || size > UDRV_CKPT_MAX || fd < 0) {
		errno = fd < 0 ? EBADF : EINVAL;
		return NULL;
	}
	d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (d < 0)
		return NULL;
	return ckpt_new(d, layout, size);
}

void *udrv_ckpt_data(udrv_ckpt *c)
{
	return c ? c->data : NULL;
}

enum udrv_ckpt_origin udrv_ckpt_origin(const udrv_ckpt *c)
{
	return c->origin;
}

const char *udrv_ckpt_origin_str(enum udrv_ckpt_origin o)
{
	switch (o) {
	case UDRV_CKPT_FRESH: return "fresh start";
	case UDRV_CKPT_RESTORED: return "restored";
	case UDRV_CKPT_FALLBACK: return "restored from the fallback copy (the newer copy was damaged)";
	case UDRV_CKPT_DAMAGED: return "damaged state, starting fresh";
	case UDRV_CKPT_OTHER_LAYOUT: return "restored state of another layout version";
	}
	return "?";
}

uint32_t udrv_ckpt_layout(const udrv_ckpt *c)
{
	return c->stored_layout;
}

size_t udrv_ckpt_len(const udrv_ckpt *c)
{
	return c->len;
}

unsigned udrv_ckpt_damaged(const udrv_ckpt *c)
{
	return c->damaged;
}

uint64_t udrv_ckpt_seq(const udrv_ckpt *c)
{
	return c->seq;
}

int udrv_ckpt_commit_len(udrv_ckpt *c, size_t len)
{
	int t;

	if (!c || len == 0 || len > c->size)
		return -EINVAL;
	if (len > c->cap)
		return -EFBIG; /* cannot happen: load() made room for size */
	c->commits++;
	t = c->cur == 0 ? 1 : 0;
	slot_write(c, t, c->layout, c->seq + 1, c->data, len);
	c->cur = t;
	c->seq++;
	c->len = len;
	c->stored_layout = c->layout;
	return 0;
}

int udrv_ckpt_commit(udrv_ckpt *c)
{
	return c ? udrv_ckpt_commit_len(c, c->size) : -EINVAL;
}

int udrv_ckpt_revert(udrv_ckpt *c)
{
	size_t alloc;

	if (!c)
		return -EINVAL;
	alloc = c->len > c->size ? c->len : c->size;
	if (c->cur < 0) {
		memset(c->data, 0, alloc);
		return 0;
	}
	memcpy(c->data, (const uint8_t *)slot(c, c->cur) + SLOT_HDR, c->len);
	memset(c->data + c->len, 0, alloc - c->len);
	return 0;
}

int udrv_ckpt_verify(const udrv_ckpt *c)
{
	if (!c)
		return -EINVAL;
	if (c->cur < 0)
		return 0;
	return slot_check(c, c->cur) > 0 ? 0 : -EBADMSG;
}

void udrv_ckpt_close(udrv_ckpt *c)
{
	if (!c)
		return;
	if (c->map)
		munmap(c->map, c->maplen);
	free(c->data);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}
