# common/client.mk -- the client side of ward-core's protocol and the
# capability blocks as an issuer builds them (grant.c), shared by the CLI,
# ward-broker and the gateway.  Kept with the shared code so that the
# broker and the gateway need nothing from cli/ (tests/suites/layout).
# Not linked by ward-core; not part of the verified core.

$(B)/obj/common/%.o: ALL_CPPFLAGS += -Icommon -Iserver -Isandbox -I$(B)/gen -D_GNU_SOURCE
$(B)/obj/common/corec.o $(B)/obj/common/grant.o: | $(B)/gen/ward/v1/ward.pb-c.h

-include $(B)/obj/common/corec.d $(B)/obj/common/grant.d

# The handoff of capabilities across exec (handoff.c) and its unit test.
$(B)/obj/common/handoff.o: | $(B)/gen/ward/v1/ward.pb-c.h
$(B)/tests/test_handoff: $(B)/obj/tests/unit/test_handoff.o \
		$(B)/obj/common/handoff.o $(B)/obj/common/grant.o \
		$(B)/obj/common/outq.o $(B)/obj/common/text.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) \
		$(SODIUM_LIBS)
-include $(B)/obj/common/handoff.d

# Moved from gateway/, with its flags: truncation is checked where it
# matters (every snprintf's result), not by the compiler's guess.
$(B)/obj/common/gw_profile.o $(B)/obj/common/gw_pins.o \
	$(B)/obj/common/profile.o: ALL_CFLAGS += -Wno-format-truncation
-include $(B)/obj/common/gw_profile.d $(B)/obj/common/gw_pins.d \
	$(B)/obj/common/profile.d
