# common/priv.mk -- privilege separation shared by ward-core, ward-broker
# and the CLI (common/priv.c).  Trusted: ward-core links it.
PRIV_OBJ := $(B)/obj/common/priv.o
$(B)/obj/common/priv.o: ALL_CPPFLAGS += -D_GNU_SOURCE
-include $(B)/obj/common/priv.d
