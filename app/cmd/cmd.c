/* cmd.c: what every portalctl command frame shares (cmd.h). */
#include <string.h>

#include "cmd/cmd.h"

int
cmd_help_asked(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}
