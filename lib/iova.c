/* SPDX-License-Identifier: MIT */
/*
 * iova.c - IOVA allocator (see iova.h): first fit below the DMA width limit,
 * inside the IOMMU's usable windows, page-granular.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iova.h"

static int range_cmp(const void *x, const void *y)
{
	const struct udrv_iova_range *a = x, *b = y;

	return a->start < b->start ? -1 : a->start > b->start;
}

/* Round @v up to the granule; false when that passes 2^64. */
static bool align_up(uint64_t v, uint64_t page, uint64_t *out)
{
	uint64_t mask = page - 1;

	if (v > UINT64_MAX - mask)
		return false;
	*out = (v + mask) & ~mask;
	return true;
}

int udrv_iova_init(struct udrv_iova *a, uint64_t page)
{
	if (!a || page == 0 || (page & (page - 1)))
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->page = page;
	a->limit = UINT32_MAX; /* width 32 */
	a->floor = page;
	a->win = malloc(sizeof(*a->win));
	if (!a->win)
		return -ENOMEM;
	a->win[0] = (struct udrv_iova_range){ 0, UINT64_MAX };
	a->nwin = 1;
	return 0;
}

void udrv_iova_fini(struct udrv_iova *a)
{
	if (!a)
		return;
	free(a->win);
	free(a->used);
	a->win = a->used = NULL;
	a->nwin = a->nused = a->capused = 0;
}

int udrv_iova_set_width(struct udrv_iova *a, unsigned bits)
{
	uint64_t limit;

	if (!a || bits < 12 || bits > 64)
		return -EINVAL;
	limit = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	/* used[] is sorted and disjoint: the last one ends highest. */
	if (a->nused && a->used[a->nused - 1].last > limit)
		return -EBUSY;
	a->limit = limit;
	return 0;
}

int udrv_iova_set_windows(struct udrv_iova *a, const struct udrv_iova_range *r, size_t n)
{
	struct udrv_iova_range *w;
	size_t i, m = 0;

	if (!a || !r || n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (r[i].start > r[i].last)
			return -EINVAL;
	w = malloc(n * sizeof(*w));
	if (!w)
		return -ENOMEM;
	memcpy(w, r, n * sizeof(*w));
	qsort(w, n, sizeof(*w), range_cmp);
	/* Merge overlapping or touching windows. */
	for (i = 1; i < n; i++) {
		if (w[m].last == UINT64_MAX || w[i].start <= w[m].last + 1) {
			if (w[i].last > w[m].last)
				w[m].last = w[i].last;
		} else {
			w[++m] = w[i];
		}
	}
	free(a->win);
	a->win = w;
	a->nwin = m + 1;
	return 0;
}

/* First fit inside one window [lo, hi]; true with *out on success. */
static bool fit_window(const struct udrv_iova *a, uint64_t lo, uint64_t hi,
		       uint64_t size, uint64_t *out)
{
	uint64_t cand;
	size_t i;

	if (!align_up(lo, a->page, &cand))
		return false;
	for (i = 0; i < a->nused && cand <= hi; i++) {
		const struct udrv_iova_range *u = &a->used[i];

		if (u->last < cand)
			continue;
		if (u->start > cand) {
			uint64_t gap_last = u->start - 1 < hi ? u->start - 1 : hi;

			if (gap_last - cand >= size - 1) {
				*out = cand;
				return true;
			}
		}
		if (u->last == UINT64_MAX || !align_up(u->last + 1, a->page, &cand))
			return false;
	}
	if (cand > hi || hi - cand < size - 1)
		return false;
	*out = cand;
	return true;
}

int udrv_iova_alloc(struct udrv_iova *a, uint64_t size, uint64_t *iova)
{
	uint64_t start = 0;
	size_t i, pos;
	bool found = false;

	if (!a || !iova || size == 0)
		return -EINVAL;
	if (!align_up(size, a->page, &size))
		return -ENOMEM;
	for (i = 0; i < a->nwin && !found; i++) {
		uint64_t lo = a->win[i].start > a->floor ? a->win[i].start : a->floor;
		uint64_t hi = a->win[i].last < a->limit ? a->win[i].last : a->limit;

		if (lo > hi)
			continue;
		found = fit_window(a, lo, hi, size, &start);
	}
	if (!found)
		return -ENOMEM;
	if (a->nused == a->capused) {
		size_t cap = a->capused ? 2 * a->capused : 8;
		struct udrv_iova_range *u = realloc(a->used, cap * sizeof(*u));

		if (!u)
			return -ENOMEM;
		a->used = u;
		a->capused = cap;
	}
	for (pos = 0; pos < a->nused && a->used[pos].start < start; pos++)
		;
	memmove(&a->used[pos + 1], &a->used[pos], (a->nused - pos) * sizeof(*a->used));
	a->used[pos] = (struct udrv_iova_range){ start, start + size - 1 };
	a->nused++;
	*iova = start;
	return 0;
}

int udrv_iova_free(struct udrv_iova *a, uint64_t iova)
{
	size_t i;

	if (!a)
		return -EINVAL;
	for (i = 0; i < a->nused; i++) {
		if (a->used[i].start == iova) {
			memmove(&a->used[i], &a->used[i + 1],
				(a->nused - i - 1) * sizeof(*a->used));
			a->nused--;
			return 0;
		}
	}
	return -ENOENT;
}

size_t udrv_iova_count(const struct udrv_iova *a)
{
	return a ? a->nused : 0;
}
