/* mail.c: queueing (params, the sealed link token), the words of every
 * message in plain text and HTML, the Message-ID and the MIME form. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "mail/mail.h"

#define NONCE_LEN 12
#define TAG_LEN   8
#define TOKEN_MAX MAIL_TOKEN_MAX

/* ---- params ---- */

void
mail_params_init(struct mail_params *p)
{
	p->p[0] = '\0';
	p->n = 0;
	p->overflow = 0;
}

void
mail_param(struct mail_params *p, const char *key, const char *fmt, ...)
{
	char v[1024];
	va_list ap;
	size_t i;
	int n;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] == '\r' || v[i] == '\n')
			v[i] = ' ';
	n = snprintf(p->p + p->n, sizeof(p->p) - p->n, "%s=%s\n", key, v);
	if (n < 0 || (size_t)n >= sizeof(p->p) - p->n) {
		p->p[p->n] = '\0';
		p->overflow = 1;
		return;
	}
	p->n += (size_t)n;
}

int
mail_param_get(const char *params, const char *key, char *out, size_t outsz)
{
	size_t kl = strlen(key), n;
	const char *s = params, *e;

	out[0] = '\0';
	while (s != NULL && *s != '\0') {
		e = strchr(s, '\n');
		n = e != NULL ? (size_t)(e - s) : strlen(s);
		if (n > kl && strncmp(s, key, kl) == 0 && s[kl] == '=') {
			n -= kl + 1;
			if (n >= outsz)
				n = outsz - 1;
			memcpy(out, s + kl + 1, n);
			out[n] = '\0';
			return 1;
		}
		s = e != NULL ? e + 1 : NULL;
	}
	return 0;
}

/* ---- the sealed link token ----
 * box = hex(nonce[12] || token XOR keystream || tag[8]), where keystream
 * block i is HMAC-SHA256(key, "mail-box" || nonce || i) and tag the first
 * 8 bytes of HMAC-SHA256(key, "mail-tag" || nonce || ciphertext): a PRF in
 * counter mode with encrypt-then-MAC, so the outbox row alone never gives
 * away a working link. */

static enum pstatus
keystream(const unsigned char *key, size_t keylen, const unsigned char *nonce,
    unsigned char *ks, size_t n)
{
	unsigned char msg[8 + NONCE_LEN + 1], blk[32];
	size_t off = 0;
	unsigned char i = 0;

	memcpy(msg, "mail-box", 8);
	memcpy(msg + 8, nonce, NONCE_LEN);
	while (off < n) {
		size_t k = n - off < 32 ? n - off : 32;

		msg[8 + NONCE_LEN] = i++;
		if (crypto_hmac_sha256(key, keylen, msg, sizeof(msg), blk) !=
		    PS_OK)
			return PS_ERROR;
		memcpy(ks + off, blk, k);
		off += k;
	}
	crypto_wipe(blk, sizeof(blk));
	return PS_OK;
}

static enum pstatus
box_tag(const unsigned char *key, size_t keylen, const unsigned char *nc,
    size_t n, unsigned char tag[32])
{
	unsigned char msg[8 + NONCE_LEN + TOKEN_MAX];

	memcpy(msg, "mail-tag", 8);
	memcpy(msg + 8, nc, NONCE_LEN + n);
	return crypto_hmac_sha256(key, keylen, msg, 8 + NONCE_LEN + n, tag);
}

static void
to_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
from_hex(const char *s, unsigned char *out, size_t max, size_t *n)
{
	size_t i, l = strlen(s);

	if (l % 2 != 0 || l / 2 > max)
		return 0;
	for (i = 0; i < l; i++) {
		int v = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
		        : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
		                                     : -1;

		if (v < 0)
			return 0;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	*n = l / 2;
	return 1;
}

enum pstatus
mail_box_seal(const unsigned char *key, size_t keylen, const char *token,
    char out[DBM_BOX_MAX + 1])
{
	unsigned char b[NONCE_LEN + TOKEN_MAX + TAG_LEN], ks[TOKEN_MAX],
	    tag[32];
	size_t n = strlen(token), i;
	enum pstatus st = PS_ERROR;

	if (n == 0 || n > TOKEN_MAX ||
	    2 * (NONCE_LEN + n + TAG_LEN) > DBM_BOX_MAX)
		return PS_INVALID;
	if (crypto_random(b, NONCE_LEN) != PS_OK ||
	    keystream(key, keylen, b, ks, n) != PS_OK)
		goto out;
	for (i = 0; i < n; i++)
		b[NONCE_LEN + i] = (unsigned char)token[i] ^ ks[i];
	if (box_tag(key, keylen, b, n, tag) != PS_OK)
		goto out;
	memcpy(b + NONCE_LEN + n, tag, TAG_LEN);
	to_hex(b, NONCE_LEN + n + TAG_LEN, out);
	st = PS_OK;
out:
	crypto_wipe(ks, sizeof(ks));
	return st;
}

enum pstatus
mail_box_open(const unsigned char *key, size_t keylen, const char *box,
    char token[MAIL_TOKEN_MAX + 1])
{
	unsigned char b[NONCE_LEN + TOKEN_MAX + TAG_LEN], ks[TOKEN_MAX],
	    tag[32];
	size_t n, i;
	enum pstatus st = PS_INVALID;

	token[0] = '\0';
	if (!from_hex(box, b, sizeof(b), &n) || n <= NONCE_LEN + TAG_LEN)
		return PS_INVALID;
	n -= NONCE_LEN + TAG_LEN;
	if (box_tag(key, keylen, b, n, tag) != PS_OK ||
	    !crypto_ct_eq(tag, b + NONCE_LEN + n, TAG_LEN) ||
	    keystream(key, keylen, b, ks, n) != PS_OK)
		goto out;
	for (i = 0; i < n; i++)
		token[i] = (char)(b[NONCE_LEN + i] ^ ks[i]);
	token[n] = '\0';
	st = PS_OK;
out:
	crypto_wipe(ks, sizeof(ks));
	return st;
}

enum pstatus
mail_queue(struct db *db, const struct mail_new *m, int64_t now, int *queued)
{
	char box[DBM_BOX_MAX + 1] = "";
	struct dbm_new r;
	enum pstatus st;

	if (queued != NULL)
		*queued = 0;
	if (m->params != NULL && m->params->overflow)
		return PS_INVALID;
	if (m->token != NULL) {
		if (m->key == NULL || m->keylen == 0)
			return PS_INVALID;
		if ((st = mail_box_seal(m->key, m->keylen, m->token, box)) !=
		    PS_OK)
			return st;
	}
	r.practice_id = m->practice_id;
	r.client_id = m->client_id;
	r.kind = m->kind;
	r.to = m->to;
	r.params = m->params != NULL ? m->params->p : "";
	r.secret_box = m->token != NULL ? box : NULL;
	r.dedupe_key = m->dedupe_key;
	st = dbm_queue(db, &r, now, queued);
	crypto_wipe(box, sizeof(box));
	return st;
}

/* ---- words ---- */

/* One message's content before formatting: a greeting, paragraphs, an
 * optional link (label and URL) and optional rows of a table. */
#define MAX_PARAS 6
#define MAX_ROWS  200

struct words {
	char subject[1024];
	char greeting[256];
	char paras[MAX_PARAS][1024];
	size_t nparas;
	char link_label[80];
	char link_url[400];
	char rows[MAX_ROWS][2][320];
	size_t nrows;
};

static void para(struct words *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
para(struct words *w, const char *fmt, ...)
{
	va_list ap;

	if (w->nparas == MAX_PARAS)
		return;
	va_start(ap, fmt);
	vsnprintf(w->paras[w->nparas++], sizeof(w->paras[0]), fmt, ap);
	va_end(ap);
}

static void
html_esc(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_append(b, s, 1);
		}
	}
}

/* Amount text from the "amount" and "currency" params. */
static void
amount_of(const char *params, const char *key, char *out, size_t outsz)
{
	char a[32], cur[8];
	int64_t cents = 0;

	mail_param_get(params, key, a, sizeof(a));
	mail_param_get(params, "currency", cur, sizeof(cur));
	if (util_strtonum(a, strlen(a), 0, INT64_MAX / 2, &cents, NULL, 0) !=
	    PS_OK)
		cents = 0;
	money_format(cents, cur[0] ? cur : "USD", out, outsz);
}

static enum pstatus
words_of(const struct practice_conf *pc, const char *base_url,
    const struct dbm_msg *m, const char *token, struct words *w, char *err,
    size_t errsz)
{
	const char *pn = pc != NULL ? pc->name : m->practice_slug;
	const char *k = m->kind;
	char amt[64], v1[256], v2[256], v3[64];

	memset(w, 0, sizeof(*w));
	if (m->first_name[0] != '\0')
		snprintf(w->greeting, sizeof(w->greeting), "Hello %s,",
		    m->first_name);
	else
		snprintf(w->greeting, sizeof(w->greeting), "Hello,");
	amount_of(m->params, "amount", amt, sizeof(amt));
	if ((strcmp(k, MAIL_INVITE) == 0 || strcmp(k, MAIL_RESET) == 0) &&
	    (token == NULL || token[0] == '\0')) {
		errbuf_set(err, errsz, "%s message without its link token", k);
		return PS_INVALID;
	}
	if (strcmp(k, MAIL_INVITE) == 0) {
		snprintf(w->subject, sizeof(w->subject),
		    "Your client portal invitation from %s", pn);
		para(w,
		    "%s invites you to its client portal, where you can keep "
		    "a card on file, pay your balance and read your billing "
		    "documents.",
		    pn);
		para(w,
		    "Open the link below to set your password. It works once "
		    "and expires in 7 days.");
		snprintf(
		    w->link_label, sizeof(w->link_label), "Set your password");
		snprintf(w->link_url, sizeof(w->link_url), "%s/invite/%s",
		    base_url, token);
	} else if (strcmp(k, MAIL_RESET) == 0) {
		snprintf(w->subject, sizeof(w->subject),
		    "Reset your %s portal password", pn);
		para(w,
		    "Someone asked to reset the password of your %s client "
		    "portal account. Open the link below to choose a new one. "
		    "It works once and expires in 1 hour.",
		    pn);
		para(w,
		    "If you did not ask for this, ignore this message: your "
		    "password stays as it is.");
		snprintf(w->link_label, sizeof(w->link_label),
		    "Choose a new password");
		snprintf(w->link_url, sizeof(w->link_url), "%s/reset/%s",
		    base_url, token);
	} else if (strcmp(k, MAIL_RECEIPT) == 0 ||
	           strcmp(k, MAIL_AUTOPAY_PAID) == 0) {
		int ap = strcmp(k, MAIL_AUTOPAY_PAID) == 0;

		mail_param_get(m->params, "number", v1, sizeof(v1));
		snprintf(w->subject, sizeof(w->subject), "%s %s from %s",
		    ap ? "AutoPay receipt" : "Receipt", v1, pn);
		para(w, "Thank you. %s received your %spayment of %s.", pn,
		    ap ? "AutoPay " : "", amt);
		para(w,
		    "Your receipt is %s. You can read, download or print it "
		    "under Billing Documents.",
		    v1);
		snprintf(
		    w->link_label, sizeof(w->link_label), "Billing Documents");
		snprintf(w->link_url, sizeof(w->link_url),
		    "%s/billing/documents", base_url);
	} else if (strcmp(k, MAIL_AUTOPAY_DECLINED) == 0) {
		snprintf(w->subject, sizeof(w->subject),
		    "Your AutoPay payment to %s did not go through", pn);
		para(w,
		    "Last night's AutoPay charge of %s for your %s balance "
		    "was declined. Nothing was charged.",
		    amt, pn);
		para(w,
		    "Please check your card on file, add a new card, or pay "
		    "your balance in the portal. AutoPay will try again on "
		    "the next night.");
		snprintf(
		    w->link_label, sizeof(w->link_label), "Payment Methods");
		snprintf(w->link_url, sizeof(w->link_url),
		    "%s/billing/payment-methods", base_url);
	} else if (strcmp(k, MAIL_AUTOPAY_ACTION) == 0) {
		snprintf(w->subject, sizeof(w->subject),
		    "Your bank needs you to confirm a payment to %s", pn);
		para(w,
		    "Last night's AutoPay charge of %s for your %s balance "
		    "needs you to confirm it with your bank. Nothing was "
		    "charged yet.",
		    amt, pn);
		para(w,
		    "Sign in to the portal and follow the steps on Billing & "
		    "Payments to complete the payment.");
		snprintf(
		    w->link_label, sizeof(w->link_label), "Billing & Payments");
		snprintf(
		    w->link_url, sizeof(w->link_url), "%s/billing", base_url);
	} else if (strcmp(k, MAIL_AUTOPAY_OFF) == 0) {
		mail_param_get(m->params, "nights", v1, sizeof(v1));
		snprintf(w->subject, sizeof(w->subject),
		    "AutoPay is turned off for your %s account", pn);
		para(w,
		    "AutoPay could not charge your card on file for %s "
		    "nights in a row, so it is now turned off. Nothing more "
		    "will be charged automatically.",
		    v1[0] ? v1 : "3");
		para(w,
		    "Please update your card and pay your balance in the "
		    "portal, or ask %s to turn AutoPay on again.",
		    pn);
		snprintf(
		    w->link_label, sizeof(w->link_label), "Payment Methods");
		snprintf(w->link_url, sizeof(w->link_url),
		    "%s/billing/payment-methods", base_url);
	} else if (strcmp(k, MAIL_AUTOPAY_OFF_STAFF) == 0) {
		mail_param_get(m->params, "client", v1, sizeof(v1));
		mail_param_get(m->params, "nights", v2, sizeof(v2));
		snprintf(w->greeting, sizeof(w->greeting), "Hello,");
		snprintf(w->subject, sizeof(w->subject),
		    "%s: AutoPay turned off for %s", pn, v1);
		para(w,
		    "AutoPay failed for %s on %s nights in a row and has been "
		    "turned off. The client was told by email.",
		    v1, v2[0] ? v2 : "3");
		para(w, "To turn it on again once the card is fixed: portalctl "
		        "autopay enroll.");
	} else if (strcmp(k, MAIL_DOC_SHARED) == 0) {
		mail_param_get(m->params, "doc", v1, sizeof(v1));
		mail_param_get(m->params, "number", v2, sizeof(v2));
		if (strcmp(v1, "invoice") != 0 &&
		    strcmp(v1, "statement") != 0 &&
		    strcmp(v1, "superbill") != 0)
			snprintf(v1, sizeof(v1), "document");
		snprintf(
		    w->subject, sizeof(w->subject), "New %s from %s", v1, pn);
		para(w, "%s shared a new %s%s%s with you in the client portal.",
		    pn, v1, v2[0] ? " " : "", v2);
		para(w, "You can read, download or print it under Billing "
		        "Documents.");
		snprintf(
		    w->link_label, sizeof(w->link_label), "Billing Documents");
		snprintf(w->link_url, sizeof(w->link_url),
		    "%s/billing/documents", base_url);
	} else if (strcmp(k, MAIL_CARD_EXPIRING) == 0) {
		mail_param_get(m->params, "brand", v1, sizeof(v1));
		mail_param_get(m->params, "last4", v2, sizeof(v2));
		mail_param_get(m->params, "exp", v3, sizeof(v3));
		snprintf(w->subject, sizeof(w->subject),
		    "Your card on file with %s expires soon", pn);
		para(w,
		    "Your %s card ending in %s, on file with %s, expires at "
		    "the end of %s.",
		    v1[0] ? v1 : "saved", v2, pn, v3);
		para(w, "Please add your new card in the portal so that your "
		        "payments go through.");
		snprintf(
		    w->link_label, sizeof(w->link_label), "Payment Methods");
		snprintf(w->link_url, sizeof(w->link_url),
		    "%s/billing/payment-methods", base_url);
	} else if (strcmp(k, MAIL_AUTOPAY_SUMMARY) == 0) {
		const char *s = m->params, *e;

		mail_param_get(m->params, "night", v1, sizeof(v1));
		mail_param_get(m->params, "count", v2, sizeof(v2));
		amount_of(m->params, "total", amt, sizeof(amt));
		snprintf(w->greeting, sizeof(w->greeting), "Hello,");
		snprintf(w->subject, sizeof(w->subject),
		    "%s: AutoPay on the night of %s: %s charge%s, %s", pn, v1,
		    v2, strcmp(v2, "1") == 0 ? "" : "s", amt);
		para(w,
		    "On the night of %s AutoPay will charge %s client%s of %s "
		    "a total of %s:",
		    v1, v2, strcmp(v2, "1") == 0 ? "" : "s", pn, amt);
		while (s != NULL && *s != '\0' && w->nrows < MAX_ROWS) {
			e = strchr(s, '\n');
			if (strncmp(s, "line=", 5) == 0) {
				char line[300], *bar;
				size_t n = e != NULL ? (size_t)(e - s - 5)
				                     : strlen(s + 5);
				int64_t cents = 0;
				char cur[8];

				if (n >= sizeof(line))
					n = sizeof(line) - 1;
				memcpy(line, s + 5, n);
				line[n] = '\0';
				if ((bar = strrchr(line, '|')) != NULL) {
					*bar = '\0';
					util_strtonum(bar + 1, strlen(bar + 1),
					    0, INT64_MAX / 2, &cents, NULL, 0);
				}
				mail_param_get(
				    m->params, "currency", cur, sizeof(cur));
				snprintf(w->rows[w->nrows][0],
				    sizeof(w->rows[0][0]), "%s", line);
				money_format(cents, cur[0] ? cur : "USD",
				    w->rows[w->nrows][1],
				    sizeof(w->rows[0][1]));
				w->nrows++;
			}
			s = e != NULL ? e + 1 : NULL;
		}
		if (w->nrows == 0)
			para(w, "No client is due a charge.");
	} else {
		errbuf_set(err, errsz, "unknown message kind \"%s\"", k);
		return PS_INVALID;
	}
	return PS_OK;
}

void
mail_text_free(struct mail_text *t)
{
	buf_free(&t->subject);
	buf_free(&t->text);
	buf_free(&t->html);
}

enum pstatus
mail_render(const struct practice_conf *pc, const char *base_url,
    const struct dbm_msg *m, const char *token, struct mail_text *out,
    char *err, size_t errsz)
{
	const char *pn = pc != NULL ? pc->name : m->practice_slug;
	struct words *w;
	enum pstatus st;
	size_t i;

	memset(out, 0, sizeof(*out));
	if ((w = malloc(sizeof(*w))) == NULL)
		return PS_NOMEM;
	if ((st = words_of(pc, base_url, m, token, w, err, errsz)) != PS_OK)
		goto out;
	buf_puts(&out->subject, w->subject);
	/* Plain text. */
	buf_printf(&out->text, "%s\n\n", w->greeting);
	for (i = 0; i < w->nparas; i++)
		buf_printf(&out->text, "%s\n\n", w->paras[i]);
	for (i = 0; i < w->nrows; i++)
		buf_printf(
		    &out->text, "  %-40s %s\n", w->rows[i][0], w->rows[i][1]);
	if (w->nrows > 0)
		buf_puts(&out->text, "\n");
	if (w->link_url[0] != '\0')
		buf_printf(
		    &out->text, "%s:\n%s\n\n", w->link_label, w->link_url);
	buf_printf(&out->text, "%s\n", pn);
	if (pc != NULL && pc->phone != NULL)
		buf_printf(&out->text, "%s\n", pc->phone);
	/* HTML, every value escaped. */
	buf_puts(&out->html, "<!DOCTYPE html>\n<html><head><meta "
	                     "charset=\"utf-8\"><title>");
	html_esc(&out->html, w->subject);
	buf_puts(&out->html, "</title></head>\n<body style=\"font-family: "
	                     "sans-serif; line-height: 1.5\">\n<p>");
	html_esc(&out->html, w->greeting);
	buf_puts(&out->html, "</p>\n");
	for (i = 0; i < w->nparas; i++) {
		buf_puts(&out->html, "<p>");
		html_esc(&out->html, w->paras[i]);
		buf_puts(&out->html, "</p>\n");
	}
	if (w->nrows > 0) {
		buf_puts(&out->html, "<table>\n");
		for (i = 0; i < w->nrows; i++) {
			buf_puts(&out->html, "<tr><td>");
			html_esc(&out->html, w->rows[i][0]);
			buf_puts(&out->html,
			    "</td><td style=\"text-align: right\">");
			html_esc(&out->html, w->rows[i][1]);
			buf_puts(&out->html, "</td></tr>\n");
		}
		buf_puts(&out->html, "</table>\n");
	}
	if (w->link_url[0] != '\0') {
		buf_puts(&out->html, "<p><a href=\"");
		html_esc(&out->html, w->link_url);
		buf_puts(&out->html, "\">");
		html_esc(&out->html, w->link_label);
		buf_puts(&out->html, "</a></p>\n");
	}
	buf_puts(&out->html, "<p>");
	html_esc(&out->html, pn);
	if (pc != NULL && pc->phone != NULL) {
		buf_puts(&out->html, "<br>");
		html_esc(&out->html, pc->phone);
	}
	buf_puts(&out->html, "</p>\n</body></html>\n");
	if (out->subject.p == NULL || out->text.p == NULL ||
	    out->html.p == NULL)
		st = PS_NOMEM;
out:
	crypto_wipe(w->link_url, sizeof(w->link_url));
	free(w);
	if (st != PS_OK)
		mail_text_free(out);
	return st;
}

void
mail_message_id(
    int64_t id, int64_t created_at, const char *from, char *out, size_t outsz)
{
	const char *at = from != NULL ? strrchr(from, '@') : NULL;

	snprintf(out, outsz, "<portal.%" PRId64 ".%" PRId64 "@%s>", id,
	    created_at, at != NULL && at[1] != '\0' ? at + 1 : "localhost");
}

/* Appends a header value: as is when printable ASCII, else as one RFC 2047
 * encoded word per 45 bytes (base64 of UTF-8). */
static void
header_text(struct buf *b, const char *s)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, n = strlen(s), off;
	int plain = 1;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			plain = 0;
	if (plain) {
		buf_puts(b, s);
		return;
	}
	for (off = 0; off < n;) {
		size_t k = n - off > 45 ? 45 : n - off;
		const unsigned char *p = (const unsigned char *)s + off;

		/* Do not split a UTF-8 sequence between two words. */
		while (off + k < n && k > 1 && (p[k] & 0xc0) == 0x80)
			k--;
		buf_puts(b, off == 0 ? "=?UTF-8?B?" : "\r\n =?UTF-8?B?");
		for (i = 0; i < k; i += 3) {
			unsigned v = (unsigned)p[i] << 16;
			char q[4];

			if (i + 1 < k)
				v |= (unsigned)p[i + 1] << 8;
			if (i + 2 < k)
				v |= p[i + 2];
			q[0] = b64[(v >> 18) & 63];
			q[1] = b64[(v >> 12) & 63];
			q[2] = i + 1 < k ? b64[(v >> 6) & 63] : '=';
			q[3] = i + 2 < k ? b64[v & 63] : '=';
			buf_append(b, q, 4);
		}
		buf_puts(b, "?=");
		off += k;
	}
}

/* Appends text with every line ending as CRLF (curl does the SMTP
 * dot-stuffing). */
static void
crlf(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			buf_puts(b, "\r\n");
		else if (*s != '\r')
			buf_append(b, s, 1);
	}
}

enum pstatus
mail_mime(const char *from_name, const char *from, const char *to,
    const char *message_id, int64_t date, const struct mail_text *t,
    struct buf *out)
{
	char when[64], bnd[48];
	time_t tt = (time_t)date;
	struct tm tm;
	unsigned char r[12];
	size_t i;

	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (crypto_random(r, sizeof(r)) != PS_OK)
		memset(r, 0x5a, sizeof(r));
	memcpy(bnd, "=_portal_", 9);
	to_hex(r, sizeof(r), bnd + 9);
	buf_puts(out, "From: ");
	if (from_name != NULL && from_name[0] != '\0') {
		/* A display name with specials goes quoted. */
		int q = 0;

		for (i = 0; from_name[i] != '\0'; i++)
			if (strchr("()<>[]:;@\\,.\"", from_name[i]) != NULL)
				q = 1;
		if (q) {
			buf_puts(out, "\"");
			for (i = 0; from_name[i] != '\0'; i++)
				if (from_name[i] != '"' && from_name[i] != '\\')
					buf_append(out, from_name + i, 1);
			buf_puts(out, "\"");
		} else {
			header_text(out, from_name);
		}
		buf_printf(out, " <%s>\r\n", from);
	} else {
		buf_printf(out, "%s\r\n", from);
	}
	buf_printf(out, "To: <%s>\r\n", to);
	buf_puts(out, "Subject: ");
	header_text(out, t->subject.p);
	buf_printf(out,
	    "\r\nDate: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
	    when, message_id, bnd);
	buf_printf(out,
	    "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n",
	    bnd);
	crlf(out, t->text.p);
	buf_printf(out,
	    "\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n",
	    bnd);
	crlf(out, t->html.p);
	buf_printf(out, "\r\n--%s--\r\n", bnd);
	return out->p != NULL ? PS_OK : PS_NOMEM;
}
