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

#include "registers.h"

static uint32_t get_u32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Little-endian, the byte order `udrvctl call` renders. */
static int put_le(const struct udrv_call *c, uint64_t v, unsigned n)
{
	uint8_t *b = c->resp;

	if (c->resp_cap < n)
		return -EMSGSIZE;
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return (int)n;
}

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

	return put_le(c, st->ticks, 8);
}

static int op_period(void *arg, const struct udrv_call *c)
{
	return put_le(c, ST_CLOCK_HZ / rate_asked(arg), 4);
}

static int op_rate(void *arg, const struct udrv_call *c)
{
	return put_le(c, rate_asked(arg), 4);
}

static int op_set_rate(void *arg, const struct udrv_call *c)
{
	struct timer_ipc_state *ipc = c->state;
	uint32_t v, old = rate_asked(arg);

	if (c->req_len != 4)
		return -EINVAL;
	v = get_u32(c->req);
	if (v < TIMER_RATE_MIN || v > TIMER_RATE_MAX)
		return -EINVAL;
	if (c->resp_cap < 4)
		return -EMSGSIZE; /* before the change: a failed call changes nothing */
	ipc->rate_hz = v;
	ipc->sets++;
	return put_le(c, old, 4);
}

int timer_ipc_add_ops(udrv_server *s, struct timer_state *st)
{
	int r;

	r = udrv_server_add_op(s, "status", UDRV_OP_PURE, op_status, NULL, st);
	if (!r)
		r = udrv_server_add_op(s, "ticks", UDRV_OP_PURE, op_ticks, NULL, st);
	if (!r)
		r = udrv_server_add_op(s, "period", UDRV_OP_PURE, op_period, NULL, st);
	if (!r)
		r = udrv_server_add_op(s, "rate", UDRV_OP_PURE, op_rate, NULL, st);
	if (!r)
		r = udrv_server_add_op(s, "set-rate", UDRV_OP_STATE, op_set_rate, NULL, st);
	if (r == 0)
		st->ipc = udrv_server_state(s);
	return r;
}

udrv_server *timer_ipc_open(struct timer_state *st)
{
	udrv_server *s = udrv_server_open(TIMER_IPC_LAYOUT, sizeof(struct timer_ipc_state));
	int r;

	if (!s)
		return NULL;
	r = timer_ipc_add_ops(s, st);
	if (r < 0) {
		udrv_server_close(s);
		errno = -r;
		return NULL;
	}
	return s;
}
