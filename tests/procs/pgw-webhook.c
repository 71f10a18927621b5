/* pgw-webhook.c: test driver that runs one webhook through a gateway plugin
 * with the portal's own loader and host, for the SDK signature cross-checks
 * (tests/procs/sdk-signatures.mjs).
 *
 * pgw-webhook --plugin /abs/plugin.so [--config key=value]...
 *     --headers FILE --body FILE
 *
 * FILE of headers: one "Name: value" a line. The body file is passed byte
 * for byte. Prints one line: "SUCCEEDED id=... type=N type_name=...
 * ref=... amount=N" when the plugin verified and parsed it, else
 * "ERROR code=... err=...". Exits 0 when verified, 1 when refused, 2 on a
 * usage or load problem.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/gw.h"

#define MAX_CONF    32
#define MAX_HEADERS 32

/* Reads all of path into a heap buffer (*len bytes, NUL after); NULL on
 * failure. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f;
	char *p = NULL;
	size_t cap = 0, n = 0, r;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *np;

			cap = cap ? cap * 2 : 8192;
			if ((np = realloc(p, cap)) == NULL) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = np;
		}
		r = fread(p + n, 1, 4096, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	p[n] = '\0';
	*len = n;
	return p;
}

int
main(int argc, char **argv)
{
	struct gw_conf_item conf[MAX_CONF];
	struct pgw_http_header h[MAX_HEADERS];
	struct gw_module *m = NULL;
	struct gw_instance *inst = NULL;
	struct pgw_webhook_req r;
	struct pgw_event ev;
	struct pgw_result res;
	const char *plugin = NULL, *hfile = NULL, *bfile = NULL;
	char dir[PATH_MAX], err[2048], *hdrs = NULL, *body = NULL, *line;
	size_t nconf = 0, nh = 0, hlen = 0, blen = 0;
	enum pgw_status st;
	int i, rc = 2;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--plugin") == 0)
			plugin = argv[i + 1];
		else if (strcmp(argv[i], "--headers") == 0)
			hfile = argv[i + 1];
		else if (strcmp(argv[i], "--body") == 0)
			bfile = argv[i + 1];
		else if (strcmp(argv[i], "--config") == 0 && nconf < MAX_CONF) {
			char *eq = strchr(argv[i + 1], '=');

			if (eq == NULL)
				goto usage;
			*eq = '\0';
			conf[nconf].key = argv[i + 1];
			conf[nconf].value = eq + 1;
			conf[nconf].file = "command line";
			conf[nconf].line = (unsigned)nconf + 1;
			conf[nconf].col = 1;
			nconf++;
		} else
			goto usage;
	}
	if (i != argc || plugin == NULL || hfile == NULL || bfile == NULL)
		goto usage;
	if ((hdrs = slurp(hfile, &hlen)) == NULL ||
	    (body = slurp(bfile, &blen)) == NULL) {
		fprintf(stderr, "pgw-webhook: cannot read %s or %s: %s\n",
		    hfile, bfile, strerror(errno));
		goto out;
	}
	for (line = strtok(hdrs, "\r\n"); line != NULL && nh < MAX_HEADERS;
	     line = strtok(NULL, "\r\n")) {
		char *colon = strchr(line, ':');

		if (colon == NULL)
			continue;
		*colon = '\0';
		h[nh].name = line;
		h[nh].value = colon + 1 + strspn(colon + 1, " ");
		nh++;
	}
	snprintf(dir, sizeof(dir), "%s", plugin);
	if (gw_module_open(dirname(dir), plugin, &m, err, sizeof(err)) !=
	        PS_OK ||
	    gw_instance_new(m, "sdk-check", conf, nconf, &inst, err,
	        sizeof(err)) != PS_OK) {
		fprintf(stderr, "pgw-webhook: %s\n", err);
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.body = body;
	r.body_len = blen;
	r.headers = h;
	r.nheaders = nh;
	err[0] = '\0';
	st = gw_webhook(inst, &r, &ev, &res, err, sizeof(err));
	if (st == PGW_SUCCEEDED) {
		printf(
		    "SUCCEEDED id=%s type=%d type_name=%s ref=%s amount=%lld "
		    "status=%d\n",
		    ev.id, (int)ev.type, ev.type_name, ev.payment_ref,
		    (long long)ev.amount, (int)ev.status);
		rc = 0;
	} else {
		printf("%s code=%s err=%s\n", gw_status_str(st),
		    res.code[0] ? res.code : "-", err);
		rc = 1;
	}
out:
	gw_instance_free(inst);
	free(hdrs);
	free(body);
	return rc;
usage:
	fprintf(stderr, "usage: pgw-webhook --plugin /abs/plugin.so "
	                "[--config key=value]... --headers FILE --body FILE\n");
	return 2;
}
