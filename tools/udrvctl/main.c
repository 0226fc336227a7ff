/* SPDX-License-Identifier: MIT */
/* udrvctl - the udrv command-line tool: a table of subcommands. */
#include <stdio.h>
#include <string.h>

#include "udrvctl.h"

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "list", udrvctl_list, "list UIO devices and their maps" },
};

static int usage(FILE *f)
{
	fprintf(f, "usage: udrvctl COMMAND [ARGS]\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-14s %s\n", cmds[i].name, cmds[i].help);
	return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return usage(stdout);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "udrvctl: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
