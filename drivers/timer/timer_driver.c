/* SPDX-License-Identifier: MIT */
/*
 * timer_driver - periodic interrupts from the BCM2835 system timer, in
 * user space.
 *
 * Uses compare channel 1 (free for the ARM) through UIO: the device tree
 * turns timer@7e003000 into a "generic-uio" node with channel 1's interrupt,
 * so uio_pdrv_genirq delivers it on the UIO fd and masks the line until we
 * re-arm with udrv_irq_enable().
 *
 * Each tick: clear M1 in CS (else the level interrupt fires again at once),
 * program the next compare from the previous compare value (not from "now",
 * so handling latency does not add up into drift), re-arm. A compare only
 * matches when CLO *equals* it, so a compare that is already in the past
 * would not fire for 2^32 us (71 minutes): when we are late, the ticks we
 * passed are counted as missed and the schedule skips ahead.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udrv.h"
#include "drvutil.h"
#include "registers.h"

#define PROG "timer_driver"

/* Program a compare at least this far ahead of CLO, in microseconds; a
 * closer one may pass before the write lands. */
#define MIN_LEAD_US 20u
/* How often at most to send WATCHDOG=1 and STATUS=, in nanoseconds. */
#define NOTIFY_EVERY_NS 100000000u

struct timer_opts {
	const char *spec;
	uint64_t rate_hz;
	uint64_t count;  /* ticks; 0 = until stopped */
	uint64_t report; /* summary every N ticks; 0 = once a second */
};

struct timer_state {
	udrv_dev *dev;
	uint64_t rate_hz;
	uint32_t base;     /* CLO when the schedule started */
	uint64_t k;        /* index of the compare currently programmed */
	uint32_t compare;  /* its value: base + floor(k * 1e6 / rate) */
	uint64_t ticks;    /* interrupts serviced */
	uint64_t missed;   /* compares skipped because we were late */
	uint64_t spurious; /* wake-ups with M1 clear */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--device SPEC] [--rate-hz N] [--count N] [--report N]\n"
		"  --device SPEC  UIO device (default $UDRV_DEVICE, else \"name:timer\")\n"
		"  --rate-hz N    interrupts per second, 1..10000 (default 100)\n"
		"  --count N      stop after N ticks (default 0 = until SIGTERM)\n"
		"  --report N     print a summary every N ticks (default: once a second)\n");
}

static int parse_args(int argc, char **argv, struct timer_opts *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "rate-hz", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "report", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->spec = drv_default_spec("name:timer");
	o->rate_hz = 100;
	o->count = 0;
	o->report = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!drv_opt_spec(PROG, optarg, &o->spec))
				return -1;
			break;
		case 'r':
			if (!drv_opt_u64(PROG, "--rate-hz", optarg, 1, 10000, &o->rate_hz))
				return -1;
			break;
		case 'n':
			if (!drv_opt_u64(PROG, "--count", optarg, 0, UINT64_MAX, &o->count))
				return -1;
			break;
		case 'p':
			if (!drv_opt_u64(PROG, "--report", optarg, 0, UINT64_MAX, &o->report))
				return -1;
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
	if (!o->report)
		o->report = o->rate_hz;
	return 0;
}

/* Compare value number @k of the schedule, exact for any rate (no rounding
 * error accumulates), modulo 2^32 like CLO. */
static uint32_t schedule_at(const struct timer_state *st, uint64_t k)
{
	return st->base + (uint32_t)(k * ST_CLOCK_HZ / st->rate_hz);
}

/* Signed distance from @b to @a on the wrapping 32-bit counter. */
static int32_t us_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/*
 * Program the next compare after st->k, skipping (and counting as missed)
 * every one that CLO has already reached. Section 12: Cn is compared with
 * CLO for equality, so a value in the past is never matched in time.
 */
static int program_next(struct timer_state *st)
{
	uint32_t clo, cs;
	int r;

	r = udrv_read32(st->dev, 0, ST_CLO, &clo);
	if (r < 0)
		return r;
	for (;;) {
		/* The first compare far enough ahead of CLO; the ones we skip
		 * over would never match in time: count them missed. */
		st->k++;
		st->compare = schedule_at(st, st->k);
		if (us_after(st->compare, clo) < (int32_t)MIN_LEAD_US) {
			st->missed++;
			continue;
		}
		r = udrv_write32(st->dev, 0, ST_C(ST_CHANNEL), st->compare);
		if (r < 0)
			return r;
		/* Did CLO pass the compare while we wrote it (the guest was
		 * descheduled)? If M1 is set it matched and all is well; if
		 * not, it never will: skip again from the new CLO. */
		r = udrv_read32(st->dev, 0, ST_CLO, &clo);
		if (r < 0)
			return r;
		if (us_after(st->compare, clo) > 0)
			return 0;
		r = udrv_read32(st->dev, 0, ST_CS, &cs);
		if (r < 0)
			return r;
		if (cs & ST_CS_M(ST_CHANNEL))
			return 0;
		st->missed++;
	}
}

static void print_summary(const char *what, const struct timer_state *st,
			  uint64_t ticks, double secs)
{
	printf("[timer] %sticks=%" PRIu64 " missed=%" PRIu64 " rate=%.1fHz\n", what,
	       st->ticks, st->missed + udrv_irq_missed(st->dev),
	       secs > 0 ? (double)ticks / secs : 0.0);
}

int main(int argc, char **argv)
{
	struct timer_opts o;
	struct timer_state st;
	struct timespec t0, now, t_report, t_notify;
	struct udrv_map_info mi;
	struct pollfd pfd;
	sigset_t waitmask;
	uint64_t ticks_report = 0;
	uint32_t cs = 0, clo = 0, ev;
	int timeout_ms, r, ret = 1;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);

	r = drv_stop_signals_install();
	if (r == 0)
		r = drv_stop_block(&waitmask);
	if (r < 0) {
		fprintf(stderr, PROG ": signals: %s\n", strerror(-r));
		return 1;
	}

	memset(&st, 0, sizeof(st));
	st.rate_hz = o.rate_hz;
	st.dev = udrv_open(o.spec);
	if (!st.dev) {
		drv_open_failed(PROG, o.spec, errno);
		return 1;
	}
	r = udrv_map_info(st.dev, 0, &mi);
	if (r < 0) {
		fprintf(stderr, PROG ": %s has no map 0: %s\n", udrv_name(st.dev), strerror(-r));
		goto out_close;
	}
	if (mi.size < ST_REGS_END) {
		fprintf(stderr, PROG ": map 0 of %s is 0x%" PRIx64 " bytes, the system "
			"timer needs 0x%x: is this the system timer?\n",
			udrv_name(st.dev), mi.size, ST_REGS_END);
		goto out_close;
	}
	r = udrv_irq_fd(st.dev);
	if (r < 0) {
		fprintf(stderr, PROG ": %s has no interrupt: %s\n", udrv_name(st.dev), strerror(-r));
		goto out_close;
	}
	pfd.fd = r;
	pfd.events = POLLIN;
	printf("[timer] mapped 0x%" PRIx64 " size=0x%" PRIx64 ", channel %u at %" PRIu64 " Hz\n",
	       mi.addr, mi.size, ST_CHANNEL, o.rate_hz);

	/* Start clean: clear a stale match flag (CS bits clear on writing 1). */
	r = udrv_write32(st.dev, 0, ST_CS, ST_CS_M(ST_CHANNEL));
	if (r == 0)
		r = udrv_read32(st.dev, 0, ST_CLO, &st.base);
	if (r == 0)
		r = program_next(&st);
	if (r < 0) {
		fprintf(stderr, PROG ": arming compare %u: %s\n", ST_CHANNEL, strerror(-r));
		goto out_close;
	}
	r = udrv_irq_enable(st.dev);
	if (r < 0) {
		fprintf(stderr, PROG ": %s: cannot enable its interrupt: %s%s\n", udrv_name(st.dev),
			strerror(-r), r == -ENOTSUP ? " (no interrupt: is this the system timer?)" : "");
		goto out_close;
	}
	udrv_notify_ready();
	udrv_notify_status("channel %u at %" PRIu64 " Hz", ST_CHANNEL, o.rate_hz);

	/* A tick must come within a few periods; allow at least 1 s. */
	timeout_ms = (int)(5000 / o.rate_hz);
	if (timeout_ms < 1000)
		timeout_ms = 1000;

	drv_now(&t0);
	t_report = t_notify = t0;
	for (;;) {
		struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };

		if (drv_stop_requested)
			break;
		/* SIGTERM/SIGINT are blocked except inside ppoll(). */
		r = ppoll(&pfd, 1, &ts, &waitmask);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, PROG ": ppoll: %s\n", strerror(errno));
			goto out_close;
		}
		if (r == 0) {
			udrv_read32(st.dev, 0, ST_CS, &cs);
			udrv_read32(st.dev, 0, ST_CLO, &clo);
			fprintf(stderr, PROG ": no interrupt in %d ms (CS=0x%" PRIx32 " CLO=0x%08"
				PRIx32 " C1=0x%08" PRIx32 ")\n", timeout_ms, cs, clo, st.compare);
			goto out_close;
		}
		r = udrv_irq_wait(st.dev, 0, &ev);
		if (r < 0) {
			fprintf(stderr, PROG ": interrupt wait: %s\n", strerror(-r));
			goto out_close;
		}
		if (r == 0)
			continue;

		r = udrv_read32(st.dev, 0, ST_CS, &cs);
		if (r < 0)
			goto out_mmio;
		if (!(cs & ST_CS_M(ST_CHANNEL))) {
			st.spurious++;
		} else {
			/* Clear M1 first: the line is level-triggered and would
			 * fire again the moment it is re-armed. */
			r = udrv_write32(st.dev, 0, ST_CS, ST_CS_M(ST_CHANNEL));
			if (r < 0)
				goto out_mmio;
			st.ticks++;
			ticks_report++;
			r = program_next(&st);
			if (r < 0)
				goto out_mmio;
		}
		r = udrv_irq_enable(st.dev);
		if (r < 0) {
			fprintf(stderr, PROG ": re-arming the interrupt: %s\n", strerror(-r));
			goto out_close;
		}

		drv_now(&now);
		if (st.ticks && st.ticks % o.report == 0 && ticks_report) {
			print_summary("", &st, ticks_report, drv_ts_diff_s(&now, &t_report));
			t_report = now;
			ticks_report = 0;
		}
		if (drv_ts_diff_s(&now, &t_notify) * 1e9 >= NOTIFY_EVERY_NS) {
			udrv_notify_watchdog();
			udrv_notify_status("ticks=%" PRIu64 " missed=%" PRIu64, st.ticks,
					   st.missed + udrv_irq_missed(st.dev));
			t_notify = now;
		}
		if (o.count && st.ticks >= o.count)
			break;
	}
	drv_now(&now);
	udrv_notify_stopping();
	/* The last compare may still fire: clear its flag so the next user
	 * starts clean (the line stays masked: we do not re-arm). */
	udrv_write32(st.dev, 0, ST_CS, ST_CS_M(ST_CHANNEL));
	printf("[timer] stopped: ticks=%" PRIu64 " missed=%" PRIu64 " spurious=%" PRIu64
	       " in %.3fs = %.2fHz (asked %" PRIu64 " Hz)\n", st.ticks,
	       st.missed + udrv_irq_missed(st.dev), st.spurious,
	       drv_ts_diff_s(&now, &t0),
	       st.ticks / (drv_ts_diff_s(&now, &t0) > 0 ? drv_ts_diff_s(&now, &t0) : 1),
	       o.rate_hz);
	ret = 0;
	goto out_close;

out_mmio:
	fprintf(stderr, PROG ": register access: %s\n", strerror(-r));
out_close:
	udrv_close(st.dev);
	return ret;
}
