/* SPDX-License-Identifier: MIT */
/* Unit tests: the unit-file parser, the time-unit parser, word splitting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static void test_time_units(void **state)
{
	static const struct {
		const char *in;
		uint64_t usec;
	} ok[] = {
		{ "0", 0 }, { "5", 5000000 }, { "250us", 250 }, { "100ms", 100000 },
		{ "2s", 2000000 }, { "2sec", 2000000 }, { "1min", 60000000 }, { "2m", 120000000 },
		{ "1h", 3600000000ULL }, { "1.5s", 1500000 }, { "0.25ms", 250 },
		{ "1min 30s", 90000000 }, { "1min30s", 90000000 }, { " 10 ms ", 10000 },
		{ "infinity", UINT64_MAX },
	};
	static const char *const bad[] = {
		"", " ", "abc", "-1s", "10 furlongs", "1.s", ".5s", "5x", "1s -2s", "ms", "1e3ms",
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 42;
		assert_int_equal(parse_time_usec(ok[i].in, &v), 0);
		if (v != ok[i].usec)
			fail_msg("'%s' gave %llu, expected %llu", ok[i].in,
				 (unsigned long long)v, (unsigned long long)ok[i].usec);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		if (parse_time_usec(bad[i], &v) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(v, 42); /* untouched on error */
	}
	assert_int_equal(parse_time_usec("99999999999999999999s", &v), -ERANGE);
	assert_int_equal(parse_time_usec("18446744073709551615min", &v), -ERANGE);
	/* The whole part fits, the fraction pushes it past 2^64: no wrap-around
	 * to a small time (this gave about 52min). */
	v = 42;
	assert_int_equal(parse_time_usec("5124095576.9h", &v), -ERANGE);
	assert_int_equal(v, 42);
	assert_int_equal(parse_time_usec("5124095576h", &v), 0);
	assert_int_equal(v, 5124095576ULL * 3600000000ULL);
}

static void test_format_time(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(format_time(0, b, sizeof(b)), "0");
	assert_string_equal(format_time(250, b, sizeof(b)), "250us");
	assert_string_equal(format_time(100000, b, sizeof(b)), "100ms");
	assert_string_equal(format_time(1500000, b, sizeof(b)), "1500ms");
	assert_string_equal(format_time(2000000, b, sizeof(b)), "2s");
	assert_string_equal(format_time(120000000, b, sizeof(b)), "2min");
}

static void test_split_words(void **state)
{
	size_t n;
	char **v = split_words("  /bin/drv --pin 17 \"two words\" 'single \\ quote' a\\ b x\"y z\" ", &n);

	(void)state;
	assert_non_null(v);
	assert_int_equal(n, 7);
	assert_string_equal(v[0], "/bin/drv");
	assert_string_equal(v[1], "--pin");
	assert_string_equal(v[2], "17");
	assert_string_equal(v[3], "two words");
	assert_string_equal(v[4], "single \\ quote");
	assert_string_equal(v[5], "a b");
	assert_string_equal(v[6], "xy z");
	assert_null(v[7]);
	strv_free(v);

	errno = 0;
	assert_null(split_words("a \"unterminated", NULL));
	assert_int_equal(errno, EINVAL);
	v = split_words("   ", &n);
	assert_non_null(v);
	assert_int_equal(n, 0);
	strv_free(v);
}

static const char full_unit[] =
	"# a comment\n"
	"; another\n"
	"\n"
	"[Driver]\n"
	"Description=GPIO LED\n"
	"ExecStart=/usr/bin/gpio_driver --pin 17 --period-ms 500\n"
	"Device=name:gpio\n"
	"Restart=always\n"
	"RestartSec=200ms\n"
	"RestartMaxDelaySec=5s\n"
	"RestartResetSec=1min\n"
	"StartLimitBurst=3\n"
	"StartLimitIntervalSec=30s\n"
	"WatchdogSec=2s\n"
	"TimeoutStopSec=1s\n"
	"TimeoutStartSec=infinity\n"
	"Environment=A=1 \"B=two words\"\n"
	"Environment=C=3\n"
	"Type=simple\n"
	"LogPrefix=<%n> \n"
	"Listen=/run/gpio.sock\n"
	"FileDescriptorStoreMax=3\n";

static void test_parse_full(void **state)
{
	struct drv_config c;
	char err[SUP_ERR_MAX] = "";

	(void)state;
	assert_int_equal(config_parse_buf("/etc/udrv/gpio.driver", full_unit, &c, err, sizeof(err)), 0);
	assert_string_equal(c.name, "gpio");
	assert_string_equal(c.description, "GPIO LED");
	assert_string_equal(c.argv[0], "/usr/bin/gpio_driver");
	assert_string_equal(c.argv[4], "500");
	assert_null(c.argv[5]);
	assert_string_equal(c.device, "name:gpio");
	assert_int_equal(c.restart, RESTART_ALWAYS);
	assert_int_equal(c.restart_usec, 200000);
	assert_int_equal(c.restart_max_usec, 5000000);
	assert_int_equal(c.restart_reset_usec, 60000000);
	assert_int_equal(c.start_limit_burst, 3);
	assert_int_equal(c.start_limit_usec, 30000000);
	assert_int_equal(c.watchdog_usec, 2000000);
	assert_int_equal(c.timeout_stop_usec, 1000000);
	assert_int_equal(c.timeout_start_usec, 0);
	/* repeated Environment= accumulates, in order */
	assert_int_equal(c.nenv, 3);
	assert_string_equal(c.env[0], "A=1");
	assert_string_equal(c.env[1], "B=two words");
	assert_string_equal(c.env[2], "C=3");
	assert_null(c.env[3]);
	assert_int_equal(c.type, TYPE_SIMPLE);
	/* the trailing space of LogPrefix= is stripped like every value */
	assert_string_equal(c.log_prefix, "<gpio>");
	assert_string_equal(c.listen, "/run/gpio.sock");
	assert_int_equal(c.fdstore_max, 3);
	config_free(&c);
}

static void test_defaults_and_relative_exec(void **state)
{
	struct drv_config c;
	char err[SUP_ERR_MAX] = "";

	(void)state;
	assert_int_equal(config_parse_buf("/srv/drivers/led.driver",
					  "[Driver]\nExecStart=bin/led -v\n", &c, err, sizeof(err)), 0);
	/* relative to the unit file's directory */
	assert_string_equal(c.argv[0], "/srv/drivers/bin/led");
	assert_int_equal(c.restart, RESTART_ON_FAILURE);
	assert_int_equal(c.type, TYPE_NOTIFY);
	assert_int_equal(c.restart_usec, 100000);
	assert_int_equal(c.start_limit_burst, 5);
	assert_int_equal(c.fdstore_max, 8);
	assert_int_equal(c.watchdog_usec, 0);
	assert_string_equal(c.log_prefix, "[led] ");
	assert_null(c.device);
	config_free(&c);

	/* a bare command name is left for a PATH search */
	assert_int_equal(config_parse_buf("x/sleeper.driver", "[Driver]\nExecStart=sleep 1\n",
					  &c, err, sizeof(err)), 0);
	assert_string_equal(c.argv[0], "sleep");
	config_free(&c);
}

/* Each bad input: the error names file, line and key. */
static void test_parse_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "[Driver]\nExecStart=/bin/x\nRestartSec=fast\n",
		  "d/x.driver:3: RestartSec: 'fast' is not a valid time" },
		{ "[Driver]\nExecStart=/bin/x\nRestart=sometimes\n",
		  "d/x.driver:3: Restart: 'sometimes' is not one of no, on-failure, always" },
		{ "[Driver]\nExecStart=/bin/x\n\nFrobnicate=1\n", "d/x.driver:4: Frobnicate: unknown key" },
		{ "[Service]\nExecStart=/bin/x\n", "d/x.driver:1: unknown section [Service]" },
		{ "ExecStart=/bin/x\n", "d/x.driver:1: ExecStart: key outside the [Driver] section" },
		{ "[Driver]\nRestartSec=1s\n", "d/x.driver:2: ExecStart: missing" },
		{ "[Driver]\nExecStart=\n", "d/x.driver:2: ExecStart: empty command" },
		{ "[Driver]\nExecStart=/bin/x \"open\n", "d/x.driver:2: ExecStart: unterminated quote" },
		{ "[Driver]\nExecStart=/bin/x\nExecStart=/bin/y\n", "d/x.driver:3: ExecStart: given twice" },
		{ "[Driver]\nExecStart=/bin/x\nEnvironment=NOEQUALS\n",
		  "d/x.driver:3: Environment: 'NOEQUALS' is not a VAR=value" },
		{ "[Driver]\nExecStart=/bin/x\nEnvironment=1A=b\n",
		  "d/x.driver:3: Environment: '1A=b' is not a VAR=value" },
		{ "[Driver]\nExecStart=/bin/x\nStartLimitBurst=-1\n",
		  "d/x.driver:3: StartLimitBurst: '-1' is not a count" },
		/* no silent cap: above what the start history keeps is refused */
		{ "[Driver]\nExecStart=/bin/x\nStartLimitBurst=65\n",
		  "d/x.driver:3: StartLimitBurst: 65 is above the most supported, 64" },
		{ "[Driver]\nExecStart=/bin/x\nLimitNOFILE=200:100\n",
		  "d/x.driver:3: LimitNOFILE: '200:100' is not a limit" },
		{ "[Driver]\nExecStart=/bin/x\nLimitAS=4Q\n", "d/x.driver:3: LimitAS: '4Q' is not a limit" },
		{ "[Driver]\nExecStart=/bin/x\nNoNewPrivileges=maybe\n",
		  "d/x.driver:3: NoNewPrivileges: 'maybe' is not a boolean" },
		{ "[Driver]\nExecStart=/bin/x\nRestartMinDelaySec=0\n",
		  "d/x.driver:3: RestartMinDelaySec: '0' is below the least allowed, 1ms" },
		{ "[Driver]\nExecStart=/bin/x\nWatchdogSec=infinity\n",
		  "d/x.driver:3: WatchdogSec: 'infinity' makes no sense here" },
		{ "[Driver]\nExecStart=/bin/x\njust words\n", "d/x.driver:3: 'just words' is not KEY=VALUE" },
		{ "[Driver\n", "d/x.driver:1: malformed section header" },
		{ "# nothing\n", "d/x.driver:1: no [Driver] section" },
		{ "[Driver]\nExecStart=/bin/x\nListen=relative.sock\n",
		  "d/x.driver:3: Listen: 'relative.sock' is not an absolute socket path" },
		{ "[Driver]\nExecStart=/bin/x\nFileDescriptorStoreMax=1025\n",
		  "d/x.driver:3: FileDescriptorStoreMax: '1025' is not a count between 0 and 1024" },
		{ "[Driver]\nExecStart=/bin/x\nFileDescriptorStoreMax=many\n",
		  "d/x.driver:3: FileDescriptorStoreMax: 'many' is not a count" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct drv_config c;
		char err[SUP_ERR_MAX] = "";

		assert_int_equal(config_parse_buf("d/x.driver", cases[i].text, &c, err, sizeof(err)), -EINVAL);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("case %zu: got '%s', expected '%s...'", i, err, cases[i].err);
		assert_null(c.argv); /* nothing left allocated */
	}
}

/* A FIFO named like a unit is reported, never opened (an open would block
 * until a writer came). */
static void test_fifo_not_opened(void **state)
{
	char dir[] = "/tmp/udrv-cfg-XXXXXX", path[64], err[SUP_ERR_MAX] = "";
	struct drv_config c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.driver", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(config_parse_file(path, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	unlink(path);
	rmdir(dir);
}

static void test_file_names(void **state)
{
	char name[SUP_NAME_MAX];
	struct drv_config c;
	char err[SUP_ERR_MAX];

	(void)state;
	assert_int_equal(config_name_from_path("/a/b/gpio_driver.driver", name, sizeof(name)), 0);
	assert_string_equal(name, "gpio_driver");
	assert_int_equal(config_name_from_path("x.conf", name, sizeof(name)), -EINVAL);
	assert_int_equal(config_name_from_path(".driver", name, sizeof(name)), -EINVAL);
	assert_int_equal(config_name_from_path("a b.driver", name, sizeof(name)), -EINVAL);
	assert_int_equal(config_parse_buf("dir/bad name.driver", "[Driver]\nExecStart=/x\n", &c, err,
					  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "dir/bad name.driver: the file name must be NAME.driver"));
}

static void test_config_equal(void **state)
{
	struct drv_config a, b;
	char err[SUP_ERR_MAX];

	(void)state;
	assert_int_equal(config_parse_buf("g.driver", full_unit, &a, err, sizeof(err)), 0);
	assert_int_equal(config_parse_buf("g.driver", full_unit, &b, err, sizeof(err)), 0);
	assert_true(config_equal(&a, &b));
	b.restart_usec++;
	assert_false(config_equal(&a, &b));
	b.restart_usec--;
	b.fdstore_max = 8;
	assert_false(config_equal(&a, &b));
	b.fdstore_max = 3;
	free(b.env[2]);
	b.env[2] = strdup("C=4");
	assert_false(config_equal(&a, &b));
	config_free(&a);
	config_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_units),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_defaults_and_relative_exec),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_file_names),
		cmocka_unit_test(test_fifo_not_opened),
		cmocka_unit_test(test_config_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
