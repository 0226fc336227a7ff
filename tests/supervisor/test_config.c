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
	assert_string_equal(format_time(12345678, b, sizeof(b)), "12.3s");
	assert_string_equal(format_time(1290, b, sizeof(b)), "1.2ms"); /* cut, not rounded */
	/* found by tests/fuzz/fuzz_unit: prints a value that parses back */
	assert_string_equal(format_time(18446744073709551515ULL, b, sizeof(b)), "18446744073709.5s");
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
		{ "[Driver]\nExecStart=/bin/x\nPrivateDevices=sometimes\n",
		  "d/x.driver:3: PrivateDevices: 'sometimes' is not a boolean" },
		{ "[Driver]\nExecStart=/bin/x\nPrivatePIDs=2\n",
		  "d/x.driver:3: PrivatePIDs: '2' is not a boolean" },
		{ "[Driver]\nExecStart=/bin/x\nPrivateTmp=\n",
		  "d/x.driver:3: PrivateTmp: '' is not a boolean" },
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
		/* found by tests/fuzz/fuzz_unit: was -ERANGE, not the -EINVAL config.h says */
		{ "[Driver]\nExecStart=/bin/x\nTimeoutStopSec=99999999999999999999s\n",
		  "d/x.driver:3: TimeoutStopSec: '99999999999999999999s' is too large" },
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
	b.private_devices = !a.private_devices; /* a new namespace key restarts the driver */
	assert_false(config_equal(&a, &b));
	b.private_devices = a.private_devices;
	b.private_pids = !a.private_pids;
	assert_false(config_equal(&a, &b));
	b.private_pids = a.private_pids;
	b.private_tmp = !a.private_tmp;
	assert_false(config_equal(&a, &b));
	b.private_tmp = a.private_tmp;
	free(b.env[2]);
	b.env[2] = strdup("C=4");
	assert_false(config_equal(&a, &b));
	config_free(&a);
	config_free(&b);
}

/* TasksMax=, MemoryMax= (cgroup.c): numbers, suffixes, infinity; errors name the line. */
static void test_cgroup_limit_keys(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} bad[] = {
		{ "[Driver]\nExecStart=/bin/x\nTasksMax=0\n", "d/x.driver:3: TasksMax: '0' is not a limit above 0" },
		{ "[Driver]\nExecStart=/bin/x\nTasksMax=10K\n",
		  "d/x.driver:3: TasksMax: '10K' is not a number of processes (no suffix)" },
		{ "[Driver]\nExecStart=/bin/x\nTasksMax=50%\n", "d/x.driver:3: TasksMax: '50%' is not a limit" },
		{ "[Driver]\nExecStart=/bin/x\nMemoryMax=lots\n", "d/x.driver:3: MemoryMax: 'lots' is not a limit" },
		{ "[Driver]\nExecStart=/bin/x\nMemoryMax=-1\n", "d/x.driver:3: MemoryMax: '-1' is not a limit" },
	};
	struct drv_config c, c2;
	char err[SUP_ERR_MAX];

	(void)state;
	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\n", &c, err,
					  sizeof(err)), 0);
	assert_true(c.tasks_max == 0 && c.memory_max == 0); /* not given: no limit */
	assert_false(c.private_devices || c.private_pids || c.private_tmp); /* only when asked */
	config_free(&c);
	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\n"
					  "PrivateDevices=yes\nPrivatePIDs=on\nPrivateTmp=true\n", &c, err,
					  sizeof(err)), 0);
	assert_true(c.private_devices && c.private_pids && c.private_tmp);
	config_free(&c);
	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\nTasksMax=32\n"
					  "MemoryMax=64M\n", &c, err, sizeof(err)), 0);
	assert_true(c.tasks_max == 32 && c.memory_max == 64ULL << 20);
	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\nTasksMax=infinity\n"
					  "MemoryMax=123456\n", &c2, err, sizeof(err)), 0);
	assert_true(c2.tasks_max == UINT64_MAX && c2.memory_max == 123456);
	assert_false(config_equal(&c, &c2)); /* a changed limit restarts the driver */
	config_free(&c);
	config_free(&c2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(config_parse_buf("d/x.driver", bad[i].text, &c, err, sizeof(err)),
				 -EINVAL);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("%s: got '%s'", bad[i].err, err);
		config_free(&c);
	}
}

/* IPC=, IPCMode=, IPCGroup=: defaults, forms accepted, errors naming the line. */
static void test_ipc_keys(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} bad[] = {
		{ "[Driver]\nExecStart=/bin/x\nIPC=maybe\n", "d/x.driver:3: IPC: 'maybe' is not yes or no" },
		{ "[Driver]\nExecStart=/bin/x\nIPCMode=0778\n",
		  "d/x.driver:3: IPCMode: '0778' is not an octal mode between 0 and 0777" },
		{ "[Driver]\nExecStart=/bin/x\nIPCMode=1777\n",
		  "d/x.driver:3: IPCMode: '1777' is not an octal mode" },
		{ "[Driver]\nExecStart=/bin/x\nIPCMode=rw\n", "d/x.driver:3: IPCMode: 'rw' is not an octal" },
		{ "[Driver]\nExecStart=/bin/x\nIPCMode=-1\n", "d/x.driver:3: IPCMode: '-1' is not an octal" },
		{ "[Driver]\nExecStart=/bin/x\nIPC=yes\n\nIPCGroup=no-such-group-udrv\n",
		  "d/x.driver:5: IPCGroup: 'no-such-group-udrv' is not a group name or number (no such group in /etc/group)" },
		{ "[Driver]\nExecStart=/bin/x\nIPCGroup=4294967295\n",
		  "d/x.driver:3: IPCGroup: '4294967295' is not a valid group number" },
		{ "[Driver]\nExecStart=/bin/x\nIPCGroup=99999999999999999999\n",
		  "d/x.driver:3: IPCGroup: '99999999999999999999' is not a valid group number" },
		{ "[Driver]\nExecStart=/bin/x\nIPCGroup=\n", "d/x.driver:3: IPCGroup: '' is not a group" },
		{ "[Driver]\nExecStart=/bin/x\nIPCGroup=root:x\n", "d/x.driver:3: IPCGroup: 'root:x' is not a group" },
		{ "[Driver]\nExecStart=/bin/x\nIPCGroup=roo\n", "d/x.driver:3: IPCGroup: 'roo' is not a group" },
	};
	struct drv_config a, b;
	char err[SUP_ERR_MAX] = "";

	(void)state;
	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\n", &a, err,
					  sizeof(err)), 0);
	assert_false(a.ipc);
	assert_int_equal(a.ipc_mode, 0660);
	assert_int_equal(a.ipc_gid, (gid_t)-1);
	assert_null(a.ipc_group);
	config_free(&a);

	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\nIPC=yes\n"
					  "IPCMode=0600\nIPCGroup=root\n", &a, err, sizeof(err)), 0);
	assert_true(a.ipc);
	assert_int_equal(a.ipc_mode, 0600);
	assert_int_equal(a.ipc_gid, 0);
	assert_string_equal(a.ipc_group, "root");
	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\nIPC=true\n"
					  "IPCMode=600\nIPCGroup=0\n", &b, err, sizeof(err)), 0);
	assert_int_equal(b.ipc_mode, 0600);
	assert_int_equal(b.ipc_gid, 0);
	/* the same group by name or number runs the same way */
	assert_true(config_equal(&a, &b));
	b.ipc = false;
	assert_false(config_equal(&a, &b));
	b.ipc = true;
	b.ipc_mode = 0666;
	assert_false(config_equal(&a, &b));
	b.ipc_mode = 0600;
	b.ipc_gid = 7;
	assert_false(config_equal(&a, &b));
	config_free(&a);
	config_free(&b);

	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\nIPC=no\n"
					  "IPCMode=0\nIPCGroup=12345\n", &a, err, sizeof(err)), 0);
	assert_false(a.ipc);
	assert_int_equal(a.ipc_mode, 0);
	assert_int_equal(a.ipc_gid, 12345); /* a number need not name an existing group */
	config_free(&a);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(config_parse_buf("d/x.driver", bad[i].text, &a, err, sizeof(err)), -EINVAL);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("case %zu: got '%s', expected '%s...'", i, err, bad[i].err);
		assert_null(a.ipc_group); /* nothing left allocated */
	}
}

/* List keys (SupplementaryGroups=, SystemCallFilter=): words accumulate over repeated
 * assignments, an empty assignment empties the list, bad words are named. */
static void test_list_keys(void **state)
{
	struct drv_config c;
	char err[SUP_ERR_MAX] = "";

	(void)state;
	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\n"
					  "SupplementaryGroups=gpio 20\nSupplementaryGroups=dialout\n",
					  &c, err, sizeof(err)), 0);
	assert_string_equal(c.supp_groups[0], "gpio");
	assert_string_equal(c.supp_groups[1], "20");
	assert_string_equal(c.supp_groups[2], "dialout");
	assert_null(c.supp_groups[3]);
	config_free(&c);
	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\n"
					  "SupplementaryGroups=gpio\nSupplementaryGroups=\n"
					  "SupplementaryGroups=i2c\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.supp_groups[0], "i2c");
	assert_null(c.supp_groups[1]);
	config_free(&c);
	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\n"
					  "SupplementaryGroups=gpio a:b\n", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "d/x.driver:3: SupplementaryGroups: 'a:b' is not a group name or number");
	/* SystemCallFilter=: a '~' assignment marks each of its words */
	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\n"
					  "SystemCallFilter=read write\nSystemCallFilter=~ write ioctl\n",
					  &c, err, sizeof(err)), 0);
	assert_string_equal(c.syscall_filter[0], "read");
	assert_string_equal(c.syscall_filter[1], "write");
	assert_string_equal(c.syscall_filter[2], "~write");
	assert_string_equal(c.syscall_filter[3], "~ioctl");
	assert_null(c.syscall_filter[4]);
	config_free(&c);
	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\n"
					  "SystemCallFilter=~\n", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "d/x.driver:3: SystemCallFilter: '~' without system call names");
	assert_int_equal(config_parse_buf("d/x.driver", "[Driver]\nExecStart=/bin/x\n"
					  "SystemCallFilter=read:EPERM\n", &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "d/x.driver:3: SystemCallFilter: 'read:EPERM' is not a system call name");
}

/* Every default the key table documents (--list-keys, the man page) is the
 * default config_defaults() really applies: writing KEY=DEFAULT changes
 * nothing. String keys without a default are left out. */
static void test_key_table_defaults(void **state)
{
	struct drv_config a, b;
	char err[SUP_ERR_MAX], text[256];
	size_t checked = 0;

	(void)state;
	assert_int_equal(config_parse_buf("/etc/x.driver", "[Driver]\nExecStart=/bin/true\n", &a,
					  err, sizeof(err)), 0);
	for (size_t i = 0; i < drv_nkeys; i++) {
		const char *k = drv_keys[i].name, *d = drv_keys[i].dflt;

		if (!*d || strcmp(k, "LogPrefix") == 0) /* its default ends in a space */
			continue;
		snprintf(text, sizeof(text), "[Driver]\nExecStart=/bin/true\n%s=%s\n", k, d);
		if (config_parse_buf("/etc/x.driver", text, &b, err, sizeof(err)) != 0)
			fail_msg("%s=%s does not parse: %s", k, d, err);
		if (a.restart != b.restart || a.type != b.type ||
		    a.restart_usec != b.restart_usec || a.restart_max_usec != b.restart_max_usec ||
		    a.restart_reset_usec != b.restart_reset_usec ||
		    a.start_limit_burst != b.start_limit_burst ||
		    a.start_limit_usec != b.start_limit_usec || a.watchdog_usec != b.watchdog_usec ||
		    a.timeout_stop_usec != b.timeout_stop_usec ||
		    a.timeout_start_usec != b.timeout_start_usec || a.fdstore_max != b.fdstore_max)
			fail_msg("%s=%s is documented as the default but is not", k, d);
		config_free(&b);
		checked++;
	}
	assert_true(checked >= 10);
	/* a key outside the table is refused, whatever the parser knows */
	assert_int_equal(config_parse_buf("/etc/x.driver", "[Driver]\nExecStart=/bin/true\nNoSuchKey=1\n",
					  &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown key"));
	config_free(&a);
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
		cmocka_unit_test(test_ipc_keys),
		cmocka_unit_test(test_cgroup_limit_keys),
		cmocka_unit_test(test_key_table_defaults),
		cmocka_unit_test(test_list_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
