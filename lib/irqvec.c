/* SPDX-License-Identifier: MIT */
/*
 * irqvec.c - several interrupt vectors, one eventfd each, and the choice of
 * interrupt type (INTx, MSI, MSI-X).
 *
 * The backend routes eventfds to vectors (VFIO: VFIO_DEVICE_SET_IRQS with
 * ACTION_TRIGGER, Documentation/driver-api/vfio.rst and
 * include/uapi/linux/vfio.h); this file owns the fds and the per-vector
 * counts. Vector 0 is always dev->irq_fd, so udrv_irq_fd(), udrv_irq_wait()
 * and udrv_irq_enable() keep meaning "vector 0" unchanged. Each eventfd read
 * returns the interrupts since the last read (a delta), added to the
 * vector's running count.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "udrv_internal.h"

struct udrv_ext *udrv__ext(udrv_dev *dev)
{
	if (!dev->ext) {
		dev->ext = calloc(1, sizeof(*dev->ext));
		if (!dev->ext)
			errno = ENOMEM;
	}
	return dev->ext;
}

/* Close vectors 1..nvec-1 (vector 0 is dev->irq_fd, closed by its owner). */
static void drop_vectors(struct udrv_ext *x)
{
	for (unsigned i = 1; i < x->nvec; i++)
		if (x->vec_fd[i] >= 0)
			close(x->vec_fd[i]);
	free(x->vec_fd);
	free(x->vec_count);
	x->vec_fd = NULL;
	x->vec_count = NULL;
	x->nvec = 0;
}

void udrv__ext_free(udrv_dev *dev)
{
	struct udrv_ext *x = dev->ext;

	if (!x)
		return;
	drop_vectors(x);
	for (unsigned i = 0; i < 6; i++)
		if (x->bar_base[i])
			munmap(x->bar_base[i], x->bar_len[i]);
	free(x);
	dev->ext = NULL;
}

static bool valid_type(enum udrv_irq_type t)
{
	return t == UDRV_IRQ_INTX || t == UDRV_IRQ_MSI || t == UDRV_IRQ_MSIX;
}

int udrv_irq_max_vectors(udrv_dev *dev, enum udrv_irq_type type)
{
	if (!dev || !valid_type(type))
		return -EINVAL;
	if (!dev->be->irq_route)
		return -ENOTSUP;
	return dev->be->irq_route(dev, type, NULL, 0);
}

int udrv_irq_set_type(udrv_dev *dev, enum udrv_irq_type type, unsigned nvec)
{
	struct udrv_ext *x;
	int *fds = NULL, max, r;
	uint32_t *counts = NULL;
	unsigned i, made = 0;

	if (!dev || !valid_type(type) || nvec == 0)
		return -EINVAL;
	/* A forked child shares the parent's triggers: rerouting them would
	 * take the parent's interrupts away (as udrv_irq_enable). */
	if (udrv__in_child(dev))
		return -ECHILD;
	if (dev->gone)
		return -ENODEV;
	if (!dev->be->irq_route)
		return -ENOTSUP;
	max = dev->be->irq_route(dev, type, NULL, 0);
	if (max < 0)
		return max;
	if (max == 0)
		return -ENODEV;
	if (nvec > (unsigned)max)
		return -ERANGE;
	x = udrv__ext(dev);
	if (!x)
		return -ENOMEM;
	fds = malloc(nvec * sizeof(*fds));
	counts = calloc(nvec, sizeof(*counts));
	if (!fds || !counts) {
		r = -ENOMEM;
		goto fail;
	}
	/* Vector 0 keeps dev->irq_fd (made now if the device had none). */
	if (dev->irq_fd < 0) {
		dev->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->irq_fd < 0) {
			r = -errno;
			goto fail;
		}
	}
	fds[0] = dev->irq_fd;
	for (i = 1; i < nvec; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fds[i] < 0) {
			r = -errno;
			goto fail;
		}
		made = i;
	}
	r = dev->be->irq_route(dev, type, fds, nvec);
	if (r < 0)
		goto fail;
	drop_vectors(x); /* the old routing is gone: its extra fds too */
	x->vec_fd = fds;
	x->vec_count = counts;
	x->nvec = nvec;
	return 0;
fail:
	for (i = 1; i <= made; i++)
		close(fds[i]);
	free(fds);
	free(counts);
	return r;
}

unsigned udrv_irq_vectors(const udrv_dev *dev)
{
	if (!dev)
		return 0;
	if (dev->ext && dev->ext->nvec)
		return dev->ext->nvec;
	return dev->irq_fd >= 0 ? 1 : 0;
}

int udrv_irq_vector_fd(const udrv_dev *dev, unsigned vec)
{
	if (!dev)
		return -EINVAL;
	if (dev->irq_fd < 0)
		return -ENOTSUP;
	if (vec >= udrv_irq_vectors(dev))
		return -ERANGE;
	return vec == 0 ? dev->irq_fd : dev->ext->vec_fd[vec];
}

int udrv_irq_wait_vector(udrv_dev *dev, unsigned vec, int timeout_ms, uint32_t *count)
{
	int64_t deadline;
	int fd;

	if (!dev || timeout_ms < -1)
		return -EINVAL;
	fd = udrv_irq_vector_fd(dev, vec);
	if (fd < 0)
		return fd;
	if (vec == 0)
		return udrv_irq_wait(dev, timeout_ms, count);
	if (udrv__in_child(dev))
		return -ECHILD; /* the counter is the parent's, as udrv_irq_wait */
	if (dev->gone)
		return -ENODEV;
	deadline = timeout_ms < 0 ? -1 : udrv__now_ms() + timeout_ms;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = -1, r;
		uint64_t v;
		ssize_t n;

		if (deadline >= 0) {
			int64_t d = deadline - udrv__now_ms();
			left = d > 0 ? (int)d : 0;
		}
		r = poll(&pfd, 1, left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return 0;
		if (pfd.revents & POLLNVAL)
			return -EBADF;
		n = read(fd, &v, sizeof(v));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		if (n != sizeof(v))
			return -EIO;
		dev->ext->vec_count[vec] += (uint32_t)v;
		if (v > 1)
			dev->irq_missed += v - 1;
		if (count)
			*count = dev->ext->vec_count[vec];
		return 1;
	}
}
