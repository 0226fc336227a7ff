/* SPDX-License-Identifier: MIT */
/* policy.c - exit classification, restart decision, backoff, start limit. */
#include "policy.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

const char *signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

static bool is_fault_signal(int sig)
{
	switch (sig) {
	case SIGSEGV: case SIGBUS: case SIGABRT: case SIGILL:
	case SIGFPE: case SIGSYS: case SIGTRAP:
		return true;
	default:
		return false;
	}
}

void exit_classify(int wcode, int wstatus, bool ready, bool watchdog,
		   bool start_timeout, struct exit_info *out)
{
	memset(out, 0, sizeof(*out));
	out->before_ready = !ready;
	if (wcode == CLD_EXITED) {
		out->code = wstatus;
		out->kind = wstatus == 0 ? EK_CLEAN : EK_FAILURE;
	} else {
		out->sig = wstatus;
		out->core = wcode == CLD_DUMPED;
		out->kind = out->core || is_fault_signal(wstatus) ? EK_CRASH : EK_KILLED;
	}
	/* Our own kill explains the death better than the signal we used. */
	if (watchdog)
		out->kind = EK_WATCHDOG;
	else if (start_timeout)
		out->kind = EK_START_TIMEOUT;
}

static const char *sigdesc(const struct exit_info *e, char *buf, size_t len)
{
	char s[32];

	snprintf(buf, len, "%s%s", signal_name(e->sig, s, sizeof(s)),
		 e->core ? ", core dumped" : "");
	return buf;
}

const char *exit_noun(const struct exit_info *e, char *buf, size_t len)
{
	const char *pre = e->before_ready && e->kind != EK_START_TIMEOUT ? "died before ready: " : "";
	char d[64];

	switch (e->kind) {
	case EK_CLEAN:
		snprintf(buf, len, "%sclean exit", pre);
		break;
	case EK_FAILURE:
		snprintf(buf, len, "%sfailure exit (code %d)", pre, e->code);
		break;
	case EK_CRASH:
		snprintf(buf, len, "%scrash (%s)", pre, sigdesc(e, d, sizeof(d)));
		break;
	case EK_KILLED:
		snprintf(buf, len, "%skilled (%s)", pre, sigdesc(e, d, sizeof(d)));
		break;
	case EK_WATCHDOG:
		snprintf(buf, len, "watchdog timeout");
		break;
	case EK_START_TIMEOUT:
		snprintf(buf, len, "start timeout (no READY=1)");
		break;
	}
	return buf;
}

const char *exit_verb(const struct exit_info *e, char *buf, size_t len)
{
	char d[64], inner[96];

	switch (e->kind) {
	case EK_CLEAN:
		snprintf(inner, sizeof(inner), "exited cleanly");
		break;
	case EK_FAILURE:
		snprintf(inner, sizeof(inner), "exited with code %d", e->code);
		break;
	case EK_CRASH:
		snprintf(inner, sizeof(inner), "crashed (%s)", sigdesc(e, d, sizeof(d)));
		break;
	case EK_KILLED:
		snprintf(inner, sizeof(inner), "was killed (%s)", sigdesc(e, d, sizeof(d)));
		break;
	case EK_WATCHDOG:
		snprintf(buf, len, "hung (watchdog timeout)");
		return buf;
	case EK_START_TIMEOUT:
		snprintf(buf, len, "hung before ready (start timeout)");
		return buf;
	}
	if (e->before_ready)
		snprintf(buf, len, "died before ready (%s)", inner);
	else
		snprintf(buf, len, "%s", inner);
	return buf;
}

bool exit_is_failure(const struct exit_info *e)
{
	return e->kind != EK_CLEAN;
}

bool policy_should_restart(enum restart_policy p, const struct exit_info *e)
{
	switch (p) {
	case RESTART_NO:
		return false;
	case RESTART_ALWAYS:
		return true;
	case RESTART_ON_FAILURE:
		return exit_is_failure(e);
	}
	return false;
}

uint64_t policy_backoff(const struct drv_config *c, unsigned *step, bool healthy,
			bool init_failure)
{
	uint64_t base = c->restart_usec, max = c->restart_max_usec, d;

	if (healthy && !init_failure) {
		*step = 0;
		return 0;
	}
	if (init_failure) {
		if (base < INIT_FAILURE_MIN_USEC)
			base = INIT_FAILURE_MIN_USEC;
		if (max < base)
			max = base;
	}
	d = base;
	for (unsigned i = 0; i < *step && d < max; i++)
		d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
	if (d > max)
		d = max;
	if (*step < 64)
		(*step)++;
	return d;
}

#define HIST_CAP (sizeof(((struct start_hist *)0)->t) / sizeof(uint64_t))

void starthist_reset(struct start_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void starthist_add(struct start_hist *h, uint64_t now_usec)
{
	h->t[h->head] = now_usec;
	h->head = (unsigned)((h->head + 1) % HIST_CAP);
	if (h->n < HIST_CAP)
		h->n++;
}

bool starthist_limit_hit(const struct start_hist *h, unsigned burst,
			 uint64_t interval_usec, uint64_t now_usec)
{
	uint64_t oldest;

	if (burst == 0)
		return false;
	if (burst > HIST_CAP)
		burst = HIST_CAP;
	if (h->n < burst)
		return false;
	/* the burst-th most recent start */
	oldest = h->t[(h->head + HIST_CAP - burst) % HIST_CAP];
	return now_usec - oldest < interval_usec;
}
