/* docs.c: the client's Billing Documents (list, Download as PDF, Print)
 * and Payment History (date range, totals, Download CSV). The rules are
 * app/docs's; this file is HTTP. Every document is looked up by its number
 * within the session's practice and client, never by ids from the
 * request: another client's or an unshared document answers 404. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docs/docs.h"
#include "web/extern.h"

/* Fills w for the signed-in client of c (the client's view). */
static void
who_init(struct ctx *c, struct docs_who *w)
{
	memset(w, 0, sizeof(*w));
	w->db = c->t->db;
	w->practice = c->practice;
	w->practice_id = c->sess.practice_id;
	w->client_id = c->sess.client_id;
	w->user_id = c->sess.user_id;
	w->actor = DB_ACTOR_CLIENT;
	w->client_view = 1;
	w->ip = web_ip(c);
	w->now = c->now;
}

static const char *
param(struct ctx *c, const char *name)
{
	const struct str *s = http_param(&c->params, name);

	return s != NULL ? s->p : NULL;
}

static const char *
currency(struct ctx *c)
{
	return c->practice != NULL && c->practice->currency != NULL
	           ? c->practice->currency
	           : "USD";
}

/* "2026-03-09" -> "Mar 9, 2026" into out. */
static const char *
date_text(const char *ymd, char *out, size_t outsz)
{
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t m = 0, d = 0;

	if (strlen(ymd) == 10 && ymd[4] == '-' && ymd[7] == '-' &&
	    util_strtonum(ymd + 5, 2, 1, 12, &m, NULL, 0) == PS_OK &&
	    util_strtonum(ymd + 8, 2, 1, 31, &d, NULL, 0) == PS_OK)
		snprintf(out, outsz, "%s %d, %.4s", mon[m - 1], (int)d, ymd);
	else
		snprintf(out, outsz, "%s", ymd);
	return out;
}

static void
log_fail(const char *what, enum pstatus st, const char *err)
{
	char q[300];

	log_error("event=%s status=%s error=%s", what, pstatus_str(st),
	    log_value(err, q, sizeof(q)));
}

/* ---- Billing Documents ---- */

void
h_docs_list(struct ctx *c)
{
	struct docs_who w;
	struct docs_entry *e = NULL;
	struct tmpl_val *d, *list, *o;
	char date[32];
	size_t n = 0, i;
	enum pstatus st;

	who_init(c, &w);
	if ((d = web_page_data(c, "Billing Documents", "billing_documents")) ==
	    NULL) {
		web_error(c, 500);
		return;
	}
	if ((st = docs_list(&w, &e, &n)) != PS_OK) {
		log_fail("docs_list_failed", st, db_errmsg(w.db));
		web_error(c, 500);
		return;
	}
	tv_bool(d, "has_docs", n > 0);
	if ((list = tv_list(d, "docs")) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if ((o = tv_push(list)) == NULL)
			goto nomem;
		tv_str(o, "type", docs_kind_title(e[i].kind));
		tv_str(o, "number", e[i].number);
		tv_str(o, "date", date_text(e[i].date, date, sizeof(date)));
		tv_str(o, "iso_date", e[i].date);
		tv_money(o, "amount", e[i].amount, currency(c));
		tv_str(o, "status", e[i].paid ? "Paid" : "Unpaid");
		tv_bool(o, "paid", e[i].paid);
	}
	free(e);
	web_render(c, "billing_documents", d);
	return;
nomem:
	free(e);
	web_error(c, 500);
}

/* Reads the :id path parameter: a document number, or NULL (then the
 * response is already a 404). */
static const char *
doc_number(struct ctx *c)
{
	const char *id = param(c, "id");
	enum docs_kind k;

	if (id == NULL || c->nerrs > 0 || docs_number_kind(id, &k) != PS_OK) {
		web_error(c, 404);
		return NULL;
	}
	return id;
}

void
h_docs_pdf(struct ctx *c)
{
	struct docs_who w;
	struct pdf_doc doc;
	const char *number;
	char err[256] = "", fname[80], disp[128];
	int head = c->req->method == HTTP_HEAD;
	enum pstatus st;

	if ((number = doc_number(c)) == NULL)
		return;
	who_init(c, &w);
	c->resp->body.n = 0;
	st = docs_load(&w, number, c->a, &doc, err, sizeof(err));
	/* HEAD: the headers a GET would send, without rendering or an audit
	 * row (a HEAD changes nothing). */
	if (st == PS_OK && !head &&
	    (st = pdf_global_init(err, sizeof(err))) == PS_OK)
		st = pdf_render(&doc, &c->resp->body, err, sizeof(err));
	if (st == PS_NOTFOUND) {
		web_error(c, 404);
		return;
	}
	if (st != PS_OK) {
		log_fail("doc_pdf_failed", st, err);
		c->resp->body.n = 0;
		web_error(c, 500);
		return;
	}
	docs_filename(&doc, fname, sizeof(fname));
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", fname);
	if (http_response_header(c->resp, "Content-Type", "application/pdf") !=
	        PS_OK ||
	    http_response_header(c->resp, "Content-Disposition", disp) !=
	        PS_OK) {
		c->resp->body.n = 0;
		web_error(c, 500);
		return;
	}
	if (!head)
		db_audit(w.db, w.practice_id, w.client_id, w.user_id,
		    DB_ACTOR_CLIENT, "doc.download", number, w.ip);
}

/* Adds the address lines addr[] (to the first NULL or "") as list key. */
static void
lines_val(struct tmpl_val *o, const char *key, const char *const *addr)
{
	struct tmpl_val *l = tv_list(o, key);
	size_t i;

	for (i = 0; l != NULL && i < PDF_ADDR_MAX && addr[i] != NULL &&
	            addr[i][0] != '\0';
	     i++)
		tv_push_str(l, addr[i]);
}

/* Sets key to s when s is set and not "". */
static void
opt_str(struct tmpl_val *o, const char *key, const char *s)
{
	if (s != NULL && s[0] != '\0')
		tv_str(o, key, s);
}

/* The template data of a document (the same struct pdf_doc the PDF is
 * rendered from). Returns 0, or -1 when out of memory. */
static int
doc_val(struct tmpl_val *d, const struct pdf_doc *doc, const char *cur)
{
	struct tmpl_val *p, *cl, *pr, *list, *o;
	int64_t total = 0, paid = 0;
	size_t i, k;

	tv_str(d, "doc_title", pdf_kind_title(doc->kind));
	tv_str(d, "number", doc->number);
	tv_str(d, "issue_date", doc->issue_date);
	opt_str(d, "due_date", doc->due_date);
	opt_str(d, "period_start", doc->period_start);
	opt_str(d, "period_end", doc->period_end);
	opt_str(d, "note", doc->note);
	tv_bool(d, "is_invoice", doc->kind == PDF_INVOICE);
	tv_bool(d, "is_statement", doc->kind == PDF_STATEMENT);
	tv_bool(d, "is_superbill", doc->kind == PDF_SUPERBILL);
	tv_bool(d, "is_receipt", doc->kind == PDF_RECEIPT);
	if ((p = tv_child(d, "practice")) == NULL ||
	    (cl = tv_child(d, "client")) == NULL ||
	    (pr = tv_child(d, "provider")) == NULL)
		return -1;
	tv_str(p, "name", doc->practice.name);
	lines_val(p, "address", doc->practice.address);
	opt_str(p, "phone", doc->practice.phone);
	opt_str(p, "email", doc->practice.email);
	opt_str(p, "npi", doc->practice.npi);
	opt_str(p, "tax_id", doc->practice.tax_id);
	tv_str(cl, "name", doc->client.name);
	lines_val(cl, "address", doc->client.address);
	opt_str(cl, "dob", doc->client.dob);
	opt_str(cl, "insurer", doc->client.insurer);
	opt_str(cl, "member_id", doc->client.member_id);
	if (doc->provider.name != NULL) {
		tv_bool(d, "has_provider", 1);
		tv_str(pr, "name", doc->provider.name);
		opt_str(pr, "credentials", doc->provider.credentials);
		opt_str(pr, "npi", doc->provider.npi);
		opt_str(pr, "org_npi", doc->provider.org_npi);
		opt_str(pr, "tax_id", doc->provider.tax_id);
		opt_str(pr, "licence", doc->provider.licence);
		opt_str(pr, "taxonomy", doc->provider.taxonomy);
	}
	if ((list = tv_list(d, "lines")) == NULL)
		return -1;
	for (i = 0; i < doc->nlines; i++) {
		const struct pdf_line *l = &doc->lines[i];
		char ptr[16] = "";

		if ((o = tv_push(list)) == NULL)
			return -1;
		opt_str(o, "date", l->date);
		opt_str(o, "description", l->description);
		opt_str(o, "pos", l->pos);
		opt_str(o, "cpt", l->cpt);
		opt_str(o, "modifiers", l->modifiers);
		for (k = 0; k < PDF_DX_PER_LINE && l->dx[k] != 0; k++) {
			size_t m = strlen(ptr);

			snprintf(ptr + m, sizeof(ptr) - m, "%s%c", k ? "," : "",
			    'A' + l->dx[k] - 1);
		}
		opt_str(o, "pointers", ptr);
		tv_int(o, "units", l->units > 0 ? l->units : 1);
		tv_money(o, "fee", l->fee, cur);
		tv_money(o, "paid", l->paid, cur);
		total += l->fee;
		paid += l->paid;
	}
	if ((list = tv_list(d, "dx")) == NULL)
		return -1;
	for (i = 0; i < doc->ndx; i++) {
		char letter[2] = {(char)('A' + i), '\0'};

		if ((o = tv_push(list)) == NULL)
			return -1;
		tv_str(o, "letter", letter);
		tv_str(o, "code", doc->dx[i].code);
		opt_str(o, "description", doc->dx[i].description);
	}
	if (doc->kind == PDF_INVOICE) {
		tv_money(d, "total", total, cur);
		tv_money(d, "amount_paid", doc->amount_paid, cur);
		tv_money(d, "balance_due",
		    total - doc->amount_paid > 0 ? total - doc->amount_paid : 0,
		    cur);
		tv_bool(
		    d, "is_paid", total > 0 && total - doc->amount_paid <= 0);
	}
	if (doc->kind == PDF_SUPERBILL) {
		tv_money(d, "total", total, cur);
		tv_money(d, "total_paid", paid, cur);
		tv_money(d, "balance_due", total - paid, cur);
	}
	if (doc->kind == PDF_STATEMENT) {
		tv_money(d, "begin_balance", doc->begin_balance, cur);
		tv_money(d, "end_balance", doc->end_balance, cur);
		if ((list = tv_list(d, "items")) == NULL)
			return -1;
		tv_bool(d, "has_items", doc->nitems > 0);
		for (i = 0; i < doc->nitems; i++) {
			const struct pdf_item *it = &doc->items[i];

			if ((o = tv_push(list)) == NULL)
				return -1;
			tv_str(o, "date", it->date);
			opt_str(o, "ref", it->ref);
			opt_str(o, "description", it->description);
			if (it->kind == PDF_ITEM_PAYMENT)
				tv_money(o, "credit", it->amount, cur);
			else
				tv_money(o, "charge", it->amount, cur);
		}
	}
	if (doc->kind == PDF_RECEIPT) {
		int64_t applied = 0;

		tv_money(d, "pay_amount", doc->payment.amount, cur);
		tv_str(d, "pay_date", doc->payment.date);
		opt_str(d, "pay_brand", doc->payment.brand);
		opt_str(d, "pay_last4", doc->payment.last4);
		opt_str(d, "pay_ref", doc->payment.reference);
		if ((list = tv_list(d, "applied")) == NULL)
			return -1;
		tv_bool(d, "has_applied", doc->napplied > 0);
		for (i = 0; i < doc->napplied; i++) {
			if ((o = tv_push(list)) == NULL)
				return -1;
			tv_str(o, "number", doc->applied[i].number);
			opt_str(o, "date", doc->applied[i].date);
			tv_money(o, "amount", doc->applied[i].amount, cur);
			applied += doc->applied[i].amount;
		}
		if (doc->payment.amount > applied)
			tv_money(
			    d, "credit", doc->payment.amount - applied, cur);
	}
	return 0;
}

void
h_docs_print(struct ctx *c)
{
	struct docs_who w;
	struct pdf_doc doc;
	struct tmpl_val *d;
	const char *number;
	char err[256] = "", title[64];
	enum pstatus st;

	if ((number = doc_number(c)) == NULL)
		return;
	who_init(c, &w);
	st = docs_load(&w, number, c->a, &doc, err, sizeof(err));
	if (st == PS_NOTFOUND) {
		web_error(c, 404);
		return;
	}
	if (st != PS_OK) {
		log_fail("doc_print_failed", st, err);
		web_error(c, 500);
		return;
	}
	snprintf(title, sizeof(title), "%s %s", pdf_kind_title(doc.kind),
	    doc.number);
	if ((d = web_page_data(c, title, "billing_documents")) == NULL ||
	    doc_val(d, &doc, doc.currency ? doc.currency : "USD") != 0) {
		web_error(c, 500);
		return;
	}
	if (c->req->method != HTTP_HEAD) /* a HEAD changes nothing */
		db_audit(w.db, w.practice_id, w.client_id, w.user_id,
		    DB_ACTOR_CLIENT, "doc.print", number, w.ip);
	web_render(c, "document_print", d);
}

/* ---- Payment History ---- */

/* Checks the range of c's query into from/to; on a problem msg holds the
 * sentence to show and PS_INVALID is returned. */
static enum pstatus
range_of(struct ctx *c, char from[11], char to[11], char *msg, size_t msgsz)
{
	if (c->nerrs > 0) {
		/* Longer than a date, or not text at all. */
		docs_range(
		    NULL, NULL, c->practice->tz, c->now, from, to, NULL, 0);
		errbuf_set(msg, msgsz,
		    "Enter the dates as YYYY-MM-DD, for example %s.", to);
		return PS_INVALID;
	}
	return docs_range(param(c, "from"), param(c, "to"), c->practice->tz,
	    c->now, from, to, msg, msgsz);
}

void
h_docs_history(struct ctx *c)
{
	struct docs_who w;
	struct docs_history h;
	struct tmpl_val *d, *list, *o;
	char from[11], to[11], msg[256], date[32];
	const char *cur = currency(c);
	static const char *const types[] = {"Invoice", "Payment", "Refund"};
	enum pstatus st;
	size_t i;

	memset(&h, 0, sizeof(h));
	who_init(c, &w);
	if ((d = web_page_data(c, "Payment History", "history")) == NULL) {
		web_error(c, 500);
		return;
	}
	st = range_of(c, from, to, msg, sizeof(msg));
	if (st == PS_INVALID) {
		const char *pf = param(c, "from"), *pt = param(c, "to");

		tv_str(d, "alert", msg);
		tv_str(d, "range_error", msg);
		/* Show what the client typed, so it can be corrected. */
		tv_str(d, "from", pf != NULL ? pf : from);
		tv_str(d, "to", pt != NULL ? pt : to);
		web_render(c, "history", d);
		return;
	}
	if ((st = docs_history(&w, from, to, &h)) != PS_OK) {
		log_fail("history_failed", st, db_errmsg(w.db));
		web_error(c, 500);
		return;
	}
	tv_str(d, "from", from);
	tv_str(d, "to", to);
	tv_bool(d, "ok", 1);
	tv_str(d, "from_text", date_text(from, date, sizeof(date)));
	tv_str(d, "to_text", date_text(to, date, sizeof(date)));
	tv_bool(d, "has_rows", h.n > 0);
	tv_money(d, "invoiced", h.invoiced, cur);
	tv_money(d, "paid", h.paid, cur);
	tv_money(d, "refunded", h.refunded, cur);
	tv_bool(d, "has_refunds", h.refunded > 0);
	if ((list = tv_list(d, "rows")) == NULL)
		goto nomem;
	for (i = 0; i < h.n; i++) {
		const struct docs_hist_row *r = &h.rows[i];

		if ((o = tv_push(list)) == NULL)
			goto nomem;
		tv_str(o, "date", date_text(r->date, date, sizeof(date)));
		tv_str(o, "iso_date", r->date);
		tv_str(o, "type", types[r->kind <= 2 ? r->kind : 0]);
		tv_str(o, "number", r->number);
		tv_str(o, "description", r->description);
		tv_money(o, "amount", r->amount, cur);
		if (r->kind == DBD_E_INVOICE)
			tv_str(o, "status", r->due > 0 ? "Unpaid" : "Paid");
		else
			tv_str(o, "status",
			    r->kind == DBD_E_PAYMENT ? "Paid" : "Refunded");
	}
	docs_history_free(&h);
	web_render(c, "history", d);
	return;
nomem:
	docs_history_free(&h);
	web_error(c, 500);
}

void
h_docs_history_csv(struct ctx *c)
{
	struct docs_who w;
	struct docs_history h;
	char from[11], to[11], msg[256], disp[128];
	enum pstatus st;

	memset(&h, 0, sizeof(h));
	who_init(c, &w);
	if (range_of(c, from, to, msg, sizeof(msg)) != PS_OK) {
		/* The page, with the message, instead of a file. */
		h_docs_history(c);
		return;
	}
	if ((st = docs_history(&w, from, to, &h)) != PS_OK) {
		log_fail("history_csv_failed", st, db_errmsg(w.db));
		web_error(c, 500);
		return;
	}
	c->resp->body.n = 0;
	st = docs_history_csv(&h, currency(c), &c->resp->body);
	docs_history_free(&h);
	snprintf(disp, sizeof(disp),
	    "attachment; filename=\"payment-history-%s-to-%s.csv\"", from, to);
	if (st != PS_OK ||
	    http_response_header(
	        c->resp, "Content-Type", "text/csv; charset=utf-8") != PS_OK ||
	    http_response_header(c->resp, "Content-Disposition", disp) !=
	        PS_OK) {
		c->resp->body.n = 0;
		web_error(c, 500);
	}
}
