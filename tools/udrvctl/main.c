/* SPDX-License-Identifier: MIT */
/*
 * udrvctl - look at devices and control driver_supervisor.
 *
 *   udrvctl [--control PATH] COMMAND [ARGS]
 */
#include "udrvctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *udrvctl_control_path;

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
} commands[] = {
	{ "list", udrvctl_list, "[-v]", "list UIO devices and vfio-pci devices with their maps" },
	{ "dump", udrvctl_dump, "SPEC [MAP [OFF [LEN]]]", "registers as a hex table (--width 8|16|32|64)" },
	{ "read", udrvctl_read, "SPEC MAP OFF", "read one register (--width, default 32)" },
	{ "write", udrvctl_write, "SPEC MAP OFF VALUE", "write one register (--width, default 32)" },
	{ "status", udrvctl_status, "[NAME] [--json]", "state of supervised drivers" },
	{ "start", udrvctl_start, "NAME [--no-block]", "start a driver, wait until it is ready" },
	{ "stop", udrvctl_stop, "NAME [--no-block]", "stop a driver, wait until it is stopped" },
	{ "restart", udrvctl_restart, "NAME [--no-block]", "stop then start a driver" },
	{ "upgrade", udrvctl_upgrade, "NAME [--exec PATH]", "restart a driver, with PATH as its program" },
	{ "reset-failed", udrvctl_reset_failed, "NAME", "clear a failed driver's state" },
	{ "call", udrvctl_call, "NAME OP [ARG...] [--timeout MS] [--raw]",
	  "call a driver operation over IPC (IPC=yes)" },
	{ "log", udrvctl_log, "NAME [-n N]", "a driver's last output lines (default 50)" },
	{ "new", udrvctl_new, "NAME [--uio NAME|--pci ADDR] [--dir DIR]",
	  "write a driver skeleton (C, registers.h, Makefile, unit)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: udrvctl [--control PATH] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-13s %-42s %s\n", commands[i].name, commands[i].args, commands[i].help);
	fprintf(f, "\n--control PATH  the supervisor's control socket (default $UDRV_CONTROL or\n"
		   "                " UDRVCTL_DEFAULT_CONTROL ")\n");
}

int main(int argc, char **argv)
{
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	int nargs = 0;

	if (!args) {
		perror("udrvctl");
		return 1;
	}
	udrvctl_control_path = getenv("UDRV_CONTROL");
	/* --control may come before or after the command */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--control") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "udrvctl: --control needs a PATH\n");
				free(args);
				return 2;
			}
			udrvctl_control_path = argv[++i];
		} else if (strncmp(argv[i], "--control=", 10) == 0) {
			udrvctl_control_path = argv[i] + 10;
		} else if (nargs == 0 && strcmp(argv[i], "--list-commands") == 0) {
			/* hidden: the command table, for tests/man and the completion */
			for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
				printf("%s\n", commands[c].name);
			free(args);
			return 0;
		} else if (nargs == 0 && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
			usage(stdout);
			free(args);
			return 0;
		} else {
			args[nargs++] = argv[i];
		}
	}
	if (!udrvctl_control_path || !*udrvctl_control_path)
		udrvctl_control_path = UDRVCTL_DEFAULT_CONTROL;
	if (nargs == 0) {
		usage(stderr);
		free(args);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(args[0], commands[i].name) == 0) {
			int r = commands[i].fn(nargs, args);
			free(args);
			return r;
		}
	}
	fprintf(stderr, "udrvctl: unknown command '%s'\n\n", args[0]);
	usage(stderr);
	free(args);
	return 2;
}
