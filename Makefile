# Front door of diffucoder.cpp. `make run` and `make test` do all set-up themselves.
#   make run        install missing Debian packages, build (Release), generate with the default model
#   make test       the same set-up, then every test through ctest
#   make bench      build and run the benchmarks (figures go to stdout; see docs/PERFORMANCE.md)
#   make asan       build and run the test suite under AddressSanitizer + UBSan (build-asan/)
#   make fuzz       build the libFuzzer targets with clang (build-fuzz/) and run each for FUZZ_SECONDS
#   make format     clang-format every C++ file
#   make format-check  fail if a C++ file is not clang-formatted (CI runs it)
# CI also builds with WERROR=ON: warnings in the project's own code are errors.

BUILD      ?= build
JOBS       ?= $(shell nproc)
GENERATOR  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
WERROR     ?= OFF
MODEL      ?= $(firstword $(wildcard models/diffucoder-tiny) tests/testdata/tiny-dream)
PROMPT     ?= def fibonacci(n):
# A model folder with a prompt.txt (the bundled model has one) is asked that question in the chat format;
# any other model completes PROMPT as plain text.
RUN_PROMPT ?= $(if $(wildcard $(MODEL)/prompt.txt),--chat --prompt-file $(MODEL)/prompt.txt,--prompt '$(PROMPT)')
FUZZ_SECONDS ?= 120
FUZZ_TARGETS := $(patsubst fuzz/%_fuzz.cpp,fuzz_%,$(wildcard fuzz/*_fuzz.cpp))

.PHONY: all deps build run test bench asan fuzz format format-check clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(GENERATOR) -DCMAKE_BUILD_TYPE=Release -DDC_WERROR=$(WERROR) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@if [ "$(MODEL)" = "tests/testdata/tiny-dream" ]; then \
	  echo "note: using the small random-weight test model (tests/testdata/tiny-dream): its text is noise."; fi
	$(BUILD)/bin/diffucoder generate --model $(MODEL) $(RUN_PROMPT) --max-new-tokens 160 --steps 160 --visual

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 1500

bench: build
	@for b in $(BUILD)/bin/bench_*; do echo "== $$b"; $$b || exit 1; done

asan: deps
	@cmake -S . -B build-asan $(GENERATOR) -DCMAKE_BUILD_TYPE=Debug -DDC_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) --timeout 3000

fuzz: deps
	@cmake -S . -B build-fuzz $(GENERATOR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDC_FUZZ=ON \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target $(FUZZ_TARGETS)
	@for f in build-fuzz/bin/fuzz_*; do n=$$(basename $$f); mkdir -p build-fuzz/corpus/$$n; \
	  echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 build-fuzz/corpus/$$n fuzz/seeds/$${n#fuzz_} || exit 1; done

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

format-check: deps
	@git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD) build-asan build-fuzz
