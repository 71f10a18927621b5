### app/pdf: PDF rendering of billing documents (cairo + pango)
libportal_a_SOURCES += app/pdf/pdf.h app/pdf/pdf.c
libportal_a_CFLAGS += $(PANGOCAIRO_CFLAGS)
PORTAL_LIBS += $(PANGOCAIRO_LIBS)

### Unit suite (Check) and the pdftotext/pdfinfo checks of rendered documents.
check_PROGRAMS += tests/unit/check_pdf tests/pdf/pdf_sample
tests_unit_check_pdf_SOURCES = tests/unit/check_pdf.c tests/pdf/samples.c \
	tests/pdf/samples.h
tests_unit_check_pdf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_pdf_LDADD = $(UNIT_LDADD)
tests_pdf_pdf_sample_SOURCES = tests/pdf/pdf_sample.c tests/pdf/samples.c \
	tests/pdf/samples.h
tests_pdf_pdf_sample_CFLAGS = $(AM_CFLAGS)
tests_pdf_pdf_sample_LDADD = $(PORTAL_LIBS)
TESTS += tests/unit/check_pdf tests/pdf/pdf.sh
EXTRA_DIST += tests/pdf/pdf.sh

### make bench-pdf: time to render a 10-page statement (a benchmark, not a test).
noinst_PROGRAMS += tests/bench/pdf_bench
tests_bench_pdf_bench_SOURCES = tests/bench/pdf_bench.c tests/pdf/samples.c \
	tests/pdf/samples.h
tests_bench_pdf_bench_CFLAGS = $(AM_CFLAGS)
tests_bench_pdf_bench_LDADD = $(PORTAL_LIBS)
bench-pdf: tests/bench/pdf_bench
	./tests/bench/pdf_bench 50
.PHONY: bench-pdf
