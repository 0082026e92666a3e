# cli/cli.mk -- build/ward, the operator's CLI: every command, and the only
# code of the tree that reads the operator's key (init, run, revoke, stop,
# clean, status, audit, policy, sandbox).  Nothing here is part of the
# verified core; what it signs, ward-core checks.
#
# Objects of other folders that the CLI links are listed by their own
# fragment (WARD_CLI_OBJS); the commands themselves are here.

CLI_OBJS := $(B)/obj/cli/ward.o $(B)/obj/cli/cli.o \
	$(B)/obj/cli/cmd_init.o $(B)/obj/cli/cmd_audit.o \
	$(B)/obj/cli/cmd_run.o $(B)/obj/cli/cmd_home.o \
	$(B)/obj/cli/cmd_sandbox.o $(B)/obj/cli/cmd_mcp.o \
	$(B)/obj/cli/cmd_revoke.o $(B)/obj/cli/cmd_policy.o \
	$(B)/obj/cli/cmd_secret.o $(B)/obj/cli/cmd_pending.o

# The CLI may include the headers of every folder it trusts: the core, the
# shared code, the ward-core process's protocol, the sandbox.  Never the
# broker's or the gateway's (tests/suites/layout).
$(B)/obj/cli/%.o: ALL_CPPFLAGS += -Icli -Icommon -Iserver -Isandbox \
	-I$(B)/gen -D_GNU_SOURCE
$(B)/obj/cli/%.o: ALL_CFLAGS += -Wno-format-truncation
$(B)/obj/cli/ward.o: ALL_CPPFLAGS += -DWARD_RELEASE='"$(WARD_RELEASE)"'
$(CLI_OBJS): | $(B)/gen/ward/v1/ward.pb-c.h

# A new release rebuilds ward.o.
$(B)/release: FORCE
	@mkdir -p $(@D)
	@echo '$(WARD_RELEASE)' | cmp -s - $@ || echo '$(WARD_RELEASE)' >$@
$(B)/obj/cli/ward.o: $(B)/release

# The rule for build/ward is in GNUmakefile, after every fragment has
# added its objects to WARD_CLI_OBJS.

-include $(CLI_OBJS:.o=.d)
