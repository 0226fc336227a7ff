/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the wire formats of the supervisor's two sockets, parsed
 * without side effects (no globals, no printing, no driver state), so that
 * notify.c and control.c only apply what was parsed, and so that the
 * parsers can be fuzzed on their own (tests/fuzz/).
 */
#ifndef SUP_PROTO_H
#define SUP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* What one sd_notify datagram says (sd_notify(3) keys the supervisor uses). */
struct notify_msg {
	bool ready;            /* READY=1 */
	bool ping;             /* WATCHDOG=1 */
	bool trigger;          /* WATCHDOG=trigger */
	bool store, remove;    /* FDSTORE=1, FDSTOREREMOVE=1 */
	const char *status;    /* STATUS= text (points into the message), or NULL */
	uint64_t watchdog_usec; /* WATCHDOG_USEC= (> 0), 0 when absent or invalid */
	const char *fdname;    /* FDNAME=, or NULL */
};

/* notify_parse - split @text (NUL-terminated, modified: lines are cut at
 * '\n') into @m. The last occurrence of a key wins. Never fails: unknown
 * lines (STOPPING=1, MAINPID=, ...) are ignored. */
void notify_parse(char *text, struct notify_msg *m);

/* The most fds taken from one notify datagram; more are closed. */
#define NOTIFY_FDS_MAX 16

/* notify_cmsgs - walk the control messages of a received datagram: the
 * sender's credentials into *@cred (NULL when none came), the SCM_RIGHTS
 * fds into @fds (at most NOTIFY_FDS_MAX; extra ones are closed here).
 * Returns the number of fds stored. Cmsgs of a level other than SOL_SOCKET,
 * or too short to hold what their type says, are skipped. */
int notify_cmsgs(struct msghdr *mh, int fds[NOTIFY_FDS_MAX], const struct ucred **cred);

/* The control protocol (control.c): one line of words. */
enum ctl_cmd { CTL_STATUS, CTL_LOG, CTL_START, CTL_STOP, CTL_RESTART, CTL_RESET, CTL_UPGRADE };

#define CTL_ARGS_MAX 8

struct ctl_req {
	enum ctl_cmd cmd;
	const char *name;       /* the driver, NULL for "status" alone */
	bool json, no_block;    /* --json, --no-block */
	unsigned long log_lines; /* log NAME [N] (default 50) */
	const char *exec_path;  /* upgrade NAME --exec PATH, else NULL */
};

/* ctl_parse - parse request @line (NUL-terminated, without '\n'; modified:
 * cut into words) into @req. Returns 0, or -EINVAL with a message for the
 * client in @err. Whether the driver exists is the caller's business. */
int ctl_parse(char *line, struct ctl_req *req, char *err, size_t errlen);

#endif /* SUP_PROTO_H */
