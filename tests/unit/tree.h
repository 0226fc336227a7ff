/* SPDX-License-Identifier: MIT */
/* Helpers to build small sysfs-like trees in a temporary directory. */
#ifndef UDRV_TEST_TREE_H
#define UDRV_TEST_TREE_H

#include <stddef.h>

/* A new empty directory under $TMPDIR; the caller frees the string. */
char *tree_new(void);
/* Write @content to @root/@rel, creating parent directories. */
void tree_put(const char *root, const char *rel, const char *content);
/* Binary content (device-tree properties hold NUL bytes). */
void tree_put_bin(const char *root, const char *rel, const void *content, size_t len);
/* Make @root/@rel a file of @size zero bytes (a stand-in device node). */
void tree_blank(const char *root, const char *rel, size_t size);
void tree_link(const char *root, const char *rel, const char *target);
/* Copy a fixture tree (cp -a) to a new temporary directory. */
char *tree_copy(const char *src);
void tree_free(char *root); /* rm -rf and free */


/* A sysfs root and a /dev root, exported as $UDRV_SYSFS_ROOT/$UDRV_DEV_ROOT. */
struct env {
	char *sys, *dev;
};
/* @sys: a tree from tree_new()/tree_copy() (owned from now on), or NULL for a new one. */
struct env *env_new(char *sys);
void env_free(struct env *e); /* removes both trees, unsets the variables */

#endif
