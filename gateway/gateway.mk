# gateway/gateway.mk -- ward mcp, the MCP gateway (gateway/README.md):
# its objects in the ward CLI, the test suite's npm packages and the
# benchmark.  Nothing here is part of the verified core.

GW_OBJS := $(B)/obj/gateway/gateway.o $(B)/obj/gateway/gw_profile.o \
	$(B)/obj/gateway/gw_pins.o

WARD_CLI_OBJS += $(GW_OBJS)
WARD_LDLIBS += -ljansson
PART_BENCH += tests/gateway/bench.sh

$(B)/obj/gateway/%.o: ALL_CPPFLAGS += -I$(B)/gen -Igateway -Icommon -Iserver -Isandbox -Ibroker -Icli -D_GNU_SOURCE
$(B)/obj/gateway/%.o: ALL_CFLAGS += -Wno-format-truncation
$(GW_OBJS): | $(B)/gen/ward/v1/ward.pb-c.h

# The test suite's packages, from the committed lockfile.
tests/gateway/node_modules/.package-lock.json: tests/gateway/package-lock.json
	cd tests/gateway && npm ci --no-audit --no-fund

.PHONY: gateway-npm
gateway-npm: tests/gateway/node_modules/.package-lock.json

-include $(GW_OBJS:.o=.d)
