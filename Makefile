# Front door: `make` builds, `make test` runs every suite, `make demo` shows the
# toolkit at work, `make bench` runs the benchmarks, `make soak` the long
# soak, `make fuzz` fuzzes the loaders and decoders. CMake does the real work.
BUILD   ?= build
PREFIX  ?= /usr
DESTDIR ?=
JOBS    ?= $(shell nproc)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

.PHONY: all deps configure test test-matrix build-arm64 unit demo bench soak fuzz install deb clean

all: deps configure
	cmake --build $(BUILD) -j$(JOBS)

deps:
	@./script/deps.sh

configure: deps
	@[ -f $(BUILD)/CMakeCache.txt ] || cmake -S . -B $(BUILD) \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX)

# ctest prints its summary last and exits non-zero when any test fails.
# On failure the failed checks are printed again last: CI shows a log's tail.
test: all
	cd $(BUILD) && ctest --output-on-failure $(CTEST_ARGS) || { \
		echo "== failed checks (from $(BUILD)/Testing/Temporary/LastTest.log):"; \
		grep -aE '^(FAIL|FAILED):|\[  FAILED  \]|\*\*\*Failed|Timeout' Testing/Temporary/LastTest.log | tail -60; \
		exit 1; }

# Cross build for arm64 and its unit tests under qemu-user (docs/kernels.md).
build-arm64:
	./script/build-arm64.sh $(BUILD)-arm64

# Every VM suite on Linux 6.12 and 6.1 (KWARDEN_MATRIX_KERNELS), as a table;
# MATRIX_SUITES: some of them. Not part of `make test` (it doubles the VM time).
test-matrix: all
	BUILD=$(BUILD) ./script/test-matrix.sh $(MATRIX_SUITES)

unit: all
	cd $(BUILD) && ctest --output-on-failure -L unit

demo: all
	./script/demo.sh

bench: all
	./bench/run.sh $(BENCH)

# Every libFuzzer target for FUZZ_SECONDS each (FUZZ_TARGETS: some of them),
# in its own clang build under $(BUILD)/fuzz; fails on any finding. docs/fuzzing.md.
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./script/fuzz.sh --build $(BUILD)/fuzz $(FUZZ_TARGETS)

# Not part of `make test`: the enforcers as units for SOAK_MINUTES under a
# mixed load (test/vm/soak/soak.sh; figures in docs/soak.md).
SOAK_MINUTES ?= 30
soak: all
	KWARDEN_TEST_SOAK_MINUTES=$(SOAK_MINUTES) KWARDEN_VM_TIMEOUT=$$(( $(SOAK_MINUTES) * 60 + 1800 )) \
		test/vm/run test/vm/soak/soak.sh

install: all
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX) --strip

# The Debian package, from what install installs (packaging/mkdeb.sh): $(BUILD)/kwarden_<version>_<arch>.deb
deb: all
	./packaging/mkdeb.sh $(BUILD)

clean:
	rm -rf $(BUILD)
