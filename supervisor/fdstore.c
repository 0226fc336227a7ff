/* SPDX-License-Identifier: MIT */
/*
 * fdstore.c - the per-driver file descriptor store (see fdstore.h). As in
 * systemd, an fd that refers to an open file already stored is not stored
 * twice (a driver re-sending its state fd after a restart must not fill the
 * store), and names need not be unique: FDSTOREREMOVE=1 removes them all.
 */
#include "fdstore.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

bool fdname_valid(const char *name)
{
	size_t n = 0;

	if (!name)
		return false;
	for (const char *p = name; *p; p++, n++)
		if (*p < ' ' || *p > '~' || *p == ':')
			return false;
	return n >= 1 && n <= FDNAME_MAX;
}

bool fd_same_file(int a, int b)
{
	pid_t self = getpid();
	struct stat sa, sb;
	long r;

	if (a == b)
		return true;
	r = syscall(SYS_kcmp, self, self, KCMP_FILE, a, b);
	if (r >= 0)
		return r == 0;
	/* No kcmp (CONFIG_KCMP off, or seccomp): the same inode opened the same
	 * way counts as the same file. Two opens of one file are then taken
	 * for one, which errs on the side of keeping fewer fds. */
	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino &&
	       fcntl(a, F_GETFL) == fcntl(b, F_GETFL);
}

int fdstore_add(struct fdstore *s, int fd, const char *name, unsigned max,
		const char **dup_name)
{
	struct fdstore_entry *nv;

	if (!fdname_valid(name) || fd < 0)
		return -EINVAL;
	for (unsigned i = 0; i < s->n; i++) {
		if (fd_same_file(s->v[i].fd, fd)) {
			if (dup_name)
				*dup_name = s->v[i].name;
			return -EEXIST;
		}
	}
	if (s->n >= max)
		return -ENOBUFS;
	if (s->names_len + strlen(name) + 1 > FDSTORE_NAMES_MAX)
		return -E2BIG;
	nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	s->v = nv;
	s->v[s->n].fd = fd;
	snprintf(s->v[s->n].name, sizeof(s->v[s->n].name), "%s", name);
	s->names_len += strlen(name) + 1;
	s->n++;
	return 0;
}

unsigned fdstore_remove(struct fdstore *s, const char *name)
{
	unsigned kept = 0, removed = 0;

	for (unsigned i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].name, name) == 0) {
			close(s->v[i].fd);
			s->names_len -= strlen(name) + 1;
			removed++;
		} else {
			s->v[kept++] = s->v[i]; /* order kept: it is the fd order */
		}
	}
	s->n = kept;
	return removed;
}

void fdstore_clear(struct fdstore *s)
{
	for (unsigned i = 0; i < s->n; i++)
		close(s->v[i].fd);
	free(s->v);
	s->v = NULL;
	s->n = 0;
	s->names_len = 0;
}

int fdstore_names(const struct fdstore *s, const char *first, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (first) {
		n = snprintf(buf, len, "%s", first);
		if (n < 0 || (size_t)n >= len)
			return -ENOSPC;
		off = (size_t)n;
	}
	for (unsigned i = 0; i < s->n; i++) {
		n = snprintf(buf + off, len - off, "%s%s", off ? ":" : "", s->v[i].name);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return (int)off;
}
