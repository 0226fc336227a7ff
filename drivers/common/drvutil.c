/* SPDX-License-Identifier: MIT */
/* drvutil.c - see drvutil.h. */
#include "drvutil.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile sig_atomic_t drv_stop_requested;

int drv_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !out)
		return -EINVAL;
	/* strtoull accepts leading blanks and a minus sign: refuse both. */
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

bool drv_opt_u64(const char *prog, const char *opt, const char *s,
		 uint64_t min, uint64_t max, uint64_t *out)
{
	int r = drv_parse_u64(s, min, max, out);

	if (r == -EINVAL) {
		fprintf(stderr, "%s: %s: '%s' is not a number\n", prog, opt, s ? s : "");
		return false;
	}
	if (r == -ERANGE) {
		fprintf(stderr, "%s: %s: %s is out of range (%" PRIu64 "..%" PRIu64 ")\n",
			prog, opt, s, min, max);
		return false;
	}
	return true;
}

const char *drv_default_spec(const char *fallback)
{
	const char *s = getenv("UDRV_DEVICE");

	return s && *s ? s : fallback;
}

bool drv_opt_spec(const char *prog, const char *s, const char **spec)
{
	if (!*s) {
		fprintf(stderr, "%s: --device: empty device spec\n", prog);
		return false;
	}
	*spec = s;
	return true;
}

bool drv_opt_done(const char *prog, int argc, char **argv, int optind)
{
	if (optind >= argc)
		return true;
	fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
	return false;
}

void drv_open_failed(const char *prog, const char *spec, int err)
{
	const char *hint = "";

	if (err == EINVAL)
		hint = " (a spec is /dev/uioN, uioN, name:NAME or pci:DDDD:BB:DD.F)";
	else if (err == ENOENT)
		hint = " (no such UIO device: is the kernel driver bound? see `udrvctl list`)";
	fprintf(stderr, "%s: cannot open device '%s': %s%s\n", prog, spec, strerror(err), hint);
}

static void on_stop(int sig)
{
	(void)sig;
	drv_stop_requested = 1;
}

int drv_stop_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return -errno;
	return 0;
}

int drv_stop_block(sigset_t *waitmask)
{
	sigset_t stops, old;
	int r;

	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	r = sigprocmask(SIG_BLOCK, &stops, &old);
	if (r < 0)
		return -errno;
	*waitmask = old;
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGINT);
	return 0;
}

bool drv_stop_pending(void)
{
	sigset_t p;

	if (sigpending(&p) == 0 && (sigismember(&p, SIGTERM) == 1 || sigismember(&p, SIGINT) == 1))
		drv_stop_requested = 1;
	return drv_stop_requested;
}

void drv_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

void drv_ts_add_ns(struct timespec *ts, uint64_t ns)
{
	ns += (uint64_t)ts->tv_nsec;
	ts->tv_sec += (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

double drv_ts_diff_s(const struct timespec *later, const struct timespec *earlier)
{
	return (double)(later->tv_sec - earlier->tv_sec) +
	       (double)(later->tv_nsec - earlier->tv_nsec) / 1e9;
}

int drv_sleep_until(const struct timespec *deadline)
{
	int r;

	for (;;) {
		if (drv_stop_requested)
			return -EINTR;
		/* clock_nanosleep returns the error number, not -1/errno. */
		r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL);
		if (r == 0)
			return drv_stop_requested ? -EINTR : 0;
		if (r != EINTR)
			return -r;
	}
}
