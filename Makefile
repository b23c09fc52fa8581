# augur — convenience targets over scripts/ and CMake. See README.md.
#
#   make run        set up, build, analyze examples/astronaut.png
#   make test       set up, build, run the tests that need no data set
#   make test-data  ... the tests on ../shared/data (AUGUR_DATA overrides)
#   make test-viewer  install Chromium (its own package list), run the viewer test
#   make asan       build in build-asan with ASan+UBSan and run the tests
#   make fuzz       build the libFuzzer targets (clang) in build-fuzz/fuzz/
#   make fuzz-run   run each fuzz target FUZZ_SECONDS (default 20) s (fuzz/run.sh)
#   make bench      augur vs TensorFlow.js (WASM backend) on the same models
#   make install    install to $(PREFIX) (default /usr/local)
#   make clean      remove the build trees (make distclean: also .cache/)

SHELL  := /bin/bash
MAKEFLAGS += --no-print-directory
PREFIX ?= /usr/local
JOBS   ?= 2
CTEST  := ctest --output-on-failure

.PHONY: all setup deps models build run test test-data test-viewer asan fuzz fuzz-run bench install clean distclean canonical

all: build

setup: deps models

deps:
	bash scripts/deps.sh

models:
	bash scripts/fetch-models.sh

build: setup
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
	cmake --build build -j$(JOBS)

run: build
	./build/augur analyze examples/astronaut.png

test: build
	$(CTEST) --test-dir build -LE data

test-data: build
	AUGUR_DATA="$${AUGUR_DATA:-$(CURDIR)/../shared/data}" $(CTEST) --test-dir build -L data

# The viewer page of `augur serve` in headless Chromium (tests/test_viewer.py). `make test` runs
# it too when Chromium is there, and skips it otherwise; this installs Chromium first.
test-viewer: build
	bash scripts/deps.sh scripts/debian-packages-viewer.txt
	$(CTEST) --test-dir build -R '^viewer$$'

asan: setup
	cmake -S . -B build-asan -DAUGUR_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-asan -j$(JOBS)
	ASAN_OPTIONS="$${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}" \
	UBSAN_OPTIONS="$${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
	LSAN_OPTIONS="$${LSAN_OPTIONS:-suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0}" \
	$(CTEST) --test-dir build-asan -LE data

# libFuzzer targets (fuzz/): clang from Debian, its own package list so that
# `make test` does not need it.
FUZZ_SECONDS ?= 20
fuzz: setup
	bash scripts/deps.sh scripts/debian-packages-fuzz.txt
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUGUR_FUZZ=ON
	cmake --build build-fuzz -j$(JOBS) --target fuzz_all

fuzz-run: fuzz
	bash fuzz/run.sh $(FUZZ_SECONDS)

bench: build
	bash scripts/tfjs-setup.sh
	./build/augur bench --tfjs

# Re-measure src/face/canonical_data.c from ../shared/data (developers only;
# the result is committed). See tools/make_canonical.c.
canonical: build
	./build/tools/make_canonical "$${AUGUR_DATA:-$(CURDIR)/../shared/data}" src/face/canonical_data.c

install: build
	cmake --install build --prefix "$(PREFIX)"

clean:
	rm -rf build build-asan build-fuzz

distclean: clean
	rm -rf .cache tools/tfjs/node_modules
