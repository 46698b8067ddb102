# Non-recursive build of gwd, gwctl, pstnsim and their tests.
#
#   make                      release build into build/
#   make SANITIZER=address    ASan+UBSan build into build/asan/
#   make run                  install deps, build, start pstnsim + gwd on sim spans
#   make test                 install deps, build, run every test (last line: N passed, N failed)
#   make test-unit            unit tests (add SANITIZER=address for ASan+UBSan)
#   make test-integration     integration tests against real peers
#   make test-dahdi           gwd + pstnsim on real DAHDI spans under qemu
#   make fuzz                 run every fuzz target (FUZZ_SECONDS each)
#   make bench                benchmarks, each next to a reference measured in the same run
#   make format-check         clang-format conformance of changed C files

CC ?= cc
FUZZ_CC ?= clang
SANITIZER ?=
FUZZ_SECONDS ?= 15

ifeq ($(SANITIZER),)
BUILD ?= build
OPTFLAGS = -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LD = -pie -Wl,-z,relro,-z,now
else
BUILD ?= build/$(SANITIZER)
OPTFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=$(SANITIZER),undefined \
	-fno-sanitize-recover=undefined
HARDEN_LD = -fsanitize=$(SANITIZER),undefined
endif

WARN = -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith -Wcast-qual \
	-Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition \
	-Wwrite-strings -Wundef -Wvla -Wimplicit-fallthrough -fno-common -Werror

PKGS = spandsp ldns libssl libcrypto liburing
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CPPFLAGS += -I. -Igw -MMD -MP
CFLAGS += -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) $(OPTFLAGS) $(PKG_CFLAGS) -pthread
LDFLAGS += $(HARDEN_LD) -pthread
LDLIBS += -lpri $(PKG_LIBS) -lm

# Everything but programs' main files goes into one archive; programs and
# unit tests link against it, so each pulls in only the objects it uses.
LIB_SRCS := $(sort $(wildcard gw/*.c gw/*/*.c drivers/*.c lcr/*.c billing/*.c))
LIB_SRCS := $(filter-out gw/main.c,$(LIB_SRCS))
GWD_SRCS := gw/main.c
GWCTL_SRCS := $(sort $(wildcard tools/gwctl/*.c))
PSTNSIM_SRCS := $(sort $(wildcard tools/pstnsim/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_SUPPORT := $(filter-out $(UNIT_SRCS),$(sort $(wildcard tests/unit/*.c)))
BENCH_SRCS := $(sort $(wildcard tests/bench/bench_*.c))
# programs the Python benchmarks drive (not run on their own)
BENCH_HELPER_SRCS := tests/bench/rtp_reflect.c tests/bench/media_ref.c \
	tests/bench/stall_probe.c
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB := $(BUILD)/libgw.a
PROGS := $(BUILD)/gwd $(BUILD)/gwctl $(BUILD)/pstnsim
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS) \
	$(BENCH_HELPER_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))

ALL_OBJS := $(call obj,$(LIB_SRCS) $(GWD_SRCS) $(GWCTL_SRCS) $(PSTNSIM_SRCS) \
	$(UNIT_SRCS) $(UNIT_SUPPORT) $(BENCH_SRCS) $(BENCH_HELPER_SRCS))

# Keep objects of pattern-built programs (tests) between runs.
.SECONDARY:

.PHONY: all deps deps-build run test test-unit test-integration test-dahdi \
	test-fuzz fuzz bench format format-check clean unit-bins bench-bins fuzz-bins

all: $(PROGS) $(UNIT_BINS) $(BENCH_BINS)

unit-bins: $(UNIT_BINS)
bench-bins: $(BENCH_BINS)

V ?= 0
ifeq ($(V),0)
Q = @
say = @echo "  $(1) $(2)";
else
Q =
say =
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(call obj,$(LIB_SRCS))
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BUILD)/gwd: $(call obj,$(GWD_SRCS)) $(LIB)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/gwctl: $(call obj,$(GWCTL_SRCS)) $(LIB)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/pstnsim: $(call obj,$(PSTNSIM_SRCS)) $(LIB)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(call obj,$(UNIT_SUPPORT)) $(LIB)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIB)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer targets: the library is rebuilt with clang and coverage.
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer-no-link,address,undefined
FUZZ_LIB := build/fuzz/libgw.a
build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(FUZZ_CC) $(CPPFLAGS) -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) \
		-Wno-unused-command-line-argument $(PKG_CFLAGS) $(FUZZ_FLAGS) -c -o $@ $<
$(FUZZ_LIB): $(patsubst %.c,build/fuzz/obj/%.o,$(LIB_SRCS))
	$(Q)rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^
build/fuzz/fuzz_%: build/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(call say,LD,$@)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS) -pthread
fuzz-bins: $(FUZZ_BINS)

-include $(ALL_OBJS:.o=.d) $(wildcard build/fuzz/obj/*/*.d build/fuzz/obj/*/*/*.d)

deps:
	tools/install-deps all

deps-build:
	tools/install-deps build

run: deps-build
	$(MAKE) $(PROGS)
	tools/run-demo $(BUILD)

# The full suite: unit tests (plain and under ASan+UBSan), integration
# tests with real peers, bounded fuzzing, and real DAHDI under qemu.
test: deps
	$(MAKE) all
	$(MAKE) SANITIZER=address unit-bins $(if $(FUZZ_SRCS),fuzz-bins)
	tests/run --build $(BUILD) --asan build/address all

test-unit: unit-bins
	tests/run --build $(BUILD) unit

test-integration: $(PROGS)
	tests/run --build $(BUILD) integration

test-dahdi: $(PROGS)
	tests/run --build $(BUILD) dahdi

test-fuzz: fuzz-bins
	tests/run --build $(BUILD) fuzz

fuzz: fuzz-bins
	tests/fuzz/run-all $(FUZZ_SECONDS)

bench: $(PROGS) $(BENCH_BINS)
	tests/bench/run $(BUILD)

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

clean:
	rm -rf build
