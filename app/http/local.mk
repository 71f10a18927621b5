### app/http: request parsing, router, declared parameters, responses and
### the template engine. Pure (no FastCGI calls, no SQL), so fuzzable.
libportal_a_SOURCES += app/http/http.h app/http/http.c \
	app/http/route.h app/http/route.c \
	app/http/response.h app/http/response.c \
	app/http/template.h app/http/template.c

check_PROGRAMS += tests/unit/check_http tests/unit/check_template
tests_unit_check_http_SOURCES = tests/unit/check_http.c
tests_unit_check_http_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_http_LDADD = $(UNIT_LDADD)
tests_unit_check_template_SOURCES = tests/unit/check_template.c
tests_unit_check_template_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_template_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/check_http tests/unit/check_template
