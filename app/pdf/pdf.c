/* pdf.c: lays billing documents out on US Letter pages with pango and writes
 * them as PDF through cairo (two passes: count pages, then draw). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "pdf/pdf.h"

/* US Letter in points, 0.75 in margins, the footer in the bottom margin. */
#define PAGE_W    612.0
#define PAGE_H    792.0
#define MARGIN    54.0
#define CONTENT_W (PAGE_W - 2 * MARGIN)
#define BOTTOM    (PAGE_H - MARGIN - 18.0)
#define FOOTER_Y  (PAGE_H - MARGIN + 4.0)
#define CELL_PAD  3.0
#define FONT      "DejaVu Sans"

#define TEXT_MAX   4000   /* bytes in one field */
#define ROWS_MAX   100000 /* lines, items or applied rows in one document */
#define COLS_MAX   10
#define TEXT_LINES 6  /* lines of a header or party field at most */
#define CELL_LINES 12 /* lines of a table cell at most */
#define NOTE_LINES 40 /* lines of the note at most */

enum align { AL_LEFT, AL_RIGHT, AL_CENTER };

/* A table column: header text, width in points (0 = takes what is left),
 * alignment. */
struct col {
	const char *head;
	double w;
	enum align al;
};

struct table {
	struct col cols[COLS_MAX];
	int ncols;
	double size; /* font size */
};

/* The state of one rendering pass. */
/* A laid-out text: what text_at() was asked for and the layout it made.
 * Both passes, and every repeat of the same text in the same box (the
 * same description on every line of a statement), share one shaping. */
struct lay_ent {
	uint64_t h;  /* 0: empty slot */
	char *s;     /* the text, owned */
	int size, w; /* font size and box width, Pango units */
	int bold, al, maxlines;
	PangoLayout *lay; /* owned */
	int th;           /* its height, Pango units */
};

struct r {
	const struct pdf_doc *doc;
	cairo_t *cr;
	PangoLayout *lay; /* the template: its context carries the options */
	struct lay_ent *cache; /* open addressing, ncache slots (power of 2) */
	size_t ncache, nused;
	PangoFontDescription *fd;
	int draw;     /* 0: measuring pass; 1: drawing pass */
	int maxlines; /* lines of one text before it ends in an ellipsis */
	int page;     /* current page, 1-based; 0 before the first */
	int npages;   /* total pages, known in the drawing pass */
	double y;     /* the cursor, points from the top */
	const struct table *tab; /* table whose header repeats on a new page */
	char title[256];         /* "Invoice INV-0001" */
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static enum pstatus init_status = PS_ERROR;
static char init_err[256];

const char *
pdf_kind_title(enum pdf_kind kind)
{
	switch (kind) {
	case PDF_INVOICE:
		return "Invoice";
	case PDF_STATEMENT:
		return "Statement";
	case PDF_SUPERBILL:
		return "Superbill";
	case PDF_RECEIPT:
		return "Receipt";
	}
	return "Document";
}

/* Loads fontconfig's configuration and checks the font, once. */
static void
init_fonts(void)
{
	PangoFontMap *fm;
	PangoContext *ctx = NULL;
	PangoFontDescription *want = NULL, *got = NULL;
	PangoFont *font = NULL;
	const char *family;

	fm = pango_cairo_font_map_get_default(); /* owned by pango */
	if (fm == NULL) {
		snprintf(init_err, sizeof(init_err),
		    "pdf: pango has no cairo font map");
		goto out;
	}
	ctx = pango_font_map_create_context(fm);
	want = pango_font_description_from_string(FONT " 10");
	font = pango_font_map_load_font(fm, ctx, want);
	if (font == NULL) {
		snprintf(init_err, sizeof(init_err),
		    "pdf: no font found: install fonts-dejavu-core");
		goto out;
	}
	got = pango_font_describe(font);
	family = pango_font_description_get_family(got);
	if (family == NULL || strcmp(family, FONT) != 0) {
		snprintf(init_err, sizeof(init_err),
		    "pdf: font \"%s\" not installed (fontconfig offers \"%s\"): "
		    "install the Debian package fonts-dejavu-core",
		    FONT, family ? family : "nothing");
		goto out;
	}
	init_status = PS_OK;
out:
	if (got != NULL)
		pango_font_description_free(got);
	if (font != NULL)
		g_object_unref(font);
	if (want != NULL)
		pango_font_description_free(want);
	if (ctx != NULL)
		g_object_unref(ctx);
}

enum pstatus
pdf_global_init(char *err, size_t errsz)
{
	pthread_once(&init_once, init_fonts);
	if (init_status != PS_OK)
		errbuf_set(err, errsz, "%s", init_err);
	return init_status;
}

/* ---- validation ---- */

/* Returns 1 when s is NULL or short valid UTF-8; else sets err. */
static int
ok_text(const char *s, const char *field, char *err, size_t errsz)
{
	size_t n;

	if (s == NULL)
		return 1;
	n = strlen(s);
	if (n > TEXT_MAX) {
		errbuf_set(err, errsz, "pdf: %s is longer than %d bytes", field,
		    TEXT_MAX);
		return 0;
	}
	if (!utf8_valid(s, n)) {
		errbuf_set(err, errsz, "pdf: %s is not valid UTF-8", field);
		return 0;
	}
	return 1;
}

/* Returns 1 when s is valid and not empty; else sets err. */
static int
need_text(const char *s, const char *field, char *err, size_t errsz)
{
	if (s == NULL || *s == '\0') {
		errbuf_set(err, errsz, "pdf: %s is required", field);
		return 0;
	}
	return ok_text(s, field, err, errsz);
}

/* Adds b to *a; returns 0 on int64_t overflow. */
static int
add64(int64_t *a, int64_t b)
{
	return !__builtin_add_overflow(*a, b, a);
}

static int
check_common(const struct pdf_doc *d, char *err, size_t errsz)
{
	const struct pdf_practice *p = &d->practice;
	const struct pdf_client *c = &d->client;
	const struct pdf_provider *v = &d->provider;
	char f[64];
	int i;

	if (!need_text(d->number, "number", err, errsz) ||
	    !need_text(d->issue_date, "issue_date", err, errsz) ||
	    !need_text(p->name, "practice.name", err, errsz) ||
	    !need_text(c->name, "client.name", err, errsz) ||
	    !ok_text(d->currency, "currency", err, errsz) ||
	    !ok_text(d->due_date, "due_date", err, errsz) ||
	    !ok_text(d->period_start, "period_start", err, errsz) ||
	    !ok_text(d->period_end, "period_end", err, errsz) ||
	    !ok_text(d->note, "note", err, errsz) ||
	    !ok_text(p->phone, "practice.phone", err, errsz) ||
	    !ok_text(p->email, "practice.email", err, errsz) ||
	    !ok_text(p->npi, "practice.npi", err, errsz) ||
	    !ok_text(p->tax_id, "practice.tax_id", err, errsz) ||
	    !ok_text(c->dob, "client.dob", err, errsz) ||
	    !ok_text(c->insurer, "client.insurer", err, errsz) ||
	    !ok_text(c->member_id, "client.member_id", err, errsz) ||
	    !ok_text(v->name, "provider.name", err, errsz) ||
	    !ok_text(v->credentials, "provider.credentials", err, errsz) ||
	    !ok_text(v->npi, "provider.npi", err, errsz) ||
	    !ok_text(v->org_npi, "provider.org_npi", err, errsz) ||
	    !ok_text(v->tax_id, "provider.tax_id", err, errsz) ||
	    !ok_text(v->licence, "provider.licence", err, errsz) ||
	    !ok_text(v->taxonomy, "provider.taxonomy", err, errsz))
		return 0;
	for (i = 0; i < PDF_ADDR_MAX; i++) {
		snprintf(f, sizeof(f), "practice.address[%d]", i);
		if (!ok_text(p->address[i], f, err, errsz))
			return 0;
		snprintf(f, sizeof(f), "client.address[%d]", i);
		if (!ok_text(c->address[i], f, err, errsz))
			return 0;
	}
	return 1;
}

static int
check_lines(const struct pdf_doc *d, char *err, size_t errsz)
{
	const struct pdf_line *l;
	int64_t fees = 0, paid = 0;
	size_t i;
	int k, sb = d->kind == PDF_SUPERBILL;
	char f[64];

	if (d->nlines == 0 || d->lines == NULL) {
		errbuf_set(err, errsz, "pdf: a %s needs at least one line",
		    sb ? "superbill" : "invoice");
		return 0;
	}
	if (d->nlines > ROWS_MAX) {
		errbuf_set(err, errsz, "pdf: more than %d lines", ROWS_MAX);
		return 0;
	}
	for (i = 0; i < d->nlines; i++) {
		l = &d->lines[i];
		snprintf(f, sizeof(f), "lines[%zu]", i);
		if (!ok_text(l->date, f, err, errsz) ||
		    !ok_text(l->description, f, err, errsz) ||
		    !ok_text(l->pos, f, err, errsz) ||
		    !ok_text(l->cpt, f, err, errsz) ||
		    !ok_text(l->modifiers, f, err, errsz))
			return 0;
		if (l->fee < 0 || l->paid < 0 || !add64(&fees, l->fee) ||
		    !add64(&paid, l->paid)) {
			errbuf_set(err, errsz,
			    "pdf: lines[%zu]: negative or overflowing amount",
			    i);
			return 0;
		}
		if (!sb) {
			if (!need_text(l->description, f, err, errsz))
				return 0;
			continue;
		}
		snprintf(f, sizeof(f), "lines[%zu].date", i);
		if (!need_text(l->date, f, err, errsz))
			return 0;
		snprintf(f, sizeof(f), "lines[%zu].pos", i);
		if (!need_text(l->pos, f, err, errsz))
			return 0;
		snprintf(f, sizeof(f), "lines[%zu].cpt", i);
		if (!need_text(l->cpt, f, err, errsz))
			return 0;
		if (l->units < 1) {
			errbuf_set(err, errsz,
			    "pdf: lines[%zu].units must be at least 1", i);
			return 0;
		}
		if (l->dx[0] == 0) {
			errbuf_set(err, errsz,
			    "pdf: lines[%zu] points to no diagnosis", i);
			return 0;
		}
		for (k = 0; k < PDF_DX_PER_LINE && l->dx[k] != 0; k++)
			if (l->dx[k] > d->ndx) {
				errbuf_set(err, errsz,
				    "pdf: lines[%zu].dx[%d] = %d but there "
				    "are %zu diagnoses",
				    i, k, l->dx[k], d->ndx);
				return 0;
			}
	}
	return 1;
}

static int
check_invoice(const struct pdf_doc *d, char *err, size_t errsz)
{
	int64_t fees = 0;
	size_t i;

	if (!check_lines(d, err, errsz))
		return 0;
	for (i = 0; i < d->nlines; i++)
		fees += d->lines[i].fee; /* bounded by check_lines */
	if (d->amount_paid < 0 || d->amount_paid > fees) {
		errbuf_set(err, errsz,
		    "pdf: amount_paid must lie between 0 and the total");
		return 0;
	}
	return 1;
}

static int
check_statement(const struct pdf_doc *d, char *err, size_t errsz)
{
	const struct pdf_item *it;
	int64_t bal = d->begin_balance;
	size_t i;
	char f[64];
	int ok;

	if (!need_text(d->period_start, "period_start", err, errsz) ||
	    !need_text(d->period_end, "period_end", err, errsz))
		return 0;
	if (d->nitems > ROWS_MAX || (d->nitems > 0 && d->items == NULL)) {
		errbuf_set(err, errsz, "pdf: items: bad count");
		return 0;
	}
	for (i = 0; i < d->nitems; i++) {
		it = &d->items[i];
		snprintf(f, sizeof(f), "items[%zu]", i);
		if (!ok_text(it->date, f, err, errsz) ||
		    !ok_text(it->ref, f, err, errsz) ||
		    !ok_text(it->description, f, err, errsz))
			return 0;
		switch (it->kind) {
		case PDF_ITEM_INVOICE:
		case PDF_ITEM_REFUND:
			ok = it->amount >= 0 && add64(&bal, it->amount);
			break;
		case PDF_ITEM_PAYMENT:
			ok = it->amount >= 0 && add64(&bal, -it->amount);
			break;
		case PDF_ITEM_ADJUSTMENT:
			ok = it->amount != INT64_MIN && add64(&bal, it->amount);
			break;
		default:
			ok = 0;
			break;
		}
		if (!ok) {
			errbuf_set(err, errsz,
			    "pdf: items[%zu]: bad kind or amount", i);
			return 0;
		}
	}
	if (bal != d->end_balance) {
		errbuf_set(err, errsz,
		    "pdf: statement does not add up: beginning balance %lld "
		    "plus items is %lld, not the ending balance %lld",
		    (long long)d->begin_balance, (long long)bal,
		    (long long)d->end_balance);
		return 0;
	}
	return 1;
}

static int
check_superbill(const struct pdf_doc *d, char *err, size_t errsz)
{
	size_t i;
	char f[64];

	if (!need_text(d->provider.name, "provider.name", err, errsz) ||
	    !need_text(d->provider.npi, "provider.npi", err, errsz) ||
	    !need_text(d->provider.tax_id, "provider.tax_id", err, errsz) ||
	    !need_text(d->client.dob, "client.dob", err, errsz))
		return 0;
	if (d->ndx == 0 || d->ndx > PDF_DX_MAX || d->dx == NULL) {
		errbuf_set(err, errsz,
		    "pdf: a superbill needs 1 to %d diagnosis codes",
		    PDF_DX_MAX);
		return 0;
	}
	for (i = 0; i < d->ndx; i++) {
		snprintf(f, sizeof(f), "dx[%zu].code", i);
		if (!need_text(d->dx[i].code, f, err, errsz) ||
		    !ok_text(d->dx[i].description, f, err, errsz))
			return 0;
	}
	return check_lines(d, err, errsz);
}

static int
check_receipt(const struct pdf_doc *d, char *err, size_t errsz)
{
	const struct pdf_payment *p = &d->payment;
	int64_t sum = 0;
	size_t i;
	char f[64];

	if (p->amount <= 0) {
		errbuf_set(err, errsz, "pdf: payment.amount must be positive");
		return 0;
	}
	if (!need_text(p->date, "payment.date", err, errsz) ||
	    !ok_text(p->brand, "payment.brand", err, errsz) ||
	    !ok_text(p->last4, "payment.last4", err, errsz) ||
	    !ok_text(p->reference, "payment.reference", err, errsz))
		return 0;
	if (d->napplied > ROWS_MAX || (d->napplied > 0 && d->applied == NULL)) {
		errbuf_set(err, errsz, "pdf: applied: bad count");
		return 0;
	}
	for (i = 0; i < d->napplied; i++) {
		snprintf(f, sizeof(f), "applied[%zu].number", i);
		if (!need_text(d->applied[i].number, f, err, errsz) ||
		    !ok_text(d->applied[i].date, f, err, errsz))
			return 0;
		if (d->applied[i].amount < 0 ||
		    !add64(&sum, d->applied[i].amount)) {
			errbuf_set(
			    err, errsz, "pdf: applied[%zu]: bad amount", i);
			return 0;
		}
	}
	if (sum > p->amount) {
		errbuf_set(err, errsz,
		    "pdf: applied amounts exceed the payment amount");
		return 0;
	}
	return 1;
}

/* Returns PS_OK when doc can be rendered, else PS_INVALID or PS_TOOBIG. */
static enum pstatus
check_doc(const struct pdf_doc *d, char *err, size_t errsz)
{
	int ok = 0;

	if (d == NULL) {
		errbuf_set(err, errsz, "pdf: no document");
		return PS_INVALID;
	}
	if (!check_common(d, err, errsz))
		return PS_INVALID;
	switch (d->kind) {
	case PDF_INVOICE:
		ok = check_invoice(d, err, errsz);
		break;
	case PDF_STATEMENT:
		ok = check_statement(d, err, errsz);
		break;
	case PDF_SUPERBILL:
		ok = check_superbill(d, err, errsz);
		break;
	case PDF_RECEIPT:
		ok = check_receipt(d, err, errsz);
		break;
	default:
		errbuf_set(
		    err, errsz, "pdf: unknown document kind %d", (int)d->kind);
		break;
	}
	return ok ? PS_OK : PS_INVALID;
}

/* ---- drawing primitives ---- */

static int
has(const char *s)
{
	return s != NULL && *s != '\0';
}

/* FNV-1a over the text and the parameters; never 0. */
static uint64_t
lay_hash(const char *s, int size, int w, int bold, int al, int maxlines)
{
	uint64_t h = 1469598103934665603ULL;
	int v[5] = {size, w, bold, al, maxlines};
	const unsigned char *p;
	size_t i;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	for (i = 0; i < 5; i++)
		h = (h ^ (uint64_t)(unsigned)v[i]) * 1099511628211ULL;
	return h != 0 ? h : 1;
}

/* Doubles r's cache (or makes its first 256 slots). Returns 0, or -1
 * when out of memory (the cache stays as it was). */
static int
lay_grow(struct r *r)
{
	size_t n = r->ncache ? r->ncache * 2 : 256, i, j;
	struct lay_ent *t = calloc(n, sizeof(*t));

	if (t == NULL)
		return -1;
	for (i = 0; i < r->ncache; i++) {
		if (r->cache[i].h == 0)
			continue;
		for (j = r->cache[i].h & (n - 1); t[j].h != 0;
		     j = (j + 1) & (n - 1))
			;
		t[j] = r->cache[i];
	}
	free(r->cache);
	r->cache = t;
	r->ncache = n;
	return 0;
}

static void
lay_free(struct r *r)
{
	size_t i;

	for (i = 0; i < r->ncache; i++)
		if (r->cache[i].h != 0) {
			free(r->cache[i].s);
			g_object_unref(r->cache[i].lay);
		}
	free(r->cache);
	r->cache = NULL;
	r->ncache = r->nused = 0;
}

/* Sets lay up for s in a box w (Pango units) wide. */
static void
lay_set(struct r *r, PangoLayout *lay, const char *s, int size, int w, int bold,
    PangoAlignment pa)
{
	pango_font_description_set_absolute_size(r->fd, size);
	pango_font_description_set_weight(
	    r->fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(lay, r->fd);
	pango_layout_set_width(lay, w);
	pango_layout_set_alignment(lay, pa);
	/* A bounded height keeps absurdly long fields from running off
	 * the page: they end in an ellipsis instead. */
	pango_layout_set_height(lay, -r->maxlines);
	pango_layout_set_text(lay, s, -1);
}

/* Returns the layout of s with these parameters from r's cache, making
 * it on a miss; NULL when out of memory (*th untouched). */
static PangoLayout *
lay_get(struct r *r, const char *s, int size, int w, int bold, int al,
    PangoAlignment pa, int *th)
{
	uint64_t h = lay_hash(s, size, w, bold, al, r->maxlines);
	struct lay_ent *e;
	PangoLayout *lay;
	size_t j;
	int tw;

	if ((r->nused + 1) * 4 > r->ncache * 3 && lay_grow(r) != 0)
		return NULL;
	for (j = h & (r->ncache - 1); r->cache[j].h != 0;
	     j = (j + 1) & (r->ncache - 1)) {
		e = &r->cache[j];
		if (e->h == h && e->size == size && e->w == w &&
		    e->bold == bold && e->al == al &&
		    e->maxlines == r->maxlines && strcmp(e->s, s) == 0) {
			*th = e->th;
			return e->lay;
		}
	}
	e = &r->cache[j];
	if ((e->s = strdup(s)) == NULL)
		return NULL;
	lay = pango_layout_new(pango_layout_get_context(r->lay));
	pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
	lay_set(r, lay, s, size, w, bold, pa);
	pango_layout_get_size(lay, &tw, &e->th);
	e->h = h;
	e->size = size;
	e->w = w;
	e->bold = bold;
	e->al = al;
	e->maxlines = r->maxlines;
	e->lay = lay;
	r->nused++;
	*th = e->th;
	return lay;
}

/* Lays s out with its top left at (x, y) in a box w points wide (wrapping
 * at words), and draws it in the drawing pass. Returns its height. */
static double
text_at(struct r *r, double x, double y, double w, const char *s, double size,
    int bold, enum align al)
{
	int tw, th = 0, psize = (int)(size * PANGO_SCALE),
	        pw = (int)(w * PANGO_SCALE);
	PangoAlignment pa = PANGO_ALIGN_LEFT;
	PangoLayout *lay;

	if (al == AL_RIGHT)
		pa = PANGO_ALIGN_RIGHT;
	else if (al == AL_CENTER)
		pa = PANGO_ALIGN_CENTER;
	if (s == NULL)
		s = "";
	lay = lay_get(r, s, psize, pw, bold, (int)al, pa, &th);
	if (lay == NULL) {
		/* Out of memory for the cache: shape it in the template. */
		lay = r->lay;
		lay_set(r, lay, s, psize, pw, bold, pa);
		pango_layout_get_size(lay, &tw, &th);
	}
	if (r->draw) {
		cairo_move_to(r->cr, x, y);
		pango_cairo_show_layout(r->cr, lay);
	}
	return (double)th / PANGO_SCALE;
}

static void
hrule(struct r *r, double y, double width, double gray)
{
	if (!r->draw)
		return;
	cairo_save(r->cr);
	cairo_set_source_rgb(r->cr, gray, gray, gray);
	cairo_set_line_width(r->cr, width);
	cairo_move_to(r->cr, MARGIN, y);
	cairo_line_to(r->cr, PAGE_W - MARGIN, y);
	cairo_stroke(r->cr);
	cairo_restore(r->cr);
}

static void table_head(struct r *r);

/* Ends the current page (if any) and starts the next: footer, a short
 * header on continuation pages, and the open table's header row. */
static void
new_page(struct r *r)
{
	char foot[64];

	if (r->page > 0 && r->draw)
		cairo_show_page(r->cr);
	r->page++;
	r->y = MARGIN;
	if (r->draw) {
		snprintf(
		    foot, sizeof(foot), "Page %d of %d", r->page, r->npages);
		hrule(r, FOOTER_Y - 4, 0.5, 0.6);
		text_at(r, MARGIN, FOOTER_Y, CONTENT_W * 0.7, r->title, 8, 0,
		    AL_LEFT);
		text_at(r, MARGIN + CONTENT_W * 0.7, FOOTER_Y, CONTENT_W * 0.3,
		    foot, 8, 0, AL_RIGHT);
	}
	if (r->page > 1) {
		double h1, h2;

		char cont[300];

		h1 = text_at(r, MARGIN, r->y, CONTENT_W * 0.5,
		    r->doc->practice.name, 10, 1, AL_LEFT);
		snprintf(cont, sizeof(cont), "%s (continued)", r->title);
		h2 = text_at(r, MARGIN + CONTENT_W * 0.5, r->y, CONTENT_W * 0.5,
		    cont, 10, 1, AL_RIGHT);
		r->y += (h1 > h2 ? h1 : h2) + 4;
		hrule(r, r->y, 0.75, 0.3);
		r->y += 10;
		if (r->tab != NULL)
			table_head(r);
	}
}

/* Makes room for h points, starting a new page when they do not fit. */
static void
ensure(struct r *r, double h)
{
	if (r->y + h > BOTTOM)
		new_page(r);
}

/* Returns the width of column i of t. */
static double
col_w(const struct table *t, int i)
{
	double used = 0;
	int k;

	if (t->cols[i].w > 0)
		return t->cols[i].w;
	for (k = 0; k < t->ncols; k++)
		used += t->cols[k].w;
	return CONTENT_W - used;
}

/* Returns the height of a row of cells of table t. */
static double
row_height(
    struct r *r, const struct table *t, const char *const *cells, int bold)
{
	double h = 0, ch, w;
	int i, saved = r->draw;

	r->draw = 0;
	r->maxlines = CELL_LINES;
	for (i = 0; i < t->ncols; i++) {
		w = col_w(t, i);
		ch = text_at(r, 0, 0, w - 2 * CELL_PAD, cells[i], t->size, bold,
		    t->cols[i].al);
		if (ch > h)
			h = ch;
	}
	r->draw = saved;
	r->maxlines = TEXT_LINES;
	return h + 2 * CELL_PAD;
}

/* Draws a row of cells h points high at the cursor (in the drawing pass);
 * band puts a gray band behind it. */
static void
row_paint(struct r *r, const struct table *t, const char *const *cells,
    int bold, int band, double h)
{
	double x = MARGIN, w;
	int i;

	if (!r->draw)
		return;
	if (band) {
		cairo_save(r->cr);
		cairo_set_source_rgb(r->cr, 0.9, 0.9, 0.9);
		cairo_rectangle(r->cr, MARGIN, r->y, CONTENT_W, h);
		cairo_fill(r->cr);
		cairo_restore(r->cr);
	}
	r->maxlines = CELL_LINES;
	for (i = 0; i < t->ncols; i++) {
		w = col_w(t, i);
		text_at(r, x + CELL_PAD, r->y + CELL_PAD, w - 2 * CELL_PAD,
		    cells[i], t->size, bold, t->cols[i].al);
		x += w;
	}
	r->maxlines = TEXT_LINES;
	hrule(r, r->y + h, 0.4, 0.7);
}

static double
head_height(struct r *r, const struct table *t)
{
	const char *cells[COLS_MAX];
	int i;

	for (i = 0; i < t->ncols; i++)
		cells[i] = t->cols[i].head;
	return row_height(r, t, cells, 1);
}

/* Draws the open table's header row at the cursor. */
static void
table_head(struct r *r)
{
	const char *cells[COLS_MAX];
	double h;
	int i;

	for (i = 0; i < r->tab->ncols; i++)
		cells[i] = r->tab->cols[i].head;
	h = row_height(r, r->tab, cells, 1);
	row_paint(r, r->tab, cells, 1, 1, h);
	r->y += h;
}

/* Opens table t at the cursor: its header and first row stay together. */
static void
table_begin(struct r *r, const struct table *t, const char *const *first)
{
	double h = head_height(r, t);

	if (first != NULL)
		h += row_height(r, t, first, 0);
	r->tab = NULL;
	ensure(r, h);
	r->tab = t;
	table_head(r);
}

/* Adds a row to the open table, breaking the page before it if needed. */
static void
table_row(struct r *r, const char *const *cells, int bold)
{
	double h = row_height(r, r->tab, cells, bold);

	ensure(r, h);
	row_paint(r, r->tab, cells, bold, bold, h);
	r->y += h;
}

static void
table_end(struct r *r)
{
	r->tab = NULL;
	r->y += 10;
}

static const char *
money(const struct r *r, int64_t cents, char *out, size_t outsz)
{
	return money_format(cents,
	    r->doc->currency != NULL ? r->doc->currency : "USD", out, outsz);
}

/* A block of label/value pairs, right-aligned at the right margin, kept
 * on one page. The last pair is bold when strong_last. */
static void
totals(struct r *r, const char *const *labels, const char *const *values, int n,
    int strong_last)
{
	double h = 0, lw = 150, vw = 100, x = PAGE_W - MARGIN - lw - vw, rh;
	int i, saved = r->draw, bold;

	r->draw = 0;
	for (i = 0; i < n; i++)
		h += text_at(r, 0, 0, lw, labels[i], 9.5, 1, AL_RIGHT) + 3;
	r->draw = saved;
	ensure(r, h + 12);
	for (i = 0; i < n; i++) {
		bold = strong_last && i == n - 1;
		if (bold)
			hrule(r, r->y, 0.75, 0.3);
		rh = text_at(r, x, r->y + (bold ? 3 : 0), lw, labels[i], 9.5,
		    bold, AL_RIGHT);
		text_at(r, x + lw, r->y + (bold ? 3 : 0), vw, values[i], 9.5,
		    bold, AL_RIGHT);
		r->y += rh + 3 + (bold ? 3 : 0);
	}
	r->y += 8;
}

/* A titled column of lines at (x, y) w wide; lines stop at NULL entries
 * only at n. Empty or NULL lines are skipped. Returns the height. */
static double
block(struct r *r, double x, double y, double w, const char *heading,
    const char *const *lines, int n)
{
	double h = 0;
	int i;

	if (heading != NULL)
		h += text_at(r, x, y, w, heading, 8, 1, AL_LEFT) + 2;
	for (i = 0; i < n; i++)
		if (has(lines[i]))
			h += text_at(r, x, y + h, w, lines[i], 9.5, 0, AL_LEFT);
	return h;
}

/* The first page's head: practice on the left, title and numbers on the
 * right, and for a settled invoice a PAID mark. */
static void
doc_head(struct r *r)
{
	const struct pdf_doc *d = r->doc;
	const struct pdf_practice *p = &d->practice;
	const char *lines[PDF_ADDR_MAX + 3];
	char contact[512], ids[256], l1[300], l2[300], l3[600];
	double lh = 0, rh = 0, rx = MARGIN + CONTENT_W * 0.55,
	       rw = CONTENT_W * 0.45;
	int n = 0, i;

	lh = text_at(
	         r, MARGIN, r->y, CONTENT_W * 0.55, p->name, 15, 1, AL_LEFT) +
	     2;
	for (i = 0; i < PDF_ADDR_MAX && has(p->address[i]); i++)
		lines[n++] = p->address[i];
	contact[0] = ids[0] = '\0';
	if (has(p->phone) || has(p->email))
		snprintf(contact, sizeof(contact), "%s%s%s",
		    has(p->phone) ? p->phone : "",
		    has(p->phone) && has(p->email) ? " \xc2\xb7 " : "",
		    has(p->email) ? p->email : "");
	if (has(p->npi) || has(p->tax_id))
		snprintf(ids, sizeof(ids), "%s%s%s%s%s",
		    has(p->npi) ? "NPI: " : "", has(p->npi) ? p->npi : "",
		    has(p->npi) && has(p->tax_id) ? "   " : "",
		    has(p->tax_id) ? "Tax ID: " : "",
		    has(p->tax_id) ? p->tax_id : "");
	lines[n++] = contact;
	lines[n++] = ids;
	lh += block(r, MARGIN, r->y + lh, CONTENT_W * 0.55, NULL, lines, n);

	rh =
	    text_at(r, rx, r->y, rw, pdf_kind_title(d->kind), 22, 1, AL_RIGHT) +
	    2;
	snprintf(l1, sizeof(l1), "No. %s", d->number);
	snprintf(l2, sizeof(l2), "%s: %s",
	    d->kind == PDF_RECEIPT ? "Date" : "Issued", d->issue_date);
	l3[0] = '\0';
	if (d->kind == PDF_INVOICE && has(d->due_date))
		snprintf(l3, sizeof(l3), "Due: %s", d->due_date);
	else if (has(d->period_start) && has(d->period_end) &&
	         (d->kind == PDF_STATEMENT || d->kind == PDF_SUPERBILL))
		snprintf(l3, sizeof(l3), "Period: %s \xe2\x80\x93 %s",
		    d->period_start, d->period_end);
	rh += text_at(r, rx, r->y + rh, rw, l1, 10, 1, AL_RIGHT);
	rh += text_at(r, rx, r->y + rh, rw, l2, 9.5, 0, AL_RIGHT);
	if (l3[0] != '\0')
		rh += text_at(r, rx, r->y + rh, rw, l3, 9.5, 0, AL_RIGHT);
	if (d->kind == PDF_INVOICE) {
		int64_t total = 0;
		size_t k;

		for (k = 0; k < d->nlines; k++)
			total += d->lines[k].fee;
		if (total > 0 && d->amount_paid >= total) {
			double sw = 64, sh = 24, sx = PAGE_W - MARGIN - sw,
			       sy = r->y + rh + 6;

			if (r->draw) {
				cairo_save(r->cr);
				cairo_set_source_rgb(r->cr, 0.0, 0.5, 0.2);
				cairo_set_line_width(r->cr, 2);
				cairo_rectangle(r->cr, sx, sy, sw, sh);
				cairo_stroke(r->cr);
				text_at(r, sx, sy + 3, sw, "PAID", 14, 1,
				    AL_CENTER);
				cairo_restore(r->cr);
			}
			rh += sh + 8;
		}
	}
	r->y += (lh > rh ? lh : rh) + 8;
	hrule(r, r->y, 1, 0.2);
	r->y += 12;
}

/* Two blocks side by side (either may be empty), then the cursor moves
 * below the taller. */
static void
two_blocks(struct r *r, const char *h1, const char *const *l1, int n1,
    const char *h2, const char *const *l2, int n2)
{
	double a = 0, b = 0, w = CONTENT_W * 0.48;

	if (n1 > 0)
		a = block(r, MARGIN, r->y, w, h1, l1, n1);
	if (n2 > 0)
		b = block(r, MARGIN + CONTENT_W * 0.52, r->y, w, h2, l2, n2);
	r->y += (a > b ? a : b) + 14;
}

/* Fills lines with the client's name and address; returns the count. */
static int
client_lines(const struct pdf_client *c, const char **lines)
{
	int n = 0, i;

	lines[n++] = c->name;
	for (i = 0; i < PDF_ADDR_MAX && has(c->address[i]); i++)
		lines[n++] = c->address[i];
	return n;
}

/* Formats "Name, Credentials" into out. */
static const char *
provider_name(const struct pdf_provider *v, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s%s%s", v->name, has(v->credentials) ? ", " : "",
	    has(v->credentials) ? v->credentials : "");
	return out;
}

/* "Provider: Name, Credentials" under the parties, when a provider is set. */
static void
provider_line(struct r *r)
{
	char pn[512], line[600];

	if (!has(r->doc->provider.name))
		return;
	snprintf(line, sizeof(line), "Provider: %s",
	    provider_name(&r->doc->provider, pn, sizeof(pn)));
	r->y +=
	    text_at(r, MARGIN, r->y - 6, CONTENT_W, line, 9.5, 0, AL_LEFT) + 8;
}

static void
note(struct r *r)
{
	double h;
	int saved = r->draw;

	if (!has(r->doc->note))
		return;
	r->draw = 0;
	r->maxlines = NOTE_LINES;
	h = text_at(r, MARGIN, r->y, CONTENT_W, r->doc->note, 9, 0, AL_LEFT);
	r->draw = saved;
	ensure(r, h);
	r->y +=
	    text_at(r, MARGIN, r->y, CONTENT_W, r->doc->note, 9, 0, AL_LEFT) +
	    6;
	r->maxlines = TEXT_LINES;
}

/* ---- the four documents ---- */

static void
lay_invoice(struct r *r)
{
	static const struct table t = {
	    {{"Date of service", 80, AL_LEFT}, {"Description", 0, AL_LEFT},
	        {"Amount", 100, AL_RIGHT}},
	    3, 9};
	const struct pdf_doc *d = r->doc;
	const char *cl[PDF_ADDR_MAX + 1], *pl[1], *cells[3];
	const char *lab[3] = {"Total", "Amount paid", "Balance due"};
	const char *val[3];
	char pn[512], m[3][48], a[48];
	int64_t total = 0;
	size_t i;
	int n;

	n = client_lines(&d->client, cl);
	pl[0] = has(d->provider.name)
	            ? provider_name(&d->provider, pn, sizeof(pn))
	            : NULL;
	two_blocks(r, "BILL TO", cl, n, "PROVIDER", pl, pl[0] ? 1 : 0);
	for (i = 0; i < d->nlines; i++) {
		cells[0] = d->lines[i].date;
		cells[1] = d->lines[i].description;
		cells[2] = money(r, d->lines[i].fee, a, sizeof(a));
		if (i == 0)
			table_begin(r, &t, cells);
		table_row(r, cells, 0);
		total += d->lines[i].fee;
	}
	table_end(r);
	val[0] = money(r, total, m[0], sizeof(m[0]));
	val[1] = money(r, d->amount_paid, m[1], sizeof(m[1]));
	val[2] = money(r, total - d->amount_paid, m[2], sizeof(m[2]));
	totals(r, lab, val, 3, 1);
	note(r);
}

static void
lay_statement(struct r *r)
{
	static const struct table t = {
	    {{"Date", 64, AL_LEFT}, {"Reference", 68, AL_LEFT},
	        {"Description", 0, AL_LEFT}, {"Charges", 68, AL_RIGHT},
	        {"Payments", 68, AL_RIGHT}, {"Balance", 74, AL_RIGHT}},
	    6, 9};
	const struct pdf_doc *d = r->doc;
	const struct pdf_item *it;
	const char *cl[PDF_ADDR_MAX + 1], *sl[4], *cells[6];
	const char *lab[4] = {"Beginning balance", "Charges",
	    "Payments and credits", "Ending balance"};
	const char *val[4];
	char s[4][300], a[48], b[48], m[4][48];
	const char *desc;
	int64_t bal = d->begin_balance, charges = 0, credits = 0, amt;
	size_t i;
	int n;

	for (i = 0; i < d->nitems; i++) {
		it = &d->items[i];
		if (it->kind == PDF_ITEM_PAYMENT ||
		    (it->kind == PDF_ITEM_ADJUSTMENT && it->amount < 0))
			credits += it->kind == PDF_ITEM_PAYMENT ? it->amount
			                                        : -it->amount;
		else
			charges += it->amount;
	}
	n = client_lines(&d->client, cl);
	snprintf(s[0], sizeof(s[0]), "Beginning balance: %s",
	    money(r, d->begin_balance, a, sizeof(a)));
	snprintf(
	    s[1], sizeof(s[1]), "Charges: %s", money(r, charges, a, sizeof(a)));
	snprintf(s[2], sizeof(s[2]), "Payments and credits: %s",
	    money(r, credits, a, sizeof(a)));
	snprintf(s[3], sizeof(s[3]), "Ending balance: %s",
	    money(r, d->end_balance, a, sizeof(a)));
	for (i = 0; i < 4; i++)
		sl[i] = s[i];
	two_blocks(r, "STATEMENT FOR", cl, n, "ACCOUNT SUMMARY", sl, 4);
	provider_line(r);

	cells[0] = d->period_start;
	cells[1] = "";
	cells[2] = "Beginning balance";
	cells[3] = cells[4] = "";
	cells[5] = money(r, bal, b, sizeof(b));
	table_begin(r, &t, cells);
	table_row(r, cells, 0);
	for (i = 0; i < d->nitems; i++) {
		it = &d->items[i];
		amt = it->amount;
		desc = it->description;
		cells[3] = cells[4] = "";
		switch (it->kind) {
		case PDF_ITEM_INVOICE:
			bal += amt;
			cells[3] = money(r, amt, a, sizeof(a));
			if (!has(desc))
				desc = "Invoice";
			break;
		case PDF_ITEM_REFUND:
			bal += amt;
			cells[3] = money(r, amt, a, sizeof(a));
			if (!has(desc))
				desc = "Refund";
			break;
		case PDF_ITEM_PAYMENT:
			bal -= amt;
			cells[4] = money(r, amt, a, sizeof(a));
			if (!has(desc))
				desc = "Payment";
			break;
		case PDF_ITEM_ADJUSTMENT:
			bal += amt;
			if (amt >= 0)
				cells[3] = money(r, amt, a, sizeof(a));
			else
				cells[4] = money(r, -amt, a, sizeof(a));
			if (!has(desc))
				desc = "Adjustment";
			break;
		}
		cells[0] = it->date;
		cells[1] = it->ref;
		cells[2] = desc;
		cells[5] = money(r, bal, b, sizeof(b));
		table_row(r, cells, 0);
	}
	cells[0] = d->period_end;
	cells[1] = "";
	cells[2] = "Ending balance";
	cells[3] = cells[4] = "";
	cells[5] = money(r, bal, b, sizeof(b));
	table_row(r, cells, 1);
	table_end(r);
	val[0] = money(r, d->begin_balance, m[0], sizeof(m[0]));
	val[1] = money(r, charges, m[1], sizeof(m[1]));
	val[2] = money(r, credits, m[2], sizeof(m[2]));
	val[3] = money(r, d->end_balance, m[3], sizeof(m[3]));
	totals(r, lab, val, 4, 1);
	note(r);
}

/* CMS place-of-service codes a therapy practice uses. */
static const struct {
	const char *code;
	const char *name;
} pos_names[] = {
    {"02", "telehealth other than in the patient's home"},
    {"03", "school"},
    {"10", "telehealth in the patient's home"},
    {"11", "office"},
    {"12", "home"},
    {"22", "on campus outpatient hospital"},
    {"53", "community mental health center"},
    {"99", "other place of service"},
};

/* Under a superbill's lines: what each place-of-service code used means. */
static void
pos_legend(struct r *r)
{
	const struct pdf_doc *d = r->doc;
	char text[600];
	size_t i, k, len = 0;
	double h;
	int saved = r->draw, used;

	len = (size_t)snprintf(text, sizeof(text), "Place of service:");
	for (k = 0; k < sizeof(pos_names) / sizeof(pos_names[0]); k++) {
		used = 0;
		for (i = 0; i < d->nlines && !used; i++)
			used = strcmp(d->lines[i].pos, pos_names[k].code) == 0;
		if (used && len < sizeof(text))
			len += (size_t)snprintf(text + len, sizeof(text) - len,
			    "%s %s %s", len > 17 ? ";" : "", pos_names[k].code,
			    pos_names[k].name);
	}
	if (len <= 17)
		return; /* none of the codes is one we can name */
	r->draw = 0;
	h = text_at(r, MARGIN, r->y, CONTENT_W, text, 8, 0, AL_LEFT);
	r->draw = saved;
	ensure(r, h);
	r->y +=
	    text_at(r, MARGIN, r->y - 4, CONTENT_W, text, 8, 0, AL_LEFT) + 6;
}

static void
lay_superbill(struct r *r)
{
	static const struct table dt = {
	    {{"Pointer", 52, AL_CENTER}, {"ICD-10-CM", 80, AL_LEFT},
	        {"Diagnosis", 0, AL_LEFT}},
	    3, 9};
	static const struct table t = {
	    {{"Date of service", 60, AL_LEFT}, {"POS", 30, AL_CENTER},
	        {"CPT", 42, AL_LEFT}, {"Modifiers", 50, AL_LEFT},
	        {"Description", 0, AL_LEFT}, {"Dx pointer", 44, AL_CENTER},
	        {"Units", 34, AL_RIGHT}, {"Fee", 58, AL_RIGHT},
	        {"Paid", 58, AL_RIGHT}},
	    9, 8};
	const struct pdf_doc *d = r->doc;
	const struct pdf_provider *v = &d->provider;
	const struct pdf_client *c = &d->client;
	const char *pl[7], *cl[PDF_ADDR_MAX + 4], *cells[9];
	const char *lab[3] = {"Total fees", "Total paid", "Balance"};
	const char *val[3];
	char pn[512], p[6][300], q[4][300], ptr[PDF_DX_PER_LINE * 2 + 1],
	    units[16], fee[48], paid[48], letter[2], m[3][48];
	int64_t tf = 0, tp = 0;
	size_t i;
	int n = 0, k, j;

	pl[n++] = provider_name(v, pn, sizeof(pn));
	snprintf(p[0], sizeof(p[0]), "Individual NPI: %s", v->npi);
	pl[n++] = p[0];
	p[1][0] = p[2][0] = p[3][0] = p[4][0] = '\0';
	if (has(v->org_npi))
		snprintf(
		    p[1], sizeof(p[1]), "Organization NPI: %s", v->org_npi);
	pl[n++] = p[1];
	snprintf(p[2], sizeof(p[2]), "Tax ID (EIN): %s", v->tax_id);
	pl[n++] = p[2];
	if (has(v->licence))
		snprintf(p[3], sizeof(p[3]), "License: %s", v->licence);
	pl[n++] = p[3];
	if (has(v->taxonomy))
		snprintf(p[4], sizeof(p[4]), "Taxonomy: %s", v->taxonomy);
	pl[n++] = p[4];

	k = client_lines(c, cl);
	snprintf(q[0], sizeof(q[0]), "Date of birth: %s", c->dob);
	cl[k++] = q[0];
	q[1][0] = q[2][0] = '\0';
	if (has(c->insurer))
		snprintf(q[1], sizeof(q[1]), "Insurance: %s", c->insurer);
	cl[k++] = q[1];
	if (has(c->member_id))
		snprintf(q[2], sizeof(q[2]), "Member ID: %s", c->member_id);
	cl[k++] = q[2];
	two_blocks(r, "PROVIDER", pl, n, "PATIENT", cl, k);

	for (i = 0; i < d->ndx; i++) {
		letter[0] = (char)('A' + i);
		letter[1] = '\0';
		cells[0] = letter;
		cells[1] = d->dx[i].code;
		cells[2] = d->dx[i].description;
		if (i == 0)
			table_begin(r, &dt, cells);
		table_row(r, cells, 0);
	}
	table_end(r);

	for (i = 0; i < d->nlines; i++) {
		const struct pdf_line *l = &d->lines[i];

		for (j = 0, k = 0; k < PDF_DX_PER_LINE && l->dx[k] != 0; k++) {
			if (k > 0)
				ptr[j++] = ',';
			ptr[j++] = (char)('A' + l->dx[k] - 1);
		}
		ptr[j] = '\0';
		snprintf(units, sizeof(units), "%d", l->units);
		cells[0] = l->date;
		cells[1] = l->pos;
		cells[2] = l->cpt;
		cells[3] = l->modifiers;
		cells[4] = l->description;
		cells[5] = ptr;
		cells[6] = units;
		cells[7] = money(r, l->fee, fee, sizeof(fee));
		cells[8] = money(r, l->paid, paid, sizeof(paid));
		if (i == 0)
			table_begin(r, &t, cells);
		table_row(r, cells, 0);
		tf += l->fee;
		tp += l->paid;
	}
	table_end(r);
	pos_legend(r);
	val[0] = money(r, tf, m[0], sizeof(m[0]));
	val[1] = money(r, tp, m[1], sizeof(m[1]));
	val[2] = money(r, tf - tp, m[2], sizeof(m[2]));
	totals(r, lab, val, 3, 1);
	note(r);

	/* The provider's attestation, as insurers expect on a superbill. */
	ensure(r, 48);
	r->y += 18;
	if (r->draw) {
		cairo_save(r->cr);
		cairo_set_line_width(r->cr, 0.6);
		cairo_move_to(r->cr, MARGIN, r->y);
		cairo_line_to(r->cr, MARGIN + 280, r->y);
		cairo_move_to(r->cr, MARGIN + 320, r->y);
		cairo_line_to(r->cr, PAGE_W - MARGIN, r->y);
		cairo_stroke(r->cr);
		cairo_restore(r->cr);
	}
	text_at(r, MARGIN, r->y + 2, 280, "Provider signature", 8, 0, AL_LEFT);
	r->y += text_at(r, MARGIN + 320, r->y + 2, CONTENT_W - 320, "Date", 8,
	            0, AL_LEFT) +
	        4;
}

static void
lay_receipt(struct r *r)
{
	static const struct table t = {
	    {{"Invoice", 0, AL_LEFT}, {"Invoice date", 120, AL_LEFT},
	        {"Amount applied", 120, AL_RIGHT}},
	    3, 9};
	const struct pdf_doc *d = r->doc;
	const struct pdf_payment *p = &d->payment;
	const char *cl[PDF_ADDR_MAX + 1], *pl[4], *cells[3];
	const char *lab[3] = {"Applied to invoices"};
	const char *val[3];
	char s[4][300], a[48], m[3][48];
	int64_t sum = 0;
	size_t i;
	int n;

	n = client_lines(&d->client, cl);
	snprintf(s[0], sizeof(s[0]), "Amount: %s",
	    money(r, p->amount, a, sizeof(a)));
	s[1][0] = s[3][0] = '\0';
	if (has(p->brand) || has(p->last4))
		snprintf(s[1], sizeof(s[1]), "Paid with: %s%s%s",
		    has(p->brand) ? p->brand : "Card",
		    has(p->last4) ? " ending in " : "",
		    has(p->last4) ? p->last4 : "");
	snprintf(s[2], sizeof(s[2]), "Date paid: %s", p->date);
	if (has(p->reference))
		snprintf(s[3], sizeof(s[3]), "Reference: %s", p->reference);
	for (i = 0; i < 4; i++)
		pl[i] = s[i];
	two_blocks(r, "RECEIVED FROM", cl, n, "PAYMENT", pl, 4);

	for (i = 0; i < d->napplied; i++) {
		cells[0] = d->applied[i].number;
		cells[1] = d->applied[i].date;
		cells[2] = money(r, d->applied[i].amount, a, sizeof(a));
		if (i == 0)
			table_begin(r, &t, cells);
		table_row(r, cells, 0);
		sum += d->applied[i].amount;
	}
	if (d->napplied == 0) {
		cells[0] = "Payment toward the account balance";
		cells[1] = "";
		cells[2] = money(r, p->amount, a, sizeof(a));
		table_begin(r, &t, cells);
		table_row(r, cells, 0);
		sum = p->amount;
	}
	table_end(r);
	n = 0;
	val[n++] = money(r, sum, m[0], sizeof(m[0]));
	if (p->amount > sum) {
		lab[n] = "Credited to the account";
		val[n++] = money(r, p->amount - sum, m[1], sizeof(m[1]));
	}
	lab[n] = "Amount paid";
	val[n++] = money(r, p->amount, m[2], sizeof(m[2]));
	totals(r, lab, val, n, 1);
	note(r);
}

/* One pass over the document. */
static void
lay_doc(struct r *r)
{
	r->page = 0;
	r->tab = NULL;
	new_page(r);
	doc_head(r);
	switch (r->doc->kind) {
	case PDF_INVOICE:
		lay_invoice(r);
		break;
	case PDF_STATEMENT:
		lay_statement(r);
		break;
	case PDF_SUPERBILL:
		lay_superbill(r);
		break;
	case PDF_RECEIPT:
		lay_receipt(r);
		break;
	}
	if (r->draw)
		cairo_show_page(r->cr);
}

/* ---- output ---- */

static cairo_status_t
write_buf(void *closure, const unsigned char *data, unsigned int len)
{
	struct buf *b = closure;

	if (b == NULL)
		return CAIRO_STATUS_SUCCESS; /* counting pages only */
	return buf_append(b, data, len) == PS_OK ? CAIRO_STATUS_SUCCESS
	                                         : CAIRO_STATUS_WRITE_ERROR;
}

static enum pstatus
cairo_fail(cairo_status_t cs, const char *what, char *err, size_t errsz)
{
	errbuf_set(err, errsz, "pdf: %s: %s", what, cairo_status_to_string(cs));
	return cs == CAIRO_STATUS_NO_MEMORY ? PS_NOMEM : PS_ERROR;
}

/* Renders doc into out (NULL: only count pages into *pages). */
static enum pstatus
render(const struct pdf_doc *doc, struct buf *out, int *pages, char *err,
    size_t errsz)
{
	struct r r;
	cairo_surface_t *s = NULL;
	cairo_font_options_t *fo = NULL;
	cairo_status_t cs;
	PangoContext *pc;
	enum pstatus st;
	size_t start = out != NULL ? out->n : 0;
	int drawn;

	memset(&r, 0, sizeof(r));
	if ((st = pdf_global_init(err, errsz)) != PS_OK)
		goto out;
	if ((st = check_doc(doc, err, errsz)) != PS_OK)
		goto out;
	r.doc = doc;
	snprintf(r.title, sizeof(r.title), "%s %s", pdf_kind_title(doc->kind),
	    doc->number);

	s = cairo_pdf_surface_create_for_stream(write_buf, out, PAGE_W, PAGE_H);
	if ((cs = cairo_surface_status(s)) != CAIRO_STATUS_SUCCESS) {
		st = cairo_fail(cs, "creating the PDF surface", err, errsz);
		goto out;
	}
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, r.title);
	cairo_pdf_surface_set_metadata(
	    s, CAIRO_PDF_METADATA_AUTHOR, doc->practice.name);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "portal");
	r.cr = cairo_create(s);
	r.lay = pango_cairo_create_layout(r.cr);
	r.fd = pango_font_description_from_string(FONT);
	fo = cairo_font_options_create();
	if (r.lay == NULL || r.fd == NULL || fo == NULL) {
		errbuf_set(err, errsz, "pdf: out of memory");
		st = PS_NOMEM;
		goto out;
	}
	/* Unhinted metrics: the same layout on every surface and pass. */
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pc = pango_layout_get_context(r.lay);
	pango_cairo_context_set_font_options(pc, fo);
	pango_layout_context_changed(r.lay);
	pango_layout_set_wrap(r.lay, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_ellipsize(r.lay, PANGO_ELLIPSIZE_END);
	r.maxlines = TEXT_LINES;
	cairo_set_source_rgb(r.cr, 0, 0, 0);

	/* Pass 1 counts the pages; pass 2 draws them with "Page N of M". */
	r.draw = 0;
	lay_doc(&r);
	r.npages = r.page;
	if (out != NULL) {
		r.draw = 1;
		lay_doc(&r);
		drawn = r.page;
		if (drawn != r.npages) {
			errbuf_set(err, errsz,
			    "pdf: layout drew %d pages after counting %d",
			    drawn, r.npages);
			st = PS_ERROR;
			goto out;
		}
	}
	if (pages != NULL)
		*pages = r.npages;
	cairo_destroy(r.cr);
	r.cr = NULL;
	cairo_surface_finish(s);
	if ((cs = cairo_surface_status(s)) != CAIRO_STATUS_SUCCESS) {
		st = cairo_fail(cs, "writing the PDF", err, errsz);
		if (cs == CAIRO_STATUS_WRITE_ERROR)
			st = PS_NOMEM; /* write_buf fails only on memory */
		goto out;
	}
	st = PS_OK;
out:
	if (fo != NULL)
		cairo_font_options_destroy(fo);
	if (r.fd != NULL)
		pango_font_description_free(r.fd);
	lay_free(&r);
	if (r.lay != NULL)
		g_object_unref(r.lay);
	if (r.cr != NULL)
		cairo_destroy(r.cr);
	if (s != NULL)
		cairo_surface_destroy(s);
	if (st != PS_OK && out != NULL) {
		out->n = start;
		if (out->p != NULL)
			out->p[start] = '\0';
	}
	return st;
}

enum pstatus
pdf_render(const struct pdf_doc *doc, struct buf *out, char *err, size_t errsz)
{
	if (out == NULL) {
		errbuf_set(err, errsz, "pdf: no output buffer");
		return PS_INVALID;
	}
	return render(doc, out, NULL, err, errsz);
}

int
pdf_page_count(const struct pdf_doc *doc, char *err, size_t errsz)
{
	int pages = -1;

	if (render(doc, NULL, &pages, err, errsz) != PS_OK)
		return -1;
	return pages;
}
