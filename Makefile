# ctxedit: build, test and demo. `make demo` and `make test` work on a fresh Debian machine with Swift.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := pkg-config libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libopenblas-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE := .build/release/ctxedit
OUT ?= out

.PHONY: setup build release test demo samples model eval bench bench-reference fixtures clean help

help:
	@echo "make demo     build, then edit/inspect a sample clip (writes $(OUT)/)"
	@echo "make test     install system packages when missing, build, run all tests"
	@echo "make samples  regenerate Samples/ with the scene renderer"
	@echo "make model    retrain the default model (Models/default) from scratch; resumable (MODEL_WORK)"
	@echo "make eval     the edit-quality benchmark with ablations (writes $(OUT)/eval.json, $(OUT)/eval.md)"
	@echo "make setup    install the Debian packages ctxedit needs (idempotent)"
	@echo "make bench    time the models at SD-1.5 size (beside PyTorch after make bench-reference)"
	@echo "make fixtures regenerate the golden files in Tests/Fixtures (Python, torch, diffusers)"

# Installs the Debian packages only when one is missing; apt-get update runs once, before installing.
setup:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	else echo "system packages present"; fi

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release --product ctxedit

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

samples: release
	$(RELEASE) samples --out Samples

# The first command a new user runs: edit the red-circle sample with the embedded default model (Models/default).
DEMO_CLIP ?= Samples/red-circle.mp4
DEMO_PROMPT ?= a blue square moving right on a gray background
demo: release
	@mkdir -p $(OUT)
	$(RELEASE) $(DEMO_CLIP) --prompt "$(DEMO_PROMPT)" --size 64 --frames 8 --steps 25 --guidance 5 \
		--no-cache --out $(OUT)/demo-edit.mp4 --strip $(OUT)/demo-strip.png --show-region
	@echo "demo: wrote $(OUT)/demo-edit.mp4 and $(OUT)/demo-strip.png (source row, edited row, edit region)"

# Retrains the default model from scratch (about an hour of compute on 2 idle cores); a stopped run continues from MODEL_WORK.
MODEL_WORK ?= .build/default-model-training
model: release
	$(RELEASE) train-default --out Models/default --work $(MODEL_WORK)

EVAL_ARGS ?=
eval: release
	@mkdir -p $(OUT)
	$(RELEASE) eval --out $(OUT)/eval $(EVAL_ARGS)

# Timings at SD-1.5 size with random weights, beside PyTorch when .venv-bench exists (make bench-reference).
bench: setup
	$(SWIFT) build -c release --product ctxedit-bench
	.build/release/ctxedit-bench $(BENCH_ARGS)

# Installs CPU torch + diffusers + transformers into .venv-bench for the reference column of `make bench`.
bench-reference:
	python3 -m venv .venv-bench
	.venv-bench/bin/pip install -q torch==2.13.0+cpu diffusers==0.39.0 transformers==4.57.6 || \
		.venv-bench/bin/pip install -q --extra-index-url https://download.pytorch.org/whl/cpu torch==2.13.0+cpu diffusers==0.39.0 transformers==4.57.6

# Regenerates Tests/Fixtures from diffusers/transformers (needs network for pip the first time).
fixtures:
	scripts/make-fixtures.sh

clean:
	rm -rf .build $(OUT)

# Fuzzing (docs/RELIABILITY.md): libFuzzer + AddressSanitizer build in .build-fuzz, each target for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= safetensors config tokenizer video pipeline
.PHONY: fuzz test-sanitize
fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/fuzz.sh $(FUZZ_TARGETS)

# The test suite under AddressSanitizer, then ThreadSanitizer, each in its own scratch path.
# SANITIZE_FILTER narrows the run (e.g. SANITIZE_FILTER='--filter Tensors'); see docs/RELIABILITY.md for timings.
SANITIZE_FILTER ?=
test-sanitize: setup
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --scratch-path .build-asan --sanitize=address $(SANITIZE_FILTER)
	TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --scratch-path .build-tsan --sanitize=thread $(SANITIZE_FILTER)
