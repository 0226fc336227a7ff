/* SPDX-License-Identifier: MIT */
/* A driver with no device, built against the installed libudrv-dev by
 * tests/deb/test-deb.sh: READY=1, a counter in udrv_state_open() memory
 * that a restarted instance gets back, WATCHDOG=1 and STATUS= each turn. */
#include <udrv.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	struct { uint64_t starts, ticks; } *st;
	bool restored;
	int r = udrv_state_open("count", sizeof(*st), (void **)&st, &restored);

	if (r < 0) {
		fprintf(stderr, "state_driver: udrv_state_open: %s\n", strerror(-r));
		return 1;
	}
	st->starts++;
	printf("state_driver: start %llu, %s\n", (unsigned long long)st->starts,
	       restored ? "restored" : "fresh");
	fflush(stdout);
	udrv_notify_ready();
	for (;;) {
		st->ticks++;
		udrv_notify_status("ticks %llu", (unsigned long long)st->ticks);
		udrv_notify_watchdog();
		usleep(100000);
	}
}
