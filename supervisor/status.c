/* SPDX-License-Identifier: MIT */
/*
 * status.c - what `udrvctl status` shows, as text or as JSON.
 *
 * JSON: an array of objects, one per driver (in config order):
 *   name, state (starting|running|backoff|stopping|stopped|failed),
 *   pid (number or null), restarts, last_exit (words, or null before the
 *   first exit), status (the driver's STATUS=), reason (why it is failed or
 *   stopped, "" otherwise), ready, device (or null), uptime_ms (time since
 *   READY=1, or null), restart_in_ms (in backoff, or null), watchdog_ms,
 *   fdstore (fds in its FDSTORE=1 store), ipc (the path of its IPC=yes
 *   socket while the supervisor holds it, or null), exec (the binary an
 *   upgrade put in place of ExecStart='s, or null).
 */
#include "sbuf.h"
#include "sup.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const state_names[ST__COUNT] = {
	[ST_STOPPED] = "stopped", [ST_STARTING] = "starting", [ST_RUNNING] = "running",
	[ST_BACKOFF] = "backoff", [ST_STOPPING] = "stopping", [ST_ABORTING] = "aborting",
	[ST_FAILED] = "failed",
};

const char *drv_state_name(enum drv_state s)
{
	return s < ST__COUNT ? state_names[s] : "?";
}

/* The states udrvctl shows: "aborting" is a kind of stopping. */
const char *drv_public_state(const struct drv *d)
{
	return d->state == ST_ABORTING ? "stopping" : drv_state_name(d->state);
}

static void json_opt_str(struct sbuf *b, const char *s)
{
	if (s)
		sbuf_json_str(b, s);
	else
		sbuf_add(b, "null", 4);
}

static bool selected(const struct drv *d, const char *only)
{
	return !only || strcmp(d->cfg.name, only) == 0;
}

void status_json(struct sbuf *b, struct drv *list, const char *only, uint64_t now)
{
	bool first = true;

	sbuf_add(b, "[", 1);
	for (struct drv *d = list; d; d = d->next) {
		if (!selected(d, only))
			continue;
		sbuf_printf(b, "%s\n  {\"name\": ", first ? "" : ",");
		first = false;
		sbuf_json_str(b, d->cfg.name);
		sbuf_printf(b, ", \"state\": \"%s\"", drv_public_state(d));
		if (d->pid > 0)
			sbuf_printf(b, ", \"pid\": %d", (int)d->pid);
		else
			sbuf_printf(b, ", \"pid\": null");
		sbuf_printf(b, ", \"restarts\": %u, \"last_exit\": ", d->restarts);
		json_opt_str(b, d->has_exit ? d->last_exit : NULL);
		sbuf_printf(b, ", \"status\": ");
		sbuf_json_str(b, d->status);
		sbuf_printf(b, ", \"reason\": ");
		sbuf_json_str(b, d->reason);
		sbuf_printf(b, ", \"ready\": %s, \"device\": ", d->ready && d->pid > 0 ? "true" : "false");
		json_opt_str(b, d->cfg.device);
		if (d->state == ST_RUNNING && now >= d->ready_at)
			sbuf_printf(b, ", \"uptime_ms\": %" PRIu64, (now - d->ready_at) / 1000);
		else
			sbuf_printf(b, ", \"uptime_ms\": null");
		if (d->state == ST_BACKOFF)
			sbuf_printf(b, ", \"restart_in_ms\": %" PRIu64,
				    d->timer_deadline > now ? (d->timer_deadline - now) / 1000 : 0);
		else
			sbuf_printf(b, ", \"restart_in_ms\": null");
		sbuf_printf(b, ", \"watchdog_ms\": %" PRIu64, d->watchdog_usec / 1000);
		sbuf_printf(b, ", \"fdstore\": %u, \"ipc\": ", d->fdstore.n);
		json_opt_str(b, d->ipc_fd >= 0 ? d->ipc_path : NULL);
		sbuf_printf(b, ", \"exec\": ");
		json_opt_str(b, d->exec_path);
		sbuf_add(b, "}", 1);
	}
	sbuf_add(b, first ? "]\n" : "\n]\n", first ? 2 : 3);
}

void status_text(struct sbuf *b, struct drv *list, const char *only, uint64_t now)
{
	sbuf_printf(b, "%-16s %-9s %7s %8s  %s\n", "NAME", "STATE", "PID", "RESTARTS", "LAST EXIT / STATUS");
	for (struct drv *d = list; d; d = d->next) {
		char pid[16] = "-", t[32];

		if (!selected(d, only))
			continue;
		if (d->pid > 0)
			snprintf(pid, sizeof(pid), "%d", (int)d->pid);
		sbuf_printf(b, "%-16s %-9s %7s %8u  %s\n", d->cfg.name, drv_public_state(d), pid,
			    d->restarts, d->has_exit ? d->last_exit : "-");
		if (d->reason[0] && (d->state == ST_FAILED || d->state == ST_STOPPED))
			sbuf_printf(b, "%-16s reason: %s\n", "", d->reason);
		if (d->state == ST_BACKOFF && d->timer_deadline > now)
			sbuf_printf(b, "%-16s restart in %s\n", "",
				    format_time((d->timer_deadline - now) / 1000 * 1000, t, sizeof(t)));
		if (d->status[0])
			sbuf_printf(b, "%-16s status: %s\n", "", d->status);
		if (d->fdstore.n)
			sbuf_printf(b, "%-16s fd store: %u of %u\n", "", d->fdstore.n,
				    d->cfg.fdstore_max);
		if (d->ipc_fd >= 0 && d->ipc_path)
			sbuf_printf(b, "%-16s ipc: %s\n", "", d->ipc_path);
		if (d->exec_path)
			sbuf_printf(b, "%-16s exec: %s (upgraded)\n", "", d->exec_path);
	}
}
