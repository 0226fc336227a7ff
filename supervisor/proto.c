/* SPDX-License-Identifier: MIT */
/*
 * proto.c - parsers of the notify datagrams and control requests (see
 * proto.h). Pure: what they read is hostile input from other processes.
 */
#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void notify_parse(char *text, struct notify_msg *m)
{
	char *save = NULL;

	memset(m, 0, sizeof(*m));
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "READY=1") == 0) {
			m->ready = true;
		} else if (strcmp(line, "WATCHDOG=1") == 0) {
			m->ping = true;
		} else if (strcmp(line, "WATCHDOG=trigger") == 0) {
			m->trigger = true;
		} else if (strncmp(line, "STATUS=", 7) == 0) {
			m->status = line + 7;
		} else if (strncmp(line, "WATCHDOG_USEC=", 14) == 0) {
			const char *v = line + 14;
			unsigned long long u;
			char *end;

			errno = 0;
			u = strtoull(v, &end, 10);
			/* digits only: strtoull takes "-1" and " 5" too */
			if (*v >= '0' && *v <= '9' && *end == '\0' && errno == 0 && u > 0)
				m->watchdog_usec = u;
		} else if (strcmp(line, "FDSTORE=1") == 0) {
			m->store = true;
		} else if (strcmp(line, "FDSTOREREMOVE=1") == 0) {
			m->remove = true;
		} else if (strncmp(line, "FDNAME=", 7) == 0) {
			m->fdname = line + 7;
		}
	}
}

int notify_cmsgs(struct msghdr *mh, int fds[NOTIFY_FDS_MAX], const struct ucred **cred)
{
	int nfd = 0;

	*cred = NULL;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t room = (size_t)((char *)mh->msg_control + mh->msg_controllen - (char *)c);

		/* the kernel writes well-formed cmsgs; still, never read past the buffer */
		if (c->cmsg_len > room)
			break;
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_len < CMSG_LEN(0))
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS) {
			if (c->cmsg_len >= CMSG_LEN(sizeof(struct ucred)))
				*cred = (const struct ucred *)CMSG_DATA(c);
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < k; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
				if (nfd < NOTIFY_FDS_MAX)
					fds[nfd++] = fd;
				else
					close(fd);
			}
		}
	}
	return nfd;
}

int ctl_parse(char *line, struct ctl_req *req, char *err, size_t errlen)
{
	static const struct {
		const char *word;
		enum ctl_cmd cmd;
	} cmds[] = {
		{ "status", CTL_STATUS }, { "log", CTL_LOG },
		{ "start", CTL_START }, { "stop", CTL_STOP },
		{ "restart", CTL_RESTART }, { "reset-failed", CTL_RESET },
		{ "upgrade", CTL_UPGRADE },
	};
	char *argv[CTL_ARGS_MAX], *save = NULL;
	int argc = 0;
	size_t i;

	memset(req, 0, sizeof(*req));
	req->log_lines = 50;
	for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (strcmp(w, "--json") == 0) {
			req->json = true;
		} else if (strcmp(w, "--no-block") == 0) {
			req->no_block = true;
		} else if (argc < CTL_ARGS_MAX) {
			argv[argc++] = w;
		} else {
			snprintf(err, errlen, "too many arguments");
			return -EINVAL;
		}
	}
	if (argc == 0) {
		snprintf(err, errlen, "empty request");
		return -EINVAL;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].word) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		snprintf(err, errlen, "unknown request '%.64s' (expected status, start, stop, "
			 "restart, upgrade, reset-failed, log)", argv[0]);
		return -EINVAL;
	}
	req->cmd = cmds[i].cmd;
	req->name = argc >= 2 ? argv[1] : NULL;
	switch (req->cmd) {
	case CTL_STATUS:
		if (argc > 2) {
			snprintf(err, errlen, "usage: status [NAME] [--json]");
			return -EINVAL;
		}
		return 0;
	case CTL_LOG:
		if (argc != 2 && argc != 3) {
			snprintf(err, errlen, "usage: log NAME [N]");
			return -EINVAL;
		}
		if (argc == 3) {
			const char *n = argv[2];
			char *end;

			errno = 0;
			req->log_lines = strtoul(n, &end, 10);
			if (*n < '0' || *n > '9' || *end || errno) {
				snprintf(err, errlen, "log: '%.64s' is not a line count", n);
				return -EINVAL;
			}
		}
		return 0;
	case CTL_UPGRADE:
		if (argc == 4 && strcmp(argv[2], "--exec") == 0) {
			req->exec_path = argv[3];
			return 0;
		}
		if (argc != 2) {
			snprintf(err, errlen, "usage: upgrade NAME [--exec PATH]");
			return -EINVAL;
		}
		return 0;
	default:
		if (argc != 2) {
			snprintf(err, errlen, "usage: %s NAME", argv[0]);
			return -EINVAL;
		}
		return 0;
	}
}
