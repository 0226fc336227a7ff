/* SPDX-License-Identifier: MIT */
/*
 * fdstore.h - a driver's file descriptor store (sd_notify FDSTORE=1): fds a
 * driver hands to the supervisor to get back, as fds 3.., at its next
 * start. No globals, no printing: notify.c and spawn.c do the talking.
 */
#ifndef SUP_FDSTORE_H
#define SUP_FDSTORE_H

#include <stdbool.h>
#include <stddef.h>

#define FDNAME_MAX 255            /* systemd's limit */
#define FDSTORE_MAX_DEFAULT 8     /* FileDescriptorStoreMax= default here */
#define FDSTORE_MAX_LIMIT 1024    /* the most FileDescriptorStoreMax= accepts */
/* The names of a store, with their ':' separators, stay below this: they
 * go into one environment string, LISTEN_FDNAMES, and the kernel refuses
 * an exec with a string over MAX_ARG_STRLEN (32 pages, 128 KiB). Half of
 * that leaves room for the other names (listen, ipc) and the rest of the
 * environment; a store over it would make every start fail with E2BIG. */
#define FDSTORE_NAMES_MAX 65536

struct fdstore_entry {
	int fd;                   /* close-on-exec in the supervisor */
	char name[FDNAME_MAX + 1];
};

struct fdstore {
	struct fdstore_entry *v;
	unsigned n;
	size_t names_len;         /* sum of strlen(name) + 1 of the entries */
};

/* fdname_valid - 1..255 printable ASCII characters, no ':' (the
 * LISTEN_FDNAMES separator), as systemd's fdname_is_valid(). */
bool fdname_valid(const char *name);

/* fd_same_file - do @a and @b refer to the same open file? kcmp(KCMP_FILE)
 * where the kernel has it, else the same st_dev/st_ino and open flags. */
bool fd_same_file(int a, int b);

/*
 * fdstore_add - keep @fd under @name. On 0 the store owns @fd. Errors leave
 * @fd to the caller: -EINVAL bad name, -EEXIST the same open file is already
 * stored (under *dup_name, when not NULL), -ENOBUFS @max entries already,
 * -E2BIG the names would pass FDSTORE_NAMES_MAX bytes, -ENOMEM.
 */
int fdstore_add(struct fdstore *s, int fd, const char *name, unsigned max,
		const char **dup_name);

/* fdstore_remove - close and forget every fd stored under @name; returns how many. */
unsigned fdstore_remove(struct fdstore *s, const char *name);

/* fdstore_clear - close and forget everything. */
void fdstore_clear(struct fdstore *s);

/*
 * fdstore_names - "FIRST:name:name..." (FIRST omitted when NULL) for
 * LISTEN_FDNAMES. Returns the length, or -ENOSPC when @len is too small.
 */
int fdstore_names(const struct fdstore *s, const char *first, char *buf, size_t len);

#endif /* SUP_FDSTORE_H */
