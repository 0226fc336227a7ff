/* SPDX-License-Identifier: MIT */
/*
 * policy.h - the supervisor's decisions as pure functions (unit-tested):
 * how an exit is classified and worded, whether it is restarted, how long
 * the backoff is, and when the start limit is hit.
 */
#ifndef SUP_POLICY_H
#define SUP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* A driver that dies before READY=1 is never restarted faster than this,
 * even with RestartSec=0: an init failure must not become a hot loop. */
#define INIT_FAILURE_MIN_USEC 100000ULL

enum exit_kind {
	EK_CLEAN,         /* exit code 0 */
	EK_FAILURE,       /* exit code != 0 */
	EK_CRASH,         /* a fault signal: SEGV, BUS, ABRT, ILL, FPE, SYS, TRAP */
	EK_KILLED,        /* any other signal (KILL, TERM, ...) */
	EK_WATCHDOG,      /* we killed it: no WATCHDOG=1 in time */
	EK_START_TIMEOUT, /* we killed it: no READY=1 within TimeoutStartSec */
};

struct exit_info {
	enum exit_kind kind;
	int code;          /* exit code (EK_CLEAN/EK_FAILURE) */
	int sig;           /* terminating signal, 0 if none */
	bool core;         /* core dumped */
	bool before_ready; /* died before READY=1 */
};

/*
 * exit_classify - from waitid()'s si_code/si_status and what we know.
 * @ready: READY=1 was seen; @watchdog/@start_timeout: we killed it for that.
 */
void exit_classify(int wcode, int wstatus, bool ready, bool watchdog,
		   bool start_timeout, struct exit_info *out);

/* "clean exit", "failure exit (code 1)", "crash (SIGSEGV, core dumped)",
 * "killed (SIGKILL)", "watchdog timeout", "start timeout"; prefixed with
 * "died before ready: " when it never got ready. For last_exit. */
const char *exit_noun(const struct exit_info *e, char *buf, size_t len);
/* The same as a verb phrase for log lines: "crashed (SIGSEGV, core dumped)",
 * "exited with code 1", "hung (watchdog timeout)", "died before ready (...)". */
const char *exit_verb(const struct exit_info *e, char *buf, size_t len);

/* exit_is_failure - everything but a clean exit. */
bool exit_is_failure(const struct exit_info *e);

/* policy_should_restart - Restart= applied to an exit. */
bool policy_should_restart(enum restart_policy p, const struct exit_info *e);

/*
 * policy_backoff - the delay before the next restart.
 * @step: the driver's backoff step, updated: restarts delayed so far in
 *        the current failure streak.
 * @healthy: the instance that just exited had been ready for at least
 *        RestartResetSec: the streak is over, restart immediately.
 * @init_failure: it died before READY=1: never immediate, at least
 *        INIT_FAILURE_MIN_USEC.
 * Delays grow RestartSec, 2x, 4x ... capped at RestartMaxDelaySec.
 */
uint64_t policy_backoff(const struct drv_config *c, unsigned *step, bool healthy,
			bool init_failure);

/* Start history: the most recent start times, for StartLimitBurst. */
struct start_hist {
	uint64_t t[START_LIMIT_BURST_MAX]; /* circular; the parser refuses larger bursts */
	unsigned n, head;
};

void starthist_reset(struct start_hist *h);
void starthist_add(struct start_hist *h, uint64_t now_usec);
/*
 * starthist_limit_hit - true when another start now would be more than
 * @burst starts within @interval (systemd's StartLimitBurst semantics).
 * @burst 0 means no limit.
 */
bool starthist_limit_hit(const struct start_hist *h, unsigned burst,
			 uint64_t interval_usec, uint64_t now_usec);

/* signal_name - "SIGSEGV"; "signal 42" for the nameless. */
const char *signal_name(int sig, char *buf, size_t len);

#endif /* SUP_POLICY_H */
