/* SPDX-License-Identifier: MIT */
/*
 * fuzz_checkpoint - checkpoint records (lib/checkpoint.c) as a restarted
 * driver finds them: any bytes in its memfd. udrv_ckpt_open_fd() must
 * restore, fall back, or call the file damaged, never crash; and whatever
 * it found, a commit then a reopen must give back exactly what was
 * committed (RESTORED, same bytes, seq one more).
 *
 * Input: bytes 0-1 the state size (little-endian, mod 8192, + 1), byte 2
 * the layout version, the rest the memfd's content. Seeds: real
 * checkpoint files, written by this program when UDRV_FUZZ_CKPT_SEEDS=DIR
 * is set (tests/fuzz/make-seeds.py does it).
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "udrv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A memfd's whole content into @path. */
static void dump(int fd, const char *path)
{
	uint8_t buf[1 << 16];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	FILE *f = fopen(path, "wb");
	uint8_t head[3] = { 99, 0, 1 }; /* size 100, layout 1 */

	if (n < 0 || !f)
		abort();
	fwrite(head, 1, sizeof(head), f);
	fwrite(buf, 1, (size_t)n, f);
	fclose(f);
}

static void write_seeds(const char *dir)
{
	char path[512];

	for (int commits = 0; commits <= 3; commits++) {
		int fd = memfd_create("seed", MFD_CLOEXEC);
		udrv_ckpt *c = udrv_ckpt_open_fd(fd, 1, 100);

		if (!c)
			abort();
		for (int i = 0; i < commits; i++) {
			memset(udrv_ckpt_data(c), 'a' + i, 100);
			if (udrv_ckpt_commit_len(c, i == 2 ? 40 : 100) < 0)
				abort();
		}
		udrv_ckpt_close(c);
		snprintf(path, sizeof(path), "%s/seed-commits-%d", dir, commits);
		dump(fd, path);
		close(fd);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *seeds = getenv("UDRV_FUZZ_CKPT_SEEDS");

	(void)argc;
	(void)argv;
	unsetenv("UDRV_CKPT_CRASH_AT"); /* the crash injection is not fuzzed here */
	if (seeds) {
		write_seeds(seeds);
		exit(0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	uint32_t layout;
	uint64_t seq;
	udrv_ckpt *c;
	uint8_t *want;
	int fd, before;

	if (size < 3)
		return 0;
	len = (size_t)((data[0] | data[1] << 8) % 8192) + 1;
	layout = data[2];
	before = fuzz_open_fds();
	fd = memfd_create("fuzz-ckpt", MFD_CLOEXEC);
	if (fd < 0 || pwrite(fd, data + 3, size - 3, 0) != (ssize_t)(size - 3))
		abort();

	c = udrv_ckpt_open_fd(fd, layout, len);
	if (!c) {
		FUZZ_CHECK(errno != 0);
		close(fd);
		FUZZ_CHECK(fuzz_open_fds() == before);
		return 0;
	}
	FUZZ_CHECK(udrv_ckpt_origin(c) <= UDRV_CKPT_OTHER_LAYOUT);
	FUZZ_CHECK(udrv_ckpt_damaged(c) <= 2);
	FUZZ_CHECK(udrv_ckpt_origin_str(udrv_ckpt_origin(c)) != NULL);
	if (udrv_ckpt_origin(c) == UDRV_CKPT_RESTORED || udrv_ckpt_origin(c) == UDRV_CKPT_FALLBACK)
		FUZZ_CHECK(udrv_ckpt_verify(c) == 0);

	/* commit a known state, reopen: it must come back exactly */
	want = malloc(len);
	if (!want)
		abort();
	for (size_t i = 0; i < len; i++)
		want[i] = (uint8_t)(i * 7 + data[2]);
	memcpy(udrv_ckpt_data(c), want, len);
	seq = udrv_ckpt_seq(c);
	FUZZ_CHECK(udrv_ckpt_commit(c) == 0);
	FUZZ_CHECK(udrv_ckpt_verify(c) == 0);
	udrv_ckpt_close(c);

	c = udrv_ckpt_open_fd(fd, layout, len);
	FUZZ_CHECK(c != NULL);
	FUZZ_CHECK(udrv_ckpt_origin(c) == UDRV_CKPT_RESTORED);
	FUZZ_CHECK(udrv_ckpt_len(c) == len);
	FUZZ_CHECK(udrv_ckpt_seq(c) == seq + 1);
	FUZZ_CHECK(memcmp(udrv_ckpt_data(c), want, len) == 0);
	udrv_ckpt_close(c);
	free(want);
	close(fd);
	FUZZ_CHECK(fuzz_open_fds() == before);
	return 0;
}
