/* SPDX-License-Identifier: MIT */
#ifndef UDRVCTL_H
#define UDRVCTL_H
/* `udrvctl list`: the UIO devices found in sysfs, as lsuio printed them. */
int udrvctl_list(int argc, char **argv);
#endif
