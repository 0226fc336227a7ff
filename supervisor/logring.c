/* SPDX-License-Identifier: MIT */
/* logring.c - line splitting and the per-driver ring of recent lines. */
#include "logring.h"

#include <stdlib.h>
#include <string.h>

static void push(struct logring *r, const char *s, size_t n, logring_out_fn out, void *arg)
{
	char *line = malloc(n + 1);

	if (!line)
		return; /* out of memory: the line is dropped from the ring only */
	memcpy(line, s, n);
	line[n] = '\0';
	/* A driver's '\r' line endings would garble the terminal. */
	if (n && line[n - 1] == '\r')
		line[n - 1] = '\0';
	if (out)
		out(line, arg);
	free(r->lines[r->head]); /* the oldest, when full */
	r->lines[r->head] = line;
	r->head = (r->head + 1) % LOGRING_LINES;
	if (r->n < LOGRING_LINES)
		r->n++;
}

void logring_feed(struct logring *r, const char *buf, size_t len, logring_out_fn out, void *arg)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) : len;
		size_t room = LOGRING_LINE_MAX - r->plen;

		if (take > room) {
			/* too long: emit what fits as a line of its own */
			memcpy(r->partial + r->plen, buf, room);
			push(r, r->partial, LOGRING_LINE_MAX, out, arg);
			r->plen = 0;
			buf += room;
			len -= room;
			continue;
		}
		memcpy(r->partial + r->plen, buf, take);
		r->plen += take;
		buf += take;
		len -= take;
		if (nl) {
			push(r, r->partial, r->plen, out, arg);
			r->plen = 0;
			buf++;
			len--;
		}
	}
}

void logring_flush(struct logring *r, logring_out_fn out, void *arg)
{
	if (r->plen) {
		push(r, r->partial, r->plen, out, arg);
		r->plen = 0;
	}
}

void logring_add(struct logring *r, const char *line, size_t n)
{
	push(r, line, n, NULL, NULL);
}

const char *logring_get(const struct logring *r, unsigned count, unsigned i)
{
	if (count > r->n)
		count = r->n;
	if (i >= count)
		return NULL;
	return r->lines[(r->head + LOGRING_LINES - count + i) % LOGRING_LINES];
}

void logring_free(struct logring *r)
{
	for (unsigned i = 0; i < LOGRING_LINES; i++)
		free(r->lines[i]);
	memset(r, 0, sizeof(*r));
}
