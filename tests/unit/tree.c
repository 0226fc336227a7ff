/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tree.h"

static void die(const char *what, const char *path)
{
	fprintf(stderr, "tree: %s %s: %s\n", what, path, strerror(errno));
	abort();
}

static void mkparents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die("mkdir", path);
		*p = '/';
	}
}

char *tree_new(void)
{
	const char *tmp = getenv("TMPDIR");
	char *root;

	if (asprintf(&root, "%s/udrv-test-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		abort();
	if (!mkdtemp(root))
		die("mkdtemp", root);
	return root;
}

void tree_put_bin(const char *root, const char *rel, const void *content, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkparents(path);
	f = fopen(path, "w");
	if (!f)
		die("fopen", path);
	if (fwrite(content, 1, len, f) != len)
		die("fwrite", path);
	fclose(f);
}

void tree_put(const char *root, const char *rel, const char *content)
{
	tree_put_bin(root, rel, content, strlen(content));
}

void tree_blank(const char *root, const char *rel, size_t size)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkparents(path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		die("create", path);
	close(fd);
}

void tree_link(const char *root, const char *rel, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkparents(path);
	unlink(path);
	if (symlink(target, path) < 0)
		die("symlink", path);
}

static int run(const char *fmt, const char *a, const char *b)
{
	char cmd[2 * PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

char *tree_copy(const char *src)
{
	char *root = tree_new();

	if (run("cp -a '%s/.' '%s'", src, root) != 0)
		die("cp", src);
	return root;
}

void tree_free(char *root)
{
	if (root && strncmp(root, "/", 1) == 0 && strstr(root, "udrv-test-"))
		run("rm -rf '%s'%s", root, "");
	free(root);
}

struct env *env_new(char *sys)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e)
		abort();
	e->sys = sys ? sys : tree_new();
	e->dev = tree_new();
	setenv("UDRV_SYSFS_ROOT", e->sys, 1);
	setenv("UDRV_DEV_ROOT", e->dev, 1);
	return e;
}

void env_free(struct env *e)
{
	tree_free(e->sys);
	tree_free(e->dev);
	free(e);
	unsetenv("UDRV_SYSFS_ROOT");
	unsetenv("UDRV_DEV_ROOT");
}
