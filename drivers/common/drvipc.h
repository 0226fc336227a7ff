/* SPDX-License-Identifier: MIT */
/*
 * drvipc.h - what the demo drivers' IPC operations share: an operation
 * table registered in one call, and the little-endian encoding `udrvctl
 * call` sends and renders.
 */
#ifndef UDRV_DRVIPC_H
#define UDRV_DRVIPC_H

#include <stddef.h>
#include <stdint.h>

#include "udrv.h"

/* One operation: udrv_server_add_op()'s arguments but the shared @arg. */
struct drv_ipc_op {
	const char *name;
	enum udrv_op_kind kind;
	udrv_op_fn fn, recover;
};

/* drv_ipc_add_ops - register @n operations of @ops, each with @arg.
 * 0 or the first -errno of udrv_server_add_op. */
int drv_ipc_add_ops(udrv_server *s, const struct drv_ipc_op *ops, size_t n, void *arg);

/* drv_ipc_open - udrv_server_open(@layout, @state_size) with @ops
 * registered. NULL + errno (ENOENT: the unit has no IPC=yes). */
udrv_server *drv_ipc_open(uint32_t layout, size_t state_size, const struct drv_ipc_op *ops,
			  size_t n, void *arg);

/* drv_le32 - the little-endian u32 at @p (a request's argument). */
uint32_t drv_le32(const void *p);

/* drv_reply_le - the low @n bytes of @v, little-endian, as the reply of
 * @c: @n, or -EMSGSIZE when resp_cap is smaller. */
int drv_reply_le(const struct udrv_call *c, uint64_t v, unsigned n);

#endif /* UDRV_DRVIPC_H */
