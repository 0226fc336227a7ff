/* SPDX-License-Identifier: MIT */
/*
 * fuzz_udrvctl - udrvctl's command line (tools/udrvctl: main.c, ctl.c,
 * list.c, built with main renamed udrvctl_main) and the answer it parses:
 * a thread plays driver_supervisor on a control socket and sends back the
 * answer taken from the input. `udrvctl list` reads the pc guest's sysfs
 * fixture.
 *
 * Input: the arguments, one a line, then a line "--reply--", then the
 * supervisor's answer bytes. Run with -close_fd_mask=3 (udrvctl prints).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int udrvctl_main(int argc, char **argv);

#define ARGS_MAX 32

static char sock_path[64];
static int lfd = -1;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static const uint8_t *answer;
static size_t answer_len;

/* The fake supervisor: read the request line, send the answer, close. */
static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		char line[512];
		size_t got = 0;

		if (fd < 0)
			continue;
		while (got < sizeof(line)) {
			ssize_t n = read(fd, line + got, sizeof(line) - got);

			if (n <= 0 || memchr(line + got, '\n', (size_t)n))
				break;
			got += (size_t)n;
		}
		pthread_mutex_lock(&mu);
		for (size_t off = 0; off < answer_len;) {
			ssize_t n = write(fd, answer + off, answer_len - off);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
		pthread_mutex_unlock(&mu);
		close(fd);
	}
	return NULL;
}

static void setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pthread_t t;

	signal(SIGPIPE, SIG_IGN);
	snprintf(sock_path, sizeof(sock_path), "/tmp/udrv-fuzz-ctl.%d", (int)getpid());
	unlink(sock_path);
	strcpy(sa.sun_path, sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0)
		abort();
	setenv("UDRV_CONTROL", sock_path, 1);
	setenv("UDRV_SYSFS_ROOT", FIXTURES "/sysfs-pc", 1);
	setenv("UDRV_DEV_ROOT", FIXTURES "/dev-none", 1);
	if (pthread_create(&t, NULL, serve, NULL) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), *argv[ARGS_MAX + 2], *p, *reply;
	int argc = 0;

	if (lfd < 0)
		setup();
	reply = strstr(text, "\n--reply--\n");
	pthread_mutex_lock(&mu);
	if (reply) {
		*reply = '\0';
		answer = data + (size_t)(reply - text) + 11;
		answer_len = size - (size_t)(reply - text) - 11;
	} else {
		answer = (const uint8_t *)"OK\n";
		answer_len = 3;
	}
	pthread_mutex_unlock(&mu);
	argv[argc++] = "udrvctl";
	for (p = text; argc < ARGS_MAX + 1;) {
		char *nl = strchr(p, '\n');

		argv[argc++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	argv[argc] = NULL;
	if (size == 0)
		argc = 1;
	/* `udrvctl new` writes files (anywhere --dir says): not fuzzed here */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "new")) {
			free(text);
			return 0;
		}
	/* UDRV_CONTROL may be changed by --control: every run starts afresh */
	FUZZ_CHECK(udrvctl_main(argc, argv) >= 0);
	free(text);
	return 0;
}
