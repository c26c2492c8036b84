# certbulk -- see README for the quick start.
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DESTDIR	?=
BUILD	?= build

CC	?= cc
PKGS	 = ldap lber libsasl2 libcrypto libxml-2.0
CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith -Wcast-qual \
	   -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wwrite-strings \
	   -Wno-missing-field-initializers
WERROR	?=
SAN	?=
ALL_CPPFLAGS = -Iinclude -D_GNU_SOURCE -DLDAP_DEPRECATED=0 \
	   $(shell pkg-config --cflags $(PKGS)) $(CPPFLAGS)
ALL_CFLAGS = -std=c11 $(WARN) $(WERROR) $(SAN) $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)
LIBS	 = $(shell pkg-config --libs $(PKGS)) -lcsv -pthread

LIBSRC	 = $(filter-out src/main.c,$(wildcard src/*.c))
LIBOBJ	 = $(LIBSRC:src/%.c=$(BUILD)/src/%.o)
UNITSRC	 = $(wildcard tests/unit/test_*.c)
UNITBIN	 = $(UNITSRC:tests/unit/%.c=$(BUILD)/tests/%)
PROG	 = $(BUILD)/certbulk

all: certbulk

# The program lives in $(BUILD); ./certbulk is a copy for convenience.
certbulk: $(PROG)
	cp $(PROG) $@.tmp && mv -f $@.tmp $@

$(PROG): $(BUILD)/src/main.o $(BUILD)/libcertbulk.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libcertbulk.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $^

# Objects are rebuilt whenever the compiler flags change.
$(BUILD)/flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@.new
	@cmp -s $@.new $@ && rm $@.new || mv $@.new $@

$(BUILD)/src/%.o: src/%.c $(BUILD)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%.o: tests/unit/%.c $(BUILD)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -Itests/unit $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libcertbulk.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

units: $(UNITBIN)

# make check: warnings are errors; runs every test against the build.
TESTS	?= tests/t/*.t
check:
	$(MAKE) WERROR=-Werror certbulk units
	UNITDIR=$(abspath $(BUILD))/tests CERTBULK=$(abspath $(PROG)) \
	    prove --exec bash $(PROVEFLAGS) $(TESTS)

# make asan: the same tests under AddressSanitizer and UBSan.
asan:
	$(MAKE) BUILD=build-asan WERROR=-Werror \
	    SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	    CFLAGS='-O1 -g' build-asan/certbulk units
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	UNITDIR=$(abspath build-asan)/tests CERTBULK=$(abspath build-asan/certbulk) \
	    prove --exec bash $(PROVEFLAGS) $(TESTS)

# make fuzz: libFuzzer targets for every parser of outside input (clang).
FUZZSRC	 = $(wildcard tests/fuzz/fuzz_*.c)
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang \
	    SAN='-fsanitize=fuzzer-no-link,address,undefined' CFLAGS='-O1 -g' \
	    build-fuzz/libcertbulk.a
	@for f in $(FUZZSRC); do \
	    n=$$(basename $$f .c); \
	    echo "clang ... -o build-fuzz/$$n"; \
	    clang -fsanitize=fuzzer,address,undefined -O1 -g $(ALL_CPPFLAGS) \
	        -o build-fuzz/$$n $$f build-fuzz/libcertbulk.a $(LIBS) || exit 1; \
	done
	@echo "run e.g.: mkdir -p build-fuzz/cert && build-fuzz/fuzz_cert -max_total_time=60 build-fuzz/cert tests/fuzz/corpus/cert"

# Debian packages that building, make demo, make check, make asan and
# make bench need on a minimal Debian 12 (tests/fresh/run.sh checks this
# list on a fresh root).  Run as root.
DEPS	 = build-essential pkg-config libldap2-dev libsasl2-dev libssl-dev \
	   libcsv-dev openssl ldap-utils slapd samba-ad-dc samba-ad-provision \
	   samba-dsdb-modules libxml2-dev \
	   krb5-user libsasl2-modules-gssapi-mit libsasl2-modules perl \
	   util-linux procps iproute2 gdb time debootstrap chromium strace
# System daemons those packages enable.  The tests start their own servers
# on loopback: a system slapd holds port 389 on every address, and the
# Samba ones want the AD ports, so they are stopped and disabled (not only
# stopped: they would be back after a reboot, and an upgrade restarts an
# enabled service).  Disabled, not masked: the admin may still start one.
DAEMONS	 = slapd samba-ad-dc smbd nmbd winbind
deps:
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $(DEPS)
	@sh tests/fresh/daemons.sh disable $(DAEMONS)

# make check-kdc: the logon proof against a Samba 4.24+ KDC enforcing strong
# certificate binding, in a cached Debian 13 root (not part of make check;
# root, network to a Debian mirror the first time).
check-kdc: certbulk
	CERTBULK=$(abspath $(PROG)) tests/kdc/check-kdc.sh

# make demo: the main job on a throwaway slapd with the sample data.
demo: certbulk
	samples/demo.sh

# make bench: figures for the README (not part of make check).
bench: certbulk
	tests/bench/bench.sh

# make bench-sync: the incremental nightly run over BENCH_N (100,000) files.
bench-sync: certbulk
	bash tests/bench/bench-sync.sh

# make dist: certbulk-VERSION.tar.gz of the files git tracks (as they are
# in the working tree), for machines without git.
VERSION	:= $(shell sed -n 's/^\#define CB_VERSION[^"]*"\(.*\)"/\1/p' include/cmd.h)
DISTNAME = certbulk-$(VERSION)
dist:
	@git rev-parse --is-inside-work-tree >/dev/null 2>&1 || \
	    { echo "make dist: needs a git checkout (it ships the tracked files)" >&2; exit 1; }
	git ls-files -z | tar --null -T - --transform 's,^,$(DISTNAME)/,' \
	    --owner=0 --group=0 --numeric-owner --sort=name \
	    -czf $(DISTNAME).tar.gz.tmp
	mv -f $(DISTNAME).tar.gz.tmp $(DISTNAME).tar.gz
	@echo "$(DISTNAME).tar.gz"

# make check-fresh: the README's quick start, exactly as written, in a
# throwaway minimal Debian 12 root made from make dist's tarball (root;
# see tests/fresh/run.sh).
check-fresh: dist
	tests/fresh/run.sh $(DISTNAME).tar.gz

install: certbulk
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 certbulk $(DESTDIR)$(BINDIR)/certbulk
	install -m 0644 man/certbulk.1 $(DESTDIR)$(MANDIR)/man1/certbulk.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/certbulk $(DESTDIR)$(MANDIR)/man1/certbulk.1

clean:
	rm -rf build build-asan build-fuzz certbulk certbulk-*.tar.gz certbulk-*.tar.gz.tmp

FORCE:
.PHONY: all check check-kdc asan fuzz install uninstall clean units deps demo bench bench-sync \
	dist check-fresh FORCE

-include $(wildcard $(BUILD)/src/*.d $(BUILD)/tests/*.d)
