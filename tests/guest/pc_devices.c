/* SPDX-License-Identifier: MIT */
/*
 * Board pc, issue 9: what happens to a driver on a real kernel when the
 * device goes away, when it forks, when it is not root.
 *
 *   pc_devices fork               a child never disturbs the parent's device
 *   pc_devices unplug             `echo 1 > .../remove` while the driver waits
 *   pc_devices nonroot            no passed fds, not root (run by fdlaunch)
 *   pc_devices passfd             driving edu through fds passed by fdlaunch
 *   pc_devices badfd              a passed fd that is not the device: EBADFD
 *
 * The device is $UDRV_SPEC (default pci:$UDRV_EDU_BDF): edu on
 * uio_pci_generic or vfio-pci (vm/run --bind). edu registers: QEMU
 * docs/specs/edu.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gtest.h"
#include "udrv.h"

#define EDU_IDENT 0x00
#define EDU_LIVENESS 0x04
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MASTER 0x4        /* bit 2 */
#define PCI_COMMAND_INTX_DISABLE 0x400 /* bit 10 */

static char spec[64];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static udrv_dev *open_dev(void)
{
	udrv_dev *d = udrv_open(spec);

	CHECK(d != NULL, "udrv_open(%s) as uid %d (%s)", spec, (int)getuid(),
	      d ? udrv_backend(d) : strerror(errno));
	return d;
}

static bool is_edu(udrv_dev *d)
{
	uint32_t v = 0;

	return udrv_read32(d, 0, EDU_IDENT, &v) == 0 && (v & 0xff) == 0xed;
}

/* Raise one edu interrupt, wait (generous bound), acknowledge, re-arm. */
static int one_irq(udrv_dev *d)
{
	uint32_t st = 0;
	int r;

	if ((r = udrv_write32(d, 0, EDU_IRQ_RAISE, 1)) < 0)
		return r;
	r = udrv_irq_wait(d, 10000, NULL);
	if (r != 1)
		return r == 0 ? -ETIMEDOUT : r;
	udrv_read32(d, 0, EDU_IRQ_STATUS, &st);
	udrv_write32(d, 0, EDU_IRQ_ACK, st);
	return udrv_irq_enable(d);
}

static int irq_burst(udrv_dev *d, int n)
{
	int got = 0;

	while (got < n && one_irq(d) == 0)
		got++;
	return got;
}

/* ---- fork ------------------------------------------------------------- */

static void part_fork(void)
{
	udrv_dev *d = open_dev();
	uint16_t cmd0 = 0, cmd1 = 0;
	int st = -1;
	pid_t pid;

	if (!d)
		return;
	CHECK_EQ(udrv_irq_enable(d), 0, "irq_enable in the parent");
	CHECK_EQ(irq_burst(d, 3), 3, "3 interrupts before the fork");
	udrv_pci_cfg_read(d, PCI_COMMAND, &cmd0, sizeof(cmd0));
	pid = fork();
	if (pid == 0) {
		/* The child may read registers through the inherited mapping, but
		 * must neither take the parent's events nor quiesce the device. */
		int ok = is_edu(d) && udrv_irq_wait(d, 100, NULL) == -ECHILD &&
			 udrv_irq_enable(d) == -ECHILD;
		udrv_close(d);
		_exit(ok ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "child: registers readable, irq_wait/irq_enable -> -ECHILD, closed (status 0x%x)", st);
	udrv_pci_cfg_read(d, PCI_COMMAND, &cmd1, sizeof(cmd1));
	CHECK(cmd1 == cmd0, "command register untouched by the child's close (0x%04x -> 0x%04x)", cmd0,
	      cmd1);
	if (strcmp(udrv_backend(d), "vfio") == 0)
		CHECK(cmd1 & PCI_COMMAND_MASTER, "bus mastering still on (MSI needs it)");
	CHECK_EQ(irq_burst(d, 10), 10, "10 interrupts after the child closed (trigger intact)");
	CHECK(is_edu(d), "registers still readable in the parent");
	udrv_close(d);
}

/* ---- unplug ----------------------------------------------------------- */

/* Child: remove the device from the PCI bus, the path hot-unplug takes. */
static pid_t start_remove(const char *bdf)
{
	pid_t pid = fork();

	if (pid == 0) {
		char path[128];
		int fd;

		/* Drop the device fds inherited from the driver: VFIO's removal
		 * waits for every one of them. */
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		nanosleep(&(struct timespec){ .tv_nsec = 300 * 1000000 }, NULL);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", bdf);
		fd = open(path, O_WRONLY);
		_exit(fd >= 0 && write(fd, "1", 1) == 1 ? 0 : 1); /* blocks until released */
	}
	return pid;
}

/* waitpid with a generous bound; false when the child is still running. */
static bool wait_bounded(pid_t pid, int *status, int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000 }, NULL);
	}
	return false;
}

static void part_unplug(void)
{
	const char *bdf = getenv("UDRV_EDU_BDF");
	udrv_dev *d = open_dev();
	char path[128];
	int st = -1, r;
	double t0, waited;
	pid_t pid;

	if (!d || !bdf)
		return;
	CHECK_EQ(udrv_irq_enable(d), 0, "irq_enable");
	if (strcmp(udrv_backend(d), "vfio") == 0)
		CHECK(udrv_release_fd(d) >= 0, "VFIO device request eventfd registered (fd %d)",
		      udrv_release_fd(d));
	pid = start_remove(bdf);
	t0 = now_s();
	r = udrv_irq_wait(d, 60000, NULL); /* generous: only "not the timeout" is asserted */
	waited = now_s() - t0;
	CHECK_EQ(r, -ENODEV, "waiting driver sees -ENODEV when the device is removed");
	printf("# removal seen after %.3f s\n", waited);
	CHECK_EQ(udrv_irq_wait(d, 0, NULL), -ENODEV, "and every later wait too");
	CHECK_EQ(udrv_irq_enable(d), -ENODEV, "irq_enable -> -ENODEV");
	udrv_close(d); /* VFIO: the kernel's removal waits for this */
	bool done = wait_bounded(pid, &st, 60);
	CHECK(done && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the removal completed once the driver closed (status 0x%x)", st);
	if (waitpid(pid, NULL, WNOHANG) == 0)
		kill(pid, SIGKILL);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	CHECK(access(path, F_OK) != 0, "%s is gone from sysfs", path);
	errno = 0;
	udrv_dev *again = udrv_open(spec);
	int e = errno;
	CHECK(!again && e == ENOENT, "opening it again -> ENOENT (%s)", strerror(e));
}

/* ---- not root --------------------------------------------------------- */

/* Started by fdlaunch with no fds: the owner of /dev/uioN, not root. */
static void part_nonroot(void)
{
	udrv_dev *d = open_dev();
	uint16_t cmd;

	if (!d)
		return;
	CHECK(is_edu(d), "edu ident read");
	/* sysfs config: readable by all (64 bytes for non-root), writable by root. */
	CHECK_EQ(udrv_pci_cfg_read(d, PCI_COMMAND, &cmd, sizeof(cmd)), 2, "config read");
	/* One interrupt: uio_pci_generic's handler sets INTx-disable, and
	 * clearing it again is a config write. */
	udrv_write32(d, 0, EDU_IRQ_RAISE, 1);
	CHECK_EQ(udrv_irq_wait(d, 10000, NULL), 1, "an interrupt is seen without rights on config");
	udrv_write32(d, 0, EDU_IRQ_ACK, 1);
	CHECK_EQ(udrv_irq_enable(d), -EACCES, "re-arming INTx needs root or a passed config fd");
	udrv_close(d);
}

/* Started by fdlaunch with udrv-* fds, as a user owning no device node. */
static void part_passfd(void)
{
	const char *node = getenv("UDRV_NODE");
	udrv_dev *d = open_dev();
	uint32_t v = 0;
	int fd, e;

	if (!d)
		return;
	CHECK(getuid() != 0 && geteuid() != 0, "not root (uid %d)", (int)getuid());
	CHECK(is_edu(d), "edu ident read");
	udrv_write32(d, 0, EDU_LIVENESS, 0x5a5a0000);
	int r = udrv_read32(d, 0, EDU_LIVENESS, &v);
	CHECK(r == 0 && v == ~0x5a5a0000u, "liveness 0x%08x", v);
	CHECK_EQ(udrv_irq_enable(d), 0, "irq_enable");
	CHECK_EQ(irq_burst(d, 10), 10, "10 interrupts");
	udrv_close(d);
	/* The same device, the same spec, opened again: the passed fds are dup'ed. */
	d = udrv_open(spec);
	CHECK(d && is_edu(d), "a second open uses the passed fds again");
	udrv_close(d);
	/* Without the manager's fds this user cannot open the node. */
	if (node) {
		fd = open(node, O_RDWR);
		CHECK(fd < 0 && errno == EACCES, "open(%s) directly -> EACCES", node);
		if (fd >= 0)
			close(fd);
	}
	setenv("LISTEN_PID", "1", 1); /* the fds are no longer "for this process" */
	errno = 0;
	d = udrv_open(spec);
	e = errno;
	CHECK(!d && (e == EACCES || e == EPERM), "udrv_open without passed fds -> %s", strerror(e));
	udrv_close(d);
}

/* As root: a passed device fd ($UDRV_BADFD_NAME, default "udrv-uio") that
 * is some other file. */
static void part_badfd(void)
{
	const char *name = getenv("UDRV_BADFD_NAME");
	int fd = open("/dev/null", O_RDWR);
	char pid[16];
	udrv_dev *d;

	CHECK(fd >= 0 && dup2(fd, 3) == 3, "/dev/null as fd 3");
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	setenv("LISTEN_FDNAMES", name ? name : "udrv-uio", 1);
	setenv("UDRV_DEVICE", spec, 1);
	errno = 0;
	d = udrv_open(spec);
	int e = errno;
	CHECK(!d && e == EBADFD, "passed fd that is not the device -> EBADFD (%s)", strerror(e));
	udrv_close(d);
	unsetenv("UDRV_DEVICE");
	d = udrv_open(spec);
	CHECK(d != NULL, "$UDRV_DEVICE unset: the fds are not used, the node opens");
	udrv_close(d);
}

int main(int argc, char **argv)
{
	const char *s = getenv("UDRV_SPEC"), *bdf = getenv("UDRV_EDU_BDF");

	if (s)
		snprintf(spec, sizeof(spec), "%s", s);
	else if (bdf)
		snprintf(spec, sizeof(spec), "pci:%s", bdf);
	else
		GT_SKIP("no UDRV_SPEC or UDRV_EDU_BDF (board pc)");
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		printf("# part %s, %s\n", argv[i], spec);
		if (!strcmp(argv[i], "fork"))
			part_fork();
		else if (!strcmp(argv[i], "unplug"))
			part_unplug();
		else if (!strcmp(argv[i], "nonroot"))
			part_nonroot();
		else if (!strcmp(argv[i], "passfd"))
			part_passfd();
		else if (!strcmp(argv[i], "badfd"))
			part_badfd();
		else
			CHECK(0, "unknown part %s", argv[i]);
	}
	return gt_done();
}
