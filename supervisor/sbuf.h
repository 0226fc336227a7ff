/* SPDX-License-Identifier: MIT */
/* sbuf.h - a growable string buffer and JSON string escaping. */
#ifndef SUP_SBUF_H
#define SUP_SBUF_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf {
	char *s;     /* NUL-terminated; NULL until the first append */
	size_t len, cap;
	bool oom;    /* an append failed: the content is truncated */
};

void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_add(struct sbuf *b, const char *s, size_t n);
/* sbuf_json_str - append @s as a JSON string literal, quotes included
 * (control characters \u-escaped, invalid UTF-8 bytes replaced by U+FFFD). */
void sbuf_json_str(struct sbuf *b, const char *s);
void sbuf_free(struct sbuf *b);

#endif /* SUP_SBUF_H */
