/* SPDX-License-Identifier: MIT */
/* udrvctl.h - the subcommands of udrvctl; each gets argv from its own name on. */
#ifndef UDRVCTL_H
#define UDRVCTL_H

/* Default control socket of driver_supervisor (overridden by --control or $UDRV_CONTROL). */
#define UDRVCTL_DEFAULT_CONTROL "/run/udrv/supervisor.sock"

/* The control socket path chosen on the command line (main.c). */
extern const char *udrvctl_control_path;

/* list.c: UIO/VFIO devices on this machine (no supervisor needed). */
int udrvctl_list(int argc, char **argv);

/* regs.c: register dump/read/write through libudrv (no supervisor needed). */
int udrvctl_dump(int argc, char **argv);
int udrvctl_read(int argc, char **argv);
int udrvctl_write(int argc, char **argv);

/* ctl.c: commands talking to driver_supervisor. Return the exit status. */
int udrvctl_status(int argc, char **argv);
int udrvctl_start(int argc, char **argv);
int udrvctl_stop(int argc, char **argv);
int udrvctl_restart(int argc, char **argv);
int udrvctl_upgrade(int argc, char **argv);
int udrvctl_reset_failed(int argc, char **argv);
int udrvctl_log(int argc, char **argv);
int udrvctl_call(int argc, char **argv);
int udrvctl_new(int argc, char **argv);

#endif /* UDRVCTL_H */
