/* SPDX-License-Identifier: MIT */
/*
 * vfio.c - the VFIO backend: a PCI device bound to vfio-pci, behind the
 * IOMMU.
 *
 * Open (Documentation/driver-api/vfio.rst, "VFIO Usage Example"):
 *   /sys/bus/pci/devices/ADDR/iommu_group -> N -> /dev/vfio/N (the group),
 *   /dev/vfio/vfio (a container), group -> container, TYPE1v2 IOMMU (TYPE1
 *   as a fall-back), then the device fd from the group. Each BAR is a VFIO
 *   region at a fixed offset of the device fd; the common code mmaps it
 *   lazily from dev->fd at region->mmap_offset.
 * Interrupts: one eventfd (dev->irq_fd) wired as the trigger of MSI when the
 *   device has it, else MSI-X vector 0, else INTx (which VFIO masks on every
 *   interrupt: irq_enable unmasks it).
 * DMA: anonymous memory pinned and mapped at an IOVA from iova.c with
 *   VFIO_IOMMU_MAP_DMA; the device can reach nothing else.
 * Reset: the kernel resets the device when its first fd opens
 *   (vfio_pci_core_enable); the library adds no VFIO_DEVICE_RESET. Bus
 *   mastering is cleared on open and close, so a driver restarted after a
 *   crash mid-DMA starts clean (a forked child's close leaves it alone).
 * Removal: a device-request eventfd (dev->req_fd) tells waiters the kernel
 *   wants the device back. Passed fds (container, group, device) are used
 *   when udrv_open() hands them over, after checking they are this device's.
 *
 * The library never prints: every failure is an errno.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iova.h"
#include "sysfs.h"
#include "udrv_internal.h"

#define NBARS (VFIO_PCI_BAR5_REGION_INDEX + 1)

/* One buffer handed out by vfio_dma_alloc, kept so close can unmap it. */
struct vfio_buf {
	void *va;
	uint64_t iova;
	size_t size;
};

struct vfio_priv {
	int container;          /* /dev/vfio/vfio */
	int group;              /* /dev/vfio/N */
	unsigned group_id;
	uint64_t cfg_off;       /* config-space region: offset in the device fd */
	uint64_t cfg_size;
	int irq_index;          /* VFIO_PCI_*_IRQ_INDEX in use, -1 none */
	bool irq_on;            /* trigger eventfd installed */
	uint32_t irq_count;     /* running interrupt count (wraps) */
	uint64_t page;          /* DMA granule: max(CPU page, IOMMU page) */
	struct udrv_iova iova;
	bool iova_ready;
	struct vfio_buf *bufs;
	size_t nbufs, capbufs;
	uint64_t pinned;        /* bytes pinned by our DMA maps */
};

static struct vfio_priv *priv_of(udrv_dev *dev)
{
	return dev->priv;
}

/* ---- small helpers ---------------------------------------------------- */

/*
 * "DDDD:BB:DD.F" with hex digits, device <= 0x1f, function <= 7 (PCI Local
 * Bus Spec 3.0, 3.2.2.3.1). A leading "pci:" is accepted and skipped.
 * Returns the address part, or NULL.
 */
static const char *parse_pci_addr(const char *s)
{
	if (s && strncmp(s, "pci:", 4) == 0)
		s += 4;
	return udrv__valid_pci_addr(s) ? s : NULL;
}

/* Physical start of BAR @bar from sysfs `resource` (one "start end flags" line per resource). */
static uint64_t bar_phys(const char *devdir, unsigned bar)
{
	char path[PATH_MAX], line[128];
	unsigned long long start = 0, end, flags;
	unsigned i = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/resource", devdir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (i++ == bar) {
			if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3)
				start = 0;
			break;
		}
	}
	fclose(f);
	return start;
}

/*
 * Walk a VFIO capability chain (struct vfio_info_cap_header, offsets from
 * the start of the info struct) for @id; NULL if absent or malformed.
 */
static const struct vfio_info_cap_header *find_cap(const void *info, size_t argsz,
						   uint32_t first, uint16_t id)
{
	uint32_t off = first;
	unsigned hops;

	for (hops = 0; off && hops < 64; hops++) {
		const struct vfio_info_cap_header *h;

		if (off < sizeof(uint32_t) || off > argsz ||
		    argsz - off < sizeof(*h))
			return NULL;
		h = (const void *)((const char *)info + off);
		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
}

static int area_cmp(const void *x, const void *y)
{
	const struct vfio_region_sparse_mmap_area *a = x, *b = y;

	return a->offset < b->offset ? -1 : a->offset > b->offset;
}

/*
 * Is region @info mappable as a whole? It must say VFIO_REGION_INFO_FLAG_MMAP
 * and, when it carries a sparse-mmap capability (e.g. a BAR holding an MSI-X
 * table the kernel keeps to itself), its areas must cover [0, size): the
 * common code maps a region in one piece and checks accesses against its
 * full size.
 */
static bool region_mappable(const struct vfio_region_info *info)
{
	const struct vfio_region_info_cap_sparse_mmap *sp;
	struct vfio_region_sparse_mmap_area *a;
	uint64_t covered = 0;
	size_t n, i;
	bool ok;

	if (!(info->flags & VFIO_REGION_INFO_FLAG_MMAP) || info->size == 0)
		return false;
	if (!(info->flags & VFIO_REGION_INFO_FLAG_CAPS))
		return true;
	sp = (const void *)find_cap(info, info->argsz, info->cap_offset,
				    VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	if (!sp)
		return true;
	if ((const char *)(sp + 1) > (const char *)info + info->argsz)
		return false; /* nr_areas itself cut off */
	n = sp->nr_areas;
	if ((const char *)&sp->areas[n] > (const char *)info + info->argsz)
		return false; /* truncated capability: do not trust it */
	a = malloc((n ? n : 1) * sizeof(*a));
	if (!a)
		return false;
	memcpy(a, sp->areas, n * sizeof(*a));
	qsort(a, n, sizeof(*a), area_cmp);
	for (i = 0; i < n && a[i].offset <= covered; i++)
		if (a[i].offset + a[i].size > covered)
			covered = a[i].offset + a[i].size;
	ok = covered >= info->size;
	free(a);
	return ok;
}

/* VFIO_DEVICE_GET_REGION_INFO with the re-query for the capability chain. */
static struct vfio_region_info *region_info(int fd, unsigned index)
{
	struct vfio_region_info *info = calloc(1, sizeof(*info)), *big;
	uint32_t sz;

	if (!info)
		return NULL;
	info->argsz = sizeof(*info);
	info->index = index;
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, info) < 0)
		goto fail;
	if (info->argsz <= sizeof(*info))
		return info;
	sz = info->argsz;
	big = realloc(info, sz);
	if (!big)
		goto fail;
	info = big;
	memset(info, 0, sz);
	info->argsz = sz;
	info->index = index;
	if (ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, info) < 0)
		goto fail;
	return info;
fail:
	sz = errno;
	free(info);
	errno = sz;
	return NULL;
}

/*
 * Usable IOVA windows and page sizes from VFIO_IOMMU_GET_INFO (re-queried for
 * the capability chain). Without the IOVA-range capability (old kernels) the
 * allocator keeps its single all-space window.
 */
static int iommu_setup(struct vfio_priv *p)
{
	struct vfio_iommu_type1_info *info = calloc(1, sizeof(*info)), *big;
	const struct vfio_iommu_type1_info_cap_iova_range *cap;
	long cpu_page = sysconf(_SC_PAGESIZE);
	uint64_t iommu_page;
	uint32_t sz, i;
	int r = 0;

	if (!info)
		return -ENOMEM;
	info->argsz = sizeof(*info);
	if (ioctl(p->container, VFIO_IOMMU_GET_INFO, info) < 0) {
		r = -errno;
		goto out;
	}
	if (info->argsz > sizeof(*info)) {
		sz = info->argsz;
		big = realloc(info, sz);
		if (!big) {
			r = -ENOMEM;
			goto out;
		}
		info = big;
		memset(info, 0, sz);
		info->argsz = sz;
		if (ioctl(p->container, VFIO_IOMMU_GET_INFO, info) < 0) {
			r = -errno;
			goto out;
		}
	}
	/* The smallest IOMMU page, but never below the CPU page (mmap granule). */
	iommu_page = (info->flags & VFIO_IOMMU_INFO_PGSIZES) && info->iova_pgsizes ?
		     info->iova_pgsizes & -info->iova_pgsizes : 4096;
	p->page = iommu_page > (uint64_t)cpu_page ? iommu_page : (uint64_t)cpu_page;
	r = udrv_iova_init(&p->iova, p->page);
	if (r)
		goto out;
	p->iova_ready = true;
	if (!(info->flags & VFIO_IOMMU_INFO_CAPS))
		goto out;
	cap = (const void *)find_cap(info, info->argsz, info->cap_offset,
				     VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	if (cap && (const char *)(cap + 1) <= (const char *)info + info->argsz && cap->nr_iovas &&
	    (const char *)&cap->iova_ranges[cap->nr_iovas] <= (const char *)info + info->argsz) {
		struct udrv_iova_range *w = calloc(cap->nr_iovas, sizeof(*w));

		if (!w) {
			r = -ENOMEM;
			goto out;
		}
		for (i = 0; i < cap->nr_iovas; i++)
			w[i] = (struct udrv_iova_range){ cap->iova_ranges[i].start,
							 cap->iova_ranges[i].end };
		r = udrv_iova_set_windows(&p->iova, w, cap->nr_iovas);
		free(w);
	}
out:
	free(info);
	return r;
}

/* ---- config space ----------------------------------------------------- */

static int vfio_cfg_read(udrv_dev *dev, uint64_t off, void *buf, size_t len)
{
	struct vfio_priv *p = priv_of(dev);

	return udrv__cfg_rw(dev->fd, p->cfg_off, p->cfg_size, off, buf, len, false);
}

static int vfio_cfg_write(udrv_dev *dev, uint64_t off, const void *buf, size_t len)
{
	struct vfio_priv *p = priv_of(dev);

	return udrv__cfg_rw(dev->fd, p->cfg_off, p->cfg_size, off, (void *)buf, len, true);
}

/*
 * Set or clear Bus Master Enable, PCI command register bit 2 (PCI Local Bus
 * Spec 3.0, 6.2.2). Cleared, the device cannot start DMA at all.
 */
static int set_bus_master(udrv_dev *dev, bool on)
{
	uint16_t cmd, want;
	int r = vfio_cfg_read(dev, PCI_COMMAND, &cmd, sizeof(cmd));

	if (r < 0)
		return r;
	want = on ? cmd | PCI_COMMAND_MASTER : cmd & ~PCI_COMMAND_MASTER;
	if (want == cmd)
		return 0;
	r = vfio_cfg_write(dev, PCI_COMMAND, &want, sizeof(want));
	return r < 0 ? r : 0;
}

/*
 * A BAR that cannot be mmapped (an I/O port BAR, a BAR smaller than a page
 * on old kernels, a sparse one): vfio-pci serves pread/pwrite on the device
 * fd at the region's offset (vfio_pci_bar_rw), one access of exactly the
 * width given, in the device's byte order (little-endian, as PCI is).
 */
static int vfio_region_rw(udrv_dev *dev, unsigned idx, uint64_t off, void *val, unsigned width,
			  bool write)
{
	off_t at = (off_t)(dev->regions[idx].mmap_offset + off);
	ssize_t n = write ? pwrite(dev->fd, val, width, at) : pread(dev->fd, val, width, at);

	if (n < 0)
		return -errno;
	return n == (ssize_t)width ? 0 : -EIO;
}

/* ---- interrupts ------------------------------------------------------- */

/* First interrupt type with a vector: MSI, then MSI-X, then INTx; -1 none. */
static int pick_irq(int fd, uint32_t num_irqs)
{
	static const int order[] = { VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX,
				     VFIO_PCI_INTX_IRQ_INDEX };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = order[i] };

		if ((uint32_t)order[i] >= num_irqs)
			continue;
		if (ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0)
			continue;
		if (ii.count > 0 && (ii.flags & VFIO_IRQ_INFO_EVENTFD))
			return order[i];
	}
	return -1;
}

/* VFIO_DEVICE_SET_IRQS for vector 0 of @index. */
static int set_irqs(udrv_dev *dev, int index, uint32_t flags, uint32_t count, int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (void *)buf;
	size_t len = sizeof(*s);

	memset(buf, 0, sizeof(buf));
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		memcpy(s->data, &efd, sizeof(int32_t));
		len += sizeof(int32_t);
	}
	s->argsz = len;
	s->flags = flags;
	s->index = (uint32_t)index;
	s->start = 0;
	s->count = count;
	return ioctl(dev->fd, VFIO_DEVICE_SET_IRQS, s) < 0 ? -errno : 0;
}

/*
 * The device request (VFIO_PCI_REQ_IRQ_INDEX, vfio_pci_core.c
 * vfio_pci_core_request()): on unbind or hot-unplug the kernel signals this
 * eventfd and waits until every fd of the device is closed. dev->req_fd
 * polls readable then; udrv_irq_wait answers -ENODEV so the driver closes.
 * Devices or kernels without it: nothing to do.
 */
static int setup_request(udrv_dev *dev, uint32_t num_irqs)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = VFIO_PCI_REQ_IRQ_INDEX };
	int r;

	if (num_irqs <= VFIO_PCI_REQ_IRQ_INDEX || ioctl(dev->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0 ||
	    ii.count == 0 || !(ii.flags & VFIO_IRQ_INFO_EVENTFD))
		return 0;
	dev->req_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dev->req_fd < 0)
		return -errno;
	r = set_irqs(dev, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		     1, dev->req_fd);
	if (r) {
		close(dev->req_fd);
		dev->req_fd = -1;
	}
	return 0; /* a driver still works without it; it just learns of removal late */
}

static int vfio_irq_enable(udrv_dev *dev)
{
	struct vfio_priv *p = priv_of(dev);
	int r;

	if (p->irq_index < 0 || dev->irq_fd < 0)
		return -ENOTSUP;
	if (!p->irq_on) {
		/* Route vector 0 to our eventfd; this also enables MSI in the
		 * device's capability (the kernel writes it for us). */
		r = set_irqs(dev, p->irq_index, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			     1, dev->irq_fd);
		if (r)
			return r;
		p->irq_on = true;
		/* An MSI is a memory write by the device: without Bus Master
		 * Enable it is dropped (PCI Local Bus Spec 3.0, 6.8). Safe with
		 * no DMA mapped: the IOMMU still blocks every other address. */
		if (p->irq_index != VFIO_PCI_INTX_IRQ_INDEX)
			return set_bus_master(dev, true);
		return 0;
	}
	/* MSI/MSI-X are edge-like: nothing to re-arm. INTx is masked by VFIO
	 * on each interrupt until we unmask it. */
	if (p->irq_index != VFIO_PCI_INTX_IRQ_INDEX)
		return 0;
	return set_irqs(dev, p->irq_index, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 1, -1);
}

/* The eventfd read returns the interrupts since the last read: a delta. */
static int vfio_irq_read(udrv_dev *dev, uint32_t *count)
{
	struct vfio_priv *p = priv_of(dev);
	uint64_t v;
	ssize_t n = read(dev->irq_fd, &v, sizeof(v));

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n != sizeof(v))
		return -EIO;
	p->irq_count += (uint32_t)v;
	if (count)
		*count = p->irq_count;
	return 0;
}

/*
 * Several vectors (irqvec.c): @fds NULL answers how many vectors @type has
 * (VFIO_DEVICE_GET_IRQ_INFO count, 0 when it cannot signal an eventfd);
 * otherwise the current routing is switched off (count 0 with DATA_NONE
 * disables an index) and @fds[0..n-1] become the triggers of vectors
 * 0..n-1. The kernel enables MSI/MSI-X in the capability itself.
 */
static int vfio_irq_route(udrv_dev *dev, enum udrv_irq_type type, const int *fds, unsigned n)
{
	struct vfio_priv *p = priv_of(dev);
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };
	struct vfio_irq_set *s;
	size_t len;
	int r;

	ii.index = type == UDRV_IRQ_INTX ? VFIO_PCI_INTX_IRQ_INDEX :
		   type == UDRV_IRQ_MSI ? VFIO_PCI_MSI_IRQ_INDEX : VFIO_PCI_MSIX_IRQ_INDEX;
	if (ioctl(dev->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) < 0)
		return errno == EINVAL ? 0 : -errno;
	if (!fds)
		return (ii.flags & VFIO_IRQ_INFO_EVENTFD) ? (int)ii.count : 0;
	if (p->irq_on) {
		r = set_irqs(dev, p->irq_index, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, -1);
		if (r)
			return r;
		p->irq_on = false;
	}
	len = sizeof(*s) + n * sizeof(int32_t);
	s = calloc(1, len);
	if (!s)
		return -ENOMEM;
	s->argsz = len;
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = ii.index;
	s->start = 0;
	s->count = n;
	memcpy(s->data, fds, n * sizeof(int32_t));
	r = ioctl(dev->fd, VFIO_DEVICE_SET_IRQS, s) < 0 ? -errno : 0;
	free(s);
	if (r)
		return r;
	p->irq_index = (int)ii.index;
	p->irq_on = true;
	/* An MSI is a memory write: it needs Bus Master Enable (6.8). */
	return ii.index == VFIO_PCI_INTX_IRQ_INDEX ? 0 : set_bus_master(dev, true);
}

/* ---- DMA -------------------------------------------------------------- */

/* Does the process hold CAP_IPC_LOCK (which lifts VFIO's memlock limit)? */
static bool have_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32));
}

static int vfio_dma_set_width(udrv_dev *dev, unsigned bits)
{
	return udrv_iova_set_width(&priv_of(dev)->iova, bits);
}

static int vfio_dma_alloc(udrv_dev *dev, size_t size, struct udrv_dma *out)
{
	struct vfio_priv *p = priv_of(dev);
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct rlimit rl;
	uint64_t iova;
	size_t len;
	void *va;
	int r;

	if (!out || size == 0)
		return -EINVAL;
	if (size > SIZE_MAX - (p->page - 1))
		return -ENOMEM;
	len = (size + p->page - 1) & ~(size_t)(p->page - 1);
	/*
	 * VFIO pins the pages and charges them to RLIMIT_MEMLOCK unless the
	 * process has CAP_IPC_LOCK; check first so the caller gets -ENOMEM
	 * before anything is half done. The kernel checks again (it also
	 * counts other locked memory) and answers ENOMEM the same way.
	 */
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (p->pinned + len > rl.rlim_cur) && !have_ipc_lock())
		return -ENOMEM;
	if (!p->iova_ready)
		return -ENODEV;
	if (p->nbufs == p->capbufs) {
		size_t cap = p->capbufs ? 2 * p->capbufs : 8;
		struct vfio_buf *b = realloc(p->bufs, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		p->bufs = b;
		p->capbufs = cap;
	}
	r = udrv_iova_alloc(&p->iova, len, &iova);
	if (r)
		return r;
	va = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (va == MAP_FAILED) {
		r = -errno;
		goto undo_iova;
	}
	map.vaddr = (uintptr_t)va;
	map.iova = iova;
	map.size = len;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(p->container, VFIO_IOMMU_MAP_DMA, &map) < 0) {
		r = -errno;
		goto undo_mmap;
	}
	/* The device may master the bus only now that it has somewhere to go. */
	r = set_bus_master(dev, true);
	if (r)
		goto undo_map;
	p->bufs[p->nbufs++] = (struct vfio_buf){ va, iova, len };
	p->pinned += len;
	*out = (struct udrv_dma){ .va = va, .iova = iova, .size = len };
	return 0;

undo_map:
	{
		struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um),
							 .iova = iova, .size = len };

		ioctl(p->container, VFIO_IOMMU_UNMAP_DMA, &um);
	}
undo_mmap:
	munmap(va, len);
undo_iova:
	udrv_iova_free(&p->iova, iova);
	return r;
}

/* Unmap buffer @i from the IOMMU and the process, and forget it. */
static void drop_buf(struct vfio_priv *p, size_t i)
{
	struct vfio_buf *b = &p->bufs[i];
	struct vfio_iommu_type1_dma_unmap um = { .argsz = sizeof(um),
						 .iova = b->iova, .size = b->size };

	ioctl(p->container, VFIO_IOMMU_UNMAP_DMA, &um);
	munmap(b->va, b->size);
	udrv_iova_free(&p->iova, b->iova);
	p->pinned -= b->size;
	p->bufs[i] = p->bufs[--p->nbufs];
}

static void vfio_dma_free(udrv_dev *dev, struct udrv_dma *buf)
{
	struct vfio_priv *p = priv_of(dev);
	size_t i;

	if (!buf || !buf->va)
		return;
	for (i = 0; i < p->nbufs; i++) {
		if (p->bufs[i].va == buf->va && p->bufs[i].iova == buf->iova) {
			drop_buf(p, i);
			memset(buf, 0, sizeof(*buf));
			return;
		}
	}
	/* Not ours (or freed already): leave it alone rather than unmap blindly. */
}

/* ---- lifecycle -------------------------------------------------------- */

static void vfio_destroy(udrv_dev *dev)
{
	struct vfio_priv *p = priv_of(dev);

	if (!p)
		return;
	/* A forked child shares the parent's device, container and triggers:
	 * it only drops its own mappings and fds, never touches the device. */
	if (dev->fd >= 0 && !udrv__in_child(dev)) {
		/* Stop the device's DMA before its memory goes away. */
		if (p->cfg_size)
			set_bus_master(dev, false);
		if (p->irq_on)
			set_irqs(dev, p->irq_index, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				 0, -1);
	}
	for (; udrv__in_child(dev) && p->nbufs; p->nbufs--) /* the parent's IOMMU mappings stay */
		munmap(p->bufs[p->nbufs - 1].va, p->bufs[p->nbufs - 1].size);
	while (p->nbufs)
		drop_buf(p, p->nbufs - 1);
	free(p->bufs);
	if (p->iova_ready)
		udrv_iova_fini(&p->iova);
	if (dev->irq_fd >= 0)
		close(dev->irq_fd);
	dev->irq_fd = -1;
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
	if (p->group >= 0)
		close(p->group); /* detaches the group from the container */
	if (p->container >= 0)
		close(p->container);
	free(p);
	dev->priv = NULL;
}

static const struct udrv_backend vfio_backend = {
	.name = "vfio",
	.irq_enable = vfio_irq_enable,
	.irq_read = vfio_irq_read,
	.region_rw = vfio_region_rw,
	.cfg_read = vfio_cfg_read,
	.cfg_write = vfio_cfg_write,
	.dma_set_width = vfio_dma_set_width,
	.dma_alloc = vfio_dma_alloc,
	.dma_free = vfio_dma_free,
	.irq_route = vfio_irq_route,
	.destroy = vfio_destroy,
};


/* dup() of a passed fd, close-on-exec; -1 stays -1. */
static int dup_passed(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/*
 * Container and group, opened here or passed by the manager (then checked:
 * the group fd must be the node of our IOMMU group, the container a VFIO
 * container). A group the manager already attached keeps its container
 * and IOMMU type.
 */
static int attach_group(struct vfio_priv *p, const struct udrv__vfio_fds *fds)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char path[PATH_MAX];
	struct stat want, got;
	int type;

	if (fds->container >= 0) {
		p->container = dup_passed(fds->container);
		if (p->container < 0)
			return -errno;
		if (ioctl(p->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
			return -EBADFD; /* not a VFIO container */
	} else {
		snprintf(path, sizeof(path), "%s/vfio/vfio", udrv__dev_root());
		p->container = open(path, O_RDWR | O_CLOEXEC);
		if (p->container < 0)
			return -errno;
		if (ioctl(p->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
			return -ENODEV;
	}
	snprintf(path, sizeof(path), "%s/vfio/%u", udrv__dev_root(), p->group_id);
	if (fds->group >= 0) {
		p->group = dup_passed(fds->group);
		if (p->group < 0)
			return -errno;
		if (stat(path, &want) < 0 || fstat(p->group, &got) < 0 ||
		    !S_ISCHR(got.st_mode) || got.st_rdev != want.st_rdev)
			return -EBADFD; /* not the node of this device's group */
	} else {
		/* The group node opens once system-wide: EBUSY = another process has it. */
		p->group = open(path, O_RDWR | O_CLOEXEC);
		if (p->group < 0)
			return -errno;
	}
	if (ioctl(p->group, VFIO_GROUP_GET_STATUS, &gs) < 0)
		return -errno;
	/* Not viable: another device of the group is still bound to a host driver. */
	if (!(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	if (gs.flags & VFIO_GROUP_FLAGS_CONTAINER_SET)
		return fds->container >= 0 ? 0 : -EBADFD; /* attached, but to what? */
	if (ioctl(p->group, VFIO_GROUP_SET_CONTAINER, &p->container) < 0)
		return -errno;
	if (ioctl(p->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0)
		type = VFIO_TYPE1v2_IOMMU;
	else if (ioctl(p->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0)
		type = VFIO_TYPE1_IOMMU;
	else
		return -ENODEV;
	return ioctl(p->container, VFIO_SET_IOMMU, type) < 0 ? -errno : 0;
}

/* A sysfs id attribute (vendor, device) as a number, or -1. */
static long sysfs_id(const char *devdir, const char *attr)
{
	char path[PATH_MAX];
	uint64_t v;

	snprintf(path, sizeof(path), "%s/%s", devdir, attr);
	return udrv__sysfs_read_u64(path, &v) == 0 && v <= 0xffff ? (long)v : -1;
}

/*
 * The device fd: from the group by name (that also proves a passed group
 * holds it), or passed alone, then checked to be a PCI device whose IDs in
 * config space are this device's.
 */
static int get_device(udrv_dev *dev, const char *devdir, const char *addr,
		      const struct udrv__vfio_fds *fds)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info *cfg;
	uint16_t ids[2];
	ssize_t n;

	if (fds->device < 0 || fds->group >= 0) {
		dev->fd = ioctl(priv_of(dev)->group, VFIO_GROUP_GET_DEVICE_FD, addr);
		return dev->fd < 0 ? -errno : 0;
	}
	dev->fd = dup_passed(fds->device);
	if (dev->fd < 0)
		return -errno;
	if (ioctl(dev->fd, VFIO_DEVICE_GET_INFO, &di) < 0 || !(di.flags & VFIO_DEVICE_FLAGS_PCI))
		return -EBADFD;
	cfg = region_info(dev->fd, VFIO_PCI_CONFIG_REGION_INDEX);
	if (!cfg)
		return -EBADFD;
	n = pread(dev->fd, ids, sizeof(ids), (off_t)cfg->offset); /* vendor, device: 0x00, 0x02 */
	free(cfg);
	if (n != (ssize_t)sizeof(ids) || ids[0] != sysfs_id(devdir, "vendor") ||
	    ids[1] != sysfs_id(devdir, "device"))
		return -EBADFD;
	return 0;
}

/* Fill dev->regions with BAR0..BAR5 (index = BAR number); trailing empty BARs dropped. */
static int read_bars(udrv_dev *dev, const char *devdir, uint32_t num_regions)
{
	unsigned i, n = num_regions < NBARS ? num_regions : NBARS;

	dev->nregions = 0;
	for (i = 0; i < n; i++) {
		struct udrv_region *rg = &dev->regions[i];
		struct vfio_region_info *info = region_info(dev->fd, i);

		if (!info)
			return -errno;
		memset(rg, 0, sizeof(*rg));
		snprintf(rg->info.name, sizeof(rg->info.name), "BAR%u", i);
		rg->info.size = info->size;
		rg->info.addr = info->size ? bar_phys(devdir, i) : 0;
		rg->info.offset = 0; /* VFIO regions start at the BAR's first byte */
		rg->mmap_offset = info->offset;
		/* vfio_pci_core_mmap() takes whole pages up to the BAR's
		 * page-aligned length. */
		rg->mmap_len = (info->size + (uint64_t)sysconf(_SC_PAGESIZE) - 1) &
			       ~((uint64_t)sysconf(_SC_PAGESIZE) - 1);
		rg->mappable = region_mappable(info);
		if (info->size)
			dev->nregions = i + 1;
		free(info);
	}
	return 0;
}

udrv_dev *udrv__vfio_open(const char *pci_addr, const struct udrv__vfio_fds *fds)
{
	char devdir[PATH_MAX / 2], path[PATH_MAX], word[64];
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info *cfg;
	struct vfio_priv *p;
	const char *addr = parse_pci_addr(pci_addr);
	udrv_dev *dev;
	struct stat st;
	char *end;
	unsigned long gid;
	int r;

	if (!addr) {
		errno = EINVAL;
		return NULL;
	}
	if (snprintf(devdir, sizeof(devdir), "%s/bus/pci/devices/%s", udrv__sysfs_root(),
		     addr) >= (int)sizeof(devdir)) {
		errno = ENAMETOOLONG; /* $UDRV_SYSFS_ROOT too long */
		return NULL;
	}
	if (stat(devdir, &st) < 0) {
		errno = ENOENT;
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/driver", devdir);
	if (udrv__sysfs_link_base(path, word, sizeof(word)) < 0 || strcmp(word, "vfio-pci") != 0) {
		errno = ENODEV; /* unbound, or bound to a host driver */
		return NULL;
	}
	/* No iommu_group: no IOMMU, so no safe DMA; noiommu mode is not supported. */
	snprintf(path, sizeof(path), "%s/iommu_group", devdir);
	if (udrv__sysfs_link_base(path, word, sizeof(word)) < 0) {
		errno = ENODEV;
		return NULL;
	}
	errno = 0;
	gid = strtoul(word, &end, 10);
	if (errno || *end || end == word || gid > UINT_MAX) {
		errno = ENODEV;
		return NULL;
	}

	dev = udrv__dev_new(&vfio_backend);
	if (!dev)
		return NULL;
	snprintf(dev->name, sizeof(dev->name), "%s", addr);
	p = calloc(1, sizeof(*p));
	if (!p) {
		r = -ENOMEM;
		goto fail;
	}
	p->container = p->group = -1;
	p->irq_index = -1;
	p->group_id = (unsigned)gid;
	dev->priv = p;

	r = attach_group(p, fds);
	if (r)
		goto fail;
	r = iommu_setup(p);
	if (r)
		goto fail;
	r = get_device(dev, devdir, addr, fds);
	if (r)
		goto fail;
	if (ioctl(dev->fd, VFIO_DEVICE_GET_INFO, &di) < 0) {
		r = -errno;
		goto fail;
	}
	if (!(di.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    di.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		r = -ENODEV;
		goto fail;
	}
	/* No VFIO_DEVICE_RESET here: vfio_pci_core_enable() already resets the
	 * device (pci_try_reset_function) when its first fd is opened, and
	 * again when the last one closes; a second reset is redundant and can
	 * take seconds (bus reset) for nothing. Bus mastering off below. */

	cfg = region_info(dev->fd, VFIO_PCI_CONFIG_REGION_INDEX);
	if (!cfg) {
		r = -errno;
		goto fail;
	}
	p->cfg_off = cfg->offset;
	p->cfg_size = cfg->size;
	free(cfg);
	/* A driver that crashed mid-DMA may have left mastering on. */
	r = set_bus_master(dev, false);
	if (r)
		goto fail;
	r = read_bars(dev, devdir, di.num_regions);
	if (r)
		goto fail;

	p->irq_index = pick_irq(dev->fd, di.num_irqs);
	if (p->irq_index >= 0) {
		dev->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->irq_fd < 0) {
			r = -errno;
			goto fail;
		}
	}
	r = setup_request(dev, di.num_irqs);
	if (r)
		goto fail;
	return dev;

fail:
	udrv_close(dev); /* unmaps nothing yet, then vfio_destroy() */
	errno = -r;
	return NULL;
}
