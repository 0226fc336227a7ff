/* SPDX-License-Identifier: MIT */
/*
 * fdlaunch - what a service manager does for an unprivileged driver, in
 * small: open device files as root, pass them as fds 3.. with
 * LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES (sd_listen_fds(3) protocol), drop to
 * a user, exec the driver.
 *
 *   fdlaunch UID[:GID] [NAME=PATH[:ro]]... -- CMD [ARGS...]
 *
 * Each PATH is opened O_RDWR (":ro": O_RDONLY). Exit 127 on any set-up
 * failure, naming it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "fdlaunch: %s %s: %s\n", what, arg, strerror(errno));
	exit(127);
}

int main(int argc, char **argv)
{
	char names[1024] = "", num[32];
	unsigned long uid, gid;
	int i, n = 0;
	char *end;

	if (argc < 4)
		return fprintf(stderr, "usage: fdlaunch UID[:GID] [NAME=PATH[:ro]]... -- CMD...\n"), 2;
	uid = strtoul(argv[1], &end, 10);
	gid = *end == ':' ? strtoul(end + 1, NULL, 10) : uid;
	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *eq = strchr(argv[i], '='), *path, *ro;
		int fd;

		if (!eq)
			return fprintf(stderr, "fdlaunch: bad fd spec %s\n", argv[i]), 2;
		*eq = '\0';
		path = eq + 1;
		ro = strrchr(path, ':');
		if (ro && strcmp(ro, ":ro") == 0)
			*ro = '\0';
		else
			ro = NULL;
		fd = open(path, ro ? O_RDONLY : O_RDWR);
		if (fd < 0)
			die("open", path);
		if (fd != 3 + n && (dup2(fd, 3 + n) < 0 || close(fd) < 0))
			die("dup2", path);
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", n ? ":" : "",
			 argv[i]);
		n++;
	}
	if (i >= argc - 1)
		return fprintf(stderr, "fdlaunch: no command after --\n"), 2;
	snprintf(num, sizeof(num), "%d", n);
	setenv("LISTEN_FDS", num, 1);
	setenv("LISTEN_FDNAMES", names, 1);
	snprintf(num, sizeof(num), "%d", (int)getpid()); /* exec keeps the pid */
	setenv("LISTEN_PID", num, 1);
	if (setgroups(0, NULL) < 0 || setgid((gid_t)gid) < 0 || setuid((uid_t)uid) < 0)
		die("dropping to uid", argv[1]);
	execvp(argv[i + 1], argv + i + 1);
	die("exec", argv[i + 1]);
	return 127;
}
