/* SPDX-License-Identifier: MIT */
/*
 * gpio_driver - blink an LED on a BCM2835 GPIO pin from user space.
 *
 * Opens the GPIO block through UIO (a device-tree "generic-uio" node named
 * gpiomem, like /dev/gpiomem on a real Pi), checks the map, makes the pin an
 * output and toggles it through GPSET/GPCLR, reading every change back from
 * GPLEV. Runs under driver_supervisor or systemd (READY/WATCHDOG/STATUS) and
 * stops on SIGTERM with the pin left low.
 *
 * The toggle count and the last level live in udrv_state_open("gpio-state"),
 * a memfd the manager keeps in its fd store: after a crash the restarted
 * driver drives the pin back to the last level and counts on from there.
 *
 * Under driver_supervisor with IPC=yes it also answers calls (gpio_ipc.h:
 * status, period, set-period, toggles) from its wait between toggles, a
 * ppoll on the server fd up to the next deadline; a period set over IPC is
 * kept in the IPC checkpoint, so a restarted instance blinks at it.
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
#include "gpio_ipc.h"
#include "registers.h"

#define PROG "gpio_driver"

/* Kept across crashes (udrv_state_open). seq is odd while an update is under
 * way: a crash between the two increments leaves a torn update behind. */
#define GPIO_STATE_MAGIC 0x6770696fu /* "gpio" */
struct gpio_state {
	uint32_t magic;   /* GPIO_STATE_MAGIC once initialised */
	uint32_t pin;     /* the pin the count belongs to */
	uint64_t seq;
	uint64_t toggles;
	int32_t level;    /* last level driven */
};

/* Record one toggle: the two stores between the seq increments. A compiler
 * barrier is enough: a crash loses the process, not stores it issued. */
static void state_update(struct gpio_state *st, uint64_t toggles, int level)
{
	st->seq++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	st->toggles = toggles;
	st->level = level;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	st->seq++;
}

/*
 * Map the kept state, or fresh state when there is none (or not ours). A
 * driver that cannot keep state still blinks: @local stands in.
 */
static struct gpio_state *state_restore(unsigned pin, struct gpio_state *local,
					uint64_t *toggles, int *level)
{
	struct gpio_state *st;
	bool restored = false;
	void *mem;
	int r = udrv_state_open("gpio-state", sizeof(*st), &mem, &restored);

	if (r < 0) {
		fprintf(stderr, PROG ": state not kept across restarts: %s\n", strerror(-r));
		memset(local, 0, sizeof(*local));
		mem = local;
		restored = false;
	}
	st = mem;
	if (restored && st->magic == GPIO_STATE_MAGIC && st->pin == pin) {
		*toggles = st->toggles;
		*level = st->level ? 1 : 0;
		printf("[driver] restored state: %" PRIu64 " toggles, pin %u level=%d%s\n",
		       *toggles, pin, *level,
		       st->seq & 1 ? " (last update torn by the crash: counting on from it)" : "");
	} else {
		if (restored)
			printf("[driver] kept state is not for pin %u: starting afresh\n", pin);
		st->magic = GPIO_STATE_MAGIC;
		st->pin = pin;
	}
	state_update(st, *toggles, *level);
	return st;
}

struct gpio_opts {
	const char *spec;
	unsigned pin;
	uint64_t period_ms;
	uint64_t count;  /* toggles; 0 = until stopped */
	uint64_t report; /* a level line every N toggles; 0 = never */
	bool dump;       /* print the registers and exit, touching nothing */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--device SPEC] [--pin N] [--period-ms N] [--count N]\n"
		"                   [--report N] [--verbose] [--dump]\n"
		"  --device SPEC   UIO device (default $UDRV_DEVICE, else \"name:gpiomem\")\n"
		"  --pin N         GPIO pin 0..53 (default 17)\n"
		"  --period-ms N   time between level changes, 1..3600000 (default 500)\n"
		"  --count N       stop after N level changes (default 0 = until SIGTERM)\n"
		"  --report N      print the level read back every N changes (default 10)\n"
		"  --verbose       same as --report 1\n"
		"  --dump          print GPFSEL0..5 and GPLEV0..1 and the pin's state, change nothing\n");
}

static int parse_args(int argc, char **argv, struct gpio_opts *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "pin", required_argument, NULL, 'p' },
		{ "period-ms", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "report", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "dump", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	o->spec = drv_default_spec("name:gpiomem");
	o->pin = 17;
	o->period_ms = 500;
	o->count = 0;
	o->report = 10;
	o->dump = false;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!drv_opt_spec(PROG, optarg, &o->spec))
				return -1;
			break;
		case 'p':
			if (!drv_opt_u64(PROG, "--pin", optarg, 0, GPIO_NPINS - 1, &v))
				return -1;
			o->pin = (unsigned)v;
			break;
		case 't':
			if (!drv_opt_u64(PROG, "--period-ms", optarg, 1, 3600000, &o->period_ms))
				return -1;
			break;
		case 'n':
			if (!drv_opt_u64(PROG, "--count", optarg, 0, UINT64_MAX, &o->count))
				return -1;
			break;
		case 'r':
			if (!drv_opt_u64(PROG, "--report", optarg, 0, UINT64_MAX, &o->report))
				return -1;
			break;
		case 'v':
			o->report = 1;
			break;
		case 'D':
			o->dump = true;
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
	return 0;
}

/* Set @pin's function to output: read-modify-write of its 3 bits only
 * (section 6.1, GPFSELn), so the other nine pins of the register keep theirs. */
static int gpio_set_output(udrv_dev *dev, unsigned pin)
{
	uint32_t v;
	int r;

	r = udrv_read32(dev, 0, GPFSEL(pin), &v);
	if (r < 0)
		return r;
	v &= ~(GPFSEL_MASK << GPFSEL_SHIFT(pin));
	v |= GPFSEL_OUTPUT << GPFSEL_SHIFT(pin);
	r = udrv_write32(dev, 0, GPFSEL(pin), v);
	if (r < 0)
		return r;
	/* Read back: a block that ignores the write is not worth blinking on. */
	r = udrv_read32(dev, 0, GPFSEL(pin), &v);
	if (r < 0)
		return r;
	if (((v >> GPFSEL_SHIFT(pin)) & GPFSEL_MASK) != GPFSEL_OUTPUT)
		return -EIO;
	return 0;
}

/*
 * Drive @pin to @level through GPSET/GPCLR (writing 1 to the pin's bit;
 * zeros leave the other pins alone) and read the level back from GPLEV.
 * Returns 0, -EIO when GPLEV disagrees (*lev then holds the register), or
 * a udrv error.
 */
static int gpio_drive(udrv_dev *dev, unsigned pin, int level, uint32_t *lev)
{
	int r;

	r = udrv_write32(dev, 0, level ? GPSET(pin) : GPCLR(pin), GPIO_BIT(pin));
	if (r < 0)
		return r;
	r = udrv_read32(dev, 0, GPLEV(pin), lev);
	if (r < 0)
		return r;
	return (!!(*lev & GPIO_BIT(pin)) == !!level) ? 0 : -EIO;
}

/*
 * Sleep until @deadline; when the manager asked for a watchdog shorter than
 * twice the remaining time, wake every half watchdog period to send
 * WATCHDOG=1, so a long blink period is not mistaken for a hang.
 */
static int sleep_pinging(const struct timespec *deadline, uint64_t wd_usec)
{
	struct timespec step;
	int r;

	for (;;) {
		if (!wd_usec)
			return drv_sleep_until(deadline);
		drv_now(&step);
		drv_ts_add_ns(&step, wd_usec * 500); /* half the period, in ns */
		if (drv_ts_diff_s(deadline, &step) <= 0)
			return drv_sleep_until(deadline);
		r = drv_sleep_until(&step);
		if (r < 0)
			return r;
		udrv_notify_watchdog();
	}
}

/* Signed @a - @b in nanoseconds. */
static int64_t ts_diff_ns(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(a->tv_sec - b->tv_sec) * 1000000000 + (a->tv_nsec - b->tv_nsec);
}

/*
 * With IPC: wait until @deadline in ppoll on the server fd, answering calls
 * meanwhile, and send WATCHDOG=1 every half watchdog period (*@ping: when
 * the last one went). The deadline stays absolute, so answering calls adds
 * no drift. Stop signals are blocked except inside ppoll (@waitmask).
 * Returns 0 at the deadline, 1 after answering calls (one may have changed
 * the period: the caller works the deadline out again), -EINTR on a stop
 * request, or -errno.
 */
static int serve_until(udrv_server *srv, const sigset_t *waitmask,
		       const struct timespec *deadline, uint64_t wd_usec, struct timespec *ping)
{
	struct pollfd pfd = { .fd = udrv_server_fd(srv), .events = POLLIN };
	struct timespec now, wake, ts;
	int64_t left;
	int r;

	for (;;) {
		if (drv_stop_requested)
			return -EINTR;
		drv_now(&now);
		wake = *deadline;
		if (wd_usec) {
			struct timespec due = *ping;

			drv_ts_add_ns(&due, wd_usec * 500); /* half the period, in ns */
			if (ts_diff_ns(&due, &now) <= 0) {
				udrv_notify_watchdog();
				*ping = now;
				continue;
			}
			if (ts_diff_ns(&due, &wake) < 0)
				wake = due;
		}
		if (ts_diff_ns(deadline, &now) <= 0)
			return 0;
		left = ts_diff_ns(&wake, &now);
		ts.tv_sec = (time_t)(left / 1000000000);
		ts.tv_nsec = (long)(left % 1000000000);
		r = ppoll(&pfd, 1, &ts, waitmask);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (drv_stop_pending())
			return -EINTR;
		if (r > 0) {
			r = udrv_server_dispatch(srv, 0);
			if (r < 0 && r != -EINTR)
				return r;
			return 1;
		}
	}
}

/* Check map 0 covers the registers we use and print it, as the brief shows. */
static int check_map(udrv_dev *dev)
{
	struct udrv_map_info mi;
	int n, r;

	n = udrv_map_count(dev);
	if (n < 1) {
		fprintf(stderr, PROG ": device %s has no memory map\n", udrv_name(dev));
		return -1;
	}
	r = udrv_map_info(dev, 0, &mi);
	if (r < 0) {
		fprintf(stderr, PROG ": map 0 of %s: %s\n", udrv_name(dev), strerror(-r));
		return -1;
	}
	if (mi.size < GPIO_REGS_END) {
		fprintf(stderr, PROG ": map 0 of %s is 0x%" PRIx64 " bytes, the GPIO "
			"registers need 0x%x: is this the GPIO block?\n",
			udrv_name(dev), mi.size, GPIO_REGS_END);
		return -1;
	}
	printf("[driver] mapped 0x%" PRIx64 " size=0x%" PRIx64 "\n", mi.addr, mi.size);
	if (mi.addr != GPIO_BLOCK_ADDR_PI3)
		printf("[driver] note: 0x%" PRIx64 " is not the Pi 3 GPIO block (0x%x)\n",
		       mi.addr, GPIO_BLOCK_ADDR_PI3);
	if (!udrv_map(dev, 0)) {
		fprintf(stderr, PROG ": mmap of map 0: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Register dump for debugging and for tests that check state independently
 * of the blink loop (e.g. the pin left low, other pins' GPFSEL untouched). */
static int gpio_dump(udrv_dev *dev, unsigned pin)
{
	static const char *const names[] = { "GPFSEL0", "GPFSEL1", "GPFSEL2", "GPFSEL3",
					     "GPFSEL4", "GPFSEL5" };
	uint32_t v, fsel = 0, lev = 0;
	unsigned i;
	int r;

	for (i = 0; i < 6; i++) {
		r = udrv_read32(dev, 0, GPFSEL0 + 4u * i, &v);
		if (r < 0)
			return r;
		if (GPFSEL0 + 4u * i == GPFSEL(pin))
			fsel = v;
		printf("[driver] %s (0x%02x) = 0x%08" PRIx32 "\n", names[i], GPFSEL0 + 4u * i, v);
	}
	for (i = 0; i < 2; i++) {
		r = udrv_read32(dev, 0, GPLEV0 + 4u * i, &v);
		if (r < 0)
			return r;
		if (i == GPIO_BANK(pin))
			lev = v;
		printf("[driver] GPLEV%u (0x%02x) = 0x%08" PRIx32 "\n", i, GPLEV0 + 4u * i, v);
	}
	v = (fsel >> GPFSEL_SHIFT(pin)) & GPFSEL_MASK;
	printf("[driver] pin %u function=%s level=%d\n", pin,
	       v == GPFSEL_OUTPUT ? "output" : v == GPFSEL_INPUT ? "input" : "alt",
	       !!(lev & GPIO_BIT(pin)));
	return 0;
}

int main(int argc, char **argv)
{
	struct gpio_opts o;
	struct gpio_run run = { 0 };
	struct timespec next, last, ping, now;
	struct gpio_state local, *st;
	udrv_server *srv = NULL;
	sigset_t waitmask;
	udrv_dev *dev;
	uint64_t run_toggles = 0;
	uint32_t lev = 0;
	uint64_t wd_usec = udrv_watchdog_usec();
	int r, ret = 1;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	/* Line-buffered even into a pipe or file, so logs interleave in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);

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
	if (check_map(dev) < 0)
		goto out_close;
	if (o.dump) {
		r = gpio_dump(dev, o.pin);
		if (r < 0)
			fprintf(stderr, PROG ": register dump: %s\n", strerror(-r));
		else
			ret = 0;
		goto out_close;
	}

	r = gpio_set_output(dev, o.pin);
	if (r < 0) {
		fprintf(stderr, PROG ": cannot make pin %u an output: %s\n", o.pin,
			r == -EIO ? "GPFSEL does not read back as output" : strerror(-r));
		goto out_close;
	}
	/* Start from a known state, read back: low, or the level the last
	 * instance left (and the count it reached) after a crash. */
	run.pin = o.pin;
	run.period_ms = (uint32_t)o.period_ms;
	st = state_restore(o.pin, &local, &run.toggles, &run.level);
	r = gpio_drive(dev, o.pin, run.level, &lev);
	if (r < 0) {
		fprintf(stderr, PROG ": pin %u: %s (GPLEV%u=0x%08" PRIx32 ")\n", o.pin,
			r == -EIO ? "level does not read back" : strerror(-r),
			GPIO_BANK(o.pin), lev);
		goto out_close;
	}

	/* Calls are answered from the wait between toggles. No IPC=yes
	 * (ENOENT): blink as before, without. */
	srv = gpio_ipc_open(&run);
	if (!srv && errno != ENOENT) {
		fprintf(stderr, PROG ": IPC: %s\n", strerror(errno));
		goto out_low;
	}
	if (srv) {
		r = drv_stop_block(&waitmask);
		if (r < 0) {
			fprintf(stderr, PROG ": signals: %s\n", strerror(-r));
			goto out_low;
		}
		printf("[driver] IPC: serving calls (status, period, set-period, toggles); "
		       "period %" PRIu32 " ms%s\n", gpio_run_period(&run),
		       run.ipc->period_ms ? " (set over IPC)" : "");
	}

	printf("[driver] LED on pin %u blinking\n", o.pin);
	udrv_notify_ready();
	udrv_notify_status("pin %u blinking every %" PRIu32 " ms", o.pin, gpio_run_period(&run));

	drv_now(&last);
	ping = last;
	for (;;) {
		/* The next toggle is due one period after the last deadline
		 * (absolute: no drift). A call may change the period meanwhile:
		 * the deadline is then worked out again from the same start. */
		do {
			next = last;
			drv_ts_add_ns(&next, (uint64_t)gpio_run_period(&run) * 1000000u);
			r = srv ? serve_until(srv, &waitmask, &next, wd_usec, &ping)
				: sleep_pinging(&next, wd_usec);
		} while (r == 1);
		if (r == -EINTR)
			break;
		if (r < 0) {
			fprintf(stderr, PROG ": %s: %s\n", srv ? "serving IPC" : "clock_nanosleep",
				strerror(-r));
			goto out_low;
		}
		last = next;
		if (srv) {
			/* A period shortened over IPC may leave the schedule more
			 * than a period behind: go on from now, not in a burst. */
			drv_now(&now);
			if (ts_diff_ns(&now, &last) >= (int64_t)gpio_run_period(&run) * 1000000)
				last = now;
		}

		run.level = !run.level;
		r = gpio_drive(dev, o.pin, run.level, &lev);
		run.toggles++;
		state_update(st, run.toggles, run.level);
		if (r == -EIO) {
			fprintf(stderr, PROG ": pin %u: wrote %d, GPLEV%u reads 0x%08" PRIx32
				" (level %d) at toggle %" PRIu64 "\n", o.pin, run.level,
				GPIO_BANK(o.pin), lev, !run.level, run.toggles);
			goto out_low;
		}
		if (r < 0) {
			fprintf(stderr, PROG ": register access: %s\n", strerror(-r));
			goto out_low;
		}
		if (o.report && run.toggles % o.report == 0)
			printf("[driver] pin %u level=%d (toggle %" PRIu64 ")\n",
			       o.pin, run.level, run.toggles);
		udrv_notify_watchdog();
		drv_now(&ping);
		udrv_notify_status("pin %u level=%d toggles=%" PRIu64, o.pin, run.level, run.toggles);
		if (o.count && ++run_toggles >= o.count)
			break; /* --count: changes by this instance */
	}
	ret = 0;

out_low:
	/* Leave the LED off whatever happened. */
	udrv_notify_stopping();
	if (gpio_drive(dev, o.pin, 0, &lev) < 0) {
		fprintf(stderr, PROG ": pin %u: could not leave it low\n", o.pin);
		ret = 1;
	}
	printf("[driver] stopped after %" PRIu64 " toggles, pin %u low\n", run.toggles, o.pin);
out_close:
	udrv_server_close(srv);
	udrv_close(dev);
	return ret;
}
