# common/mcp.mk -- the one MCP front (common/mcp.h): ward-broker's agent
# socket, `ward mcp` and ward-call link it.  Not part of the verified core.

MCP_OBJ := $(B)/obj/common/mcp.o
FDIO_OBJ := $(B)/obj/common/fdio.o
$(B)/obj/common/mcp.o: ALL_CPPFLAGS += -DWARD_RELEASE='"$(WARD_RELEASE)"'
$(B)/obj/common/mcp.o: $(B)/release
$(B)/obj/common/fdio.o: ALL_CPPFLAGS += -D_GNU_SOURCE

$(B)/obj/tests/unit/test_mcp.o: ALL_CPPFLAGS += -D_GNU_SOURCE -DWARD_RELEASE='"$(WARD_RELEASE)"'
$(B)/obj/tests/unit/test_mcp.o: $(B)/release
$(B)/tests/test_mcp: $(B)/obj/tests/unit/test_mcp.o $(MCP_OBJ) \
		$(B)/obj/common/outq.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) \
		-ljansson $(SODIUM_LIBS)

-include $(MCP_OBJ:.o=.d) $(FDIO_OBJ:.o=.d)
