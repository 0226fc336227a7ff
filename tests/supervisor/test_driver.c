/* SPDX-License-Identifier: MIT */
/*
 * test_driver - a misbehaving driver on demand, for the supervisor tests.
 *
 *   test_driver [--crash segv|bus|abrt|kill|term | --exit CODE] [--after MS]
 *               [--no-ready] [--ready-delay MS] [--hang-after MS]
 *               [--crash-times N --counter FILE] [--record FILE]
 *               [--check-fds] [--fork-child] [--ignore-term] [--say TEXT]
 *               [--status TEXT] [--healthy-crash-after MS] [--ignore-abrt]
 *               [--print-env VAR] [--serve] [--state NAME] [--store-fds N]
 *               [--store-dup] [--fdstore-remove NAME] [--print-listen]
 *               [--serve-ipc] [--graceful]
 *
 * It speaks sd_notify through libudrv: READY=1 (unless --no-ready), then
 * WATCHDOG=1 every WATCHDOG_USEC/4 until --hang-after, STATUS= text. The
 * faults are real (a store to a PROT_NONE page, a read past the end of a mapped empty
 * file, abort()), not raise(). Core dumps are off (RLIMIT_CORE 0) so tests
 * leave no files behind.
 *
 * --record FILE appends "EVENT PID MONOTONIC_NS" lines (start, ready,
 * crash, exit, child) for tests to measure delays with the same clock.
 * --crash-times N with --counter FILE: only the first N starts (counted in
 * FILE) misbehave; later starts run healthy, or crash after
 * --healthy-crash-after MS (a crash after a long healthy run).
 * SIGABRT is recorded ("abrt") before it kills; --ignore-abrt survives it.
 * --serve: answer "hello from PID" on each connection to the socket-activated
 * fd 3 (LISTEN_FDS=1).
 * --state NAME: a start counter kept with udrv_state_open(NAME); prints
 * "[test_driver] state NAME: starts N (restored|new)".
 * --store-fds N: stores N new memfds as "extra0".."extraN-1" (padded with
 * 'x' to --store-name-len characters); --store-dup:
 * one memfd stored three times (twice itself, once a dup()) as "dup";
 * --fdstore-remove NAME: FDSTOREREMOVE=1 for NAME. All before READY=1.
 * --print-listen: prints LISTEN_FDS, LISTEN_FDNAMES and where
 * udrv_listen_fd() finds each name.
 * --serve-ipc: like --serve on the SOCK_SEQPACKET fd named "ipc" (IPC=yes),
 * one message "hello from PID" per connection.
 * --graceful: SIGTERM is a request to quiesce: the connection being
 * answered is finished, "term" recorded, then exit 0 (as a driver does
 * for `udrvctl restart|upgrade`).
 */
#include "udrv.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char *record_path;

/* In sanitizer builds the faults must stay real signals: ASan would turn
 * them into an exit(1) with a report (and take its time doing so). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "handle_segv=0:handle_sigbus=0:handle_abort=0:detect_leaks=0";
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void record(const char *event)
{
	char line[96];
	int fd, n;

	if (!record_path)
		return;
	fd = open(record_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "[test_driver] cannot open %s: %s\n", record_path, strerror(errno));
		exit(4);
	}
	n = snprintf(line, sizeof(line), "%s %d %llu\n", event, (int)getpid(),
		     (unsigned long long)now_ns());
	if (write(fd, line, (size_t)n) != n)
		exit(4);
	close(fd);
}

static bool ignore_abrt;

static void on_abrt(int sig)
{
	record("abrt");
	if (ignore_abrt)
		return;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int serve_fd = -1;             /* --serve: 3, --serve-ipc: the "ipc" fd */
static volatile sig_atomic_t term_asked; /* --graceful: SIGTERM seen */
static sigset_t wait_mask;              /* the mask while waiting: SIGTERM let in */

static void on_term(int sig)
{
	(void)sig;
	term_asked = 1;
}

/* Wait @ms, serving the socket meanwhile if @serve. With --graceful,
 * SIGTERM is blocked except here, so it ends a wait and is never lost
 * between the check of term_asked and the wait. */
static void wait_ms(uint64_t ms, bool serve)
{
	struct pollfd p = { .fd = serve_fd, .events = POLLIN };
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	if (ppoll(&p, serve ? 1 : 0, &ts, &wait_mask) <= 0)
		return;
	int c = accept4(serve_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c >= 0) {
		char msg[32];
		int n = snprintf(msg, sizeof(msg), "hello from %d\n", (int)getpid());

		if (write(c, msg, (size_t)n) != n) /* one write: one SEQPACKET message */
			fprintf(stderr, "[test_driver] answer: %s\n", strerror(errno));
		close(c);
	}
}

/* Count this start in @path; return the count including this one. */
static long bump_counter(const char *path)
{
	long n = 0;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = 0;
		fclose(f);
	}
	n++;
	f = fopen(path, "w");
	if (!f || fprintf(f, "%ld\n", n) < 0 || fclose(f) != 0) {
		fprintf(stderr, "[test_driver] cannot write %s\n", path);
		exit(4);
	}
	return n;
}

static void check_fds(void)
{
	/* Only 0-2 (and 3.. with LISTEN_FDS) may be open. */
	int first = 3 + (getenv("LISTEN_FDS") ? atoi(getenv("LISTEN_FDS")) : 0), bad = 0;

	for (int fd = first; fd < 1024; fd++) {
		if (fcntl(fd, F_GETFD) >= 0) {
			char path[64], target[256] = "";
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			n = readlink(path, target, sizeof(target) - 1);
			if (n > 0)
				target[n] = '\0';
			printf("[test_driver] leaked fd %d -> %s\n", fd, target);
			bad++;
		}
	}
	if (bad) {
		fflush(stdout);
		exit(3);
	}
	printf("[test_driver] fds ok\n");
}

/* The state kept across restarts by --state: seq is odd while an update
 * is under way, so a restore can tell a torn update. */
struct state {
	uint64_t seq;
	uint64_t starts;
};

static void keep_state(const char *name)
{
	struct state *st;
	bool restored;
	void *mem;
	int r = udrv_state_open(name, sizeof(*st), &mem, &restored);

	if (r < 0) {
		fprintf(stderr, "[test_driver] udrv_state_open(%s): %s\n", name, strerror(-r));
		exit(6);
	}
	st = mem;
	if (st->seq & 1)
		printf("[test_driver] state %s: torn update found\n", name);
	st->seq++;
	st->starts++;
	st->seq++;
	printf("[test_driver] state %s: starts %llu (%s)\n", name,
	       (unsigned long long)st->starts, restored ? "restored" : "new");
}

static int new_memfd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "[test_driver] memfd_create: %s\n", strerror(errno));
		exit(6);
	}
	return fd;
}

static void store(int fd, const char *name)
{
	int r = udrv_notify_fdstore(fd, name);

	if (r < 0) {
		fprintf(stderr, "[test_driver] udrv_notify_fdstore(%s): %s\n", name, strerror(-r));
		exit(6);
	}
}

static void print_listen(void)
{
	const char *n = getenv("LISTEN_FDNAMES");
	char names[1024];

	printf("[test_driver] LISTEN_FDS=%s LISTEN_FDNAMES=%s\n",
	       getenv("LISTEN_FDS") ? getenv("LISTEN_FDS") : "(unset)", n ? n : "(unset)");
	snprintf(names, sizeof(names), "%s", n ? n : "");
	for (char *save = NULL, *t = strtok_r(names, ":", &save); t; t = strtok_r(NULL, ":", &save))
		printf("[test_driver] fd %s -> %d\n", t, udrv_listen_fd(t));
}

static void misbehave(const char *crash, int exit_code)
{
	if (!crash) {
		record("exit");
		exit(exit_code);
	}
	record("crash");
	if (strcmp(crash, "segv") == 0) {
		/* a store to an inaccessible page (not NULL: UBSan would catch that) */
		volatile int *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			*p = 1;
	} else if (strcmp(crash, "bus") == 0) {
		/* Touching a mapped page beyond the end of a file is SIGBUS. */
		FILE *f = tmpfile();
		volatile char *p = f ? mmap(NULL, 4096, PROT_READ, MAP_SHARED, fileno(f), 0) : MAP_FAILED;
		if (p != MAP_FAILED)
			(void)p[0];
	} else if (strcmp(crash, "abrt") == 0) {
		abort();
	} else if (strcmp(crash, "kill") == 0) {
		raise(SIGKILL);
	} else if (strcmp(crash, "term") == 0) {
		raise(SIGTERM);
	}
	fprintf(stderr, "[test_driver] --crash %s did not crash\n", crash);
	exit(5);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "crash", required_argument, NULL, 'c' },
		{ "exit", required_argument, NULL, 'e' },
		{ "after", required_argument, NULL, 'a' },
		{ "no-ready", no_argument, NULL, 'n' },
		{ "ready-delay", required_argument, NULL, 'r' },
		{ "hang-after", required_argument, NULL, 'H' },
		{ "crash-times", required_argument, NULL, 't' },
		{ "counter", required_argument, NULL, 'C' },
		{ "record", required_argument, NULL, 'R' },
		{ "check-fds", no_argument, NULL, 'f' },
		{ "fork-child", no_argument, NULL, 'F' },
		{ "ignore-term", no_argument, NULL, 'i' },
		{ "say", required_argument, NULL, 's' },
		{ "status", required_argument, NULL, 'S' },
		{ "healthy-crash-after", required_argument, NULL, 'h' },
		{ "ignore-abrt", no_argument, NULL, 'I' },
		{ "print-env", required_argument, NULL, 'P' },
		{ "serve", no_argument, NULL, 'v' },
		{ "state", required_argument, NULL, 'T' },
		{ "store-fds", required_argument, NULL, 'x' },
		{ "store-name-len", required_argument, NULL, 'N' },
		{ "store-dup", no_argument, NULL, 'd' },
		{ "fdstore-remove", required_argument, NULL, 'X' },
		{ "print-listen", no_argument, NULL, 'L' },
		{ "serve-ipc", no_argument, NULL, 'V' },
		{ "graceful", no_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *crash = NULL, *counter = NULL, *say = NULL, *status = NULL, *env = NULL;
	long after = -1, ready_delay = 0, hang_after = -1, crash_times = -1, healthy_crash = -1;
	bool serve = false, store_dup = false, print_l = false, serve_ipc = false, graceful = false;
	const char *state_name = NULL, *remove_name = NULL;
	long store_fds = 0, name_len = 0;
	int exit_code = -1, opt;
	bool ready = true, fds = false, fork_child = false, ignore_term = false;
	struct rlimit nocore = { 0, 0 };
	uint64_t wd_ms, t0, next_ping;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': crash = optarg; break;
		case 'e': exit_code = atoi(optarg); break;
		case 'a': after = atol(optarg); break;
		case 'n': ready = false; break;
		case 'r': ready_delay = atol(optarg); break;
		case 'H': hang_after = atol(optarg); break;
		case 't': crash_times = atol(optarg); break;
		case 'C': counter = optarg; break;
		case 'R': record_path = optarg; break;
		case 'f': fds = true; break;
		case 'F': fork_child = true; break;
		case 'i': ignore_term = true; break;
		case 's': say = optarg; break;
		case 'S': status = optarg; break;
		case 'h': healthy_crash = atol(optarg); break;
		case 'I': ignore_abrt = true; break;
		case 'P': env = optarg; break;
		case 'v': serve = true; break;
		case 'T': state_name = optarg; break;
		case 'x': store_fds = atol(optarg); break;
		case 'N': name_len = atol(optarg); break;
		case 'd': store_dup = true; break;
		case 'X': remove_name = optarg; break;
		case 'L': print_l = true; break;
		case 'V': serve_ipc = true; break;
		case 'g': graceful = true; break;
		default:
			fprintf(stderr, "test_driver: bad option (see the source header)\n");
			return 2;
		}
	}
	if (serve)
		serve_fd = 3;
	if (serve_ipc) {
		serve = true;
		serve_fd = udrv_listen_fd("ipc");
		if (serve_fd < 0) {
			fprintf(stderr, "[test_driver] no fd named ipc: %s\n", strerror(-serve_fd));
			return 7;
		}
	}
	sigprocmask(SIG_SETMASK, NULL, &wait_mask);
	if (graceful) {
		sigset_t term;

		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		signal(SIGTERM, on_term);
		sigprocmask(SIG_BLOCK, &term, NULL);
	}
	setrlimit(RLIMIT_CORE, &nocore);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGABRT, on_abrt);
	record("start");
	if (env)
		printf("[test_driver] %s=%s\n", env, getenv(env) ? getenv(env) : "(unset)");
	if (fds)
		check_fds();
	if (print_l)
		print_listen();
	if (state_name)
		keep_state(state_name);
	for (long i = 0; i < store_fds; i++) {
		char name[300];
		int w = snprintf(name, sizeof(name), "extra%ld", i);
		/* --store-name-len: padded to that many characters */
		while (w < name_len && w < (int)sizeof(name) - 1)
			name[w++] = 'x';
		name[w] = '\0';
		int fd = new_memfd(name);
		store(fd, name);
		close(fd);
	}
	if (store_dup) {
		int fd = new_memfd("dup"), fd2 = dup(fd);
		store(fd, "dup");
		store(fd, "dup");
		store(fd2, "dup");
		close(fd);
		close(fd2);
	}
	if (remove_name) {
		char msg[300];
		snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", remove_name);
		udrv_notify(msg);
	}
	if (crash_times >= 0) {
		if (!counter) {
			fprintf(stderr, "test_driver: --crash-times needs --counter FILE\n");
			return 2;
		}
		if (bump_counter(counter) > crash_times) {
			/* this start runs healthy */
			if (healthy_crash >= 0 && crash) {
				after = healthy_crash;
			} else {
				crash = NULL;
				exit_code = -1;
			}
			hang_after = -1;
			ready = true;
		}
	}
	if (ignore_term)
		signal(SIGTERM, SIG_IGN);
	if (fork_child) {
		pid_t p = fork();
		if (p == 0) {
			record("child");
			for (;;)
				pause();
		}
	}
	if (say)
		printf("%s\n", say);
	if (status)
		udrv_notify_status("%s", status);
	if (ready_delay > 0)
		sleep_ms((uint64_t)ready_delay);
	bool misbehaves = crash || exit_code >= 0;
	if (!ready && misbehaves) {
		sleep_ms(after > 0 ? (uint64_t)after : 0);
		misbehave(crash, exit_code);
	}
	if (ready) {
		int r = udrv_notify_ready();
		if (r < 0)
			fprintf(stderr, "[test_driver] READY=1 failed: %s\n", strerror(-r));
		record("ready");
	}
	wd_ms = udrv_watchdog_usec() / 1000;
	t0 = now_ns() / 1000000;
	next_ping = t0;
	for (;;) {
		uint64_t now = now_ns() / 1000000, wake = now + 1000;

		if (term_asked) {
			record("term");
			return 0;
		}

		if (misbehaves && now >= t0 + (uint64_t)(after > 0 ? after : 0))
			misbehave(crash, exit_code);
		if (misbehaves && t0 + (uint64_t)(after > 0 ? after : 0) < wake)
			wake = t0 + (uint64_t)(after > 0 ? after : 0);
		if (wd_ms && (hang_after < 0 || now < t0 + (uint64_t)hang_after)) {
			if (now >= next_ping) {
				udrv_notify_watchdog();
				if (hang_after >= 0)
					record("ping"); /* tests measure detection from the last one */
				next_ping = now + (wd_ms / 4 ? wd_ms / 4 : 1);
			}
			if (next_ping < wake)
				wake = next_ping;
		}
		if (wake > now)
			wait_ms(wake - now, serve);
	}
}
