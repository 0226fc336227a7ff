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

#include "drvipc.h"

#define PERIOD_MAX_MS 3600000u /* as --period-ms */

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
	return drv_reply_le(c, gpio_run_period(arg), 4);
}

static int op_toggles(void *arg, const struct udrv_call *c)
{
	const struct gpio_run *run = arg;

	return drv_reply_le(c, run->toggles, 8);
}

/* The blink loop reads the period from the state after every call, so the
 * next toggle comes the new period after the last one. */
static int op_set_period(void *arg, const struct udrv_call *c)
{
	struct gpio_ipc_state *st = c->state;
	uint32_t v, old = gpio_run_period(arg);

	if (c->req_len != 4)
		return -EINVAL;
	v = drv_le32(c->req);
	if (v < 1 || v > PERIOD_MAX_MS)
		return -EINVAL;
	if (c->resp_cap < 4)
		return -EMSGSIZE; /* before the change: a failed call changes nothing */
	st->period_ms = v;
	st->sets++;
	return drv_reply_le(c, old, 4);
}

static const struct drv_ipc_op gpio_ops[] = {
	{ "status", UDRV_OP_PURE, op_status, NULL },
	{ "period", UDRV_OP_PURE, op_period, NULL },
	{ "set-period", UDRV_OP_STATE, op_set_period, NULL },
	{ "toggles", UDRV_OP_PURE, op_toggles, NULL },
};

int gpio_ipc_add_ops(udrv_server *s, struct gpio_run *run)
{
	int r = drv_ipc_add_ops(s, gpio_ops, sizeof(gpio_ops) / sizeof(gpio_ops[0]), run);

	if (r == 0)
		run->ipc = udrv_server_state(s);
	return r;
}

udrv_server *gpio_ipc_open(struct gpio_run *run)
{
	udrv_server *s = drv_ipc_open(GPIO_IPC_LAYOUT, sizeof(struct gpio_ipc_state), gpio_ops,
				      sizeof(gpio_ops) / sizeof(gpio_ops[0]), run);

	if (s)
		run->ipc = udrv_server_state(s);
	return s;
}
