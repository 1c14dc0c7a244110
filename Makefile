# Non-recursive GNU Makefile for chronyd and chronyc.
#
#   make                 build build/chronyd and build/chronyc
#   make check           sanitized build (ASan+UBSan) + every test suite, ends "N passed, N failed"
#   make check-layers    verify layering: includes, layout, objects' symbols (nm), daemon cycles
#   make format-check    clang-format conformance
#   make sim             print simulator scenario figures
#   make bench           benchmarks (ratios against an in-run baseline)
#   make bench-server    open-loop serving benchmark (doc/PERFORMANCE.md)
#   make bench-clientlog server memory with 1 and 1 000 000 clients (doc/PERFORMANCE.md)
#   make fuzz            libFuzzer binaries (clang) in build/fuzzer/
#   make check-valgrind  unit tests, simulator, a system scenario under valgrind (build/vg)
#   make install DESTDIR=... PREFIX=...   (and make uninstall)
#
# Sources are found by wildcard: a new .c file in a layer folder joins that layer.

.DEFAULT_GOAL := all

CC ?= cc
B ?= build
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
RUNDIR ?= /run/chrony

OPT ?= -O2
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS := $(OPT) -g $(WARN) -Isrc -MMD -MP \
	-DCHRONY_SYSCONFDIR='"$(SYSCONFDIR)"' -DCHRONY_RUNDIR='"$(RUNDIR)"'
ifeq ($(SAN),1)
BASE_CFLAGS += -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_LDFLAGS := -fsanitize=address,undefined,float-cast-overflow
endif
# Pure layers: ISO C only.
PURE_CFLAGS := -std=c11 -pedantic $(BASE_CFLAGS)
# Edge layers: POSIX/Linux.
SYS_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(BASE_CFLAGS)

LDLIBS_CRYPTO := -lnettle -lgnutls
LDLIBS_D := $(LDLIBS_CRYPTO) -lseccomp -lm -lpthread
LDLIBS_C := -lm -ledit

PURE_LAYERS := lib proto core
SYS_LAYERS := crypto daemon platform
LAYERS := $(PURE_LAYERS) $(SYS_LAYERS)

define layer_vars
$(1)_SRC := $$(sort $$(wildcard src/$(1)/*.c))
$(1)_OBJ := $$(patsubst src/%.c,$(B)/obj/%.o,$$($(1)_SRC))
$(B)/lib$(1).a: $$($(1)_OBJ)
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_vars,$(l))))

$(foreach l,$(PURE_LAYERS),$(eval $(B)/obj/$(l)/%.o: src/$(l)/%.c ; @mkdir -p $$(@D) && $$(CC) $$(PURE_CFLAGS) -c $$< -o $$@))
$(foreach l,$(SYS_LAYERS) chronyd chronyc,$(eval $(B)/obj/$(l)/%.o: src/$(l)/%.c ; @mkdir -p $$(@D) && $$(CC) $$(SYS_CFLAGS) -c $$< -o $$@))

# Link order: upper layers first.
DAEMON_LIBS := $(B)/libplatform.a $(B)/libdaemon.a $(B)/libcore.a $(B)/libproto.a \
	$(B)/libcrypto.a $(B)/liblib.a
CLIENT_LIBS := $(B)/libproto.a $(B)/liblib.a

CHRONYD_OBJ := $(patsubst src/%.c,$(B)/obj/%.o,$(wildcard src/chronyd/*.c))
CHRONYC_OBJ := $(patsubst src/%.c,$(B)/obj/%.o,$(wildcard src/chronyc/*.c))

.PHONY: all
all: $(B)/chronyd $(B)/chronyc

$(B)/chronyd: $(CHRONYD_OBJ) $(DAEMON_LIBS)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $(CHRONYD_OBJ) $(DAEMON_LIBS) $(LDLIBS_D)

$(B)/chronyc: $(CHRONYC_OBJ) $(CLIENT_LIBS)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $(CHRONYC_OBJ) $(CLIENT_LIBS) $(LDLIBS_C)

# Tests. Shared test support (fake clock, fake network, check macros) lives in tests/support.
TEST_SUPPORT_SRC := $(wildcard tests/support/*.c)
TEST_SUPPORT_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(TEST_SUPPORT_SRC))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRC))
SIM_SRC := $(sort $(wildcard tests/sim/*.c))
SIM_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(SIM_SRC))
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(patsubst %,$(B)/fuzz/replay_%,$(FUZZ_TARGETS))
CHRONYC_LIB_OBJ := $(filter-out $(B)/obj/chronyc/main.o,$(CHRONYC_OBJ))

$(B)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D) && $(CC) $(SYS_CFLAGS) -Itests/support -c $< -o $@
$(B)/obj/fuzz/%.o: fuzz/%.c
	@mkdir -p $(@D) && $(CC) $(SYS_CFLAGS) -c $< -o $@

$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(TEST_SUPPORT_OBJ) $(CHRONYC_LIB_OBJ) $(DAEMON_LIBS)
	@mkdir -p $(@D)
	$(CC) $(SAN_LDFLAGS) -o $@ $^ $(LDLIBS_D) -ledit

$(B)/tests/sim/sim: $(SIM_OBJ) $(TEST_SUPPORT_OBJ) $(DAEMON_LIBS)
	@mkdir -p $(@D)
	$(CC) $(SAN_LDFLAGS) -o $@ $^ $(LDLIBS_D)

$(B)/fuzz/replay_%: $(B)/obj/fuzz/fuzz_%.o $(B)/obj/fuzz/replay.o $(CHRONYC_LIB_OBJ) $(DAEMON_LIBS)
	@mkdir -p $(@D)
	$(CC) $(SAN_LDFLAGS) -o $@ $^ $(LDLIBS_D) -ledit

.PHONY: tests
tests: all $(B)/bench/ntpgen $(B)/bench/echoserv $(B)/bench/ntpflood $(UNIT_BIN) $(FUZZ_REPLAY) $(if $(SIM_SRC),$(B)/tests/sim/sim)

# The serving benchmark's load generator and echo server (tests/system/test-bench.sh).
$(B)/bench/%: bench/%.c bench/benchutil.h
	@mkdir -p $(@D) && $(CC) $(SYS_CFLAGS) $(SAN_LDFLAGS) -o $@ $<

# `make check`: everything under ASan+UBSan in build/san.
.PHONY: check check-run
SANB ?= build/san
check:
	@$(MAKE) --no-print-directory B=$(SANB) SAN=1 OPT=-O1 check-run

check-run: tests
	@B=$(B) sh tests/run-all.sh

.PHONY: check-valgrind
# Not part of `make check` (several minutes): a plain build (no sanitizers) under memcheck.
VGB ?= build/vg
check-valgrind:
	@$(MAKE) --no-print-directory B=$(VGB) OPT=-O1 tests
	@B=$(VGB) sh tests/valgrind/run.sh

.PHONY: sim
sim:
	@$(MAKE) --no-print-directory $(B)/tests/sim/sim
	$(B)/tests/sim/sim --figures

.PHONY: bench
bench: all
	@B=$(B) sh bench/run.sh

# Open-loop serving benchmark: ours vs Debian's chronyd vs a UDP echo server (bench/server.sh).
.PHONY: bench-server
bench-server: all
	@B=$(B) sh bench/server.sh

# Server memory with 1 and 1 000 000 client addresses, ours and Debian's (bench/clientlog-mem.sh).
.PHONY: bench-clientlog
bench-clientlog: all
	@B=$(B) sh bench/clientlog-mem.sh

# libFuzzer builds (clang only).
.PHONY: fuzz
fuzz:
	@$(MAKE) --no-print-directory B=build/fuzzer CC=clang \
		OPT="-O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
		fuzz-bins
.PHONY: fuzz-bins
fuzz-bins: $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_TARGETS))
$(B)/fuzz/fuzz_%: $(B)/obj/fuzz/fuzz_%.o $(CHRONYC_LIB_OBJ) $(DAEMON_LIBS)
	@mkdir -p $(@D)
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS_D) -ledit

.PHONY: check-layers format-check format
# Layering of sources and of the compiled objects in $(B) (see doc/HACKING.md).
check-layers: $(foreach l,$(LAYERS),$(B)/lib$(l).a) $(CHRONYD_OBJ) $(CHRONYC_OBJ)
	@python3 scripts/check-layers.py --build $(B)

FORMAT_FILES = $(shell git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'fuzz/*.c' 'bench/*.c' 'bench/*.h' 2>/dev/null)
format-check:
	@clang-format --dry-run -Werror $(FORMAT_FILES) && echo "format-check: ok"
format:
	@clang-format -i $(FORMAT_FILES)

# Install like the distribution's chrony (Debian's layout): the configuration in
# $(SYSCONFDIR)/chrony with conf.d/ and sources.d/, state in /var/lib/chrony, logs in
# /var/log/chrony, systemd units. An existing chrony.conf is never overwritten.
LOCALSTATEDIR ?= /var
SYSTEMDDIR ?= $(PREFIX)/lib/systemd
UNITDIR ?= $(SYSTEMDDIR)/system
NTPUNITSDIR ?= $(SYSTEMDDIR)/ntp-units.d
CONFDIR := $(SYSCONFDIR)/chrony
UNITS := $(patsubst systemd/%.in,%,$(wildcard systemd/*.service.in))
MANPAGES := $(wildcard doc/*.1 doc/*.5 doc/*.8)
SUBST := sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@RUNDIR@|$(RUNDIR)|g'
CONF_SUBST := sed -e 's|/etc/chrony|$(CONFDIR)|g' -e 's|/var/lib/|$(LOCALSTATEDIR)/lib/|g' \
	-e 's|/var/log/|$(LOCALSTATEDIR)/log/|g'

.PHONY: install uninstall
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(NTPUNITSDIR) $(DESTDIR)$(CONFDIR)/conf.d $(DESTDIR)$(CONFDIR)/sources.d
	install -d -m 750 $(DESTDIR)$(LOCALSTATEDIR)/lib/chrony $(DESTDIR)$(LOCALSTATEDIR)/log/chrony
	install -m 755 $(B)/chronyd $(DESTDIR)$(SBINDIR)/chronyd
	install -m 755 $(B)/chronyc $(DESTDIR)$(BINDIR)/chronyc
	for m in $(MANPAGES); do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	for u in $(UNITS); do $(SUBST) systemd/$$u.in >$(DESTDIR)$(UNITDIR)/$$u.tmp && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$u.tmp && \
		mv -f $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; done
	install -m 644 systemd/50-chronyd.list $(DESTDIR)$(NTPUNITSDIR)/50-chronyd.list
	install -m 644 examples/conf.d.README $(DESTDIR)$(CONFDIR)/conf.d/README
	install -m 644 examples/sources.d.README $(DESTDIR)$(CONFDIR)/sources.d/README
	@if [ -e $(DESTDIR)$(CONFDIR)/chrony.conf ]; then \
		echo "keeping the existing $(DESTDIR)$(CONFDIR)/chrony.conf"; \
	else \
		$(CONF_SUBST) examples/chrony.conf >$(DESTDIR)$(CONFDIR)/chrony.conf.tmp && \
		chmod 644 $(DESTDIR)$(CONFDIR)/chrony.conf.tmp && \
		mv $(DESTDIR)$(CONFDIR)/chrony.conf.tmp $(DESTDIR)$(CONFDIR)/chrony.conf && \
		echo "installed $(DESTDIR)$(CONFDIR)/chrony.conf"; \
	fi

# Removes what install put there. chrony.conf goes only while it is still the
# example; directories go only when empty (the drift file and logs stay).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/chronyd $(DESTDIR)$(BINDIR)/chronyc
	rm -f $(foreach m,$(MANPAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
	rm -f $(foreach u,$(UNITS),$(DESTDIR)$(UNITDIR)/$(u)) $(DESTDIR)$(NTPUNITSDIR)/50-chronyd.list
	rm -f $(DESTDIR)$(CONFDIR)/conf.d/README $(DESTDIR)$(CONFDIR)/sources.d/README
	@if $(CONF_SUBST) examples/chrony.conf | cmp -s - $(DESTDIR)$(CONFDIR)/chrony.conf; then \
		rm -f $(DESTDIR)$(CONFDIR)/chrony.conf; \
	elif [ -e $(DESTDIR)$(CONFDIR)/chrony.conf ]; then \
		echo "keeping the modified $(DESTDIR)$(CONFDIR)/chrony.conf"; \
	fi
	-rmdir $(DESTDIR)$(CONFDIR)/conf.d $(DESTDIR)$(CONFDIR)/sources.d $(DESTDIR)$(CONFDIR) \
		$(DESTDIR)$(LOCALSTATEDIR)/lib/chrony $(DESTDIR)$(LOCALSTATEDIR)/log/chrony \
		$(DESTDIR)$(NTPUNITSDIR) 2>/dev/null

.PHONY: demo
demo: all
	@B=$(B) sh scripts/demo.sh

.PHONY: clean
clean:
	rm -rf build

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# Keep intermediate objects of test and fuzz binaries between runs.
.SECONDARY:
