/* SPDX-License-Identifier: MIT */
/*
 * gpio_ipc.h - gpio_driver's operations over IPC (IPC=yes): what a client
 * calls with udrv_client_call or `udrvctl call gpio_driver OP ...`.
 */
#ifndef GPIO_IPC_H
#define GPIO_IPC_H

#include <stdint.h>
#include "udrv.h"

/* The state kept in the IPC checkpoint (layout GPIO_IPC_LAYOUT): only the
 * setting made over IPC, so a restarted instance blinks at it. */
#define GPIO_IPC_LAYOUT 1
struct gpio_ipc_state {
	uint32_t period_ms; /* set-period: the period set over IPC; 0 = --period-ms */
	uint32_t pad;
	uint64_t sets;      /* set-period calls carried out, over all instances */
};

/* The blink loop's live values, which the operations read. */
struct gpio_run {
	unsigned pin;
	uint32_t period_ms;         /* --period-ms: used until set-period */
	uint64_t toggles;
	int level;
	struct gpio_ipc_state *ipc; /* udrv_server_state(); NULL without IPC */
};

/* gpio_run_period - the period in force: the one set over IPC, else
 * --period-ms. */
uint32_t gpio_run_period(const struct gpio_run *run);

/*
 * gpio_ipc_open - the server with its operations (run->ipc is set to its
 * state):
 *   status      pure   -> text "pin=P period_ms=T toggles=N level=L"
 *   period      pure   -> u32 period in ms
 *   set-period  state  u32 ms in 1..3600000 -> u32 the previous period;
 *                      from the next toggle on, and kept across restarts
 *                      (else -EINVAL)
 *   toggles     pure   -> u64 toggles (over all instances: gpio-state)
 * NULL + errno as udrv_server_open (ENOENT: no IPC=yes).
 */
udrv_server *gpio_ipc_open(struct gpio_run *run);

/* gpio_ipc_add_ops - register the same operations on server @s (state of
 * sizeof(struct gpio_ipc_state) bytes, layout GPIO_IPC_LAYOUT), e.g.
 * one from udrv_server_open_fd in a test, and point run->ipc at its state.
 * 0 or -errno of udrv_server_add_op. */
int gpio_ipc_add_ops(udrv_server *s, struct gpio_run *run);

#endif
