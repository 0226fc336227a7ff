/* SPDX-License-Identifier: MIT */
/*
 * gpio_ipc.c - gpio_driver's IPC operations (gpio_ipc.h). Reads are pure
 * (they run again when resent); set-period is a state operation: the new
 * period and the reply are committed together, so a resend after a crash
 * is answered from the record and the period survives the crash.
 */
#include "gpio_ipc.h"

#include <errno.h>
#include <stdio.h>

#define PERIOD_MAX_MS 3600000u /* as --period-ms */

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

uint32_t gpio_run_period(const struct gpio_run *run)
{
	return run->ipc && run->ipc->period_ms ? run->ipc->period_ms : run->period_ms;
}

static int op_status(void *arg, const struct udrv_call *c)
{
	const struct gpio_run *run = arg;
	int n;

	n = snprintf(c->resp, c->resp_cap, "pin=%u period_ms=%u toggles=%llu level=%d\n",
		     run->pin, gpio_run_period(run), (unsigned long long)run->toggles, run->level);
	return n < 0 || (size_t)n >= c->resp_cap ? -EMSGSIZE : n;
}

static int op_period(void *arg, const struct udrv_call *c)
{
	return put_le(c, gpio_run_period(arg), 4);
}

static int op_toggles(void *arg, const struct udrv_call *c)
{
	const struct gpio_run *run = arg;

	return put_le(c, run->toggles, 8);
}

/* The blink loop reads the period from the state after every call, so the
 * next toggle comes the new period after the last one. */
static int op_set_period(void *arg, const struct udrv_call *c)
{
	struct gpio_ipc_state *st = c->state;
	uint32_t v, old = gpio_run_period(arg);

	if (c->req_len != 4)
		return -EINVAL;
	v = get_u32(c->req);
	if (v < 1 || v > PERIOD_MAX_MS)
		return -EINVAL;
	if (c->resp_cap < 4)
		return -EMSGSIZE; /* before the change: a failed call changes nothing */
	st->period_ms = v;
	st->sets++;
	return put_le(c, old, 4);
}

int gpio_ipc_add_ops(udrv_server *s, struct gpio_run *run)
{
	int r;

	r = udrv_server_add_op(s, "status", UDRV_OP_PURE, op_status, NULL, run);
	if (!r)
		r = udrv_server_add_op(s, "period", UDRV_OP_PURE, op_period, NULL, run);
	if (!r)
		r = udrv_server_add_op(s, "set-period", UDRV_OP_STATE, op_set_period, NULL, run);
	if (!r)
		r = udrv_server_add_op(s, "toggles", UDRV_OP_PURE, op_toggles, NULL, run);
	if (r == 0)
		run->ipc = udrv_server_state(s);
	return r;
}

udrv_server *gpio_ipc_open(struct gpio_run *run)
{
	udrv_server *s = udrv_server_open(GPIO_IPC_LAYOUT, sizeof(struct gpio_ipc_state));
	int r;

	if (!s)
		return NULL;
	r = gpio_ipc_add_ops(s, run);
	if (r < 0) {
		udrv_server_close(s);
		errno = -r;
		return NULL;
	}
	return s;
}
