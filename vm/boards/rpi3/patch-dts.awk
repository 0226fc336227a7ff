# vm/boards/rpi3/patch-dts.awk - turn the stock Raspberry Pi 3B device tree
# (dtc -I dtb -O dts output of bcm2837-rpi-3-b.dtb) into the board "rpi3"
# one, with two nodes for the generic platform UIO driver
# (uio_pdrv_genirq of_id=generic-uio):
#  - timer@7e003000, the BCM2835 system timer (BCM2835 ARM Peripherals,
#    ch. 12): compatible "generic-uio" and only the interrupt of compare
#    channel 1 (<bank 1, irq 1>), the channel the VideoCore leaves to the ARM;
#  - gpiomem@7e200000, a new node beside gpio@7e200000 covering the GPIO
#    block's page (ch. 6), as /dev/gpiomem does on a real Pi. The pinctrl
#    driver keeps gpio@7e200000 and the pins it uses.
# Both carry "linux,uio-name" (Documentation/driver-api/uio-howto.rst): the
# UIO name is otherwise the node name, which 6.1 gives without the unit
# address ("timer") but 6.12 with it ("timer@7e003000", %pfwP since the
# driver moved to fwnode properties); the property gives one name on both.
# Exits non-zero (message on stderr) if the input does not have exactly the
# nodes and properties expected, so a changed upstream tree is noticed.

function indent(s) { match(s, /^[ \t]*/); return substr(s, 1, RLENGTH) }
function opens(s,  t) { t = s; return gsub(/\{/, "", t) }
function closes(s,  t) { t = s; return gsub(/\}/, "", t) }

{
	line = $0
	if (timer_depth == 0 && line ~ /^[ \t]*timer@7e003000 \{[ \t]*$/) {
		timer_seen++
		timer_depth = depth + 1
	} else if (timer_depth && depth == timer_depth) {
		if (line ~ /^[ \t]*compatible = /) {
			line = indent(line) "compatible = \"generic-uio\";\n" \
				indent(line) "linux,uio-name = \"timer\";"
			timer_compat++
		} else if (line ~ /^[ \t]*interrupts = /) {
			line = indent(line) "interrupts = <0x01 0x01>;"
			timer_irq++
		}
	}
	if (line ~ /^[ \t]*gpio@7e200000 \{[ \t]*$/) {
		ind = indent(line)
		print ind "gpiomem@7e200000 {"
		print ind "\tcompatible = \"generic-uio\";"
		print ind "\tlinux,uio-name = \"gpiomem\";"
		print ind "\treg = <0x7e200000 0x1000>;"
		print ind "};"
		print ""
		gpio_seen++
	}
	depth += opens(line) - closes(line)
	if (timer_depth && depth < timer_depth)
		timer_depth = 0
	print line
}

END {
	if (timer_seen != 1 || timer_compat != 1 || timer_irq != 1 || gpio_seen != 1) {
		printf "patch-dts: unexpected device tree: timer@7e003000 nodes=%d " \
			"compatible=%d interrupts=%d, gpio@7e200000 nodes=%d (want 1 each)\n",
			timer_seen, timer_compat, timer_irq, gpio_seen > "/dev/stderr"
		exit 1
	}
}
