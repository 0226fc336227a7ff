/* SPDX-License-Identifier: MIT */
/*
 * edu_ipc.h - edu_driver's operations over IPC (IPC=yes): what a client of
 * the edu device calls with udrv_client_call or `udrvctl call edu OP ...`.
 */
#ifndef EDU_IPC_H
#define EDU_IPC_H

#include <stdint.h>
#include "udrv.h"

/* The state kept in the IPC checkpoint (layout EDU_STATE_LAYOUT). */
#define EDU_STATE_LAYOUT 1
struct edu_state {
	uint64_t total;      /* add: the running total */
	uint64_t adds;       /* add: calls carried out */
	uint64_t interrupts; /* interrupts served, over all instances */
	uint32_t mark;       /* mark: the last value written to the liveness register */
	uint32_t pad;
};

/*
 * edu_ipc_open - the server with its operations, device intents of a dead
 * instance settled (before anything else writes the device):
 *   factorial  pure    u32 n -> u32 n! (mod 2^32), computed by the device
 *   add        state   u32 v -> u64 total after adding v (exactly once)
 *   total      pure    -> u64 total
 *   mark       device  u32 v -> u32 read back from the liveness register
 *                      (~v); recover: read it back
 *   status     pure    -> text: total, adds, interrupts, mark
 * NULL + errno as udrv_server_open (ENOENT: no IPC=yes).
 */
udrv_server *edu_ipc_open(udrv_dev *dev);

#endif
