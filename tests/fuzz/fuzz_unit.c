/* SPDX-License-Identifier: MIT */
/*
 * fuzz_unit - driver unit files (supervisor/config.c): the whole file,
 * and the time and command-line parsers it uses, on the same bytes.
 */
#include <errno.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), err[SUP_ERR_MAX], tbuf[64], name[SUP_NAME_MAX];
	struct drv_config c, d;
	uint64_t t, t2;
	char **v;
	size_t n;
	int r;

	err[0] = '\0';
	r = config_parse_buf("/etc/udrv/fuzz.driver", text, &c, err, sizeof(err));
	if (r == 0) {
		FUZZ_CHECK(c.argv && c.argv[0]);
		FUZZ_CHECK(strcmp(c.name, "fuzz") == 0);
		FUZZ_CHECK(c.restart_max_usec >= c.restart_usec);
		FUZZ_CHECK(c.log_prefix != NULL);
		FUZZ_CHECK(c.nenv == 0 || c.env[c.nenv - 1] != NULL);
		/* parsing the same text twice gives an equal config */
		FUZZ_CHECK(config_parse_buf("/etc/udrv/fuzz.driver", text, &d, err, sizeof(err)) == 0);
		FUZZ_CHECK(config_equal(&c, &d));
		config_free(&d);
		config_free(&c);
	} else {
		FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
		FUZZ_CHECK(err[0] != '\0'); /* every refusal says why */
	}

	r = parse_time_usec(text, &t);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r == 0) {
		/* what format_time prints parses back (to within its one decimal) */
		format_time(t, tbuf, sizeof(tbuf));
		FUZZ_CHECK(parse_time_usec(tbuf, &t2) == 0);
		uint64_t tol = t / 100 > 100 ? t / 100 : 100; /* "1.2ms" cuts up to 100us */

		FUZZ_CHECK(t == UINT64_MAX ? t2 == t : (t2 > t ? t2 - t : t - t2) <= tol);
	}

	v = split_words(text, &n);
	if (v) {
		FUZZ_CHECK(v[n] == NULL);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(v[i] != NULL);
		strv_free(v);
	} else {
		FUZZ_CHECK(errno == EINVAL || errno == ENOMEM);
	}

	if (config_name_from_path(text, name, sizeof(name)) == 0)
		FUZZ_CHECK(name[0] && strlen(name) < SUP_NAME_MAX);
	free(text);
	return 0;
}
