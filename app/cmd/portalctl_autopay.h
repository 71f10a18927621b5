/* portalctl_autopay.h: the `portalctl autopay ...` commands (AutoPay
 * enrollment, the night run, its report), dispatched from portalctl.c. */
#ifndef PORTAL_PORTALCTL_AUTOPAY_H
#define PORTAL_PORTALCTL_AUTOPAY_H

/* Runs `portalctl [-c conf_path] autopay SUBCOMMAND [OPTIONS]`: argv[0] is
 * the subcommand, argv[1..argc) its options. Initialises and releases the
 * MariaDB client library itself. Returns the process exit status: 0 done,
 * 1 error or refusal (the reason on stderr), 2 (run) some charges were
 * left unknown for payments reconcile. */
int portalctl_autopay(const char *conf_path, int argc, char **argv);

#endif
