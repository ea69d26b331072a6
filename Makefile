# paperboy: plain Makefile, pkg-config for every library.
#
#   make                  build ./paperboy
#   make check            build and run every test (unit + shell)
#   make demo             install missing deps, build, run the sample day
#   make deps             install missing Debian packages (apt-get)
#   make fuzz             build the libFuzzer targets (clang)
#   make fuzz-smoke       run each fuzz target for FUZZ_SECONDS seconds
#   make bench            bench-score, bench/delivery.sh, bench/e2e.sh
#   make memcheck         the demo day and read-only commands under valgrind
#
# Switches: DEVELOPER=1 (-Werror), SANITIZE=address,undefined, V=1 (verbose).

CC ?= cc
CLANG ?= clang
PKG_CONFIG ?= pkg-config
PYTHON ?= python3

# Libraries paperboy links against (pkg-config names).
PKGS = libconfig expat libesmtp-1.0 openssl libcurl jansson libmicrohttpd
# Debian packages: what building and running needs (`make demo` installs
# these when missing), and what the tests add (`make deps` installs both).
BUILD_PACKAGES = gcc make pkg-config libconfig-dev libexpat1-dev \
	libesmtp-dev libssl-dev libcurl4-openssl-dev libjansson-dev \
	libmicrohttpd-dev tzdata
TEST_PACKAGES = libcmocka-dev python3 python3-aiosmtpd openssl chromium \
	tidy valgrind clang libclang-rt-14-dev
DEB_PACKAGES = $(BUILD_PACKAGES) $(TEST_PACKAGES)

CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wvla -Wno-unused-parameter
ALL_CFLAGS = -std=gnu11 $(WARNINGS) $(CFLAGS) -Isrc \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
ALL_LDFLAGS = $(LDFLAGS)
LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm

ifdef DEVELOPER
ALL_CFLAGS += -Werror
endif
ifdef SANITIZE
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
endif

ifndef V
QUIET_CC = @echo '   ' CC $@;
QUIET_LINK = @echo '   ' LINK $@;
QUIET_AR = @echo '   ' AR $@;
endif

BUILD = build
# Three layers: src/cmd/ (the commands, main.c) over src/*.c (services
# and base), which never call up into src/cmd/.
LIB_SRCS = $(wildcard src/*.c)
LIB_OBJS = $(patsubst src/%.c,$(BUILD)/%.o,$(LIB_SRCS))
CMD_SRCS = $(wildcard src/cmd/*.c)
CMD_OBJS = $(patsubst src/%.c,$(BUILD)/%.o,$(CMD_SRCS))
LIB = $(BUILD)/libpaperboy.a
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 60

all: paperboy

# Rebuild everything when the flags change (git's GIT-CFLAGS trick), so a
# SANITIZE build never links against objects built without it.
$(BUILD)/FLAGS: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(BUILD)/%.o: src/%.c $(BUILD)/FLAGS
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJS)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^

paperboy: $(CMD_OBJS) $(LIB)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(BUILD)/FLAGS
	@mkdir -p $(BUILD)/tests
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) \
		$(LIBS) $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

unit: $(UNIT_BINS)

check: paperboy unit
	@tests/run-tests.sh $(UNIT_BINS)

demo: deps-if-missing paperboy
	@rm -rf outbox state/journal/2025-12-30
	./paperboy -c paperboy.cfg run --date 2025-12-30 \
		--listing sample/arxiv-2025-12-30.xml

# libFuzzer needs clang. The library is compiled once with clang
# (instrumented for coverage, ASan and UBSan) into build/fuzz/lib and each
# target links it; a crash or leak fails the target.
FUZZ_CFLAGS = -std=gnu11 -g -O1 -Isrc -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
FUZZ_LIB_OBJS = $(patsubst src/%.c,$(BUILD)/fuzz/lib/%.o,$(LIB_SRCS))
$(BUILD)/fuzz/lib/%.o: src/%.c
	@mkdir -p $(BUILD)/fuzz/lib
	$(QUIET_CC)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
		-c -o $@ $<
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(BUILD)/fuzz
	$(QUIET_LINK)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_LIB_OBJS) $(LIBS)

# Kept between builds, not deleted as intermediates of the fuzz targets.
.SECONDARY: $(FUZZ_LIB_OBJS)

fuzz: $(FUZZ_BINS)

# Two targets at a time, FUZZ_SECONDS each, from copies of their corpora.
fuzz-smoke: fuzz
	@tests/fuzz/smoke.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

$(BUILD)/bench/%: bench/%.c bench/score_naive.h $(LIB) $(BUILD)/FLAGS
	@mkdir -p $(BUILD)/bench
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(LIBS)

bench-score: $(BUILD)/bench/score_bench
	@$(BUILD)/bench/score_bench

# valgrind and the sanitizers do not mix: build without SANITIZE.
memcheck: paperboy
	@tests/memcheck.sh

bench: paperboy bench-score
	@bench/delivery.sh
	@bench/e2e.sh

# The end-to-end figure alone (issue 16; E2E_* variables: bench/e2e.sh).
bench-e2e: paperboy
	@bench/e2e.sh

deps:
	@tests/install-deps.sh $(DEB_PACKAGES)

deps-if-missing:
	@$(PKG_CONFIG) --exists $(PKGS) 2>/dev/null && \
		[ -e /usr/share/zoneinfo/America/New_York ] || \
		tests/install-deps.sh $(BUILD_PACKAGES)

format:
	clang-format -i src/*.c src/*.h src/cmd/*.c src/cmd/*.h tests/unit/*.c tests/fuzz/*.c

clean:
	rm -rf $(BUILD) paperboy

.PHONY: all check unit demo deps deps-if-missing fuzz fuzz-smoke memcheck \
	bench bench-score bench-e2e \
	format clean FORCE

-include $(LIB_OBJS:.o=.d) $(CMD_OBJS:.o=.d) $(FUZZ_LIB_OBJS:.o=.d)
