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

#endif
