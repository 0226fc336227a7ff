/* SPDX-License-Identifier: MIT */
/*
 * registers.h - QEMU's "edu" educational PCI device (1234:11e8), as in
 * QEMU docs/specs/edu.rst. BAR0 is 1 MiB of MMIO; registers below 0x80 take
 * 4-byte accesses only, the DMA registers from 0x80 take 4 or 8.
 */
#ifndef EDU_REGISTERS_H
#define EDU_REGISTERS_H

#define EDU_VENDOR_ID 0x1234
#define EDU_DEVICE_ID 0x11e8

#define EDU_BAR 0u

#define EDU_IDENT      0x00 /* RO: 0xRRrr00ed, RR.rr = major.minor version */
#define EDU_IDENT_MASK 0xffffu
#define EDU_IDENT_MAGIC 0x00edu
#define EDU_LIVENESS   0x04 /* RW: reads back the bitwise NOT of the value written */
#define EDU_FACTORIAL  0x08 /* RW: write n to start n!, read the result when not busy */
#define EDU_STATUS     0x20 /* RW: */
#define EDU_STATUS_COMPUTING 0x01u /* RO: factorial in progress */
#define EDU_STATUS_IRQFACT   0x80u /* RW: raise interrupt 0x1 when n! is done */
#define EDU_IRQ_STATUS 0x24 /* RO: pending interrupt causes (bitmask) */
#define EDU_IRQ_RAISE  0x60 /* WO: OR the value into IRQ_STATUS, raise the irq */
#define EDU_IRQ_ACK    0x64 /* WO: clear these bits of IRQ_STATUS; lowers the irq at 0 */
#define EDU_DMA_SRC    0x80 /* RW 64-bit: DMA source address */
#define EDU_DMA_DST    0x88 /* RW 64-bit: DMA destination address */
#define EDU_DMA_COUNT  0x90 /* RW 64-bit: bytes to transfer */
#define EDU_DMA_CMD    0x98 /* RW 64-bit: bit0 start, bit1 direction (1 = to RAM), bit2 irq */

#define EDU_IRQ_FACT   0x00000001u /* cause raised by a finished factorial */
#define EDU_IRQ_DMA    0x00000100u /* cause raised by a finished DMA */

#define EDU_REGS_END   0xa0u

#endif /* EDU_REGISTERS_H */
