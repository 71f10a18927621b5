/* check_template.c: unit tests of the template engine (app/http/template.c):
 * escaping, values, sections, lists, inverted sections, partials, the
 * standalone-line rule, load errors with file:line, and threads. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/template.h"

static struct arena *A;
static char err[512];

static void
setup(void)
{
	A = arena_new();
	ck_assert_ptr_nonnull(A);
	err[0] = '\0';
}

static void
teardown(void)
{
	arena_free(A);
}

/* Builds a set from name/text pairs (NULL-terminated); asserts success. */
static struct tmpl_set *
set_of(const char *const *pairs)
{
	struct tmpl_set *set = tmpl_set_new();
	size_t i;

	ck_assert_ptr_nonnull(set);
	for (i = 0; pairs[i] != NULL; i += 2)
		ck_assert_msg(
		    tmpl_add(set, pairs[i], pairs[i + 1], strlen(pairs[i + 1]),
		        err, sizeof(err)) == PS_OK,
		    "%s", err);
	ck_assert_msg(tmpl_check(set, err, sizeof(err)) == PS_OK, "%s", err);
	return set;
}

/* Renders text with data and compares with want. */
static void
render_eq(const char *text, const struct tmpl_val *data, const char *want)
{
	const char *pairs[] = {"t", text, NULL};
	struct tmpl_set *set = set_of(pairs);
	struct buf b = {0};

	ck_assert_msg(
	    tmpl_render(set, "t", data, &b, err, sizeof(err)) == PS_OK, "%s",
	    err);
	ck_assert_str_eq(b.p != NULL ? b.p : "", want);
	buf_free(&b);
	tmpl_free(set);
}

/* Expects text to fail loading with an error containing want. */
static void
load_fails(const char *text, const char *want)
{
	struct tmpl_set *set = tmpl_set_new();
	enum pstatus st;

	err[0] = '\0';
	st = tmpl_add(set, "page", text, strlen(text), err, sizeof(err));
	if (st == PS_OK)
		st = tmpl_check(set, err, sizeof(err));
	ck_assert_msg(st == PS_INVALID, "accepted: %s", text);
	ck_assert_msg(
	    strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"", err, want);
	tmpl_free(set);
}

START_TEST(test_escape)
{
	struct tmpl_val *d = tv_obj(A);

	ck_assert_int_eq(
	    tv_str(d, "x", "<script>alert('x' & \"y\")</script>"), PS_OK);
	render_eq("<p>{{x}}</p>", d,
	    "<p>&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;"
	    "</p>");
	render_eq("<a title=\"{{ x }}\">", d,
	    "<a title=\"&lt;script&gt;alert(&#39;x&#39; &amp; "
	    "&quot;y&quot;)&lt;/script&gt;\">");
	/* Text outside tags is emitted as is. */
	render_eq("a & b < c", d, "a & b < c");
}
END_TEST

START_TEST(test_values)
{
	struct tmpl_val *d = tv_obj(A), *c;

	ck_assert_int_eq(tv_str(d, "name", "Ana"), PS_OK);
	ck_assert_int_eq(tv_int(d, "n", -42), PS_OK);
	ck_assert_int_eq(tv_bool(d, "yes", 1), PS_OK);
	ck_assert_int_eq(tv_money(d, "due", 12050, "USD"), PS_OK);
	ck_assert_int_eq(tv_strn(d, "part", "abcdef", 3), PS_OK);
	c = tv_child(d, "client");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(tv_str(c, "email", "a@b.c"), PS_OK);
	render_eq("{{name}} {{n}} {{yes}} {{due}} {{part}} {{client.email}} "
	          "[{{missing}}] [{{client.missing}}] [{{name.x}}]",
	    d, "Ana -42 true $120.50 abc a@b.c [] [] []");
	/* Replacing a key. */
	ck_assert_int_eq(tv_str(d, "name", "Bo"), PS_OK);
	render_eq("{{name}}", d, "Bo");
	/* Wrong targets. */
	ck_assert_int_eq(tv_str(NULL, "a", "b"), PS_INVALID);
	ck_assert_ptr_null(tv_push(d));
	ck_assert_int_eq(tv_obj_set(d, "x", NULL), PS_INVALID);
	ck_assert_ptr_null(tv_list(NULL, "x"));
	/* NULL data renders with all names missing. */
	render_eq("[{{a}}]{{#a}}x{{/a}}{{^a}}y{{/a}}", NULL, "[]y");
}
END_TEST

START_TEST(test_sections)
{
	struct tmpl_val *d = tv_obj(A), *o;

	ck_assert_int_eq(tv_bool(d, "t", 1), PS_OK);
	ck_assert_int_eq(tv_bool(d, "f", 0), PS_OK);
	ck_assert_int_eq(tv_int(d, "zero", 0), PS_OK);
	ck_assert_int_eq(tv_str(d, "empty", ""), PS_OK);
	ck_assert_int_eq(tv_str(d, "s", "str"), PS_OK);
	o = tv_obj(A);
	ck_assert_int_eq(tv_str(o, "inner", "in"), PS_OK);
	ck_assert_int_eq(tv_obj_set(d, "o", o), PS_OK);
	ck_assert_ptr_nonnull(tv_list(d, "none"));

	render_eq("{{#t}}T{{/t}}{{#f}}F{{/f}}{{#zero}}Z{{/zero}}"
	          "{{#empty}}E{{/empty}}{{#none}}N{{/none}}{{#nope}}X{{/nope}}",
	    d, "T");
	render_eq("{{^t}}T{{/t}}{{^f}}F{{/f}}{{^zero}}Z{{/zero}}"
	          "{{^empty}}E{{/empty}}{{^none}}N{{/none}}{{^nope}}X{{/nope}}",
	    d, "FZENX");
	/* An object section makes it the context, with fallback outward. */
	render_eq("{{#o}}{{inner}}/{{s}}{{/o}}", d, "in/str");
	/* A string section: {{.}} is the value. */
	render_eq("{{#s}}<{{.}}>{{/s}}", d, "<str>");
	/* Nested same-name sections close correctly. */
	render_eq("{{#t}}a{{#t}}b{{/t}}c{{/t}}", d, "abc");
}
END_TEST

START_TEST(test_lists)
{
	struct tmpl_val *d = tv_obj(A), *l, *it, *tags;
	int i;

	ck_assert_int_eq(tv_str(d, "currency", "USD"), PS_OK);
	l = tv_list(d, "invoices");
	ck_assert_ptr_nonnull(l);
	for (i = 1; i <= 3; i++) {
		it = tv_push(l);
		ck_assert_ptr_nonnull(it);
		ck_assert_int_eq(tv_int(it, "id", i), PS_OK);
		if (i == 2)
			ck_assert_int_eq(tv_bool(it, "paid", 1), PS_OK);
	}
	render_eq("{{#invoices}}[{{id}} {{currency}}"
	          "{{#paid}} paid{{/paid}}{{^paid}} due{{/paid}}]{{/invoices}}",
	    d, "[1 USD due][2 USD paid][3 USD due]");
	tags = tv_list(d, "tags");
	ck_assert_int_eq(tv_push_str(tags, "a<b"), PS_OK);
	ck_assert_int_eq(tv_push_str(tags, "c"), PS_OK);
	render_eq(
	    "{{#tags}}<li>{{.}}</li>{{/tags}}", d, "<li>a&lt;b</li><li>c</li>");
	/* A list cannot be printed. */
	{
		const char *pairs[] = {"t", "{{invoices}}", NULL};
		struct tmpl_set *set = set_of(pairs);
		struct buf b = {0};

		ck_assert_int_eq(
		    tmpl_render(set, "t", d, &b, err, sizeof(err)), PS_INVALID);
		ck_assert_ptr_nonnull(strstr(err, "t.html:1:"));
		ck_assert_ptr_nonnull(strstr(err, "a list"));
		buf_free(&b);
		tmpl_free(set);
	}
}
END_TEST

START_TEST(test_partials)
{
	const char *pairs[] = {
	    "layout",
	    "<html>{{>header}}<main>{{>body}}</main></html>",
	    "header",
	    "<h1>{{title}}</h1>",
	    "body",
	    "{{#items}}{{>item}}{{/items}}",
	    "item",
	    "<p>{{name}} for {{title}}</p>",
	    NULL,
	};
	struct tmpl_set *set = set_of(pairs);
	struct tmpl_val *d = tv_obj(A), *l;
	struct buf b = {0};

	ck_assert_int_eq(tv_str(d, "title", "Bills & co"), PS_OK);
	l = tv_list(d, "items");
	ck_assert_int_eq(tv_str(tv_push(l), "name", "One"), PS_OK);
	ck_assert_int_eq(tv_str(tv_push(l), "name", "Two"), PS_OK);
	ck_assert_int_eq(
	    tmpl_render(set, "layout", d, &b, err, sizeof(err)), PS_OK);
	ck_assert_str_eq(b.p,
	    "<html><h1>Bills &amp; co</h1><main><p>One for Bills &amp; co</p>"
	    "<p>Two for Bills &amp; co</p></main></html>");
	ck_assert_int_eq(tmpl_has(set, "item"), 1);
	ck_assert_int_eq(tmpl_has(set, "nope"), 0);
	b.n = 0;
	ck_assert_int_eq(
	    tmpl_render(set, "nope", d, &b, err, sizeof(err)), PS_NOTFOUND);
	buf_free(&b);
	tmpl_free(set);
}
END_TEST

START_TEST(test_partial_recursion)
{
	const char *pairs[] = {"loop", "x{{>loop}}", NULL};
	struct tmpl_set *set = set_of(pairs);
	struct buf b = {0};

	ck_assert_int_eq(
	    tmpl_render(set, "loop", NULL, &b, err, sizeof(err)), PS_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "partials nested deeper"));
	buf_free(&b);
	tmpl_free(set);
}
END_TEST

START_TEST(test_runaway)
{
	const char *pairs[] = {"t",
	    "{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}"
	    "{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}"
	    "{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}"
	    "x"
	    "{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}"
	    "{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}"
	    "{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}",
	    NULL};
	struct tmpl_set *set = set_of(pairs);
	struct tmpl_val *d = tv_obj(A), *l = tv_list(d, "l");
	struct buf b = {0};

	/* 2^26 visits: stopped, not rendered for minutes. */
	ck_assert_int_eq(tv_push_str(l, "a"), PS_OK);
	ck_assert_int_eq(tv_push_str(l, "b"), PS_OK);
	ck_assert_int_eq(
	    tmpl_render(set, "t", d, &b, err, sizeof(err)), PS_TOOBIG);
	ck_assert_ptr_nonnull(strstr(err, "page too large"));
	buf_free(&b);
	tmpl_free(set);
}
END_TEST

START_TEST(test_standalone)
{
	struct tmpl_val *d = tv_obj(A), *l;

	l = tv_list(d, "xs");
	ck_assert_int_eq(tv_push_str(l, "a"), PS_OK);
	ck_assert_int_eq(tv_push_str(l, "b"), PS_OK);
	render_eq("<ul>\n"
	          "  {{#xs}}\n"
	          "  <li>{{.}}</li>\n"
	          "  {{/xs}}\n"
	          "  {{! a comment\n spanning lines }}\n"
	          "</ul>\n",
	    d, "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n");
	/* Not standalone: tags share the line with text. */
	render_eq("x {{#xs}}{{.}}{{/xs}} y\n", d, "x ab y\n");
	/* Variables never take the line. */
	render_eq("  {{missing}}\nz", d, "  \nz");
	/* CRLF lines and a final line without newline. */
	render_eq("{{#xs}}\r\n{{.}}\r\n{{/xs}}", d, "a\r\nb\r\n");
}
END_TEST

START_TEST(test_load_errors)
{
	load_fails("ok\n{{{raw}}}", "page.html:2: unsupported tag");
	load_fails("{{&raw}}", "page.html:1: unsupported tag");
	load_fails("{{=<% %>=}}", "page.html:1: unsupported tag");
	load_fails("a\nb\n{{name", "page.html:3: unclosed tag");
	load_fails("{{}}", "page.html:1: empty tag");
	load_fails("\n{{bad name}}", "page.html:2: bad name");
	load_fails("{{a..b}}", "page.html:1: bad name");
	load_fails("{{a.}}", "bad name");
	load_fails("{{#a}}\n\n{{/b}}", "page.html:3: {{/b}} does not close "
	                               "{{#a}} opened at line 1");
	load_fails("x\n{{#a}}\n{{^b}}\n{{/b}}\n", "page.html:2: unclosed "
	                                          "section {{#a}}");
	load_fails("{{/a}}", "page.html:1: close tag without section");
	load_fails("one\ntwo {{>nothere}}", "page.html:2: unknown partial "
	                                    "\"nothere\"");
	load_fails("{{>bad/name}}", "bad partial name");
	load_fails("{{>}}", "empty partial name");
	load_fails("\xff", "not valid UTF-8");
	{
		struct tmpl_set *set = tmpl_set_new();

		ck_assert_int_eq(
		    tmpl_add(set, "a", "x", 1, err, sizeof(err)), PS_OK);
		ck_assert_int_eq(
		    tmpl_add(set, "a", "y", 1, err, sizeof(err)), PS_INVALID);
		ck_assert_ptr_nonnull(strstr(err, "defined twice"));
		ck_assert_int_eq(
		    tmpl_add(set, "../x", "y", 1, err, sizeof(err)),
		    PS_INVALID);
		tmpl_free(set);
	}
}
END_TEST

/* Writes text to dir/name. */
static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void
rm_dir(const char *dir, const char *const *names)
{
	char path[512];

	for (; *names != NULL; names++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *names);
		unlink(path);
	}
	rmdir(dir);
}

START_TEST(test_load_dir)
{
	static const char *const files[] = {
	    "page.html", "nav.html", "notes.txt", ".hidden.html", NULL};
	char dir[] = "/tmp/check_template.XXXXXX";
	struct tmpl_set *set = NULL;
	struct tmpl_val *d = tv_obj(A);
	struct buf b = {0};

	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_file(dir, "page.html", "<body>\n{{>nav}}\n<p>{{who}}</p>\n");
	write_file(dir, "nav.html", "<nav>{{who}}</nav>\n");
	write_file(dir, "notes.txt", "{{#broken");
	write_file(dir, ".hidden.html", "{{#broken");
	ck_assert_msg(
	    tmpl_load_dir(dir, &set, err, sizeof(err)) == PS_OK, "%s", err);
	ck_assert_int_eq(tmpl_has(set, "page"), 1);
	ck_assert_int_eq(tmpl_has(set, "nav"), 1);
	ck_assert_int_eq(tmpl_has(set, "notes"), 0);
	ck_assert_int_eq(tv_str(d, "who", "A&B"), PS_OK);
	ck_assert_int_eq(
	    tmpl_render(set, "page", d, &b, err, sizeof(err)), PS_OK);
	ck_assert_str_eq(b.p, "<body>\n<nav>A&amp;B</nav>\n<p>A&amp;B</p>\n");
	buf_free(&b);
	tmpl_free(set);

	/* An error names the file path and line. */
	write_file(dir, "nav.html", "<nav>\n\n{{#x}}</nav>");
	set = (struct tmpl_set *)1;
	ck_assert_int_eq(
	    tmpl_load_dir(dir, &set, err, sizeof(err)), PS_INVALID);
	ck_assert_ptr_null(set);
	ck_assert_msg(
	    strstr(err, "/nav.html:3: unclosed section") != NULL, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, dir));
	rm_dir(dir, files);

	ck_assert_int_eq(
	    tmpl_load_dir("/nonexistent/dir", &set, err, sizeof(err)),
	    PS_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir"));
}
END_TEST

/* Concurrent rendering of one set. */
struct job {
	const struct tmpl_set *set;
	const struct tmpl_val *data;
	const char *want;
	int ok;
};

static void *
render_many(void *arg)
{
	struct job *j = arg;
	int i;

	j->ok = 1;
	for (i = 0; i < 2000 && j->ok; i++) {
		struct buf b = {0};
		char e[128];

		if (tmpl_render(j->set, "t", j->data, &b, e, sizeof(e)) !=
		        PS_OK ||
		    strcmp(b.p, j->want) != 0)
			j->ok = 0;
		buf_free(&b);
	}
	return NULL;
}

START_TEST(test_threads)
{
	const char *pairs[] = {
	    "t", "{{#xs}}{{>p}}{{/xs}}", "p", "({{.}})", NULL};
	struct tmpl_set *set = set_of(pairs);
	struct tmpl_val *d[4];
	struct job jobs[4];
	pthread_t th[4];
	char want[4][64];
	int i;

	for (i = 0; i < 4; i++) {
		struct tmpl_val *l;
		char item[16];
		int k;

		d[i] = tv_obj(A);
		l = tv_list(d[i], "xs");
		want[i][0] = '\0';
		for (k = 0; k <= i; k++) {
			snprintf(item, sizeof(item), "%d<%d", i, k);
			ck_assert_int_eq(tv_push_str(l, item), PS_OK);
			snprintf(want[i] + strlen(want[i]),
			    sizeof(want[i]) - strlen(want[i]), "(%d&lt;%d)", i,
			    k);
		}
		jobs[i] = (struct job){set, d[i], want[i], 0};
	}
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, render_many, &jobs[i]), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(jobs[i].ok, 1);
	}
	tmpl_free(set);
}
END_TEST

static Suite *
template_suite(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_sections);
	tcase_add_test(tc, test_lists);
	tcase_add_test(tc, test_partials);
	tcase_add_test(tc, test_partial_recursion);
	tcase_add_test(tc, test_runaway);
	tcase_add_test(tc, test_standalone);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_load_dir);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(template_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
