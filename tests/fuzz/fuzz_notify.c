/* SPDX-License-Identifier: MIT */
/*
 * fuzz_notify - sd_notify datagrams as the supervisor receives them
 * (supervisor/notify.c with the parsers of supervisor/proto.c), through a
 * real AF_UNIX datagram socketpair so that the control messages are the
 * kernel's: SCM_CREDENTIALS present or not, 0..40 SCM_RIGHTS fds (more
 * than NOTIFY_FDS_MAX gives MSG_CTRUNC), payloads past the 4096-byte
 * buffer (MSG_TRUNC), then the fd store (supervisor/fdstore.c) as
 * FDSTORE=1 / FDSTOREREMOVE=1 drive it. Not one fd may leak.
 *
 * Input: byte 0 = flags (bit 0: send credentials; bit 1: split the fds
 * over two SCM_RIGHTS cmsgs), byte 1 = number of fds (mod 41), byte 2 =
 * FileDescriptorStoreMax, the rest = the datagram.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdstore.h"
#include "fuzz.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOTIFY_MAX 4096 /* as notify.c */
#define SEND_FDS_MAX 40

static int sp[2] = { -1, -1 }, devnull = -1;

static void setup(void)
{
	int one = 1, big = 1 << 20;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0 ||
	    setsockopt(sp[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		abort();
	setsockopt(sp[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		abort();
}

static void send_msg(const uint8_t *payload, size_t len, bool creds, bool split, int nfd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred)) + 2 * CMSG_SPACE(sizeof(int) * SEND_FDS_MAX)];
	} ctl;
	struct iovec iov = { (void *)payload, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b };
	struct cmsghdr *c;
	size_t clen = 0;
	int fds[SEND_FDS_MAX];

	memset(&ctl, 0, sizeof(ctl));
	/* every other fd its own open file, so the store's duplicate check
	 * (fd_same_file) sees both kinds */
	for (int i = 0; i < nfd; i++)
		fds[i] = i % 2 ? devnull : open("/dev/null", O_RDONLY | O_CLOEXEC);
	mh.msg_controllen = sizeof(ctl.b);
	c = CMSG_FIRSTHDR(&mh);
	if (creds) {
		struct ucred uc = { getpid(), getuid(), getgid() };

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(uc));
		memcpy(CMSG_DATA(c), &uc, sizeof(uc));
		clen += CMSG_SPACE(sizeof(uc));
		c = CMSG_NXTHDR(&mh, c);
	}
	for (int part = 0, done = 0; part < (split ? 2 : 1) && nfd; part++) {
		int k = split && part == 0 ? nfd / 2 : nfd - done;

		if (!k)
			continue;
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)k);
		memcpy(CMSG_DATA(c), fds + done, sizeof(int) * (size_t)k);
		clen += CMSG_SPACE(sizeof(int) * (size_t)k);
		done += k;
		c = CMSG_NXTHDR(&mh, c);
	}
	mh.msg_controllen = clen;
	if (!clen)
		mh.msg_control = NULL;
	if (sendmsg(sp[1], &mh, MSG_DONTWAIT) < 0)
		abort(); /* the buffers are sized for the biggest input */
	for (int i = 0; i < nfd; i += 2)
		close(fds[i]); /* in flight, the message holds its own reference */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[NOTIFY_MAX + 1];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
	} ctl; /* as notify_drain() */
	struct iovec iov = { buf, NOTIFY_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	struct fdstore store = { 0 };
	struct notify_msg m;
	const struct ucred *cred;
	int fds[NOTIFY_FDS_MAX], nfd, before;
	unsigned max;
	ssize_t n;

	if (sp[0] < 0)
		setup();
	if (size < 3 || size > 3 + 2 * NOTIFY_MAX)
		return 0;
	before = fuzz_open_fds();
	send_msg(data + 3, size - 3, data[0] & 1, data[0] & 2, data[1] % (SEND_FDS_MAX + 1));
	max = data[2];

	n = recvmsg(sp[0], &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	FUZZ_CHECK(n >= 0);
	nfd = notify_cmsgs(&mh, fds, &cred);
	FUZZ_CHECK(nfd >= 0 && nfd <= NOTIFY_FDS_MAX);
	FUZZ_CHECK(nfd <= data[1] % (SEND_FDS_MAX + 1));
	if (data[0] & 1 && !(mh.msg_flags & MSG_CTRUNC))
		FUZZ_CHECK(cred && cred->pid == getpid());
	buf[n] = '\0';
	notify_parse(buf, &m);
	if (m.status)
		FUZZ_CHECK(m.status >= buf && m.status <= buf + n && !strchr(m.status, '\n'));
	if (m.fdname)
		FUZZ_CHECK(m.fdname >= buf && m.fdname <= buf + n);

	/* what notify.c's fdstore_msg() does with them */
	if (m.remove && m.fdname && fdname_valid(m.fdname))
		fdstore_remove(&store, m.fdname);
	for (int i = 0; i < nfd; i++) {
		int r = m.store ? fdstore_add(&store, fds[i], m.fdname ? m.fdname : "stored", max, NULL)
				: -EPERM;

		FUZZ_CHECK(r == 0 || r == -EPERM || r == -EINVAL || r == -EEXIST || r == -ENOBUFS);
		if (r != 0)
			close(fds[i]);
	}
	FUZZ_CHECK(store.n <= max);
	if (store.n) {
		char names[256 * (FDNAME_MAX + 1) + 8];

		FUZZ_CHECK(fdstore_names(&store, "listen", names, sizeof(names)) > 0);
	}
	fdstore_clear(&store);
	FUZZ_CHECK(fuzz_open_fds() == before);
	return 0;
}
