/* SPDX-License-Identifier: MIT */
/*
 * drvutil.h - small helpers the demo drivers share: strict number parsing
 * for command-line options, a stop flag set by SIGTERM/SIGINT, and a sleep
 * that a stop request cuts short. Drivers print; these helpers only return.
 */
#ifndef UDRV_DRVUTIL_H
#define UDRV_DRVUTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * drv_parse_u64 - parse @s as a decimal (or 0x-prefixed hex) unsigned
 * number in [min, max]. The whole string must be the number: "12ms", "",
 * "-1" and out-of-range values are refused.
 * Returns 0, -EINVAL (not a number) or -ERANGE (outside [min, max]).
 */
int drv_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/*
 * drv_opt_u64 - drv_parse_u64() for option @opt of program @prog; on error
 * prints "PROG: --OPT: 'VALUE' is not a number" (or "... must be between
 * MIN and MAX") to stderr and returns false.
 */
bool drv_opt_u64(const char *prog, const char *opt, const char *s,
		 uint64_t min, uint64_t max, uint64_t *out);

/* drv_default_spec - $UDRV_DEVICE (set by driver_supervisor's Device=) when
 * non-empty, else @fallback. */
const char *drv_default_spec(const char *fallback);

/* drv_opt_spec - accept --device @s into *@spec; an empty spec is refused
 * with a message and false. */
bool drv_opt_spec(const char *prog, const char *s, const char **spec);

/* drv_opt_done - false (with a message) when arguments are left after the
 * options, argv[@optind] onwards. */
bool drv_opt_done(const char *prog, int argc, char **argv, int optind);

/*
 * drv_open_failed - report a failed udrv_open(@spec) with errno @err, with
 * a hint for the usual causes (malformed spec, device not there).
 */
void drv_open_failed(const char *prog, const char *spec, int err);

/* Set once SIGTERM or SIGINT arrived (after drv_stop_signals_install()). */
extern volatile sig_atomic_t drv_stop_requested;

/*
 * drv_stop_signals_install - SIGTERM and SIGINT set drv_stop_requested.
 * No SA_RESTART, so a blocking call returns EINTR and the loop can look at
 * the flag. Returns 0 or -errno.
 */
int drv_stop_signals_install(void);

/*
 * drv_stop_block - block SIGTERM and SIGINT in the current thread and fill
 * @waitmask with the mask to pass to ppoll() (the previous mask with both
 * unblocked). A stop signal is then delivered only inside ppoll(), which
 * closes the window where it lands between the flag check and the wait.
 * Returns 0 or -errno.
 */
int drv_stop_block(sigset_t *waitmask);

/*
 * drv_stop_pending - also true when a stop signal is pending but was not
 * delivered: ppoll() that finds an fd ready returns it and puts the old
 * mask back without delivering a signal that came meanwhile, so a loop
 * whose fds are always ready (a client calling without pause) would never
 * see SIGTERM. Call it after each ppoll(); it sets drv_stop_requested.
 */
bool drv_stop_pending(void);

/* Monotonic clock helpers. */
void drv_now(struct timespec *ts);
void drv_ts_add_ns(struct timespec *ts, uint64_t ns);
double drv_ts_diff_s(const struct timespec *later, const struct timespec *earlier);

/*
 * drv_sleep_until - sleep until @deadline (CLOCK_MONOTONIC, absolute) with
 * clock_nanosleep(): no CPU is used while waiting, and the absolute deadline
 * keeps a periodic loop from drifting. Returns 0 at the deadline, -EINTR as
 * soon as a stop was requested (a signal that is not a stop request resumes
 * the sleep).
 */
int drv_sleep_until(const struct timespec *deadline);

#endif /* UDRV_DRVUTIL_H */
