/* pdf_bench.c: time to render a 10-page statement to PDF (a benchmark, not
 * a test: it prints timings and never judges them).
 * pdf_bench [N]: renders the statement N times (default 20). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../pdf/samples.h"

/* Items that make the sample statement run to ten pages. */
static size_t
items_for_pages(int want, char *err, size_t errsz)
{
	struct sample s;
	size_t n = 40;
	int pages;

	for (;;) {
		if (sample_statement(&s, n) != 0)
			return 0;
		pages = pdf_page_count(&s.doc, err, errsz);
		sample_free(&s);
		if (pages < 0)
			return 0;
		if (pages >= want)
			return n;
		n += 10;
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct sample s;
	struct buf b = {0};
	char err[256];
	int64_t n = 20;
	double t0, t, sum = 0, min = 0, first;
	size_t items;
	int i, pages, rc = 1;

	if (argc > 1 && util_strtonum(argv[1], strlen(argv[1]), 1, 100000, &n,
	                    err, sizeof(err)) != PS_OK) {
		fprintf(stderr, "usage: pdf_bench [N]\n");
		return 2;
	}
	t0 = now();
	if (pdf_global_init(err, sizeof(err)) != PS_OK) {
		fprintf(stderr, "pdf_bench: %s\n", err);
		return 1;
	}
	printf("pdf_global_init: %.1f ms\n", (now() - t0) * 1e3);
	if ((items = items_for_pages(10, err, sizeof(err))) == 0 ||
	    sample_statement(&s, items) != 0) {
		fprintf(stderr, "pdf_bench: %s\n", err);
		return 1;
	}
	pages = pdf_page_count(&s.doc, err, sizeof(err));
	t0 = now();
	if (pdf_render(&s.doc, &b, err, sizeof(err)) != PS_OK)
		goto out;
	first = now() - t0;
	for (i = 0; i < n; i++) {
		b.n = 0;
		t0 = now();
		if (pdf_render(&s.doc, &b, err, sizeof(err)) != PS_OK)
			goto out;
		t = now() - t0;
		sum += t;
		if (i == 0 || t < min)
			min = t;
	}
	printf(
	    "statement: %zu items, %d pages, %zu bytes\n", items, pages, b.n);
	printf("first render: %.1f ms\n", first * 1e3);
	printf("render x %d: mean %.1f ms, min %.1f ms per document "
	       "(%.1f ms per page)\n",
	    (int)n, sum / (double)n * 1e3, min * 1e3,
	    sum / (double)n * 1e3 / pages);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "pdf_bench: %s\n", err);
	buf_free(&b);
	sample_free(&s);
	return rc;
}
