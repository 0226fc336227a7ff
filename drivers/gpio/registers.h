/* SPDX-License-Identifier: MIT */
/*
 * registers.h - BCM2835 GPIO block, as in "BCM2835 ARM Peripherals"
 * (Broadcom, 2012), section 6.1 "Register View". The block sits at bus
 * address 0x7e200000, seen by the ARM at 0x3f200000 on the BCM2837 (Pi 3).
 * All registers are 32 bits wide.
 */
#ifndef GPIO_REGISTERS_H
#define GPIO_REGISTERS_H

#define GPIO_BLOCK_ADDR_PI3 0x3f200000u /* ARM physical address on a Pi 2/3 */
#define GPIO_BLOCK_SIZE     0x1000u     /* one page, as /dev/gpiomem maps it */

#define GPIO_NPINS 54 /* GPIO 0..53 */

/* GPFSEL0..5: function select, 10 pins per register, 3 bits per pin. */
#define GPFSEL0 0x00
#define GPFSEL(pin)        (GPFSEL0 + 4u * ((pin) / 10u))
#define GPFSEL_SHIFT(pin)  (3u * ((pin) % 10u))
#define GPFSEL_MASK        0x7u
#define GPFSEL_INPUT       0x0u /* 000 = GPIO pin is an input */
#define GPFSEL_OUTPUT      0x1u /* 001 = GPIO pin is an output */

/* GPSET0/1: write 1 to drive the pin high; 0 bits are ignored. */
#define GPSET0 0x1c
#define GPSET1 0x20
/* GPCLR0/1: write 1 to drive the pin low; 0 bits are ignored. */
#define GPCLR0 0x28
#define GPCLR1 0x2c
/* GPLEV0/1: the actual level of each pin (read only). */
#define GPLEV0 0x34
#define GPLEV1 0x38

/* Pins 0..31 live in bank 0 (GPxxx0), 32..53 in bank 1 (GPxxx1). */
#define GPIO_BANK(pin)     ((pin) / 32u)
#define GPIO_BIT(pin)      (1u << ((pin) % 32u))
#define GPSET(pin)         (GPSET0 + 4u * GPIO_BANK(pin))
#define GPCLR(pin)         (GPCLR0 + 4u * GPIO_BANK(pin))
#define GPLEV(pin)         (GPLEV0 + 4u * GPIO_BANK(pin))

/* Highest register the driver touches: the map must reach past it. */
#define GPIO_REGS_END (GPLEV1 + 4u)

#endif /* GPIO_REGISTERS_H */
