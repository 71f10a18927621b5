/* template.c: the Mustache-like engine of template.h: values built in an
 * arena, templates compiled once into node trees, rendering that escapes
 * every value and touches nothing shared (safe for concurrent readers). */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/response.h"
#include "http/template.h"

#define TMPL_MAX_DEPTH    64         /* nested contexts while rendering */
#define TMPL_MAX_PARTIALS 32         /* nested partials while rendering */
#define TMPL_MAX_OPEN     64         /* nested sections while loading */
#define TMPL_MAX_FILE     (1 << 20)  /* bytes of one template file */
#define TMPL_MAX_STEPS    (1 << 22)  /* node visits in one render */
#define TMPL_MAX_OUT      (16 << 20) /* bytes one render may append */

/* Values. */

enum tv_type { TV_OBJ, TV_LIST, TV_STR, TV_INT, TV_BOOL };

struct tmpl_member {
	const char *key;
	struct tmpl_val *val;
	struct tmpl_member *next;
};

struct tmpl_val {
	enum tv_type type;
	struct arena *a;
	struct tmpl_member *members;          /* TV_OBJ */
	struct tmpl_val *items, **items_tail; /* TV_LIST */
	size_t nitems;
	struct tmpl_val *next_item; /* sibling in a list */
	const char *s;              /* TV_STR */
	size_t n;
	int64_t i; /* TV_INT */
	int b;     /* TV_BOOL */
};

static struct tmpl_val *
tv_new(struct arena *a, enum tv_type type)
{
	struct tmpl_val *v;

	if (a == NULL || (v = arena_alloc(a, sizeof(*v))) == NULL)
		return NULL;
	v->type = type;
	v->a = a;
	v->items_tail = &v->items;
	return v;
}

struct tmpl_val *
tv_obj(struct arena *a)
{
	return tv_new(a, TV_OBJ);
}

/* Stores val as member key of obj, replacing an earlier one. */
static enum pstatus
tv_set(struct tmpl_val *obj, const char *key, struct tmpl_val *val)
{
	struct tmpl_member *m;

	if (obj == NULL || obj->type != TV_OBJ || key == NULL)
		return PS_INVALID;
	if (val == NULL)
		return PS_NOMEM;
	for (m = obj->members; m != NULL; m = m->next) {
		if (strcmp(m->key, key) == 0) {
			m->val = val;
			return PS_OK;
		}
	}
	if ((m = arena_alloc(obj->a, sizeof(*m))) == NULL ||
	    (m->key = arena_strndup(obj->a, key, strlen(key))) == NULL)
		return PS_NOMEM;
	m->val = val;
	m->next = obj->members;
	obj->members = m;
	return PS_OK;
}

enum pstatus
tv_strn(struct tmpl_val *obj, const char *key, const char *p, size_t n)
{
	struct tmpl_val *v;

	if (obj == NULL || obj->type != TV_OBJ || (p == NULL && n > 0))
		return PS_INVALID;
	if ((v = tv_new(obj->a, TV_STR)) == NULL ||
	    (v->s = arena_strndup(obj->a, p != NULL ? p : "", n)) == NULL)
		return PS_NOMEM;
	v->n = n;
	return tv_set(obj, key, v);
}

enum pstatus
tv_str(struct tmpl_val *obj, const char *key, const char *s)
{
	return tv_strn(obj, key, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

enum pstatus
tv_int(struct tmpl_val *obj, const char *key, int64_t i)
{
	struct tmpl_val *v;

	if (obj == NULL || obj->type != TV_OBJ)
		return PS_INVALID;
	if ((v = tv_new(obj->a, TV_INT)) != NULL)
		v->i = i;
	return tv_set(obj, key, v);
}

enum pstatus
tv_bool(struct tmpl_val *obj, const char *key, int b)
{
	struct tmpl_val *v;

	if (obj == NULL || obj->type != TV_OBJ)
		return PS_INVALID;
	if ((v = tv_new(obj->a, TV_BOOL)) != NULL)
		v->b = b != 0;
	return tv_set(obj, key, v);
}

enum pstatus
tv_money(
    struct tmpl_val *obj, const char *key, int64_t cents, const char *currency)
{
	char text[64];

	return tv_str(
	    obj, key, money_format(cents, currency, text, sizeof(text)));
}

enum pstatus
tv_obj_set(struct tmpl_val *obj, const char *key, struct tmpl_val *child)
{
	if (child == NULL || (child->type != TV_OBJ && child->type != TV_LIST))
		return PS_INVALID;
	return tv_set(obj, key, child);
}

struct tmpl_val *
tv_child(struct tmpl_val *obj, const char *key)
{
	struct tmpl_val *v;

	if (obj == NULL || obj->type != TV_OBJ)
		return NULL;
	if ((v = tv_new(obj->a, TV_OBJ)) == NULL ||
	    tv_set(obj, key, v) != PS_OK)
		return NULL;
	return v;
}

struct tmpl_val *
tv_list(struct tmpl_val *obj, const char *key)
{
	struct tmpl_val *v;

	if (obj == NULL || obj->type != TV_OBJ)
		return NULL;
	if ((v = tv_new(obj->a, TV_LIST)) == NULL ||
	    tv_set(obj, key, v) != PS_OK)
		return NULL;
	return v;
}

/* Appends item to list. */
static void
list_append(struct tmpl_val *list, struct tmpl_val *item)
{
	*list->items_tail = item;
	list->items_tail = &item->next_item;
	list->nitems++;
}

struct tmpl_val *
tv_push(struct tmpl_val *list)
{
	struct tmpl_val *v;

	if (list == NULL || list->type != TV_LIST)
		return NULL;
	if ((v = tv_new(list->a, TV_OBJ)) != NULL)
		list_append(list, v);
	return v;
}

enum pstatus
tv_push_str(struct tmpl_val *list, const char *s)
{
	struct tmpl_val *v;

	if (list == NULL || list->type != TV_LIST || s == NULL)
		return PS_INVALID;
	if ((v = tv_new(list->a, TV_STR)) == NULL ||
	    (v->s = arena_strndup(list->a, s, strlen(s))) == NULL)
		return PS_NOMEM;
	v->n = strlen(s);
	list_append(list, v);
	return PS_OK;
}

/* Templates. */

enum node_type { N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_PARTIAL };

struct node {
	enum node_type type;
	const char *text; /* N_TEXT: the text; others: the tag name */
	size_t len;
	const char **parts; /* N_VAR, N_SECTION, N_INVERTED: name split on
	                       '.'; nparts 0 means "." */
	size_t nparts;
	struct node *child; /* N_SECTION, N_INVERTED: body */
	struct node *next;
	const struct tmpl *partial; /* N_PARTIAL: resolved by tmpl_check */
	int line;
};

struct tmpl {
	const char *name;
	const char *label; /* "file.html" or a path, for errors */
	struct node *first;
	struct tmpl *next;
};

struct tmpl_set {
	struct arena *a;
	struct tmpl *list;
};

struct tmpl_set *
tmpl_set_new(void)
{
	struct tmpl_set *set;

	if ((set = calloc(1, sizeof(*set))) == NULL)
		return NULL;
	if ((set->a = arena_new()) == NULL) {
		free(set);
		return NULL;
	}
	return set;
}

void
tmpl_free(struct tmpl_set *set)
{
	if (set == NULL)
		return;
	arena_free(set->a);
	free(set);
}

static const struct tmpl *
find_tmpl(const struct tmpl_set *set, const char *name, size_t n)
{
	const struct tmpl *t;

	for (t = set->list; t != NULL; t = t->next)
		if (strlen(t->name) == n && memcmp(t->name, name, n) == 0)
			return t;
	return NULL;
}

int
tmpl_has(const struct tmpl_set *set, const char *name)
{
	return set != NULL && find_tmpl(set, name, strlen(name)) != NULL;
}

/* State of one compilation. */
struct compiler {
	struct arena *a;
	const char *label;
	const char *text;
	size_t n;
	size_t counted; /* newlines are counted in text[0..counted) */
	int line;       /* line number at offset counted */
	struct {
		struct node *sec; /* NULL at the bottom level */
		struct node **tail;
	} open[TMPL_MAX_OPEN + 1];
	size_t depth;
	char *err;
	size_t errsz;
};

/* Returns the line number of offset off (off never decreases). */
static int
line_at(struct compiler *c, size_t off)
{
	for (; c->counted < off && c->counted < c->n; c->counted++)
		if (c->text[c->counted] == '\n')
			c->line++;
	return c->line;
}

static enum pstatus
cerr(struct compiler *c, size_t off, const char *msg, const char *tag,
    size_t taglen)
{
	if (taglen > 40)
		taglen = 40;
	errbuf_set(c->err, c->errsz, "%s:%d: %s%s%.*s%s", c->label,
	    line_at(c, off), msg, tag ? " \"" : "", (int)taglen, tag ? tag : "",
	    tag ? "\"" : "");
	return PS_INVALID;
}

static struct node *
add_node(struct compiler *c, enum node_type type, int line)
{
	struct node *nd;

	if ((nd = arena_alloc(c->a, sizeof(*nd))) == NULL)
		return NULL;
	nd->type = type;
	nd->line = line;
	*c->open[c->depth].tail = nd;
	c->open[c->depth].tail = &nd->next;
	return nd;
}

static enum pstatus
add_text(struct compiler *c, size_t from, size_t to)
{
	struct node *nd;

	if (to <= from)
		return PS_OK;
	if ((nd = add_node(c, N_TEXT, line_at(c, from))) == NULL)
		return PS_NOMEM;
	nd->text = c->text + from;
	nd->len = to - from;
	return PS_OK;
}

static int
name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/* Splits a dotted name into parts; returns 0 if it is malformed. */
static int
split_name(
    struct compiler *c, const char *p, size_t n, struct node *nd, int *nomem)
{
	size_t i, k = 0, start = 0, count = 1;

	*nomem = 0;
	if (n == 1 && p[0] == '.') {
		nd->nparts = 0;
		return 1;
	}
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '.')
			count++;
		else if (!name_char(p[i]))
			return 0;
	}
	if ((nd->parts = arena_alloc(c->a, count * sizeof(*nd->parts))) ==
	    NULL) {
		*nomem = 1;
		return 0;
	}
	for (i = 0; i <= n; i++) {
		if (i == n || p[i] == '.') {
			if (i == start)
				return 0; /* empty part: "a..b", ".a", "a." */
			if ((nd->parts[k++] = arena_strndup(
			         c->a, p + start, i - start)) == NULL) {
				*nomem = 1;
				return 0;
			}
			start = i + 1;
		}
	}
	nd->nparts = k;
	return 1;
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Compiles c->text into the node list of c->open[0]. */
static enum pstatus
compile(struct compiler *c)
{
	const char *s = c->text;
	size_t n = c->n, pos = 0;
	enum pstatus st = PS_OK;

	while (pos < n) {
		const char *open = NULL, *close;
		size_t t, te, cs, ce, ls, after;
		char sigil;
		struct node *nd;
		int standalone, line, nomem;

		if (n - pos >= 2)
			open = memmem(s + pos, n - pos, "{{", 2);
		if (open == NULL) {
			st = add_text(c, pos, n);
			break;
		}
		t = (size_t)(open - s);
		line = line_at(c, t);
		close = memmem(s + t + 2, n - t - 2, "}}", 2);
		if (close == NULL) {
			st = cerr(c, t, "unclosed tag {{", NULL, 0);
			goto out;
		}
		te = (size_t)(close - s) + 2;
		cs = t + 2;
		ce = (size_t)(close - s);
		sigil = cs < ce ? s[cs] : '\0';
		if (sigil == '{' || sigil == '&' || sigil == '=' ||
		    sigil == '<') {
			st = cerr(c, t,
			    "unsupported tag (values are always escaped; no "
			    "{{{ }}, {{& }} or delimiter changes)",
			    NULL, 0);
			goto out;
		}
		if (sigil == '#' || sigil == '^' || sigil == '/' ||
		    sigil == '>' || sigil == '!')
			cs++;
		else
			sigil = '\0';
		if (sigil != '!') {
			while (cs < ce && is_blank(s[cs]))
				cs++;
			while (ce > cs && is_blank(s[ce - 1]))
				ce--;
		}

		/* Standalone: only blanks around the tag on its line. */
		standalone = 0;
		after = te;
		if (sigil != '\0') {
			ls = t;
			while (ls > pos && is_blank(s[ls - 1]))
				ls--;
			if (ls == 0 || s[ls - 1] == '\n') {
				size_t r = te;

				while (r < n && is_blank(s[r]))
					r++;
				if (r == n)
					standalone = 1, after = n;
				else if (s[r] == '\n')
					standalone = 1, after = r + 1;
				else if (s[r] == '\r' && r + 1 < n &&
				         s[r + 1] == '\n')
					standalone = 1, after = r + 2;
			}
			if (standalone)
				t = ls;
		}
		if ((st = add_text(c, pos, t)) != PS_OK)
			goto out;
		pos = standalone ? after : te;

		switch (sigil) {
		case '!':
			break;
		case '>':
			if (cs == ce) {
				st = cerr(c, t, "empty partial name", NULL, 0);
				goto out;
			}
			for (size_t i = cs; i < ce; i++)
				if (!name_char(s[i])) {
					st = cerr(c, t, "bad partial name",
					    s + cs, ce - cs);
					goto out;
				}
			if ((nd = add_node(c, N_PARTIAL, line)) == NULL) {
				st = PS_NOMEM;
				goto out;
			}
			nd->text = s + cs;
			nd->len = ce - cs;
			break;
		case '/':
			if (c->depth == 0) {
				st = cerr(c, t, "close tag without section",
				    s + cs, ce - cs);
				goto out;
			}
			nd = c->open[c->depth].sec;
			if (nd->len != ce - cs ||
			    memcmp(nd->text, s + cs, nd->len) != 0) {
				errbuf_set(c->err, c->errsz,
				    "%s:%d: {{/%.*s}} does not close "
				    "{{%c%.*s}} opened at line %d",
				    c->label, line,
				    (int)(ce - cs > 40 ? 40 : ce - cs), s + cs,
				    nd->type == N_SECTION ? '#' : '^',
				    (int)nd->len, nd->text, nd->line);
				st = PS_INVALID;
				goto out;
			}
			c->depth--;
			break;
		default: /* '#', '^', or a variable */
			if ((nd = add_node(c,
			         sigil == '#'   ? N_SECTION
			         : sigil == '^' ? N_INVERTED
			                        : N_VAR,
			         line)) == NULL) {
				st = PS_NOMEM;
				goto out;
			}
			nd->text = s + cs;
			nd->len = ce - cs;
			if (!split_name(c, s + cs, ce - cs, nd, &nomem)) {
				if (nomem)
					st = PS_NOMEM;
				else if (ce == cs)
					st = cerr(c, t, "empty tag", NULL, 0);
				else
					st = cerr(c, t, "bad name in tag",
					    s + cs, ce - cs);
				goto out;
			}
			if (sigil == '#' || sigil == '^') {
				if (c->depth == TMPL_MAX_OPEN) {
					st = cerr(c, t,
					    "sections nested too deeply", NULL,
					    0);
					goto out;
				}
				c->depth++;
				c->open[c->depth].sec = nd;
				c->open[c->depth].tail = &nd->child;
			}
			break;
		}
	}
	if (st == PS_OK && c->depth > 0) {
		struct node *nd = c->open[c->depth].sec;

		errbuf_set(c->err, c->errsz,
		    "%s:%d: unclosed section {{%c%.*s}}", c->label, nd->line,
		    nd->type == N_SECTION ? '#' : '^', (int)nd->len, nd->text);
		st = PS_INVALID;
	}
out:
	return st;
}

/* tmpl_add with the label used in error messages. */
static enum pstatus
add_labeled(struct tmpl_set *set, const char *name, const char *label,
    const char *text, size_t n, char *err, size_t errsz)
{
	struct compiler *c = NULL;
	struct tmpl *t = NULL;
	enum pstatus st = PS_INVALID;
	size_t i;

	if (set == NULL || name == NULL || *name == '\0') {
		errbuf_set(err, errsz, "template: no set or name");
		goto out;
	}
	for (i = 0; name[i] != '\0'; i++)
		if (!name_char(name[i])) {
			errbuf_set(err, errsz, "%s: bad template name", label);
			goto out;
		}
	if (find_tmpl(set, name, strlen(name)) != NULL) {
		errbuf_set(err, errsz, "%s: template \"%s\" defined twice",
		    label, name);
		goto out;
	}
	if (!utf8_valid(text, n)) {
		errbuf_set(
		    err, errsz, "%s: not valid UTF-8 (or has NUL)", label);
		goto out;
	}
	st = PS_NOMEM;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (t = arena_alloc(set->a, sizeof(*t))) == NULL ||
	    (t->name = arena_strndup(set->a, name, strlen(name))) == NULL ||
	    (t->label = arena_strndup(set->a, label, strlen(label))) == NULL ||
	    (c->text = arena_strndup(set->a, text, n)) == NULL)
		goto out;
	c->a = set->a;
	c->label = t->label;
	c->n = n;
	c->line = 1;
	c->open[0].tail = &t->first;
	c->err = err;
	c->errsz = errsz;
	if ((st = compile(c)) != PS_OK)
		goto out;
	t->next = set->list;
	set->list = t;
out:
	free(c);
	return st;
}

enum pstatus
tmpl_add(struct tmpl_set *set, const char *name, const char *text, size_t n,
    char *err, size_t errsz)
{
	char label[300];

	snprintf(label, sizeof(label), "%s.html", name != NULL ? name : "");
	return add_labeled(set, name, label, text, n, err, errsz);
}

/* Resolves the partials under nd; returns PS_INVALID naming the first
 * unknown one. */
static enum pstatus
resolve(const struct tmpl_set *set, const struct tmpl *t, struct node *nd,
    char *err, size_t errsz)
{
	enum pstatus st = PS_OK;

	for (; nd != NULL && st == PS_OK; nd = nd->next) {
		if (nd->type == N_PARTIAL) {
			nd->partial = find_tmpl(set, nd->text, nd->len);
			if (nd->partial == NULL) {
				errbuf_set(err, errsz,
				    "%s:%d: unknown partial \"%.*s\"", t->label,
				    nd->line, (int)nd->len, nd->text);
				st = PS_INVALID;
			}
		} else if (nd->child != NULL)
			st = resolve(set, t, nd->child, err, errsz);
	}
	return st;
}

enum pstatus
tmpl_check(struct tmpl_set *set, char *err, size_t errsz)
{
	struct tmpl *t;
	enum pstatus st = PS_OK;

	if (set == NULL)
		return PS_INVALID;
	for (t = set->list; t != NULL && st == PS_OK; t = t->next)
		st = resolve(set, t, t->first, err, errsz);
	return st;
}

/* Reads file path (at most TMPL_MAX_FILE bytes) into a malloc'd buffer. */
static enum pstatus
read_file(const char *path, char **out, size_t *outn, char *err, size_t errsz)
{
	enum pstatus st = PS_ERROR;
	FILE *f = NULL;
	char *p = NULL;
	size_t n = 0, got;

	*out = NULL;
	if ((f = fopen(path, "rb")) == NULL) {
		errbuf_set(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((p = malloc(TMPL_MAX_FILE + 1)) == NULL) {
		st = PS_NOMEM;
		goto out;
	}
	while ((got = fread(p + n, 1, TMPL_MAX_FILE + 1 - n, f)) > 0)
		n += got;
	if (ferror(f)) {
		errbuf_set(err, errsz, "%s: read error", path);
		goto out;
	}
	if (n > TMPL_MAX_FILE) {
		errbuf_set(err, errsz, "%s: larger than %d bytes", path,
		    TMPL_MAX_FILE);
		st = PS_TOOBIG;
		goto out;
	}
	*out = p;
	*outn = n;
	p = NULL;
	st = PS_OK;
out:
	free(p);
	if (f != NULL)
		fclose(f);
	return st;
}

enum pstatus
tmpl_load_dir(const char *dir, struct tmpl_set **out, char *err, size_t errsz)
{
	struct tmpl_set *set = NULL;
	enum pstatus st = PS_ERROR;
	struct dirent *de;
	DIR *d = NULL;
	char *text = NULL;

	*out = NULL;
	if ((d = opendir(dir)) == NULL) {
		errbuf_set(err, errsz, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((set = tmpl_set_new()) == NULL) {
		st = PS_NOMEM;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name), tn;
		char path[4096], name[256];
		struct stat sb;

		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".html") != 0)
			continue;
		snprintf(
		    name, sizeof(name), "%.*s", (int)(len - 5), de->d_name);
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path)) {
			errbuf_set(err, errsz, "%s: path too long", dir);
			goto out;
		}
		if (stat(path, &sb) != 0) {
			errbuf_set(err, errsz, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		if ((st = read_file(path, &text, &tn, err, errsz)) != PS_OK)
			goto out;
		if ((st = add_labeled(set, name, path, text, tn, err, errsz)) !=
		    PS_OK)
			goto out;
		free(text);
		text = NULL;
	}
	if ((st = tmpl_check(set, err, errsz)) != PS_OK)
		goto out;
	*out = set;
	set = NULL;
out:
	free(text);
	if (d != NULL)
		closedir(d);
	tmpl_free(set);
	return st;
}

/* Rendering. */

struct render {
	const struct tmpl_val *stack[TMPL_MAX_DEPTH];
	size_t depth;
	int partials;
	size_t steps;
	size_t out_start;
	struct buf *out;
	const struct tmpl *t;
	char *err;
	size_t errsz;
};

static const struct tmpl_val *
member(const struct tmpl_val *obj, const char *key)
{
	const struct tmpl_member *m;

	if (obj == NULL || obj->type != TV_OBJ)
		return NULL;
	for (m = obj->members; m != NULL; m = m->next)
		if (strcmp(m->key, key) == 0)
			return m->val;
	return NULL;
}

/* Resolves a node's name against the context stack. */
static const struct tmpl_val *
lookup(const struct render *r, const struct node *nd)
{
	const struct tmpl_val *v = NULL;
	size_t d, i;

	if (nd->nparts == 0)
		return r->depth > 0 ? r->stack[r->depth - 1] : NULL;
	for (d = r->depth; d > 0 && v == NULL; d--)
		v = member(r->stack[d - 1], nd->parts[0]);
	for (i = 1; i < nd->nparts && v != NULL; i++)
		v = member(v, nd->parts[i]);
	return v;
}

static int
truthy(const struct tmpl_val *v)
{
	if (v == NULL)
		return 0;
	switch (v->type) {
	case TV_BOOL:
		return v->b;
	case TV_INT:
		return v->i != 0;
	case TV_STR:
		return v->n > 0;
	case TV_LIST:
		return v->nitems > 0;
	case TV_OBJ:
	default:
		return 1;
	}
}

static enum pstatus render_nodes(struct render *r, const struct node *nd);

/* Renders body with v pushed as the innermost context. */
static enum pstatus
render_with(struct render *r, const struct node *nd, const struct tmpl_val *v)
{
	enum pstatus st;

	if (r->depth == TMPL_MAX_DEPTH) {
		errbuf_set(r->err, r->errsz, "%s:%d: nesting deeper than %d",
		    r->t->label, nd->line, TMPL_MAX_DEPTH);
		return PS_INVALID;
	}
	r->stack[r->depth++] = v;
	st = render_nodes(r, nd->child);
	r->depth--;
	return st;
}

static enum pstatus
render_nodes(struct render *r, const struct node *nd)
{
	enum pstatus st = PS_OK;
	const struct tmpl_val *v, *it;
	const struct tmpl *saved;
	char num[32];

	for (; nd != NULL && st == PS_OK; nd = nd->next) {
		if (++r->steps > TMPL_MAX_STEPS ||
		    r->out->n - r->out_start > TMPL_MAX_OUT) {
			errbuf_set(r->err, r->errsz,
			    "%s:%d: page too large (runaway sections?)",
			    r->t->label, nd->line);
			st = PS_TOOBIG;
			break;
		}
		switch (nd->type) {
		case N_TEXT:
			st = buf_append(r->out, nd->text, nd->len);
			break;
		case N_VAR:
			if ((v = lookup(r, nd)) == NULL)
				break;
			if (v->type == TV_STR)
				st = http_html_escape(r->out, v->s, v->n);
			else if (v->type == TV_INT) {
				snprintf(num, sizeof(num), "%" PRId64, v->i);
				st = buf_puts(r->out, num);
			} else if (v->type == TV_BOOL)
				st = buf_puts(r->out, v->b ? "true" : "false");
			else {
				errbuf_set(r->err, r->errsz,
				    "%s:%d: {{%.*s}} is %s, not a value",
				    r->t->label, nd->line, (int)nd->len,
				    nd->text,
				    v->type == TV_LIST ? "a list"
				                       : "an object");
				st = PS_INVALID;
			}
			break;
		case N_SECTION:
			v = lookup(r, nd);
			if (!truthy(v))
				break;
			if (v->type == TV_LIST) {
				for (it = v->items; it != NULL && st == PS_OK;
				     it = it->next_item)
					st = render_with(r, nd, it);
			} else
				st = render_with(r, nd, v);
			break;
		case N_INVERTED:
			if (!truthy(lookup(r, nd)))
				st = render_nodes(r, nd->child);
			break;
		case N_PARTIAL:
			if (nd->partial == NULL) {
				errbuf_set(r->err, r->errsz,
				    "%s:%d: partial \"%.*s\" not resolved "
				    "(tmpl_check not called)",
				    r->t->label, nd->line, (int)nd->len,
				    nd->text);
				st = PS_INVALID;
				break;
			}
			if (r->partials == TMPL_MAX_PARTIALS) {
				errbuf_set(r->err, r->errsz,
				    "%s:%d: partials nested deeper than %d",
				    r->t->label, nd->line, TMPL_MAX_PARTIALS);
				st = PS_INVALID;
				break;
			}
			saved = r->t;
			r->t = nd->partial;
			r->partials++;
			st = render_nodes(r, nd->partial->first);
			r->partials--;
			r->t = saved;
			break;
		}
	}
	return st;
}

enum pstatus
tmpl_render(const struct tmpl_set *set, const char *name,
    const struct tmpl_val *data, struct buf *out, char *err, size_t errsz)
{
	struct render r;
	const struct tmpl *t;
	enum pstatus st = PS_NOTFOUND;

	if (set == NULL || name == NULL ||
	    (t = find_tmpl(set, name, strlen(name))) == NULL) {
		errbuf_set(err, errsz, "no template \"%s\"",
		    name != NULL ? name : "(null)");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.out = out;
	r.out_start = out->n;
	r.t = t;
	r.err = err;
	r.errsz = errsz;
	if (data != NULL)
		r.stack[r.depth++] = data;
	st = render_nodes(&r, t->first);
	if (st == PS_NOMEM)
		errbuf_set(err, errsz, "%s: out of memory", t->label);
out:
	return st;
}
