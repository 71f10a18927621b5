/* fuzz_template.c: libFuzzer harness for the template compiler and
 * renderer: any text either loads or is refused with a "file:line:" error;
 * a loaded template renders (or fails cleanly) without memory errors, and
 * markup characters in the data never appear unescaped in the output. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "http/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns 1 if p[0..n) holds a byte of set. */
static int
strpbrk_n(const char *p, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != '\0' && strchr(set, p[i]) != NULL)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl_set *set;
	struct tmpl_val *d, *l, *o;
	struct arena *a;
	struct buf out = {0};
	enum pstatus st;
	char err[256];

	if ((set = tmpl_set_new()) == NULL)
		return 0;
	if ((a = arena_new()) == NULL) {
		tmpl_free(set);
		return 0;
	}
	err[0] = '\0';
	st = tmpl_add(set, "side", "<{{#a}}{{b}}{{/a}}>", 19, err, sizeof(err));
	FUZZ_CHECK(st == PS_OK);
	st = tmpl_add(set, "t", (const char *)data, size, err, sizeof(err));
	FUZZ_CHECK(st == PS_OK || st == PS_INVALID);
	if (st == PS_INVALID)
		FUZZ_CHECK(strncmp(err, "t.html", 6) == 0);
	if (st == PS_OK) {
		st = tmpl_check(set, err, sizeof(err));
		FUZZ_CHECK(st == PS_OK || st == PS_INVALID);
	}
	if (st == PS_OK) {
		d = tv_obj(a);
		tv_str(d, "a", "\xe2\x80\x94<x>");
		tv_str(d, "b", "Q\"'&<");
		tv_int(d, "n", 7);
		tv_bool(d, "t", 1);
		l = tv_list(d, "l");
		tv_push_str(l, "<i>");
		o = tv_push(l);
		tv_str(o, "b", "<s>");
		o = tv_child(d, "o");
		tv_obj_set(o, "self", d); /* a cycle: nesting must stop */
		st = tmpl_render(set, "t", d, &out, err, sizeof(err));
		FUZZ_CHECK(st == PS_OK || st == PS_INVALID || st == PS_TOOBIG);
		/* Values are escaped: when the template text has none of
		 * < > " ', the output has none either, whatever the data. */
		if (st == PS_OK && out.p != NULL &&
		    strpbrk_n((const char *)data, size, "<>\"'") == 0)
			FUZZ_CHECK(strpbrk(out.p, "<>\"'") == NULL);
	}
	buf_free(&out);
	arena_free(a);
	tmpl_free(set);
	return 0;
}
