# paperboy: plain Makefile, pkg-config for every library.
#
#   make                  build ./paperboy
#   make check            install missing test deps, build, run every test
#   make demo             install missing deps, build, run the sample day
#   make deps             install missing Debian packages (apt-get)
#   make docs             regenerate docs/paperboy.cfg.5 from src/conf.c
#   make install          PREFIX=/usr/local DESTDIR=: binary, man pages,
#                         templates (PREFIX/share/paperboy/templates)
#   make fuzz             build the libFuzzer targets (clang)
#   make fuzz-smoke       run each fuzz target for FUZZ_SECONDS seconds
#   make bench            bench-score, bench-compose, bench/delivery.sh,
#                         bench/e2e.sh (the whole run against smtp-source)
#   make eval             ranking precision on ../shared/eval (EVAL_DIR=)
#   make memcheck         the demo day and read-only commands under valgrind
#
# Switches: DEVELOPER=1 (-Werror), SANITIZE=address,undefined, V=1 (verbose).

CC ?= cc
CLANG ?= clang
PKG_CONFIG ?= pkg-config
PYTHON ?= python3

# Libraries paperboy links against (pkg-config names).
PKGS = libconfig expat libesmtp-1.0 openssl libcurl jansson libmicrohttpd
# Libraries with no .pc file on Debian 12, linked by name: -lNAME, and the
# header that shows its -dev package is installed.
NOPC_LIBS = linear:linear.h stemmer:libstemmer.h
# Debian packages: what building and running needs (`make demo` installs
# these when missing), and what the tests add (`make check` installs
# those missing, `make deps` installs both).
BUILD_PACKAGES = gcc make pkg-config libconfig-dev libexpat1-dev \
	libesmtp-dev libssl-dev libcurl4-openssl-dev libjansson-dev \
	libmicrohttpd-dev liblinear-dev libstemmer-dev tzdata
TEST_PACKAGES = libcmocka-dev python3 python3-aiosmtpd openssl chromium \
	tidy valgrind clang libclang-rt-14-dev man-db opendkim \
	opendkim-tools nginx-light systemd
DEB_PACKAGES = $(BUILD_PACKAGES) $(TEST_PACKAGES)

# Where `make install` puts things.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
DATADIR = $(PREFIX)/share/paperboy

CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wvla -Wno-unused-parameter

# The libraries' flags are asked for once, when a recipe that builds needs
# them (never at parse time, so `make deps` works while packages are
# missing), and a missing package stops make with its name: an empty flag
# would only turn into a confusing compiler error.
# $(call pkg_flags,--cflags|--libs,PACKAGES)
pkg_flags = $(foreach p,$(2),$(if $(shell $(PKG_CONFIG) --exists $(p) \
	2>/dev/null && echo y),,$(error pkg-config finds no '$(p)' (is its \
	Debian -dev package installed? `make deps` installs them))))$(shell \
	$(PKG_CONFIG) $(1) $(2))
# $(call nopc_libs,NAME:HEADER ...): -lNAME for each, once its header is
# found.
nopc_name = $(word 1,$(subst :, ,$(1)))
nopc_header = $(word 2,$(subst :, ,$(1)))
nopc_libs = $(foreach l,$(1),$(if $(shell printf '\043include <%s>\n' \
	$(call nopc_header,$(l)) | $(CC) -E -x c - >/dev/null 2>&1 && \
	echo y),,$(error no $(call nopc_header,$(l)) for \
	-l$(call nopc_name,$(l)) (is its Debian -dev package installed? \
	`make deps` installs them)))-l$(call nopc_name,$(l)))
# Each expands its $(call) on first use only, then keeps the result.
PKG_CFLAGS = $(eval PKG_CFLAGS := \
	$(call pkg_flags,--cflags,$(PKGS)))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $(call pkg_flags,--libs,$(PKGS)) \
	$(call nopc_libs,$(NOPC_LIBS)))$(PKG_LIBS)
CMOCKA_LIBS = $(eval CMOCKA_LIBS := \
	$(call pkg_flags,--libs,cmocka))$(CMOCKA_LIBS)

ALL_CFLAGS = -std=gnu11 $(WARNINGS) $(CFLAGS) -Isrc $(PKG_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS)
LIBS = $(PKG_LIBS) -lm

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
GEN_CFG_MAN = $(BUILD)/tools/gen-cfg-man
MAN_PAGES = $(wildcard docs/paperboy.1) docs/paperboy.cfg.5

all: paperboy $(GEN_CFG_MAN)

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

$(BUILD)/tests/%: tests/unit/%.c bench/score_naive.h tests/unit/unit_fs.h \
		$(LIB) $(BUILD)/FLAGS
	@mkdir -p $(BUILD)/tests
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) \
		$(LIBS) $(CMOCKA_LIBS)

unit: $(UNIT_BINS)

# The settings man page is generated from the settings table in conf.c.
$(GEN_CFG_MAN): tools/gen-cfg-man.c $(LIB) $(BUILD)/FLAGS
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(LIBS)

docs: $(GEN_CFG_MAN)
	@mkdir -p docs
	$(GEN_CFG_MAN) >docs/paperboy.cfg.5+ && \
		mv docs/paperboy.cfg.5+ docs/paperboy.cfg.5

# Packages first, then the build in a new make that reads the flags of
# what is now installed (also under -j, nothing compiles before them).
check: deps-test-if-missing
	@$(MAKE) --no-print-directory paperboy unit $(GEN_CFG_MAN)
	@tests/run-tests.sh $(UNIT_BINS)

demo: deps-if-missing
	@$(MAKE) --no-print-directory paperboy
	@rm -rf outbox state/journal/2025-12-30
	./paperboy -c paperboy.cfg run --date 2025-12-30 \
		--listing sample/arxiv-2025-12-30.xml
	@printf '%s\n' '' 'Next: the digests are mail files in outbox/new/ (a Maildir):' \
	  '  mutt -f outbox                 read them as a mail reader would' \
	  '  ./paperboy render alice --date 2025-12-30 --html >alice.html' \
	  '                                 one digest, to open in a browser' \
	  '  README.md, "Quick start"       your subscribers, SMTP and the daily run'

# libFuzzer needs clang. The library is compiled once with clang
# (instrumented for coverage, ASan and UBSan) into build/fuzz/lib and each
# target links it; a crash or leak fails the target.
FUZZ_CFLAGS = -std=gnu11 -g -O1 -Isrc -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all $(PKG_CFLAGS)
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

# As issue 6 set it, then with a quarter of the profiles writing criteria.
bench-score: $(BUILD)/bench/score_bench
	@$(BUILD)/bench/score_bench
	@$(BUILD)/bench/score_bench -c 4

bench-compose: $(BUILD)/bench/compose_bench
	@$(BUILD)/bench/compose_bench

# Ranking quality on ../shared/eval (EVAL_DIR=...): measures, never fails.
eval: $(BUILD)/bench/eval
	@$(BUILD)/bench/eval $(EVAL_DIR)

# valgrind and the sanitizers do not mix: build without SANITIZE.
memcheck: paperboy
	@tests/memcheck.sh

bench: paperboy bench-score bench-compose
	@bench/delivery.sh
	@bench/e2e.sh

# The end-to-end figure alone (issue 16; E2E_* variables: bench/e2e.sh).
bench-e2e: paperboy
	@bench/e2e.sh

# One dpkg-query when everything is there; apt-get only for what is not.
deps: deps-test-if-missing
deps-test-if-missing:
	@tests/install-deps.sh $(DEB_PACKAGES)
deps-if-missing:
	@tests/install-deps.sh $(BUILD_PACKAGES)

install: paperboy
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR)/templates
	install -m 755 paperboy $(DESTDIR)$(BINDIR)/paperboy
	$(foreach m,$(MAN_PAGES),install -m 644 $(m) \
		$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/ &&) true
	install -m 644 templates/* $(DESTDIR)$(DATADIR)/templates/

clean:
	rm -rf $(BUILD) paperboy

.PHONY: all check unit docs demo deps deps-if-missing deps-test-if-missing \
	install fuzz fuzz-smoke memcheck bench bench-score bench-compose eval \
	bench-e2e clean FORCE

-include $(LIB_OBJS:.o=.d) $(CMD_OBJS:.o=.d) $(FUZZ_LIB_OBJS:.o=.d)
