/* smtp.c: the SMTP client (libcurl smtp:// and smtps://, STARTTLS through
 * CURLOPT_USE_SSL, AUTH with the configured user) and the sender that
 * works through the outbox one claimed message at a time. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "crypto/crypto.h"
#include "mail/mail.h"

struct mail_smtp {
	CURL *curl;
	const struct conf_mail *mc;
	char *password; /* NULL = no AUTH; wiped at close */
};

/* The upload of one message. */
struct upload {
	const char *p;
	size_t n, off;
};

static size_t
read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t room = size * nmemb, k = u->n - u->off;

	if (k > room)
		k = room;
	memcpy(dst, u->p + u->off, k);
	u->off += k;
	return k;
}

enum pstatus
mail_smtp_open(const struct conf_mail *mc, const char *password,
    struct mail_smtp **out, char *err, size_t errsz)
{
	struct mail_smtp *s = NULL;
	enum pstatus st = PS_ERROR;

	*out = NULL;
	if (mc->smtp_url == NULL || mc->from == NULL) {
		errbuf_set(err, errsz,
		    "mail: smtp_url and from are not set in portal.yaml");
		return PS_INVALID;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		errbuf_set(err, errsz, "curl_global_init failed");
		return PS_ERROR;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		st = PS_NOMEM;
		goto out;
	}
	s->mc = mc;
	if (password != NULL && (s->password = strdup(password)) == NULL) {
		st = PS_NOMEM;
		goto out;
	}
	if ((s->curl = curl_easy_init()) == NULL) {
		errbuf_set(err, errsz, "curl_easy_init failed");
		goto out;
	}
	*out = s;
	s = NULL;
	st = PS_OK;
out:
	mail_smtp_close(s);
	return st;
}

void
mail_smtp_close(struct mail_smtp *s)
{
	if (s == NULL)
		return;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	if (s->password != NULL) {
		crypto_wipe(s->password, strlen(s->password));
		free(s->password);
	}
	free(s);
}

enum pstatus
mail_smtp_send(struct mail_smtp *s, const char *to, const char *msg, size_t n,
    char *err, size_t errsz)
{
	static const long tls[] = {[CONF_TLS_OFF] = CURLUSESSL_NONE,
	    [CONF_TLS_TRY] = CURLUSESSL_TRY,
	    [CONF_TLS_REQUIRED] = CURLUSESSL_ALL};
	const struct conf_mail *mc = s->mc;
	char from[DB_EMAIL_MAX + 3], rcpt[DB_EMAIL_MAX + 3];
	struct curl_slist *rl = NULL;
	struct upload u = {msg, n, 0};
	CURL *c = s->curl;
	CURLcode cc;
	long code = 0;
	enum pstatus st = PS_RETRY;

	snprintf(from, sizeof(from), "<%s>", mc->from);
	snprintf(rcpt, sizeof(rcpt), "<%s>", to);
	if ((rl = curl_slist_append(NULL, rcpt)) == NULL) {
		errbuf_set(err, errsz, "out of memory");
		return PS_RETRY;
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, mc->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, tls[mc->starttls]);
	if (mc->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, mc->ca_file);
	if (mc->username != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, mc->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
		    s->password != NULL ? s->password : "");
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rl);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)n);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)mc->timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)mc->timeout * 4);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK) {
		st = PS_OK;
	} else {
		/* 5xx is the server's "never": a bad recipient, a refused
		 * sender. Anything else (no connection, TLS, 4xx) may work
		 * later. The URL and the password never go in err. */
		st = code >= 500 && code < 600 ? PS_DECLINED : PS_RETRY;
		if (code != 0)
			errbuf_set(err, errsz, "SMTP: %s, server said %ld",
			    curl_easy_strerror(cc), code);
		else
			errbuf_set(
			    err, errsz, "SMTP: %s", curl_easy_strerror(cc));
	}
	curl_slist_free_all(rl);
	return st;
}

/* Back-off before try attempts + 1: retry_base * 2^(attempts - 1), at
 * most retry_max. */
static int64_t
backoff(const struct conf_mail *mc, int64_t attempts)
{
	int64_t d = mc->retry_base;

	while (--attempts > 0 && d < mc->retry_max)
		d *= 2;
	return d < mc->retry_max ? d : mc->retry_max;
}

/* Sends claimed message m; returns the outcome for the outbox. */
static enum pstatus
send_one(const struct portal_conf *conf, struct mail_smtp *s,
    const struct dbm_msg *m, int64_t now, char *err, size_t errsz)
{
	char token[MAIL_TOKEN_MAX + 1] = "", mid[300];
	const struct practice_conf *pc = conf_practice(conf, m->practice_slug);
	struct mail_text t;
	struct buf msg = {0};
	enum pstatus st;

	memset(&t, 0, sizeof(t));
	if (m->secret_box[0] != '\0' &&
	    mail_box_open(conf->secret_key, conf->secret_key_len, m->secret_box,
	        token) != PS_OK) {
		errbuf_set(err, errsz,
		    "the link token was sealed under another secret key");
		st = PS_DECLINED;
		goto out;
	}
	st = mail_render(
	    pc, conf->base_url, m, token[0] ? token : NULL, &t, err, errsz);
	if (st == PS_INVALID) {
		st = PS_DECLINED;
		goto out;
	}
	if (st != PS_OK) {
		errbuf_set(err, errsz, "out of memory");
		st = PS_RETRY;
		goto out;
	}
	mail_message_id(
	    m->id, m->created_at, conf->mail.from, mid, sizeof(mid));
	if (mail_mime(pc != NULL ? pc->name : NULL, conf->mail.from, m->to, mid,
	        now, &t, &msg) != PS_OK) {
		errbuf_set(err, errsz, "out of memory");
		st = PS_RETRY;
		goto out;
	}
	st = mail_smtp_send(s, m->to, msg.p, msg.n, err, errsz);
out:
	if (msg.p != NULL)
		crypto_wipe(msg.p, msg.n);
	buf_free(&msg);
	if (t.text.p != NULL)
		crypto_wipe(t.text.p, t.text.n);
	if (t.html.p != NULL)
		crypto_wipe(t.html.p, t.html.n);
	mail_text_free(&t);
	crypto_wipe(token, sizeof(token));
	return st;
}

enum pstatus
mail_send_due(struct db *db, const struct portal_conf *conf,
    struct mail_smtp *s, int limit, FILE *report, struct mail_run *run,
    char *err, size_t errsz)
{
	const struct conf_mail *mc = &conf->mail;
	const int64_t t0 = (int64_t)time(NULL);
	struct dbm_msg *m;
	enum pstatus st = PS_OK, sst, dst;
	char why[256];
	int n = 0;

	memset(run, 0, sizeof(*run));
	if ((m = malloc(sizeof(*m))) == NULL) {
		errbuf_set(err, errsz, "out of memory");
		return PS_ERROR;
	}
	/* Due at the start of the run: a message given back with back-off
	 * waits for a later run, even when the back-off has passed. */
	while (limit == 0 || n < limit) {
		int64_t now = (int64_t)time(NULL), next = 0;

		st = dbm_claim(db, t0, now - mc->claim_timeout, now, m);
		if (st == PS_NOTFOUND) {
			st = PS_OK;
			break;
		}
		if (st != PS_OK) {
			errbuf_set(err, errsz, "claim: %s", db_errmsg(db));
			st = PS_ERROR;
			break;
		}
		n++;
		why[0] = '\0';
		sst = send_one(conf, s, m, now, why, sizeof(why));
		if (sst == PS_OK) {
			/* Accepted. Should this update be lost, the row is
			 * sent again after claim_timeout with the same
			 * Message-ID. */
			dst = dbm_sent(db, m->id, (int64_t)time(NULL));
			run->sent++;
			if (report != NULL)
				fprintf(report, "mail %lld %s to %s: sent\n",
				    (long long)m->id, m->kind, m->to);
		} else {
			if (sst == PS_RETRY && m->attempts < mc->max_attempts)
				next = now + backoff(mc, m->attempts);
			dst = dbm_failed(db, m->id, next, why);
			if (next != 0)
				run->retried++;
			else
				run->failed++;
			if (report != NULL)
				fprintf(report,
				    "mail %lld %s to %s: %s (try %lld): %s\n",
				    (long long)m->id, m->kind, m->to,
				    next != 0 ? "will retry" : "failed",
				    (long long)m->attempts, why);
		}
		if (dst != PS_OK && dst != PS_NOTFOUND) {
			errbuf_set(err, errsz, "mail %lld: %s",
			    (long long)m->id, db_errmsg(db));
			st = PS_ERROR;
			break;
		}
	}
	crypto_wipe(m, sizeof(*m));
	free(m);
	return st;
}
