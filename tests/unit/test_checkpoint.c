/* SPDX-License-Identifier: MIT */
/*
 * test_checkpoint.c - transactional checkpoints (lib/checkpoint.c): fresh,
 * restored, a crash at every byte offset of a commit (one child process
 * per offset, killed by the injection hook) leaves exactly the old or the
 * new state, stray writes are detected and the other copy used, layout
 * versions, growth; the fault-injection hooks of `make faults`
 * (udrv__ckpt_crash_next, udrv__ckpt_stray_write).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "udrv.h"
#include "udrv_internal.h"

#define SZ 100 /* not a multiple of 8: the hash's byte tail is exercised */
#define COMMIT_BYTES (8 + 24 + SZ + 8 + 8)
#define BASE 4096 /* first slot region of a fresh file */
#define CAP 128   /* SZ rounded up to 64 */

static int mfd(void)
{
	int fd = memfd_create("ckpt-test", MFD_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void fill(udrv_ckpt *c, uint8_t v)
{
	memset(udrv_ckpt_data(c), v, SZ);
}

static bool all(const void *p, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != v)
			return false;
	return true;
}

/* Commit states 0xA1, 0xA2, ... @n times in one open. */
static void commit_n(int fd, unsigned n)
{
	udrv_ckpt *c = udrv_ckpt_open_fd(fd, 1, SZ);

	assert_non_null(c);
	for (unsigned i = 0; i < n; i++) {
		fill(c, (uint8_t)(0xa1 + i));
		assert_int_equal(udrv_ckpt_commit(c), 0);
	}
	udrv_ckpt_close(c);
}

static void test_fresh_then_restored(void **state)
{
	int fd = mfd();
	udrv_ckpt *c;

	(void)state;
	c = udrv_ckpt_open_fd(fd, 7, SZ);
	assert_non_null(c);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_FRESH);
	assert_true(all(udrv_ckpt_data(c), 0, SZ));
	assert_int_equal(udrv_ckpt_seq(c), 0);
	assert_int_equal(udrv_ckpt_verify(c), 0);
	fill(c, 0x5a);
	assert_int_equal(udrv_ckpt_commit(c), 0);
	assert_int_equal(udrv_ckpt_seq(c), 1);
	udrv_ckpt_close(c);

	c = udrv_ckpt_open_fd(fd, 7, SZ);
	assert_non_null(c);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_RESTORED);
	assert_int_equal(udrv_ckpt_damaged(c), 0);
	assert_int_equal(udrv_ckpt_seq(c), 1);
	assert_int_equal(udrv_ckpt_len(c), SZ);
	assert_true(all(udrv_ckpt_data(c), 0x5a, SZ));
	udrv_ckpt_close(c);
	close(fd);
}

/* A stray write that zeroes only the file header makes the file look new;
 * the old slots behind it must not come back over the next commit
 * (found by tests/fuzz/fuzz_checkpoint: the stale, higher-seq slot won). */
static void test_zeroed_header(void **state)
{
	static const uint8_t zero[16];
	int fd = mfd();
	udrv_ckpt *c;

	(void)state;
	c = udrv_ckpt_open_fd(fd, 7, SZ);
	assert_non_null(c);
	for (int i = 0; i < 3; i++) {
		fill(c, (uint8_t)(0x30 + i));
		assert_int_equal(udrv_ckpt_commit(c), 0);
	}
	udrv_ckpt_close(c);
	assert_int_equal(pwrite(fd, zero, sizeof(zero), 0), (ssize_t)sizeof(zero));

	c = udrv_ckpt_open_fd(fd, 7, SZ);
	assert_non_null(c);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_FRESH);
	fill(c, 0x11);
	assert_int_equal(udrv_ckpt_commit(c), 0);
	udrv_ckpt_close(c);

	c = udrv_ckpt_open_fd(fd, 7, SZ);
	assert_non_null(c);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_RESTORED);
	assert_true(all(udrv_ckpt_data(c), 0x11, SZ));
	udrv_ckpt_close(c);
	close(fd);
}

static void test_bad_args(void **state)
{
	(void)state;
	errno = 0;
	assert_null(udrv_ckpt_open_fd(-1, 1, SZ));
	assert_int_equal(errno, EBADF);
	assert_null(udrv_ckpt_open_fd(0, 1, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(udrv_ckpt_open("bad:name", 1, SZ));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(udrv_ckpt_commit(NULL), -EINVAL);
	udrv_ckpt_close(NULL);
}

/* Not under a manager, udrv_ckpt_open() still works (plain memory). */
static void test_open_by_name(void **state)
{
	udrv_ckpt *c;

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	unsetenv("LISTEN_FDS");
	c = udrv_ckpt_open("test-state", 1, SZ);
	assert_non_null(c);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_FRESH);
	fill(c, 1);
	assert_int_equal(udrv_ckpt_commit(c), 0);
	udrv_ckpt_close(c);
}

/*
 * Crash at every byte of a commit: state A stored (@before commits: 1 puts
 * the next commit into slot 1, 2 into slot 0), a child commits B with
 * UDRV_CKPT_CRASH_AT=N and dies; the parent must find exactly A when N
 * is before the last byte, B after, never damage, and can commit on.
 */
static void crash_every_byte(unsigned before)
{
	int fd = mfd();
	struct stat st;
	uint8_t a = (uint8_t)(0xa1 + before - 1), *snap;
	unsigned nold = 0, nnew = 0;

	commit_n(fd, before);
	assert_int_equal(fstat(fd, &st), 0);
	snap = malloc((size_t)st.st_size);
	assert_non_null(snap);
	assert_int_equal(pread(fd, snap, (size_t)st.st_size, 0), st.st_size);

	for (int n = 0; n <= COMMIT_BYTES + 1; n++) {
		udrv_ckpt *c;
		pid_t pid;
		int ws;

		assert_int_equal(pwrite(fd, snap, (size_t)st.st_size, 0), st.st_size);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char v[32];

			snprintf(v, sizeof(v), "%d", n);
			setenv("UDRV_CKPT_CRASH_AT", v, 1);
			c = udrv_ckpt_open_fd(fd, 1, SZ);
			if (!c)
				_exit(3);
			fill(c, 0xbb);
			udrv_ckpt_commit(c);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &ws, 0), pid);
		if (n < COMMIT_BYTES)
			assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
		else
			assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);

		c = udrv_ckpt_open_fd(fd, 1, SZ);
		assert_non_null(c);
		assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_RESTORED);
		assert_int_equal(udrv_ckpt_damaged(c), 0);
		if (n < COMMIT_BYTES) {
			assert_true(all(udrv_ckpt_data(c), a, SZ));
			assert_int_equal(udrv_ckpt_seq(c), before);
			nold++;
		} else {
			assert_true(all(udrv_ckpt_data(c), 0xbb, SZ));
			assert_int_equal(udrv_ckpt_seq(c), before + 1);
			nnew++;
		}
		/* and the torn slot takes the next commit */
		fill(c, 0xcc);
		assert_int_equal(udrv_ckpt_commit(c), 0);
		udrv_ckpt_close(c);
		c = udrv_ckpt_open_fd(fd, 1, SZ);
		assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_RESTORED);
		assert_true(all(udrv_ckpt_data(c), 0xcc, SZ));
		udrv_ckpt_close(c);
	}
	print_message("crash at each of %d offsets (slot %u): %u old, %u new, 0 torn\n",
		      COMMIT_BYTES + 2, before % 2, nold, nnew);
	assert_int_equal(nold, COMMIT_BYTES);
	free(snap);
	close(fd);
}

static void test_crash_every_byte_slot1(void **state)
{
	(void)state;
	crash_every_byte(1);
}

static void test_crash_every_byte_slot0(void **state)
{
	(void)state;
	crash_every_byte(2);
}

/* A crash during the very first commit: still a fresh start, not damage. */
static void test_crash_first_commit(void **state)
{
	int fd = mfd();
	pid_t pid;
	int ws;
	udrv_ckpt *c;

	(void)state;
	pid = fork();
	if (pid == 0) {
		setenv("UDRV_CKPT_CRASH_AT", "40", 1);
		c = udrv_ckpt_open_fd(fd, 1, SZ);
		fill(c, 0xbb);
		udrv_ckpt_commit(c);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFSIGNALED(ws));
	c = udrv_ckpt_open_fd(fd, 1, SZ);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_FRESH);
	assert_int_equal(udrv_ckpt_damaged(c), 0);
	assert_true(all(udrv_ckpt_data(c), 0, SZ));
	udrv_ckpt_close(c);
	close(fd);
}

/* "N:K": the K-th commit crashes, earlier ones complete. */
static void test_crash_kth_commit(void **state)
{
	int fd = mfd();
	pid_t pid;
	int ws;
	udrv_ckpt *c;

	(void)state;
	pid = fork();
	if (pid == 0) {
		setenv("UDRV_CKPT_CRASH_AT", "50:3", 1);
		c = udrv_ckpt_open_fd(fd, 1, SZ);
		for (int i = 1; i <= 3; i++) {
			fill(c, (uint8_t)i);
			udrv_ckpt_commit(c);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFSIGNALED(ws));
	c = udrv_ckpt_open_fd(fd, 1, SZ);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_RESTORED);
	assert_int_equal(udrv_ckpt_seq(c), 2);
	assert_true(all(udrv_ckpt_data(c), 2, SZ));
	udrv_ckpt_close(c);
	close(fd);
}

/* A stray write into the stored copies (as a buggy driver's pointer would). */
static void test_stray_write(void **state)
{
	int fd = mfd();
	uint8_t *m;
	udrv_ckpt *c;
	size_t len;

	(void)state;
	commit_n(fd, 2); /* 0xa1 in slot 0 (seq 1), 0xa2 in slot 1 (seq 2) */
	len = (size_t)lseek(fd, 0, SEEK_END);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);

	/* one byte of the newer copy's data */
	c = udrv_ckpt_open_fd(fd, 1, SZ);
	assert_int_equal(udrv_ckpt_verify(c), 0);
	m[BASE + 64 + CAP + 64 + 17] ^= 0x01;
	assert_int_equal(udrv_ckpt_verify(c), -EBADMSG); /* seen live too */
	udrv_ckpt_close(c);
	c = udrv_ckpt_open_fd(fd, 1, SZ);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_FALLBACK);
	assert_int_equal(udrv_ckpt_damaged(c), 1);
	assert_true(all(udrv_ckpt_data(c), 0xa1, SZ));
	assert_int_equal(udrv_ckpt_seq(c), 1);
	fill(c, 0xc3);
	assert_int_equal(udrv_ckpt_commit(c), 0);
	udrv_ckpt_close(c);
	c = udrv_ckpt_open_fd(fd, 1, SZ);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_RESTORED); /* reported once */
	assert_true(all(udrv_ckpt_data(c), 0xc3, SZ));
	udrv_ckpt_close(c);

	/* the sequence number in a header, and the other copy's data: none intact */
	m[BASE + 16] ^= 0x80;
	m[BASE + 64 + CAP + 64] ^= 0xff;
	c = udrv_ckpt_open_fd(fd, 1, SZ);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_DAMAGED);
	assert_int_equal(udrv_ckpt_damaged(c), 2);
	assert_true(all(udrv_ckpt_data(c), 0, SZ));
	fill(c, 0xd4);
	assert_int_equal(udrv_ckpt_commit(c), 0);
	udrv_ckpt_close(c);
	c = udrv_ckpt_open_fd(fd, 1, SZ);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_RESTORED);
	assert_true(all(udrv_ckpt_data(c), 0xd4, SZ));
	udrv_ckpt_close(c);

	/* the file header's magic */
	m[0] ^= 0xff;
	c = udrv_ckpt_open_fd(fd, 1, SZ);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_DAMAGED);
	udrv_ckpt_close(c);
	munmap(m, len);
	close(fd);
}

/* make faults' hook: the next commit dies, at any offset the caller gives
 * (taken modulo the commit's size), and the state before it is whole. */
static void test_hook_crash_next(void **state)
{
	const uint64_t ats[] = { 0, 7, 8, 40, COMMIT_BYTES - 1, COMMIT_BYTES, 123456789 };

	(void)state;
	for (size_t i = 0; i < sizeof(ats) / sizeof(ats[0]); i++) {
		int fd = mfd(), ws;
		udrv_ckpt *c;
		pid_t pid = fork();

		if (pid == 0) {
			c = udrv_ckpt_open_fd(fd, 1, SZ);
			fill(c, 0xa1);
			udrv_ckpt_commit(c); /* whole */
			udrv__ckpt_crash_next(c, ats[i]);
			fill(c, 0xb2);
			udrv_ckpt_commit(c); /* dies */
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &ws, 0), pid);
		assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
		c = udrv_ckpt_open_fd(fd, 1, SZ);
		assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_RESTORED);
		assert_int_equal(udrv_ckpt_seq(c), 1);
		assert_true(all(udrv_ckpt_data(c), 0xa1, SZ));
		udrv_ckpt_close(c);
		close(fd);
	}
}

/* make faults' other hook: a byte of the stored current copy flipped; the
 * next open falls back to the other copy. Nothing stored: -ENODATA. */
static void test_hook_stray_write(void **state)
{
	int fd = mfd();
	udrv_ckpt *c = udrv_ckpt_open_fd(fd, 1, SZ);

	(void)state;
	assert_int_equal(udrv__ckpt_stray_write(c), -ENODATA);
	fill(c, 0xa1);
	assert_int_equal(udrv_ckpt_commit(c), 0);
	fill(c, 0xa2);
	assert_int_equal(udrv_ckpt_commit(c), 0);
	assert_int_equal(udrv_ckpt_verify(c), 0);
	assert_int_equal(udrv__ckpt_stray_write(c), 0);
	assert_int_equal(udrv_ckpt_verify(c), -EBADMSG);
	udrv_ckpt_close(c);
	c = udrv_ckpt_open_fd(fd, 1, SZ);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_FALLBACK);
	assert_int_equal(udrv_ckpt_damaged(c), 1);
	assert_true(all(udrv_ckpt_data(c), 0xa1, SZ));
	udrv_ckpt_close(c);
	close(fd);
}

static void test_layout_and_growth(void **state)
{
	int fd = mfd();
	udrv_ckpt *c;

	(void)state;
	commit_n(fd, 1); /* layout 1, SZ bytes of 0xa1 */
	c = udrv_ckpt_open_fd(fd, 2, 10000);
	assert_non_null(c);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_OTHER_LAYOUT);
	assert_int_equal(udrv_ckpt_layout(c), 1);
	assert_int_equal(udrv_ckpt_len(c), SZ);
	assert_true(all(udrv_ckpt_data(c), 0xa1, SZ));
	assert_true(all((uint8_t *)udrv_ckpt_data(c) + SZ, 0, 10000 - SZ));
	memset(udrv_ckpt_data(c), 0xe5, 10000); /* "converted" */
	assert_int_equal(udrv_ckpt_commit(c), 0);
	assert_int_equal(udrv_ckpt_layout(c), 2);
	assert_int_equal(udrv_ckpt_commit_len(c, 10001), -EINVAL);
	assert_int_equal(udrv_ckpt_commit_len(c, 0), -EINVAL);
	udrv_ckpt_close(c);
	c = udrv_ckpt_open_fd(fd, 2, 10000);
	assert_int_equal(udrv_ckpt_origin(c), UDRV_CKPT_RESTORED);
	assert_int_equal(udrv_ckpt_seq(c), 2);
	assert_true(all(udrv_ckpt_data(c), 0xe5, 10000));
	/* a partial commit: the rest reads zero on the next open */
	assert_int_equal(udrv_ckpt_commit_len(c, 10), 0);
	udrv_ckpt_close(c);
	c = udrv_ckpt_open_fd(fd, 2, 10000);
	assert_int_equal(udrv_ckpt_len(c), 10);
	assert_true(all(udrv_ckpt_data(c), 0xe5, 10));
	assert_true(all((uint8_t *)udrv_ckpt_data(c) + 10, 0, 10000 - 10));
	udrv_ckpt_close(c);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_then_restored),
		cmocka_unit_test(test_zeroed_header),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_open_by_name),
		cmocka_unit_test(test_crash_every_byte_slot1),
		cmocka_unit_test(test_crash_every_byte_slot0),
		cmocka_unit_test(test_crash_first_commit),
		cmocka_unit_test(test_crash_kth_commit),
		cmocka_unit_test(test_stray_write),
		cmocka_unit_test(test_layout_and_growth),
		cmocka_unit_test(test_hook_crash_next),
		cmocka_unit_test(test_hook_stray_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
