/* portalctl_mail.h: the `portalctl mail ...` commands (send the due
 * messages of the outbox, show what is queued and what failed, retry),
 * dispatched from portalctl.c. */
#ifndef PORTAL_PORTALCTL_MAIL_H
#define PORTAL_PORTALCTL_MAIL_H

#include <stdio.h>

/* Runs `portalctl [-c conf_path] mail SUBCOMMAND [OPTIONS]`: argv[0] is
 * the subcommand, argv[1..argc) its options. Initialises and releases the
 * MariaDB client library itself. Returns the exit status: 0 done (send:
 * nothing failed for good), 1 error (the reason on stderr), 2 (send) some
 * messages failed for good or wait for a retry. */
int portalctl_mail(const char *conf_path, int argc, char **argv);

/* Writes the mail lines of portalctl's usage text to f. */
void portalctl_mail_usage(FILE *f);

#endif
