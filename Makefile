# udrv: a thin Makefile over Meson (as libvfio-user does).
#   make            build (host)
#   make test       install what is missing, build, run every test suite
#   make demo       the brief's transcript on the virtual Raspberry Pi 3
#   make fuzz [FUZZ_SECONDS=600]   every fuzz target for long (tests/fuzz)
#   make faults [FAULTS=1000]  fault-injection campaign (partial, host)
#   make install PREFIX=/usr/local DESTDIR=
BUILD     ?= build
BUILD_A64 ?= build-aarch64
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 600
PREFIX    ?= /usr/local
DESTDIR   ?=
MESON_ARGS ?=
NINJA_JOBS ?= 2

.PHONY: all deps build cross asan fuzz-build fuzz-test fuzz faults test test-unit bench demo install clean

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
# guest tests on the virtual boards. Boards are prepared (downloads, module
# build) before the timed tests start. The last line is the CI summary.
test: deps
	$(MAKE) build
	@if [ -f meson/aarch64-linux-gnu.ini ]; then $(MAKE) cross; fi
	vm/run --board pc --prepare
	vm/run --board rpi3 --prepare
	@rc=0; \
	meson test -C $(BUILD) --print-errorlogs --num-processes 2 || rc=$$?; \
	cp $(BUILD)/meson-logs/testlog.json $(BUILD)/meson-logs/testlog-main.json; \
	meson test -C $(BUILD) --setup valgrind --suite unit --print-errorlogs || rc=$$?; \
	$(MAKE) --no-print-directory asan || rc=$$?; \
	$(MAKE) --no-print-directory fuzz-test || rc=$$?; \
	python3 scripts/test-summary.py $(BUILD)/meson-logs/testlog-main.json \
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

# Fault-injection campaign (tests/faults/faults.py; PARTIAL: host kernel,
# test_driver, no IPC ledger yet). FAULTS=1000000 is the long run (hours).
FAULTS ?= 1000
faults: build
	FAULTS=$(FAULTS) FAULTS_RESULTS=$(BUILD)/faults-results.txt python3 tests/faults/faults.py \
		$(BUILD)/supervisor/driver_supervisor $(BUILD)/tools/udrvctl $(BUILD)/tests/supervisor/test_driver

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
	rm -rf $(BUILD) $(BUILD_A64) $(BUILD_ASAN) $(BUILD_FUZZ)
