/* SPDX-License-Identifier: MIT */
/*
 * logring.h - a driver's output: bytes from its pipe are cut into lines,
 * each line kept in a ring of the most recent LOGRING_LINES and handed to
 * an output callback (the supervisor writes it, prefixed, to stdout).
 */
#ifndef SUP_LOGRING_H
#define SUP_LOGRING_H

#include <stddef.h>

#define LOGRING_LINES 1000
#define LOGRING_LINE_MAX 4096 /* longer lines are cut into pieces this long */

struct logring {
	char *lines[LOGRING_LINES]; /* oldest at (head - n) */
	unsigned head, n;
	char partial[LOGRING_LINE_MAX];
	size_t plen;
};

typedef void (*logring_out_fn)(const char *line, void *arg);

/* logring_feed - append raw bytes; complete lines go to the ring and @out. */
void logring_feed(struct logring *r, const char *buf, size_t len, logring_out_fn out, void *arg);
/* logring_flush - an unterminated last line (at EOF) becomes a line. */
void logring_flush(struct logring *r, logring_out_fn out, void *arg);
/* logring_get - the @i-th of the last @count lines (0 = oldest of them); NULL past the end. */
/* Keep one whole line (@n bytes, no newline) in the ring, printing nothing. */
void logring_add(struct logring *r, const char *line, size_t n);

const char *logring_get(const struct logring *r, unsigned count, unsigned i);
void logring_free(struct logring *r);

#endif /* SUP_LOGRING_H */
