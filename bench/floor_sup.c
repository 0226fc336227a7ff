/* SPDX-License-Identifier: MIT */
/*
 * floor_sup - the least a supervisor can do: start PROG, wait for it to
 * die, start it again, forever. The floor of the restart row, one per way of
 * creating the process:
 *
 *   floor_sup fork|vfork|posix_spawn|clone3 PROG [ARG...]
 *
 *   fork         fork() + execv() in the child, waitpid()
 *   vfork        vfork() + execv(): no copy of the parent's page tables
 *   posix_spawn  glibc's posix_spawn() (clone(CLONE_VM|CLONE_VFORK) inside)
 *   clone3       clone3(CLONE_PIDFD) + execv(), waiting on the pidfd
 *                (poll(), then waitid(P_PIDFD)): what a pidfd-based
 *                supervisor such as driver_supervisor does
 *
 * Its own memory is small, as a supervisor's is: the difference between
 * the modes is the kernel's process creation, not the copy of a big heap.
 */
#include <errno.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static pid_t start_clone3(char **argv, int *pidfd)
{
	struct clone_args ca;
	long pid;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)pidfd;
	ca.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	return (pid_t)pid;
}

int main(int argc, char **argv)
{
	const char *mode;
	char **prog;

	if (argc < 3) {
		fprintf(stderr, "usage: floor_sup fork|vfork|posix_spawn|clone3 PROG [ARG...]\n");
		return 2;
	}
	mode = argv[1];
	prog = argv + 2;
	for (;;) {
		pid_t pid = -1;
		int pidfd = -1;

		if (!strcmp(mode, "fork")) {
			pid = fork();
			if (pid == 0) {
				execv(prog[0], prog);
				_exit(127);
			}
		} else if (!strcmp(mode, "vfork")) {
			pid = vfork();
			if (pid == 0) {
				execv(prog[0], prog);
				_exit(127);
			}
		} else if (!strcmp(mode, "posix_spawn")) {
			if (posix_spawn(&pid, prog[0], NULL, NULL, prog, environ) != 0)
				pid = -1;
		} else if (!strcmp(mode, "clone3")) {
			pid = start_clone3(prog, &pidfd);
		} else {
			fprintf(stderr, "floor_sup: unknown mode '%s'\n", mode);
			return 2;
		}
		if (pid < 0) {
			perror("floor_sup: start");
			sleep(1);
			continue;
		}
		if (pidfd >= 0) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };
			siginfo_t si;

			while (poll(&p, 1, -1) < 0 && errno == EINTR)
				;
			waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
			close(pidfd);
		} else {
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
	}
}
