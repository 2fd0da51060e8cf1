# nbmem: NetBSD's kernel memory allocators on a simulated machine.
#
# One non-recursive GNU Makefile.  Objects go to obj/ (obj-<sanitizer>/ for
# sanitizer builds), so that a plain build and a sanitizer build can sit
# side by side.  Sources are found by wildcard: a new libnbmem/*.c file or
# tests/<dir>/t_*.c test program is built without touching this file.
#
#   make                 check dependencies, build libnbmem (static, shared,
#                        nbmem.pc), the daemon, the CLI and the examples
#   make check           build and run every ATF test program through kyua
#   make check SAN=address,undefined    the same with ASan+UBSan
#   make check SAN=thread               the same with TSan
#   make bench           run the benchmarks (never part of make check)
#   make install         PREFIX=/usr/local DESTDIR=
#   make lint            mandoc -Tlint on the manual pages
#   WERROR=1             warnings are errors

PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
PKG_CONFIG ?= pkg-config

SAN	?=
WERROR	?=
comma	:= ,

ifeq ($(SAN),)
B	:= obj
OPT	?= -O2
SANFLAGS :=
else
B	:= obj-$(subst $(comma),-,$(SAN))
OPT	?= -O1
SANFLAGS := -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

WARNS	:= -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wimplicit-fallthrough \
	   -Wpointer-arith -Wwrite-strings -Wundef -Wvla -fno-common
ifneq ($(WERROR),)
WARNS	+= -Werror
endif

CPPFLAGS_BASE := -D_DEFAULT_SOURCE -Ilibnbmem/include
CFLAGS_BASE := -std=c11 $(OPT) -g -pthread $(WARNS) $(SANFLAGS)
LDFLAGS_BASE := -pthread -lm $(SANFLAGS)

ALL_CFLAGS = $(CPPFLAGS_BASE) $(CFLAGS_BASE) $(CPPFLAGS) $(CFLAGS)

# ----------------------------------------------------------------------
# libnbmem

LIB_SRCS := $(sort $(wildcard libnbmem/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
LIB_HDRS := $(wildcard libnbmem/include/nbmem/*.h)
LIB_A	 := $(B)/libnbmem.a
LIB_SO	 := $(B)/libnbmem.so.0
NBMEM_PC := $(B)/nbmem.pc

.PHONY: all deps lib check bench install lint clean examples tests run
.SECONDARY:

all: deps lib examples

deps:
	@sh mk/deps.sh

lib: $(LIB_A) $(LIB_SO) $(NBMEM_PC)

$(B)/libnbmem/%.o: libnbmem/%.c $(LIB_HDRS) $(wildcard libnbmem/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -Ilibnbmem -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(LIB_SO): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libnbmem.so.0 -o $@ $^ $(LDFLAGS_BASE)
	ln -sf libnbmem.so.0 $(B)/libnbmem.so

$(NBMEM_PC): mk/nbmem.pc.in
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/.*NBM_VERSION_STRING[^"]*"\(.*\)"/\1/p' libnbmem/include/nbmem/nbmem.h)|g' $< > $@

# ----------------------------------------------------------------------
# Examples.  The README's first command, make run, is mk/run.sh: nbmemd
# and nbmemctl on a private socket and database (nbmemctl's section).

EX_SRCS	:= $(wildcard contrib/examples/*.c)
EX_BINS	:= $(EX_SRCS:contrib/examples/%.c=$(B)/examples/%)

examples: $(EX_BINS)

run: all
	@sh mk/run.sh $(B)

$(B)/examples/%: contrib/examples/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_A) $(LDFLAGS_BASE)

# ----------------------------------------------------------------------
# Tests: ATF test programs, one per source file they exercise, run by kyua.

ATF_CFLAGS := $(shell $(PKG_CONFIG) --cflags atf-c 2>/dev/null)
ATF_LIBS   := $(shell $(PKG_CONFIG) --libs atf-c 2>/dev/null || echo -latf-c)

TEST_SRCS  := $(sort $(wildcard tests/*/t_*.c))
TEST_BINS  := $(TEST_SRCS:tests/%.c=$(B)/tests/%)
TEST_SH    := $(sort $(wildcard tests/*/t_*.sh))
TEST_SHBIN := $(TEST_SH:tests/%.sh=$(B)/tests/%)
THELP_SRCS := $(wildcard tests/common/*.c)
THELP_OBJS := $(THELP_SRCS:%.c=$(B)/%.o)

$(B)/tests/common/%.o: tests/common/%.c tests/common/h_nbm.h $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ATF_CFLAGS) -Itests/common -c -o $@ $<

$(B)/tests/%: tests/%.c $(LIB_A) $(THELP_OBJS) tests/common/h_nbm.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ATF_CFLAGS) -Itests/common -Ilibnbmem -o $@ $< \
	    -DNBM_SRCDIR=\"$(CURDIR)\" \
	    $(THELP_OBJS) $(LIB_A) $(ATF_LIBS) $(LDFLAGS_BASE) -lm

$(B)/tests/%: tests/%.sh
	@mkdir -p $(@D)
	cp $< $@ && chmod +x $@

$(B)/tests/Kyuafile: $(TEST_SRCS) $(TEST_SH) mk/kyuafile.sh
	@mkdir -p $(@D)
	sh mk/kyuafile.sh $(B)/tests $(TEST_SRCS:tests/%.c=%) $(TEST_SH:tests/%.sh=%)

tests: lib $(TEST_BINS) $(TEST_SHBIN) $(B)/tests/Kyuafile

check: deps tests
	@sh mk/check.sh $(B)

# ----------------------------------------------------------------------
# Benchmarks (tests/bench/bench_*.c): built with -O2 and run by make bench.

BENCH_SRCS := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BINS := $(BENCH_SRCS:tests/%.c=$(B)/tests/%)

$(B)/tests/bench/%: tests/bench/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilibnbmem -o $@ $< $(LIB_A) $(LDFLAGS_BASE) -ldl -lm

bench: deps lib daemon $(BENCH_BINS)
	@for b in $(BENCH_BINS); do echo "==> $$b"; $$b || exit 1; done

# ----------------------------------------------------------------------

MAN3	:= $(wildcard libnbmem/*.3)
MAN8	:= $(wildcard daemon/*.8 cli/*.8)

lint:
	mandoc -Tlint -Wwarning $(MAN3) $(MAN8)

install: lib
	install -d $(DESTDIR)$(PREFIX)/include/nbmem $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 644 $(LIB_HDRS) $(DESTDIR)$(PREFIX)/include/nbmem/
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libnbmem.so.0 $(DESTDIR)$(PREFIX)/lib/libnbmem.so
	install -m 644 $(NBMEM_PC) $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	$(if $(MAN3),install -m 644 $(MAN3) $(DESTDIR)$(PREFIX)/share/man/man3/)
	$(if $(MAN8),install -m 644 $(MAN8) $(DESTDIR)$(PREFIX)/share/man/man8/)

clean:
	rm -rf obj obj-*

# ----------------------------------------------------------------------
# nbmemd, the daemon (daemon/*.c, documented in daemon/nbmemd.8): libevent
# (with evhttp for /metrics), json-c and SQLite through pkg-config, and
# libnbmem.a.  The SQL migrations (schema/NNNN-name.sql) are compiled in
# through a generated C file.  fuzz-*.c beside the code are libFuzzer
# targets, built only by `make fuzz` (clang).  tests/daemon/h_*.c are the
# daemon tests' helper programs.

D_PKGS	   := libevent_core libevent_extra json-c sqlite3
D_CFLAGS   := $(shell $(PKG_CONFIG) --cflags $(D_PKGS) 2>/dev/null)
D_LIBS	   := $(shell $(PKG_CONFIG) --libs $(D_PKGS) 2>/dev/null)
D_SRCS	   := $(filter-out daemon/fuzz-%.c,$(sort $(wildcard daemon/*.c)))
D_HDRS	   := $(wildcard daemon/*.h)
D_MIGS	   := $(sort $(wildcard schema/[0-9][0-9][0-9][0-9]-*.sql))
D_OBJS	   := $(D_SRCS:%.c=$(B)/%.o) $(B)/daemon/migrations.o
NBMEMD	   := $(B)/daemon/nbmemd
D_HELPERS  := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/daemon/h_*.c))

.PHONY: daemon fuzz install-daemon
all: daemon
tests: daemon $(D_HELPERS)
install: install-daemon

daemon: $(NBMEMD)

$(B)/daemon/migrations.c: $(D_MIGS) mk/migrations.sh
	@mkdir -p $(@D)
	sh mk/migrations.sh $(D_MIGS) > $@.tmp && mv $@.tmp $@

$(B)/daemon/%.o: daemon/%.c $(D_HDRS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(D_CFLAGS) -Idaemon -c -o $@ $<

$(B)/daemon/migrations.o: $(B)/daemon/migrations.c $(D_HDRS) $(LIB_HDRS)
	$(CC) $(ALL_CFLAGS) $(D_CFLAGS) -Idaemon -c -o $@ $<

$(NBMEMD): $(D_OBJS) $(LIB_A)
	$(CC) -o $@ $(D_OBJS) $(LIB_A) $(D_LIBS) $(LDFLAGS_BASE)

install-daemon: daemon
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/systemd/user
	install -m 755 $(NBMEMD) $(DESTDIR)$(PREFIX)/sbin/
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' contrib/service/nbmemd.service.in \
	    > $(DESTDIR)$(PREFIX)/lib/systemd/user/nbmemd.service
	chmod 644 $(DESTDIR)$(PREFIX)/lib/systemd/user/nbmemd.service

$(B)/tests/daemon/h_%: tests/daemon/h_%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS_BASE)

# make fuzz [FUZZ_SECONDS=20]: build the libFuzzer targets with clang,
# ASan and UBSan into obj-fuzz/, and run each for FUZZ_SECONDS.
FUZZ_SECONDS ?= 20
FUZZ_B	   := obj-fuzz
FUZZ_SRCS  := $(wildcard daemon/fuzz-*.c)
FUZZ_BINS  := $(FUZZ_SRCS:daemon/%.c=$(FUZZ_B)/daemon/%)

fuzz:
	$(MAKE) --no-print-directory CC=clang B=$(FUZZ_B) SAN=address,undefined \
	    CFLAGS=-fsanitize=fuzzer-no-link $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do \
	    n=$${f##*/}; c=$(FUZZ_B)/corpus/$$n; mkdir -p $$c; \
	    cp daemon/$$n.corpus/* $$c/ 2>/dev/null; \
	    echo "==> $$f ($(FUZZ_SECONDS) s)"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -dict=daemon/$$n.dict \
	        $$(sed -n 's/^\([a-z_]*\) *= *\([0-9]*\)$$/-\1=\2/p' \
	        daemon/$$n.options) $$c || exit 1; \
	done

$(FUZZ_B)/daemon/fuzz-%: daemon/fuzz-%.c $(filter-out $(B)/daemon/nbmemd.o,$(D_OBJS)) $(LIB_A)
	$(CC) $(ALL_CFLAGS) $(D_CFLAGS) -Idaemon -fsanitize=fuzzer -o $@ $< \
	    $(filter-out $(B)/daemon/nbmemd.o,$(D_OBJS)) $(LIB_A) $(D_LIBS) \
	    $(LDFLAGS_BASE)

# ----------------------------------------------------------------------
# nbmemctl, the command-line client (cli/*.c, documented in
# cli/nbmemctl.8, which `install' installs with the other pages): json-c and ncursesw through pkg-config.  It compiles
# the daemon's wire contract (daemon/proto.c) and allocation wrappers
# (daemon/xmalloc.c) itself, bgpctl-style, and links libnbmem.a only for
# the vmstat renderer and the statistics field tables.

C_PKGS	   := json-c ncursesw
C_CFLAGS   := $(shell $(PKG_CONFIG) --cflags $(C_PKGS) 2>/dev/null)
C_LIBS	   := $(shell $(PKG_CONFIG) --libs $(C_PKGS) 2>/dev/null)
C_SRCS	   := $(sort $(wildcard cli/*.c))
C_SHARED   := daemon/proto.c daemon/xmalloc.c
C_OBJS	   := $(C_SRCS:%.c=$(B)/%.o) $(C_SHARED:daemon/%.c=$(B)/cli/d-%.o)
C_HDRS	   := $(wildcard cli/*.h) daemon/proto.h daemon/xmalloc.h daemon/log.h
NBMEMCTL   := $(B)/cli/nbmemctl

.PHONY: cli install-cli cli-golden
all: cli
tests: cli
install: install-cli

cli: $(NBMEMCTL)

$(B)/cli/%.o: cli/%.c $(C_HDRS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(C_CFLAGS) -Icli -Idaemon -c -o $@ $<

$(B)/cli/d-%.o: daemon/%.c $(C_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(C_CFLAGS) -Idaemon -c -o $@ $<

$(NBMEMCTL): $(C_OBJS) $(LIB_A)
	$(CC) -o $@ $(C_OBJS) $(LIB_A) $(C_LIBS) $(LDFLAGS_BASE)

install-cli: cli
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(NBMEMCTL) $(DESTDIR)$(PREFIX)/bin/

# make cli-golden: rewrite tests/cli/golden/ from this build's output
# (t_golden.sh with update=yes); review `git diff' before committing.
cli-golden: tests
	cd $(B)/tests && kyua -v test_suites.nbmem.update=yes test \
	    --kyuafile=Kyuafile cli/t_golden
