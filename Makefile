# udrv: a thin Makefile over Meson (as libvfio-user does).
#   make            build (host)
#   make test       install what is missing, build, run every test suite
#   make demo       the brief's transcript on the virtual Raspberry Pi 3
#   make install PREFIX=/usr/local DESTDIR=
BUILD     ?= build
BUILD_A64 ?= build-aarch64
BUILD_ASAN ?= build-asan
PREFIX    ?= /usr/local
DESTDIR   ?=
MESON_ARGS ?=
NINJA_JOBS ?= 2

# The suites that boot a virtual board (run again on the second kernel).
GUEST_SUITES = --suite vm --suite guest-pc --suite guest-rpi3

.PHONY: all deps build cross asan test test-unit bench demo install clean

all: build

deps:
	scripts/deps.sh all

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(abspath $(PREFIX)) --libdir=lib $(MESON_ARGS)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD) -j$(NINJA_JOBS)

# Static aarch64 binaries for board rpi3 (and a real Pi).
$(BUILD_A64)/build.ninja:
	meson setup $(BUILD_A64) --cross-file meson/aarch64-linux-gnu.ini -Ddefault_library=static

cross: $(BUILD_A64)/build.ninja
	ninja -C $(BUILD_A64) -j$(NINJA_JOBS)

# Everything: unit tests (also under valgrind), supervisor tests on the host,
# guest tests on the virtual boards, on both kernel generations (bookworm's
# 6.1 in the main run, trixie's 6.12 in the `trixie` setup). Boards are prepared (downloads, module
# build) before the timed tests start. The last line is the CI summary.
test: deps
	$(MAKE) build
	@if [ -f meson/aarch64-linux-gnu.ini ]; then $(MAKE) cross; fi
	vm/run --board pc --prepare
	vm/run --board rpi3 --prepare
	vm/run --board pc --kernel trixie --prepare
	vm/run --board rpi3 --kernel trixie --prepare
	@rc=0; \
	meson test -C $(BUILD) --print-errorlogs --num-processes 2 || rc=$$?; \
	cp $(BUILD)/meson-logs/testlog.json $(BUILD)/meson-logs/testlog-main.json; \
	meson test -C $(BUILD) --setup trixie $(GUEST_SUITES) --print-errorlogs || rc=$$?; \
	meson test -C $(BUILD) --setup valgrind --suite unit --print-errorlogs || rc=$$?; \
	$(MAKE) --no-print-directory asan || rc=$$?; \
	python3 scripts/test-summary.py $(BUILD)/meson-logs/testlog-main.json \
		$(BUILD)/meson-logs/testlog-trixie.json \
		$(BUILD)/meson-logs/testlog-valgrind.json $(BUILD_ASAN)/meson-logs/testlog.json; \
	exit $$rc

# Unit tests built with AddressSanitizer + UndefinedBehaviorSanitizer.
$(BUILD_ASAN)/build.ninja:
	meson setup $(BUILD_ASAN) -Db_sanitize=address,undefined -Db_lundef=false -Dguest_tests=false

asan: $(BUILD_ASAN)/build.ninja
	ninja -C $(BUILD_ASAN) -j$(NINJA_JOBS)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 meson test -C $(BUILD_ASAN) --suite unit --suite supervisor --print-errorlogs

test-unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

# Figures, not pass/fail: supervisor restart latency, interrupt latency.
bench: build
	meson test -C $(BUILD) --benchmark --verbose

demo: deps
	$(MAKE) build cross
	vm/demo.sh

install: build
	meson configure $(BUILD) -Dprefix=$(abspath $(PREFIX))
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir $(abspath $(DESTDIR)))

clean:
	rm -rf $(BUILD) $(BUILD_A64)
