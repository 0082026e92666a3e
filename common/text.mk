# common/text.mk -- common/text.c, the one way to print untrusted text
# (text.h), which every ward program that prints links.  Not part of the
# verified core.
#
# TEXT_OBJ goes into SRV_COMMON (core/srv/srv.mk), which every program
# that prints links: build/ward, ward-core, ward-broker (and its spawner),
# the gateway (in build/ward) and the hostile-broker tools.

TEXT_OBJ := $(B)/obj/common/text.o

# Every part that includes text.h finds it.
$(B)/obj/broker/%.o $(B)/obj/gateway/%.o $(B)/obj/core/srv/%.o \
	$(B)/obj/common/%.o $(B)/obj/tests/unit/test_text.o: \
	ALL_CPPFLAGS += -Icommon

# The escaper's unit test needs text.o beside the core library.
$(B)/tests/test_text: $(B)/obj/tests/unit/test_text.o $(TEXT_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) \
		$(SODIUM_LIBS)

-include $(TEXT_OBJ:.o=.d)
