/* pdf_sample.c: writes a sample billing document as PDF for tests/pdf/pdf.sh:
 * pdf_sample invoice|invoice-paid|statement N|superbill N|receipt OUT.pdf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samples.h"

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: pdf_sample invoice|invoice-paid|receipt OUT\n"
	                "       pdf_sample statement|superbill N OUT\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sample s;
	const char *kind, *out;
	char err[128];
	int64_t n = 0;
	int rc;

	if (argc < 3)
		usage();
	kind = argv[1];
	if (strcmp(kind, "statement") == 0 || strcmp(kind, "superbill") == 0) {
		if (argc != 4 || util_strtonum(argv[2], strlen(argv[2]), 0,
		                     100000, &n, err, sizeof(err)) != PS_OK)
			usage();
		out = argv[3];
	} else {
		if (argc != 3)
			usage();
		out = argv[2];
	}
	if (strcmp(kind, "invoice") == 0)
		rc = sample_invoice(&s, 0);
	else if (strcmp(kind, "invoice-paid") == 0)
		rc = sample_invoice(&s, 1);
	else if (strcmp(kind, "statement") == 0)
		rc = sample_statement(&s, (size_t)n);
	else if (strcmp(kind, "superbill") == 0)
		rc = sample_superbill(&s, (size_t)n);
	else if (strcmp(kind, "receipt") == 0)
		rc = sample_receipt(&s);
	else
		usage();
	if (rc != 0) {
		fprintf(stderr, "pdf_sample: out of memory\n");
		return 1;
	}
	rc = sample_write(&s, out);
	sample_free(&s);
	return rc == 0 ? 0 : 1;
}
