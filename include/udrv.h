/* SPDX-License-Identifier: MIT */
/*
 * udrv.h - the public API of libudrv, a user-space device driver library.
 *
 * Lifecycle of a device handle:
 *
 *     udrv_open()  ->  udrv_map_count()/udrv_map_info()/udrv_map()
 *                  ->  udrv_read*()/udrv_write*()  (bounds-checked MMIO)
 *                  ->  udrv_irq_enable()/udrv_irq_wait()/udrv_irq_fd()
 *                  ->  udrv_dma_alloc()/udrv_dma_free()   (VFIO only)
 *                  ->  udrv_close()
 *
 * Conventions (the same for every function below):
 *   - Actions return 0 (or the non-negative value stated) on success and a
 *     negative errno on failure. They never set errno as their result.
 *   - Constructors return a pointer, or NULL with errno set.
 *   - Predicates return bool.
 *   - The library never prints and never calls exit().
 *   - A handle is not thread-safe: one thread uses it at a time.
 */
#ifndef UDRV_H
#define UDRV_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque device handle. */
typedef struct udrv_dev udrv_dev;

/* Longest map name kept (UIO's maps/mapN/name, or "BARn" on VFIO). */
#define UDRV_NAME_MAX 64

/*
 * One memory region of a device: a UIO map or a PCI BAR. The register
 * window is [addr, addr + size) in physical memory; register offsets
 * (the @off of udrv_read32() etc.) count from addr, and every access must lie
 * inside [0, size).
 *
 * UIO publishes a map differently (drivers/uio/uio.c, uio_pdrv_genirq.c,
 * uio_pci_generic.c): maps/mapN/addr is the page holding the first register,
 * offset its in-page offset, and size offset + length rounded up to pages.
 * udrv converts: addr here = sysfs addr + offset, size = the real length of
 * the registers, from the device's own resources (device-tree `reg` or PCI
 * `resource`) when it has them, else sysfs size - offset. Example, the Pi's
 * mini UART: sysfs addr 0x3f215000 offset 0x40 size 0x1000 -> addr
 * 0x3f215040, size 0x40, offset 0x40.
 */
struct udrv_map_info {
	char name[UDRV_NAME_MAX]; /* "" when the kernel driver gave none (cut at 63 bytes) */
	uint64_t addr;            /* physical (bus) address of the first register */
	uint64_t size;            /* window length in bytes: accesses are checked against it */
	uint64_t offset;          /* in-page offset of addr (UIO maps/mapN/offset; 0 on VFIO) */
};

/*
 * udrv_open - open a device.
 * @spec: "uioN", "name:NAME" (the UIO `name` attribute; the first match in
 *        uioN order), "pci:DDDD:BB:DD.F" (a PCI device bound to vfio-pci or
 *        uio_pci_generic), or a path to a UIO device node: the node is
 *        opened and must be a char device whose number is a uioN's in sysfs,
 *        so a udev symlink (/dev/myfpga -> uio0) works and /any/dir/uio0 is
 *        not /dev/uio0.
 *
 * Passed fds: when the manager passed device fds (LISTEN_FDNAMES, see
 * udrv_listen_fd) and @spec names the same device as $UDRV_DEVICE, they are
 * used instead of opening nodes, so a driver with no rights on the nodes can
 * run: "udrv-uio" (/dev/uioN, O_RDWR), "udrv-uio-config" (the PCI sysfs
 * config file of a uio_pci_generic device), "udrv-vfio-container",
 * "udrv-vfio-group", "udrv-vfio-device". Each is checked to be that device
 * (the node's device number, the group node's, or the device fd's PCI IDs)
 * and duplicated; the passed fds stay open. Without a passed config fd, the
 * sysfs config file is opened on first use, read-only until a write is
 * needed (re-arming uio_pci_generic's INTx needs root or that fd).
 *
 * Returns a handle, or NULL with errno:
 *   EINVAL  the spec is malformed, or a path names a directory;
 *   ENOENT  no such device (nothing in sysfs matches, or no such node);
 *   ENODEV  the device exists but is bound to no driver udrv can use, or the
 *           path is not a UIO device node;
 *   EBADFD  a passed fd is not the device the spec names;
 *   EBUSY   the device is already held (a VFIO group open in another process);
 *   EACCES/EPERM  no permission on the device node;
 *   ENOMEM  out of memory.
 *
 * The sysfs root is read from $UDRV_SYSFS_ROOT when set (default "/sys"),
 * and device nodes from $UDRV_DEV_ROOT (default "/dev"): tests point them at
 * fixture trees.
 */
udrv_dev *udrv_open(const char *spec);

/*
 * udrv_close - unmap everything, release DMA buffers, close fds. NULL is fine.
 * The process that opened the device also quiesces it (VFIO: bus mastering
 * off, interrupt triggers removed, DMA unmapped). In a forked child it only
 * unmaps and closes its own copies: the parent's device keeps running.
 */
void udrv_close(udrv_dev *dev);

/* udrv_name - the device's name (UIO `name`, or the PCI address). Never NULL. */
const char *udrv_name(const udrv_dev *dev);

/* udrv_map_count - how many maps the device has (>= 0), or -EINVAL for NULL. */
int udrv_map_count(const udrv_dev *dev);

/*
 * udrv_map_info - describe map @idx.
 * Returns 0, -EINVAL for a NULL argument, -ERANGE for a bad index.
 */
int udrv_map_info(const udrv_dev *dev, unsigned idx, struct udrv_map_info *out);

/*
 * udrv_map - map region @idx into the process (once; later calls return the
 * same pointer) and return a pointer to its first register (the in-page
 * offset applied). Only [ptr, ptr + size) are the device's registers. The
 * whole pages around them are mapped as the kernel allows (UIO: at most the
 * sysfs size; uio_mmap refuses more). The pointer stays valid until
 * udrv_close().
 * Returns NULL with errno: ERANGE bad index, EINVAL NULL dev, ENOTSUP the
 * region cannot be mmapped (a PCI I/O port BAR, a UIO map whose size is not
 * whole pages), or mmap()'s errno.
 */
volatile void *udrv_map(udrv_dev *dev, unsigned idx);

/*
 * Register access of exactly the stated width, in map @idx at byte offset
 * @off, mapping the region first if needed.
 * Returns 0, -ERANGE when [off, off+width) is not inside the map (checked
 * without overflow; nothing is touched), -EINVAL when @off is not a multiple
 * of the width or an argument is NULL, or udrv_map()'s error as -errno.
 * Reads are followed and writes preceded by the barrier the architecture
 * needs for device memory (dmb on aarch64, compiler barrier on x86_64).
 * A region that cannot be mmapped but that VFIO can reach (an I/O port BAR,
 * a sub-page or sparse BAR) is accessed with one pread()/pwrite() of exactly
 * the width on the VFIO device fd at the region's offset, automatically:
 * the same calls and checks, a system call per access; errors of that
 * transfer come back as -errno (-EIO for a short one). On UIO such a map
 * gives udrv_map()'s -ENOTSUP.
 */
int udrv_read8(udrv_dev *dev, unsigned idx, uint64_t off, uint8_t *val);
int udrv_read16(udrv_dev *dev, unsigned idx, uint64_t off, uint16_t *val);
int udrv_read32(udrv_dev *dev, unsigned idx, uint64_t off, uint32_t *val);
int udrv_read64(udrv_dev *dev, unsigned idx, uint64_t off, uint64_t *val);
int udrv_write8(udrv_dev *dev, unsigned idx, uint64_t off, uint8_t val);
int udrv_write16(udrv_dev *dev, unsigned idx, uint64_t off, uint16_t val);
int udrv_write32(udrv_dev *dev, unsigned idx, uint64_t off, uint32_t val);
int udrv_write64(udrv_dev *dev, unsigned idx, uint64_t off, uint64_t val);

/*
 * Fast-path register access: the same checks as udrv_read*()/udrv_write*(),
 * inline, against a base and size cached in a small struct, so that for a
 * constant offset the compiler folds the alignment check and hoists the
 * bounds check out of loops (about the cost of a raw volatile pointer).
 *
 *     struct udrv_mmio m;
 *     if (udrv_mmio_get(dev, 0, &m) < 0) ...
 *     udrv_mmio_write32(&m, 0x60, 1);
 *
 * udrv_mmio_get - map region @idx if needed and fill @m with its first
 * register and size (the region as udrv_map()/udrv_map_info() describe it).
 * @m stays valid until udrv_close(). Returns 0, -EINVAL for a NULL argument,
 * -ERANGE for a bad index, or udrv_map()'s error as -errno.
 *
 * udrv_mmio_readN/writeN - access of exactly N bits at byte offset @off.
 * Returns 0, -ERANGE when [off, off+N/8) is not inside the region (checked
 * without overflow; nothing is touched; also for a zeroed struct), -EINVAL
 * when @off is misaligned or a pointer argument is NULL. Barriers as for
 * udrv_read*()/udrv_write*().
 */
struct udrv_mmio {
	volatile uint8_t *base; /* first register of the region */
	uint64_t size;          /* bytes: accesses are checked against it */
};

int udrv_mmio_get(udrv_dev *dev, unsigned idx, struct udrv_mmio *m);

/* Device-memory barriers: after a read, before a write (see lib/mmio.h). */
#if defined(__aarch64__)
#define udrv__rmb() __asm__ __volatile__("dmb oshld" ::: "memory")
#define udrv__wmb() __asm__ __volatile__("dmb oshst" ::: "memory")
#elif defined(__x86_64__) || defined(__i386__)
#define udrv__rmb() __asm__ __volatile__("" ::: "memory")
#define udrv__wmb() __asm__ __volatile__("" ::: "memory")
#else
#define udrv__rmb() __sync_synchronize()
#define udrv__wmb() __sync_synchronize()
#endif

#define UDRV__MMIO_RW(bits)                                                          \
	static inline int udrv_mmio_read##bits(const struct udrv_mmio *m, uint64_t off, \
					       uint##bits##_t *val)                   \
	{                                                                            \
		if (!m || !val)                                                      \
			return -EINVAL;                                              \
		if (m->size < (bits) / 8 || off > m->size - (bits) / 8)              \
			return -ERANGE;                                              \
		if (off & ((bits) / 8 - 1))                                          \
			return -EINVAL;                                              \
		*val = *(volatile uint##bits##_t *)(m->base + off);                   \
		udrv__rmb();                                                         \
		return 0;                                                            \
	}                                                                            \
	static inline int udrv_mmio_write##bits(const struct udrv_mmio *m, uint64_t off, \
						uint##bits##_t val)                  \
	{                                                                            \
		if (!m)                                                              \
			return -EINVAL;                                              \
		if (m->size < (bits) / 8 || off > m->size - (bits) / 8)              \
			return -ERANGE;                                              \
		if (off & ((bits) / 8 - 1))                                          \
			return -EINVAL;                                              \
		udrv__wmb();                                                         \
		*(volatile uint##bits##_t *)(m->base + off) = val;                    \
		return 0;                                                            \
	}
UDRV__MMIO_RW(8)
UDRV__MMIO_RW(16)
UDRV__MMIO_RW(32)
UDRV__MMIO_RW(64)
#undef UDRV__MMIO_RW

/*
 * udrv_irq_enable - (re-)arm the device's interrupt in the kernel driver.
 * uio_pdrv_genirq-style drivers: write(1) to the UIO fd. uio_pci_generic:
 * clears INTx-disable (command register bit 10) in PCI config space, writing
 * only the byte that holds it (offset 5). VFIO:
 * sets up MSI (or INTx) on first call, then unmasks INTx if that is in use.
 * Call it once before the first wait, and after each interrupt once the
 * device's own interrupt status has been acknowledged.
 * Returns 0, -ENOTSUP when the device has no interrupt, -ENODEV when it is
 * gone, -ECHILD in a process forked from the opener (see udrv_irq_wait),
 * -EACCES when re-arming needs a write the caller may not do (non-root on
 * uio_pci_generic's config space without a passed config fd), or -errno.
 */
int udrv_irq_enable(udrv_dev *dev);

/*
 * udrv_irq_wait - block until the next interrupt or @timeout_ms passes
 * (-1 = forever). Never busy-waits: poll() then read() of the event counter.
 * EINTR is handled (the wait resumes with the remaining time).
 * Returns 1 for an interrupt, 0 on timeout, or -errno. On 1, *count (may be
 * NULL) is the kernel's running event count; if it moved by more than one
 * since the last wait, the surplus is added to udrv_irq_missed().
 * Errors: -ENODEV the device went away (UIO: unregistered on unbind or
 * hot-unplug; VFIO: the kernel's device request, see udrv_release_fd):
 * close the handle promptly, the kernel's removal waits for it. Every later
 * wait answers -ENODEV too. -ENOTSUP no interrupt. -ECHILD the caller is a
 * process forked from the one that opened the device: the event counter is
 * shared, and reading it would take the parent's interrupt.
 */
int udrv_irq_wait(udrv_dev *dev, int timeout_ms, uint32_t *count);

/* udrv_irq_fd - an fd that polls readable when an interrupt is pending, or -EINVAL / -ENOTSUP.
 * On UIO it also polls POLLERR once the device is gone. */
int udrv_irq_fd(const udrv_dev *dev);

/*
 * udrv_release_fd - VFIO's device request eventfd (VFIO_PCI_REQ_IRQ_INDEX):
 * polls readable when the kernel asks for the device back (unbind,
 * hot-unplug); the removal blocks until every fd of the device is closed,
 * so an event loop polling its own fds should add this one and call
 * udrv_close() when it fires. udrv_irq_wait() polls it itself.
 * Returns the fd, -ENOTSUP (UIO, or a kernel/device without it), -EINVAL.
 */
int udrv_release_fd(const udrv_dev *dev);

/* udrv_irq_missed - total interrupts coalesced between waits since open. */
uint64_t udrv_irq_missed(const udrv_dev *dev);

/*
 * PCI configuration space (VFIO and uio_pci_generic devices).
 * Returns the byte count transferred, or -ENOTSUP on a non-PCI device,
 * -ERANGE outside config space, or -errno.
 */
int udrv_pci_cfg_read(udrv_dev *dev, uint64_t off, void *buf, size_t len);
int udrv_pci_cfg_write(udrv_dev *dev, uint64_t off, const void *buf, size_t len);

/*
 * PCI capability walker (PCI Local Bus Spec 3.0, 6.7; PCIe Base Spec 7.6
 * for extended capabilities), through udrv_pci_cfg_read(), so it works the
 * same over VFIO and uio_pci_generic.
 *
 * udrv_pci_find_cap - offset in config space of the first capability with
 * ID @cap_id (e.g. 0x10 PCI Express, 0x11 MSI-X, 0x05 MSI) after the one at
 * @start (0: from the list head at 0x34). Returns the offset (0x40..0xfc),
 * -ENOENT none (or no capability list), -ENOTSUP not a PCI device, -ELOOP a
 * looping list, -EINVAL NULL dev or a @start not on a capability, -errno.
 *
 * udrv_pci_find_ext_cap - the same for PCIe extended capabilities (at 0x100
 * and up, 16-bit IDs, e.g. 0x0001 AER): offset (0x100..0xffc), -ENOENT also
 * when config space is only 256 bytes (conventional PCI, or a sysfs config
 * file opened without privilege).
 */
int udrv_pci_find_cap(udrv_dev *dev, uint8_t cap_id, unsigned start);
int udrv_pci_find_ext_cap(udrv_dev *dev, uint16_t cap_id, unsigned start);

/*
 * udrv_pci_bar - map PCI BAR number @bar (0..5) and return its first byte,
 * its size in *@size (when @size is not NULL). The same BAR index on every
 * backend: VFIO maps region @bar (udrv_map(dev, bar)); uio_pci_generic,
 * whose UIO maps are only its exported memory BARs in order (none for 64-bit
 * or prefetchable ones on many kernels), maps the PCI sysfs file
 * /sys/bus/pci/devices/ADDR/resource<bar> instead, as DPDK does (needs
 * root or write access to that file). A 64-bit BAR is numbered by its low
 * half. Valid until udrv_close().
 * Returns NULL with errno: EINVAL NULL dev or @bar > 5, ENOENT no such BAR
 * (unimplemented, or the upper half of a 64-bit BAR), ENOTSUP an I/O port
 * BAR or a device that is not PCI (uio_pdrv_genirq), EACCES/EPERM opening
 * the resource file, or mmap()'s errno.
 */
volatile void *udrv_pci_bar(udrv_dev *dev, unsigned bar, size_t *size);

/*
 * Interrupt types and several vectors (VFIO). By default a VFIO device gets
 * one vector of MSI, else MSI-X, else INTx, on udrv_irq_fd(). A driver that
 * wants more chooses the type and vector count; each vector then has its
 * own eventfd. Vector 0 stays udrv_irq_fd() and udrv_irq_wait(), so the
 * single-interrupt API keeps working.
 */
enum udrv_irq_type {
	UDRV_IRQ_INTX = 1, /* legacy INTx (one vector, masked per interrupt) */
	UDRV_IRQ_MSI = 2,  /* MSI (VFIO: usually 1 vector) */
	UDRV_IRQ_MSIX = 3, /* MSI-X, up to the table size */
};

/*
 * udrv_irq_set_type - route vectors 0..@nvec-1 of interrupt @type to one
 * eventfd each (VFIO_DEVICE_SET_IRQS), replacing the current routing. For
 * MSI/MSI-X it also sets Bus Master Enable (an MSI is a memory write).
 * Returns 0, -EINVAL NULL dev, unknown type or @nvec 0, -ERANGE @nvec more
 * than the device has (udrv_irq_max_vectors()), -ENODEV the device lacks
 * that type, -ENOTSUP on UIO (its kernel drivers give one interrupt),
 * -EMFILE/-ENFILE out of fds, -ECHILD in a process forked from the opener
 * (the triggers are the parent's), -ENODEV also once the device is gone,
 * or the ioctl's -errno (e.g. -ENOSPC when the platform has no vectors left).
 */
int udrv_irq_set_type(udrv_dev *dev, enum udrv_irq_type type, unsigned nvec);

/* udrv_irq_max_vectors - how many vectors @type offers (0 none), -EINVAL, -ENOTSUP on UIO. */
int udrv_irq_max_vectors(udrv_dev *dev, enum udrv_irq_type type);

/* udrv_irq_vectors - vectors routed now (after udrv_irq_set_type; 1 before when there is an irq fd, else 0). */
unsigned udrv_irq_vectors(const udrv_dev *dev);

/*
 * udrv_irq_vector_fd - the eventfd of vector @vec: polls readable while an
 * interrupt of that vector is pending. Returns the fd, -EINVAL NULL dev,
 * -ERANGE @vec not routed, -ENOTSUP no interrupt at all.
 */
int udrv_irq_vector_fd(const udrv_dev *dev, unsigned vec);

/*
 * udrv_irq_wait_vector - udrv_irq_wait() for vector @vec: 1 with the
 * vector's running count in *@count (when not NULL), 0 on timeout, or
 * -EINVAL/-ERANGE/-ENOTSUP as udrv_irq_vector_fd(), -ECHILD and -ENODEV
 * as udrv_irq_wait(), or -errno. Vector 0 is exactly udrv_irq_wait().
 */
int udrv_irq_wait_vector(udrv_dev *dev, unsigned vec, int timeout_ms, uint32_t *count);

/* DMA through VFIO's IOMMU. */
struct udrv_dma {
	void *va;      /* the buffer, as the process sees it */
	uint64_t iova; /* the address the device uses */
	size_t size;   /* bytes, rounded up to the page size */
};

/*
 * udrv_dma_set_width - the device's DMA address width in bits (default 32;
 * QEMU's edu decodes 28). IOVAs are allocated below 2^bits.
 * Returns 0, -EINVAL for bits outside 12..64, -ENOTSUP on UIO.
 */
int udrv_dma_set_width(udrv_dev *dev, unsigned bits);

/*
 * udrv_dma_alloc - allocate @size bytes of zeroed, locked memory and map it
 * for the device (VFIO_IOMMU_MAP_DMA). Returns 0, -ENOTSUP on UIO,
 * -ENOMEM when the memlock limit (RLIMIT_MEMLOCK) or the IOVA space is too
 * small, -EINVAL for size 0, or -errno.
 */
int udrv_dma_alloc(udrv_dev *dev, size_t size, struct udrv_dma *out);

/* udrv_dma_free - unmap and free a buffer from udrv_dma_alloc(); NULL/empty is fine. */
void udrv_dma_free(udrv_dev *dev, struct udrv_dma *buf);

/*
 * Service-manager notification (the sd_notify protocol: $NOTIFY_SOCKET, a
 * datagram "KEY=VALUE\n..."), so a driver works under driver_supervisor and
 * systemd alike. When NOTIFY_SOCKET is unset they do nothing and return 0.
 * Return 0 or -errno.
 */
int udrv_notify(const char *state);          /* raw, e.g. "READY=1\nSTATUS=ok" */
int udrv_notify_ready(void);                 /* READY=1 */
int udrv_notify_watchdog(void);              /* WATCHDOG=1 */
int udrv_notify_status(const char *fmt, ...) /* STATUS=... */
	__attribute__((format(printf, 1, 2)));
int udrv_notify_stopping(void);              /* STOPPING=1 */
/* Watchdog period the manager wants, from $WATCHDOG_USEC (0 = none). */
uint64_t udrv_watchdog_usec(void);

/*
 * File descriptor store (sd_notify FDSTORE=1, as in systemd): the manager
 * keeps fds for the driver and passes them back at its next start, so state
 * held in them (a memfd, a socket, a device fd) outlives a crash. Under
 * driver_supervisor the store survives crashes and restarts and is dropped
 * when the driver is stopped, fails for good, or its unit is removed.
 *
 * udrv_notify_fdstore - hand @fd to the manager under @name (1-255 printable
 * characters, no ':'; NULL gives systemd's default "stored"). The caller
 * keeps its own @fd. An fd referring to an open file already stored is not
 * stored twice. Returns 0 (also when not under a manager: nothing is
 * stored), -EBADF for a bad fd, -EINVAL for a bad name, or -errno of the send.
 * The manager may still refuse it (its store full): it says so in its log.
 */
int udrv_notify_fdstore(int fd, const char *name);

/*
 * udrv_listen_fd - the fd the manager passed under @name: $LISTEN_FDNAMES
 * (names separated by ':') for the fds 3..3+$LISTEN_FDS-1, read only when
 * $LISTEN_PID is this process. A driver_supervisor Listen= socket is named
 * "listen"; a stored fd keeps the name it was stored under (the first of
 * equal names wins). The fd is made close-on-exec. Returns the fd (>= 3),
 * -ENOENT when there is none of that name (or no manager passed fds), or
 * -EINVAL for a NULL name.
 */
int udrv_listen_fd(const char *name);

/*
 * udrv_state_open - driver state that survives crashes and restarts: a
 * shared mapping of @size bytes backed by a memfd in the manager's fd store.
 * If the manager passed an fd named @name, that memory is mapped and
 * *restored (may be NULL) is true: it holds exactly what the last instance
 * wrote. Otherwise a new zeroed memfd (MFD_CLOEXEC) is created, stored with
 * udrv_notify_fdstore(fd, @name), mapped, and *restored is false. Not under
 * a manager this still works, as plain memory that ends with the process.
 * A restored memfd smaller than @size is grown (the new bytes read zero).
 * *mem is the mapping; release it with munmap(*mem, size). A passed fd
 * stays open (close-on-exec); a new one is closed once stored and mapped.
 *
 * What survives is every byte stored to the mapping, at the moment the
 * process died: a crash halfway through an update leaves that update half
 * done. Keep a version/sequence field (e.g. odd while an update is under
 * way, or a checksum) and check it after a restore. Stopping the driver by
 * hand (udrvctl stop) drops the store: the next start gets fresh state.
 *
 * Returns 0, -EINVAL (NULL @mem, size 0, bad @name), or -errno (memfd,
 * mmap, or the notify send).
 */
int udrv_state_open(const char *name, size_t size, void **mem, bool *restored);

/*
 * Transactional checkpoints: driver state that survives crashes, restarts
 * and upgrades, never torn.
 *
 *     c = udrv_ckpt_open("state", LAYOUT, sizeof(struct my_state));
 *     switch (udrv_ckpt_origin(c)) { ... }      fresh / restored / damaged
 *     struct my_state *st = udrv_ckpt_data(c);  the working copy
 *     st->count++;                              edit it freely...
 *     udrv_ckpt_commit(c);                      ...then commit: all or nothing
 *
 * The state lives in a memfd in the manager's fd store (as udrv_state_open)
 * as two checksummed, sequence-numbered copies; a commit writes the older
 * copy (one memcpy, a 64-bit hash, memory barriers; no fsync) and then
 * flips a 64-bit word. A crash at any instruction of a commit leaves the
 * previous or the new state, never a mix. A copy whose checksum fails (a
 * stray write into the memfd) is detected at the next open; the other copy
 * is used. Stopping the driver by hand (udrvctl stop) drops the fd store:
 * the next start is fresh.
 *
 * Tests: with UDRV_CKPT_CRASH_AT=N (or N:K) in the environment at open,
 * commit number K (default 1) of that handle raises SIGKILL after writing
 * byte N of the commit (its bytes: 8 state word, 24 header, the data, 8
 * checksum, 8 state word; a 64-bit word is never torn, as a real crash
 * cannot tear an aligned store). A commit with fewer bytes does not crash.
 */
typedef struct udrv_ckpt udrv_ckpt;

/* Largest checkpoint size. */
#define UDRV_CKPT_MAX (64u << 20)

/* What udrv_ckpt_open() found. */
enum udrv_ckpt_origin {
	UDRV_CKPT_FRESH = 0,    /* nothing stored (first start, or after stop) */
	UDRV_CKPT_RESTORED,     /* the last committed state */
	UDRV_CKPT_FALLBACK,     /* a copy was damaged (stray write): the other,
	                         * intact copy, which may be one commit older */
	UDRV_CKPT_DAMAGED,      /* state was stored but no copy is intact: zeroed */
	UDRV_CKPT_OTHER_LAYOUT, /* intact, but committed under another layout
	                         * version (udrv_ckpt_layout()): convert the data
	                         * and commit, or zero it yourself */
};

/*
 * udrv_ckpt_open - open checkpoint @name (fd store name, as udrv_state_open)
 * for state of @size bytes (1..UDRV_CKPT_MAX) and layout version @layout
 * (yours: change it when the meaning of the bytes changes). The working
 * copy (udrv_ckpt_data) holds the restored state, zero-extended to @size,
 * or zeros. A bigger @size than the stored state had is fine (the memfd
 * grows, crash-safely). NULL + errno: EINVAL (bad name or size), ENOMEM,
 * EBADFD (the fd under @name is not a memfd), or the errno of memfd/mmap/
 * the fd-store send.
 */
udrv_ckpt *udrv_ckpt_open(const char *name, uint32_t layout, size_t size);

/* udrv_ckpt_open_fd - the same on a memfd or file of your own (@fd is
 * duplicated; a new empty file is initialised). NULL + errno (EBADF...). */
udrv_ckpt *udrv_ckpt_open_fd(int fd, uint32_t layout, size_t size);

/* udrv_ckpt_origin - what the open found (see enum udrv_ckpt_origin). */
enum udrv_ckpt_origin udrv_ckpt_origin(const udrv_ckpt *c);
/* udrv_ckpt_origin_str - a short English text for a log line. */
const char *udrv_ckpt_origin_str(enum udrv_ckpt_origin o);
/* udrv_ckpt_damaged - damaged copies found at open (0..2); reported once. */
unsigned udrv_ckpt_damaged(const udrv_ckpt *c);
/* udrv_ckpt_layout - layout version of the restored state (the one given
 * to open when fresh; after a commit, that one). */
uint32_t udrv_ckpt_layout(const udrv_ckpt *c);
/* udrv_ckpt_len - bytes of the restored (or last committed) state. */
size_t udrv_ckpt_len(const udrv_ckpt *c);
/* udrv_ckpt_seq - commits so far, over all instances (0: none). */
uint64_t udrv_ckpt_seq(const udrv_ckpt *c);

/* udrv_ckpt_data - the working copy (private memory, at least @size bytes,
 * 64-byte aligned is not promised: use memcpy or aligned structs). */
void *udrv_ckpt_data(udrv_ckpt *c);

/*
 * udrv_ckpt_commit - make the working copy the stored state, atomically
 * (with the layout version given to open). udrv_ckpt_commit_len commits
 * only the first @len bytes (a later open zero-extends). 0, or -EINVAL
 * (NULL, @len 0 or past @size).
 */
int udrv_ckpt_commit(udrv_ckpt *c);
int udrv_ckpt_commit_len(udrv_ckpt *c, size_t len);

/* udrv_ckpt_verify - check the stored current copy against its checksum
 * now: 0, or -EBADMSG (a stray write hit it since the commit). */
int udrv_ckpt_verify(const udrv_ckpt *c);

/* udrv_ckpt_revert - throw away uncommitted edits: the working copy becomes
 * the last committed state again (zeros when nothing was committed). 0, or
 * -EINVAL for NULL. */
int udrv_ckpt_revert(udrv_ckpt *c);

/* udrv_ckpt_close - free the handle (the stored state stays). NULL is fine. */
void udrv_ckpt_close(udrv_ckpt *c);

/*
 * Driver operations over IPC (a unit with IPC=yes under driver_supervisor).
 *
 * The supervisor holds a SOCK_SEQPACKET socket $UDRV_RUNTIME_DIR/NAME.sock
 * (default /run/udrv) across crashes, restarts and upgrades. A client calls
 * named operations on it; a call that a driver crash interrupts is resent
 * by the library (same client id and sequence) to the next instance, which
 * answers it exactly once: see UDRV_OP_* below and docs/ARCHITECTURE.md.
 *
 * Client. A handle does one call at a time: from several threads, give
 * each its own handle or serialise the calls. A handle must not be used in
 * a child after fork().
 */
typedef struct udrv_client udrv_client;

/* Operation names: 1..UDRV_IPC_OP_MAX characters of [A-Za-z0-9_.-]. */
#define UDRV_IPC_OP_MAX 32
/* Largest request or reply payload, in bytes. */
#define UDRV_IPC_MSG_MAX 65536u

/*
 * udrv_client_connect - connect to driver unit @driver: its socket
 * $UDRV_RUNTIME_DIR/@driver.sock (default /run/udrv); a @driver containing
 * '/' is the socket's path. NULL + errno: EINVAL (bad name), ENAMETOOLONG,
 * ENOENT (no such socket: no unit with IPC=yes of that name), ECONNREFUSED
 * (nobody holds it), EACCES (IPCMode=/IPCGroup= do not let you in), ENOMEM.
 */
udrv_client *udrv_client_connect(const char *driver);

/*
 * udrv_client_call - call operation @op with @req_len bytes of @req and
 * wait for the reply, at most @timeout_ms for the whole call, reconnects and
 * resends included (< 0: no limit). The reply's payload goes to @resp
 * (@resp_cap bytes). If the connection breaks (the driver died, was
 * restarted or upgraded), the library reconnects and resends the same
 * request (same client id and sequence) until the deadline: a state or
 * device operation is carried out once, whatever the number of sends.
 *
 * Returns the reply length (>= 0), or:
 *   -EINVAL          bad arguments (NULL, bad @op name, @resp NULL with a cap)
 *   -E2BIG           @req_len > UDRV_IPC_MSG_MAX (or than the driver takes)
 *   -EOPNOTSUPP      the driver has no operation @op
 *   -EMSGSIZE        the reply does not fit @resp_cap (never truncated): a
 *                    state operation was then not carried out (the driver
 *                    checks the size before it commits); a pure one may have
 *                    been; a device one was (its reply is lost)
 *   -EREMOTEIO       the driver's handler failed: udrv_client_errno() says how
 *   -ENOTRECOVERABLE outcome unknown: the driver died during a device
 *                    operation and could not tell whether it took effect
 *   -ETIMEDOUT       no reply within @timeout_ms (it may still be carried out)
 *   -EBADMSG         the driver refused the message as malformed
 *   -ESTALE          the driver has answered a later call of this client
 *   -EPROTO          the reply was malformed (the connection is dropped)
 *   -EACCES, -ENOMEM, or another -errno of the socket calls
 */
int udrv_client_call(udrv_client *c, const char *op, const void *req, size_t req_len,
		     void *resp, size_t resp_cap, int timeout_ms);

/* udrv_client_errno - the driver-side errno of the last call that returned
 * -EREMOTEIO (positive; 0 otherwise). */
int udrv_client_errno(const udrv_client *c);

/* udrv_client_resends - requests resent by this handle so far (after a
 * broken connection): how many crashes its calls went through. */
uint64_t udrv_client_resends(const udrv_client *c);

/* udrv_client_close - close the connection and free @c. NULL is fine. */
void udrv_client_close(udrv_client *c);

/*
 * Server (in the driver). One pollable fd, one dispatch call: put
 * udrv_server_fd() beside the interrupt fd in the driver's poll loop and
 * call udrv_server_dispatch(s, 0) when it is readable.
 *
 * Operations have one of three kinds; the kind says what a resent request
 * (its first send was cut short by a crash) gets:
 *   UDRV_OP_PURE    no effect: it simply runs again;
 *   UDRV_OP_STATE   the effect lives in the server's state (udrv_server_state,
 *                   a transactional checkpoint): the state change and the
 *                   reply are committed together, so a resent request is
 *                   answered from the record and never runs twice; a handler
 *                   that fails has its state changes reverted;
 *   UDRV_OP_DEVICE  the effect lives in the hardware: an intent record (the
 *                   request) is committed before the handler runs. If the
 *                   driver dies before the reply is committed, the next
 *                   instance calls the op's @recover hook (udrv_server_recover):
 *                   it returns the reply length (it took effect, e.g. read
 *                   back from the device), -EAGAIN (it did not: the resent
 *                   request runs), or another -errno (cannot tell: the client
 *                   gets -ENOTRECOVERABLE). No hook: -ENOTRECOVERABLE.
 * Replies of state and device operations are kept per client in the
 * checkpoint, UDRV_SERVER_CLIENTS clients (least recently used evicted),
 * at most UDRV_SERVER_REPLY_MAX bytes each; a device operation's request is
 * at most UDRV_SERVER_INTENT_MAX bytes. A resent request from a client
 * whose record was evicted gets -ENOTRECOVERABLE, never a second run.
 */
typedef struct udrv_server udrv_server;

#define UDRV_SERVER_CLIENTS 32
#define UDRV_SERVER_REPLY_MAX 256u
#define UDRV_SERVER_INTENT_MAX 256u

enum udrv_op_kind { UDRV_OP_PURE = 0, UDRV_OP_STATE, UDRV_OP_DEVICE };

/* One call, as a handler sees it. */
struct udrv_call {
	const char *op;
	const void *req;   /* request payload */
	size_t req_len;
	void *resp;        /* write the reply here... */
	size_t resp_cap;   /* ...at most this many bytes */
	void *state;       /* udrv_server_state(): edit it in STATE/DEVICE ops */
	uint64_t client;   /* the client handle's id */
	uint64_t seq;      /* its call sequence */
	bool resent;       /* the client sent this before (a crash came between) */
	int pid, uid, gid; /* the caller, as the kernel saw it connect (SO_PEERCRED) */
};

/* A handler returns the reply length (0..resp_cap) or -errno (the client
 * gets -EREMOTEIO and the errno from udrv_client_errno). */
typedef int (*udrv_op_fn)(void *arg, const struct udrv_call *call);

/*
 * udrv_server_open - the server of a supervised driver: the socket passed
 * as fd "ipc" (IPC=yes) and a checkpoint "udrv-ipc" in the fd store holding
 * the reply records and @state_size bytes of driver state (0: none) of
 * layout version @layout (as udrv_ckpt_open). NULL + errno: ENOENT (no fd
 * "ipc": the unit lacks IPC=yes, or not under a manager), EINVAL, ENOMEM,
 * or the errno of the checkpoint.
 */
udrv_server *udrv_server_open(uint32_t layout, size_t state_size);

/* udrv_server_open_fd - the same on a listening socket of your own
 * (SOCK_SEQPACKET; @listen_fd is duplicated) and a checkpoint memfd or file
 * @ckpt_fd (duplicated; -1: a private one, the state ends with the process). */
udrv_server *udrv_server_open_fd(int listen_fd, int ckpt_fd, uint32_t layout, size_t state_size);

/* udrv_server_add_op - register operation @op (see udrv_client_call for
 * names) of @kind with handler @fn, @arg passed to it; @recover only for
 * UDRV_OP_DEVICE (may be NULL). 0, -EINVAL, -EEXIST (already registered),
 * -ENOMEM. Register every op before the first dispatch. */
int udrv_server_add_op(udrv_server *s, const char *op, enum udrv_op_kind kind,
		       udrv_op_fn fn, udrv_op_fn recover, void *arg);

/* udrv_server_origin - what the checkpoint held at open (fresh, restored...). */
enum udrv_ckpt_origin udrv_server_origin(const udrv_server *s);

/* udrv_server_state - the driver state's working copy (@state_size bytes,
 * 8-byte aligned), NULL when @state_size was 0. */
void *udrv_server_state(udrv_server *s);

/* udrv_server_commit - commit changes made to the state outside a call
 * (a tick count, a setting): 0 or -errno. */
int udrv_server_commit(udrv_server *s);

/* udrv_server_recover - settle the device operations a previous instance
 * left in flight (their @recover hooks), committing the outcome. Call it
 * after the ops are registered and before anything else touches the device;
 * the first dispatch calls it otherwise. Returns how many were settled, or
 * -errno. */
int udrv_server_recover(udrv_server *s);

/* udrv_server_fd - the fd to poll for POLLIN (an epoll fd). */
int udrv_server_fd(const udrv_server *s);

/*
 * udrv_server_dispatch - accept clients and answer the requests that are
 * ready, waiting at most @timeout_ms for one (0: do not wait, < 0: forever).
 * Malformed, truncated or oversized messages get an error reply where one
 * can be sent and their connection is closed; other clients are served on.
 * Returns the number of requests answered (>= 0), -EINTR (a signal: check
 * your stop flag), or -errno.
 */
int udrv_server_dispatch(udrv_server *s, int timeout_ms);

/* Counters since open. */
struct udrv_server_stats {
	uint64_t calls;     /* requests carried out (handler ran) */
	uint64_t replayed;  /* resent requests answered from the record */
	uint64_t recovered; /* device intents settled by udrv_server_recover */
	uint64_t refused;   /* malformed/oversized messages (connection closed) */
	uint64_t failed;    /* handler errors */
	uint64_t clients;   /* connections accepted */
};
void udrv_server_stats(const udrv_server *s, struct udrv_server_stats *st);

/* udrv_server_close - close every connection and free @s (the checkpoint and
 * the supervisor's socket stay). NULL is fine. */
void udrv_server_close(udrv_server *s);

/* Discovery: one UIO device as found in sysfs. */
struct udrv_uio_info {
	unsigned index;           /* N of uioN */
	char name[UDRV_NAME_MAX]; /* `name` attribute */
	char version[UDRV_NAME_MAX];
	char devnode[128];        /* from dev major:minor */
	uint32_t event;           /* event count at scan time */
	unsigned nmaps;
	struct udrv_map_info maps[8];
	unsigned nports;          /* portio regions (listed, not mapped) */
};

/*
 * udrv_uio_scan - call @cb for every UIO device, in index order.
 * Returns the number of devices seen (>= 0), or -errno; a non-zero return
 * from @cb stops the scan and is returned.
 */
int udrv_uio_scan(int (*cb)(const struct udrv_uio_info *info, void *arg), void *arg);

/* udrv_strerror-like help for CLIs: a short word for the backend ("uio", "vfio"). */
const char *udrv_backend(const udrv_dev *dev);

#ifdef __cplusplus
}
#endif
#endif /* UDRV_H */
