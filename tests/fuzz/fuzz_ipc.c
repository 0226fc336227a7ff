/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ipc - IPC wire messages (lib/ipc_wire.c) and a live server
 * (lib/ipc_server.c) that receives them.
 *
 * Each input is split at the 4-byte marker "\xff\xfe\xfd\xfc" into up to
 * 8 messages. Every message goes through udrv__ipc_parse: one that parses
 * must re-encode to exactly the same bytes. Then all of them are sent, one
 * SOCK_SEQPACKET message each, on one connection to a server with a pure,
 * a state and a device operation, and the server dispatches. Whatever the
 * bytes: the server never crashes, answers at most one reply per message,
 * closes the connection after a malformed one, and still answers a valid
 * call on a fresh connection (checked every input), with no fd leaked.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz.h"
#include "ipc_wire.h"
#include "udrv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static udrv_server *srv;
static struct sockaddr_un sa = { .sun_family = AF_UNIX };

static int op_echo(void *arg, const struct udrv_call *c)
{
	(void)arg;
	if (c->req_len > c->resp_cap)
		return -EMSGSIZE;
	memcpy(c->resp, c->req, c->req_len);
	return (int)c->req_len;
}

static int op_add(void *arg, const struct udrv_call *c)
{
	uint64_t *t = c->state;

	(void)arg;
	if (c->req_len != 4)
		return -EINVAL;
	*t += c->req_len;
	memcpy(c->resp, t, 8);
	return 8;
}

static int op_dev(void *arg, const struct udrv_call *c)
{
	(void)arg;
	return c->req_len ? 1 : -EAGAIN;
}

static void unlink_path(void)
{
	unlink(sa.sun_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	(void)argc, (void)argv;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/udrv-fuzz-ipc.%d.sock", getpid());
	unlink(sa.sun_path);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 64) < 0)
		abort();
	srv = udrv_server_open_fd(l, -1, 1, 8);
	close(l); /* the server holds its own dup; the path stays for clients */
	if (!srv || udrv_server_add_op(srv, "echo", UDRV_OP_PURE, op_echo, NULL, NULL) ||
	    udrv_server_add_op(srv, "add", UDRV_OP_STATE, op_add, NULL, NULL) ||
	    udrv_server_add_op(srv, "dev", UDRV_OP_DEVICE, op_dev, NULL, NULL))
		abort();
	atexit(unlink_path);
	return 0;
}

/* A client connection to the server's socket. */
static int client(void)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	FUZZ_CHECK(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	return fd;
}

static void roundtrip_parse(const uint8_t *m, size_t n)
{
	struct ipc_msg p;
	uint8_t *again;

	if (udrv__ipc_parse(m, n, &p) < 0)
		return;
	FUZZ_CHECK(p.len <= UDRV_IPC_MSG_MAX && p.client && p.seq);
	again = malloc(n);
	if (!again)
		abort();
	udrv__ipc_put_hdr(again, &p, p.type == IPC_REQUEST ? strlen(p.op) : 0);
	memcpy(again + IPC_HDR, m + IPC_HDR, n - IPC_HDR);
	FUZZ_CHECK(memcmp(again, m, n) == 0);
	free(again);
}

static int drain(int fd)
{
	uint8_t buf[IPC_HDR + 512];
	int replies = 0;
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct ipc_msg p;

		FUZZ_CHECK(udrv__ipc_parse(buf, (size_t)r, &p) == 0 && p.type == IPC_REPLY);
		replies++;
	}
	return replies;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mark[4] = { 0xff, 0xfe, 0xfd, 0xfc };
	const uint8_t *msg[8];
	size_t len[8], nmsg = 0, start = 0;
	int fds = fuzz_open_fds(), fd, replies;

	for (size_t i = 0; i + 4 <= size && nmsg < 7; i++)
		if (memcmp(data + i, mark, 4) == 0) {
			msg[nmsg] = data + start;
			len[nmsg++] = i - start;
			start = i + 4;
			i += 3;
		}
	msg[nmsg] = data + start;
	len[nmsg++] = size - start;

	for (size_t i = 0; i < nmsg; i++)
		roundtrip_parse(msg[i], len[i]);

	fd = client();
	for (size_t i = 0; i < nmsg; i++)
		if (len[i] && send(fd, msg[i], len[i], MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			break; /* the server closed it after a malformed one */
	for (int k = 0; k < 2 * (int)nmsg + 2; k++)
		FUZZ_CHECK(udrv_server_dispatch(srv, 0) >= 0);
	replies = drain(fd);
	FUZZ_CHECK(replies <= (int)nmsg);
	close(fd);
	udrv_server_dispatch(srv, 0); /* sees the close */

	/* The server still answers a well-formed call. */
	{
		uint8_t req[IPC_HDR + 4 + 3], rep[IPC_HDR + 16];
		struct ipc_msg m = { .type = IPC_REQUEST, .client = 77, .seq = 1, .err = 16, .len = 3 };
		struct ipc_msg p;
		ssize_t r;

		udrv__ipc_put_hdr(req, &m, 4);
		memcpy(req + IPC_HDR, "echo", 4);
		memcpy(req + IPC_HDR + 4, "abc", 3);
		fd = client();
		FUZZ_CHECK(send(fd, req, sizeof(req), MSG_NOSIGNAL) == (ssize_t)sizeof(req));
		for (int k = 0; k < 4; k++)
			udrv_server_dispatch(srv, 0);
		r = recv(fd, rep, sizeof(rep), MSG_DONTWAIT);
		FUZZ_CHECK(r == IPC_HDR + 3 && udrv__ipc_parse(rep, (size_t)r, &p) == 0 &&
			   p.status == IPC_OK && memcmp(p.payload, "abc", 3) == 0);
		close(fd);
		udrv_server_dispatch(srv, 0);
	}
	FUZZ_CHECK(fuzz_open_fds() == fds);
	return 0;
}
