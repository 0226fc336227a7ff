/* SPDX-License-Identifier: MIT */
/*
 * ipc_server.c - udrv_server_*: the driver side of udrv IPC.
 *
 * The server answers requests from the clients of the socket the
 * supervisor holds (fd "ipc"), one message per read, with one epoll fd the
 * driver polls beside its interrupt fd. Everything it must remember across
 * a crash lives in one transactional checkpoint (udrv_ckpt, fd store name
 * "udrv-ipc"), laid out as
 *
 *   table header (64 B) | UDRV_SERVER_CLIENTS reply records | driver state
 *
 * A reply record holds, per client id, the last state/device call answered
 * (seq, status, reply bytes) and, for a device call under way, its intent
 * (seq, op, request bytes). The rules that make a call run exactly once:
 *
 *   STATE   handler edits the working copy; record + state committed in ONE
 *           udrv_ckpt_commit, then the reply is sent. Crash before the
 *           commit: nothing happened (the working copy was private), the
 *           resend runs it. Crash after: the resend finds seq == record's
 *           seq and gets the recorded reply (REPLAYED).
 *   DEVICE  intent committed, then the handler (register writes), then
 *           record committed with the intent cleared. A crash in between
 *           leaves the intent: the next instance asks the op's recover hook.
 *   PURE    no record: a resend runs it again.
 */
#include "udrv.h"
#include "udrv_internal.h"
#include "ipc_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define TBL_MAGIC   0x3143504956524455ull /* "UDRVIPC1" */
#define TBL_HDR     64u
#define MAX_CONNS   1024u
#define CKPT_NAME   "udrv-ipc"

struct tbl_hdr {
	uint64_t magic;
	uint32_t nslots, slot_size;
	uint64_t stamp;     /* LRU clock: bumped by every recorded reply */
	uint64_t evictions; /* records dropped to make room */
	uint8_t pad[TBL_HDR - 32];
};

struct rec {
	uint64_t client;     /* 0: free */
	uint64_t seq;        /* last call answered from this record */
	uint64_t used;       /* LRU stamp */
	uint64_t intent_seq; /* device call under way (intent != 0) */
	uint32_t status, err, len, intent;
	uint32_t req_len, pad;
	char op[UDRV_IPC_OP_MAX + 8];
	uint8_t req[UDRV_SERVER_INTENT_MAX];
	uint8_t reply[UDRV_SERVER_REPLY_MAX];
};
_Static_assert(sizeof(struct tbl_hdr) == TBL_HDR, "table header is 64 bytes");
_Static_assert(sizeof(struct rec) % 8 == 0, "records keep the state 8-byte aligned");

#define STATE_OFF (TBL_HDR + UDRV_SERVER_CLIENTS * sizeof(struct rec))

struct conn {
	int fd;
	int pid, uid, gid;
	struct conn *next;
};

struct op {
	char name[UDRV_IPC_OP_MAX + 1];
	enum udrv_op_kind kind;
	udrv_op_fn fn, recover;
	void *arg;
};

struct udrv_server {
	int lfd, epfd;
	bool listening, recovered;
	udrv_ckpt *ck;
	size_t state_size;
	struct op *ops;
	unsigned nops;
	struct conn *conns;
	unsigned nconns;
	uint8_t *rx, *tx;
	struct udrv_server_stats st;
	uint64_t crash_after, recorded; /* test hook: UDRV_IPC_CRASH_AFTER=N */
};

/* Test hook: with UDRV_IPC_CRASH_AFTER=N in the environment at open, the
 * process raises SIGKILL right after its Nth recorded reply is committed,
 * before the reply is sent: the window where only the record can prevent a
 * second run. */
static void crash_hook(udrv_server *s)
{
	if (++s->recorded == s->crash_after)
		raise(SIGKILL);
}

static struct tbl_hdr *tbl(udrv_server *s)
{
	return udrv_ckpt_data(s->ck);
}

static struct rec *recs(udrv_server *s)
{
	return (struct rec *)((uint8_t *)udrv_ckpt_data(s->ck) + TBL_HDR);
}

/* A restored table of another format (or none) starts empty, committed at
 * once: a later revert (udrv_ckpt_revert) must find a valid table. */
static int tbl_init(udrv_server *s)
{
	struct tbl_hdr *h = tbl(s);

	if (h->magic == TBL_MAGIC && h->nslots == UDRV_SERVER_CLIENTS &&
	    h->slot_size == sizeof(struct rec))
		return 0;
	memset(h, 0, STATE_OFF);
	h->magic = TBL_MAGIC;
	h->nslots = UDRV_SERVER_CLIENTS;
	h->slot_size = sizeof(struct rec);
	return udrv_ckpt_commit(s->ck);
}

static udrv_server *server_new(int lfd, udrv_ckpt *ck, size_t state_size)
{
	udrv_server *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = EPOLLIN };
	int type = 0;
	socklen_t tl = sizeof(type);
	int e;

	if (!s) {
		e = ENOMEM;
		goto fail;
	}
	s->lfd = lfd;
	s->ck = ck;
	s->state_size = state_size;
	s->epfd = -1;
	if (getsockopt(lfd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0) {
		e = errno;
		goto fail;
	}
	if (type != SOCK_SEQPACKET) {
		e = EPROTOTYPE;
		goto fail;
	}
	/* The listening socket's open file is shared with the supervisor
	 * (which never accepts on it): non-blocking, so that an accept raced
	 * by another instance (an upgrade) never blocks the driver. */
	if (fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) < 0) {
		e = errno;
		goto fail;
	}
	s->rx = malloc(IPC_MSG_LIMIT + 1);
	s->tx = malloc(IPC_HDR + UDRV_IPC_MSG_MAX);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!s->rx || !s->tx || s->epfd < 0) {
		e = s->epfd < 0 ? errno : ENOMEM;
		goto fail;
	}
	ev.data.ptr = NULL; /* NULL: the listening socket */
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, lfd, &ev) < 0) {
		e = errno;
		goto fail;
	}
	s->listening = true;
	e = -tbl_init(s);
	if (e)
		goto fail;
	{
		const char *hook = getenv("UDRV_IPC_CRASH_AFTER");

		s->crash_after = hook ? strtoull(hook, NULL, 10) : 0;
	}
	return s;
fail:
	if (s) {
		s->lfd = lfd;
		s->ck = ck;
		udrv_server_close(s);
	} else {
		close(lfd);
		udrv_ckpt_close(ck);
	}
	errno = e;
	return NULL;
}

udrv_server *udrv_server_open(uint32_t layout, size_t state_size)
{
	udrv_ckpt *ck;
	int fd, lfd;

	if (state_size > UDRV_CKPT_MAX - STATE_OFF) {
		errno = EINVAL;
		return NULL;
	}
	fd = udrv_listen_fd("ipc");
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	lfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (lfd < 0)
		return NULL;
	ck = udrv_ckpt_open(CKPT_NAME, layout, STATE_OFF + state_size);
	if (!ck) {
		int e = errno;

		close(lfd);
		errno = e;
		return NULL;
	}
	return server_new(lfd, ck, state_size);
}

udrv_server *udrv_server_open_fd(int listen_fd, int ckpt_fd, uint32_t layout, size_t state_size)
{
	udrv_ckpt *ck;
	int lfd, mfd = -1;

	if (listen_fd < 0) {
		errno = EBADF;
		return NULL;
	}
	if (state_size > UDRV_CKPT_MAX - STATE_OFF) {
		errno = EINVAL;
		return NULL;
	}
	if (ckpt_fd < 0) {
		mfd = memfd_create(CKPT_NAME, MFD_CLOEXEC);
		if (mfd < 0)
			return NULL;
	}
	ck = udrv_ckpt_open_fd(ckpt_fd < 0 ? mfd : ckpt_fd, layout, STATE_OFF + state_size);
	if (mfd >= 0)
		close(mfd);
	if (!ck)
		return NULL;
	lfd = fcntl(listen_fd, F_DUPFD_CLOEXEC, 3);
	if (lfd < 0) {
		int e = errno;

		udrv_ckpt_close(ck);
		errno = e;
		return NULL;
	}
	return server_new(lfd, ck, state_size);
}

int udrv_server_add_op(udrv_server *s, const char *op, enum udrv_op_kind kind,
		       udrv_op_fn fn, udrv_op_fn recover, void *arg)
{
	size_t n = op ? strnlen(op, UDRV_IPC_OP_MAX + 1) : 0;
	struct op *ops;

	if (!s || !fn || !udrv__ipc_op_valid(op, n) || (unsigned)kind > UDRV_OP_DEVICE ||
	    (recover && kind != UDRV_OP_DEVICE))
		return -EINVAL;
	for (unsigned i = 0; i < s->nops; i++)
		if (strcmp(s->ops[i].name, op) == 0)
			return -EEXIST;
	ops = realloc(s->ops, (s->nops + 1) * sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	s->ops = ops;
	memset(&ops[s->nops], 0, sizeof(ops[0]));
	memcpy(ops[s->nops].name, op, n);
	ops[s->nops].kind = kind;
	ops[s->nops].fn = fn;
	ops[s->nops].recover = recover;
	ops[s->nops].arg = arg;
	s->nops++;
	return 0;
}

static struct op *find_op(udrv_server *s, const char *name)
{
	for (unsigned i = 0; i < s->nops; i++)
		if (strcmp(s->ops[i].name, name) == 0)
			return &s->ops[i];
	return NULL;
}

/* Fault-injection hook (udrv_internal.h): the server's checkpoint. */
udrv_ckpt *udrv__server_ckpt(udrv_server *s)
{
	return s->ck;
}

enum udrv_ckpt_origin udrv_server_origin(const udrv_server *s)
{
	return udrv_ckpt_origin(s->ck);
}

void *udrv_server_state(udrv_server *s)
{
	return s && s->state_size ? (uint8_t *)udrv_ckpt_data(s->ck) + STATE_OFF : NULL;
}

int udrv_server_commit(udrv_server *s)
{
	return s ? udrv_ckpt_commit(s->ck) : -EINVAL;
}

int udrv_server_fd(const udrv_server *s)
{
	return s ? s->epfd : -EINVAL;
}

void udrv_server_stats(const udrv_server *s, struct udrv_server_stats *st)
{
	if (s && st)
		*st = s->st;
}

static struct rec *rec_find(udrv_server *s, uint64_t client)
{
	struct rec *r = recs(s);

	for (unsigned i = 0; i < UDRV_SERVER_CLIENTS; i++)
		if (r[i].client == client)
			return &r[i];
	return NULL;
}

/* A record for @client: a free one, else the least recently used one that
 * has no intent pending (counted as an eviction). */
static struct rec *rec_alloc(udrv_server *s, uint64_t client)
{
	struct rec *r = recs(s), *lru = NULL;

	for (unsigned i = 0; i < UDRV_SERVER_CLIENTS; i++) {
		if (r[i].client == 0) {
			lru = &r[i];
			break;
		}
		if (!r[i].intent && (!lru || r[i].used < lru->used))
			lru = &r[i];
	}
	if (!lru)
		return NULL;
	if (lru->client)
		tbl(s)->evictions++;
	memset(lru, 0, sizeof(*lru));
	lru->client = client;
	return lru;
}

static void rec_reply(udrv_server *s, struct rec *r, uint64_t seq, uint32_t status, uint32_t err,
		      const void *reply, size_t len)
{
	r->seq = seq;
	r->status = status;
	r->err = err;
	r->len = (uint32_t)len;
	if (len)
		memcpy(r->reply, reply, len);
	r->used = ++tbl(s)->stamp;
	r->intent = 0;
}

/* Settle the intent in @r with its op's recover hook (see udrv.h). */
static void settle(udrv_server *s, struct rec *r)
{
	struct op *op = find_op(s, r->op);
	uint8_t *resp = s->tx + IPC_HDR;
	int n = -ENOTRECOVERABLE;

	if (op && op->kind == UDRV_OP_DEVICE && op->recover) {
		struct udrv_call call = {
			.op = op->name, .req = r->req, .req_len = r->req_len,
			.resp = resp, .resp_cap = UDRV_SERVER_REPLY_MAX,
			.state = udrv_server_state(s), .client = r->client, .seq = r->intent_seq,
			.resent = true, .pid = -1, .uid = -1, .gid = -1,
		};

		n = op->recover(op->arg, &call);
	}
	s->st.recovered++;
	if (n == -EAGAIN) {
		r->intent = 0; /* it did not happen: the resent request runs */
		return;
	}
	if (n >= 0 && (size_t)n <= UDRV_SERVER_REPLY_MAX)
		rec_reply(s, r, r->intent_seq, IPC_OK, 0, resp, (size_t)n);
	else
		rec_reply(s, r, r->intent_seq, IPC_E_UNKNOWN, 0, NULL, 0);
}

int udrv_server_recover(udrv_server *s)
{
	struct rec *r;
	int n = 0;

	if (!s)
		return -EINVAL;
	s->recovered = true;
	r = recs(s);
	for (unsigned i = 0; i < UDRV_SERVER_CLIENTS; i++)
		if (r[i].client && r[i].intent) {
			settle(s, &r[i]);
			n++;
		}
	if (n) {
		int e = udrv_ckpt_commit(s->ck);

		if (e < 0)
			return e;
	}
	return n;
}

static void conn_close(udrv_server *s, struct conn *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1; /* freed after the batch (other events may point at it) */
	s->nconns--;
	if (!s->listening) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) == 0)
			s->listening = true;
	}
}

static void reap(udrv_server *s)
{
	for (struct conn **pp = &s->conns; *pp;) {
		struct conn *c = *pp;

		if (c->fd < 0) {
			*pp = c->next;
			free(c);
		} else {
			pp = &c->next;
		}
	}
}

static void stop_listening(udrv_server *s)
{
	if (s->listening && epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL) == 0)
		s->listening = false;
}

static void accept_all(udrv_server *s)
{
	while (s->nconns < MAX_CONNS) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		struct conn *c;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			/* Out of fds: stop listening until a client leaves
			 * (else the listener stays readable: a busy loop). */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				stop_listening(s);
			return; /* EAGAIN: taken by nobody else, or none left */
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->fd = fd;
		c->pid = c->uid = c->gid = -1;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0) {
			c->pid = cr.pid;
			c->uid = (int)cr.uid;
			c->gid = (int)cr.gid;
		}
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			return;
		}
		c->next = s->conns;
		s->conns = c;
		s->nconns++;
		s->st.clients++;
	}
	stop_listening(s); /* at the cap: the rest wait in the backlog */
}

/* Send a reply with @len payload bytes already at tx + IPC_HDR. */
static void send_reply(udrv_server *s, struct conn *c, uint64_t client, uint64_t seq,
		       uint32_t status, uint32_t err, size_t len, bool replayed)
{
	struct ipc_msg m = {
		.type = IPC_REPLY, .flags = replayed ? IPC_F_REPLAYED : 0, .client = client,
		.seq = seq, .status = status, .err = err, .len = (uint32_t)len,
	};

	udrv__ipc_put_hdr(s->tx, &m, 0);
	/* A client that does not read its replies fills its buffer: dropped. */
	if (send(c->fd, s->tx, IPC_HDR + len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		conn_close(s, c);
}

static void send_rec(udrv_server *s, struct conn *c, const struct rec *r, bool replayed)
{
	if (r->len)
		memcpy(s->tx + IPC_HDR, r->reply, r->len);
	send_reply(s, c, r->client, r->seq, r->status, r->err, r->len, replayed);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* A malformed or oversized message: an error reply if it can be addressed
 * (client and seq readable and non-zero), then the connection is closed. */
static void refuse(udrv_server *s, struct conn *c, size_t n, uint32_t status)
{
	s->st.refused++;
	if (n >= 24) {
		uint64_t client = get_le64(s->rx + 8), seq = get_le64(s->rx + 16);

		if (client && seq)
			send_reply(s, c, client, seq, status, 0, 0, false);
	}
	conn_close(s, c);
}

/* Run a request that passed the checks: 1 (answered). */
static int run(udrv_server *s, struct conn *c, const struct ipc_msg *m, struct op *op)
{
	uint32_t cap = m->err; /* the client's reply capacity */
	uint8_t *resp = s->tx + IPC_HDR;
	struct udrv_call call = {
		.op = op->name, .req = m->payload, .req_len = m->len, .resp = resp,
		.resp_cap = op->kind == UDRV_OP_PURE ? UDRV_IPC_MSG_MAX : UDRV_SERVER_REPLY_MAX,
		.state = udrv_server_state(s), .client = m->client, .seq = m->seq,
		.resent = m->flags & IPC_F_RESEND, .pid = c->pid, .uid = c->uid, .gid = c->gid,
	};
	struct rec *r = NULL;
	int n;

	if (op->kind == UDRV_OP_PURE) {
		n = op->fn(op->arg, &call);
		s->st.calls++;
		if (n < 0) {
			s->st.failed++;
			send_reply(s, c, m->client, m->seq, IPC_E_REMOTE, (uint32_t)-n, 0, false);
		} else if ((size_t)n > call.resp_cap || (uint32_t)n > cap) {
			send_reply(s, c, m->client, m->seq, IPC_E_TOOBIG, 0, 0, false);
		} else {
			send_reply(s, c, m->client, m->seq, IPC_OK, 0, (size_t)n, false);
		}
		return 1;
	}

	r = rec_find(s, m->client);
	if (r && r->intent && r->intent_seq == m->seq) {
		settle(s, r); /* left by a previous instance: settle it first */
		udrv_ckpt_commit(s->ck);
	}
	if (r && m->seq < r->seq) {
		send_reply(s, c, m->client, m->seq, IPC_E_STALE, 0, 0, false);
		return 1;
	}
	if (r && m->seq == r->seq) {
		s->st.replayed++; /* answered before a crash: the record, not a second run */
		send_rec(s, c, r, true);
		return 1;
	}
	if (!r && (m->flags & IPC_F_RESEND) && tbl(s)->evictions) {
		/* Its record may have been evicted: running it could be a second run. */
		send_reply(s, c, m->client, m->seq, IPC_E_UNKNOWN, 0, 0, false);
		return 1;
	}

	if (op->kind == UDRV_OP_STATE) {
		n = op->fn(op->arg, &call);
		s->st.calls++;
		if (n < 0 || (size_t)n > call.resp_cap || (uint32_t)n > cap) {
			/* Not carried out: its edits go, nothing is recorded. */
			udrv_ckpt_revert(s->ck);
			if (n < 0)
				s->st.failed++;
			send_reply(s, c, m->client, m->seq, n < 0 ? IPC_E_REMOTE : IPC_E_TOOBIG,
				   n < 0 ? (uint32_t)-n : 0, 0, false);
			return 1;
		}
		r = r ? r : rec_alloc(s, m->client);
		if (!r) {
			udrv_ckpt_revert(s->ck);
			send_reply(s, c, m->client, m->seq, IPC_E_REMOTE, EBUSY, 0, false);
			return 1;
		}
		rec_reply(s, r, m->seq, IPC_OK, 0, resp, (size_t)n);
		n = udrv_ckpt_commit(s->ck); /* state + record: one commit */
		if (n < 0) {
			udrv_ckpt_revert(s->ck);
			send_reply(s, c, m->client, m->seq, IPC_E_REMOTE, (uint32_t)-n, 0, false);
			return 1;
		}
		crash_hook(s);
		send_rec(s, c, r, false);
		return 1;
	}

	/* UDRV_OP_DEVICE: the intent first. */
	if (m->len > UDRV_SERVER_INTENT_MAX) {
		send_reply(s, c, m->client, m->seq, IPC_E_REQBIG, 0, 0, false);
		return 1;
	}
	r = r ? r : rec_alloc(s, m->client);
	if (!r) {
		send_reply(s, c, m->client, m->seq, IPC_E_REMOTE, EBUSY, 0, false);
		return 1;
	}
	r->intent = 1;
	r->intent_seq = m->seq;
	memset(r->op, 0, sizeof(r->op));
	memcpy(r->op, op->name, strlen(op->name));
	r->req_len = m->len;
	if (m->len)
		memcpy(r->req, m->payload, m->len);
	n = udrv_ckpt_commit(s->ck);
	if (n < 0) {
		udrv_ckpt_revert(s->ck);
		send_reply(s, c, m->client, m->seq, IPC_E_REMOTE, (uint32_t)-n, 0, false);
		return 1;
	}
	n = op->fn(op->arg, &call);
	s->st.calls++;
	if (n < 0) {
		s->st.failed++;
		rec_reply(s, r, m->seq, IPC_E_REMOTE, (uint32_t)-n, NULL, 0);
	} else if ((size_t)n > call.resp_cap || (uint32_t)n > cap) {
		rec_reply(s, r, m->seq, IPC_E_TOOBIG, 0, NULL, 0); /* done, reply lost */
	} else {
		rec_reply(s, r, m->seq, IPC_OK, 0, resp, (size_t)n);
	}
	udrv_ckpt_commit(s->ck);
	crash_hook(s);
	send_rec(s, c, r, false);
	return 1;
}

/* One message from @c: 1 answered, 0 nothing (or the connection went). */
static int serve_one(udrv_server *s, struct conn *c)
{
	struct ipc_msg m;
	struct op *op;
	ssize_t n = recv(c->fd, s->rx, IPC_MSG_LIMIT + 1, MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(s, c);
		return 0;
	}
	if (n == 0) {
		conn_close(s, c); /* the client left */
		return 0;
	}
	if ((size_t)n > IPC_MSG_LIMIT) {
		refuse(s, c, IPC_HDR, IPC_E_REQBIG);
		return 0;
	}
	if (udrv__ipc_parse(s->rx, (size_t)n, &m) < 0 || m.type != IPC_REQUEST) {
		refuse(s, c, (size_t)n, IPC_E_BADMSG);
		return 0;
	}
	op = find_op(s, m.op);
	if (!op) {
		send_reply(s, c, m.client, m.seq, IPC_E_UNKNOWN_OP, 0, 0, false);
		return 1;
	}
	return run(s, c, &m, op);
}

int udrv_server_dispatch(udrv_server *s, int timeout_ms)
{
	struct epoll_event ev[16];
	int n, done = 0;

	if (!s)
		return -EINVAL;
	if (!s->recovered) {
		n = udrv_server_recover(s);
		if (n < 0)
			return n;
	}
	if (!s->listening && s->nconns == 0) {
		struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };

		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &lev) == 0)
			s->listening = true;
	}
	n = epoll_wait(s->epfd, ev, 16, timeout_ms);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct conn *c = ev[i].data.ptr;

		if (!c)
			accept_all(s);
		else if (c->fd >= 0)
			done += serve_one(s, c);
	}
	reap(s);
	return done;
}

void udrv_server_close(udrv_server *s)
{
	if (!s)
		return;
	for (struct conn *c = s->conns; c; c = c->next)
		if (c->fd >= 0)
			close(c->fd);
	for (struct conn *c = s->conns, *nx; c; c = nx) {
		nx = c->next;
		free(c);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->lfd >= 0)
		close(s->lfd);
	udrv_ckpt_close(s->ck);
	free(s->ops);
	free(s->rx);
	free(s->tx);
	free(s);
}
