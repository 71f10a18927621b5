/* statement_bench.c: time to load a statement from MariaDB (app/docs) and
 * render it as a PDF, the way GET /billing/documents/N/pdf does. A
 * benchmark, not a test: it prints timings and asserts nothing about them.
 *
 *   statement_bench CONFIG PRACTICE EMAIL NUMBER [RUNS]
 *
 * tests/bench/statement_bench.sh makes the data (a client whose statement
 * runs to ten pages) in a private stack and runs this. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "db/db.h"
#include "db/db_billing.h"
#include "docs/docs.h"
#include "pdf/pdf.h"

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-8s median %7.2f ms  p95 %7.2f ms  min %7.2f ms\n", what,
	    v[n / 2], v[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1], v[0]);
}

int
main(int argc, char **argv)
{
	struct portal_conf *conf = NULL;
	struct conf_diag diag;
	struct db_params p;
	struct db *db = NULL;
	struct docs_who w;
	struct arena *a = NULL;
	struct buf out = {NULL, 0, 0};
	struct pdf_doc doc;
	struct timespec t0;
	double *tl = NULL, *tr = NULL, *tt = NULL;
	char err[512] = "", *pw = NULL;
	size_t pwn = 0;
	int runs = 30, i, pages, rc = 1;
	enum pstatus st = PS_OK;

	if (argc < 5) {
		fprintf(stderr, "usage: statement_bench CONFIG PRACTICE EMAIL "
		                "NUMBER [RUNS]\n");
		return 2;
	}
	if (argc > 5)
		runs = atoi(argv[5]) > 0 ? atoi(argv[5]) : runs;
	conf_diag_init(&diag);
	if (conf_load(argv[1], &conf, &diag) != PS_OK) {
		conf_diag_print(&diag, stderr);
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.socket = conf->database.socket;
	p.host = conf->database.host;
	p.port = (unsigned int)conf->database.port;
	p.user = conf->database.user;
	p.name = conf->database.name;
	if ((conf->database.password.path || conf->database.password.env) &&
	    conf_secret_read(
	        &conf->database.password, &pw, &pwn, err, sizeof(err)) == PS_OK)
		p.password = pw;
	if (db_global_init() != PS_OK ||
	    db_open(&p, &db, err, sizeof(err)) != PS_OK) {
		fprintf(stderr, "statement_bench: %s\n", err);
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.db = db;
	w.practice = conf_practice(conf, argv[2]);
	w.client_view = 1;
	w.now = (int64_t)time(NULL);
	if (w.practice == NULL ||
	    db_practice_id(db, argv[2], &w.practice_id) != PS_OK ||
	    dbb_client_by_email(db, w.practice_id, argv[3], &w.client_id) !=
	        PS_OK) {
		fprintf(stderr, "statement_bench: no client %s in %s\n",
		    argv[3], argv[2]);
		goto out;
	}
	if (pdf_global_init(err, sizeof(err)) != PS_OK ||
	    (a = arena_new()) == NULL) {
		fprintf(stderr, "statement_bench: %s\n", err);
		goto out;
	}
	tl = calloc((size_t)runs, sizeof(double));
	tr = calloc((size_t)runs, sizeof(double));
	tt = calloc((size_t)runs, sizeof(double));
	if (tl == NULL || tr == NULL || tt == NULL)
		goto out;
	err[0] = '\0';
	if ((st = docs_load(&w, argv[4], a, &doc, err, sizeof(err))) != PS_OK ||
	    (pages = pdf_page_count(&doc, err, sizeof(err))) < 0) {
		fprintf(stderr, "statement_bench: %s: %s %s\n", argv[4],
		    pstatus_str(st), err);
		goto out;
	}
	printf("statement %s: %zu entries, %d pages, %d runs\n", argv[4],
	    doc.nitems, pages, runs);
	for (i = 0; i < runs; i++) {
		arena_reset(a);
		out.n = 0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (docs_load(&w, argv[4], a, &doc, err, sizeof(err)) != PS_OK)
			goto out;
		tl[i] = ms_since(&t0);
		if (pdf_render(&doc, &out, err, sizeof(err)) != PS_OK)
			goto out;
		tt[i] = ms_since(&t0);
		tr[i] = tt[i] - tl[i];
	}
	printf("PDF of %zu bytes\n", out.n);
	report("database", tl, runs);
	report("render", tr, runs);
	report("total", tt, runs);
	rc = 0;
out:
	if (rc != 0 && err[0] != '\0')
		fprintf(stderr, "statement_bench: %s\n", err);
	free(tl);
	free(tr);
	free(tt);
	buf_free(&out);
	arena_free(a);
	db_close(db);
	conf_secret_free(pw, pwn);
	conf_diag_free(&diag);
	conf_free(conf);
	return rc;
}
