/* SPDX-License-Identifier: MIT */
/*
 * registers.h - BCM2835 System Timer, as in "BCM2835 ARM Peripherals"
 * (Broadcom, 2012), section 12 "System Timer". A free-running 64-bit
 * counter at 1 MHz and four 32-bit compare registers; when the low word
 * CLO equals Cn the match flag Mn in CS is set and the channel's interrupt
 * raised. Channels 0 and 2 are used by the VideoCore; 1 and 3 are free for
 * the ARM. Bus address 0x7e003000, ARM 0x3f003000 on the BCM2837 (Pi 3).
 */
#ifndef TIMER_REGISTERS_H
#define TIMER_REGISTERS_H

#define ST_BLOCK_ADDR_PI3 0x3f003000u
#define ST_CLOCK_HZ       1000000u /* the counter ticks at 1 MHz */

#define ST_CS  0x00 /* control/status: M0..M3 match flags, write 1 to clear */
#define ST_CLO 0x04 /* counter, lower 32 bits (read only) */
#define ST_CHI 0x08 /* counter, upper 32 bits (read only) */
#define ST_C0  0x0c /* compare 0..3 */
#define ST_C1  0x10
#define ST_C2  0x14
#define ST_C3  0x18
#define ST_C(n) (ST_C0 + 4u * (n))

#define ST_CS_M(n) (1u << (n)) /* match flag of channel n */

/* The compare channel the driver uses: 1 is free for the ARM. */
#define ST_CHANNEL 1u

#define ST_REGS_END (ST_C3 + 4u)

#endif /* TIMER_REGISTERS_H */
