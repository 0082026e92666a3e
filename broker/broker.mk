# broker/broker.mk -- ward-broker (hostile by assumption: no key, its own
# account, confined on every thread) and ward-call (the relay inside each
# sandbox), the broker's integration suite and its benchmark.  The
# spawner that ward-broker forks before it drops root is in sandbox/; the
# commands that drive the broker (ward run, revoke, stop) are in cli/.

BROKER_LIBS := -ljansson -lseccomp
BROKER_COMMON := $(B)/obj/common/grant.o $(B)/obj/common/corec.o \
	$(B)/obj/common/profile.o $(B)/obj/broker/tools.o $(B)/obj/broker/commit.o $(B)/obj/common/outq.o \
	$(B)/obj/common/mcp.o $(B)/obj/common/fdio.o
BROKER_OBJS := $(B)/obj/broker/broker.o $(B)/obj/sandbox/spawner.o \
	$(B)/obj/broker/egress_link.o \
	$(BROKER_COMMON)
# What build/ward links of this fragment's list (never a file of broker/
# but the profile parser, until it is shared).
BROKER_CLI_OBJS := $(B)/obj/common/grant.o $(B)/obj/common/corec.o \
	$(B)/obj/common/outq.o $(B)/obj/common/profile.o $(B)/obj/common/fdio.o \
	$(B)/obj/common/mcp.o
BROKER_TEST_BINS := $(B)/tests/broker-core-api \
	$(B)/bench/broker_bench

PART_ALL += $(B)/ward-broker $(B)/ward-call $(BROKER_TEST_BINS)
WARD_CLI_OBJS += $(BROKER_CLI_OBJS)
WARD_LDLIBS += -ljansson
PART_BENCH += tests/broker/bench.sh tests/broker/commit_bench.py

# The broker includes what it trusts, never the CLI's headers.
$(B)/obj/broker/%.o: ALL_CPPFLAGS += -I$(B)/gen -Ibroker -Icommon -Iserver -Isandbox -D_GNU_SOURCE
$(B)/obj/broker/%.o: ALL_CFLAGS += -Wno-format-truncation
$(B)/obj/tests/broker/%.o: ALL_CPPFLAGS += -I$(B)/gen -Icommon -Iserver -Isandbox -Ibroker -D_GNU_SOURCE
$(BROKER_OBJS) $(B)/obj/tests/broker/core_api.o \
	$(B)/obj/tests/broker/bench.o: | $(B)/gen/ward/v1/ward.pb-c.h

$(B)/ward-broker: $(BROKER_OBJS) $(LIB) | $(B)/ward $(B)/libwardsandbox.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(BROKER_OBJS) $(SRV_COMMON) \
		$(SANDBOX_LIB) $(LIB) $(BROKER_LIBS) $(SRV_LIBS) $(SODIUM_LIBS)

# ward-call runs inside the sandbox: no shared library beyond libc
# (jansson is linked statically, so that the sandbox's view of /usr/lib
# does not matter); the MCP framing is common/mcp.c's.
$(B)/ward-call: $(B)/obj/broker/ward_call.o $(B)/obj/broker/ward_call_llm.o \
		$(B)/obj/common/outq.o \
		$(B)/obj/common/mcp.o $(B)/obj/common/text.o
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ -Wl,-Bstatic -ljansson -Wl,-Bdynamic

# server/server.mk is read after this file: its variables are used in
# recipes only (expanded late), and its objects are ordered by $(B)/ward.
$(B)/tests/broker-core-api: $(B)/obj/tests/broker/core_api.o $(BROKER_COMMON) \
		$(LIB) | $(B)/ward $(B)/libwardsandbox.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(SRV_COMMON) \
		$(SANDBOX_LIB) $(LIB) -ljansson -lseccomp $(SRV_LIBS) $(SODIUM_LIBS)

$(B)/bench/broker_bench: $(B)/obj/tests/broker/bench.o $(BROKER_COMMON) \
		$(LIB) | $(B)/ward $(B)/libwardsandbox.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(SRV_COMMON) \
		$(SANDBOX_LIB) $(LIB) -ljansson -lseccomp $(SRV_LIBS) $(SODIUM_LIBS)

-include $(BROKER_OBJS:.o=.d) $(B)/obj/broker/ward_call.d \
	$(B)/obj/tests/broker/core_api.d $(B)/obj/tests/broker/bench.d

# The attacker inside the broker (tests/suites/broker-attacker): a shared
# object loaded into the real ward-broker with LD_PRELOAD.
$(B)/attack/inbroker.so: tests/attack/inbroker.c tests/attack/attack.h common/wb.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O1 -fPIC -shared -Icommon -Icore \
		-o $@ $< -lpthread
PART_ALL += $(B)/attack/inbroker.so

# commit.c's unit test: the changes, their order, what is refused.
PART_ALL += $(B)/tests/test_commit
$(B)/obj/tests/unit/test_commit.o: ALL_CPPFLAGS += -Ibroker -Icommon -D_GNU_SOURCE
$(B)/tests/test_commit: $(B)/obj/tests/unit/test_commit.o $(B)/obj/broker/commit.o \
		$(B)/obj/broker/tools.o $(B)/obj/common/outq.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) -ljansson $(SODIUM_LIBS)
