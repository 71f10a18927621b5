/* template.h: a small Mustache-like HTML template engine that escapes every
 * value (there is no unescaped form), with a data model built in an arena.
 *
 * Syntax:
 *   {{name}} {{a.b}} {{.}}   value, HTML-escaped (& < > " ')
 *   {{#name}}...{{/name}}    section: skipped when falsy; once per item of a
 *                            list (the item is the new context); otherwise
 *                            once with the value as the new context
 *   {{^name}}...{{/name}}    inverted section: rendered once when falsy
 *   {{>partial}}             another template of the set, same context
 *   {{! comment }}           nothing
 * Falsy: missing, false, 0, "" and an empty list. Names are looked up in the
 * innermost context first, then outward; in "a.b" only "a" falls back.
 * A section, inverted, partial or comment tag alone on its line takes the
 * whole line with it (Mustache "standalone" rule). Anything else inside
 * {{ }} (e.g. {{{x}}}, {{&x}}, {{=<% %>=}}), an unclosed tag or section, a
 * mismatched close and an unknown partial are errors at load time, reported
 * as "file.html:LINE: ...". */
#ifndef PORTAL_HTTP_TEMPLATE_H
#define PORTAL_HTTP_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* A value: object, list, string, integer or boolean. All values and the
 * strings they hold live in the arena they were made in. */
struct tmpl_val;

/* Returns a new empty object in a, or NULL when out of memory. */
struct tmpl_val *tv_obj(struct arena *a);
/* Set member key of object obj (replacing an earlier one). key and the
 * string are copied. Return PS_OK, PS_NOMEM or PS_INVALID (obj is not an
 * object, or NULL). */
enum pstatus tv_str(struct tmpl_val *obj, const char *key, const char *s);
enum pstatus tv_strn(
    struct tmpl_val *obj, const char *key, const char *p, size_t n);
enum pstatus tv_int(struct tmpl_val *obj, const char *key, int64_t v);
enum pstatus tv_bool(struct tmpl_val *obj, const char *key, int v);
/* Sets key to money_format(cents, currency) text ("$120.00"). */
enum pstatus tv_money(
    struct tmpl_val *obj, const char *key, int64_t cents, const char *currency);
/* Sets key to child (an object or list made in the same arena). */
enum pstatus tv_obj_set(
    struct tmpl_val *obj, const char *key, struct tmpl_val *child);
/* Returns a new empty object stored as key of obj, or NULL. */
struct tmpl_val *tv_child(struct tmpl_val *obj, const char *key);
/* Returns a new empty list stored as key of obj, or NULL. */
struct tmpl_val *tv_list(struct tmpl_val *obj, const char *key);
/* Appends a new empty object to list and returns it, or NULL. */
struct tmpl_val *tv_push(struct tmpl_val *list);
/* Appends a string item to list ({{.}} renders it). */
enum pstatus tv_push_str(struct tmpl_val *list, const char *s);

/* A loaded, read-only set of named templates. Rendering from several
 * threads at once is safe; loading and freeing are not. */
struct tmpl_set;

/* Loads every "*.html" file directly in dir (name = file name without
 * ".html", [A-Za-z0-9_-] only) into a new set stored in *out. Returns PS_OK;
 * PS_INVALID with "path:line: reason" in err for a syntax error or an
 * unknown partial; PS_ERROR for I/O (err names the file); PS_NOMEM. On
 * failure *out is NULL. Free with tmpl_free(). */
enum pstatus tmpl_load_dir(
    const char *dir, struct tmpl_set **out, char *err, size_t errsz);

/* Building a set from strings (tests, embedded pages): tmpl_set_new()
 * returns an empty set or NULL; tmpl_add() compiles text[0..n) as name
 * (errors say "name.html:LINE: ..."); tmpl_check() verifies every partial
 * exists and must be called once after the last tmpl_add(). */
struct tmpl_set *tmpl_set_new(void);
enum pstatus tmpl_add(struct tmpl_set *set, const char *name, const char *text,
    size_t n, char *err, size_t errsz);
enum pstatus tmpl_check(struct tmpl_set *set, char *err, size_t errsz);

/* Returns 1 if the set has a template called name. */
int tmpl_has(const struct tmpl_set *set, const char *name);

/* Renders template name with data (may be NULL: all names missing),
 * appending to out. Returns PS_OK; PS_NOTFOUND (no such template);
 * PS_INVALID (a value that cannot print, e.g. {{x}} where x is a list;
 * or nesting deeper than 64); PS_TOOBIG (more than 4 Mi node visits or
 * 16 MiB of output: a runaway template); PS_NOMEM. On failure out may hold a
 * partial page: discard it. */
enum pstatus tmpl_render(const struct tmpl_set *set, const char *name,
    const struct tmpl_val *data, struct buf *out, char *err, size_t errsz);

/* Frees the set and everything in it. NULL is fine. */
void tmpl_free(struct tmpl_set *set);

#endif
