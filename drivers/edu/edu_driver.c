/* SPDX-License-Identifier: MIT */
/*
 * edu_driver - a user-space driver for QEMU's edu PCI device (board "pc").
 *
 * Checks the identification and liveness registers, computes factorials on
 * request (by default with the completion interrupt, --poll to poll the
 * busy bit instead), raises interrupts through register 0x60 and services
 * them (read cause 0x24, ack 0x64, re-arm), and with --serve keeps servicing
 * interrupts until SIGTERM, as a supervised driver.
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
#include "registers.h"

#define PROG "edu_driver"
#define MAX_FACT 16
#define WAIT_MS 2000 /* generous: the device answers in microseconds */

struct edu_opts {
	const char *spec;
	uint32_t fact[MAX_FACT];
	unsigned nfact;
	bool poll;
	uint64_t raise;
	bool serve;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--device SPEC] [--factorial N]... [--poll] [--raise N] [--serve]\n"
		"  --device SPEC   (default $UDRV_DEVICE, else \"name:uio_pci_generic\")\n"
		"  --factorial N   compute N! on the device (0..4294967295; repeatable, up to %d)\n"
		"  --poll          wait for factorials by polling the busy bit, not the interrupt\n"
		"  --raise N       raise N interrupts through 0x60 one by one and service each\n"
		"  --serve         then service interrupts until SIGTERM (READY/WATCHDOG)\n",
		MAX_FACT);
}

static int parse_args(int argc, char **argv, struct edu_opts *o)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "factorial", required_argument, NULL, 'f' },
		{ "poll", no_argument, NULL, 'p' },
		{ "raise", required_argument, NULL, 'r' },
		{ "serve", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->spec = getenv("UDRV_DEVICE");
	if (!o->spec || !*o->spec)
		o->spec = "name:uio_pci_generic";

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!*optarg) {
				fprintf(stderr, PROG ": --device: empty device spec\n");
				return -1;
			}
			o->spec = optarg;
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
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
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

/* Service interrupts until SIGTERM: what a supervised edu driver does. */
static int serve(udrv_dev *dev)
{
	struct pollfd pfd = { .fd = udrv_irq_fd(dev), .events = POLLIN };
	struct timespec ts = { 1, 0 };
	sigset_t waitmask;
	uint64_t served = 0;
	uint32_t cause;
	int r;

	r = drv_stop_block(&waitmask);
	if (r < 0 || pfd.fd < 0) {
		fprintf(stderr, PROG ": serve: %s\n", strerror(r < 0 ? -r : -pfd.fd));
		return -1;
	}
	udrv_notify_ready();
	printf("[edu] serving interrupts\n");
	while (!drv_stop_requested) {
		r = ppoll(&pfd, 1, &ts, &waitmask);
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, PROG ": ppoll: %s\n", strerror(errno));
			return -1;
		}
		udrv_notify_watchdog();
		if (r <= 0)
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
		printf("[edu] interrupt cause=0x%08" PRIx32 " (%" PRIu64 " served)\n", cause, served);
		udrv_notify_status("%" PRIu64 " interrupts served", served);
	}
	udrv_notify_stopping();
	printf("[edu] stopped after %" PRIu64 " interrupts\n", served);
	return 0;
}

int main(int argc, char **argv)
{
	struct edu_opts o;
	struct udrv_map_info mi;
	udrv_dev *dev;
	uint32_t ident, res;
	unsigned i;
	int r, ret = 1;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
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

	r = edu_check_liveness(dev, 0x12345678u);
	if (r == 0)
		r = edu_check_liveness(dev, 0xa5a5a5a5u);
	if (r < 0) {
		fprintf(stderr, PROG ": liveness check failed: %s\n",
			r == -EIO ? "register did not return the inverse" : strerror(-r));
		goto out;
	}
	printf("[edu] liveness ok\n");

	if ((o.nfact && !o.poll) || o.raise || o.serve) {
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
	if (o.serve && serve(dev) < 0)
		goto out;
	ret = 0;
out:
	udrv_close(dev);
	return ret;
}
