/* SPDX-License-Identifier: MIT */
/*
 * vfio_edu.c - guest test of the VFIO backend against QEMU's edu device on
 * board "pc" with the emulated Intel IOMMU:
 *
 *   vm/run --board pc --bind vfio --put build/tests/guest/vfio_edu -- /bin/vfio_edu [PART...]
 *   vm/run --board pc --bind uio  --put build/tests/guest/vfio_edu -- /bin/vfio_edu uio
 *
 * PART is one of open, dma, msi, fault, busy, memlock, close, crash (default: all
 * of them, in that order) or uio (the device bound to uio_pci_generic: the
 * DMA calls must answer -ENOTSUP). One line per check; exit status 0 when
 * every check passed, 1 otherwise, 77 when no edu device is present.
 * Lines starting with "# bench:" are measured figures, not checks.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/pci_regs.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edu_dma.h"
#include "registers.h"
#include "udrv.h"
#include "vfio_check.h"

static char addr[32];  /* "0000:00:03.0" */
static char spec[40];  /* "pci:0000:00:03.0" */

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static udrv_dev *open_edu(void)
{
	udrv_dev *dev = udrv_open(spec);

	if (!CHECK(dev != NULL, "udrv_open(%s)%s%s", spec, dev ? "" : ": ",
		   dev ? "" : strerror(errno)))
		return NULL;
	return dev;
}

/* PCI command register through the backend's config-space access. */
static int read_command(udrv_dev *dev, uint16_t *cmd)
{
	int r = udrv_pci_cfg_read(dev, PCI_COMMAND, cmd, sizeof(*cmd));

	return r == (int)sizeof(*cmd) ? 0 : (r < 0 ? r : -EIO);
}

/* ---- open: regions, registers, config space ---------------------------- */

static void part_open(void)
{
	struct udrv_map_info mi;
	uint32_t ident = 0, live = 0, ids = 0;
	uint8_t b;
	udrv_dev *dev = open_edu();
	int r;

	if (!dev)
		return;
	CHECK(strcmp(udrv_backend(dev), "vfio") == 0, "backend is vfio (got %s)", udrv_backend(dev));
	CHECK(strcmp(udrv_name(dev), addr) == 0, "name is the PCI address (%s)", udrv_name(dev));
	CHECK(udrv_map_count(dev) == 1, "one BAR region (edu has BAR0 only): %d", udrv_map_count(dev));
	/* Operations first, then CHECK: its arguments have no evaluation order. */
	memset(&mi, 0, sizeof(mi));
	r = udrv_map_info(dev, 0, &mi);
	CHECK(r == 0 && strcmp(mi.name, "BAR0") == 0 &&
	      mi.size == 1u << 20 && mi.addr != 0,
	      "BAR0 is 1 MiB at a physical address (name %s size %#llx addr %#llx)",
	      mi.name, (unsigned long long)mi.size, (unsigned long long)mi.addr);
	CHECK(udrv_map(dev, 0) != NULL, "BAR0 mmaps through the VFIO region offset");
	r = udrv_read32(dev, 0, EDU_IDENT, &ident);
	CHECK(r == 0 && (ident & EDU_IDENT_MASK) == EDU_IDENT_MAGIC, "ident register 0x%08x", ident);
	r = udrv_write32(dev, 0, EDU_LIVENESS, 0x12345678);
	if (r == 0)
		r = udrv_read32(dev, 0, EDU_LIVENESS, &live);
	CHECK(r == 0 && live == ~0x12345678u, "liveness returns the complement (0x%08x)", live);
	CHECK(udrv_read32(dev, 0, 1u << 20, &live) == -ERANGE, "read past BAR0 is -ERANGE");
	CHECK(udrv_read32(dev, 1, 0, &live) == -ERANGE, "read of a missing BAR is -ERANGE");
	r = udrv_pci_cfg_read(dev, 0, &ids, 4);
	CHECK(r == 4 && ids == 0x11e81234,
	      "config space vendor:device 0x%08x", ids);
	CHECK(udrv_pci_cfg_read(dev, 256, &b, 1) == -ERANGE ||
	      udrv_pci_cfg_read(dev, 4096, &b, 1) == -ERANGE, "config read past its end is -ERANGE");
	CHECK(udrv_irq_fd(dev) >= 0, "irq fd exists before enable (%d)", udrv_irq_fd(dev));
	CHECK(udrv_dma_set_width(dev, 11) == -EINVAL && udrv_dma_set_width(dev, 65) == -EINVAL,
	      "dma width outside 12..64 is -EINVAL");
	udrv_close(dev);
}

/* ---- dma: round trips host -> edu -> host ------------------------------ */

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

static void part_dma(void)
{
	static const uint32_t sizes[] = { 1, 2, 3, 4, 7, 8, 15, 16, 31, 64, 100, 255, 256,
					  511, 512, 1000, 1024, 2047, 2048, 3000, 4094,
					  EDU_DMA_MAX_LEN };
	struct udrv_dma src = { 0 }, dst = { 0 }, big = { 0 };
	unsigned ok_trips = 0, ntrips = 0;
	double t0, t_total = 0;
	uint64_t bytes = 0;
	uint16_t cmd = 0;
	udrv_dev *dev = open_edu();
	int r;

	if (!dev)
		return;
	CHECK(udrv_dma_alloc(dev, 0, &src) == -EINVAL, "dma_alloc of 0 bytes is -EINVAL");
	CHECK(udrv_dma_set_width(dev, EDU_DMA_ADDR_BITS) == 0, "dma width 28 (edu decodes 28 bits)");
	r = udrv_dma_alloc(dev, EDU_DMA_BUF_SIZE, &src);
	CHECK(r == 0 && src.va && src.size == EDU_DMA_BUF_SIZE,
	      "dma_alloc 4096: %d va %p iova %#llx size %zu", r, src.va,
	      (unsigned long long)src.iova, src.size);
	r = udrv_dma_alloc(dev, 100, &dst);
	CHECK(r == 0 && dst.size >= EDU_DMA_BUF_SIZE, "dma_alloc 100 rounds up to a page (%zu)", dst.size);
	if (!src.va || !dst.va)
		goto out;
	CHECK(src.iova + src.size <= 1u << 28 && dst.iova + dst.size <= 1u << 28 &&
	      (src.iova + src.size <= dst.iova || dst.iova + dst.size <= src.iova),
	      "IOVAs below 2^28 and disjoint (%#llx, %#llx)",
	      (unsigned long long)src.iova, (unsigned long long)dst.iova);
	CHECK(((uint8_t *)src.va)[0] == 0 && ((uint8_t *)src.va)[4095] == 0, "DMA memory starts zeroed");
	r = read_command(dev, &cmd);
	CHECK(r == 0 && (cmd & PCI_COMMAND_MASTER),
	      "bus mastering on once DMA memory exists (command 0x%04x)", cmd);
	/* A 2^28-bit device cannot have memory above its reach. */
	r = udrv_dma_alloc(dev, 1u << 28, &big);
	CHECK(r == -ENOMEM, "dma_alloc of 256 MiB with a 28-bit width is -ENOMEM (%d)", r);
	if (r == 0)
		udrv_dma_free(dev, &big);

	CHECK(udrv_irq_enable(dev) == 0, "irq enable (completion interrupt of DMA)");
	/* Ranges that would make QEMU abort are refused before the device sees them. */
	CHECK(edu_dma_start(dev, src.iova, 0, EDU_DMA_BUF_SIZE, false, true) == -ERANGE,
	      "4096-byte transfer refused (edu's off-by-one would abort QEMU)");
	CHECK(edu_dma_start(dev, src.iova, 0, 0, false, true) == -ERANGE, "0-byte transfer refused");
	CHECK(edu_dma_start(dev, src.iova, 4000, 100, false, true) == -ERANGE,
	      "transfer past the device buffer refused");
	CHECK(edu_dma_start(dev, 1u << 28, 0, 16, false, true) == -ERANGE,
	      "IOVA at 2^28 refused (the device would mask it)");

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t n = sizes[i];
		/* Vary the device-side offset too: the buffer's top byte counts. */
		uint32_t off = (i % 3 == 1) ? EDU_DMA_MAX_LEN - n : (i % 3 == 2 ? (n < 2000 ? 7 : 0) : 0);
		uint8_t *s = src.va, *d = dst.va;
		bool ok;

		fill(s, src.size, i + 1);
		memset(d, 0xa5, dst.size);
		t0 = now_us();
		r = edu_dma_copy(dev, &src, 0, off, n, false, 2000);
		if (r == 0)
			r = edu_dma_copy(dev, &dst, 0, off, n, true, 2000);
		t_total += now_us() - t0;
		bytes += 2ull * n;
		ok = r == 0 && memcmp(s, d, n) == 0;
		/* Nothing beyond the transfer was written. */
		for (size_t j = n; ok && j < dst.size; j++)
			ok = d[j] == 0xa5;
		ntrips++;
		ok_trips += ok;
		CHECK(ok, "round trip %u bytes at device offset %u: %s", n, off,
		      r ? strerror(-r) : (ok ? "data intact" : "data differs"));
	}
	CHECK(ok_trips == ntrips, "all %u round trips intact", ntrips);
	printf("# bench: dma %u round trips, %llu bytes moved in %.0f ms = %.1f KiB/s "
	       "(edu completes each transfer on a 100 ms virtual-clock timer)\n",
	       ntrips, (unsigned long long)bytes, t_total / 1000, bytes / 1024.0 / (t_total / 1e6));

	/* Completion by polling instead of interrupt, for the figure. */
	t0 = now_us();
	r = edu_dma_start(dev, src.iova, 0, EDU_DMA_MAX_LEN, false, false);
	if (r == 0)
		r = edu_dma_wait_poll(dev, 2000);
	CHECK(r == 0, "DMA completion by polling the start bit");
	printf("# bench: one %u-byte transfer, polled: %.1f ms\n", EDU_DMA_MAX_LEN, (now_us() - t0) / 1000);

	udrv_dma_free(dev, &dst);
	CHECK(dst.va == NULL && dst.size == 0, "dma_free clears the descriptor");
	udrv_dma_free(dev, &dst); /* twice: harmless */
out:
	udrv_dma_free(dev, &src);
	udrv_close(dev);
}

/* ---- msi: bursts of 1, 10, 100 delivered exactly ----------------------- */

/*
 * Is MSI enabled in the device's capability list (cap ID 0x05, Message
 * Control bit 0)? Read from sysfs, i.e. the real config space: VFIO's
 * config region shows the MSI capability as its user last wrote it.
 */
static bool msi_enabled(void)
{
	uint8_t cfg[256];
	char path[128];
	unsigned pos, guard = 48;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", addr);
	f = fopen(path, "rb");
	if (!f)
		return false;
	n = fread(cfg, 1, sizeof(cfg), f);
	fclose(f);
	if (n < 64)
		return false;
	for (pos = cfg[PCI_CAPABILITY_LIST]; pos >= 0x40 && pos + 4 <= n && guard--; pos = cfg[pos + 1])
		if (cfg[pos] == PCI_CAP_ID_MSI)
			return cfg[pos + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_ENABLE;
	return false;
}

static void part_msi(void)
{
	static const unsigned bursts[] = { 1, 10, 100 };
	double lat[100];
	udrv_dev *dev = open_edu();
	uint32_t count = 0, last = 0, status;
	uint16_t cmd = 0;
	int r;

	if (!dev)
		return;
	CHECK(udrv_irq_wait(dev, 0, NULL) == 0, "no interrupt pending before enable");
	CHECK(udrv_irq_enable(dev) == 0, "irq enable");
	CHECK(udrv_pci_cfg_read(dev, PCI_COMMAND, &cmd, 2) == 2 && (cmd & PCI_COMMAND_MASTER),
	      "bus mastering on for MSI (an MSI is a DMA write)");
	CHECK(msi_enabled(), "MSI is the interrupt in use (MSI capability enabled)");

	/* One at a time: raise, wait, acknowledge, re-arm; timing each. */
	for (size_t b = 0; b < 3; b++) {
		unsigned n = bursts[b], got = 0;
		bool steps_ok = true;

		for (unsigned i = 0; i < n; i++) {
			double t0 = now_us();

			if (udrv_write32(dev, 0, EDU_IRQ_RAISE, 0x1) != 0)
				break;
			r = udrv_irq_wait(dev, 1000, &count);
			lat[i] = now_us() - t0;
			if (r != 1)
				break;
			got++;
			steps_ok &= count == last + 1;
			last = count;
			udrv_read32(dev, 0, EDU_IRQ_STATUS, &status);
			steps_ok &= (status & 0x1) != 0;
			udrv_write32(dev, 0, EDU_IRQ_ACK, status);
			udrv_irq_enable(dev);
		}
		r = udrv_irq_wait(dev, 100, NULL);
		CHECK(got == n && steps_ok && r == 0,
		      "burst of %u one by one: %u delivered, count +1 each: %s, none extra: %s",
		      n, got, steps_ok ? "yes" : "no", r == 0 ? "yes" : "no");
		if (n == 100 && got == n) {
			qsort(lat, n, sizeof(lat[0]), cmp_double);
			printf("# bench: MSI round trip (raise register write -> udrv_irq_wait returns), "
			       "100 samples: min %.0f us, median %.0f us, p90 %.0f us, max %.0f us\n",
			       lat[0], lat[49], lat[89], lat[99]);
		}
	}
	CHECK(udrv_irq_missed(dev) == 0, "no interrupt coalesced so far");

	/* Back to back: n raises without waiting; the eventfd must count n exactly. */
	for (size_t b = 0; b < 3; b++) {
		unsigned n = bursts[b], sum = 0;
		uint32_t start = last;

		for (unsigned i = 0; i < n; i++)
			udrv_write32(dev, 0, EDU_IRQ_RAISE, 0x1);
		while (sum < n && udrv_irq_wait(dev, 1000, &count) == 1)
			sum = count - start;
		last = count;
		r = udrv_irq_wait(dev, 100, NULL);
		CHECK(sum == n && r == 0, "burst of %u back to back: %u counted, none extra: %s",
		      n, sum, r == 0 ? "yes" : "no");
		udrv_write32(dev, 0, EDU_IRQ_ACK, 0x1);
	}
	CHECK(udrv_irq_wait(dev, 50, NULL) == 0, "timeout path: 0 after 50 ms of silence");
	udrv_close(dev);
}

/* ---- fault: DMA to an IOVA never mapped -------------------------------- */

/* How many times the kernel log mentions "fault addr 0x<iova>". */
static int count_dmar_faults(uint64_t iova)
{
	char needle[64];
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), n = 0;
	char *buf, *p;

	if (len <= 0)
		return -1;
	buf = malloc((size_t)len + 1);
	if (!buf)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len < 0) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	snprintf(needle, sizeof(needle), "fault addr 0x%llx", (unsigned long long)iova);
	for (p = buf; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(buf);
	return n;
}

static void part_fault(void)
{
	/* Far from anything the allocator hands out (it fills from 0x1000 up). */
	const uint64_t stray = 0x0ff00000;
	struct udrv_dma a = { 0 }, b = { 0 };
	uint32_t ident = 0;
	int before, after = 0, r;
	udrv_dev *dev = open_edu();

	if (!dev)
		return;
	udrv_dma_set_width(dev, EDU_DMA_ADDR_BITS);
	if (!CHECK(udrv_dma_alloc(dev, 4096, &a) == 0 && udrv_dma_alloc(dev, 4096, &b) == 0,
		   "two DMA buffers"))
		goto out;
	CHECK(stray < a.iova || stray >= a.iova + a.size, "stray IOVA %#llx is not mapped",
	      (unsigned long long)stray);
	udrv_irq_enable(dev);
	/* Device buffer <- a known pattern; b holds a sentinel. */
	fill(a.va, a.size, 99);
	memset(b.va, 0x3c, b.size);
	CHECK(edu_dma_copy(dev, &a, 0, 0, EDU_DMA_MAX_LEN, false, 2000) == 0, "device buffer loaded");
	before = count_dmar_faults(stray);
	CHECK(before >= 0, "kernel log readable (klogctl)");

	r = edu_dma_start(dev, stray, 0, EDU_DMA_MAX_LEN, true, true);
	CHECK(r == 0, "DMA device -> unmapped IOVA %#llx started", (unsigned long long)stray);
	r = edu_dma_wait_irq(dev, 2000);
	CHECK(r == 0, "the device completes (its write went nowhere): %s", r ? strerror(-r) : "ok");
	/* The DMAR fault is logged from the IOMMU's fault interrupt: allow a moment. */
	for (int i = 0; i < 40 && (after = count_dmar_faults(stray)) <= before; i++)
		usleep(50000);
	CHECK(after > before, "IOMMU fault logged (\"DMAR: ... fault addr 0x%llx\" %d -> %d)",
	      (unsigned long long)stray, before, after);
	{
		uint8_t ref[4096];
		uint8_t *pb = b.va;
		bool clean = true;

		fill(ref, sizeof(ref), 99);
		clean = memcmp(a.va, ref, a.size) == 0;
		for (size_t i = 0; clean && i < b.size; i++)
			clean = pb[i] == 0x3c;
		CHECK(clean, "mapped buffers untouched by the stray DMA");
	}
	r = udrv_read32(dev, 0, EDU_IDENT, &ident);
	CHECK(r == 0 && (ident & EDU_IDENT_MASK) == EDU_IDENT_MAGIC,
	      "device still answers (ident 0x%08x)", ident);
	memset(b.va, 0, b.size);
	r = edu_dma_copy(dev, &b, 0, 0, EDU_DMA_MAX_LEN, true, 2000);
	CHECK(r == 0 && memcmp(a.va, b.va, EDU_DMA_MAX_LEN) == 0,
	      "a mapped DMA still works afterwards, device buffer intact");
out:
	udrv_dma_free(dev, &a);
	udrv_dma_free(dev, &b);
	udrv_close(dev);
}

/* ---- busy: a second opener gets EBUSY ---------------------------------- */

static void part_busy(void)
{
	udrv_dev *dev = open_edu(), *again;
	int status = -1;
	pid_t pid;

	if (!dev)
		return;
	again = udrv_open(spec);
	CHECK(again == NULL && errno == EBUSY, "second open in the same process: %s",
	      again ? "succeeded" : strerror(errno));
	udrv_close(again);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		udrv_dev *d = udrv_open(spec);

		if (d)
			_exit(2);
		/* What a driver prints for its user: names device, group and cause. */
		printf("# child: cannot open %s: %s (its VFIO group is held by another process)\n",
		       spec, strerror(errno));
		_exit(errno == EBUSY ? 0 : 1);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	CHECK(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "second process gets EBUSY while the first holds the device");
	udrv_close(dev);
	/* Released on close: a new process may open it now. */
	pid = fork();
	if (pid == 0) {
		udrv_dev *d = udrv_open(spec);

		_exit(d ? (udrv_close(d), 0) : 1);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	CHECK(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "after close another process opens it");
}

/* ---- memlock: RLIMIT_MEMLOCK without CAP_IPC_LOCK gives -ENOMEM --------- */

static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	d[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
	return (int)syscall(SYS_capset, &h, d);
}

static void part_memlock(void)
{
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 64 << 10, 64 << 10 };
		struct udrv_dma x = { 0 }, y = { 0 };
		udrv_dev *d;
		int r1, r2;

		if (drop_ipc_lock() < 0 || setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
			_exit(3);
		d = udrv_open(spec);
		if (!d)
			_exit(4);
		r1 = udrv_dma_alloc(d, 32 << 10, &x);
		r2 = udrv_dma_alloc(d, 64 << 10, &y);
		printf("# child: memlock 64 KiB, no CAP_IPC_LOCK: 32 KiB -> %d, then 64 KiB -> %d (%s)\n",
		       r1, r2, strerror(-r2));
		udrv_close(d);
		_exit(r1 == 0 && r2 == -ENOMEM ? 0 : 1);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	CHECK(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "DMA beyond RLIMIT_MEMLOCK is -ENOMEM, within it works (child status %d)",
	      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* ---- close: bus mastering off, DMA unmapped, device reusable ----------- */

static void part_close(void)
{
	char path[128];
	struct udrv_dma a = { 0 };
	uint16_t cmd = 0xffff;
	udrv_dev *dev = open_edu();
	FILE *f;
	int r;

	if (!dev)
		return;
	udrv_dma_alloc(dev, 4096, &a);
	r = read_command(dev, &cmd);
	CHECK(r == 0 && (cmd & PCI_COMMAND_MASTER), "bus master on with DMA mapped (command 0x%04x)", cmd);
	/* Leave the buffer allocated: close must release it. */
	udrv_close(dev);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", addr);
	f = fopen(path, "rb");
	cmd = 0xffff;
	if (f) {
		if (fseek(f, PCI_COMMAND, SEEK_SET) != 0 || fread(&cmd, 2, 1, f) != 1)
			cmd = 0xffff;
		fclose(f);
	}
	CHECK(!(cmd & PCI_COMMAND_MASTER), "after close bus mastering is off (command 0x%04x)", cmd);
	dev = open_edu();
	if (dev) {
		struct udrv_dma b = { 0 };

		CHECK(udrv_dma_alloc(dev, 4096, &b) == 0, "reopen and map DMA again");
		udrv_close(dev);
	}
}

/* ---- crash: a driver killed mid-DMA, then a new one starts clean ------- */

static void part_crash(void)
{
	struct udrv_dma buf = { 0 };
	int pfd[2], status = -1, busy, r;
	uint16_t cmd = 0xffff;
	char c = 0;
	double t0;
	udrv_dev *dev;
	pid_t pid;

	if (pipe(pfd) < 0)
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* The doomed driver: device -> host transfer into its buffer, then dies. */
		struct udrv_dma b = { 0 };
		udrv_dev *d = udrv_open(spec);

		close(pfd[0]);
		if (!d || udrv_dma_set_width(d, EDU_DMA_ADDR_BITS) || udrv_dma_alloc(d, 4096, &b) ||
		    edu_dma_start(d, b.iova, 0, EDU_DMA_MAX_LEN, true, false))
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	r = pid > 0 ? (int)read(pfd[0], &c, 1) : -1;
	close(pfd[0]);
	/* The edu transfer takes 100 ms: it is still in flight when the kill lands. */
	if (pid > 0)
		kill(pid, SIGKILL);
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (!CHECK(r == 1 && WIFSIGNALED(status), "driver killed with a DMA in flight"))
		return;

	t0 = now_us();
	dev = open_edu();
	if (!dev)
		return;
	printf("# bench: reopen after the crash: %.1f ms\n", (now_us() - t0) / 1000);
	r = read_command(dev, &cmd);
	CHECK(r == 0 && !(cmd & PCI_COMMAND_MASTER),
	      "new instance starts with bus mastering off (command 0x%04x)", cmd);
	busy = edu_dma_busy(dev);
	printf("# engine %s at reopen\n", busy == 1 ? "still busy" : "idle");
	/* edu has no reset (VFIO_DEVICE_RESET: EINVAL): let its engine finish
	 * into nowhere before mapping anything at the IOVAs the old one used. */
	r = edu_dma_wait_poll(dev, 2000);
	CHECK(r == 0, "the orphaned transfer drains (engine idle)");
	r = udrv_dma_set_width(dev, EDU_DMA_ADDR_BITS);
	if (r == 0)
		r = udrv_dma_alloc(dev, 4096, &buf);
	CHECK(r == 0, "DMA memory mapped again (iova %#llx)", (unsigned long long)buf.iova);
	if (r == 0) {
		uint8_t *p = buf.va, ref[4096];
		bool ok = true;

		r = udrv_irq_enable(dev);
		for (uint32_t n = 1; r == 0 && ok && n <= EDU_DMA_MAX_LEN; n = n * 8 + 7) {
			uint32_t len = n > EDU_DMA_MAX_LEN ? EDU_DMA_MAX_LEN : n;

			fill(p, buf.size, len);
			memcpy(ref, p, buf.size);
			r = edu_dma_copy(dev, &buf, 0, 0, len, false, 2000);
			memset(p, 0, buf.size);
			if (r == 0)
				r = edu_dma_copy(dev, &buf, 0, 0, len, true, 2000);
			ok = r == 0 && memcmp(p, ref, len) == 0;
		}
		CHECK(r == 0 && ok, "round trips work in the restarted driver");
	}
	udrv_dma_free(dev, &buf);
	udrv_close(dev);
}

/* ---- uio: the same device over uio_pci_generic has no DMA -------------- */

static void part_uio(void)
{
	struct udrv_dma x = { 0 };
	udrv_dev *dev = udrv_open(spec);
	int r;

	if (!CHECK(dev != NULL, "udrv_open(%s) over uio_pci_generic%s%s", spec,
		   dev ? "" : ": ", dev ? "" : strerror(errno)))
		return;
	CHECK(strcmp(udrv_backend(dev), "uio") == 0, "backend is uio (%s)", udrv_backend(dev));
	r = udrv_dma_alloc(dev, 4096, &x);
	CHECK(r == -ENOTSUP && x.va == NULL, "udrv_dma_alloc on UIO is -ENOTSUP (%d)", r);
	CHECK(udrv_dma_set_width(dev, 28) == -ENOTSUP, "udrv_dma_set_width on UIO is -ENOTSUP");
	udrv_close(dev);
}

static const struct {
	const char *name;
	void (*fn)(void);
	bool in_all;
} parts[] = {
	{ "open", part_open, true },       { "dma", part_dma, true },
	{ "msi", part_msi, true },         { "fault", part_fault, true },
	{ "busy", part_busy, true },       { "memlock", part_memlock, true },
	{ "close", part_close, true },     { "crash", part_crash, true },
	{ "uio", part_uio, false },
};

int main(int argc, char **argv)
{
	size_t i;
	int a;

	if (!vc_find_edu(addr, sizeof(addr))) {
		GT_SKIP("no edu device (1234:11e8) in /sys/bus/pci");
	}
	snprintf(spec, sizeof(spec), "pci:%s", addr);
	if (argc < 2) {
		for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
			if (parts[i].in_all) {
				printf("# %s\n", parts[i].name);
				parts[i].fn();
			}
	}
	for (a = 1; a < argc; a++) {
		for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
			if (strcmp(argv[a], parts[i].name) == 0)
				break;
		if (i == sizeof(parts) / sizeof(parts[0])) {
			fprintf(stderr, "vfio_edu: unknown part '%s' (open dma msi fault busy memlock close crash uio)\n",
				argv[a]);
			return 2;
		}
		printf("# %s\n", parts[i].name);
		parts[i].fn();
	}
	return gt_done();
}
