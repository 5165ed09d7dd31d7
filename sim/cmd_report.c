/* cmd_report.c - placeholder until the command is written. */
#include "cli.h"

int ks_cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ks_cli_error("'report' is not implemented yet");
	return KS_EXIT_ERROR;
}
