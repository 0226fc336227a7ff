/* SPDX-License-Identifier: MIT */
/*
 * timer_ipc.h - timer_driver's live state and its operations over IPC
 * (IPC=yes): what a client calls with udrv_client_call or
 * `udrvctl call timer_driver OP ...`.
 */
#ifndef TIMER_IPC_H
#define TIMER_IPC_H

#include <stdint.h>
#include "udrv.h"

/* Interrupt rates the driver takes, in Hz (--rate-hz, set-rate). */
#define TIMER_RATE_MIN 1u
#define TIMER_RATE_MAX 10000u

/* The state kept in the IPC checkpoint (layout TIMER_IPC_LAYOUT): only the
 * setting made over IPC, so a restarted instance ticks at it. */
#define TIMER_IPC_LAYOUT 1
struct timer_ipc_state {
	uint32_t rate_hz; /* set-rate: the rate set over IPC; 0 = --rate-hz */
	uint32_t pad;
	uint64_t sets;    /* set-rate calls carried out, over all instances */
};

/* The tick loop's live state, which the operations read. */
struct timer_state {
	udrv_dev *dev;
	uint64_t rate_hz;  /* the schedule's rate */
	uint32_t base;     /* CLO when the schedule (re)started */
	uint64_t k;        /* index of the compare currently programmed */
	uint32_t compare;  /* its value: base + floor(k * 1e6 / rate) */
	uint64_t ticks;    /* interrupts serviced */
	uint64_t missed;   /* compares skipped because we were late */
	uint64_t spurious; /* wake-ups with M1 clear */
	struct timer_ipc_state *ipc; /* udrv_server_state(); NULL without IPC */
};

/* timer_missed - compares missed: skipped by the schedule, plus interrupts
 * the kernel counted while the line was masked. */
uint64_t timer_missed(const struct timer_state *st);

/*
 * timer_ipc_open - the server with its operations (st->ipc is set to its
 * state):
 *   status    pure   -> text "ticks=N missed=M period_us=P rate_hz=R"
 *   ticks     pure   -> u64 interrupts serviced by this instance
 *   period    pure   -> u32 period in microseconds (1e6 / rate, rounded
 *                       down; the schedule itself does not round)
 *   rate      pure   -> u32 rate in Hz
 *   set-rate  state  u32 Hz in 1..10000 -> u32 the previous rate; the
 *                    schedule restarts from the compare already programmed,
 *                    and the rate is kept across restarts (else -EINVAL)
 * NULL + errno as udrv_server_open (ENOENT: no IPC=yes).
 */
udrv_server *timer_ipc_open(struct timer_state *st);

/* timer_ipc_add_ops - register the same operations on server @s (state of
 * sizeof(struct timer_ipc_state) bytes, layout TIMER_IPC_LAYOUT), e.g.
 * one from udrv_server_open_fd in a test, and point st->ipc at its state.
 * 0 or -errno of udrv_server_add_op. */
int timer_ipc_add_ops(udrv_server *s, struct timer_state *st);

#endif
