/* cmd.h: the exit statuses every portalctl command shares (portalctl(8),
 * EXIT STATUS). */
#ifndef PORTAL_CMD_H
#define PORTAL_CMD_H

enum cmd_exit {
	CMD_OK = 0,        /* done */
	CMD_FAIL = 1,      /* a runtime error, said on stderr */
	CMD_USAGE = 2,     /* a bad command line: unknown command or option,
	                      a missing value or required option */
	CMD_INCOMPLETE = 3 /* done, but something is left for later: pending
	                      migrations, open attempts, unknown charges,
	                      mail waiting for a retry */
};

/* 1 when one of argv[0..argc) is -h or --help: the command's usage is
 * wanted (printed on stdout, exit CMD_OK), whatever else was given. */
int cmd_help_asked(int argc, char **argv);

#endif
