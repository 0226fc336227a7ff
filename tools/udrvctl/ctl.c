/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - udrvctl commands that talk to driver_supervisor over its control
 * socket: send one request line, print what comes back.
 * Exit status: 0 done, 1 the supervisor refused or the driver failed,
 * 2 bad usage, 3 no supervisor reachable.
 */
#include "udrvctl.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int request(const char *line)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536];
	char *resp = NULL;
	size_t len = 0;
	int fd, r;

	if (strlen(udrvctl_control_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "udrvctl: control socket path too long: %s\n", udrvctl_control_path);
		return 2;
	}
	strcpy(sa.sun_path, udrvctl_control_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EACCES)
			fprintf(stderr, "udrvctl: permission denied: the control socket %s is for "
				"root and the supervisor's user only (driver_supervisor "
				"--read-group/--admin-group let groups in)\n", udrvctl_control_path);
		else
			fprintf(stderr, "udrvctl: cannot reach driver_supervisor at %s: %s\n",
				udrvctl_control_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 3;
	}
	/* Do not shut down our side: the supervisor takes that as "gone". */
	for (size_t off = 0, n = strlen(line); off < n;) {
		/* MSG_NOSIGNAL: a supervisor that refused us has closed already;
		 * its answer (why) is still there to read. */
		ssize_t w = send(fd, line + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			break;
		if (w < 0) {
			fprintf(stderr, "udrvctl: write: %s\n", strerror(errno));
			close(fd);
			return 3;
		}
		off += (size_t)w;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		char *nr = realloc(resp, len + (size_t)n + 1);
		if (!nr) {
			fprintf(stderr, "udrvctl: out of memory\n");
			free(resp);
			close(fd);
			return 1;
		}
		resp = nr;
		memcpy(resp + len, buf, (size_t)n);
		len += (size_t)n;
		resp[len] = '\0';
	}
	close(fd);
	if (!resp) {
		fprintf(stderr, "udrvctl: driver_supervisor closed the connection without an answer\n");
		return 3;
	}
	if (strncmp(resp, "OK\n", 3) == 0) {
		fwrite(resp + 3, 1, len - 3, stdout);
		r = 0;
	} else if (strncmp(resp, "ERR ", 4) == 0) {
		fprintf(stderr, "udrvctl: %s", resp + 4);
		r = 1;
	} else {
		fprintf(stderr, "udrvctl: unexpected answer from driver_supervisor: %.80s\n", resp);
		r = 1;
	}
	free(resp);
	return r;
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) >= 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.@", *s))
			return false;
	return true;
}

static int bad_name(const char *cmd, const char *name)
{
	fprintf(stderr, "udrvctl %s: '%s' is not a driver name (letters, digits, _ - . @)\n", cmd, name);
	return 2;
}

int udrvctl_status(int argc, char **argv)
{
	const char *name = NULL;
	bool json = false;
	char line[256];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] == '-') {
			fprintf(stderr, "udrvctl status: unknown option '%s'\n", argv[i]);
			return 2;
		} else if (!name)
			name = argv[i];
		else {
			fprintf(stderr, "udrvctl status: one NAME at most\n");
			return 2;
		}
	}
	if (name && !valid_name(name))
		return bad_name("status", name);
	snprintf(line, sizeof(line), "status%s%s%s\n", name ? " " : "", name ? name : "",
		 json ? " --json" : "");
	return request(line);
}

/* start|stop|restart|reset-failed NAME [--no-block] */
static int simple(const char *cmd, bool allow_no_block, int argc, char **argv)
{
	const char *name = NULL;
	bool no_block = false;
	char line[256];

	for (int i = 1; i < argc; i++) {
		if (allow_no_block && strcmp(argv[i], "--no-block") == 0)
			no_block = true;
		else if (argv[i][0] == '-' || name) {
			fprintf(stderr, "udrvctl %s: unexpected argument '%s'\n", cmd, argv[i]);
			return 2;
		} else
			name = argv[i];
	}
	if (!name) {
		fprintf(stderr, "udrvctl %s: which driver? (udrvctl %s NAME)\n", cmd, cmd);
		return 2;
	}
	if (!valid_name(name))
		return bad_name(cmd, name);
	snprintf(line, sizeof(line), "%s %s%s\n", cmd, name, no_block ? " --no-block" : "");
	return request(line);
}

int udrvctl_start(int argc, char **argv)
{
	return simple("start", true, argc, argv);
}

int udrvctl_stop(int argc, char **argv)
{
	return simple("stop", true, argc, argv);
}

int udrvctl_restart(int argc, char **argv)
{
	return simple("restart", true, argc, argv);
}

/* upgrade NAME [--exec PATH] [--no-block]: PATH is made absolute here (the
 * supervisor's working directory is not ours) and checked by the supervisor. */
int udrvctl_upgrade(int argc, char **argv)
{
	const char *name = NULL, *exec = NULL;
	char line[PATH_MAX + 256], *abs = NULL;
	bool no_block = false;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-block") == 0) {
			no_block = true;
		} else if (strcmp(argv[i], "--exec") == 0) {
			if (i + 1 >= argc || exec) {
				fprintf(stderr, "udrvctl upgrade: --exec needs one PATH\n");
				return 2;
			}
			exec = argv[++i];
		} else if (argv[i][0] == '-' || name) {
			fprintf(stderr, "udrvctl upgrade: unexpected argument '%s'\n", argv[i]);
			return 2;
		} else {
			name = argv[i];
		}
	}
	if (!name) {
		fprintf(stderr, "udrvctl upgrade: which driver? (udrvctl upgrade NAME [--exec PATH])\n");
		return 2;
	}
	if (!valid_name(name))
		return bad_name("upgrade", name);
	if (exec) {
		abs = realpath(exec, NULL);
		if (!abs) {
			fprintf(stderr, "udrvctl upgrade: %s: %s\n", exec, strerror(errno));
			return 1;
		}
		for (const char *p = abs; *p; p++)
			if (isspace((unsigned char)*p) || !isprint((unsigned char)*p)) {
				fprintf(stderr, "udrvctl upgrade: '%s': a path with blanks or control "
					"characters cannot be passed to the supervisor\n", abs);
				free(abs);
				return 2;
			}
	}
	snprintf(line, sizeof(line), "upgrade %s%s%s%s\n", name, abs ? " --exec " : "",
		 abs ? abs : "", no_block ? " --no-block" : "");
	free(abs);
	r = request(line);
	return r;
}

int udrvctl_reset_failed(int argc, char **argv)
{
	return simple("reset-failed", false, argc, argv);
}

int udrvctl_log(int argc, char **argv)
{
	const char *name = NULL, *n = "50";
	char line[256];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "udrvctl log: -n needs a number\n");
				return 2;
			}
			n = argv[++i];
		} else if (argv[i][0] == '-' || name) {
			fprintf(stderr, "udrvctl log: unexpected argument '%s'\n", argv[i]);
			return 2;
		} else {
			name = argv[i];
		}
	}
	if (!name) {
		fprintf(stderr, "udrvctl log: which driver? (udrvctl log NAME [-n N])\n");
		return 2;
	}
	if (!valid_name(name))
		return bad_name("log", name);
	for (const char *p = n; *p; p++)
		if (!isdigit((unsigned char)*p)) {
			fprintf(stderr, "udrvctl log: -n '%s' is not a line count\n", n);
			return 2;
		}
	if (!*n) {
		fprintf(stderr, "udrvctl log: -n needs a number\n");
		return 2;
	}
	snprintf(line, sizeof(line), "log %s %s\n", name, n);
	return request(line);
}
