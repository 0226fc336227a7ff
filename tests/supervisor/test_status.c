/* SPDX-License-Identifier: MIT */
/* Unit tests: udrvctl status JSON and text, JSON escaping, the log ring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "sbuf.h"
#include "sup.h"

static void set_name(struct drv *d, const char *name)
{
	strcpy(d->cfg.name, name);
}

static void test_json_status(void **state)
{
	struct drv a = { 0 }, b = { 0 };
	struct sbuf s = { 0 };

	(void)state;
	set_name(&a, "gpio_driver");
	a.state = ST_RUNNING;
	a.pid = 1234;
	a.ready = true;
	a.ready_at = 1000000;
	a.restarts = 3;
	a.has_exit = true;
	exit_classify(CLD_KILLED, SIGSEGV, true, false, false, &a.last);
	exit_noun(&a.last, a.last_exit, sizeof(a.last_exit));
	strcpy(a.status, "LED \"on\"\tpin 17\\");
	a.cfg.device = "name:gpio";
	a.watchdog_usec = 2000000;
	a.fdstore.n = 2; /* only the count is read */
	a.ipc_fd = 7;    /* only checked for >= 0 */
	a.ipc_path = "/run/udrv/gpio_driver.sock";
	a.exec_path = "/opt/gpio_driver.new";
	a.next = &b;
	set_name(&b, "timer");
	b.state = ST_BACKOFF;
	b.timer_deadline = 3500000;
	b.restarts = 1;
	b.has_exit = true;
	exit_classify(CLD_EXITED, 1, false, false, false, &b.last);
	exit_noun(&b.last, b.last_exit, sizeof(b.last_exit));

	status_json(&s, &a, NULL, 3000000);
	assert_string_equal(s.s,
		"[\n"
		"  {\"name\": \"gpio_driver\", \"state\": \"running\", \"pid\": 1234, \"restarts\": 3, "
		"\"last_exit\": \"crash (SIGSEGV)\", \"status\": \"LED \\\"on\\\"\\tpin 17\\\\\", "
		"\"reason\": \"\", \"ready\": true, \"device\": \"name:gpio\", \"uptime_ms\": 2000, "
		"\"restart_in_ms\": null, \"watchdog_ms\": 2000, \"fdstore\": 2, "
		"\"ipc\": \"/run/udrv/gpio_driver.sock\", \"exec\": \"/opt/gpio_driver.new\"},\n"
		"  {\"name\": \"timer\", \"state\": \"backoff\", \"pid\": null, \"restarts\": 1, "
		"\"last_exit\": \"died before ready: failure exit (code 1)\", \"status\": \"\", "
		"\"reason\": \"\", \"ready\": false, \"device\": null, \"uptime_ms\": null, "
		"\"restart_in_ms\": 500, \"watchdog_ms\": 0, \"fdstore\": 0, \"ipc\": null, "
		"\"exec\": null}\n"
		"]\n");
	sbuf_free(&s);

	/* one driver by name; an aborting (hung) driver shows as stopping;
	 * no exit yet is null */
	b.state = ST_ABORTING;
	b.has_exit = false;
	status_json(&s, &a, "timer", 3000000);
	assert_non_null(strstr(s.s, "\"name\": \"timer\", \"state\": \"stopping\""));
	assert_non_null(strstr(s.s, "\"last_exit\": null"));
	assert_null(strstr(s.s, "gpio_driver"));
	sbuf_free(&s);

	/* nothing matches: an empty array */
	status_json(&s, &a, "nope", 0);
	assert_string_equal(s.s, "[]\n");
	sbuf_free(&s);

	b.state = ST_FAILED;
	strcpy(b.reason, "start limit hit: 5 starts within 10s");
	status_text(&s, &a, NULL, 0);
	assert_non_null(strstr(s.s, "gpio_driver      running      1234        3  crash (SIGSEGV)\n"));
	assert_non_null(strstr(s.s, "reason: start limit hit: 5 starts within 10s\n"));
	assert_non_null(strstr(s.s, "                 ipc: /run/udrv/gpio_driver.sock\n"));
	assert_non_null(strstr(s.s, "                 exec: /opt/gpio_driver.new (upgraded)\n"));
	sbuf_free(&s);
}

static void test_json_escaping(void **state)
{
	struct sbuf s = { 0 };

	(void)state;
	sbuf_json_str(&s, "a\"b\\c\n\x01\x7f caf\xc3\xa9 \xff \xc0\xaf end");
	/* control characters \u-escaped, UTF-8 kept, invalid bytes replaced */
	assert_string_equal(s.s, "\"a\\\"b\\\\c\\n\\u0001\\u007f caf\xc3\xa9 \\ufffd \\ufffd\\ufffd end\"");
	sbuf_free(&s);
	sbuf_json_str(&s, NULL);
	assert_string_equal(s.s, "\"\"");
	sbuf_free(&s);
}

static int nout;
static char last_out[LOGRING_LINE_MAX + 1];

static void out(const char *line, void *arg)
{
	(void)arg;
	nout++;
	snprintf(last_out, sizeof(last_out), "%s", line);
}

static void test_logring(void **state)
{
	struct logring *r = calloc(1, sizeof(*r));
	char *big;

	(void)state;
	nout = 0;
	/* lines split across reads are joined; \r\n endings cleaned */
	logring_feed(r, "[driver] mapped 0x3f2", 21, out, NULL);
	assert_int_equal(nout, 0);
	logring_feed(r, "00000 size=0x1000\r\nsecond\nthi", 30, out, NULL);
	assert_int_equal(nout, 2);
	assert_string_equal(last_out, "second");
	assert_string_equal(logring_get(r, 10, 0), "[driver] mapped 0x3f200000 size=0x1000");
	logring_flush(r, out, NULL); /* EOF: the unterminated tail is a line */
	assert_int_equal(nout, 3);
	assert_string_equal(last_out, "thi");
	/* last N */
	assert_string_equal(logring_get(r, 2, 0), "second");
	assert_string_equal(logring_get(r, 2, 1), "thi");
	assert_null(logring_get(r, 2, 2));

	/* the ring keeps the newest LOGRING_LINES */
	for (int i = 0; i < LOGRING_LINES + 5; i++) {
		char l[32];
		int n = snprintf(l, sizeof(l), "line %d\n", i);
		logring_feed(r, l, (size_t)n, NULL, NULL);
	}
	assert_string_equal(logring_get(r, LOGRING_LINES, 0), "line 5");
	assert_string_equal(logring_get(r, 1, 0), "line 1004");
	assert_string_equal(logring_get(r, 100000, LOGRING_LINES - 1), "line 1004");

	/* an over-long line is cut, not lost or overflowed */
	big = malloc(LOGRING_LINE_MAX * 2 + 10);
	memset(big, 'x', LOGRING_LINE_MAX * 2 + 10);
	big[LOGRING_LINE_MAX * 2 + 9] = '\n';
	nout = 0;
	logring_feed(r, big, LOGRING_LINE_MAX * 2 + 10, out, NULL);
	assert_int_equal(nout, 3);
	assert_int_equal(strlen(logring_get(r, 3, 0)), LOGRING_LINE_MAX);
	assert_int_equal(strlen(logring_get(r, 3, 2)), 9);
	free(big);
	logring_free(r);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_status),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_logring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
