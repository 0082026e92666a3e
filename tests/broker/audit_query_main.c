/*
 * audit_query_main.c -- runs ward_audit_query() (broker/cmd_run.c), the
 * 'ward audit --session/--filter/--json/--follow' query, as its own
 * program, so that the suite tests it before cmd_audit dispatches to it.
 */
int ward_audit_query(int argc, char **argv);

int
main(int argc, char **argv)
{
	/* argv[1] is "audit", as argv[0] is when ward dispatches. */
	return argc < 2 ? 2 : ward_audit_query(argc - 1, argv + 1);
}
