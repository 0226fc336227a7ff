/* SPDX-License-Identifier: MIT */
/*
 * config.c - unit-file parser for `NAME.driver` files.
 *
 * Hand-written rather than libinih: we need the line number of every key
 * for error messages, repeated keys (Environment=) accumulated in order,
 * systemd's quoting rules for ExecStart=/Environment=, and strict
 * rejection of unknown sections and keys. inih would give us only the
 * section/key/value split and we would re-check all of that anyway.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define USEC_PER_MSEC 1000ULL
#define USEC_PER_SEC 1000000ULL

static const struct {
	const char *suffix;
	uint64_t usec;
} time_units[] = {
	{ "us", 1 }, { "usec", 1 },
	{ "ms", USEC_PER_MSEC }, { "msec", USEC_PER_MSEC },
	{ "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC }, { "", USEC_PER_SEC },
	{ "m", 60 * USEC_PER_SEC }, { "min", 60 * USEC_PER_SEC },
	{ "h", 3600 * USEC_PER_SEC }, { "hr", 3600 * USEC_PER_SEC },
};

int parse_time_usec(const char *s, uint64_t *out)
{
	uint64_t total = 0;
	bool any = false;

	if (!s || !out)
		return -EINVAL;
	while (isspace((unsigned char)*s))
		s++;
	if (strcmp(s, "infinity") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	while (*s) {
		uint64_t whole = 0, frac = 0, frac_div = 1, unit = 0;
		const char *p = s;
		char word[8];
		size_t wl = 0;

		if (!isdigit((unsigned char)*p))
			return -EINVAL; /* also rejects a sign */
		for (; isdigit((unsigned char)*p); p++) {
			if (whole > (UINT64_MAX - 9) / 10)
				return -ERANGE;
			whole = whole * 10 + (uint64_t)(*p - '0');
		}
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			for (; isdigit((unsigned char)*p); p++) {
				if (frac_div < 1000000000ULL) { /* beyond ns precision is noise */
					frac = frac * 10 + (uint64_t)(*p - '0');
					frac_div *= 10;
				}
			}
		}
		while (*p == ' ' || *p == '\t')
			p++;
		while (isalpha((unsigned char)*p)) {
			if (wl + 1 >= sizeof(word))
				return -EINVAL;
			word[wl++] = *p++;
		}
		word[wl] = '\0';
		for (size_t i = 0; i < sizeof(time_units) / sizeof(time_units[0]); i++)
			if (strcmp(word, time_units[i].suffix) == 0)
				unit = time_units[i].usec;
		if (!unit)
			return -EINVAL;
		if (whole > UINT64_MAX / unit)
			return -ERANGE;
		uint64_t v = whole * unit, f = frac * unit / frac_div;
		if (v > UINT64_MAX - f) /* the fraction can still carry past 2^64 */
			return -ERANGE;
		v += f;
		if (total > UINT64_MAX - v)
			return -ERANGE;
		total += v;
		any = true;
		while (isspace((unsigned char)*p))
			p++;
		s = p;
	}
	if (!any)
		return -EINVAL;
	*out = total;
	return 0;
}

const char *format_time(uint64_t usec, char *buf, size_t len)
{
	if (usec == UINT64_MAX)
		snprintf(buf, len, "infinity");
	else if (usec == 0)
		snprintf(buf, len, "0");
	else if (usec % (60 * USEC_PER_SEC) == 0)
		snprintf(buf, len, "%llumin", (unsigned long long)(usec / (60 * USEC_PER_SEC)));
	else if (usec % USEC_PER_SEC == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(usec / USEC_PER_SEC));
	/* One decimal, cut (not rounded) in integers: a double loses digits
	 * past 2^53 and rounding up could print more than UINT64_MAX
	 * (fuzz_unit found "18446744073709551515us" printed as a value that
	 * does not parse back). */
	else if (usec >= 10 * USEC_PER_SEC)
		snprintf(buf, len, "%llu.%llus", (unsigned long long)(usec / USEC_PER_SEC),
			 (unsigned long long)(usec % USEC_PER_SEC / (USEC_PER_SEC / 10)));
	else if (usec % USEC_PER_MSEC == 0)
		snprintf(buf, len, "%llums", (unsigned long long)(usec / USEC_PER_MSEC));
	else if (usec >= USEC_PER_MSEC)
		snprintf(buf, len, "%llu.%llums", (unsigned long long)(usec / USEC_PER_MSEC),
			 (unsigned long long)(usec % USEC_PER_MSEC / (USEC_PER_MSEC / 10)));
	else
		snprintf(buf, len, "%lluus", (unsigned long long)usec);
	return buf;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

char **split_words(const char *s, size_t *n)
{
	size_t cap = 4, count = 0, len = strlen(s);
	char **v = calloc(cap + 1, sizeof(*v));
	char *word = malloc(len + 1);

	if (!v || !word)
		goto nomem;
	for (;;) {
		size_t wl = 0;
		char quote = 0;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		while (*s && (quote || !isspace((unsigned char)*s))) {
			if (quote && *s == quote) {
				quote = 0;
				s++;
			} else if (!quote && (*s == '"' || *s == '\'')) {
				quote = *s++;
			} else if (*s == '\\' && quote != '\'' && s[1]) {
				word[wl++] = s[1];
				s += 2;
			} else {
				word[wl++] = *s++;
			}
		}
		if (quote) {
			free(word);
			strv_free(v);
			errno = EINVAL;
			return NULL;
		}
		if (count == cap) {
			char **nv = realloc(v, (cap * 2 + 1) * sizeof(*v));
			if (!nv)
				goto nomem;
			v = nv;
			cap *= 2;
		}
		word[wl] = '\0';
		v[count] = strdup(word);
		if (!v[count])
			goto nomem;
		v[++count] = NULL;
	}
	free(word);
	if (n)
		*n = count;
	return v;
nomem:
	free(word);
	strv_free(v);
	errno = ENOMEM;
	return NULL;
}

void config_defaults(struct drv_config *c)
{
	memset(c, 0, sizeof(*c));
	c->restart = RESTART_ON_FAILURE;
	c->type = TYPE_NOTIFY;
	c->restart_usec = 100 * USEC_PER_MSEC;       /* systemd's default */
	c->restart_max_usec = 10 * USEC_PER_SEC;
	c->restart_min_usec = RESTART_MIN_DELAY_DEFAULT;
	c->restart_reset_usec = 10 * USEC_PER_SEC;
	c->start_limit_burst = 5;                    /* systemd's defaults */
	c->start_limit_usec = 10 * USEC_PER_SEC;
	c->watchdog_usec = 0;
	c->timeout_stop_usec = 5 * USEC_PER_SEC;
	c->timeout_start_usec = 30 * USEC_PER_SEC;
	c->fdstore_max = 8;                          /* systemd's is 0: off */
	c->ipc_mode = IPC_MODE_DEFAULT;              /* systemd's SocketMode= is 0666 */
	c->ipc_gid = (gid_t)-1;
}

void config_free(struct drv_config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->description);
	strv_free(c->argv);
	free(c->device);
	strv_free(c->env);
	free(c->log_prefix);
	free(c->listen);
	free(c->ipc_group);
	free(c->user);
	free(c->group);
	strv_free(c->supp_groups);
	strv_free(c->syscall_filter);
	memset(c, 0, sizeof(*c));
}

int config_name_from_path(const char *path, char *name, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n <= strlen(".driver") || strcmp(base + n - strlen(".driver"), ".driver") != 0)
		return -EINVAL;
	n -= strlen(".driver");
	if (n >= len)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)base[i]) && !strchr("_-.@", base[i]))
			return -EINVAL;
	memcpy(name, base, n);
	name[n] = '\0';
	return 0;
}

static int fail(char *err, size_t errlen, const char *path, unsigned line,
		const char *key, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static int fail(char *err, size_t errlen, const char *path, unsigned line,
		const char *key, const char *fmt, ...)
{
	char msg[SUP_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (key)
		snprintf(err, errlen, "%s:%u: %s: %s", path, line, key, msg);
	else
		snprintf(err, errlen, "%s:%u: %s", path, line, msg);
	return -EINVAL;
}

static char *strip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* ExecStart= with a relative path containing '/' is taken relative to the
 * unit file's directory, so a driver directory can be moved as a whole. */
static int resolve_exec(struct drv_config *c)
{
	const char *slash = strrchr(c->path, '/');
	char *abs;

	if (c->argv[0][0] == '/' || !strchr(c->argv[0], '/'))
		return 0;
	if (asprintf(&abs, "%.*s/%s", slash ? (int)(slash - c->path) : 1,
		     slash ? c->path : ".", c->argv[0]) < 0)
		return -ENOMEM;
	free(c->argv[0]);
	c->argv[0] = abs;
	return 0;
}

static bool valid_env_name(const char *s, size_t n)
{
	if (n == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static int set_str(char **dst, const char *v)
{
	char *d = strdup(v);

	if (!d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

/* A group name from /etc/group, read directly rather than with getgrnam():
 * the supervisor is also linked statically (board images), where NSS
 * modules cannot be loaded. 0, -ENOENT, or -errno of the file. */
static int group_lookup(const char *name, gid_t *gid)
{
	FILE *f = fopen("/etc/group", "re");
	char line[4096];
	size_t n = strlen(name);
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (r == -ENOENT && fgets(line, sizeof(line), f)) {
		char *end, *p;
		unsigned long v;

		/* name:password:gid:members */
		if (strncmp(line, name, n) != 0 || line[n] != ':')
			continue;
		p = strchr(line + n + 1, ':');
		if (!p || !isdigit((unsigned char)p[1]))
			continue;
		errno = 0;
		v = strtoul(p + 1, &end, 10);
		if (*end == ':' && !errno && v < (gid_t)-1) {
			*gid = (gid_t)v;
			r = 0;
		}
	}
	fclose(f);
	return r;
}

/* IPC=, IPCMode=, IPCGroup=: the socket held for a driver's clients.
 * Returns 1 when @key is not one of them, else as apply_key(). */
static int ipc_key(struct drv_config *c, const char *key, const char *val,
		   char *why, size_t wlen)
{
	char *end;

	if (strcmp(key, "IPC") == 0) {
		static const char *const yes[] = { "yes", "true", "on", "1" };
		static const char *const no[] = { "no", "false", "off", "0" };

		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcmp(val, yes[i]) == 0 || strcmp(val, no[i]) == 0) {
				c->ipc = strcmp(val, yes[i]) == 0;
				return 0;
			}
		}
		snprintf(why, wlen, "'%s' is not yes or no", val);
		return -EINVAL;
	}
	if (strcmp(key, "IPCMode") == 0) {
		unsigned long v;

		errno = 0;
		v = strtoul(val, &end, 8);
		if (!isdigit((unsigned char)val[0]) || *end || errno || v > 0777) {
			snprintf(why, wlen, "'%s' is not an octal mode between 0 and 0777", val);
			return -EINVAL;
		}
		c->ipc_mode = (unsigned)v;
		return 0;
	}
	if (strcmp(key, "IPCGroup") == 0) {
		unsigned long v;
		int r;

		errno = 0;
		v = strtoul(val, &end, 10);
		if (isdigit((unsigned char)val[0]) && !*end) {
			if (errno || v >= (gid_t)-1) {
				snprintf(why, wlen, "'%s' is not a valid group number", val);
				return -EINVAL;
			}
			c->ipc_gid = (gid_t)v;
		} else {
			r = *val && !strchr(val, ':') ? group_lookup(val, &c->ipc_gid) : -ENOENT;
			if (r < 0) {
				snprintf(why, wlen, "'%s' is not a group name or number (%s)", val,
					 r == -ENOENT ? "no such group in /etc/group" : strerror(-r));
				return -EINVAL;
			}
		}
		return set_str(&c->ipc_group, val);
	}
	return 1;
}

const struct drv_key drv_keys[] = {
	{ "Description", "" },
	{ "ExecStart", "" },
	{ "Device", "" },
	{ "Type", "notify" },
	{ "Restart", "on-failure" },
	{ "RestartSec", "100ms" },
	{ "RestartMaxDelaySec", "10s" },
	{ "RestartResetSec", "10s" },
	{ "StartLimitBurst", "5" },
	{ "StartLimitIntervalSec", "10s" },
	{ "WatchdogSec", "0" },
	{ "TimeoutStartSec", "30s" },
	{ "TimeoutStopSec", "5s" },
	{ "Environment", "" },
	{ "LogPrefix", "[%n] " },
	{ "Listen", "" },
	{ "FileDescriptorStoreMax", "8" },
	{ "TasksMax", "" },
	{ "MemoryMax", "" },
	{ "IPC", "no" },
	{ "IPCMode", "0660" },
	{ "IPCGroup", "" },
	{ "RestartMinDelaySec", "100ms" },
	{ "User", "" },
	{ "Group", "" },
	{ "NoNewPrivileges", "no" },
	{ "PrivateDevices", "no" },
	{ "PrivatePIDs", "no" },
	{ "PrivateTmp", "no" },
	{ "SupplementaryGroups", "" },
	{ "SystemCallFilter", "" },
	{ "LimitNOFILE", "" },
	{ "LimitMEMLOCK", "" },
	{ "LimitCORE", "" },
	{ "LimitNPROC", "" },
	{ "LimitAS", "" },
};
const size_t drv_nkeys = sizeof(drv_keys) / sizeof(drv_keys[0]);

static bool known_key(const char *key)
{
	for (size_t i = 0; i < drv_nkeys; i++)
		if (strcmp(key, drv_keys[i].name) == 0)
			return true;
	return false;
}

const char *const config_limit_keys[5] = {
	"LimitNOFILE", "LimitMEMLOCK", "LimitCORE", "LimitNPROC", "LimitAS",
};
const int config_limit_resources[5] = {
	RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_CORE, RLIMIT_NPROC, RLIMIT_AS,
};

/* One value of a Limit*= key: a number with an optional K, M, G, T (1024
 * based, as systemd), or "infinity". */
static int parse_limit_value(const char *s, uint64_t *out)
{
	static const char sfx[] = "KMGT";
	unsigned long long v;
	char *end;

	if (strcmp(s, "infinity") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end) {
		const char *p = strchr(sfx, *end);
		if (!p || !*p || end[1])
			return -EINVAL;
		for (long i = 0; i <= p - sfx; i++) {
			if (v > UINT64_MAX / 1024)
				return -ERANGE;
			v *= 1024;
		}
	}
	*out = v;
	return 0;
}

/*
 * A list key as systemd has them (SupplementaryGroups=, SystemCallFilter=):
 * words accumulate over repeated assignments, an empty one empties the
 * list. Each word is a @what: 1..63 characters of letters, digits, '_',
 * '-', '.', '@'.
 */
static int strv_key(char ***list, const char *val, const char *what, char *why, size_t wlen)
{
	size_t n, old = 0;
	char **v, **nv;

	if (!*val) {
		strv_free(*list);
		*list = NULL;
		return 0;
	}
	v = split_words(val, &n);
	if (!v) {
		snprintf(why, wlen, errno == EINVAL ? "unterminated quote" : "out of memory");
		return -errno;
	}
	for (size_t i = 0; i < n; i++) {
		const char *w = v[i];
		size_t len = strlen(w);
		bool ok = len > 0 && len < 64;

		for (size_t k = 0; ok && k < len; k++)
			ok = isalnum((unsigned char)w[k]) || strchr("_-.@", w[k]);
		if (!ok) {
			snprintf(why, wlen, "'%s' is not a %s", v[i], what);
			strv_free(v);
			return -EINVAL;
		}
	}
	while (*list && (*list)[old])
		old++;
	nv = realloc(*list, (old + n + 1) * sizeof(*nv));
	if (!nv) {
		strv_free(v);
		return -ENOMEM;
	}
	memcpy(nv + old, v, n * sizeof(*v));
	nv[old + n] = NULL;
	*list = nv;
	free(v); /* the strings now belong to *list */
	return 0;
}

/* One key of [Driver]. Returns 0, -EINVAL with @why set, or -ENOMEM. */
static int apply_key(struct drv_config *c, const char *key, const char *val,
		     char *why, size_t wlen)
{
	static const char time_hint[] = "expected a time such as 500ms, 2s or 1min";
	uint64_t *tp = NULL;
	int r;

	if (!known_key(key)) { /* the table is the list of keys: see config.h */
		snprintf(why, wlen, "unknown key");
		return -EINVAL;
	}
	if (strcmp(key, "TasksMax") == 0 || strcmp(key, "MemoryMax") == 0) {
		uint64_t *v = key[0] == 'T' ? &c->tasks_max : &c->memory_max;

		/* cgroup pids.max / memory.max; no percentages (systemd has them) */
		if (parse_limit_value(val, v) < 0 || *v == 0) {
			snprintf(why, wlen, "'%s' is not a limit above 0 (%s, or infinity)", val,
				 key[0] == 'T' ? "a number of processes and threads"
					       : "bytes with an optional K, M, G or T");
			*v = 0;
			return -EINVAL;
		}
		if (key[0] == 'T' && *v != UINT64_MAX && strspn(val, "0123456789") != strlen(val)) {
			snprintf(why, wlen, "'%s' is not a number of processes (no suffix)", val);
			*v = 0;
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(key, "ExecStart") == 0) {
		char **v;

		if (c->argv) { /* systemd allows several only for Type=oneshot */
			snprintf(why, wlen, "given twice (a driver runs one command)");
			return -EINVAL;
		}
		v = split_words(val, NULL);
		if (!v) {
			int e = errno;
			snprintf(why, wlen, e == EINVAL ? "unterminated quote in '%s'" : "out of memory", val);
			return -e;
		}
		if (!v[0]) {
			strv_free(v);
			snprintf(why, wlen, "empty command");
			return -EINVAL;
		}
		strv_free(c->argv);
		c->argv = v;
		return resolve_exec(c);
	}
	if (strcmp(key, "Environment") == 0) {
		size_t n;
		char **v = split_words(val, &n);
		if (!v) {
			int e = errno;
			snprintf(why, wlen, e == EINVAL ? "unterminated quote in '%s'" : "out of memory", val);
			return -e;
		}
		for (size_t i = 0; i < n; i++) {
			char *eq = strchr(v[i], '=');
			if (!eq || !valid_env_name(v[i], (size_t)(eq - v[i]))) {
				snprintf(why, wlen, "'%s' is not a VAR=value assignment", v[i]);
				strv_free(v);
				return -EINVAL;
			}
		}
		char **nv = realloc(c->env, (c->nenv + n + 1) * sizeof(*nv));
		if (!nv) {
			strv_free(v);
			return -ENOMEM;
		}
		c->env = nv;
		memcpy(c->env + c->nenv, v, n * sizeof(*v));
		c->nenv += n;
		c->env[c->nenv] = NULL;
		free(v); /* the strings now belong to c->env */
		return 0;
	}
	if (strcmp(key, "Device") == 0)
		return set_str(&c->device, val);
	for (int i = 0; i < 5; i++) {
		char soft[64], *colon;
		struct drv_limit l = { .set = true };

		if (strcmp(key, config_limit_keys[i]) != 0)
			continue;
		snprintf(soft, sizeof(soft), "%s", val);
		colon = strchr(soft, ':');
		if (colon)
			*colon = '\0';
		if (strlen(val) >= sizeof(soft) || parse_limit_value(soft, &l.soft) < 0 ||
		    parse_limit_value(colon ? colon + 1 : soft, &l.hard) < 0 || l.soft > l.hard) {
			snprintf(why, wlen, "'%s' is not a limit (N, N:N with soft <= hard, a K/M/G/T "
				 "suffix, or infinity)", val);
			return -EINVAL;
		}
		c->limits[i] = l;
		return 0;
	}
	if (strcmp(key, "User") == 0)
		return set_str(&c->user, val);
	if (strcmp(key, "Group") == 0)
		return set_str(&c->group, val);
	if (strcmp(key, "SupplementaryGroups") == 0)
		return strv_key(&c->supp_groups, val, "group name or number", why, wlen);
	if (strcmp(key, "SystemCallFilter") == 0) {
		/* "~a b": every word of the assignment is denied (systemd). Names
		 * are checked against the kernel's table at start (seccomp.c):
		 * this parser knows no architecture. */
		bool deny = val[0] == '~';
		size_t old = 0;

		while (c->syscall_filter && c->syscall_filter[old])
			old++;
		if (deny && !*(val + 1 + strspn(val + 1, " \t"))) {
			snprintf(why, wlen, "'~' without system call names");
			return -EINVAL;
		}
		r = strv_key(&c->syscall_filter, deny ? val + 1 : val, "system call name", why, wlen);
		if (r < 0 || !deny || !*val)
			return r;
		for (size_t i = old; c->syscall_filter[i]; i++) {
			char *t;

			if (asprintf(&t, "~%s", c->syscall_filter[i]) < 0)
				return -ENOMEM;
			free(c->syscall_filter[i]);
			c->syscall_filter[i] = t;
		}
		return 0;
	}
	bool *flag = !strcmp(key, "NoNewPrivileges") ? &c->no_new_privs :
		     !strcmp(key, "PrivateDevices") ? &c->private_devices :
		     !strcmp(key, "PrivatePIDs") ? &c->private_pids :
		     !strcmp(key, "PrivateTmp") ? &c->private_tmp : NULL;
	if (flag) {
		if (!strcmp(val, "yes") || !strcmp(val, "true") || !strcmp(val, "1") || !strcmp(val, "on"))
			*flag = true;
		else if (!strcmp(val, "no") || !strcmp(val, "false") || !strcmp(val, "0") ||
			 !strcmp(val, "off"))
			*flag = false;
		else {
			snprintf(why, wlen, "'%s' is not a boolean (yes or no)", val);
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(key, "Description") == 0)
		return set_str(&c->description, val);
	if (strcmp(key, "LogPrefix") == 0)
		return set_str(&c->log_prefix, val);
	if (strcmp(key, "Listen") == 0) {
		if (val[0] != '/' && val[0] != '@') {
			snprintf(why, wlen, "'%s' is not an absolute socket path or @abstract name", val);
			return -EINVAL;
		}
		if (strlen(val) >= 108) {
			snprintf(why, wlen, "socket path longer than 107 bytes");
			return -EINVAL;
		}
		return set_str(&c->listen, val);
	}
	if (strcmp(key, "Restart") == 0) {
		if (strcmp(val, "no") == 0)
			c->restart = RESTART_NO;
		else if (strcmp(val, "on-failure") == 0)
			c->restart = RESTART_ON_FAILURE;
		else if (strcmp(val, "always") == 0)
			c->restart = RESTART_ALWAYS;
		else {
			snprintf(why, wlen, "'%s' is not one of no, on-failure, always", val);
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(key, "Type") == 0) {
		if (strcmp(val, "notify") == 0)
			c->type = TYPE_NOTIFY;
		else if (strcmp(val, "simple") == 0)
			c->type = TYPE_SIMPLE;
		else {
			snprintf(why, wlen, "'%s' is not one of notify, simple", val);
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(key, "StartLimitBurst") == 0) {
		char *end;
		unsigned long v;
		errno = 0;
		v = strtoul(val, &end, 10);
		if (!isdigit((unsigned char)val[0]) || *end || errno) {
			snprintf(why, wlen, "'%s' is not a count between 0 and %d", val,
				 START_LIMIT_BURST_MAX);
			return -EINVAL;
		}
		if (v > START_LIMIT_BURST_MAX) {
			snprintf(why, wlen, "%lu is above the most supported, %d (0 turns the "
				 "limit off)", v, START_LIMIT_BURST_MAX);
			return -EINVAL;
		}
		c->start_limit_burst = (unsigned)v;
		return 0;
	}
	if (strcmp(key, "FileDescriptorStoreMax") == 0) {
		char *end;
		unsigned long v;
		errno = 0;
		v = strtoul(val, &end, 10);
		if (!isdigit((unsigned char)val[0]) || *end || errno || v > 1024) {
			snprintf(why, wlen, "'%s' is not a count between 0 and 1024", val);
			return -EINVAL;
		}
		c->fdstore_max = (unsigned)v;
		return 0;
	}
	r = ipc_key(c, key, val, why, wlen);
	if (r <= 0)
		return r;
	if (strcmp(key, "RestartSec") == 0)
		tp = &c->restart_usec;
	else if (strcmp(key, "RestartMaxDelaySec") == 0)
		tp = &c->restart_max_usec;
	else if (strcmp(key, "RestartMinDelaySec") == 0)
		tp = &c->restart_min_usec;
	else if (strcmp(key, "RestartResetSec") == 0)
		tp = &c->restart_reset_usec;
	else if (strcmp(key, "StartLimitIntervalSec") == 0)
		tp = &c->start_limit_usec;
	else if (strcmp(key, "WatchdogSec") == 0)
		tp = &c->watchdog_usec;
	else if (strcmp(key, "TimeoutStopSec") == 0)
		tp = &c->timeout_stop_usec;
	else if (strcmp(key, "TimeoutStartSec") == 0)
		tp = &c->timeout_start_usec;
	if (!tp) {
		snprintf(why, wlen, "unknown key");
		return -EINVAL;
	}
	r = parse_time_usec(val, tp);
	if (r == 0 && tp == &c->restart_min_usec && *tp < 1000) {
		/* a floor of 0 would allow a hot restart loop again */
		snprintf(why, wlen, "'%s' is below the least allowed, 1ms", val);
		return -EINVAL;
	}
	if (r == -ERANGE)
		snprintf(why, wlen, "'%s' is too large", val);
	else if (r < 0)
		snprintf(why, wlen, "'%s' is not a valid time (%s)", val, time_hint);
	if (r == 0 && *tp == UINT64_MAX && tp != &c->timeout_start_usec &&
	    tp != &c->timeout_stop_usec && tp != &c->restart_max_usec) {
		snprintf(why, wlen, "'infinity' makes no sense here");
		r = -EINVAL;
	}
	if (r == 0 && tp == &c->timeout_start_usec && *tp == UINT64_MAX)
		*tp = 0; /* infinity: wait for READY=1 forever */
	return r;
}

int config_parse_buf(const char *path, const char *text, struct drv_config *c,
		     char *err, size_t errlen)
{
	char name[SUP_NAME_MAX];
	bool in_driver = false, seen_driver = false;
	unsigned lineno = 0;
	const char *p = text;
	int r;

	config_defaults(c);
	if (config_name_from_path(path, name, sizeof(name)) < 0) {
		snprintf(err, errlen, "%s: the file name must be NAME.driver, NAME of "
			 "letters, digits, '_', '-', '.', '@' (at most %d)", path, SUP_NAME_MAX - 1);
		return -EINVAL;
	}
	strcpy(c->name, name);
	c->path = strdup(path);
	if (!c->path)
		return -ENOMEM;

	while (*p) {
		const char *eol = strchrnul(p, '\n');
		size_t n = (size_t)(eol - p);
		char *line = strndup(p, n), *s, *eq;
		char why[SUP_ERR_MAX];

		p = *eol ? eol + 1 : eol;
		lineno++;
		if (!line) {
			r = -ENOMEM;
			goto out;
		}
		s = strip(line);
		if (!*s || *s == '#' || *s == ';') {
			free(line);
			continue;
		}
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || close[1]) {
				r = fail(err, errlen, path, lineno, NULL, "malformed section header '%s'", s);
			} else {
				*close = '\0';
				in_driver = strcmp(s + 1, "Driver") == 0;
				seen_driver |= in_driver;
				r = in_driver ? 0 : fail(err, errlen, path, lineno, NULL,
							 "unknown section [%s] (expected [Driver])", s + 1);
			}
			free(line);
			if (r < 0)
				goto out;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			r = fail(err, errlen, path, lineno, NULL, "'%s' is not KEY=VALUE", s);
			free(line);
			goto out;
		}
		*eq = '\0';
		char *key = strip(s), *val = strip(eq + 1);
		if (!in_driver) {
			r = fail(err, errlen, path, lineno, key, "key outside the [Driver] section");
			free(line);
			goto out;
		}
		why[0] = '\0';
		r = apply_key(c, key, val, why, sizeof(why));
		if (r < 0)
			fail(err, errlen, path, lineno, key, "%s", why[0] ? why : strerror(-r));
		/* as config.h says: -EINVAL (a time too large was -ERANGE, found by
		 * tests/fuzz/fuzz_unit) or -ENOMEM */
		if (r < 0 && r != -ENOMEM)
			r = -EINVAL;
		free(line);
		if (r < 0)
			goto out;
	}
	if (!seen_driver) {
		r = fail(err, errlen, path, lineno, NULL, "no [Driver] section");
		goto out;
	}
	if (!c->argv) {
		r = fail(err, errlen, path, lineno, "ExecStart", "missing (every driver needs a command)");
		goto out;
	}
	if (c->restart_max_usec < c->restart_usec)
		c->restart_max_usec = c->restart_usec;
	if (!c->log_prefix) {
		if (asprintf(&c->log_prefix, "[%s] ", c->name) < 0) {
			c->log_prefix = NULL;
			r = -ENOMEM;
			goto out;
		}
	} else {
		/* expand %n (the driver name) and %% */
		size_t cap = strlen(c->log_prefix) * SUP_NAME_MAX + 1, o = 0;
		char *x = malloc(cap);
		if (!x) {
			r = -ENOMEM;
			goto out;
		}
		for (const char *q = c->log_prefix; *q; q++) {
			if (q[0] == '%' && q[1] == 'n') {
				o += (size_t)sprintf(x + o, "%s", c->name);
				q++;
			} else if (q[0] == '%' && q[1] == '%') {
				x[o++] = '%';
				q++;
			} else {
				x[o++] = *q;
			}
		}
		x[o] = '\0';
		free(c->log_prefix);
		c->log_prefix = x;
	}
	return 0;
out:
	if (r == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	config_free(c);
	return r;
}

int config_parse_file(const char *path, struct drv_config *c, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, r;

	memset(c, 0, sizeof(*c));
	/* Never open anything but a regular file: opening a FIFO blocks until
	 * a writer comes (the supervisor would hang in a reload), a device may
	 * act on open. stat() first; O_NONBLOCK in case it was swapped for a
	 * FIFO since, and fstat() below checks what was really opened. */
	if (stat(path, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file, skipped", path);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 1 << 20) {
		snprintf(err, errlen, "%s: not a regular file of at most 1 MiB", path);
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, buf, (size_t)st.st_size);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0) {
		snprintf(err, errlen, "%s: read: %s", path, strerror(-r));
		free(buf);
		return r;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', (size_t)n)) {
		snprintf(err, errlen, "%s: contains NUL bytes (not a text file)", path);
		free(buf);
		return -EINVAL;
	}
	r = config_parse_buf(path, buf, c, err, errlen);
	free(buf);
	return r;
}

static bool streq0(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool strv_equal(char **a, char **b)
{
	if (!a || !b)
		return a == b;
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return false;
	return !*a && !*b;
}

bool config_equal(const struct drv_config *a, const struct drv_config *b)
{
	return strcmp(a->name, b->name) == 0 && strv_equal(a->argv, b->argv) &&
	       strv_equal(a->env, b->env) && streq0(a->device, b->device) &&
	       streq0(a->log_prefix, b->log_prefix) && streq0(a->listen, b->listen) &&
	       streq0(a->description, b->description) &&
	       streq0(a->user, b->user) && streq0(a->group, b->group) &&
	       strv_equal(a->supp_groups, b->supp_groups) &&
	       strv_equal(a->syscall_filter, b->syscall_filter) &&
	       a->no_new_privs == b->no_new_privs &&
	       a->private_devices == b->private_devices && a->private_pids == b->private_pids &&
	       a->private_tmp == b->private_tmp &&
	       memcmp(a->limits, b->limits, sizeof(a->limits)) == 0 &&
	       a->restart == b->restart && a->type == b->type &&
	       a->restart_usec == b->restart_usec && a->restart_max_usec == b->restart_max_usec &&
	       a->restart_min_usec == b->restart_min_usec &&
	       a->restart_reset_usec == b->restart_reset_usec &&
	       a->start_limit_burst == b->start_limit_burst &&
	       a->start_limit_usec == b->start_limit_usec && a->watchdog_usec == b->watchdog_usec &&
	       a->timeout_stop_usec == b->timeout_stop_usec &&
	       a->timeout_start_usec == b->timeout_start_usec &&
	       a->tasks_max == b->tasks_max && a->memory_max == b->memory_max &&
	       a->fdstore_max == b->fdstore_max &&
	       a->ipc == b->ipc && a->ipc_mode == b->ipc_mode && a->ipc_gid == b->ipc_gid;
}
