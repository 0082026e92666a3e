# gateway/gateway.mk -- ward-gateway, the MCP gateway that 'ward mcp'
# becomes once it has signed the profile's capabilities (gateway/README.md,
# cli/cmd_mcp.c): a program of its own that holds no key; the test
# suite's npm packages and the benchmark.  Nothing here is part of the
# verified core.

# The profile and pin store ward mcp and ward-gateway share, and the
# handoff between them (common/).
GW_SHARED := $(B)/obj/common/gw_profile.o $(B)/obj/common/gw_pins.o \
	$(B)/obj/common/profile.o \
	$(B)/obj/common/handoff.o
GW_OBJS := $(B)/obj/gateway/gateway.o $(B)/obj/gateway/upstream.o $(B)/obj/gateway/catalog.o $(B)/obj/gateway/http.o \
	$(B)/obj/gateway/egress_gw.o $(B)/obj/gateway/launcher.o $(GW_SHARED) \
	$(B)/obj/common/grant.o $(B)/obj/common/corec.o $(B)/obj/common/outq.o \
	$(B)/obj/common/fdio.o \
	$(B)/obj/common/mcp.o

WARD_CLI_OBJS += $(GW_SHARED)
WARD_LDLIBS += -ljansson
PART_ALL += $(B)/ward-gateway $(B)/ward-mcp-remote
PART_BENCH += tests/gateway/bench.sh

# The gateway includes what it trusts, never the CLI's headers.
$(B)/obj/gateway/%.o: ALL_CPPFLAGS += -I$(B)/gen -Igateway -Icommon -Iserver -Isandbox -D_GNU_SOURCE
$(B)/obj/gateway/%.o: ALL_CFLAGS += -Wno-format-truncation
$(GW_OBJS): | $(B)/gen/ward/v1/ward.pb-c.h

# server/server.mk and sandbox/sandbox.mk are read after this file: their
# variables are used in the recipe only.
$(B)/ward-gateway: $(GW_OBJS) $(LIB) | $(B)/libwardsandbox.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(GW_OBJS) $(SRV_COMMON) \
		$(SANDBOX_LIB) $(LIB) -ljansson $(SANDBOX_LIBS) $(SRV_LIBS) \
		$(SODIUM_LIBS)

# ward-mcp-remote: a remote server's bridge, run in its sandbox (remote.c):
# libc, pthreads and jansson only.
$(B)/ward-mcp-remote: $(B)/obj/gateway/remote.o
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -ljansson -lpthread

# The test suite's packages, from the committed lockfile.
tests/gateway/node_modules/.package-lock.json: tests/gateway/package-lock.json
	cd tests/gateway && npm ci --no-audit --no-fund

.PHONY: gateway-npm
gateway-npm: tests/gateway/node_modules/.package-lock.json

-include $(GW_OBJS:.o=.d) $(B)/obj/gateway/remote.d

# The attacker inside the gateway (tests/suites/gateway-attacker): a
# shared object loaded into the real ward-gateway with LD_PRELOAD.
$(B)/attack/ingateway.so: tests/attack/ingateway.c tests/attack/attack.h gateway/launcher.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O1 -fPIC -shared -Igateway \
		-o $@ $< -lpthread
PART_ALL += $(B)/attack/ingateway.so

# A test's clock for ward-gateway (tests/gateway/clock.c): CLOCK_MONOTONIC
# moved on by what a file says, loaded with LD_PRELOAD by
# tests/gateway/suite.mjs.
$(B)/tests/gwclock.so: tests/gateway/clock.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O1 -fPIC -shared -o $@ $< -ldl
PART_ALL += $(B)/tests/gwclock.so
