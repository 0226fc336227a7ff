/* SPDX-License-Identifier: MIT */
/*
 * edu_ipc.c - edu_driver's IPC operations (edu_ipc.h): one of each kind.
 *
 * factorial is pure: it leaves nothing behind but the result, so a resend
 * simply computes again. add is a state operation: its effect is the total
 * in the checkpoint, committed with the reply, so a resend after a crash is
 * answered from the record and never adds twice. mark is a device operation:
 * its effect is a register value; the intent is committed before the write,
 * and a new instance finds out by reading the register back whether the
 * write of a dead one happened.
 */
#include "edu_ipc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drvipc.h"
#include "edu.h"
#include "edu_faults.h"
#include "registers.h"

#define FACT_WAIT_MS 2000

static int op_factorial(void *arg, const struct udrv_call *c)
{
	uint32_t res;
	int r;

	if (c->req_len != 4)
		return -EINVAL;
	/* Polled (100 us naps): the serve loop owns the interrupt. */
	r = edu_factorial_poll(arg, drv_le32(c->req), FACT_WAIT_MS, &res);
	if (r < 0)
		return r;
	return drv_reply_le(c, res, 4);
}

static int op_add(void *arg, const struct udrv_call *c)
{
	struct edu_state *st = c->state;

	(void)arg;
	if (c->req_len != 4)
		return -EINVAL;
	st->total += drv_le32(c->req);
	st->adds++;
	return drv_reply_le(c, st->total, 8);
}

static int op_total(void *arg, const struct udrv_call *c)
{
	const struct edu_state *st = c->state;

	(void)arg;
	return drv_reply_le(c, st->total, 8);
}

static int op_status(void *arg, const struct udrv_call *c)
{
	const struct edu_state *st = c->state;
	int n;

	(void)arg;
	n = snprintf(c->resp, c->resp_cap, "total=%llu adds=%llu interrupts=%llu mark=0x%08x\n",
		     (unsigned long long)st->total, (unsigned long long)st->adds,
		     (unsigned long long)st->interrupts, st->mark);
	return n < 0 || (size_t)n >= c->resp_cap ? -EMSGSIZE : n;
}

/* edu spec: the liveness register 0x04 reads back the bitwise NOT of the
 * last value written (docs/specs/edu.txt in QEMU). */
static int op_mark(void *arg, const struct udrv_call *c)
{
	struct edu_state *st = c->state;
	uint32_t v, back;
	int r;

	if (c->req_len != 4)
		return -EINVAL;
	v = drv_le32(c->req);
	r = udrv_write32(arg, EDU_BAR, EDU_LIVENESS, v);
	if (r == 0)
		r = udrv_read32(arg, EDU_BAR, EDU_LIVENESS, &back);
	if (r < 0)
		return r;
	st->mark = v;
	return drv_reply_le(c, back, 4);
}

/* Did the dead instance's write happen? The register still says so: no one
 * else writes it once the server is open (edu_ipc_open runs before the
 * start-up liveness check). */
static int recover_mark(void *arg, const struct udrv_call *c)
{
	struct edu_state *st = c->state;
	uint32_t v = drv_le32(c->req), back;
	int r = udrv_read32(arg, EDU_BAR, EDU_LIVENESS, &back);

	if (r < 0)
		return r; /* cannot tell: the client gets "outcome unknown" */
	if (back != ~v)
		return -EAGAIN; /* not written: the resent request writes it */
	st->mark = v;
	return drv_reply_le(c, back, 4);
}

static const struct drv_ipc_op edu_ops[] = {
	{ "factorial", UDRV_OP_PURE, op_factorial, NULL },
	{ "add", UDRV_OP_STATE, op_add, NULL },
	{ "total", UDRV_OP_PURE, op_total, NULL },
	{ "status", UDRV_OP_PURE, op_status, NULL },
	{ "mark", UDRV_OP_DEVICE, op_mark, recover_mark },
};

udrv_server *edu_ipc_open(udrv_dev *dev)
{
	udrv_server *s = drv_ipc_open(EDU_STATE_LAYOUT, sizeof(struct edu_state), edu_ops,
				      sizeof(edu_ops) / sizeof(edu_ops[0]), dev);
	int r = 0;

	if (!s)
		return NULL;
	if (edu_faults_enabled()) /* make faults only (edu_faults.h) */
		r = edu_faults_add_ops(s, dev);
	if (!r)
		r = udrv_server_recover(s);
	if (r < 0) {
		udrv_server_close(s);
		errno = -r;
		return NULL;
	}
	return s;
}
