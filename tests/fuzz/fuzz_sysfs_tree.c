/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sysfs_tree - a whole sysfs (and /dev) tree built from the input, then
 * walked by libudrv the way `udrvctl list` and udrv_open() do: UIO
 * discovery (udrv_uio_scan, lib/sysfs.c) and opening by index, name and
 * PCI address (lib/dev.c), with UDRV_SYSFS_ROOT/UDRV_DEV_ROOT pointing at it.
 *
 * Input: one record a line,
 *   F path content     a file (content + "\n"; "\n" in content as "\\n")
 *   L path target      a symlink
 *   D path             a directory
 *   O spec             a spec to udrv_open() afterwards
 * Paths are relative to the tree's root ("sys/..." or "dev/..."); ".." and
 * absolute paths are refused. tests/fuzz/corpus/sysfs_tree/ holds the
 * guests' trees (tests/fixtures/sysfs-*) in this form.
 */
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "udrv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64], sysroot[80], devroot[80];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p) < 0 ? 0 : 0; /* best effort; the next mkdir shows leftovers */
}

static void rm_tree(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static bool safe_path(const char *p)
{
	if (!*p || *p == '/' || strlen(p) > 200)
		return false;
	for (const char *s = p; *s; s++)
		if (s[0] == '.' && s[1] == '.')
			return false;
	return strncmp(p, "sys/", 4) == 0 || strncmp(p, "dev/", 4) == 0;
}

/* mkdir -p of the parents of @full (inside the tree). */
static void mkparents(char *full)
{
	for (char *s = full + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(full, 0755);
		*s = '/';
	}
}

static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*o++ = '\n';
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static int count(const struct udrv_uio_info *info, void *arg)
{
	FUZZ_CHECK(info->nmaps <= sizeof(info->maps) / sizeof(info->maps[0]));
	FUZZ_CHECK(memchr(info->name, '\0', sizeof(info->name)) != NULL);
	FUZZ_CHECK(memchr(info->devnode, '\0', sizeof(info->devnode)) != NULL);
	++*(unsigned *)arg;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), *save = NULL, *specs[8];
	unsigned nspecs = 0, seen = 0;
	int fds_before = fuzz_open_fds(), r;

	if (!root[0]) {
		/* tmpfs when there is one: a disk makes every input wait */
		snprintf(root, sizeof(root), "%s/udrv-fuzz-tree.%d",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
		snprintf(sysroot, sizeof(sysroot), "%s/sys", root);
		snprintf(devroot, sizeof(devroot), "%s/dev", root);
		setenv("UDRV_SYSFS_ROOT", sysroot, 1);
		setenv("UDRV_DEV_ROOT", devroot, 1);
		atexit(rm_tree);
	}
	rm_tree();
	if (mkdir(root, 0700) < 0 || mkdir(sysroot, 0755) < 0 || mkdir(devroot, 0755) < 0)
		abort();
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char full[320], *arg, *rest;

		if (line[0] == 'O' && line[1] == ' ') {
			if (nspecs < sizeof(specs) / sizeof(specs[0]))
				specs[nspecs++] = line + 2;
			continue;
		}
		if (!line[0] || line[1] != ' ')
			continue;
		arg = line + 2;
		rest = strchr(arg, ' ');
		if (rest)
			*rest++ = '\0';
		if (!safe_path(arg))
			continue;
		snprintf(full, sizeof(full), "%s/%s", root, arg);
		mkparents(full);
		if (line[0] == 'D') {
			mkdir(full, 0755);
		} else if (line[0] == 'L' && rest) {
			symlink(rest, full);
		} else if (line[0] == 'F') {
			FILE *f = fopen(full, "w");

			if (!f)
				continue;
			if (rest) {
				unescape(rest);
				fprintf(f, "%s\n", rest);
			}
			fclose(f);
		}
	}

	r = udrv_uio_scan(count, &seen);
	FUZZ_CHECK(r < 0 || (unsigned)r == seen);
	for (unsigned i = 0; i < nspecs; i++) {
		udrv_dev *dev = udrv_open(specs[i]);

		udrv_close(dev); /* NULL is fine */
	}
	FUZZ_CHECK(fuzz_open_fds() == fds_before);
	free(text);
	return 0;
}
