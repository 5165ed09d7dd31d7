/* cmd_trace.c - placeholder until the command is written. */
#include "cli.h"

int ks_cmd_trace(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ks_cli_error("'trace' is not implemented yet");
	return KS_EXIT_ERROR;
}
