# server/server.mk -- ward-core (the process around the verified library)
# and the code it links: its protobuf IPC (proto/), the audit journal, the
# home's layout, the names and the record printer; the hostile-broker and
# crash suites, the decoder fuzz target, and the IPC benchmark.  Part of
# the trusted computing base, not proved.

# Fragments are included before "all:" in GNUmakefile; keep "all" the
# default goal whatever rule comes first here.
.DEFAULT_GOAL := all

SRV_PROTO := proto/ward/v1/ward.proto
SRV_GEN_C := $(B)/gen/ward/v1/ward.pb-c.c
SRV_GEN_H := $(B)/gen/ward/v1/ward.pb-c.h
SRV_GEN_O := $(B)/obj/gen/ward.pb-c.o

# Objects shared by ward-core, the CLI and the tests.
SRV_COMMON := $(B)/obj/server/home.o $(B)/obj/common/priv.o $(B)/obj/server/journal.o \
	$(B)/obj/server/wire.o $(B)/obj/server/client.o $(SRV_GEN_O) \
	$(B)/obj/server/names.o $(B)/obj/server/record.o $(TEXT_OBJ) \
	$(B)/obj/server/params.o
SRV_CORE_OBJS := $(B)/obj/server/server.o $(B)/obj/server/vault.o \
	$(B)/obj/server/pending.o $(SRV_COMMON)
SRV_HOSTILE_BINS := $(B)/hostile/hostile-broker $(B)/hostile/core-crash \
	$(B)/hostile/core-audit-tamper $(B)/hostile/bench-ipc \
	$(B)/hostile/core-durable-order
SRV_LIBS := -lnanomsg -lprotobuf-c -lpthread -lseccomp
SRV_ALL_OBJS := $(SRV_COMMON) $(B)/obj/server/server.o $(B)/obj/server/pending.o $(CLI_OBJS) \
	$(B)/obj/tests/hostile/hostile.o $(B)/obj/tests/hostile/crash.o \
	$(B)/obj/tests/hostile/bench_ipc.o $(B)/obj/tests/hostile/hfix.o \
	$(B)/obj/tests/hostile/tamper.o $(B)/obj/tests/hostile/durable.o

PART_ALL += $(B)/ward-core $(SRV_HOSTILE_BINS) $(B)/fuzz/fuzz_wire \
	$(B)/hostile/synctrace.so
WARD_CLI_OBJS += $(SRV_COMMON)
WARD_LDLIBS += $(SRV_LIBS)
PART_BENCH += $(B)/hostile/bench-ipc

# protoc-c writes the .c and the .h in one run.
$(SRV_GEN_H): $(SRV_GEN_C)
$(SRV_GEN_C): $(SRV_PROTO)
	@mkdir -p $(B)/gen
	protoc-c --c_out=$(B)/gen -Iproto $(SRV_PROTO)

# Generated code: the project's hardening, not its warning set.
$(SRV_GEN_O): $(SRV_GEN_C) $(SRV_GEN_H)
	@mkdir -p $(@D)
	$(CC) -I$(B)/gen $(ALL_CPPFLAGS) -std=c11 $(WARD_HARDEN) $(CFLAGS) \
		-c -o $@ $<

# The nonce API of core/context.h is moving from a context pointer to
# (table, slot); use whichever the header in this tree declares.
SRV_NONCE_API := $(shell printf '\043include "context.h"\nint f(struct ward_contexts *t);\nint f(struct ward_contexts *t) { return ward_nonce_check(t, 0, 1); }\n' | \
	$(CC) -Icore -std=c11 -x c -fsyntax-only -Werror - 2>/dev/null && echo -DWARD_NONCE_BY_SLOT)
$(B)/obj/server/server.o: ALL_CPPFLAGS += $(SRV_NONCE_API)

$(SRV_ALL_OBJS): | $(SRV_GEN_H)
# ward-core includes only the core, the shared code and its own folder.
$(B)/obj/server/%.o: ALL_CPPFLAGS += -I$(B)/gen -Iserver -Icommon -D_GNU_SOURCE
$(B)/obj/tests/hostile/%.o: ALL_CPPFLAGS += -I$(B)/gen -Iserver -Icommon -Itests/hostile -D_GNU_SOURCE

$(B)/ward-core: $(SRV_CORE_OBJS) $(LIB)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(SRV_CORE_OBJS) $(LIB) \
		$(SRV_LIBS) $(SODIUM_LIBS)

$(B)/hostile/hostile-broker: $(B)/obj/tests/hostile/hostile.o
$(B)/hostile/core-crash: $(B)/obj/tests/hostile/crash.o
$(B)/hostile/bench-ipc: $(B)/obj/tests/hostile/bench_ipc.o
$(B)/hostile/core-audit-tamper: $(B)/obj/tests/hostile/tamper.o
$(B)/hostile/core-durable-order: $(B)/obj/tests/hostile/durable.o

# The LD_PRELOAD shim of core-durable-order: logs syncs and socket sends
# of ward-core in order (tests/hostile/synctrace.c).  A test tool only.
$(B)/hostile/synctrace.so: tests/hostile/synctrace.c
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARD_WARN) $(CFLAGS) -fPIC -shared -o $@ $< -ldl -lpthread

$(SRV_HOSTILE_BINS): $(B)/obj/tests/hostile/hfix.o $(SRV_COMMON) $(LIB)
$(SRV_HOSTILE_BINS):
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) \
		$(LIB) $(SRV_LIBS) $(SODIUM_LIBS)

# The decoder fuzz target: libFuzzer with ASan and UBSan, built with clang
# apart from the rest.  'make fuzz' runs it for WARD_FUZZ_SECONDS (60);
# the suite tests/suites/core-fuzz-smoke runs it briefly in 'make check'.
FUZZ_CC := clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Icore -Iserver -Icommon -I$(B)/gen \
	-D_GNU_SOURCE $(SODIUM_CFLAGS)
FUZZ_SRCS := tests/fuzz/fuzz_wire.c server/wire.c core/codec.c common/text.c \
	$(SRV_GEN_C)

$(B)/fuzz/fuzz_wire: $(FUZZ_SRCS) server/wire.h $(SRV_GEN_H)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_SRCS) -lprotobuf-c

.PHONY: fuzz
fuzz: $(B)/fuzz/fuzz_wire
	@mkdir -p $(B)/fuzz/corpus
	$(B)/fuzz/fuzz_wire -max_total_time=$${WARD_FUZZ_SECONDS:-60} \
		-max_len=9000 -artifact_prefix=$(B)/fuzz/ $(B)/fuzz/corpus \
		tests/fuzz/seeds

# The names table against core/ward.h, journal.h, wire.h and the proto
# (read from the tree at run time; tests/run runs from the top).
$(B)/obj/tests/unit/test_names.o: ALL_CPPFLAGS += -Iserver
$(B)/tests/test_names: $(B)/obj/tests/unit/test_names.o \
		$(B)/obj/server/names.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) \
		$(SODIUM_LIBS)

# The record printers: text and JSON carry the same fields.
$(B)/obj/tests/unit/test_record.o: ALL_CPPFLAGS += -Iserver
$(B)/tests/test_record: $(B)/obj/tests/unit/test_record.o \
		$(B)/obj/server/record.o $(B)/obj/server/names.o $(TEXT_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) \
		$(SODIUM_LIBS)

# The vault: values kept, sealed only to ward-egress, bound to their name.
$(B)/obj/tests/unit/test_vault.o: ALL_CPPFLAGS += -Iserver -Icommon -D_GNU_SOURCE
$(B)/tests/test_vault: $(B)/obj/tests/unit/test_vault.o \
		$(B)/obj/server/vault.o $(B)/obj/server/home.o \
		$(B)/obj/common/priv.o $(TEXT_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) \
		$(SODIUM_LIBS) -lseccomp

-include $(SRV_ALL_OBJS:.o=.d)
