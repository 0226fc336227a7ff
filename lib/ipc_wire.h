/* SPDX-License-Identifier: MIT */
/*
 * ipc_wire.h - the udrv IPC wire protocol (version 1), shared by the client
 * (ipc_client.c) and the server (ipc_server.c). Internal: not installed.
 *
 * One SOCK_SEQPACKET message per request or reply: a 40-byte header, then
 * (requests) the operation name, then the payload. All fields little-endian.
 *
 *   off size field
 *   0   4    magic    "UDRV" (0x56524455)
 *   4   1    version  1
 *   5   1    type     1 request, 2 reply
 *   6   2    flags    request: RESEND (bit 0); reply: REPLAYED (bit 0)
 *   8   8    client   the client handle's id (random, never 0)
 *   16  8    seq      the client's call number (1, 2, ...)
 *   24  4    status   reply: enum ipc_status; request: 0
 *   28  4    err      reply: the handler's errno (status REMOTE);
 *                     request: the client's reply capacity in bytes
 *   32  2    op_len   request: 1..UDRV_IPC_OP_MAX; reply: 0
 *   34  2    rsvd     0
 *   36  4    len      payload bytes (0..UDRV_IPC_MSG_MAX)
 *
 * A message whose length is not exactly 40 + op_len + len, or with any
 * field out of range, is malformed.
 */
#ifndef UDRV_IPC_WIRE_H
#define UDRV_IPC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "udrv.h" /* UDRV_IPC_OP_MAX, UDRV_IPC_MSG_MAX */

#define IPC_MAGIC       0x56524455u
#define IPC_VERSION     1u
#define IPC_HDR         40u
#define IPC_REQUEST     1u
#define IPC_REPLY       2u
#define IPC_F_RESEND    0x1u /* request: sent before on a connection that broke */
#define IPC_F_REPLAYED  0x2u /* reply: answered from the record, not run again */
#define IPC_MSG_LIMIT   (IPC_HDR + UDRV_IPC_OP_MAX + UDRV_IPC_MSG_MAX)

/* Reply status. */
enum ipc_status {
	IPC_OK = 0,
	IPC_E_UNKNOWN_OP = 1, /* -EOPNOTSUPP */
	IPC_E_BADMSG = 2,     /* -EBADMSG: the request was malformed */
	IPC_E_TOOBIG = 3,     /* -EMSGSIZE: the reply would not fit the client's capacity */
	IPC_E_REQBIG = 4,     /* -E2BIG: the request is larger than the op takes */
	IPC_E_UNKNOWN = 5,    /* -ENOTRECOVERABLE: outcome unknown */
	IPC_E_STALE = 6,      /* -ESTALE: a later call of this client was answered */
	IPC_E_REMOTE = 7,     /* -EREMOTEIO: the handler failed with errno `err` */
	IPC_E__COUNT
};

struct ipc_msg {
	uint8_t type;
	uint16_t flags;
	uint64_t client, seq;
	uint32_t status, err;
	char op[UDRV_IPC_OP_MAX + 1]; /* NUL-terminated (requests) */
	const uint8_t *payload;       /* inside the parsed buffer */
	uint32_t len;
};

/* udrv__ipc_op_valid - @op is a valid operation name. */
int udrv__ipc_op_valid(const char *op, size_t n);

/* udrv__ipc_put_hdr - write the 40-byte header of @m (op_len @op_len) to @buf. */
void udrv__ipc_put_hdr(uint8_t *buf, const struct ipc_msg *m, size_t op_len);

/* udrv__ipc_parse_hdr - check the 40-byte header at @buf of a message of
 * @n bytes in all (the rest may lie elsewhere: a reply received into the
 * caller's buffer) and fill @m but op and payload: 0 or -EBADMSG. */
int udrv__ipc_parse_hdr(const uint8_t *buf, size_t n, struct ipc_msg *m);

/* udrv__ipc_parse - parse the message @buf of @n bytes into @m: 0, or
 * -EBADMSG (malformed: magic, version, type, lengths, op name, reserved). */
int udrv__ipc_parse(const uint8_t *buf, size_t n, struct ipc_msg *m);

/* udrv__ipc_status_errno - the client's -errno for a reply status. */
int udrv__ipc_status_errno(uint32_t status);

#endif /* UDRV_IPC_WIRE_H */
