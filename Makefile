# The single entry point: every target does its own set-up (libtorch install, build) first.
# LIBTORCH=/path/to/libtorch selects another libtorch 2.x (e.g. a CUDA build) instead of the project's own.
SWIFT ?= swift
CONFIG ?= release

.PHONY: all setup build demo run env test bench fixtures clean fuzz

all: build

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build -c $(CONFIG) --product spf

# The main job on the embedded default: naive, LoRA and SPF-Portrait fine-tuning of the shipped world model,
# measured against the original; writes demo/report.html (docs/evaluation.md). DEMO_ARGS passes options.
demo: build
	$$($(SWIFT) build -c $(CONFIG) --show-bin-path)/spf demo $(DEMO_ARGS)

run: demo

env: build
	$$($(SWIFT) build -c $(CONFIG) --show-bin-path)/spf env

# The suite runs twice: on this CPU's own kernels (bit-exact where the fixtures were recorded on the same kernels),
# then under ATEN_CPU_CAPABILITY=default, ATen's scalar kernels, which no fixture machine records: every parity
# check must then hold within its budget (docs/parity.md), as on a user's different CPU.
test:
	@scripts/setup.sh --test
	$(SWIFT) test
	ATEN_CPU_CAPABILITY=default $(SWIFT) test --skip-build

# libFuzzer targets (Fuzz/, docs/fuzzing.md): builds them into .build-fuzz, runs each for FUZZ_SECONDS
# (or FUZZ_RUNS inputs); a crash fails with its input saved under .build-fuzz/crashes/.
FUZZ_SECONDS ?= 60
fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

bench: build
	bench/ops.sh

# Regenerates the committed reference fixtures (needs PyPI; tests never do).
fixtures:
	tools/reference/make_fixtures.sh

clean:
	rm -rf .build .libtorch
