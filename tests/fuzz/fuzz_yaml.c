/* fuzz_yaml.c: libFuzzer harness of the YAML tree loader and the binder:
 * the input is parsed as a practice file and bound with the practice table,
 * then its tree is bound again with a table of every conf_type. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct every {
	char *s, *path, *cur, *tz;
	int64_t i, dur, size;
	int b, e;
	mode_t mode;
	struct conf_secret_ref sec;
	struct {
		int64_t n;
		char *s;
	} sub;
	const struct conf_node *raw;
};

static const char *const words[] = {"debug", "info", "warn", "error", NULL};

#define EV(f) offsetof(struct every, f)
static const struct conf_key sub_keys[] = {
    {.name = "n",
        .type = CT_INT,
        .offset = EV(sub.n) - EV(sub),
        .def = "3",
        .min = 1,
        .max = 9},
    {.name = "s",
        .type = CT_STRING,
        .offset = EV(sub.s) - EV(sub),
        .required = 1,
        .validate = conf_valid_ein},
    {.name = NULL},
};
static const struct conf_key every_keys[] = {
    {.name = "name",
        .type = CT_STRING,
        .offset = EV(s),
        .validate = conf_valid_npi},
    {.name = "address", .type = CT_PATH, .offset = EV(path)},
    {.name = "currency", .type = CT_CURRENCY, .offset = EV(cur)},
    {.name = "timezone", .type = CT_TIMEZONE, .offset = EV(tz)},
    {.name = "phone", .type = CT_INT, .offset = EV(i), .min = -10, .max = 10},
    {.name = "email", .type = CT_DURATION, .offset = EV(dur), .def = "30m"},
    {.name = "npi", .type = CT_SIZE, .offset = EV(size), .def = "64k"},
    {.name = "online_payments", .type = CT_BOOL, .offset = EV(b)},
    {.name = "tax_id", .type = CT_ENUM, .offset = EV(e), .words = words},
    {.name = "mode", .type = CT_OCTAL_MODE, .offset = EV(mode)},
    {.name = "secret_key", .type = CT_SECRET_REF, .offset = EV(sec)},
    {.name = "gateway", .type = CT_MAP, .offset = EV(sub), .sub = sub_keys},
    {.name = "raw", .type = CT_NODE, .offset = EV(raw)},
    {.name = NULL},
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct practice_conf p;
	struct conf_diag d;
	struct every ev;
	FILE *devnull;
	enum pstatus rc;

	conf_diag_init(&d);
	rc = conf_practice_load_buf(
	    (const char *)data, size, "/fuzz/clinicians/fuzz.yaml", &p, &d);
	/* Invariants: PS_OK exactly when nothing was reported, and then the
	 * required keys are bound. */
	if (rc != PS_OK && rc != PS_INVALID && rc != PS_NOMEM)
		__builtin_trap();
	if ((rc == PS_OK) != (conf_diag_count(&d) == 0))
		__builtin_trap();
	if (rc == PS_OK && (p.tree == NULL || p.name == NULL ||
	                       p.currency == NULL || p.address.city == NULL))
		__builtin_trap();
	if (p.tree != NULL) {
		memset(&ev, 0, sizeof(ev));
		(void)conf_bind(p.tree, every_keys, &ev, &d);
		conf_bind_free(every_keys, &ev);
		(void)conf_bind(p.gateway, sub_keys, &ev.sub, &d);
		conf_bind_free(sub_keys, &ev.sub);
	}
	if ((devnull = fopen("/dev/null", "w")) != NULL) {
		conf_diag_print(&d, devnull);
		fclose(devnull);
	}
	conf_practice_free(&p);
	conf_diag_free(&d);
	return 0;
}
