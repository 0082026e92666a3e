# sandbox/sandbox.mk -- the sandbox library, 'ward sandbox', the escape
# battery's in-sandbox program and the spawn benchmark.

SANDBOX_LIB_SRCS := sandbox/sandbox.c sandbox/sb_seccomp.c sandbox/sb_landlock.c \
	sandbox/sb_cgroup.c sandbox/sb_probe.c
SANDBOX_LIB_OBJS := $(SANDBOX_LIB_SRCS:%.c=$(B)/obj/%.o) $(B)/obj/gen/sb_filter_baked.o
SANDBOX_LIB := $(B)/libwardsandbox.a
SANDBOX_LIBS := -lseccomp

# The sandbox library and the spawner: the core, the shared code, this
# folder.
$(B)/obj/sandbox/%.o: ALL_CPPFLAGS += -D_GNU_SOURCE -Isandbox -Icommon
$(B)/obj/tests/escape/%.o: ALL_CPPFLAGS += -D_GNU_SOURCE
$(B)/obj/tests/bench/sandbox_bench.o: ALL_CPPFLAGS += -D_GNU_SOURCE -Isandbox

# The seccomp filters, compiled by libseccomp at build time (gen_filter) and
# baked into the binary; 'ward sandbox --probe' checks them against a fresh
# compile.
$(B)/sandbox/gen_filter: $(B)/obj/sandbox/gen_filter.o $(B)/obj/sandbox/sb_seccomp.o
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(SANDBOX_LIBS)

$(B)/gen/sb_filter_baked.c: $(B)/sandbox/gen_filter
	@mkdir -p $(@D)
	$(B)/sandbox/gen_filter $@

$(B)/obj/gen/sb_filter_baked.o: $(B)/gen/sb_filter_baked.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(SANDBOX_LIB): $(SANDBOX_LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# The program that runs inside the sandbox and tries to get out.
$(B)/escape/escape_probe: $(B)/obj/tests/escape/escape_probe.o
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^

# The baked filters run through a BPF interpreter: foreign ABIs are
# killed, shown on hosts that lack those ABIs too.
$(B)/escape/filter_abi: $(B)/obj/tests/escape/filter_abi.o $(B)/obj/gen/sb_filter_baked.o
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^

$(B)/escape/escape_host: $(B)/obj/tests/escape/escape_host.o
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^

$(B)/bench/sandbox_bench: $(B)/obj/tests/bench/sandbox_bench.o $(SANDBOX_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(SANDBOX_LIB) $(SANDBOX_LIBS)

WARD_CLI_OBJS += $(SANDBOX_LIB_OBJS)
WARD_LDLIBS += $(SANDBOX_LIBS)
PART_ALL += $(SANDBOX_LIB) $(B)/escape/escape_probe $(B)/escape/escape_host \
	$(B)/escape/filter_abi \
	$(B)/bench/sandbox_bench
PART_BENCH += $(B)/bench/sandbox_bench

-include $(SANDBOX_LIB_OBJS:.o=.d) $(B)/obj/sandbox/spawner.d \
	$(B)/obj/tests/escape/escape_probe.d $(B)/obj/tests/escape/escape_host.d $(B)/obj/tests/escape/filter_abi.d \
	$(B)/obj/tests/bench/sandbox_bench.d
