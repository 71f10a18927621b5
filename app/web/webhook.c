/* webhook.c: POST /webhooks/<practice>/<plugin>, the processor's
 * notifications. The raw body and the headers go to billing_webhook()
 * untouched (nginx passes the body as received); the plugin verifies the
 * signature on those bytes before anything is parsed. No session, no CSRF
 * token: the signature is the proof. */
#include <stdio.h>
#include <string.h>

#include "billing/billing.h"
#include "web/extern.h"

#define MAX_HOOK_HEADERS 64

/* Turns a CGI header param name ("HTTP_STRIPE_SIGNATURE") into its HTTP
 * spelling ("Stripe-Signature") in out[outsz]. */
static void
header_name(const char *cgi, char *out, size_t outsz)
{
	size_t i, o = 0;
	int start = 1;

	for (i = 0; cgi[i] != '\0' && o + 1 < outsz; i++) {
		char ch = cgi[i];

		if (ch == '_') {
			out[o++] = '-';
			start = 1;
			continue;
		}
		if (ch >= 'A' && ch <= 'Z' && !start)
			ch = (char)(ch - 'A' + 'a');
		out[o++] = ch;
		start = 0;
	}
	out[o] = '\0';
}

/* Answers status with a one-word plain-text body. */
static void
answer(struct ctx *c, int status, const char *word)
{
	c->resp->status = status;
	c->resp->body.n = 0;
	http_response_header(
	    c->resp, "Content-Type", "text/plain; charset=utf-8");
	if (buf_puts(&c->resp->body, word) != PS_OK ||
	    buf_puts(&c->resp->body, "\n") != PS_OK)
		c->resp->status = 500;
}

void
h_webhook(struct ctx *c)
{
	const struct str *slug = http_param(&c->params, "practice");
	const struct str *plugin = http_param(&c->params, "plugin");
	const struct practice_conf *p;
	const struct pgw_plugin *pl;
	struct pgw_http_header hdr[MAX_HOOK_HEADERS];
	struct gw_instance *gw;
	const char *what = "-";
	size_t i, n = 0;
	enum pstatus st;
	char q[80];

	if (slug == NULL || plugin == NULL ||
	    (p = conf_practice(c->app->conf, slug->p)) == NULL ||
	    (gw = app_gateway(c->app, p)) == NULL ||
	    (pl = gw_instance_plugin(gw)) == NULL ||
	    strcmp(pl->name, plugin->p) != 0) {
		/* Unknown practice, Online Payments off, or another
		 * processor than the practice uses now. */
		answer(c, 404, "unknown endpoint");
		return;
	}
	for (i = 0; i < c->req->nparams && n < MAX_HOOK_HEADERS; i++) {
		const struct http_field *f = &c->req->params[i];
		const char *name = NULL;
		char *spelt;

		if (f->name.n > 5 && memcmp(f->name.p, "HTTP_", 5) == 0)
			name = f->name.p + 5;
		else if (str_eq(f->name, "CONTENT_TYPE"))
			name = "CONTENT_TYPE";
		if (name == NULL)
			continue;
		if ((spelt = arena_alloc(c->a, strlen(name) + 1)) == NULL) {
			answer(c, 500, "error");
			return;
		}
		header_name(name, spelt, strlen(name) + 1);
		hdr[n].name = spelt;
		hdr[n].value = f->value.p;
		n++;
	}
	st = billing_webhook(c->t->db, p, web_practice_id(c, p), gw,
	    c->req->body, c->req->bodylen, hdr, n, c->now, &what);
	log_info("event=webhook practice=%s plugin=%s result=%s handled=%s",
	    p->slug, pl->name, pstatus_str(st), log_value(what, q, sizeof(q)));
	switch (st) {
	case PS_OK:
		answer(c, 200, "ok");
		break;
	case PS_DENIED:
	case PS_INVALID:
		answer(c, 400, "rejected");
		break;
	case PS_RETRY:
		answer(c, 503, "retry");
		break;
	default:
		answer(c, 500, "error");
		break;
	}
}
