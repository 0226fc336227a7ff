/* SPDX-License-Identifier: MIT */
/*
 * edu_driver - a user-space driver for QEMU's edu PCI device (board "pc").
 *
 * Checks the identification and liveness registers, computes factorials on
 * request (by default with the completion interrupt, --poll to poll the
 * busy bit instead), raises interrupts through register 0x60 and services
 * them (read cause 0x24, ack 0x64, re-arm), and with --serve keeps servicing
 * interrupts until SIGTERM, as a supervised driver.
 *
 * Over VFIO (the device bound to vfio-pci) it also drives edu's DMA engine:
 * --dma N does round trips of N bytes host buffer -> device buffer -> host
 * buffer with the data checked, each transfer waited for by its completion
 * interrupt (MSI). With --serve --dma-every MS the round trips go on while
 * serving, so a supervised instance can be killed in the middle of a DMA;
 * the next instance drains the transfer the dead one left running before it
 * maps any memory (edu has no reset), see dma_drain().
 *
 * Under driver_supervisor with IPC=yes, --serve also answers its clients
 * (edu_ipc.h: factorial, add, total, mark, status) from the same poll loop,
 * exactly once across crashes and upgrades.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udrv.h"
#include "drvutil.h"
#include "edu.h"
#include "edu_dma.h"
#include "edu_faults.h"
#include "edu_ipc.h"
#include "registers.h"

#define PROG "edu_driver"
#define MAX_FACT 16
#define WAIT_MS 2000 /* generous: the device answers in microseconds */
#define DMA_WAIT_MS 2000 /* an edu transfer takes 100 ms of virtual time */
#define DMA_REPORT 10    /* a log line every this many round trips */

struct edu_opts {
	const char *spec;
	uint32_t fact[MAX_FACT];
	unsigned nfact;
	bool poll;
	uint64_t raise;
	bool serve;
	uint32_t dma_len;   /* 0: no DMA */
	uint64_t dma_rounds;
	int64_t dma_every;  /* ms between round trips while serving; -1: none */
};

/* DMA state: two buffers (out: what we send, in: what comes back) and figures. */
struct dma_run {
	struct udrv_dma out, in;
	uint32_t len;
	uint32_t seed;
	uint64_t ok;
	double last_ms, total_ms;
};

/*
 * $UDRV_TIMES=1 (bench/serve_latency.c): CLOCK_MONOTONIC at the steps of a
 * start, printed as one "times" line at READY=1, so a restart can be split
 * into library (udrv_open, IPC server, DMA mapping) and the driver's own
 * init. Unset: one getenv() and a few clock reads, nothing printed.
 */
enum { T_MAIN, T_OPEN, T_IPC0, T_IPC, T_DMA0, T_DMA, T_READY, T__COUNT };
static struct timespec times[T__COUNT];

static void mark(int i)
{
	clock_gettime(CLOCK_MONOTONIC, &times[i]);
}

static void times_print(void)
{
	static const char *const name[T__COUNT] = { "main", "open", "ipc0", "ipc", "dma0", "dma",
						    "ready" };
	const char *v = getenv("UDRV_TIMES");

	if (!v || strcmp(v, "1") != 0)
		return;
	printf("[edu] times pid=%d", (int)getpid());
	for (int i = 0; i < T__COUNT; i++)
		printf(" %s=%" PRIu64, name[i],
		       (uint64_t)times[i].tv_sec * 1000000000u + (uint64_t)times[i].tv_nsec);
	printf("\n");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--device SPEC] [--factorial N]... [--poll] [--raise N]\n"
		"       [--dma N [--dma-rounds K]] [--serve [--dma-every MS]]\n"
		"  --device SPEC   (default $UDRV_DEVICE, else \"name:uio_pci_generic\")\n"
		"  --factorial N   compute N! on the device (0..4294967295; repeatable, up to %d)\n"
		"  --poll          wait for factorials by polling the busy bit, not the interrupt\n"
		"  --raise N       raise N interrupts through 0x60 one by one and service each\n"
		"  --dma N         DMA round trips of N bytes (1..%u) host -> device -> host,\n"
		"                  data checked; needs the device on vfio-pci\n"
		"  --dma-rounds K  how many round trips --dma does (default 1)\n"
		"  --serve         then service interrupts until SIGTERM (READY/WATCHDOG), and\n"
		"                  answer IPC calls when the unit has IPC=yes\n"
		"  --dma-every MS  with --serve: keep doing round trips (of --dma N bytes,\n"
		"                  default %u), one every MS ms (0: back to back)\n",
		MAX_FACT, EDU_DMA_MAX_LEN, EDU_DMA_MAX_LEN);
}

static int parse_args(int argc, char **argv, struct edu_opts *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "factorial", required_argument, NULL, 'f' },
		{ "poll", no_argument, NULL, 'p' },
		{ "raise", required_argument, NULL, 'r' },
		{ "serve", no_argument, NULL, 's' },
		{ "dma", required_argument, NULL, 'D' },
		{ "dma-rounds", required_argument, NULL, 'R' },
		{ "dma-every", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->dma_every = -1;
	o->spec = drv_default_spec("name:uio_pci_generic");

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!drv_opt_spec(PROG, optarg, &o->spec))
				return -1;
			break;
		case 'f':
			if (o->nfact == MAX_FACT) {
				fprintf(stderr, PROG ": --factorial: at most %d requests\n", MAX_FACT);
				return -1;
			}
			if (!drv_opt_u64(PROG, "--factorial", optarg, 0, UINT32_MAX, &v))
				return -1;
			o->fact[o->nfact++] = (uint32_t)v;
			break;
		case 'p':
			o->poll = true;
			break;
		case 'r':
			if (!drv_opt_u64(PROG, "--raise", optarg, 0, 1000000, &o->raise))
				return -1;
			break;
		case 's':
			o->serve = true;
			break;
		case 'D':
			if (!drv_opt_u64(PROG, "--dma", optarg, 1, EDU_DMA_MAX_LEN, &v))
				return -1;
			o->dma_len = (uint32_t)v;
			break;
		case 'R':
			if (!drv_opt_u64(PROG, "--dma-rounds", optarg, 1, 1000000, &o->dma_rounds))
				return -1;
			break;
		case 'E':
			if (!drv_opt_u64(PROG, "--dma-every", optarg, 0, 3600000, &v))
				return -1;
			o->dma_every = (int64_t)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (!drv_opt_done(PROG, argc, argv, optind)) {
		usage(stderr);
		return -1;
	}
	if (o->dma_rounds && !o->dma_len) {
		fprintf(stderr, PROG ": --dma-rounds needs --dma N\n");
		return -1;
	}
	if (o->dma_every >= 0 && !o->serve) {
		fprintf(stderr, PROG ": --dma-every needs --serve\n");
		return -1;
	}
	if (o->dma_every >= 0 && o->dma_rounds) {
		fprintf(stderr, PROG ": --dma-rounds and --dma-every exclude each other\n");
		return -1;
	}
	if (o->dma_every >= 0 && !o->dma_len)
		o->dma_len = EDU_DMA_MAX_LEN;
	if (o->dma_len && !o->dma_rounds && o->dma_every < 0)
		o->dma_rounds = 1;
	return 0;
}

/* Raise @n interrupts one at a time, each with its own cause bit, and check
 * each arrives once with that cause. */
static int raise_burst(udrv_dev *dev, uint64_t n)
{
	uint64_t i, got = 0;
	uint32_t cause, want;
	int r;

	for (i = 0; i < n; i++) {
		want = 0x10000u << (i % 8);
		r = edu_raise(dev, want);
		if (r < 0)
			goto err;
		r = udrv_irq_wait(dev, WAIT_MS, NULL);
		if (r == 0) {
			fprintf(stderr, PROG ": interrupt %" PRIu64 " of %" PRIu64
				" did not arrive within %d ms\n", i + 1, n, WAIT_MS);
			return -1;
		}
		if (r < 0)
			goto err;
		r = edu_irq_service(dev, &cause);
		if (r < 0)
			goto err;
		if (cause != want) {
			fprintf(stderr, PROG ": interrupt %" PRIu64 ": cause 0x%08" PRIx32
				", raised 0x%08" PRIx32 "\n", i + 1, cause, want);
			return -1;
		}
		got++;
	}
	printf("[edu] raised %" PRIu64 " interrupts, serviced %" PRIu64 ", missed %" PRIu64 "\n",
	       n, got, udrv_irq_missed(dev));
	return 0;
err:
	fprintf(stderr, PROG ": interrupt %" PRIu64 ": %s\n", i + 1, strerror(-r));
	return -1;
}


static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	drv_now(&t1);
	return drv_ts_diff_s(&t1, t0) * 1000.0;
}

/*
 * A previous instance killed mid-DMA leaves edu's engine running: edu has
 * no reset (VFIO_DEVICE_RESET answers EINVAL), and the transfer completes
 * 100 ms after it was started, whatever happened to the driver. udrv_open()
 * has turned bus mastering off, so while we wait the orphaned transfer goes
 * nowhere; mapping memory (udrv_dma_alloc) or enabling MSI (both turn bus
 * mastering back on) before it is over would let it land in our new
 * buffers, which get the same IOVAs. So: wait for the engine to go idle
 * first, then acknowledge the DMA cause its completion left pending.
 */
static int dma_drain(udrv_dev *dev)
{
	struct timespec t0;
	uint32_t cause;
	int busy, r;

	busy = edu_dma_busy(dev);
	if (busy < 0) {
		fprintf(stderr, PROG ": reading the DMA command register (0x98): %s\n",
			strerror(-busy));
		return -1;
	}
	drv_now(&t0);
	r = busy ? edu_dma_wait_poll(dev, DMA_WAIT_MS) : 0;
	if (r < 0) {
		fprintf(stderr, PROG ": a DMA left running by a previous instance did not finish "
			"within %d ms: %s\n", DMA_WAIT_MS, strerror(-r));
		return -1;
	}
	if (busy)
		printf("[edu] dma engine busy at start (a transfer left by a previous instance): "
		       "drained in %.1f ms\n", ms_since(&t0));
	else
		printf("[edu] dma engine idle at start\n");
	/* Causes left pending by the dead instance: 0x100 here means a transfer
	 * of it completed after it stopped acknowledging (it died mid-DMA). */
	if ((r = udrv_read32(dev, EDU_BAR, EDU_IRQ_STATUS, &cause)) ||
	    (cause && (r = udrv_write32(dev, EDU_BAR, EDU_IRQ_ACK, cause)))) {
		fprintf(stderr, PROG ": clearing stale interrupt causes: %s\n", strerror(-r));
		return -1;
	}
	if (cause)
		printf("[edu] stale interrupt causes 0x%08" PRIx32 " acknowledged%s\n", cause,
		       cause & EDU_IRQ_DMA ? " (a DMA completed after the previous instance died)" : "");
	return 0;
}

/* Map the two DMA buffers, after dma_drain() and before the interrupt. */
static int dma_setup(udrv_dev *dev, struct dma_run *d, uint32_t len)
{
	int r;

	memset(d, 0, sizeof(*d));
	d->len = len;
	d->seed = (uint32_t)getpid() * 2654435761u | 1u;
	/* edu masks host addresses to 28 bits (QEMU hw/misc/edu.c dma_mask). */
	r = udrv_dma_set_width(dev, EDU_DMA_ADDR_BITS);
	if (r == 0)
		r = udrv_dma_alloc(dev, EDU_DMA_BUF_SIZE, &d->out);
	if (r == 0) {
		r = udrv_dma_alloc(dev, EDU_DMA_BUF_SIZE, &d->in);
		if (r < 0)
			udrv_dma_free(dev, &d->out);
	}
	if (r == -ENOTSUP) {
		fprintf(stderr, PROG ": --dma: %s is bound to %s, which has no DMA mapping: "
			"bind it to vfio-pci\n", udrv_name(dev), udrv_backend(dev));
		return -1;
	}
	if (r < 0) {
		fprintf(stderr, PROG ": --dma: mapping %u-byte DMA buffers: %s%s\n", EDU_DMA_BUF_SIZE,
			strerror(-r), r == -ENOMEM || r == -EPERM ?
			" (is the locked-memory limit, ulimit -l, too low?)" : "");
		return -1;
	}
	printf("[edu] dma buffers mapped at iova 0x%" PRIx64 " and 0x%" PRIx64
	       " (%u-bit device addresses)\n", d->out.iova, d->in.iova, EDU_DMA_ADDR_BITS);
	return 0;
}

static void dma_teardown(udrv_dev *dev, struct dma_run *d)
{
	udrv_dma_free(dev, &d->in);
	udrv_dma_free(dev, &d->out);
}

/*
 * One round trip: fresh pseudo-random data out, the bitwise NOT of it in
 * the return buffer (so a transfer that did nothing cannot pass), host ->
 * device buffer -> host, compared by edu_dma_roundtrip().
 */
static int dma_round(udrv_dev *dev, struct dma_run *d)
{
	uint8_t *out = d->out.va, *in = d->in.va;
	struct timespec t0;
	uint32_t x = d->seed ^ (uint32_t)(d->ok * 0x9e3779b9u), i;
	int r;

	for (i = 0; i < d->len; i++) {
		x ^= x << 13; /* xorshift32 */
		x ^= x >> 17;
		x ^= x << 5;
		out[i] = (uint8_t)x;
		in[i] = (uint8_t)~x;
	}
	drv_now(&t0);
	r = edu_dma_roundtrip(dev, &d->out, &d->in, 0, d->len, DMA_WAIT_MS);
	d->last_ms = ms_since(&t0);
	if (r == -EIO) {
		for (i = 0; i < d->len && in[i] == out[i]; i++)
			;
		fprintf(stderr, PROG ": dma round trip %" PRIu64 ": byte %" PRIu32 " of %" PRIu32
			" came back 0x%02x, sent 0x%02x\n", d->ok + 1, i, d->len,
			i < d->len ? in[i] : 0, i < d->len ? out[i] : 0);
		return -1;
	}
	if (r < 0) {
		fprintf(stderr, PROG ": dma round trip %" PRIu64 " of %" PRIu32 " bytes: %s\n",
			d->ok + 1, d->len, r == -EPROTO ? "interrupt without the DMA cause (0x100)" :
			r == -ETIMEDOUT ? "no completion interrupt" : strerror(-r));
		return -1;
	}
	d->ok++;
	d->total_ms += d->last_ms;
	return 0;
}

/* STATUS= (and WATCHDOG=1 in the same datagram): round trips so far, and
 * whether one is in flight, which a test killing us mid-DMA reads. */
static void dma_notify(const struct dma_run *d, bool in_flight)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "WATCHDOG=1\nSTATUS=dma %" PRIu64 " round trips ok, %" PRIu32
		 " B, last %.1f ms, mean %.1f ms; %s", d->ok, d->len, d->last_ms,
		 d->ok ? d->total_ms / (double)d->ok : 0.0, in_flight ? "in flight" : "idle");
	udrv_notify(msg);
}

static void dma_report(const struct dma_run *d)
{
	printf("[edu] dma: %" PRIu64 " round trip%s of %" PRIu32 " B ok (data checked), last %.1f ms,"
	       " mean %.1f ms\n", d->ok, d->ok == 1 ? "" : "s", d->len, d->last_ms,
	       d->total_ms / (double)d->ok);
}

/*
 * Service interrupts until SIGTERM: what a supervised edu driver does. With
 * @dma, also a DMA round trip every @every_ms (0: back to back), each one
 * waited for by its completion interrupt; interrupts that come between
 * round trips are serviced as usual.
 */
static int serve(udrv_dev *dev, struct dma_run *dma, int64_t every_ms, udrv_server *srv)
{
	struct pollfd pfd[2] = { { .fd = udrv_irq_fd(dev), .events = POLLIN },
				 { .fd = srv ? udrv_server_fd(srv) : -1, .events = POLLIN } };
	struct edu_state *st = srv ? udrv_server_state(srv) : NULL;
	struct timespec ts = { 1, 0 }, next, now;
	sigset_t waitmask;
	uint64_t served = 0;
	uint32_t cause;
	int r;

	/* Under `make faults` a short watchdog (WatchdogSec=500ms) catches hangs:
	 * wake up ten times a second to send WATCHDOG=1. */
	if (edu_faults_enabled())
		ts.tv_sec = 0, ts.tv_nsec = 100000000;
	r = drv_stop_block(&waitmask);
	if (r < 0 || pfd[0].fd < 0) {
		fprintf(stderr, PROG ": serve: %s\n", strerror(r < 0 ? -r : -pfd[0].fd));
		return -1;
	}
	mark(T_READY);
	udrv_notify_ready();
	times_print();
	if (dma)
		printf("[edu] serving interrupts, a %" PRIu32 "-byte DMA round trip every %" PRId64
		       " ms\n", dma->len, every_ms);
	else
		printf("[edu] serving interrupts\n");
	/* The first round trip one period after READY=1, not at once: a
	 * client's first call is not held up behind a 200 ms transfer. */
	drv_now(&next);
	if (dma)
		drv_ts_add_ns(&next, (uint64_t)every_ms * 1000000u);
	while (!drv_stop_requested) {
		if (dma) {
			/* Sleep in ppoll until the next round trip is due (at most 1 s). */
			double left;

			drv_now(&now);
			left = -drv_ts_diff_s(&now, &next);
			if (left <= 0) {
				dma_notify(dma, true);
				if (dma_round(dev, dma) < 0)
					return -1;
				dma_notify(dma, false);
				if (dma->ok == 1 || dma->ok % DMA_REPORT == 0)
					dma_report(dma);
				drv_now(&next);
				drv_ts_add_ns(&next, (uint64_t)every_ms * 1000000u);
				left = every_ms / 1000.0;
			}
			if (left > 1)
				left = 1;
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		}
		r = ppoll(pfd, 2, &ts, &waitmask);
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, PROG ": ppoll: %s\n", strerror(errno));
			return -1;
		}
		udrv_notify_watchdog();
		if (r <= 0 || drv_stop_pending())
			continue;
		if (pfd[1].revents & POLLIN) {
			r = udrv_server_dispatch(srv, 0);
			if (r < 0 && r != -EINTR) {
				fprintf(stderr, PROG ": IPC: %s\n", strerror(-r));
				return -1;
			}
			edu_faults_run(srv); /* a fault armed by that dispatch, if any */
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		r = udrv_irq_wait(dev, 0, NULL);
		if (r < 0) {
			fprintf(stderr, PROG ": interrupt wait: %s\n", strerror(-r));
			return -1;
		}
		if (r == 0)
			continue;
		r = edu_irq_service(dev, &cause);
		if (r < 0) {
			fprintf(stderr, PROG ": interrupt service: %s\n", strerror(-r));
			return -1;
		}
		served++;
		if (st) { /* counted over all instances, in the checkpoint */
			st->interrupts++;
			udrv_server_commit(srv);
		}
		printf("[edu] interrupt cause=0x%08" PRIx32 " (%" PRIu64 " served)\n", cause, served);
		udrv_notify_status("%" PRIu64 " interrupts served", served);
	}
	udrv_notify_stopping();
	if (dma)
		printf("[edu] stopped after %" PRIu64 " interrupts and %" PRIu64
		       " dma round trips\n", served, dma->ok);
	else
		printf("[edu] stopped after %" PRIu64 " interrupts\n", served);
	return 0;
}

int main(int argc, char **argv)
{
	struct edu_opts o;
	struct udrv_map_info mi;
	struct dma_run dma = { 0 };
	udrv_server *srv = NULL;
	bool dma_mapped = false;
	udrv_dev *dev;
	uint32_t ident, res;
	unsigned i;
	int r, ret = 1;

	mark(T_MAIN);
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	edu_faults_start(); /* UDRV_FAULTS=1 only: a slow start armed before */
	r = drv_stop_signals_install();
	if (r < 0) {
		fprintf(stderr, PROG ": sigaction: %s\n", strerror(-r));
		return 1;
	}

	dev = udrv_open(o.spec);
	if (!dev) {
		drv_open_failed(PROG, o.spec, errno);
		return 1;
	}
	mark(T_OPEN);
	r = udrv_map_info(dev, EDU_BAR, &mi);
	if (r < 0) {
		fprintf(stderr, PROG ": %s has no BAR0: %s\n", udrv_name(dev), strerror(-r));
		goto out;
	}
	if (mi.size < EDU_REGS_END) {
		fprintf(stderr, PROG ": BAR0 of %s is 0x%" PRIx64 " bytes, edu has registers "
			"up to 0x%x: is this an edu device?\n", udrv_name(dev), mi.size, EDU_REGS_END);
		goto out;
	}
	r = edu_check_ident(dev, &ident);
	if (r < 0) {
		if (r == -ENODEV)
			fprintf(stderr, PROG ": %s: ident register 0x%08" PRIx32 " is not edu's "
				"(0xRRrr00ed)\n", udrv_name(dev), ident);
		else
			fprintf(stderr, PROG ": ident: %s\n", strerror(-r));
		goto out;
	}
	printf("[edu] %s (%s): ident 0x%08" PRIx32 " = edu %" PRIu32 ".%" PRIu32
	       ", BAR0 0x%" PRIx64 " size=0x%" PRIx64 "\n", udrv_name(dev), udrv_backend(dev),
	       ident, ident >> 24, (ident >> 16) & 0xff, mi.addr, mi.size);

	/* The IPC server first: a mark (liveness register write) that a dead
	 * instance left in flight is settled by reading the register back
	 * before the liveness check below overwrites it. */
	mark(T_IPC0);
	if (o.serve) {
		srv = edu_ipc_open(dev);
		if (!srv && errno != ENOENT) {
			fprintf(stderr, PROG ": IPC: %s\n", strerror(errno));
			goto out;
		}
		if (srv) {
			const struct edu_state *st = udrv_server_state(srv);

			printf("[edu] IPC: serving calls (factorial, add, total, mark, status); "
			       "state %s, total %" PRIu64 "\n",
			       udrv_ckpt_origin_str(udrv_server_origin(srv)), st->total);
		} else {
			printf("[edu] no IPC socket (the unit has no IPC=yes): no calls\n");
		}
	}

	mark(T_IPC);
	r = edu_check_liveness(dev, 0x12345678u);
	if (r == 0)
		r = edu_check_liveness(dev, 0xa5a5a5a5u);
	if (r < 0) {
		fprintf(stderr, PROG ": liveness check failed: %s\n",
			r == -EIO ? "register did not return the inverse" : strerror(-r));
		goto out;
	}
	printf("[edu] liveness ok\n");

	/* Before anything turns bus mastering on (DMA mapping, MSI). */
	mark(T_DMA0);
	if (o.dma_len) {
		if (dma_drain(dev) < 0 || dma_setup(dev, &dma, o.dma_len) < 0)
			goto out;
		dma_mapped = true;
	}
	mark(T_DMA);

	if ((o.nfact && !o.poll) || o.raise || o.serve || o.dma_len) {
		r = udrv_irq_enable(dev);
		if (r < 0) {
			fprintf(stderr, PROG ": enabling the interrupt: %s\n", strerror(-r));
			goto out;
		}
	}

	for (i = 0; i < o.nfact; i++) {
		r = o.poll ? edu_factorial_poll(dev, o.fact[i], WAIT_MS, &res)
			   : edu_factorial_irq(dev, o.fact[i], WAIT_MS, &res);
		if (r < 0) {
			fprintf(stderr, PROG ": %" PRIu32 "!: %s\n", o.fact[i],
				r == -EPROTO ? "interrupt with an unexpected cause" : strerror(-r));
			goto out;
		}
		printf("[edu] %" PRIu32 "! = %" PRIu32 " (%s)\n", o.fact[i], res,
		       o.poll ? "polled" : "interrupt");
		if (res != edu_factorial_ref(o.fact[i])) {
			fprintf(stderr, PROG ": %" PRIu32 "!: device says %" PRIu32
				", expected %" PRIu32 " (mod 2^32)\n", o.fact[i], res,
				edu_factorial_ref(o.fact[i]));
			goto out;
		}
	}

	if (o.raise && raise_burst(dev, o.raise) < 0)
		goto out;
	for (i = 0; i < o.dma_rounds && !drv_stop_requested; i++)
		if (dma_round(dev, &dma) < 0)
			goto out;
	if (dma.ok && o.dma_rounds)
		dma_report(&dma);
	if (o.serve && serve(dev, o.dma_every >= 0 ? &dma : NULL, o.dma_every, srv) < 0)
		goto out;
	ret = 0;
out:
	if (dma_mapped)
		dma_teardown(dev, &dma);
	udrv_server_close(srv);
	udrv_close(dev);
	return ret;
}
