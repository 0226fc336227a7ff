/* SPDX-License-Identifier: MIT */
/*
 * serve_latency - a real driver's time to serving again (issue 12, row 4):
 * edu_driver --serve with IPC=yes under driver_supervisor, on board pc,
 * SIGKILLed N times; for each kill the time to the new instance's READY=1
 * and to the first client call answered (IPC `total`, which
 * udrv_client_call resends across the crash), and where the time goes:
 *
 *   vm/run --board pc --bind uio|vfio --put build/bench/serve_latency \
 *     --put build/drivers/edu_driver:/bin/edu_driver \
 *     --put build/supervisor/driver_supervisor-static:/bin/driver_supervisor \
 *     -- serve_latency --tag uio|vfio [-n N]
 *
 * Over VFIO the unit has Device=pci:$UDRV_EDU_BDF (the supervisor opens
 * group, container and device, the IOMMU set) and edu_driver maps its two
 * DMA buffers at every start (--dma 4095 --dma-every 1000: the first round
 * trip a second after READY=1, and every kill comes sooner, so no transfer
 * is in flight when it lands and no drain is measured).
 *
 * Every clock is the guest's CLOCK_MONOTONIC: the kill time is read here
 * right before kill(); with $UDRV_TIMES=1 the supervisor prints "[sup]
 * times NAME pid=P exited= launch= devices= exec= spawned=" at each launch
 * and edu_driver "times pid=P main= open= ipc0= ipc= dma0= dma= ready=" at
 * READY=1. The parts of kill -> READY=1:
 *
 *   reap     kill -> the supervisor has the exit (the kernel tearing the
 *            dead instance down: closing its device, VFIO release, DMA
 *            unmapping; and the supervisor waking up)
 *   decide   reaped -> launch (restart policy; RestartSec=0)
 *   devices  launch -> Device= open (IPC socket sync, VFIO group,
 *            container, IOMMU, device fd)
 *   spawn    -> the child about to execve() (seccomp filter built, cgroup,
 *            environment, clone, the child's fds and limits)
 *   exec     execve() -> edu_driver's main() (the kernel loading the
 *            static binary, its C start-up)
 *   open     udrv_open() (over VFIO: adopts the supervisor's fds, reset)
 *   ipc      the IPC server: socket adopted, checkpoint restored
 *   dma      DMA set-up: engine idle check, two buffers mapped (VFIO)
 *   init     the driver's own: BAR check, ident, liveness, interrupt on
 *   answer   READY=1 -> the client's resent call answered
 *
 * --favordynmods first remounts the cgroup v2 hierarchy with that option
 * (Linux >= 6.0): the supervisor's child writing itself into its cgroup's
 * cgroup.procs then no longer waits for an RCU grace period (about 10 ms
 * of `spawn` on board pc); --tag names the rows (serve-TAG-*), --bind the
 * binding when the tag is not it.
 *
 * The framework's share is supervisor (decide + devices + spawn) plus
 * library (open + ipc + dma) over kill -> READY=1.
 *
 * Output: records in bench/README.md's format, printed at the end (console
 * output is an emulated UART, it would slow the kills down). Exit 1 when
 * the set-up fails or a restart does not come; never on speed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "udrv.h"

#define PROG "serve_latency"
#define WAIT_MS 20000 /* generous: a TCG guest */
#define PAUSE_MS 200  /* from a call answered to the next kill */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What the two "times" lines said about one instance. */
struct inst {
	int pid;
	bool sup, drv;
	uint64_t exited, launch, devices, exec, spawned;
	uint64_t main, open, ipc0, ipc, dma0, dma, ready;
};

/* The supervisor's output: a pipe read line by line; everything else goes
 * to a log file, whose tail is shown if something goes wrong. */
static int sup_out = -1;
static FILE *logfile;
static char buf[65536];
static size_t blen;

static bool field(const char *line, const char *key, uint64_t *v)
{
	char k[32];
	const char *p;

	snprintf(k, sizeof(k), " %s=", key);
	if (!(p = strstr(line, k)))
		return false;
	*v = strtoull(p + strlen(k), NULL, 10);
	return true;
}

/* Parse one line into @in if it is a times line about some instance;
 * returns its pid, or 0. */
static int parse(const char *line, struct inst *in)
{
	uint64_t pid;

	memset(in, 0, sizeof(*in));
	if (!strstr(line, " times ") || !field(line, "pid", &pid))
		return 0;
	in->pid = (int)pid;
	if (strstr(line, "[sup] times ")) {
		in->sup = field(line, "exited", &in->exited) && field(line, "launch", &in->launch) &&
			  field(line, "devices", &in->devices) && field(line, "exec", &in->exec) &&
			  field(line, "spawned", &in->spawned);
		return in->sup ? in->pid : 0;
	}
	in->drv = field(line, "main", &in->main) && field(line, "open", &in->open) &&
		  field(line, "ipc0", &in->ipc0) && field(line, "ipc", &in->ipc) &&
		  field(line, "dma0", &in->dma0) && field(line, "dma", &in->dma) &&
		  field(line, "ready", &in->ready);
	return in->drv ? in->pid : 0;
}

/* Read the supervisor's output until both times lines of an instance other
 * than @old have come, at most @ms; fills @out. */
static int wait_instance(int old, struct inst *out, int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000u;
	struct inst have = { 0 };

	for (;;) {
		char *nl;

		while ((nl = memchr(buf, '\n', blen))) {
			struct inst in;

			*nl = '\0';
			if (parse(buf, &in) && in.pid != old) {
				if (have.pid != in.pid)
					have = (struct inst){ .pid = in.pid };
				if (in.sup) {
					have.sup = true;
					have.exited = in.exited;
					have.launch = in.launch;
					have.devices = in.devices;
					have.exec = in.exec;
					have.spawned = in.spawned;
				} else {
					struct inst s = have;

					have = in;
					have.sup = s.sup;
					have.exited = s.exited;
					have.launch = s.launch;
					have.devices = s.devices;
					have.exec = s.exec;
					have.spawned = s.spawned;
				}
			} else if (logfile) {
				fprintf(logfile, "%s\n", buf);
			}
			blen -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, blen);
			if (have.drv && (have.sup || old == 0)) {
				*out = have;
				return 0;
			}
		}
		int64_t left = (int64_t)(end - now_ns()) / 1000000;
		struct pollfd p = { .fd = sup_out, .events = POLLIN };

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		if (blen == sizeof(buf))
			blen = 0; /* a line longer than the buffer: drop it */
		ssize_t n = read(sup_out, buf + blen, sizeof(buf) - blen);
		if (n == 0)
			return -EPIPE;
		if (n > 0)
			blen += (size_t)n;
	}
}

static void show_log(const char *path)
{
	char cmd[300];

	if (logfile)
		fflush(logfile);
	snprintf(cmd, sizeof(cmd), "tail -n 30 %s >&2", path);
	if (system(cmd) != 0)
		fprintf(stderr, PROG ": (no supervisor log)\n");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double *c = malloc((size_t)n * sizeof(*c)), m;

	if (!c)
		return 0;
	memcpy(c, v, (size_t)n * sizeof(*c));
	qsort(c, (size_t)n, sizeof(*c), cmp_double);
	m = c[n / 2];
	free(c);
	return m;
}

enum { P_REAP, P_DECIDE, P_DEVICES, P_SPAWN, P_EXEC, P_OPEN, P_IPC, P_DMA, P_INIT, P_ANSWER,
       P_READY, P_CALL, P_SHARE, P__COUNT };
static const char *const pname[P__COUNT] = { "reap", "decide", "devices", "spawn", "exec",
					      "open", "ipc", "dma", "init", "answer" };

int main(int argc, char **argv)
{
	const char *tag = NULL, *sup = "/bin/driver_supervisor", *drv = "/bin/edu_driver";
	const char *bind = NULL;
	bool fdm = false;
	const char *bdf = getenv("UDRV_EDU_BDF");
	char dir[] = "/tmp/serve-latency.XXXXXX", path[256], sock[256], logpath[256];
	int n = 100, warm = 3, pfd[2], pid, rc = 1;
	double *v[P__COUNT];
	udrv_client *c = NULL;
	uint64_t total;
	struct inst in;
	pid_t supp = -1;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--tag") && i + 1 < argc)
			tag = argv[++i];
		else if (!strcmp(argv[i], "--bind") && i + 1 < argc)
			bind = argv[++i];
		else if (!strcmp(argv[i], "--favordynmods"))
			fdm = true;
		else if (!strcmp(argv[i], "--supervisor") && i + 1 < argc)
			sup = argv[++i];
		else if (!strcmp(argv[i], "--driver") && i + 1 < argc)
			drv = argv[++i];
		else {
			fprintf(stderr, "usage: " PROG " --tag uio|vfio [--bind uio|vfio] [-n N] "
				"[--favordynmods] [--supervisor PATH] [--driver PATH]\n");
			return 2;
		}
	}
	if (!bind)
		bind = tag;
	if (!tag || !bind || (strcmp(bind, "uio") && strcmp(bind, "vfio")) || n < 1) {
		fprintf(stderr, PROG ": --bind (default: the --tag) must be uio or vfio, -n at "
			"least 1\n");
		return 2;
	}
	bool vfio = !strcmp(bind, "vfio");
	/* The cgroup v2 hierarchy with favordynmods: moving a process into a
	 * cgroup (the supervisor's child does, before exec) then skips an RCU
	 * grace period, milliseconds on an otherwise idle system. */
	if (fdm && system("mount -o remount,favordynmods /sys/fs/cgroup") != 0) {
		fprintf(stderr, PROG ": remounting /sys/fs/cgroup with favordynmods failed\n");
		return 1;
	}
	for (int p = 0; p < P__COUNT; p++)
		if (!(v[p] = calloc((size_t)n, sizeof(double))))
			return 1;
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/conf", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/conf/edu.driver", dir);
	if (!(f = fopen(path, "w")))
		return 1;
	/* Restart at once, every time: the bench kills a healthy instance. */
	fprintf(f, "[Driver]\nExecStart=%s --serve%s\n%s%s%sType=notify\nIPC=yes\n"
		"Restart=always\nRestartSec=0\nRestartMaxDelaySec=0\nRestartMinDelaySec=1ms\n"
		"RestartResetSec=1ms\nStartLimitBurst=0\nEnvironment=UDRV_TIMES=1\n", drv,
		vfio ? " --dma 4095 --dma-every 1000" : "", vfio ? "Device=pci:" : "",
		vfio ? (bdf ? bdf : "0000:00:03.0") : "", vfio ? "\n" : "");
	fclose(f);
	snprintf(logpath, sizeof(logpath), "%s/sup.log", dir);
	logfile = fopen(logpath, "w");

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return 1;
	setenv("UDRV_TIMES", "1", 1);
	supp = fork();
	if (supp == 0) {
		char conf[256], ctl[256], run[256];

		snprintf(conf, sizeof(conf), "%s/conf", dir);
		snprintf(ctl, sizeof(ctl), "%s/ctl.sock", dir);
		snprintf(run, sizeof(run), "%s/run", dir);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execl(sup, sup, "--config", conf, "--control", ctl, "--runtime-dir", run, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	sup_out = pfd[0];
	if (wait_instance(0, &in, WAIT_MS) < 0) {
		fprintf(stderr, PROG ": edu_driver never reported READY=1\n");
		show_log(logpath);
		goto out;
	}
	pid = in.pid;
	snprintf(sock, sizeof(sock), "%s/run/edu.sock", dir);
	for (int i = 0; i < 1000 && !c; i++)
		if (!(c = udrv_client_connect(sock)))
			usleep(10000);
	if (!c || udrv_client_call(c, "total", NULL, 0, &total, sizeof(total), WAIT_MS) !=
		  (int)sizeof(total)) {
		fprintf(stderr, PROG ": edu_driver does not answer calls at %s\n", sock);
		show_log(logpath);
		goto out;
	}

	/* The first kills warm the caches (page cache of the binaries). */
	for (int k = -warm; k < n; k++) {
		uint64_t t_kill, t_call;
		int r;

		usleep(PAUSE_MS * 1000);
		t_kill = now_ns();
		kill(pid, SIGKILL);
		r = udrv_client_call(c, "total", NULL, 0, &total, sizeof(total), WAIT_MS);
		t_call = now_ns();
		if (r != (int)sizeof(total)) {
			fprintf(stderr, PROG ": kill %d: the call across it failed: %s\n", k,
				strerror(r < 0 ? -r : EPROTO));
			show_log(logpath);
			goto out;
		}
		r = wait_instance(pid, &in, WAIT_MS);
		if (r < 0) {
			fprintf(stderr, PROG ": kill %d: no new instance reported: %s\n", k,
				strerror(-r));
			show_log(logpath);
			goto out;
		}
		pid = in.pid;
		if (k < 0)
			continue;
		double ms[P__COUNT];

		ms[P_REAP] = (double)(in.exited - t_kill) / 1e6;
		ms[P_DECIDE] = (double)(in.launch - in.exited) / 1e6;
		ms[P_DEVICES] = (double)(in.devices - in.launch) / 1e6;
		ms[P_SPAWN] = (double)(in.exec - in.devices) / 1e6;
		ms[P_EXEC] = (double)(in.main - in.exec) / 1e6;
		ms[P_OPEN] = (double)(in.open - in.main) / 1e6;
		ms[P_IPC] = (double)(in.ipc - in.ipc0) / 1e6;
		ms[P_DMA] = (double)(in.dma - in.dma0) / 1e6;
		ms[P_INIT] = (double)((in.ipc0 - in.open) + (in.dma0 - in.ipc) + (in.ready - in.dma)) /
			     1e6;
		ms[P_ANSWER] = (double)(t_call - in.ready) / 1e6;
		ms[P_READY] = (double)(in.ready - t_kill) / 1e6;
		ms[P_CALL] = (double)(t_call - t_kill) / 1e6;
		ms[P_SHARE] = 100.0 *
			      (ms[P_DECIDE] + ms[P_DEVICES] + ms[P_SPAWN] + ms[P_OPEN] + ms[P_IPC] +
			       ms[P_DMA]) / ms[P_READY];
		for (int p = 0; p < P__COUNT; p++)
			v[p][k] = ms[p];
	}

	printf("row serve-%s-ready ms SIGKILL -> READY=1 of the new instance, edu_driver%s "
	       "under driver_supervisor (board pc, %s%s)\n", tag, vfio ? " (DMA buffers mapped)" : "",
	       bind, fdm ? ", cgroup2 favordynmods" : "");
	printf("row serve-%s-call ms SIGKILL -> the first client call (IPC total, resent across "
	       "the crash) answered, %s\n", tag, tag);
	printf("row serve-%s-parts ms where kill -> READY=1 goes (serve_latency.c), %s\n", tag, tag);
	printf("row serve-%s-share %% framework (supervisor + library) / kill -> READY=1, %s\n", tag,
	       tag);
	for (int k = 0; k < n; k++) {
		printf("sample serve-%s-ready udrv %.3f\n", tag, v[P_READY][k]);
		printf("sample serve-%s-call udrv %.3f\n", tag, v[P_CALL][k]);
		for (int p = 0; p < P_READY; p++)
			printf("sample serve-%s-parts %s %.3f\n", tag, pname[p], v[p][k]);
		printf("sample serve-%s-share udrv %.2f\n", tag, v[P_SHARE][k]);
	}
	printf("target serve-%s-share udrv le 10\n", tag);
	{
		double sup_ms = median(v[P_DECIDE], n) + median(v[P_DEVICES], n) +
				median(v[P_SPAWN], n);
		double lib_ms = median(v[P_OPEN], n) + median(v[P_IPC], n) + median(v[P_DMA], n);
		double tot = median(v[P_READY], n);

		printf("note serve-%s-share %d kills; medians: kill -> READY=1 %.2f ms = reap %.2f "
		       "(kernel exit of the dead instance + wake-up) + supervisor %.2f (decide %.3f, "
		       "devices %.2f, spawn %.2f) + exec %.2f + library %.2f (udrv_open %.2f, IPC "
		       "server %.2f, DMA map %.2f) + driver init %.2f; READY=1 -> call answered "
		       "%.2f; framework = supervisor + library = %.0f%% of the medians\n",
		       tag, n, tot, median(v[P_REAP], n), sup_ms, median(v[P_DECIDE], n),
		       median(v[P_DEVICES], n), median(v[P_SPAWN], n), median(v[P_EXEC], n), lib_ms,
		       median(v[P_OPEN], n), median(v[P_IPC], n), median(v[P_DMA], n),
		       median(v[P_INIT], n), median(v[P_ANSWER], n),
		       tot > 0 ? 100.0 * (sup_ms + lib_ms) / tot : 0.0);
	}
	rc = 0;
out:
	udrv_client_close(c);
	if (sup_out >= 0)
		close(sup_out); /* its last lines are not read: never block it */
	if (supp > 0) {
		kill(supp, SIGTERM);
		waitpid(supp, NULL, 0);
	}
	if (logfile)
		fclose(logfile);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		rc = 1;
	return rc;
}
