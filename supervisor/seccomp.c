/* SPDX-License-Identifier: MIT */
/*
 * seccomp.c - SystemCallFilter=: a seccomp filter per driver, as systemd's.
 *
 * The parent builds the BPF program with libseccomp (seccomp_export_bpf into
 * a memfd, read back into one buffer) before each start; the child of
 * clone(CLONE_VM | CLONE_VFORK) only loads it with prctl(PR_SET_SECCOMP),
 * after dropping privileges and right before exec (spawn.c): no allocation
 * and no libseccomp call in the child. libudrv never links libseccomp.
 *
 * An allow-list kills the process (SECCOMP_RET_KILL_PROCESS: SIGSYS) at any
 * other system call; a deny-list ("~name ...") kills it at the ones named.
 * Always allowed, or exec and a failed exec's report would be killed too:
 * execve, execveat, exit, exit_group, rt_sigreturn, sigreturn,
 * restart_syscall, write.
 *
 * A kill is reported in last_exit with the system call's number and name,
 * taken from the kernel's audit record of it (type=1326, "syscall=N",
 * printed to the kernel log when no audit daemon takes it) in /dev/kmsg.
 * Without it (an audit daemon, a pid namespace, no /dev/kmsg) the report
 * says that a system call outside the filter was made, without the number.
 */
#include "sup.h"

#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <string.h>

#ifdef UDRV_HAVE_SECCOMP
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *const always[] = {
	"execve", "execveat", "exit", "exit_group", "rt_sigreturn", "sigreturn",
	"restart_syscall", "write",
};

int seccomp_build(const char *const *names, struct sock_fprog *prog, char *err, size_t errlen)
{
	bool deny = names && names[0] && names[0][0] == '~';
	scmp_filter_ctx ctx;
	int r = -ENOMEM, fd = -1;
	off_t len;

	memset(prog, 0, sizeof(*prog));
	if (!names || !names[0])
		return 0;
	ctx = seccomp_init(deny ? SCMP_ACT_ALLOW : SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		goto fail;
	/* The filter's own job is the driver's system calls: no_new_privs is
	 * set by spawn.c anyway (needed to load it without CAP_SYS_ADMIN). */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	for (size_t i = 0; !deny && i < sizeof(always) / sizeof(always[0]); i++) {
		int nr = seccomp_syscall_resolve_name(always[i]);

		/* a name this architecture lacks (sigreturn on 64-bit) is a
		 * negative pseudo number, which libseccomp skips */
		if (nr != __NR_SCMP_ERROR && (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0 &&
		    r != -EEXIST)
			goto fail_rule;
	}
	/* The set of numbers the rules name, in order: allow-list, plain names
	 * added, "~name" (a later deny assignment) taken out again;
	 * deny-list the reverse (as systemd). */
	size_t n = 0, cap = 0;
	int *set = NULL;

	for (size_t i = 0; names[i]; i++) {
		bool minus = names[i][0] == '~';
		const char *name = names[i] + minus;
		int nr = seccomp_syscall_resolve_name(name);
		size_t k;

		if (nr == __NR_SCMP_ERROR) {
			snprintf(err, errlen, "SystemCallFilter=: '%s' is not a system call", name);
			free(set);
			r = -EINVAL;
			goto out;
		}
		for (k = 0; k < n && set[k] != nr; k++)
			;
		if (minus != deny) { /* out of the set */
			if (k < n)
				set[k] = set[--n];
			continue;
		}
		if (k < n)
			continue;
		if (n == cap) {
			int *ns = realloc(set, (cap = cap ? cap * 2 : 64) * sizeof(*ns));
			if (!ns) {
				free(set);
				r = -ENOMEM;
				goto fail;
			}
			set = ns;
		}
		set[n++] = nr;
	}
	for (size_t k = 0; k < n; k++) {
		r = seccomp_rule_add(ctx, deny ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ALLOW, set[k], 0);
		if (r < 0 && r != -EEXIST) {
			free(set);
			goto fail_rule;
		}
	}
	free(set);
	fd = memfd_create("udrv-seccomp", MFD_CLOEXEC);
	if (fd < 0 || (r = seccomp_export_bpf(ctx, fd)) < 0 || (len = lseek(fd, 0, SEEK_END)) <= 0 ||
	    len % (off_t)sizeof(struct sock_filter) || len > 65535 * (off_t)sizeof(struct sock_filter)) {
		snprintf(err, errlen, "SystemCallFilter=: cannot build the filter: %s",
			 strerror(fd < 0 ? errno : r < 0 ? -r : EINVAL));
		r = fd < 0 ? -errno : r < 0 ? r : -EINVAL;
		goto out;
	}
	prog->filter = malloc((size_t)len);
	if (!prog->filter || pread(fd, prog->filter, (size_t)len, 0) != len) {
		r = prog->filter ? -EIO : -ENOMEM;
		snprintf(err, errlen, "SystemCallFilter=: cannot read the filter back: %s",
			 strerror(-r));
		goto out;
	}
	prog->len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
	r = 0;
	goto out;
fail_rule:
	snprintf(err, errlen, "SystemCallFilter=: %s", strerror(-r));
	goto out;
fail:
	snprintf(err, errlen, "SystemCallFilter=: %s", strerror(-r));
out:
	if (fd >= 0)
		close(fd);
	if (ctx)
		seccomp_release(ctx);
	if (r < 0)
		seccomp_prog_free(prog);
	return r;
}

/* A "type=1326" (AUDIT_SECCOMP) record of @pid's SIGSYS kill: syscall, arch. */
static bool audit_match(const char *rec, pid_t pid, int *nr, unsigned *arch)
{
	char want[32];
	const char *p;

	snprintf(want, sizeof(want), " sig=%d ", SIGSYS);
	if (!strstr(rec, "type=1326 ") || !strstr(rec, want))
		return false;
	snprintf(want, sizeof(want), " pid=%d ", (int)pid);
	if (!strstr(rec, want) || !(p = strstr(rec, " syscall=")))
		return false;
	*nr = atoi(p + 9);
	p = strstr(rec, " arch=");
	*arch = p ? (unsigned)strtoul(p + 6, NULL, 16) : 0;
	return true;
}

void seccomp_explain(pid_t pid, char *buf, size_t len)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC), nr = -1, waited = 0;
	unsigned arch = 0;
	char rec[2048];

	/* The record is printed by the kernel's audit thread, maybe just
	 * after the death we are reporting: read what is there, then wait a
	 * little (at most 500 ms, once per SIGSYS death) for more. */
	while (fd >= 0) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);

		if (n > 0) {
			rec[n] = '\0';
			audit_match(rec, pid, &nr, &arch);
			continue;
		}
		if (n < 0 && errno == EPIPE) /* overwritten while we read: go on */
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (nr >= 0 || waited >= 500)
			break;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 50) < 0 && errno != EINTR)
			break;
		waited += 50;
	}
	if (fd >= 0)
		close(fd);
	if (nr < 0) {
		snprintf(buf, len, "a system call outside SystemCallFilter=");
		return;
	}
	char *name = seccomp_syscall_resolve_num_arch(arch ? arch : SCMP_ARCH_NATIVE, nr);
	snprintf(buf, len, "system call %d%s%s%s not allowed", nr, name ? " (" : "",
		 name ? name : "", name ? ")" : "");
	free(name);
}

void seccomp_prog_free(struct sock_fprog *prog)
{
	free(prog->filter);
	memset(prog, 0, sizeof(*prog));
}

#else /* built without libseccomp */

int seccomp_build(const char *const *names, struct sock_fprog *prog, char *err, size_t errlen)
{
	memset(prog, 0, sizeof(*prog));
	if (!names || !names[0])
		return 0;
	snprintf(err, errlen, "SystemCallFilter= needs a driver_supervisor built with libseccomp");
	return -ENOTSUP;
}

void seccomp_explain(pid_t pid, char *buf, size_t len)
{
	(void)pid;
	snprintf(buf, len, "a system call outside SystemCallFilter=");
}

void seccomp_prog_free(struct sock_fprog *prog)
{
	memset(prog, 0, sizeof(*prog));
}
#endif
