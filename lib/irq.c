/* SPDX-License-Identifier: MIT */
/*
 * irq.c - waiting for interrupts, the same way on every backend.
 *
 * The path of one interrupt: device raises its line/MSI -> the kernel's
 * handler (uio_pdrv_genirq / uio_pci_generic masks it and bumps the UIO
 * event count; vfio-pci signals an eventfd) -> dev->irq_fd polls readable
 * -> poll() below returns -> be->irq_read() consumes the event and gives the
 * running count -> the caller acknowledges the device and calls
 * udrv_irq_enable() to unmask. The thread sleeps in poll() meanwhile.
 */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "udrv_internal.h"

int64_t udrv__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int udrv_irq_enable(udrv_dev *dev)
{
	if (!dev)
		return -EINVAL;
	if (udrv__in_child(dev))
		return -ECHILD;
	if (dev->gone)
		return -ENODEV;
	if (!dev->be->irq_enable)
		return -ENOTSUP;
	return dev->be->irq_enable(dev);
}

int udrv_irq_fd(const udrv_dev *dev)
{
	if (!dev)
		return -EINVAL;
	return dev->irq_fd >= 0 ? dev->irq_fd : -ENOTSUP;
}

int udrv_release_fd(const udrv_dev *dev)
{
	if (!dev)
		return -EINVAL;
	return dev->req_fd >= 0 ? dev->req_fd : -ENOTSUP;
}

uint64_t udrv_irq_missed(const udrv_dev *dev)
{
	return dev ? dev->irq_missed : 0;
}

int udrv_irq_wait(udrv_dev *dev, int timeout_ms, uint32_t *count)
{
	int64_t deadline;

	if (!dev || timeout_ms < -1)
		return -EINVAL;
	/* The event counter is shared with the parent: a child reading it would
	 * take the parent's interrupt. */
	if (udrv__in_child(dev))
		return -ECHILD;
	if (dev->gone)
		return -ENODEV;
	if (dev->irq_fd < 0 || !dev->be->irq_read)
		return -ENOTSUP;
	deadline = timeout_ms < 0 ? -1 : udrv__now_ms() + timeout_ms;
	for (;;) {
		/* [1]: the device request (VFIO), when there is one. */
		struct pollfd pfd[2] = { { .fd = dev->irq_fd, .events = POLLIN },
					 { .fd = dev->req_fd, .events = POLLIN } };
		int left = -1, r;
		uint32_t c, delta;

		if (deadline >= 0) {
			int64_t d = deadline - udrv__now_ms();
			left = d > 0 ? (int)d : 0;
		}
		r = poll(pfd, dev->req_fd >= 0 ? 2 : 1, left);
		if (r < 0) {
			if (errno == EINTR)
				continue; /* a signal: resume with the time left */
			return -errno;
		}
		if (r == 0)
			return 0;
		if (dev->req_fd >= 0 && pfd[1].revents) {
			dev->gone = true; /* the kernel wants it back: close it */
			return -ENODEV;
		}
		if (pfd[0].revents & POLLNVAL)
			return -EBADF;
		/* POLLERR (UIO: no IRQ, or unregistered): irq_read() reports why. */
		r = dev->be->irq_read(dev, &c);
		if ((r == -EAGAIN || r == -EINTR) && (pfd[0].revents & (POLLERR | POLLHUP)))
			r = -ENODEV; /* an error state that never clears: do not spin */
		if (r == -EAGAIN || r == -EINTR)
			continue;
		if (r == -ENODEV)
			dev->gone = true;
		if (r < 0)
			return r;
		delta = c - dev->irq_last; /* uint32 arithmetic: wraps correctly */
		if (delta > 1)
			dev->irq_missed += delta - 1;
		dev->irq_last = c;
		if (count)
			*count = c;
		return 1;
	}
}
