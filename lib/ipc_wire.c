/* SPDX-License-Identifier: MIT */
/*
 * ipc_wire.c - encode and check udrv IPC messages (ipc_wire.h). Every
 * length in a message is checked against the bytes received before use.
 */
#include "udrv.h"
#include "ipc_wire.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

static inline void put16(uint8_t *p, uint16_t v) { v = htole16(v); memcpy(p, &v, 2); }
static inline void put32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }
static inline uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return le16toh(v); }
static inline uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static inline uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }

int udrv__ipc_op_valid(const char *op, size_t n)
{
	if (!op || n == 0 || n > UDRV_IPC_OP_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = op[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

void udrv__ipc_put_hdr(uint8_t *buf, const struct ipc_msg *m, size_t op_len)
{
	put32(buf + 0, IPC_MAGIC);
	buf[4] = IPC_VERSION;
	buf[5] = m->type;
	put16(buf + 6, m->flags);
	put64(buf + 8, m->client);
	put64(buf + 16, m->seq);
	put32(buf + 24, m->status);
	put32(buf + 28, m->err);
	put16(buf + 32, (uint16_t)op_len);
	put16(buf + 34, 0);
	put32(buf + 36, m->len);
}

int udrv__ipc_parse_hdr(const uint8_t *buf, size_t n, struct ipc_msg *m)
{
	size_t op_len;

	memset(m, 0, sizeof(*m));
	if (n < IPC_HDR || get32(buf) != IPC_MAGIC || buf[4] != IPC_VERSION)
		return -EBADMSG;
	m->type = buf[5];
	m->flags = get16(buf + 6);
	m->client = get64(buf + 8);
	m->seq = get64(buf + 16);
	m->status = get32(buf + 24);
	m->err = get32(buf + 28);
	op_len = get16(buf + 32);
	m->len = get32(buf + 36);
	if (get16(buf + 34) != 0 || m->len > UDRV_IPC_MSG_MAX || m->client == 0 || m->seq == 0)
		return -EBADMSG;
	/* The lengths first: the op name is read only inside the message
	 * (found by fuzz_ipc: a header claiming more op bytes than sent). */
	if (n != IPC_HDR + op_len + m->len)
		return -EBADMSG;
	if (m->type == IPC_REQUEST)
		return m->flags & ~IPC_F_RESEND || m->status != 0 || op_len == 0 ||
		       op_len > UDRV_IPC_OP_MAX ? -EBADMSG : 0;
	if (m->type == IPC_REPLY)
		return m->flags & ~IPC_F_REPLAYED || op_len != 0 || m->status >= IPC_E__COUNT ?
		       -EBADMSG : 0;
	return -EBADMSG;
}

int udrv__ipc_parse(const uint8_t *buf, size_t n, struct ipc_msg *m)
{
	int r = udrv__ipc_parse_hdr(buf, n, m);
	size_t op_len;

	if (r < 0)
		return r;
	op_len = n - IPC_HDR - m->len;
	if (m->type == IPC_REQUEST) {
		if (!udrv__ipc_op_valid((const char *)buf + IPC_HDR, op_len)) {
			memset(m, 0, sizeof(*m));
			return -EBADMSG;
		}
		memcpy(m->op, buf + IPC_HDR, op_len);
		m->op[op_len] = '\0';
	}
	m->payload = buf + IPC_HDR + op_len;
	return 0;
}

int udrv__ipc_status_errno(uint32_t status)
{
	switch (status) {
	case IPC_OK: return 0;
	case IPC_E_UNKNOWN_OP: return -EOPNOTSUPP;
	case IPC_E_BADMSG: return -EBADMSG;
	case IPC_E_TOOBIG: return -EMSGSIZE;
	case IPC_E_REQBIG: return -E2BIG;
	case IPC_E_UNKNOWN: return -ENOTRECOVERABLE;
	case IPC_E_STALE: return -ESTALE;
	case IPC_E_REMOTE: return -EREMOTEIO;
	}
	return -EPROTO;
}
