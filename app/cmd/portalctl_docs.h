/* portalctl_docs.h: the billing-document commands of portalctl
 * (statements, superbills, sharing, providers, client profiles, service
 * codes, demo documents), called by portalctl's dispatcher. */
#ifndef PORTAL_PORTALCTL_DOCS_H
#define PORTAL_PORTALCTL_DOCS_H

#include <stdio.h>

/* Runs the command in argv[0..argc) (argv[0] is the group, argv[1] the
 * subcommand, e.g. "statement" "create" ...) with configuration conf_path
 * when it is one of the document commands. Returns its exit status (0 or
 * 1), or -1 when the command is not one of them (nothing done, nothing
 * printed). The MariaDB client library must be initialised by the caller
 * or not at all (this initialises it when it runs a command). */
int portalctl_docs(const char *conf_path, int argc, char **argv);

/* Writes the usage lines of the document commands to f. */
void portalctl_docs_usage(FILE *f);

#endif
