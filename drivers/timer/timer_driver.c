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
 *
 * Under driver_supervisor with IPC=yes it also answers calls (timer_ipc.h:
 * status, ticks, period, rate, set-rate) from the same ppoll as the
 * interrupt; a rate set over IPC is kept in the IPC checkpoint, so a
 * restarted instance ticks at it.
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
#include "registers.h"
#include "timer_ipc.h"

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
			if (!drv_opt_u64(PROG, "--rate-hz", optarg, TIMER_RATE_MIN, TIMER_RATE_MAX,
					 &o->rate_hz))
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

/*
 * Move the schedule over to the rate set over IPC, if it changed: the
 * compare already programmed stays (it fires at the old spacing) and the
 * new schedule counts from it, so no tick is lost or doubled. Returns true
 * when the rate changed.
 */
static bool follow_rate(struct timer_state *st)
{
	if (!st->ipc || !st->ipc->rate_hz || st->ipc->rate_hz == st->rate_hz)
		return false;
	st->base = st->compare;
	st->k = 0;
	st->rate_hz = st->ipc->rate_hz;
	return true;
}

/* A tick must come within a few periods; allow at least 1 s. */
static int tick_timeout_ms(uint64_t rate_hz)
{
	int ms = (int)(5000 / rate_hz);

	return ms < 1000 ? 1000 : ms;
}

static void print_summary(const char *what, const struct timer_state *st,
			  uint64_t ticks, double secs)
{
	printf("[timer] %sticks=%" PRIu64 " missed=%" PRIu64 " rate=%.1fHz\n", what,
	       st->ticks, timer_missed(st),
	       secs > 0 ? (double)ticks / secs : 0.0);
}

int main(int argc, char **argv)
{
	struct timer_opts o;
	struct timer_state st;
	struct timespec t0, now, t_report, t_notify, t_tick;
	struct udrv_map_info mi;
	struct pollfd pfd[2] = { { .fd = -1, .events = POLLIN }, { .fd = -1, .events = POLLIN } };
	udrv_server *srv = NULL;
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
	pfd[0].fd = r;

	/* Calls are answered from the same ppoll as the interrupt. No IPC=yes
	 * (ENOENT): tick as before, without. A rate set over IPC before a
	 * restart is the rate from the start. */
	srv = timer_ipc_open(&st);
	if (!srv && errno != ENOENT) {
		fprintf(stderr, PROG ": IPC: %s\n", strerror(errno));
		goto out_close;
	}
	if (srv) {
		pfd[1].fd = udrv_server_fd(srv);
		if (st.ipc->rate_hz)
			st.rate_hz = st.ipc->rate_hz;
		printf("[timer] IPC: serving calls (status, ticks, period, rate, set-rate); "
		       "rate %" PRIu64 " Hz%s\n", st.rate_hz, st.ipc->rate_hz ? " (set over IPC)" : "");
	}
	printf("[timer] mapped 0x%" PRIx64 " size=0x%" PRIx64 ", channel %u at %" PRIu64 " Hz\n",
	       mi.addr, mi.size, ST_CHANNEL, st.rate_hz);

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
	udrv_notify_status("channel %u at %" PRIu64 " Hz", ST_CHANNEL, st.rate_hz);

	timeout_ms = tick_timeout_ms(st.rate_hz);
	drv_now(&t0);
	t_report = t_notify = t_tick = t0;
	for (;;) {
		/* The wait ends timeout_ms after the last interrupt, however
		 * many calls come in between. */
		struct timespec ts = t_tick;
		double left;

		if (drv_stop_requested)
			break;
		drv_ts_add_ns(&ts, (uint64_t)timeout_ms * 1000000u);
		drv_now(&now);
		left = drv_ts_diff_s(&ts, &now);
		if (left < 0)
			left = 0;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		/* SIGTERM/SIGINT are blocked except inside ppoll(). */
		r = ppoll(pfd, 2, &ts, &waitmask);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, PROG ": ppoll: %s\n", strerror(errno));
			goto out_close;
		}
		/* Under constant calls ppoll may return ready fds without ever
		 * delivering a pending SIGTERM (drvutil.h). Only with IPC: the
		 * demo unit's SystemCallFilter= has no rt_sigpending. */
		if (srv && drv_stop_pending())
			break;
		if (r > 0 && (pfd[1].revents & POLLIN)) {
			int d = udrv_server_dispatch(srv, 0);

			if (d < 0 && d != -EINTR) {
				fprintf(stderr, PROG ": IPC: %s\n", strerror(-d));
				goto out_close;
			}
			if (follow_rate(&st)) {
				timeout_ms = tick_timeout_ms(st.rate_hz);
				printf("[timer] rate %" PRIu64 " Hz (set over IPC)\n", st.rate_hz);
				udrv_notify_status("channel %u at %" PRIu64 " Hz", ST_CHANNEL,
						   st.rate_hz);
			}
			if (!(pfd[0].revents & POLLIN))
				continue;
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
			drv_now(&t_tick);
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
					   timer_missed(&st));
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
	       timer_missed(&st), st.spurious,
	       drv_ts_diff_s(&now, &t0),
	       st.ticks / (drv_ts_diff_s(&now, &t0) > 0 ? drv_ts_diff_s(&now, &t0) : 1),
	       st.rate_hz);
	ret = 0;
	goto out_close;

out_mmio:
	fprintf(stderr, PROG ": register access: %s\n", strerror(-r));
out_close:
	udrv_server_close(srv);
	udrv_close(st.dev);
	return ret;
}
