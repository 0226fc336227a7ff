/* SPDX-License-Identifier: MIT */
/*
 * timer_ipc.c - timer_driver's IPC operations (timer_ipc.h). Reads are pure
 * (they run again when resent); set-rate is a state operation: the new rate
 * and the reply are committed together, so a resend after a crash is
 * answered from the record and the rate survives the crash. The handler
 * only records the rate: the tick loop moves the schedule over to it.
 */
#include "timer_ipc.h"

#include <errno.h>
#include <stdio.h>

#include "drvipc.h"
#include "registers.h"

uint64_t timer_missed(const struct timer_state *st)
{
	return st->missed + udrv_irq_missed(st->dev);
}

/* The rate asked for: set over IPC, else the schedule's (--rate-hz). */
static uint32_t rate_asked(const struct timer_state *st)
{
	return st->ipc && st->ipc->rate_hz ? st->ipc->rate_hz : (uint32_t)st->rate_hz;
}

static int op_status(void *arg, const struct udrv_call *c)
{
	const struct timer_state *st = arg;
	int n;

	n = snprintf(c->resp, c->resp_cap, "ticks=%llu missed=%llu period_us=%u rate_hz=%u\n",
		     (unsigned long long)st->ticks, (unsigned long long)timer_missed(st),
		     (unsigned)(ST_CLOCK_HZ / rate_asked(st)), rate_asked(st));
	return n < 0 || (size_t)n >= c->resp_cap ? -EMSGSIZE : n;
}

static int op_ticks(void *arg, const struct udrv_call *c)
{
	const struct timer_state *st = arg;

	return drv_reply_le(c, st->ticks, 8);
}

static int op_period(void *arg, const struct udrv_call *c)
{
	return drv_reply_le(c, ST_CLOCK_HZ / rate_asked(arg), 4);
}

static int op_rate(void *arg, const struct udrv_call *c)
{
	return drv_reply_le(c, rate_asked(arg), 4);
}

static int op_set_rate(void *arg, const struct udrv_call *c)
{
	struct timer_ipc_state *ipc = c->state;
	uint32_t v, old = rate_asked(arg);

	if (c->req_len != 4)
		return -EINVAL;
	v = drv_le32(c->req);
	if (v < TIMER_RATE_MIN || v > TIMER_RATE_MAX)
		return -EINVAL;
	if (c->resp_cap < 4)
		return -EMSGSIZE; /* before the change: a failed call changes nothing */
	ipc->rate_hz = v;
	ipc->sets++;
	return drv_reply_le(c, old, 4);
}

static const struct drv_ipc_op timer_ops[] = {
	{ "status", UDRV_OP_PURE, op_status, NULL },
	{ "ticks", UDRV_OP_PURE, op_ticks, NULL },
	{ "period", UDRV_OP_PURE, op_period, NULL },
	{ "rate", UDRV_OP_PURE, op_rate, NULL },
	{ "set-rate", UDRV_OP_STATE, op_set_rate, NULL },
};

int timer_ipc_add_ops(udrv_server *s, struct timer_state *st)
{
	int r = drv_ipc_add_ops(s, timer_ops, sizeof(timer_ops) / sizeof(timer_ops[0]), st);

	if (r == 0)
		st->ipc = udrv_server_state(s);
	return r;
}

udrv_server *timer_ipc_open(struct timer_state *st)
{
	udrv_server *s = drv_ipc_open(TIMER_IPC_LAYOUT, sizeof(struct timer_ipc_state), timer_ops,
				      sizeof(timer_ops) / sizeof(timer_ops[0]), st);

	if (s)
		st->ipc = udrv_server_state(s);
	return s;
}
