/* SPDX-License-Identifier: MIT */
/* drvipc.c - see drvipc.h. */
#include "drvipc.h"

#include <errno.h>

int drv_ipc_add_ops(udrv_server *s, const struct drv_ipc_op *ops, size_t n, void *arg)
{
	for (size_t i = 0; i < n; i++) {
		int r = udrv_server_add_op(s, ops[i].name, ops[i].kind, ops[i].fn, ops[i].recover,
					   arg);

		if (r < 0)
			return r;
	}
	return 0;
}

udrv_server *drv_ipc_open(uint32_t layout, size_t state_size, const struct drv_ipc_op *ops,
			  size_t n, void *arg)
{
	udrv_server *s = udrv_server_open(layout, state_size);
	int r;

	if (!s)
		return NULL;
	r = drv_ipc_add_ops(s, ops, n, arg);
	if (r < 0) {
		udrv_server_close(s);
		errno = -r;
		return NULL;
	}
	return s;
}

uint32_t drv_le32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int drv_reply_le(const struct udrv_call *c, uint64_t v, unsigned n)
{
	uint8_t *b = c->resp;

	if (c->resp_cap < n)
		return -EMSGSIZE;
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return (int)n;
}
