# udrv: a thin Makefile over Meson (as libvfio-user does).
#   make            build (host)
#   make test       install what is missing, build, run every test suite
#   make demo       the brief's transcript on the virtual Raspberry Pi 3
#   make fuzz [FUZZ_SECONDS=600]   every fuzz target for long (tests/fuzz)
#   make faults [FAULTS=1000]  fault-injection campaign on board pc (edu, UIO + VFIO)
#   make install PREFIX=/usr/local DESTDIR=
BUILD     ?= build
BUILD_A64 ?= build-aarch64
# make cross ARCH=aarch64|armhf
ARCH      ?= aarch64
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 600
PREFIX    ?= /usr/local
DESTDIR   ?=
MESON_ARGS ?=
NINJA_JOBS ?= 2

# The suites that boot a virtual board (run again on the second kernel).
GUEST_SUITES = --suite vm --suite guest-pc --suite guest-rpi3

.PHONY: all deps build cross asan fuzz-build fuzz-test fuzz faults test test-unit bench demo install deb clean

all: build

deps:
	scripts/deps.sh all

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(abspath $(PREFIX)) --libdir=lib $(MESON_ARGS)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD) -j$(NINJA_JOBS)

# Static binaries for board rpi3 and a real Pi: aarch64 (64-bit OS) into
# build-aarch64/, armhf (32-bit Raspberry Pi OS) into build-armhf/.
CROSS_FILE_aarch64 = meson/aarch64-linux-gnu.ini
CROSS_FILE_armhf = meson/arm-linux-gnueabihf.ini
CROSS_BUILD = $(if $(filter aarch64,$(ARCH)),$(BUILD_A64),build-$(ARCH))

cross:
	@[ -n "$(CROSS_FILE_$(ARCH))" ] || { echo "make cross: ARCH must be aarch64 or armhf" >&2; exit 2; }
	[ -f $(CROSS_BUILD)/build.ninja ] || \
		meson setup $(CROSS_BUILD) --cross-file $(CROSS_FILE_$(ARCH)) -Ddefault_library=static
	ninja -C $(CROSS_BUILD) -j$(NINJA_JOBS)

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
	$(MAKE) --no-print-directory fuzz-test || rc=$$?; \
	python3 scripts/test-summary.py $(BUILD)/meson-logs/testlog-main.json \
		$(BUILD)/meson-logs/testlog-trixie.json \
		$(BUILD)/meson-logs/testlog-valgrind.json $(BUILD_ASAN)/meson-logs/testlog.json \
		$(BUILD_FUZZ)/meson-logs/testlog.json; \
	exit $$rc

# Unit tests built with AddressSanitizer + UndefinedBehaviorSanitizer.
$(BUILD_ASAN)/build.ninja:
	meson setup $(BUILD_ASAN) -Db_sanitize=address,undefined -Db_lundef=false -Dguest_tests=false

asan: $(BUILD_ASAN)/build.ninja
	ninja -C $(BUILD_ASAN) -j$(NINJA_JOBS)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 meson test -C $(BUILD_ASAN) --suite unit --suite supervisor --print-errorlogs

# libFuzzer targets (tests/fuzz), clang + ASan + UBSan, in their own build dir.
$(BUILD_FUZZ)/build.ninja:
	CC=clang meson setup $(BUILD_FUZZ) -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dguest_tests=false

fuzz-build: $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD_FUZZ) -j$(NINJA_JOBS) fuzz-targets

# Bounded: each target's corpus once (regressions), then ~12 s of fuzzing each.
fuzz-test: fuzz-build
	meson test -C $(BUILD_FUZZ) --no-rebuild --suite fuzz --print-errorlogs

# Long: FUZZ_SECONDS per target; a crash stops it and says how to reproduce.
fuzz:
	scripts/deps.sh build fuzz
	$(MAKE) --no-print-directory fuzz-build
	@for c in tests/fuzz/corpus/*/; do \
		t=$$(basename $$c); \
		tests/fuzz/run-fuzz.sh corpus $(BUILD_FUZZ)/tests/fuzz/fuzz_$$t $$c || exit 1; \
		tests/fuzz/run-fuzz.sh run $(BUILD_FUZZ)/tests/fuzz/fuzz_$$t $$c $(FUZZ_SECONDS) || exit 1; \
	done

# Fault-injection campaign (tests/faults/README.md): board pc booted twice
# (edu over UIO, then VFIO), half the faults each, a client's add calls
# against its ledger the whole time. FAULTS=1000000 is the long run (hours).
FAULTS ?= 1000
faults: build
	FAULTS=$(FAULTS) FAULTS_RESULTS=$(abspath $(BUILD))/faults-results.txt python3 tests/faults/campaign.py \
		$(BUILD)/drivers/edu_driver $(BUILD)/supervisor/driver_supervisor-static \
		$(BUILD)/tools/udrvctl-static $(BUILD)/tests/guest/guest_ipc_client $(BUILD)/tests/faults/fault_ctl

test-unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

# Figures, not pass/fail: every comparison (bench/README.md) in one run,
# one table, raw samples and histograms in $(BUILD)/bench/. BENCH_QUICK=1:
# a few samples per row and no guest rows (what `make test` checks runs).
# BENCH_ROWS=restart,scale,... picks rows.
BENCH_QUICK ?=
bench: export BENCH_QUICK := $(BENCH_QUICK)
bench:
	scripts/deps.sh build pc rpi3 bench
	$(MAKE) build
	@if [ -z "$(BENCH_QUICK)" ]; then vm/run --board pc --prepare && vm/run --board rpi3 --prepare; fi
	python3 bench/run-all.py --build $(BUILD)

demo: deps
	$(MAKE) build cross
	vm/demo.sh

install: build
	meson configure $(BUILD) -Dprefix=$(abspath $(PREFIX))
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir $(abspath $(DESTDIR)))

# Debian packages (debian/, debhelper) into build-deb/ARCH/: `make deb` for
# this machine, `make deb ARCH=arm64|armhf` cross (nocheck profile), then
# lintian (errors fail). Built from a copy of the tracked files, so nothing
# lands beside the source tree.
comma := ,
DEB_NATIVE := $(shell dpkg --print-architecture 2>/dev/null)
DEB_ARCH = $(if $(filter command line,$(origin ARCH)),$(patsubst aarch64,arm64,$(ARCH)),$(DEB_NATIVE))
deb:
	rm -rf build-deb/$(DEB_ARCH) && mkdir -p build-deb/$(DEB_ARCH)/src
	git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C build-deb/$(DEB_ARCH)/src
	cd build-deb/$(DEB_ARCH)/src && dpkg-buildpackage -us -uc -b \
		$(if $(filter-out $(DEB_NATIVE),$(DEB_ARCH)),-a$(DEB_ARCH) -Pnocheck$(comma)cross -d)
	rm -rf build-deb/$(DEB_ARCH)/src
	lintian --fail-on error --no-tag-display-limit build-deb/$(DEB_ARCH)/*.changes
	@ls build-deb/$(DEB_ARCH)/*.deb

clean:
	rm -rf $(BUILD) $(BUILD_A64) $(BUILD_ASAN) $(BUILD_FUZZ) build-armhf build-deb
