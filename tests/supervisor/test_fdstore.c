/* SPDX-License-Identifier: MIT */
/* Unit tests: the supervisor's fd store (names, duplicates, limit, removal). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fdstore.h"

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void test_names(void **state)
{
	char long_name[FDNAME_MAX + 2];

	(void)state;
	assert_true(fdname_valid("gpio-state"));
	assert_true(fdname_valid("a b.c_d"));
	assert_false(fdname_valid(""));
	assert_false(fdname_valid(NULL));
	assert_false(fdname_valid("a:b"));     /* the LISTEN_FDNAMES separator */
	assert_false(fdname_valid("tab\there"));
	assert_false(fdname_valid("caf\xc3\xa9")); /* not ASCII */
	memset(long_name, 'x', FDNAME_MAX);
	long_name[FDNAME_MAX] = '\0';
	assert_true(fdname_valid(long_name));
	long_name[FDNAME_MAX] = 'x';
	long_name[FDNAME_MAX + 1] = '\0';
	assert_false(fdname_valid(long_name));
}

static void test_same_file(void **state)
{
	int a = memfd_create("a", MFD_CLOEXEC), b = memfd_create("b", MFD_CLOEXEC);
	int a2 = dup(a), n1 = open("/dev/null", O_RDONLY), n2 = open("/dev/null", O_RDONLY);

	(void)state;
	assert_true(a >= 0 && b >= 0 && a2 >= 0 && n1 >= 0 && n2 >= 0);
	assert_true(fd_same_file(a, a));
	assert_true(fd_same_file(a, a2));   /* one open file, two fds */
	assert_false(fd_same_file(a, b));
	assert_false(fd_same_file(a, n1));
	close(a);
	close(a2);
	close(b);
	close(n1);
	close(n2);
}

static void test_add_limit_dedup_remove(void **state)
{
	struct fdstore s = { 0 };
	const char *dup_name = NULL;
	int fds[4], extra, a2;
	char names[64];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_true((fds[i] = memfd_create("t", MFD_CLOEXEC)) >= 0);
	assert_int_equal(fdstore_add(&s, fds[0], "one", 3, NULL), 0);
	assert_int_equal(fdstore_add(&s, fds[1], "two", 3, NULL), 0);
	/* the same open file under another fd number and name: refused */
	a2 = dup(fds[0]);
	assert_int_equal(fdstore_add(&s, a2, "again", 3, &dup_name), -EEXIST);
	assert_string_equal(dup_name, "one");
	close(a2);
	assert_int_equal(fdstore_add(&s, fds[2], "bad:name", 3, NULL), -EINVAL);
	assert_int_equal(fdstore_add(&s, fds[2], "two", 3, NULL), 0); /* names may repeat */
	assert_int_equal(fdstore_add(&s, fds[3], "four", 3, NULL), -ENOBUFS);
	assert_int_equal(s.n, 3);
	assert_int_equal(fdstore_names(&s, "listen", names, sizeof(names)), 18);
	assert_string_equal(names, "listen:one:two:two");
	assert_int_equal(fdstore_names(&s, NULL, names, sizeof(names)), 11);
	assert_string_equal(names, "one:two:two");
	assert_int_equal(fdstore_names(&s, NULL, names, 11), -ENOSPC);

	/* removal closes every fd of that name and keeps the order of the rest */
	assert_int_equal(fdstore_remove(&s, "two"), 2);
	assert_false(is_open(fds[1]));
	assert_false(is_open(fds[2]));
	assert_int_equal(fdstore_remove(&s, "nope"), 0);
	assert_int_equal(fdstore_add(&s, fds[3], "four", 3, NULL), 0);
	assert_int_equal(fdstore_names(&s, NULL, names, sizeof(names)), 8);
	assert_string_equal(names, "one:four");

	extra = fds[0];
	fdstore_clear(&s);
	assert_int_equal(s.n, 0);
	assert_null(s.v);
	assert_false(is_open(extra));
	assert_false(is_open(fds[3]));
	assert_int_equal(fdstore_names(&s, NULL, names, sizeof(names)), 0);
	assert_string_equal(names, "");
}

/* The names go into one environment string: their total is bounded. */
static void test_names_bytes_bounded(void **state)
{
	struct fdstore s = { 0 };
	char name[FDNAME_MAX + 1];
	unsigned n = 0;
	int r;

	(void)state;
	memset(name, 'n', FDNAME_MAX);
	name[FDNAME_MAX] = '\0';
	for (;;) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		name[0] = (char)('A' + n % 26); /* only to tell them apart in a debugger */
		r = fdstore_add(&s, fd, name, FDSTORE_MAX_LIMIT, NULL);
		if (r < 0) {
			close(fd);
			break;
		}
		n++;
	}
	assert_int_equal(r, -E2BIG);
	assert_int_equal(n, FDSTORE_NAMES_MAX / (FDNAME_MAX + 1));
	assert_true(s.names_len <= FDSTORE_NAMES_MAX);
	/* removing makes room again */
	name[0] = 'A';
	assert_true(fdstore_remove(&s, name) > 0);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(fdstore_add(&s, fd, "short", FDSTORE_MAX_LIMIT, NULL), 0);
	fdstore_clear(&s);
	assert_int_equal(s.names_len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_same_file),
		cmocka_unit_test(test_add_limit_dedup_remove),
		cmocka_unit_test(test_names_bytes_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
