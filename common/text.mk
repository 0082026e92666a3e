# common/text.mk -- common/text.c, the one way to print untrusted text
# (text.h), which every ward program that prints links.  Not part of the
# verified core.
#
# TEXT_OBJ goes into SRV_COMMON (server/server.mk), which every program
# that prints links: build/ward, ward-core, ward-broker (and its spawner),
# the gateway (in build/ward) and the hostile-broker tools.

TEXT_OBJ := $(B)/obj/common/text.o

# The escaper's unit test needs text.o beside the core library.
$(B)/tests/test_text: $(B)/obj/tests/unit/test_text.o $(TEXT_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) \
		$(SODIUM_LIBS)

-include $(TEXT_OBJ:.o=.d)
