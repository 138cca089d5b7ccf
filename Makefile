# Oddzy build: one executable (build/oddzy), a cmocka test program per tests/**/test_*.c,
# the same again under ASan+UBSan (build/asan), the threaded ones under TSan (build/tsan),
# and libFuzzer targets (build/fuzz).
# Every dependency is found with pkg-config (libwslay and libbz2, which ship no .pc, by name);
# scripts/setup.sh installs what is missing.

CC       ?= cc
PKGS     := jansson sqlite3 libpq libh2o-evloop libcurl libnats openssl zlib yaml-0.1 glib-2.0 \
            libbrotlienc libbrotlidec liburing
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lwslay -lbz2
TEST_LIBS  := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wno-unused-parameter
DEFS     := -D_GNU_SOURCE -DH2O_USE_LIBUV=0
CFLAGS_COMMON := -std=c11 $(WARN) $(DEFS) -Isrc $(PKG_CFLAGS) -pthread -MMD -MP
OPT      ?= -O2 -g
SAN      := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

SRC      := $(shell find src -name '*.c' | sort)
LIB_SRC  := $(filter-out src/cli/main.c,$(SRC))
TESTS    := $(shell find tests -name 'test_*.c' | sort)
FUZZ     := $(wildcard fuzz/fuzz_*.c)

JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
B        ?= build
BA       ?= $(B)/asan

# C written at build time from data: the simulated world's catalogue (scripts/world_catalog.awk)
GEN_SRC  := $(B)/gen/feed/world_catalog.c

LIB_OBJ   := $(LIB_SRC:%.c=$(B)/obj/%.o) $(GEN_SRC:%.c=$(B)/obj/%.o)
LIB_OBJ_A := $(LIB_SRC:%.c=$(BA)/obj/%.o) $(GEN_SRC:%.c=$(BA)/obj/%.o)
TEST_BIN  := $(TESTS:tests/%.c=$(B)/tests/%)
TEST_BIN_A:= $(TESTS:tests/%.c=$(BA)/tests/%)
FUZZ_BIN  := $(FUZZ:fuzz/%.c=$(B)/fuzz/%)

.PHONY: all setup run test test-unit test-asan test-integration fuzz-check fuzz fuzz-long web clean help bench bench-tools stack stack-down stack-status format

all: $(B)/oddzy

help:
	@echo "make run     install what is missing, build, start everything on http://localhost:8080"
	@echo "make test    install what is missing, build, run every test suite (plain + ASan/UBSan)"
	@echo "make         build build/oddzy"
	@echo "make fuzz    run each libFuzzer target for 60 s"
	@echo "make fuzz-long   run each for FUZZ_SECONDS (600) and write the table in docs/reliability.md"
	@echo "make bench   run the benchmarks under bench/"
	@echo "make stack   start the multi-service stack on loopback (PostgreSQL, NATS, nginx, two of each role)"
	@echo "make stack-down   stop it (make stack-status: what runs)"

setup:
	@scripts/setup.sh

$(B)/gen/feed/world_catalog.c: src/feed/world_catalog.txt scripts/world_catalog.awk
	@mkdir -p $(dir $@)
	awk -f scripts/world_catalog.awk $< > $@.tmp && mv $@.tmp $@

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(OPT) -c $< -o $@

$(BA)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(SAN) -c $< -o $@

$(B)/oddzy: $(LIB_OBJ) $(B)/obj/src/cli/main.o
	$(CC) $(OPT) -pthread -o $@ $^ $(PKG_LIBS) -lm

$(BA)/oddzy: $(LIB_OBJ_A) $(BA)/obj/src/cli/main.o
	$(CC) $(SAN) -pthread -o $@ $^ $(PKG_LIBS) -lm

# benchmark programs (bench/*.sh build them): the library, like a test, without cmocka
$(B)/bench/%: bench/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(OPT) -o $@ $< $(LIB_OBJ) $(PKG_LIBS) -lm

$(B)/tests/%: tests/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(OPT) -Itests -o $@ $< $(LIB_OBJ) $(PKG_LIBS) $(TEST_LIBS) -lm

$(BA)/tests/%: tests/%.c $(LIB_OBJ_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(SAN) -Itests -o $@ $< $(LIB_OBJ_A) $(PKG_LIBS) $(TEST_LIBS) -lm

# ThreadSanitizer builds of the tests whose point is threads; TSan cannot share a binary with
# ASan, so each links only the sources it tests (TSAN_<name>), built with TSan here.
BT       ?= $(B)/tsan
TSAN     := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
TSAN_TESTS := core/test_tz core/test_wait core/test_pool
TSAN_core/test_tz := src/core/tz.c src/core/err.c
TSAN_core/test_wait := src/core/wait.c src/core/recent.c src/core/clock.c src/core/err.c
TSAN_core/test_pool := src/core/pool.c src/core/wait.c src/core/clock.c src/core/err.c
TSAN_BIN := $(TSAN_TESTS:%=$(BT)/tests/%)
.SECONDEXPANSION:
$(BT)/tests/%: tests/%.c $$(TSAN_$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(TSAN) -Itests -o $@ $< $(TSAN_$*) $(PKG_LIBS) $(TEST_LIBS) -lm

# libFuzzer targets: clang, fuzzer + address + undefined, any sanitizer report fails them.
# Each links only the parsers it tests and what those need: FUZZ_SRC_<target> when set, else
# FUZZ_SRC (the domain core, the source adapters, the Betfair stream and files, and what they log
# and count with).
FUZZ_CC  ?= clang
FUZZ_BASE  := -std=c11 -g -O1 -fno-sanitize-recover=all $(DEFS) -Isrc $(PKG_CFLAGS) -pthread
FUZZ_FLAGS := $(FUZZ_BASE) -fsanitize=fuzzer,address,undefined
FUZZ_SRC := $(sort $(wildcard src/core/*.c src/source/*.c) $(filter-out src/betfair/replay.c src/betfair/client.c,\
            $(wildcard src/betfair/*.c)) src/obs/log.c src/obs/metrics.c)
FUZZ_SRC_fuzz_ws_reader := src/http/ws_reader.c src/core/utf8.c
FUZZ_SRC_fuzz_query := src/http/query.c
FUZZ_SRC_fuzz_accept := src/http/accept.c
FUZZ_SRC_fuzz_sio := src/live/sio.c src/http/query.c $(wildcard src/core/*.c)
FUZZ_SRC_fuzz_eio := src/live/sio.c src/http/query.c $(wildcard src/core/*.c)
FUZZ_SRC_fuzz_batch := src/racing/codec.c $(wildcard src/core/*.c)
FUZZ_SRC_fuzz_card_event := src/racing/card.c src/racing/compare.c $(wildcard src/core/*.c)
FUZZ_SRC_fuzz_calc := $(wildcard src/calc/*.c src/core/*.c) src/http/query.c
FUZZ_SRC_fuzz_matcher_query := $(wildcard src/calc/*.c src/core/*.c) src/http/query.c
FUZZ_SRC_fuzz_opts := src/cli/opts.c $(wildcard src/core/*.c src/obs/*.c src/http/*.c)
FUZZ_SRC_fuzz_exchange_request := src/feed/exchange_request.c $(wildcard src/core/*.c)
FUZZ_SRC_fuzz_live_filter := src/live/matcher_filter.c $(wildcard src/core/*.c)
fuzz_src = $(or $(FUZZ_SRC_$(1)),$(FUZZ_SRC))
# each source compiled once for every target that links it (instrumented for the fuzzer, not
# linked with its main), the target's own file with its main
FUZZ_OBJ_FLAGS := $(FUZZ_BASE) -fsanitize=fuzzer-no-link,address,undefined
fuzz_obj = $(patsubst %.c,$(B)/fuzz/obj/%.o,$(call fuzz_src,$(1)))
$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_OBJ_FLAGS) -MMD -MP -c $< -o $@
.SECONDEXPANSION:
$(B)/fuzz/%: fuzz/%.c $$(call fuzz_obj,$$*)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(call fuzz_obj,$*) $(PKG_LIBS) -lm

web/dist/index.html: $(shell find web/src -type f 2>/dev/null) web/index.html web/package.json
	@if [ -f web/package.json ]; then cd web && npm run build --silent; fi

web: web/dist/index.html

run: setup all web
	$(B)/oddzy run --bookmakers ladbrokes,neds,tab-nz

test: setup
	@$(MAKE) --no-print-directory -j$(JOBS) all $(TEST_BIN) $(BA)/oddzy $(TEST_BIN_A) $(TSAN_BIN) $(FUZZ_BIN)
	@$(MAKE) --no-print-directory web
	@scripts/run-tests.sh

test-unit: all $(TEST_BIN)
	@ODDZY_SUITES=unit scripts/run-tests.sh

fuzz-check: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); $$f -runs=0 fuzz/corpus/$${n#fuzz_} || exit 1; done

fuzz: $(FUZZ_BIN)
	@# new inputs go to a scratch directory (the first one given), not the committed corpus
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); d=$$(mktemp -d); \
	  $$f -max_total_time=60 $$d fuzz/corpus/$${n#fuzz_} || exit 1; echo "new inputs: $$d"; done

# every target for FUZZ_SECONDS each, new inputs to a scratch directory, the table into
# docs/reliability.md ("## Fuzzing"); fails if any target crashed
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= 1
fuzz-long: $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) scripts/fuzz-long.sh

# Benchmark tools (bench/*.c), built with the same warnings as everything else.
BENCH_TOOLS := $(B)/bench/wsload $(B)/bench/ingest_bare
bench-tools: $(BENCH_TOOLS)

$(B)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(OPT) -o $@ $< $(PKG_LIBS)

bench: all web bench-tools
	@for b in bench/*.sh; do echo "== $$b"; $$b || exit 1; done

# The multi-service stack on loopback (scripts/stack.sh; docs/scaling.md): nginx on :8000.
stack: setup all web
	@scripts/stack.sh up

stack-down:
	@scripts/stack.sh down

stack-status:
	@scripts/stack.sh status

format:
	clang-format -i $(SRC) $(TESTS)

clean:
	rm -rf build

-include $(shell find $(B) -name '*.d' 2>/dev/null)
