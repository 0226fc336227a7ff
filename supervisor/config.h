/* SPDX-License-Identifier: MIT */
/*
 * config.h - driver unit files (`NAME.driver`, systemd-unit style) and the
 * time-unit parser. Pure functions: no globals, no printing; errors come
 * back as text naming file, line and key so the caller can print them.
 */
#ifndef SUP_CONFIG_H
#define SUP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SUP_NAME_MAX 64
#define SUP_ERR_MAX 512
/* StartLimitBurst= above this is refused by the parser (the start history
 * keeps this many start times); systemd has no cap, but a burst of more
 * than 64 starts is no limit worth the name. */
#define START_LIMIT_BURST_MAX 64
/* RestartMinDelaySec= default: no automatic restart comes sooner than
 * this after the previous start (systemd's RestartSec= default). */
#define RESTART_MIN_DELAY_DEFAULT 100000ULL

enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };
enum drv_type { TYPE_NOTIFY, TYPE_SIMPLE };

/* Everything one unit file says. Times in microseconds; 0 means "off"
 * where the key says so (WatchdogSec, TimeoutStartSec, StartLimitBurst). */
struct drv_config {
	char name[SUP_NAME_MAX];  /* from the file name, without ".driver" */
	char *path;               /* the unit file */
	char *description;
	char **argv;              /* ExecStart= split into words, NULL-terminated */
	char *device;             /* Device= (a udrv spec), or NULL */
	char **env;               /* Environment= assignments, NULL-terminated */
	size_t nenv;
	char *log_prefix;         /* LogPrefix=, "%n" expanded to the name */
	char *listen;             /* Listen= socket path, or NULL */
	char *user, *group;       /* User=, Group=: name or number, resolved at each start */
	char **supp_groups;       /* SupplementaryGroups=: names or numbers, NULL-terminated, or NULL */
	char **syscall_filter;    /* SystemCallFilter=: system call names, "~name" from a "~"
	                           * assignment (the first word's '~' makes it a deny-list) */
	bool no_new_privs;        /* NoNewPrivileges= */
	bool private_devices;     /* PrivateDevices=: a new mount namespace, a minimal /dev */
	bool private_pids;        /* PrivatePIDs=: a new PID namespace (and mount, for /proc) */
	bool private_tmp;         /* PrivateTmp=: (a new mount namespace) empty /tmp, /var/tmp */
	struct drv_limit {        /* LimitNOFILE=, LimitMEMLOCK=, LimitCORE=, LimitNPROC=, LimitAS= */
		bool set;
		uint64_t soft, hard;  /* UINT64_MAX: infinity */
	} limits[5];
	enum restart_policy restart;
	enum drv_type type;
	uint64_t restart_usec;        /* RestartSec= */
	uint64_t restart_max_usec;    /* RestartMaxDelaySec= */
	uint64_t restart_min_usec;    /* RestartMinDelaySec=: least time between two starts */
	uint64_t restart_reset_usec;  /* RestartResetSec=: a healthy run this long resets backoff */
	unsigned start_limit_burst;   /* StartLimitBurst= (0 = no limit) */
	uint64_t start_limit_usec;    /* StartLimitIntervalSec= */
	uint64_t watchdog_usec;       /* WatchdogSec= (0 = off) */
	uint64_t timeout_stop_usec;   /* TimeoutStopSec= */
	uint64_t timeout_start_usec;  /* TimeoutStartSec= (0 = wait forever for READY=1) */
	uint64_t tasks_max, memory_max; /* TasksMax=, MemoryMax= (cgroup.c); 0: not given,
	                                 * UINT64_MAX: infinity */
	unsigned fdstore_max;         /* FileDescriptorStoreMax= (0 = FDSTORE=1 refused) */
	bool ipc;                     /* IPC=: a held SOCK_SEQPACKET socket RUNTIME/NAME.sock */
	unsigned ipc_mode;            /* IPCMode= (octal permission bits) */
	char *ipc_group;              /* IPCGroup= as written, or NULL (the supervisor's group) */
	gid_t ipc_gid;                /* IPCGroup= resolved; (gid_t)-1 when not given */
};

#define IPC_MODE_DEFAULT 0660     /* owner and IPCGroup=: a socket that drives hardware */

/*
 * parse_time_usec - "500ms", "2s", "1min 30s", "1.5s", "250us", "2h";
 * a bare number is seconds (as in systemd). "infinity" gives UINT64_MAX.
 * Returns 0, or -EINVAL (bad syntax/unit) / -ERANGE (overflow).
 */
int parse_time_usec(const char *s, uint64_t *out);

/* format_time - "0", "250us", "100ms", "2s", "1.5s", "2min": short, exact when possible. */
const char *format_time(uint64_t usec, char *buf, size_t len);

/* split_words - split a command line into words: whitespace separates,
 * "..." and '...' quote, backslash escapes. Returns a NULL-terminated
 * malloc'ed vector (free with strv_free) or NULL with errno EINVAL (an
 * unterminated quote) or ENOMEM. *n gets the word count when n != NULL. */
char **split_words(const char *s, size_t *n);
void strv_free(char **v);

/*
 * The keys [Driver] accepts, with the default as the documentation states
 * it. config_parse_buf() rejects any key not in this table, so a new key
 * is added here (and to supervisor/README.md and man/udrv.driver.5.scd):
 * `driver_supervisor --list-keys` prints it and tests/man compares it with
 * the man page, so the docs cannot drift from the parser.
 */
struct drv_key {
	const char *name;  /* "ExecStart" */
	const char *dflt;  /* "on-failure", "" when there is none */
};
extern const struct drv_key drv_keys[];
extern const size_t drv_nkeys;

/* config_defaults - fill @c with the defaults (name set by the caller). */
void config_defaults(struct drv_config *c);

/*
 * config_parse_buf - parse unit text @text as file @path (used in messages)
 * into @c (defaults applied first; the name comes from @path).
 * Returns 0, or -EINVAL with @err = "PATH:LINE: KEY: what is wrong".
 */
int config_parse_buf(const char *path, const char *text, struct drv_config *c,
		     char *err, size_t errlen);
/* config_parse_file - read @path then config_parse_buf. -errno on I/O errors, with @err set. */
int config_parse_file(const char *path, struct drv_config *c, char *err, size_t errlen);

/* config_name_from_path - "dir/gpio.driver" -> "gpio". -EINVAL when the name is not usable. */
int config_name_from_path(const char *path, char *name, size_t len);

/* The Limit*= keys, in drv_config.limits order, and their RLIMIT_ numbers. */
extern const char *const config_limit_keys[5];
extern const int config_limit_resources[5];

/* config_free - release what @c owns (not @c itself). */
void config_free(struct drv_config *c);

/* config_equal - true when both would run the driver the same way. */
bool config_equal(const struct drv_config *a, const struct drv_config *b);

#endif /* SUP_CONFIG_H */
