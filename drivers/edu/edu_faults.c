/* SPDX-License-Identifier: MIT */
/*
 * edu_faults.c - the faults of `make faults` (edu_faults.h), carried out by
 * the driver itself. Only with UDRV_FAULTS=1: never in normal use.
 */
#include "edu_faults.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edu_dma.h"
#include "registers.h"

/* Test hooks of the library (lib/udrv_internal.h), reachable because the
 * driver links libudrv statically. */
udrv_ckpt *udrv__server_ckpt(udrv_server *s);
void udrv__ckpt_crash_next(udrv_ckpt *c, uint64_t at);
int udrv__ckpt_stray_write(udrv_ckpt *c);

#define PROG "edu_driver"
#define FORK_CAP 4096      /* when TasksMax= is not applied: do not take the guest down */
#define MEM_CAP_MB 4096
#define WILD_IOVA 0x0ab00000u /* below edu's 28-bit mask; the driver maps nothing there */

static udrv_dev *fdev;
static volatile uintptr_t null_addr; /* 0, out of the optimiser's sight */
static uint32_t armed, armed_arg;

bool edu_faults_enabled(void)
{
	const char *e = getenv("UDRV_FAULTS");

	return e && strcmp(e, "1") == 0;
}

static void flag_path(char *buf, size_t n)
{
	const char *d = getenv("UDRV_FAULTS_DIR");

	snprintf(buf, n, "%s/edu-slow-start", d && *d ? d : "/run");
}

void edu_faults_start(void)
{
	char p[256];

	if (!edu_faults_enabled())
		return;
	flag_path(p, sizeof(p));
	if (unlink(p) < 0)
		return;
	fprintf(stderr, PROG ": fault: slow start (never ready; TimeoutStartSec must end it)\n");
	for (;;)
		pause();
}

static void put_u32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int op_pid(void *arg, const struct udrv_call *c)
{
	udrv_server *s = arg;

	put_u32(c->resp, (uint32_t)getpid());
	put_u32((uint8_t *)c->resp + 4, (uint32_t)udrv_server_origin(s));
	return 8;
}

/* Validate and arm; what can be checked here is (detail in the reply). */
static int op_fault(void *arg, const struct udrv_call *c)
{
	const uint8_t *q = c->req;
	uint32_t kind, farg;
	int32_t detail = 0;

	(void)arg;
	if (c->req_len != 8)
		return -EINVAL;
	kind = get_u32(q);
	farg = get_u32(q + 4);
	if (kind < EDU_FAULT_SEGV || kind > EDU_FAULT_MAX)
		return -EINVAL;
	if (kind == EDU_FAULT_DMA && strcmp(udrv_backend(fdev), "vfio") != 0)
		return -ENOTSUP; /* uio_pci_generic: no IOMMU in the way */
	if (kind == EDU_FAULT_OOB) {
		struct udrv_map_info mi;
		uint32_t v;

		/* The library must refuse an offset past the BAR, not touch it. */
		detail = udrv_map_info(fdev, EDU_BAR, &mi);
		if (detail == 0)
			detail = udrv_read32(fdev, EDU_BAR, mi.size + (farg % 64) * 4, &v);
	}
	armed = kind;
	armed_arg = farg;
	put_u32(c->resp, (uint32_t)getpid());
	put_u32((uint8_t *)c->resp + 4, (uint32_t)detail);
	return 8;
}

int edu_faults_add_ops(udrv_server *s, udrv_dev *dev)
{
	int r;

	fdev = dev;
	r = udrv_server_add_op(s, "fault", UDRV_OP_PURE, op_fault, NULL, NULL);
	if (!r)
		r = udrv_server_add_op(s, "pid", UDRV_OP_PURE, op_pid, NULL, s);
	return r;
}

/* The first unmapped page at or after @p (mincore says ENOMEM there). */
static volatile uint32_t *unmapped_after(uintptr_t p)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char vec;

	p = (p + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	while (mincore((void *)p, (size_t)pg, &vec) == 0 || errno != ENOMEM)
		p += (uintptr_t)pg;
	return (volatile uint32_t *)p;
}

static void wild_pointer(void)
{
	struct udrv_map_info mi;
	volatile uint8_t *bar = udrv_map(fdev, EDU_BAR);
	volatile uint32_t *w;

	if (!bar || udrv_map_info(fdev, EDU_BAR, &mi) < 0) {
		fprintf(stderr, PROG ": fault: oob: BAR0 not mapped (%s)\n", strerror(errno));
		abort();
	}
	w = unmapped_after((uintptr_t)(bar + mi.size));
	fprintf(stderr, PROG ": fault: oob: load through %p, past BAR0's mapping at %p\n",
		(void *)w, (void *)bar);
	(void)*w;
	fprintf(stderr, PROG ": fault: oob: the wild load did not fault\n");
	abort();
}

/* A transfer from (or to) an IOVA nothing is mapped at: the IOMMU blocks
 * it and logs a DMAR fault; the engine finishes anyway, the driver goes on. */
static void wild_dma(uint32_t arg)
{
	uint64_t iova = WILD_IOVA + (uint64_t)(arg % 256) * 4096;
	bool to_ram = arg & 1;
	uint32_t cause;
	int r = edu_dma_start(fdev, iova, 0, 64, to_ram, false);

	if (r == 0)
		r = edu_dma_wait_poll(fdev, 2000);
	/* a completion cause, if any, is not ours to keep pending */
	if (r == 0 && udrv_read32(fdev, EDU_BAR, EDU_IRQ_STATUS, &cause) == 0 && (cause & EDU_IRQ_DMA))
		udrv_write32(fdev, EDU_BAR, EDU_IRQ_ACK, EDU_IRQ_DMA);
	fprintf(stderr, PROG ": fault: wild dma %s iova 0x%llx: %s\n", to_ram ? "to" : "from",
		(unsigned long long)iova, r ? strerror(-r) : "engine done");
}

static void fork_bomb(void)
{
	unsigned n = 0;
	pid_t p;

	while (n < FORK_CAP) {
		p = fork();
		if (p == 0) {
			for (;;)
				pause();
		}
		if (p < 0)
			break;
		n++;
	}
	fprintf(stderr, PROG ": fault: fork bomb: %u processes, then %s\n", n,
		n < FORK_CAP ? strerror(errno) : "the cap");
	raise(SIGKILL);
}

static void eat_memory(void)
{
	const size_t mb = 1u << 20;

	for (unsigned i = 0; i < MEM_CAP_MB; i++) {
		char *p = mmap(NULL, mb, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			break;
		memset(p, (int)i | 1, mb);
	}
	fprintf(stderr, PROG ": fault: memory: not stopped by MemoryMax=\n");
	abort();
}

void edu_faults_run(udrv_server *s)
{
	uint32_t kind = armed, arg = armed_arg;
	char p[256];
	int fd;

	if (!kind)
		return;
	armed = 0;
	switch (kind) {
	case EDU_FAULT_SEGV:
		*(volatile int *)null_addr = (int)arg;
		break;
	case EDU_FAULT_BUS: {
		volatile char *m;

		fd = memfd_create("edu-fault-bus", 0);
		m = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED)
			(void)m[0]; /* the file is empty: SIGBUS */
		break;
	}
	case EDU_FAULT_KILL:
		raise(SIGKILL);
		break;
	case EDU_FAULT_ABORT:
		abort();
	case EDU_FAULT_EXIT:
		exit((int)(arg % 255) + 1);
	case EDU_FAULT_HANG:
		for (;;)
			pause();
	case EDU_FAULT_SPIN:
		for (volatile unsigned long i = 0;; i++)
			;
	case EDU_FAULT_OOB:
		wild_pointer();
		break;
	case EDU_FAULT_DMA:
		wild_dma(arg);
		return;
	case EDU_FAULT_CKPT_CORRUPT:
		/* Both copies the same state first, so the fallback the next
		 * instance finds loses nothing the clients were told. */
		udrv_server_commit(s);
		udrv_server_commit(s);
		fd = udrv__ckpt_stray_write(udrv__server_ckpt(s));
		fprintf(stderr, PROG ": fault: stray write into the stored checkpoint: %s\n",
			fd ? strerror(-fd) : "done");
		raise(SIGKILL);
		break;
	case EDU_FAULT_CKPT_CRASH:
		udrv__ckpt_crash_next(udrv__server_ckpt(s), arg);
		return; /* the next commit (a client's add) dies half-written */
	case EDU_FAULT_SLOW_START:
		flag_path(p, sizeof(p));
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		raise(SIGKILL);
		break;
	case EDU_FAULT_FORKBOMB:
		fork_bomb();
		break;
	case EDU_FAULT_MEMORY:
		eat_memory();
		break;
	}
	fprintf(stderr, PROG ": fault %u did not end the driver\n", kind);
	abort();
}
