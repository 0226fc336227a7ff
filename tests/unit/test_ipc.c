/* SPDX-License-Identifier: MIT */
/*
 * test_ipc.c - udrv IPC (lib/ipc_*.c) with real sockets and real crashes:
 * the wire checks, every documented client errno, hostile bytes against a
 * live server, device intents settled by a recover hook, and a crash storm
 * (SIGKILL before the commit, after the commit before the reply, and in
 * the middle of the commit at many byte offsets) after which the client's
 * ledger and the server's total agree: no call lost, none run twice.
 *
 * The listening socket and the checkpoint memfd are made here and held by
 * this process, as driver_supervisor holds them; a "keeper" child forks
 * server instances again and again as they die.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "udrv.h"
#include "ipc_wire.h"

#define WAIT 20000 /* ms: generous, a loaded machine is slow */

/* Shared between the test, the keeper and every server instance. */
struct ctl {
	volatile uint32_t reg;      /* the "device register" of op dev */
	volatile uint32_t writes;   /* how often it was written */
	volatile int crash_dev;     /* dev: 1 crash after the write, 2 before it */
	volatile int storm;         /* instances left that crash on purpose */
	volatile int gen;           /* instances started */
	volatile pid_t server;      /* the instance running now */
};

static struct ctl *ctl;
static char sock_path[108];
static int lfd = -1, ckfd = -1;
static pid_t keeper = -1;

struct state {
	uint64_t total;
	uint64_t adds;
	int32_t crash_at_add; /* this instance: SIGKILL in the handler at that add */
};

/* --- operations --------------------------------------------------------- */

static int op_echo(void *arg, const struct udrv_call *c)
{
	(void)arg;
	if (c->req_len > c->resp_cap)
		return -EMSGSIZE;
	memcpy(c->resp, c->req, c->req_len);
	return (int)c->req_len;
}

static int op_fail(void *arg, const struct udrv_call *c)
{
	(void)arg, (void)c;
	return -EDOM;
}

static int op_big(void *arg, const struct udrv_call *c)
{
	(void)arg;
	memset(c->resp, 'x', 1000);
	return 1000;
}

static int op_total(void *arg, const struct udrv_call *c)
{
	const struct state *st = c->state;

	(void)arg;
	memcpy(c->resp, &st->total, 8);
	return 8;
}

static int crash_in_add = -1; /* per instance */

static int op_add(void *arg, const struct udrv_call *c)
{
	struct state *st = c->state;
	uint32_t v;

	(void)arg;
	if (c->req_len != 4)
		return -EINVAL;
	memcpy(&v, c->req, 4);
	st->total += v;
	st->adds++;
	if (crash_in_add >= 0 && crash_in_add-- == 0)
		raise(SIGKILL); /* edited, not committed: must not count */
	memcpy(c->resp, &st->total, 8);
	return 8;
}

static int op_dev(void *arg, const struct udrv_call *c)
{
	uint32_t v;

	(void)arg;
	if (c->req_len != 4)
		return -EINVAL;
	memcpy(&v, c->req, 4);
	if (ctl->crash_dev == 2) {
		ctl->crash_dev = 0;
		raise(SIGKILL); /* intent committed, register not written */
	}
	ctl->reg = v;
	ctl->writes++;
	if (ctl->crash_dev == 1) {
		ctl->crash_dev = 0;
		raise(SIGKILL); /* written, reply not committed */
	}
	memcpy(c->resp, &v, 4);
	return 4;
}

/* Read the register back: it holds the request's value iff it took effect. */
static int op_dev_recover(void *arg, const struct udrv_call *c)
{
	uint32_t v;

	(void)arg;
	memcpy(&v, c->req, 4);
	if (ctl->reg != v)
		return -EAGAIN;
	memcpy(c->resp, &v, 4);
	return 4;
}

/* --- the server instances ------------------------------------------------ */

static void server_main(void)
{
	udrv_server *s;
	int gen = __atomic_fetch_add(&ctl->gen, 1, __ATOMIC_SEQ_CST);
	char env[32];

	ctl->server = getpid();
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the keeper */
	/* cmocka's handlers must not catch a crash of this child. */
	signal(SIGSEGV, SIG_DFL);
	signal(SIGABRT, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (ctl->storm > 0) {
		ctl->storm--;
		switch (gen % 3) {
		case 0: /* in the handler, before the commit */
			crash_in_add = 1 + gen % 5;
			break;
		case 1: /* after the commit, before the reply */
			snprintf(env, sizeof(env), "%d", 1 + gen % 4);
			setenv("UDRV_IPC_CRASH_AFTER", env, 1);
			break;
		default: /* in the middle of a commit, at byte N of commit K */
			snprintf(env, sizeof(env), "%d:%d", (gen * 2654435761u) % 19000, 2 + gen % 3);
			setenv("UDRV_CKPT_CRASH_AT", env, 1);
			break;
		}
	}
	s = udrv_server_open_fd(lfd, ckfd, 1, sizeof(struct state));
	if (!s)
		_exit(100);
	if (udrv_server_add_op(s, "echo", UDRV_OP_PURE, op_echo, NULL, NULL) ||
	    udrv_server_add_op(s, "fail", UDRV_OP_PURE, op_fail, NULL, NULL) ||
	    udrv_server_add_op(s, "big", UDRV_OP_PURE, op_big, NULL, NULL) ||
	    udrv_server_add_op(s, "total", UDRV_OP_PURE, op_total, NULL, NULL) ||
	    udrv_server_add_op(s, "add", UDRV_OP_STATE, op_add, NULL, NULL) ||
	    udrv_server_add_op(s, "dev", UDRV_OP_DEVICE, op_dev, op_dev_recover, NULL) ||
	    udrv_server_add_op(s, "dev-blind", UDRV_OP_DEVICE, op_dev, NULL, NULL))
		_exit(101);
	for (;;)
		if (udrv_server_dispatch(s, -1) < 0 && errno != EINTR)
			_exit(102);
}

/* The keeper: starts an instance whenever the last one died. */
static void keeper_main(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
	signal(SIGTERM, SIG_DFL);
	for (;;) {
		int st;
		pid_t p = fork();

		if (p == 0)
			server_main();
		if (p < 0 || waitpid(p, &st, 0) < 0)
			_exit(1);
		if (WIFEXITED(st) && WEXITSTATUS(st) >= 100)
			_exit(WEXITSTATUS(st));
	}
}

static int setup(void **unused)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)unused;
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(ctl != MAP_FAILED);
	snprintf(sock_path, sizeof(sock_path), "/tmp/udrv-test-ipc.%d.sock", getpid());
	unlink(sock_path);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 64), 0);
	ckfd = memfd_create("ipc-test", MFD_CLOEXEC);
	assert_true(ckfd >= 0);
	keeper = fork();
	assert_true(keeper >= 0);
	if (keeper == 0)
		keeper_main();
	return 0;
}

static int teardown(void **unused)
{
	(void)unused;
	kill(keeper, SIGKILL);
	waitpid(keeper, NULL, 0);
	if (ctl->server > 0)
		kill(ctl->server, SIGKILL); /* it holds our stdout: meson would wait */
	close(lfd);
	close(ckfd);
	unlink(sock_path);
	munmap(ctl, sizeof(*ctl));
	return 0;
}

static udrv_client *conn(void)
{
	udrv_client *c = udrv_client_connect(sock_path);

	assert_non_null(c);
	return c;
}

static uint64_t total(udrv_client *c)
{
	uint64_t t = 0;

	assert_int_equal(udrv_client_call(c, "total", NULL, 0, &t, 8, WAIT), 8);
	return t;
}

/* --- tests --------------------------------------------------------------- */

static void test_wire(void **unused)
{
	uint8_t buf[IPC_HDR + 8 + 4];
	struct ipc_msg m = { .type = IPC_REQUEST, .client = 7, .seq = 3, .err = 64, .len = 4 };
	struct ipc_msg p;

	(void)unused;
	udrv__ipc_put_hdr(buf, &m, 4);
	memcpy(buf + IPC_HDR, "echo", 4);
	memcpy(buf + IPC_HDR + 4, "abcd", 4);
	assert_int_equal(udrv__ipc_parse(buf, IPC_HDR + 8, &p), 0);
	assert_string_equal(p.op, "echo");
	assert_int_equal(p.client, 7);
	assert_int_equal(p.seq, 3);
	assert_int_equal(p.len, 4);
	assert_memory_equal(p.payload, "abcd", 4);
	/* every truncation and one byte too many */
	for (size_t n = 0; n < IPC_HDR + 8; n++)
		assert_int_equal(udrv__ipc_parse(buf, n, &p), -EBADMSG);
	assert_int_equal(udrv__ipc_parse(buf, sizeof(buf), &p), -EBADMSG);
	/* each header byte changed is refused, except client/seq/err/flags
	 * values that are still valid */
	for (size_t i = 0; i < IPC_HDR; i++) {
		uint8_t b[sizeof(buf)];

		memcpy(b, buf, sizeof(b));
		b[i] ^= 0x80;
		if ((i >= 8 && i < 24) || (i >= 28 && i < 32))
			assert_int_equal(udrv__ipc_parse(b, IPC_HDR + 8, &p), 0);
		else
			assert_int_equal(udrv__ipc_parse(b, IPC_HDR + 8, &p), -EBADMSG);
	}
	/* op names: a NUL, a slash, a space */
	memcpy(buf + IPC_HDR, "ec\0o", 4);
	assert_int_equal(udrv__ipc_parse(buf, IPC_HDR + 8, &p), -EBADMSG);
	memcpy(buf + IPC_HDR, "e/ho", 4);
	assert_int_equal(udrv__ipc_parse(buf, IPC_HDR + 8, &p), -EBADMSG);
	assert_false(udrv__ipc_op_valid("a b", 3));
	assert_false(udrv__ipc_op_valid("", 0));
	assert_true(udrv__ipc_op_valid("set-period_2.x", 14));
	/* status mapping: distinct errnos */
	int seen[IPC_E__COUNT];
	for (unsigned s = 1; s < IPC_E__COUNT; s++) {
		seen[s] = udrv__ipc_status_errno(s);
		for (unsigned t = 1; t < s; t++)
			assert_int_not_equal(seen[s], seen[t]);
	}
	assert_int_equal(udrv__ipc_status_errno(99), -EPROTO);
}

static void test_calls_and_errors(void **unused)
{
	udrv_client *c = conn();
	char out[64];
	uint32_t v = 5;
	uint64_t t0, t;
	static char huge[UDRV_IPC_MSG_MAX + 1];

	(void)unused;
	assert_int_equal(udrv_client_call(c, "echo", "hello", 5, out, sizeof(out), WAIT), 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(udrv_client_call(c, "echo", NULL, 0, NULL, 0, WAIT), 0);
	assert_int_equal(udrv_client_call(c, "nope", NULL, 0, out, sizeof(out), WAIT), -EOPNOTSUPP);
	assert_int_equal(udrv_client_call(c, "fail", NULL, 0, out, sizeof(out), WAIT), -EREMOTEIO);
	assert_int_equal(udrv_client_errno(c), EDOM);
	assert_int_equal(udrv_client_call(c, "big", NULL, 0, out, sizeof(out), WAIT), -EMSGSIZE);
	assert_int_equal(udrv_client_call(c, "bad op", NULL, 0, out, sizeof(out), WAIT), -EINVAL);
	assert_int_equal(udrv_client_call(c, "echo", huge, sizeof(huge), out, 1, WAIT), -E2BIG);
	assert_int_equal(udrv_client_call(NULL, "echo", NULL, 0, NULL, 0, WAIT), -EINVAL);
	/* a state op whose reply does not fit is not carried out */
	t0 = total(c);
	assert_int_equal(udrv_client_call(c, "add", &v, 4, &t, 4, WAIT), -EMSGSIZE);
	assert_int_equal(total(c), t0);
	assert_int_equal(udrv_client_call(c, "add", &v, 4, &t, 8, WAIT), 8);
	assert_int_equal(t, t0 + 5);
	/* a state op's handler error: no effect either */
	assert_int_equal(udrv_client_call(c, "add", &v, 3, &t, 8, WAIT), -EREMOTEIO);
	assert_int_equal(udrv_client_errno(c), EINVAL);
	assert_int_equal(total(c), t0 + 5);
	/* the same echo again works after all that */
	assert_int_equal(udrv_client_call(c, "echo", "x", 1, out, sizeof(out), WAIT), 1);
	udrv_client_close(c);
	udrv_client_close(NULL);

	errno = 0;
	assert_null(udrv_client_connect("/tmp/no/such/udrv.sock"));
	assert_int_equal(errno, ENOENT);
	assert_null(udrv_client_connect("bad name!"));
	assert_int_equal(errno, EINVAL);
	assert_null(udrv_client_connect(""));
	assert_int_equal(errno, EINVAL);
}

static void test_timeout(void **unused)
{
	/* A socket nobody accepts on: the connect waits in the backlog. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	char p[108];
	udrv_client *c;

	(void)unused;
	snprintf(p, sizeof(p), "/tmp/udrv-test-ipc-idle.%d.sock", getpid());
	unlink(p);
	memcpy(sa.sun_path, p, strlen(p) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	c = udrv_client_connect(p);
	assert_non_null(c);
	assert_int_equal(udrv_client_call(c, "echo", "x", 1, NULL, 0, 100), -ETIMEDOUT);
	udrv_client_close(c);
	close(fd);
	unlink(p);
}

/* Raw bytes on a connection of its own: @n bytes of @msg, then what came back. */
static ssize_t raw(const void *msg, size_t n, uint8_t *reply, size_t cap, bool *closed)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	struct timeval tv = { 20, 0 };
	ssize_t r;

	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_true(send(fd, msg, n, MSG_NOSIGNAL) == (ssize_t)n);
	r = recv(fd, reply, cap, 0);
	*closed = r == 0 || recv(fd, reply + (r > 0 ? r : 0), 1, 0) == 0;
	close(fd);
	return r;
}

static void test_hostile(void **unused)
{
	static uint8_t big[IPC_MSG_LIMIT + 100];
	uint8_t msg[IPC_HDR + 8] = { 0 }, rep[256];
	struct ipc_msg m = { .type = IPC_REQUEST, .client = 9, .seq = 1, .len = 4 }, p;
	udrv_client *c = conn();
	char out[8];
	bool closed;
	ssize_t n;
	unsigned seed = 12345;

	(void)unused;
	/* a valid header with a length that lies */
	udrv__ipc_put_hdr(msg, &m, 4);
	memcpy(msg + IPC_HDR, "echo", 4);
	n = raw(msg, IPC_HDR + 6, rep, sizeof(rep), &closed);
	assert_true(closed);
	assert_int_equal(n, IPC_HDR);
	assert_int_equal(udrv__ipc_parse(rep, (size_t)n, &p), 0);
	assert_int_equal(udrv__ipc_status_errno(p.status), -EBADMSG);
	/* oversized: refused, closed */
	memcpy(big, msg, IPC_HDR);
	n = raw(big, sizeof(big), rep, sizeof(rep), &closed);
	assert_true(closed);
	assert_int_equal(udrv__ipc_parse(rep, (size_t)n, &p), 0);
	assert_int_equal(udrv__ipc_status_errno(p.status), -E2BIG);
	/* too short to address: no reply, closed */
	n = raw("UDRV", 4, rep, sizeof(rep), &closed);
	assert_true(closed && n == 0);
	/* a reply sent as a request */
	m.type = IPC_REPLY;
	udrv__ipc_put_hdr(msg, &m, 0);
	n = raw(msg, IPC_HDR, rep, sizeof(rep), &closed);
	assert_true(closed);
	/* 300 random messages: never a crash, the client keeps being served */
	for (int i = 0; i < 300; i++) {
		size_t len = (size_t)rand_r(&seed) % (IPC_HDR + 40) + 1;

		for (size_t j = 0; j < len; j++)
			msg[j % sizeof(msg)] = (uint8_t)rand_r(&seed);
		if (i % 2) /* half with a valid magic and version */
			memcpy(msg, "UDRV\x01\x01", 6);
		raw(msg, len < sizeof(msg) ? len : sizeof(msg), rep, sizeof(rep), &closed);
		assert_true(closed);
	}
	assert_int_equal(udrv_client_call(c, "echo", "ok", 2, out, sizeof(out), WAIT), 2);
	assert_int_equal(ctl->gen, 1); /* one instance served it all: no crash */
	udrv_client_close(c);
}

static void test_device_intent(void **unused)
{
	udrv_client *c = conn();
	uint32_t v, out;
	int gen = ctl->gen;

	(void)unused;
	/* crash after the register write: recover reads it back, no second write */
	ctl->writes = 0;
	ctl->crash_dev = 1;
	v = 0x1234;
	assert_int_equal(udrv_client_call(c, "dev", &v, 4, &out, 4, WAIT), 4);
	assert_int_equal(out, v);
	assert_int_equal(ctl->writes, 1);
	assert_int_equal(ctl->gen, gen + 1);
	/* crash before the write: recover says -EAGAIN, the resend runs it once */
	ctl->writes = 0;
	ctl->crash_dev = 2;
	v = 0x5678;
	assert_int_equal(udrv_client_call(c, "dev", &v, 4, &out, 4, WAIT), 4);
	assert_int_equal(out, v);
	assert_int_equal(ctl->writes, 1);
	assert_int_equal(ctl->reg, v);
	assert_int_equal(ctl->gen, gen + 2);
	/* no recover hook: the outcome is unknown, never a second write */
	ctl->writes = 0;
	ctl->crash_dev = 1;
	v = 0x9abc;
	assert_int_equal(udrv_client_call(c, "dev-blind", &v, 4, &out, 4, WAIT), -ENOTRECOVERABLE);
	assert_int_equal(ctl->writes, 1);
	/* and without a crash it simply works */
	ctl->writes = 0;
	v = 0xdef0;
	assert_int_equal(udrv_client_call(c, "dev-blind", &v, 4, &out, 4, WAIT), 4);
	assert_int_equal(ctl->writes, 1);
	assert_true(udrv_client_resends(c) >= 3);
	udrv_client_close(c);
}

static void test_crash_storm(void **unused)
{
	enum { CALLS = 1500, CRASHES = 90 };
	udrv_client *c = conn(), *c2 = conn();
	uint64_t ledger, t;
	int gen0;

	(void)unused;
	ledger = total(c);
	gen0 = ctl->gen;
	ctl->storm = CRASHES;
	kill(ctl->server, SIGKILL); /* the next instances crash on purpose */
	for (uint32_t i = 1; i <= CALLS; i++) {
		/* two clients interleaved, each call checked against the ledger */
		udrv_client *h = i % 2 ? c : c2;

		assert_int_equal(udrv_client_call(h, "add", &i, 4, &t, 8, WAIT), 8);
		ledger += i;
		assert_int_equal(t, ledger);
	}
	assert_int_equal(total(c), ledger);
	print_message("%d instances crashed on purpose over %d calls; %llu + %llu resends; "
		      "total %llu as the ledger\n", ctl->gen - gen0 - 1, CALLS,
		      (unsigned long long)udrv_client_resends(c),
		      (unsigned long long)udrv_client_resends(c2), (unsigned long long)ledger);
	assert_int_equal(ctl->storm, 0);
	assert_true(ctl->gen - gen0 >= CRASHES);
	udrv_client_close(c);
	udrv_client_close(c2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_calls_and_errors),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_device_intent),
		cmocka_unit_test(test_crash_storm),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
