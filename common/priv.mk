# common/priv.mk -- privilege separation shared by ward-core, ward-broker
# and the CLI (common/priv.c).  Trusted: ward-core links it.
PRIV_OBJ := $(B)/obj/common/priv.o
# (flags for common/: common/client.mk)
-include $(B)/obj/common/priv.d
