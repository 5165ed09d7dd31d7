/* cmd_run.c - placeholder until the command is written. */
#include "cli.h"

int ks_cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ks_cli_error("'run' is not implemented yet");
	return KS_EXIT_ERROR;
}
