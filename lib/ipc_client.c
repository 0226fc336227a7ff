/* SPDX-License-Identifier: MIT */
/*
 * ipc_client.c - udrv_client_*: call a driver's operations through the
 * socket the supervisor holds for it, with one deadline per call and
 * transparent resends across driver crashes.
 *
 * A call is (client id, seq). The id is random per handle; seq counts its
 * calls. When the connection breaks before the reply arrives (the driver
 * died: EOF or ECONNRESET), the library reconnects to the same path (the
 * supervisor still listens there: the connect waits in the backlog until
 * the next instance accepts) and sends the same id and seq with the RESEND
 * flag. The driver's record of its last reply to this id turns the resend
 * of a state or device operation into a replay, never a second run.
 */
#include "udrv.h"
#include "ipc_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct udrv_client {
	struct sockaddr_un sa;
	int fd;
	uint64_t id, seq;
	int remote_errno;
	uint64_t resends;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before @deadline (-1: none), 0 when passed. */
static int left_ms(int64_t deadline)
{
	int64_t l;

	if (deadline < 0)
		return -1;
	l = deadline - now_ms();
	return l <= 0 ? 0 : l > 1000000 ? 1000000 : (int)l;
}

static int sock_path(const char *driver, struct sockaddr_un *sa)
{
	const char *dir;
	int n;

	if (!driver || !*driver)
		return -EINVAL;
	sa->sun_family = AF_UNIX;
	if (strchr(driver, '/')) {
		n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", driver);
	} else {
		/* A unit name: the characters driver_supervisor allows. */
		for (const char *p = driver; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.' ||
			      *p == '@'))
				return -EINVAL;
		dir = getenv("UDRV_RUNTIME_DIR");
		if (!dir || !*dir)
			dir = "/run/udrv";
		n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s.sock", dir, driver);
	}
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -ENAMETOOLONG : 0;
}

/* One connect attempt: 0, -EAGAIN (backlog full: try again), or -errno. */
static int try_connect(udrv_client *c)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&c->sa, sizeof(c->sa)) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		return -e;
	}
	c->fd = fd;
	return 0;
}

static void drop(udrv_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

udrv_client *udrv_client_connect(const char *driver)
{
	udrv_client *c = calloc(1, sizeof(*c));
	int r;

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->fd = -1;
	r = sock_path(driver, &c->sa);
	if (r == 0)
		r = try_connect(c);
	if (r == -EAGAIN)
		r = 0; /* the backlog is full: the first call connects again */
	if (r < 0) {
		free(c);
		errno = -r;
		return NULL;
	}
	/* A random id: a client that restarts must not be taken for the old one. */
	while (c->id == 0)
		if (getrandom(&c->id, sizeof(c->id), 0) != sizeof(c->id))
			c->id = ((uint64_t)getpid() << 32) ^ (uint64_t)now_ms() ^ (uintptr_t)c;
	return c;
}

/* Wait for @events on the connection until @deadline: 1 ready, 0 timeout, -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, left_ms(deadline));
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* Send the request: 0, 1 (the connection broke: reconnect), -errno. */
static int send_req(udrv_client *c, const char *op, size_t op_len, const void *req,
		    size_t req_len, size_t resp_cap, bool resend, int64_t deadline)
{
	uint8_t hdr[IPC_HDR];
	struct ipc_msg m = {
		.type = IPC_REQUEST, .flags = resend ? IPC_F_RESEND : 0, .client = c->id,
		.seq = c->seq, .err = resp_cap > UDRV_IPC_MSG_MAX ? UDRV_IPC_MSG_MAX : (uint32_t)resp_cap,
		.len = (uint32_t)req_len,
	};
	struct iovec iov[3] = { { hdr, IPC_HDR }, { (void *)op, op_len }, { (void *)req, req_len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = req_len ? 3 : 2 };

	udrv__ipc_put_hdr(hdr, &m, op_len);
	for (;;) {
		if (sendmsg(c->fd, &mh, MSG_NOSIGNAL) >= 0)
			return 0;
		switch (errno) {
		case EINTR:
			continue;
		case EAGAIN: { /* a connect still in the backlog, or a full buffer */
			int r = wait_fd(c->fd, POLLOUT, deadline);

			if (r <= 0)
				return r < 0 ? r : -ETIMEDOUT;
			continue;
		}
		case EPIPE: case ECONNRESET: case ENOTCONN: case ECONNREFUSED:
			return 1;
		default:
			return -errno;
		}
	}
}

/* Receive our reply: its length or -errno; 1 << 30 means "broken, resend". */
#define BROKEN (1 << 30)
static int recv_reply(udrv_client *c, void *resp, size_t resp_cap, int64_t deadline)
{
	uint8_t hdr[IPC_HDR];
	struct ipc_msg m;

	for (;;) {
		struct iovec iov[2] = { { hdr, IPC_HDR }, { resp, resp_cap } };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = resp_cap ? 2 : 1 };
		ssize_t n;
		int r = wait_fd(c->fd, POLLIN, deadline);

		if (r < 0)
			return r;
		if (r == 0)
			return -ETIMEDOUT;
		n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ECONNRESET || errno == ENOTCONN || errno == EPIPE)
				return BROKEN;
			return -errno;
		}
		if (n == 0)
			return BROKEN; /* EOF: the driver closed (died, restarted) */
		if ((size_t)n < IPC_HDR) {
			drop(c);
			return -EPROTO;
		}
		/* The header, against the length really sent (n, with MSG_TRUNC:
		 * the payload went to @resp, or past it when it does not fit). */
		if (udrv__ipc_parse_hdr(hdr, (size_t)n, &m) < 0 || m.type != IPC_REPLY) {
			drop(c);
			return -EPROTO;
		}
		if (m.client != c->id) {
			drop(c);
			return -EPROTO;
		}
		if (m.seq < c->seq)
			continue; /* the late reply of a call that timed out */
		if (m.seq > c->seq) {
			drop(c);
			return -EPROTO;
		}
		if (m.status != IPC_OK) {
			r = udrv__ipc_status_errno(m.status);
			if (r == -EREMOTEIO)
				c->remote_errno = m.err > 0 && m.err < 4096 ? (int)m.err : EIO;
			return r;
		}
		if (m.len > resp_cap)
			return -EMSGSIZE;
		return (int)m.len;
	}
}

int udrv_client_call(udrv_client *c, const char *op, const void *req, size_t req_len,
		     void *resp, size_t resp_cap, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	size_t op_len = op ? strnlen(op, UDRV_IPC_OP_MAX + 1) : 0;
	bool resend = false;
	int backoff = 1;

	if (!c || !udrv__ipc_op_valid(op, op_len) || (req_len && !req) || (resp_cap && !resp))
		return -EINVAL;
	if (req_len > UDRV_IPC_MSG_MAX)
		return -E2BIG;
	if (resp_cap > INT32_MAX)
		resp_cap = INT32_MAX;
	c->remote_errno = 0;
	c->seq++;
	for (;;) {
		int r;

		if (c->fd < 0) {
			r = try_connect(c);
			if (r < 0) {
				/* Down for now (the supervisor restarting, a full
				 * backlog): try again, 1..64 ms apart, until the deadline. */
				if (r != -EAGAIN && r != -ECONNREFUSED && r != -ENOENT)
					return r;
				int w = left_ms(deadline);

				if (w == 0)
					return -ETIMEDOUT;
				poll(NULL, 0, w >= 0 && w < backoff ? w : backoff);
				if (backoff < 64)
					backoff *= 2;
				continue;
			}
		}
		r = send_req(c, op, op_len, req, req_len, resp_cap, resend, deadline);
		if (r == 0)
			r = recv_reply(c, resp, resp_cap, deadline);
		else if (r == 1)
			r = BROKEN;
		if (r != BROKEN)
			return r;
		/* The driver went away with our request: the same call again. */
		drop(c);
		c->resends++;
		resend = true;
		if (left_ms(deadline) == 0)
			return -ETIMEDOUT;
	}
}

int udrv_client_errno(const udrv_client *c)
{
	return c ? c->remote_errno : 0;
}

uint64_t udrv_client_resends(const udrv_client *c)
{
	return c ? c->resends : 0;
}

void udrv_client_close(udrv_client *c)
{
	if (!c)
		return;
	drop(c);
	free(c);
}
