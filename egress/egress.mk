# egress/egress.mk -- ward-egress (hostile by assumption: no signing key,
# its own account, confined), the proxy every agent sandbox reaches at
# 127.0.0.1:3128, and its unit test.  ward-broker forks it (broker/
# egress_link.c); docs/egress.md says what it does.

EGRESS_OBJS := $(B)/obj/egress/egress.o $(B)/obj/egress/eg_parse.o \
	$(B)/obj/common/fdio.o $(B)/obj/common/priv.o $(TEXT_OBJ)

PART_ALL += $(B)/ward-egress $(B)/tests/test_egress
# make bench: connection set-up and bulk throughput through the proxy,
# beside the direct figures of the same run.
PART_BENCH += tests/egress/bench.py

$(B)/obj/egress/%.o: ALL_CPPFLAGS += -Iegress -Icommon -D_GNU_SOURCE

# OpenSSL 3 (libssl-dev): TLS upstream for plain-HTTP requests to port 443.
EGRESS_SSL_LIBS := $(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto)

$(B)/ward-egress: $(EGRESS_OBJS) $(LIB)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(EGRESS_OBJS) $(LIB) -lseccomp \
		$(EGRESS_SSL_LIBS) $(SODIUM_LIBS) -pthread

# The unit test of the pure parts: classifier, parsers, verifier, and the
# secrets' placeholder scan, substitution, sealed-value check and scrubber.
$(B)/obj/tests/unit/test_egress.o: ALL_CPPFLAGS += -Iegress -D_GNU_SOURCE
$(B)/tests/test_egress: $(B)/obj/tests/unit/test_egress.o \
		$(B)/obj/egress/eg_parse.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(SODIUM_LIBS)

# ward-broker links the sandbox library, which broker.mk orders only
# (it is defined later): relink the broker when the library changes.
$(B)/ward-broker: $(B)/libwardsandbox.a

-include $(EGRESS_OBJS:.o=.d)
