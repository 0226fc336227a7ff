/* SPDX-License-Identifier: MIT */
/*
 * call.c - udrvctl call NAME OP [ARG...]: one driver operation over IPC
 * (udrv_client_call), from the shell, with a readable rendering of the reply.
 *
 * Arguments become the request, in order: a bare number or u32:N is a
 * little-endian u32, u8:/u16:/u64:N the other widths, str:TEXT the bytes of
 * TEXT, hex:HEX raw bytes. The reply is shown as a number for 4 or 8 bytes,
 * as text when it is printable, else as hex bytes (--raw: the bytes as is).
 */
#include "udrvctl.h"

#include <udrv.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQ_MAX 4096

static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	return *out > max ? -ERANGE : 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Append argument @a to @buf (*len bytes so far): 0, or -1 after a message. */
static int add_arg(const char *a, uint8_t *buf, size_t *len)
{
	static const struct { const char *pfx; unsigned w; } widths[] = {
		{ "u8:", 1 }, { "u16:", 2 }, { "u32:", 4 }, { "u64:", 8 },
	};
	unsigned w = 4;
	const char *v = a;
	uint64_t n;
	int r;

	if (strncmp(a, "str:", 4) == 0) {
		size_t l = strlen(a + 4);

		if (*len + l > REQ_MAX)
			goto toolong;
		memcpy(buf + *len, a + 4, l);
		*len += l;
		return 0;
	}
	if (strncmp(a, "hex:", 4) == 0) {
		const char *h = a + 4;
		size_t l = strlen(h);

		if (l == 0 || l % 2) {
			fprintf(stderr, "udrvctl call: '%s': hex: needs an even number of hex digits\n", a);
			return -1;
		}
		if (*len + l / 2 > REQ_MAX)
			goto toolong;
		for (size_t i = 0; i < l; i += 2) {
			int hi = hexval(h[i]), lo = hexval(h[i + 1]);

			if (hi < 0 || lo < 0) {
				fprintf(stderr, "udrvctl call: '%s': '%c%c' is not a hex byte\n", a, h[i],
					h[i + 1]);
				return -1;
			}
			buf[(*len)++] = (uint8_t)(hi << 4 | lo);
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
		if (strncmp(a, widths[i].pfx, strlen(widths[i].pfx)) == 0) {
			w = widths[i].w;
			v = a + strlen(widths[i].pfx);
		}
	r = parse_num(v, w == 8 ? UINT64_MAX : (1ull << (8 * w)) - 1, &n);
	if (r < 0) {
		if (r == -ERANGE)
			fprintf(stderr, "udrvctl call: '%s' does not fit %u bits\n", a, 8 * w);
		else
			fprintf(stderr, "udrvctl call: '%s' is not a number (arguments: N, u8:N, u16:N, "
				"u32:N, u64:N, str:TEXT, hex:HEX)\n", a);
		return -1;
	}
	if (*len + w > REQ_MAX)
		goto toolong;
	for (unsigned i = 0; i < w; i++)
		buf[(*len)++] = (uint8_t)(n >> (8 * i)); /* little-endian */
	return 0;
toolong:
	fprintf(stderr, "udrvctl call: the request is longer than %d bytes\n", REQ_MAX);
	return -1;
}

static const char *meaning(int e)
{
	switch (e) {
	case EOPNOTSUPP: return "the driver has no such operation";
	case EMSGSIZE: return "the reply is larger than udrvctl's buffer";
	case E2BIG: return "the request is too large for the driver";
	case EREMOTEIO: return "the driver's handler failed";
	case ENOTRECOVERABLE: return "outcome unknown: the driver died during this device "
				     "operation and could not tell whether it took effect";
	case ETIMEDOUT: return "no reply in time (the call may still be carried out)";
	case EBADMSG: return "the driver refused the message as malformed";
	case EPROTO: return "the driver's reply was malformed";
	case ESTALE: return "the driver answered a later call of this client";
	}
	return strerror(e);
}

static void render(const uint8_t *p, size_t n)
{
	bool text = n > 0;
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		if ((p[i] < 0x20 || p[i] > 0x7e) && p[i] != '\n' && p[i] != '\t')
			text = false;
	if (n == 0) {
		printf("ok (empty reply)\n");
	} else if (n == 4 || n == 8) {
		for (size_t i = 0; i < n; i++)
			v |= (uint64_t)p[i] << (8 * i);
		printf("%llu (0x%0*llx)\n", (unsigned long long)v, (int)n * 2, (unsigned long long)v);
	} else if (text) {
		fwrite(p, 1, n, stdout);
		if (p[n - 1] != '\n')
			putchar('\n');
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%02x%s", p[i], i + 1 == n ? "\n" : (i % 16 == 15 ? "\n" : " "));
	}
}

int udrvctl_call(int argc, char **argv)
{
	static uint8_t req[REQ_MAX], resp[UDRV_IPC_MSG_MAX];
	const char *name = NULL, *op = NULL;
	uint64_t timeout = 10000;
	bool raw = false;
	size_t len = 0;
	udrv_client *c;
	int r;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--raw") == 0) {
			raw = true;
		} else if (strcmp(a, "--timeout") == 0 || strcmp(a, "--runtime-dir") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "udrvctl call: %s needs a value\n", a);
				return 2;
			}
			if (a[2] == 'r') {
				setenv("UDRV_RUNTIME_DIR", argv[++i], 1);
			} else if (parse_num(argv[++i], 3600000, &timeout) < 0) {
				fprintf(stderr, "udrvctl call: --timeout: '%s' is not a number of ms "
					"(at most 3600000)\n", argv[i]);
				return 2;
			}
		} else if (!name) {
			name = a;
		} else if (!op) {
			op = a;
		} else if (add_arg(a, req, &len) < 0) {
			return 2;
		}
	}
	if (!name || !op) {
		fprintf(stderr, "usage: udrvctl call NAME OP [ARG...] [--timeout MS] [--raw] "
			"[--runtime-dir DIR]\n");
		return 2;
	}
	c = udrv_client_connect(name);
	if (!c) {
		const char *dir = getenv("UDRV_RUNTIME_DIR");

		r = errno;
		if (r == ENOENT || r == ECONNREFUSED)
			fprintf(stderr, "udrvctl call: %s: no driver socket (%s): is there a unit '%s' "
				"with IPC=yes, and is driver_supervisor running with runtime "
				"directory %s?\n", name, strerror(r), name,
				dir && *dir ? dir : "/run/udrv");
		else
			fprintf(stderr, "udrvctl call: %s: %s\n", name, strerror(r));
		return 1;
	}
	r = udrv_client_call(c, op, req, len, resp, sizeof(resp), (int)timeout);
	if (r < 0) {
		if (r == -EINVAL)
			fprintf(stderr, "udrvctl call: '%s' is not an operation name (1-%d characters "
				"of A-Z a-z 0-9 _ . -)\n", op, UDRV_IPC_OP_MAX);
		else if (r == -EREMOTEIO)
			fprintf(stderr, "udrvctl call: %s %s: %s: %s\n", name, op, meaning(-r),
				strerror(udrv_client_errno(c)));
		else
			fprintf(stderr, "udrvctl call: %s %s: %s\n", name, op, meaning(-r));
		udrv_client_close(c);
		return 1;
	}
	udrv_client_close(c);
	if (raw)
		fwrite(resp, 1, (size_t)r, stdout);
	else
		render(resp, (size_t)r);
	return 0;
}
