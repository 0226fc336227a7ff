/* SPDX-License-Identifier: MIT */
/*
 * edu_faults.h - fault injection in edu_driver for `make faults`
 * (tests/faults/README.md). Off unless the environment has UDRV_FAULTS=1
 * (the campaign's unit sets it); then the IPC server gets two more pure
 * operations:
 *   fault  u32 kind, u32 arg -> u32 pid, i32 detail: arms fault @kind; the
 *          reply goes out first, the fault happens right after the dispatch
 *          that sent it (edu_faults_run), so a resend after the crash never
 *          injects it twice
 *   pid    -> u32 pid, u32 origin: which instance answers, and what its
 *          checkpoint open found (enum udrv_ckpt_origin)
 */
#ifndef EDU_FAULTS_H
#define EDU_FAULTS_H

#include <stdbool.h>
#include "udrv.h"

/* Kind codes: the request's first u32 (tests/faults/fault_ctl.c uses them). */
enum edu_fault {
	EDU_FAULT_SEGV = 1,     /* a store through NULL */
	EDU_FAULT_BUS,          /* a read of a mapped page past the end of its file */
	EDU_FAULT_KILL,         /* raise(SIGKILL) */
	EDU_FAULT_ABORT,        /* abort() */
	EDU_FAULT_EXIT,         /* exit(arg % 255 + 1) */
	EDU_FAULT_HANG,         /* stop WATCHDOG=1 and block: the watchdog ends it */
	EDU_FAULT_SPIN,         /* an endless CPU loop, no WATCHDOG=1 */
	EDU_FAULT_OOB,          /* udrv_read32 past BAR0 (detail: its -ERANGE), then
				 * a load through a wild pointer past the BAR mapping */
	EDU_FAULT_DMA,          /* VFIO only: a DMA at an unmapped IOVA; the IOMMU
				 * blocks it (DMAR fault), the driver goes on */
	EDU_FAULT_CKPT_CORRUPT, /* a stray write into the stored checkpoint, then
				 * SIGKILL: the next instance detects it, falls back */
	EDU_FAULT_CKPT_CRASH,   /* the next checkpoint commit dies after byte arg */
	EDU_FAULT_SLOW_START,   /* the next instance never gets ready (TimeoutStartSec) */
	EDU_FAULT_FORKBOMB,     /* fork until refused (TasksMax=), then SIGKILL */
	EDU_FAULT_MEMORY,       /* touch memory until the cgroup's OOM kill (MemoryMax=) */
	EDU_FAULT_MAX = EDU_FAULT_MEMORY
};

/* edu_faults_enabled - UDRV_FAULTS=1 in the environment. */
bool edu_faults_enabled(void);

/* edu_faults_start - at start, before anything else: a slow start armed by
 * the previous instance (flag file $UDRV_FAULTS_DIR/edu-slow-start, default
 * /run) takes the flag away and blocks forever, never READY=1. */
void edu_faults_start(void);

/* edu_faults_add_ops - register "fault" and "pid" on @s (before recovery);
 * 0 or -errno as udrv_server_add_op. */
int edu_faults_add_ops(udrv_server *s, udrv_dev *dev);

/* edu_faults_run - carry out the fault armed by the last dispatch, if any. */
void edu_faults_run(udrv_server *s);

#endif
