/* SPDX-License-Identifier: MIT */
/* sbuf.c - growable string buffer, JSON escaping. */
#include "sbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool grow(struct sbuf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	char *n;

	if (b->oom)
		return false;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	n = realloc(b->s, cap);
	if (!n) {
		b->oom = true;
		return false;
	}
	b->s = n;
	b->cap = cap;
	return true;
}

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (!grow(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at @s, or 0 when it is invalid. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) { n = 2; cp = s[0] & 0x1f; }
	else if ((s[0] & 0xf0) == 0xe0) { n = 3; cp = s[0] & 0x0f; }
	else if ((s[0] & 0xf8) == 0xf0) { n = 4; cp = s[0] & 0x07; }
	else return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void sbuf_json_str(struct sbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	sbuf_add(b, "\"", 1);
	while (*s) {
		size_t n;

		switch (*s) {
		case '"': sbuf_add(b, "\\\"", 2); s++; continue;
		case '\\': sbuf_add(b, "\\\\", 2); s++; continue;
		case '\n': sbuf_add(b, "\\n", 2); s++; continue;
		case '\r': sbuf_add(b, "\\r", 2); s++; continue;
		case '\t': sbuf_add(b, "\\t", 2); s++; continue;
		}
		if (*s < 0x20 || *s == 0x7f) {
			sbuf_printf(b, "\\u%04x", *s);
			s++;
			continue;
		}
		n = utf8_len(s);
		if (n == 0) {
			sbuf_add(b, "\\ufffd", 6);
			s++;
			continue;
		}
		sbuf_add(b, (const char *)s, n);
		s += n;
	}
	sbuf_add(b, "\"", 1);
}

void sbuf_free(struct sbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}
