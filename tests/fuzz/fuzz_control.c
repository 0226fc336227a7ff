/* SPDX-License-Identifier: MIT */
/*
 * fuzz_control - control-socket requests (supervisor/proto.c ctl_parse):
 * what any local client of root's socket may send, one line per request.
 */
#include <errno.h>

#include "fuzz.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* control.c reads at most 1023 bytes and cuts at the first '\n' */
	char *text = fuzz_str(data, size > 1023 ? 1023 : size), *nl, err[256];
	struct ctl_req req;
	int r;

	if ((nl = strchr(text, '\n')))
		*nl = '\0';
	err[0] = '\0';
	r = ctl_parse(text, &req, err, sizeof(err));
	if (r == 0) {
		FUZZ_CHECK(req.cmd <= CTL_UPGRADE);
		FUZZ_CHECK(!req.exec_path || req.cmd == CTL_UPGRADE);
		FUZZ_CHECK(req.cmd == CTL_STATUS || req.name != NULL);
		if (req.name)
			FUZZ_CHECK(*req.name && !strpbrk(req.name, " \t"));
	} else {
		FUZZ_CHECK(r == -EINVAL && err[0] != '\0');
	}
	free(text);
	return 0;
}
