# Dragoman. `make run` starts the server with demo data; `make test` runs every test.
# Two flavours are built side by side: plain (build/plain, bin/) and
# AddressSanitizer + UndefinedBehaviorSanitizer (build/asan).

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKGS := libevent libevent_pthreads hiredis libwebsockets libcjson libcrypto libcurl
DEB_PKGS := build-essential pkg-config libevent-dev libhiredis-dev libwebsockets-dev libev-dev libcjson-dev \
            libjemalloc-dev libssl-dev libcurl4-openssl-dev libcmocka-dev redis-server

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lev -lpthread
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -Iinclude -MMD -MP
PLAIN_CFLAGS := -O2 -g
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

# Every .c under src/ is part of the library except the programs' mains.
MAIN_SRCS := src/server/main.c src/ctl/dragomanctl.c
LIB_SRCS := $(filter-out $(MAIN_SRCS),$(shell find src -name '*.c' | sort))
SCHEMAS := $(sort $(wildcard proto/schema/*.json))
LUA := $(sort $(wildcard src/store/lua/*.lua))
UNIT_SRCS := $(shell find tests/unit -name 'test_*.c' | sort)

GEN_SRCS := build/gen/schemas.c build/gen/scripts.c

# The plain server allocates with jemalloc (as Redis does): its cJSON trees,
# hiredis replies and printed views are many small blocks freed soon after,
# and glibc's malloc and free were a third of its instructions; with jemalloc
# the server's user time per cycle is a quarter lower and an idle connection
# costs 2.3 KB instead of 3.2 (bench/README.md, session 12). The ASan build
# keeps the sanitizer's allocator, which must own malloc.
SERVER_MALLOC := -ljemalloc

define flavour
# $(1) = flavour name, $(2) = its extra CFLAGS, $(3) = the server's allocator
$(1)_OBJS := $$(patsubst %.c,build/$(1)/%.o,$$(LIB_SRCS)) $$(patsubst build/gen/%.c,build/$(1)/gen/%.o,$$(GEN_SRCS))
build/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $(2) $$(PKG_CFLAGS) -c $$< -o $$@
build/$(1)/gen/%.o: build/gen/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $(2) -c $$< -o $$@
build/$(1)/libdragoman.a: $$($(1)_OBJS)
	@rm -f $$@
	ar rcs $$@ $$^
build/$(1)/dragomand: build/$(1)/src/server/main.o build/$(1)/libdragoman.a
	$$(CC) $(2) -o $$@ $$^ $(3) $$(PKG_LIBS)
build/$(1)/dragomanctl: build/$(1)/src/ctl/dragomanctl.o build/$(1)/libdragoman.a
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS)
build/$(1)/tests/%: tests/%.c build/$(1)/libdragoman.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $(2) $$(PKG_CFLAGS) -Itests -o $$@ $$< build/$(1)/libdragoman.a $$(PKG_LIBS) $$(CMOCKA_LIBS)
endef

$(eval $(call flavour,plain,$(PLAIN_CFLAGS),$(SERVER_MALLOC)))
$(eval $(call flavour,asan,$(ASAN_CFLAGS)))

# Every object's and test's header dependencies (the programs' mains and the
# tests too, not only the library), so a changed header rebuilds all its users.
-include $(shell find build -name '*.d' 2>/dev/null)

UNIT_PLAIN := $(patsubst tests/%.c,build/plain/tests/%,$(UNIT_SRCS))
UNIT_ASAN := $(patsubst tests/%.c,build/asan/tests/%,$(UNIT_SRCS))

.PHONY: all deps build asan run test unit unit-asan integration integration-asan browser browser-deps install clean
.DEFAULT_GOAL := all

all: bin/dragomand bin/dragomanctl

# Copy then rename, so a running bin/dragomand ("text file busy") is replaced, not written into.
bin/%: build/plain/%
	@mkdir -p bin
	cp $< $@.tmp && mv -f $@.tmp $@

build/gen/schemas.c: $(SCHEMAS) src/proto/embed.sh
	@mkdir -p build/gen
	sh src/proto/embed.sh dm_schema_sources $(SCHEMAS) > $@

build/gen/scripts.c: $(LUA) src/proto/embed.sh
	@mkdir -p build/gen
	sh src/proto/embed.sh dm_script_sources $(LUA) > $@

# Installs what is missing (Debian packages; needs root) and nothing when all is there.
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi

build: deps
	$(MAKE) all

asan: build/asan/dragomand build/asan/dragomanctl

run: build
	./bin/dragomand --demo config/demo.json $(RUN_ARGS)

unit: $(UNIT_PLAIN)
	@sh tests/run-unit.sh $(UNIT_PLAIN)

unit-asan: $(UNIT_ASAN)
	@sh tests/run-unit.sh $(UNIT_ASAN)

tests/node_modules/.installed: tests/package.json
	@command -v node >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	cd tests && npm install --no-audit --no-fund --silent
	@touch $@

integration: all bench/loadgen tests/node_modules/.installed
	DRAGOMAND=$(CURDIR)/bin/dragomand DRAGOMANCTL=$(CURDIR)/bin/dragomanctl \
	  node --test --test-concurrency=1 tests/integration/

integration-asan: asan bench/loadgen tests/node_modules/.installed
	DRAGOMAND=$(CURDIR)/build/asan/dragomand DRAGOMANCTL=$(CURDIR)/build/asan/dragomanctl DRAGOMAN_ASAN=1 \
	  node --test --test-concurrency=1 tests/integration/

# Installs Debian packages: as root, or through sudo.
define apt_install
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); \
	else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); fi
endef

# Browser tests drive Debian's Chromium (playwright-core downloads no browser).
/usr/bin/chromium:
	$(call apt_install,chromium)

# bench/callgrind.sh counts instructions with Debian's valgrind.
/usr/bin/valgrind:
	$(call apt_install,valgrind)

browser-deps: /usr/bin/chromium tests/node_modules/.installed

browser: all browser-deps
	DRAGOMAND=$(CURDIR)/bin/dragomand node --test --test-concurrency=1 tests/browser/

test: deps
	$(MAKE) all asan
	$(MAKE) unit unit-asan
	$(MAKE) integration integration-asan
	$(MAKE) browser

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/dragoman/web $(DESTDIR)/etc/dragoman \
	  $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 755 bin/dragomand bin/dragomanctl $(DESTDIR)$(PREFIX)/bin/
	cp -R src/web/. $(DESTDIR)$(PREFIX)/share/dragoman/web/
	install -m 644 config/dragoman.conf $(DESTDIR)/etc/dragoman/dragoman.conf
	sed 's|@PREFIX@|$(PREFIX)|g' config/dragomand.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/dragomand.service

clean:
	rm -rf build bin

# Benchmarks and the dispatch simulator (bench/README.md). The simulator's
# engine is a library of its own so that tests/unit/bench can link it: the
# explicit test rules below take precedence over the generic one above.
SIM_SRCS := $(sort $(wildcard bench/sim/*.c))

define bench_flavour
build/$(1)/libdmsim.a: $$(patsubst %.c,build/$(1)/%.o,$$(SIM_SRCS))
	@rm -f $$@
	ar rcs $$@ $$^
build/$(1)/tests/unit/bench/test_sim: tests/unit/bench/test_sim.c build/$(1)/libdmsim.a build/$(1)/libdragoman.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $(2) $$(PKG_CFLAGS) -Itests -Ibench -o $$@ $$< build/$(1)/libdmsim.a \
	  build/$(1)/libdragoman.a $$(PKG_LIBS) $$(CMOCKA_LIBS) -lm
endef
$(eval $(call bench_flavour,plain,$(PLAIN_CFLAGS)))
$(eval $(call bench_flavour,asan,$(ASAN_CFLAGS)))

.PHONY: simulate
simulate: bench/simulate

bench/simulate: build/plain/bench/simulate.o build/plain/libdmsim.a build/plain/libdragoman.a
	$(CC) $(PLAIN_CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

LG_SRCS := $(sort $(wildcard bench/lg/*.c))
bench/loadgen: build/plain/bench/loadgen.o $(patsubst %.c,build/plain/%.o,$(LG_SRCS)) build/plain/libdmsim.a \
               build/plain/libdragoman.a
	$(CC) $(PLAIN_CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

.PHONY: bench
# The standard set (bench/run.sh): loopback only, bounded, stops by itself.
bench: all bench/simulate bench/loadgen /usr/bin/valgrind
	bash bench/run.sh
