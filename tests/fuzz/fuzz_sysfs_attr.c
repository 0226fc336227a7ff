/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sysfs_attr - one sysfs attribute's content through libudrv's sysfs
 * helpers (lib/sysfs.c): read, read as a number, index and PCI address
 * parsing. The attribute is a real file holding the input bytes.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "sysfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];
static int fd = -1;

/* In memory (a memfd): a file on disk makes every truncate a disk wait. */
static void setup(void)
{
	fd = memfd_create("udrv-fuzz-attr", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *prefixes[] = { "uio", "map", "port", "" };
	char buf[256], want[300], *s;
	uint64_t v;
	unsigned idx;
	int r;

	if (fd < 0)
		setup();
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();

	/* every buffer size from 1 up to a little past the input */
	for (size_t len = 1; len <= sizeof(buf); len = len < 16 ? len + 1 : len * 2) {
		r = udrv__sysfs_read(path, buf, len);
		if (r == -EOVERFLOW) {
			FUZZ_CHECK(size >= len);
			continue;
		}
		FUZZ_CHECK(r >= 0);
		FUZZ_CHECK((size_t)r < len && strlen(buf) <= (size_t)r);
		FUZZ_CHECK(r == 0 || (buf[r - 1] != '\n' && buf[r - 1] != '\r'));
	}
	r = udrv__sysfs_read_u64(path, &v);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EOVERFLOW);

	s = fuzz_str(data, size);
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (udrv__parse_index(s, prefixes[i], &idx) == 0) {
			/* strict: only the canonical spelling is accepted */
			snprintf(want, sizeof(want), "%s%u", prefixes[i], idx);
			FUZZ_CHECK(strcmp(want, s) == 0);
		}
	}
	if (udrv__valid_pci_addr(s))
		FUZZ_CHECK(strlen(s) == 12 && s[4] == ':' && s[7] == ':' && s[10] == '.');
	free(s);
	return 0;
}
