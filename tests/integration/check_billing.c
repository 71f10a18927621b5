/* check_billing.c: integration tests of app/billing against a real MariaDB
 * and the real sandbox simulator through the real sandbox plugin (started
 * by tests/integration/billing.sh, which sets PORTAL_DB_SOCKET, SIM_URL,
 * PLUGIN_DIR, SIM_SECRET_FILE and top_srcdir): balances and allocations,
 * no partial payments, scoping, cards, declines, replayed and concurrent
 * form keys, timeouts and 500s after the charge settled by reconcile. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <mysql.h>

#include "billing/billing.h"
#include "db/db.h"
#include "db/db_billing.h"
#include "gw/gw.h"

#define TEST_DB "portal_billing_check"

static const char *sock, *sim_url, *plugin_dir, *secret_file, *whsec_file;
static char sql_dir[4096];

/* ---- simulator helpers (libcurl + jansson) ---- */

static size_t
grow(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;

	return buf_append(b, p, sz * n) == PS_OK ? sz * n : 0;
}

/* Sends method path (body may be NULL) to the simulator; returns the
 * parsed JSON answer (caller decrefs). */
static json_t *
sim(const char *method, const char *path, const char *body)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hd = NULL;
	struct buf b = {NULL, 0, 0};
	char url[1024];
	json_t *j;
	long code = 0;

	ck_assert_ptr_nonnull(h);
	snprintf(url, sizeof(url), "%s%s", sim_url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, grow);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	if (body != NULL) {
		hd = curl_slist_append(hd, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	}
	ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	ck_assert_msg(code == 200, "%s %s: HTTP %ld: %s", method, path, code,
	    b.p ? b.p : "");
	j = json_loads(b.p ? b.p : "", 0, NULL);
	ck_assert_ptr_nonnull(j);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	buf_free(&b);
	return j;
}

/* A one-time token for a test card number, minted server-side. */
static void
token(const char *number, char *out, size_t outsz)
{
	char body[128];
	json_t *j;

	snprintf(body, sizeof(body), "{\"number\": \"%s\"}", number);
	j = sim("POST", "/__test/tokens", body);
	snprintf(out, outsz, "%s", json_string_value(json_object_get(j, "id")));
	ck_assert_msg(strncmp(out, "tok_", 4) == 0, "token %s", out);
	json_decref(j);
}

static void
fault(const char *json)
{
	json_decref(sim("POST", "/__admin/faults", json));
}

/* Charges in the ledger under key (all charges when key is NULL), and
 * how many of them succeeded. */
static int
ledger(const char *key, int *succeeded)
{
	json_t *j = sim("GET", "/__admin/ledger", NULL), *ch;
	size_t i;
	int n = 0, ok = 0;

	json_array_foreach(json_object_get(j, "charges"), i, ch)
	{
		const char *k =
		    json_string_value(json_object_get(ch, "idempotency_key"));

		if (key != NULL && (k == NULL || strcmp(k, key) != 0))
			continue;
		n++;
		ok += strcmp(json_string_value(json_object_get(ch, "status")),
		          "succeeded") == 0;
	}
	json_decref(j);
	if (succeeded != NULL)
		*succeeded = ok;
	return n;
}

/* ---- fixtures ---- */

static struct practice_conf pc_on;

struct env {
	struct db *db;
	struct gw_instance *gw;
	int64_t practice_id;
};

static struct db *
open_db(void)
{
	struct db_params p;
	struct db *db = NULL;
	char err[512];

	memset(&p, 0, sizeof(p));
	p.socket = sock;
	p.user = "root";
	p.name = TEST_DB;
	p.timeout = 10;
	ck_assert_msg(
	    db_open(&p, &db, err, sizeof(err)) == PS_OK, "db_open: %s", err);
	return db;
}

static struct gw_instance *
open_gw(void)
{
	struct gw_conf_item items[] = {{"api_base", sim_url, NULL, 0, 0},
	    {"secret_key_file", secret_file, NULL, 0, 0},
	    {"publishable_key", "pk_test_sandbox", NULL, 0, 0},
	    {"timeout_ms", "1500", NULL, 0, 0},
	    {"webhook_secret_file", whsec_file, NULL, 0, 0}};
	struct gw_instance *gw = NULL;
	char err[1024];

	ck_assert_msg(gw_instance_open(plugin_dir, "sandbox", "demo", items, 5,
	                  &gw, err, sizeof(err)) == PS_OK,
	    "gw_instance_open: %s", err);
	return gw;
}

static void
env_open(struct env *e)
{
	e->db = open_db();
	e->gw = open_gw();
	ck_assert_int_eq(
	    db_practice_ensure(e->db, "demo", "Lakeside", &e->practice_id),
	    PS_OK);
}

static void
env_close(struct env *e)
{
	gw_instance_free(e->gw);
	db_close(e->db);
}

/* A new client of the practice with a unique email; w is set up to act
 * for it as the client. */
static void
new_client(struct env *e, struct billing_who *w)
{
	static int seq;
	char email[128];
	int64_t id;

	snprintf(email, sizeof(email), "c%d-%ld-%d@example.org", ++seq,
	    (long)time(NULL), (int)getpid());
	ck_assert_int_eq(db_client_create(e->db, e->practice_id, "Test",
	                     "Client", email, NULL, 100, &id),
	    PS_OK);
	memset(w, 0, sizeof(*w));
	w->db = e->db;
	w->practice = &pc_on;
	w->practice_id = e->practice_id;
	w->client_id = id;
	w->user_id = 0;
	w->actor = DB_ACTOR_CLIENT;
	w->ip = "127.0.0.1";
	w->gw = e->gw;
	w->now = (int64_t)time(NULL);
}

/* Adds an invoice of one line of amount cents issued on date. */
static int64_t
invoice(const struct billing_who *w, const char *date, int64_t amount)
{
	struct bill_line l = {
	    date, "Individual therapy session (50 min)", 1, amount};
	char number[BILL_NUMBER_MAX], msg[256];
	int64_t id = 0;

	ck_assert_msg(billing_invoice_create(w, date, NULL, &l, 1, &id, number,
	                  msg, sizeof(msg)) == PS_OK,
	    "invoice: %s", msg);
	ck_assert_msg(strncmp(number, "INV-", 4) == 0, "%s", number);
	return id;
}

static void
form_key(char out[BILL_FORM_KEY_SIZE])
{
	ck_assert_int_eq(billing_form_key_new(out), PS_OK);
}

/* Pays with a fresh token of card number. */
static enum pstatus
pay_token(const struct billing_who *w, enum bill_target target, int64_t inv,
    int64_t amount, const char *number, const char *fk,
    struct bill_pay_result *res)
{
	char tok[128];
	struct bill_pay_req r;

	token(number, tok, sizeof(tok));
	memset(&r, 0, sizeof(r));
	r.target = target;
	r.invoice_id = inv;
	r.amount = amount;
	r.token = tok;
	r.form_key = fk;
	return billing_pay(w, &r, res);
}

static void
attempt(struct env *e, int64_t id, struct dbb_attempt *a)
{
	ck_assert_int_eq(
	    dbb_attempt_get(e->db, e->practice_id, id, 0, a), PS_OK);
}

/* Sum of the allocations to invoice inv. */
static int64_t
alloc_sum(int64_t inv, int *rows)
{
	MYSQL *m = mysql_init(NULL);
	MYSQL_RES *r;
	MYSQL_ROW row;
	char q[256];
	int64_t v;

	ck_assert_ptr_nonnull(
	    mysql_real_connect(m, NULL, "root", NULL, TEST_DB, 0, sock, 0));
	snprintf(q, sizeof(q),
	    "SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM allocations "
	    "WHERE invoice_id = %lld",
	    (long long)inv);
	ck_assert_int_eq(mysql_query(m, q), 0);
	r = mysql_store_result(m);
	row = mysql_fetch_row(r);
	v = atoll(row[0]);
	if (rows != NULL)
		*rows = atoi(row[1]);
	mysql_free_result(r);
	mysql_close(m);
	return v;
}

/* ---- tests ---- */

START_TEST(test_balance_and_allocations)
{
	struct env e;
	struct billing_who w;
	struct bill_summary s;
	struct bill_invoice v;
	struct bill_pay_result res, res2;
	struct dbb_attempt a;
	char fk[BILL_FORM_KEY_SIZE];
	int64_t i1, i2, i3;
	int ok = 0, rows = 0;

	env_open(&e);
	new_client(&e, &w);
	i1 = invoice(&w, "2026-01-05", 12000);
	i2 = invoice(&w, "2026-02-05", 9500);
	i3 = invoice(&w, "2026-03-05", 15000);
	ck_assert_int_eq(billing_summary(&w, &s), PS_OK);
	ck_assert_int_eq(s.balance, 36500);
	ck_assert_uint_eq(s.nunpaid, 3);
	ck_assert_int_eq(s.unpaid[0].id, i1);
	ck_assert_int_eq(s.unpaid[2].id, i3);
	ck_assert_int_eq(s.unpaid[1].due, 9500);
	ck_assert_str_eq(
	    s.unpaid[0].description, "Individual therapy session (50 min)");
	ck_assert_int_eq(s.has_pending, 0);
	billing_summary_free(&s);

	/* One invoice. */
	form_key(fk);
	ck_assert_int_eq(
	    pay_token(&w, BILL_INVOICE, i2, 9500, "4242424242424242", fk, &res),
	    PS_OK);
	ck_assert_msg(
	    res.outcome == BILL_PAID, "%d %s", res.outcome, res.message);
	ck_assert_int_eq(res.replay, 0);
	ck_assert_int_eq(res.amount, 9500);
	ck_assert_msg(strncmp(res.receipt_number, "RCT-", 4) == 0, "%s",
	    res.receipt_number);
	ck_assert_msg(strstr(res.message, "$95.00") != NULL, "%s", res.message);
	attempt(&e, res.attempt_id, &a);
	ck_assert_str_eq(a.status, "succeeded");
	ck_assert_msg(strlen(a.idempotency_key) <= 45, "%s", a.idempotency_key);
	ck_assert_msg(strncmp(a.idempotency_key, "portal-demo-att-", 16) == 0,
	    "%s", a.idempotency_key);
	ck_assert_int_eq(ledger(a.idempotency_key, &ok), 1);
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(billing_invoice(&w, i2, &v), PS_OK);
	ck_assert_int_eq(v.paid, 9500);
	ck_assert_int_eq(v.due, 0);
	ck_assert_int_eq(billing_summary(&w, &s), PS_OK);
	ck_assert_int_eq(s.balance, 27000);
	ck_assert_uint_eq(s.nunpaid, 2);
	billing_summary_free(&s);

	/* The whole balance: applied to what is left, oldest first. */
	form_key(fk);
	ck_assert_int_eq(pay_token(&w, BILL_BALANCE, 0, 27000,
	                     "4242424242424242", fk, &res2),
	    PS_OK);
	ck_assert_msg(res2.outcome == BILL_PAID, "%s", res2.message);
	ck_assert_str_ne(res2.receipt_number, res.receipt_number);
	ck_assert_int_eq(alloc_sum(i1, &rows), 12000);
	ck_assert_int_eq(rows, 1);
	ck_assert_int_eq(alloc_sum(i2, &rows), 9500);
	ck_assert_int_eq(rows, 1);
	ck_assert_int_eq(alloc_sum(i3, &rows), 15000);
	ck_assert_int_eq(billing_summary(&w, &s), PS_OK);
	ck_assert_int_eq(s.balance, 0);
	ck_assert_uint_eq(s.nunpaid, 0);
	billing_summary_free(&s);

	/* Nothing due now. */
	form_key(fk);
	ck_assert_int_eq(
	    pay_token(&w, BILL_BALANCE, 0, 100, "4242424242424242", fk, &res),
	    PS_INVALID);
	ck_assert_msg(
	    strstr(res.message, "Nothing is due") != NULL, "%s", res.message);
	env_close(&e);
}
END_TEST

START_TEST(test_partial_refused)
{
	struct env e;
	struct billing_who w;
	struct bill_pay_result res;
	struct bill_summary s;
	char fk[BILL_FORM_KEY_SIZE];
	int64_t i1;
	int before = ledger(NULL, NULL);

	env_open(&e);
	new_client(&e, &w);
	i1 = invoice(&w, "2026-01-05", 12000);
	invoice(&w, "2026-01-06", 9500);
	form_key(fk);
	ck_assert_int_eq(
	    pay_token(&w, BILL_INVOICE, i1, 6000, "4242424242424242", fk, &res),
	    PS_INVALID);
	ck_assert_msg(strstr(res.message, "$120.00") != NULL &&
	                  strstr(res.message, "Partial payments") != NULL,
	    "%s", res.message);
	ck_assert_int_eq(
	    pay_token(&w, BILL_BALANCE, 0, 21501, "4242424242424242", fk, &res),
	    PS_INVALID);
	ck_assert_int_eq(
	    pay_token(&w, BILL_BALANCE, 0, 12000, "4242424242424242", fk, &res),
	    PS_INVALID);
	ck_assert_int_eq(ledger(NULL, NULL), before);
	ck_assert_int_eq(billing_summary(&w, &s), PS_OK);
	ck_assert_int_eq(s.balance, 21500);
	ck_assert_int_eq(s.has_pending, 0);
	billing_summary_free(&s);
	env_close(&e);
}
END_TEST

START_TEST(test_other_clients_things)
{
	struct env e;
	struct billing_who a, b;
	struct bill_card card;
	struct bill_invoice v;
	struct bill_pay_req r;
	struct bill_pay_result res;
	char tok[128], msg[256], fk[BILL_FORM_KEY_SIZE];
	int64_t ib;
	int before;

	env_open(&e);
	new_client(&e, &a);
	new_client(&e, &b);
	invoice(&a, "2026-01-05", 5000);
	ib = invoice(&b, "2026-01-05", 7000);
	token("4242424242424242", tok, sizeof(tok));
	ck_assert_int_eq(
	    billing_card_save(&b, tok, 1, &card, msg, sizeof(msg)), PS_OK);
	before = ledger(NULL, NULL);

	ck_assert_int_eq(billing_invoice(&a, ib, &v), PS_NOTFOUND);
	form_key(fk);
	ck_assert_int_eq(
	    pay_token(&a, BILL_INVOICE, ib, 7000, "4242424242424242", fk, &res),
	    PS_NOTFOUND);
	memset(&r, 0, sizeof(r));
	r.target = BILL_BALANCE;
	r.amount = 5000;
	r.card_id = card.id;
	form_key(fk);
	r.form_key = fk;
	ck_assert_int_eq(billing_pay(&a, &r, &res), PS_NOTFOUND);
	ck_assert_int_eq(billing_card_set_default(&a, card.id), PS_NOTFOUND);
	ck_assert_int_eq(billing_card_disable(&a, card.id), PS_NOTFOUND);
	ck_assert_int_eq(ledger(NULL, NULL), before);
	/* Still b's, still usable by b. */
	ck_assert_int_eq(billing_card_set_default(&b, card.id), PS_OK);
	env_close(&e);
}
END_TEST

START_TEST(test_save_card_charges_nothing)
{
	struct env e;
	struct billing_who w;
	struct bill_card c1, c2, *cards = NULL;
	char tok[128], msg[256];
	size_t n = 0;
	int before;

	env_open(&e);
	new_client(&e, &w);
	before = ledger(NULL, NULL);
	token("4242424242424242", tok, sizeof(tok));
	ck_assert_int_eq(
	    billing_card_save(&w, tok, 0, &c1, msg, sizeof(msg)), PS_OK);
	ck_assert_str_eq(c1.last4, "4242");
	ck_assert_str_eq(c1.brand, "visa");
	ck_assert_int_eq(c1.is_default, 1); /* the first card */
	ck_assert_int_ge(c1.exp_year, 2026);
	token("4000000000000341", tok, sizeof(tok));
	ck_assert_int_eq(
	    billing_card_save(&w, tok, 0, &c2, msg, sizeof(msg)), PS_OK);
	ck_assert_int_eq(c2.is_default, 0);
	ck_assert_int_eq(ledger(NULL, NULL), before);

	ck_assert_int_eq(billing_cards(&w, &cards, &n), PS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(cards[0].id, c1.id);
	ck_assert_int_eq(cards[0].is_default, 1);
	free(cards);
	ck_assert_int_eq(billing_card_set_default(&w, c2.id), PS_OK);
	ck_assert_int_eq(billing_cards(&w, &cards, &n), PS_OK);
	ck_assert_int_eq(cards[0].id, c2.id);
	ck_assert_int_eq(cards[0].is_default, 1);
	ck_assert_int_eq(cards[1].is_default, 0);
	free(cards);

	/* The clinician disables one: gone from the list, not chargeable. */
	ck_assert_int_eq(billing_card_disable(&w, c2.id), PS_OK);
	ck_assert_int_eq(billing_card_disable(&w, c2.id), PS_NOTFOUND);
	ck_assert_int_eq(billing_cards(&w, &cards, &n), PS_OK);
	ck_assert_uint_eq(n, 1);
	free(cards);
	ck_assert_int_eq(billing_card_set_default(&w, c2.id), PS_NOTFOUND);
	ck_assert_int_eq(ledger(NULL, NULL), before);
	env_close(&e);
}
END_TEST

START_TEST(test_declines)
{
	struct env e;
	struct billing_who w;
	struct bill_card c;
	struct bill_pay_result res;
	struct bill_pay_req r;
	struct bill_summary s;
	struct dbb_attempt a;
	char tok[128], msg[256], fk[BILL_FORM_KEY_SIZE];
	int64_t i1;
	int ok = 0;

	env_open(&e);
	new_client(&e, &w);
	i1 = invoice(&w, "2026-01-05", 12000);

	token("4000000000000002", tok, sizeof(tok));
	ck_assert_int_eq(
	    billing_card_save(&w, tok, 1, &c, msg, sizeof(msg)), PS_DECLINED);
	ck_assert_str_eq(msg, "Your card was declined.");

	form_key(fk);
	ck_assert_int_eq(pay_token(&w, BILL_INVOICE, i1, 12000,
	                     "4000000000000002", fk, &res),
	    PS_OK);
	ck_assert_int_eq(res.outcome, BILL_DECLINED);
	ck_assert_str_eq(res.message, "Your card was declined.");
	attempt(&e, res.attempt_id, &a);
	ck_assert_str_eq(a.status, "declined");
	ck_assert_str_eq(a.decline_code, "generic_decline");
	ck_assert_str_eq(a.message, "Your card was declined.");
	ck_assert_int_eq(ledger(a.idempotency_key, &ok), 1);
	ck_assert_int_eq(ok, 0);

	form_key(fk);
	ck_assert_int_eq(pay_token(&w, BILL_INVOICE, i1, 12000,
	                     "4000000000009995", fk, &res),
	    PS_OK);
	ck_assert_int_eq(res.outcome, BILL_DECLINED);
	ck_assert_str_eq(res.message, "Your card has insufficient funds.");
	attempt(&e, res.attempt_id, &a);
	ck_assert_str_eq(a.decline_code, "insufficient_funds");

	/* 0341: saves, but the charge fails. */
	token("4000000000000341", tok, sizeof(tok));
	ck_assert_int_eq(
	    billing_card_save(&w, tok, 1, &c, msg, sizeof(msg)), PS_OK);
	memset(&r, 0, sizeof(r));
	r.target = BILL_BALANCE;
	r.amount = 12000;
	r.card_id = c.id;
	form_key(fk);
	r.form_key = fk;
	ck_assert_int_eq(billing_pay(&w, &r, &res), PS_OK);
	ck_assert_int_eq(res.outcome, BILL_DECLINED);
	ck_assert_str_eq(res.message, "Your card was declined.");

	ck_assert_int_eq(billing_summary(&w, &s), PS_OK);
	ck_assert_int_eq(s.balance, 12000);
	ck_assert_int_eq(s.has_pending, 0);
	billing_summary_free(&s);
	env_close(&e);
}
END_TEST

/* Passes or fails the sandbox bank's challenge of act (its url names the
 * charge or payment method). */
static void
authenticate(const struct bill_action *act, const char *outcome)
{
	const char *url = "", *id;
	char body[256];
	uint32_t i;

	for (i = 0; i < act->nvalues; i++)
		if (strcmp(act->values[i].name, "url") == 0)
			url = act->values[i].value;
	id = strrchr(url, '/');
	ck_assert_msg(act->type != PGW_ACTION_NONE && id != NULL,
	    "a next action with a url: %s", url);
	ck_assert_str_eq(act->kind, "sandbox.authenticate");
	snprintf(body, sizeof(body), "{\"id\": \"%s\", \"outcome\": \"%s\"}",
	    id + 1, outcome);
	json_decref(sim("POST", "/__test/authenticate", body));
}

START_TEST(test_requires_action)
{
	struct env e;
	struct billing_who w;
	struct bill_card c;
	struct bill_action act;
	struct bill_pay_req r;
	struct bill_pay_result res, done;
	struct dbb_attempt a;
	struct bill_summary s;
	char tok[128], msg[256], fk[BILL_FORM_KEY_SIZE];
	int64_t i1;
	int ok = 0;

	env_open(&e);
	new_client(&e, &w);
	i1 = invoice(&w, "2026-01-05", 6000);
	form_key(fk);
	ck_assert_int_eq(
	    pay_token(&w, BILL_INVOICE, i1, 6000, "4000002760003184", fk, &res),
	    PS_OK);
	ck_assert_int_eq(res.outcome, BILL_REQUIRES_ACTION);
	ck_assert_msg(
	    strstr(res.message, "confirm") != NULL, "%s", res.message);
	attempt(&e, res.attempt_id, &a);
	ck_assert_str_eq(a.status, "requires_action");

	/* The client abandons the challenge: nothing charged, still
	 * waiting; then passes it: the same attempt is paid, once. */
	ck_assert_int_eq(
	    billing_pay_complete(&w, res.attempt_id, NULL, &done), PS_OK);
	ck_assert_int_eq(done.outcome, BILL_REQUIRES_ACTION);
	ck_assert_int_eq(ledger(a.idempotency_key, &ok), 1);
	ck_assert_int_eq(ok, 0);
	authenticate(&res.action, "succeed");
	ck_assert_int_eq(
	    billing_pay_complete(&w, res.attempt_id, NULL, &done), PS_OK);
	ck_assert_int_eq(done.outcome, BILL_PAID);
	ck_assert_int_eq(
	    billing_pay_complete(&w, res.attempt_id, NULL, &done), PS_OK);
	ck_assert_int_eq(done.outcome, BILL_PAID);
	ck_assert_int_eq(ledger(a.idempotency_key, &ok), 1);
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(billing_summary(&w, &s), PS_OK);
	ck_assert_int_eq(s.balance, 0);
	billing_summary_free(&s);

	/* Saving a card that needs authentication: a challenge first; a
	 * failed one saves nothing, a passed one saves the card. */
	token("4000002760003184", tok, sizeof(tok));
	ck_assert_int_eq(
	    billing_card_save(&w, tok, 1, &c, msg, sizeof(msg)), PS_DECLINED);
	token("4000002760003184", tok, sizeof(tok));
	ck_assert_int_eq(
	    billing_card_save_action(&w, tok, 1, &c, &act, msg, sizeof(msg)),
	    PS_OK);
	ck_assert_int_eq(c.id, 0);
	authenticate(&act, "succeed");
	ck_assert_int_eq(billing_card_setup_complete(
	                     &w, act.id, NULL, &c, &act, msg, sizeof(msg)),
	    PS_OK);
	ck_assert_int_ne(c.id, 0);

	/* Off session (AutoPay) on a saved card that needs authentication:
	 * the client must come back; nothing is open, nothing charged. */
	invoice(&w, "2026-01-06", 6000);
	memset(&r, 0, sizeof(r));
	r.target = BILL_BALANCE;
	r.amount = 6000;
	r.card_id = c.id;
	r.off_session = 1;
	form_key(fk);
	r.form_key = fk;
	ck_assert_int_eq(billing_pay(&w, &r, &res), PS_OK);
	ck_assert_int_eq(res.outcome, BILL_REQUIRES_ACTION);
	ck_assert_int_eq(billing_summary(&w, &s), PS_OK);
	ck_assert_int_eq(s.balance, 6000);
	ck_assert_int_eq(s.has_pending, 0);
	billing_summary_free(&s);
	env_close(&e);
}
END_TEST

START_TEST(test_replayed_form_key)
{
	struct env e;
	struct billing_who w;
	struct bill_card c;
	struct bill_pay_req r;
	struct bill_pay_result r1, r2;
	struct dbb_attempt a;
	char tok[128], msg[256], fk[BILL_FORM_KEY_SIZE];
	int ok = 0;

	env_open(&e);
	new_client(&e, &w);
	invoice(&w, "2026-01-05", 12000);
	token("4242424242424242", tok, sizeof(tok));
	ck_assert_int_eq(
	    billing_card_save(&w, tok, 1, &c, msg, sizeof(msg)), PS_OK);
	memset(&r, 0, sizeof(r));
	r.target = BILL_BALANCE;
	r.amount = 12000;
	r.card_id = c.id;
	form_key(fk);
	r.form_key = fk;
	ck_assert_int_eq(billing_pay(&w, &r, &r1), PS_OK);
	ck_assert_int_eq(r1.outcome, BILL_PAID);
	ck_assert_int_eq(billing_pay(&w, &r, &r2), PS_OK);
	ck_assert_int_eq(r2.outcome, BILL_PAID);
	ck_assert_int_eq(r2.replay, 1);
	ck_assert_int_eq(r2.attempt_id, r1.attempt_id);
	ck_assert_str_eq(r2.receipt_number, r1.receipt_number);
	attempt(&e, r1.attempt_id, &a);
	ck_assert_int_eq(ledger(a.idempotency_key, &ok), 1);
	ck_assert_int_eq(ok, 1);
	env_close(&e);
}
END_TEST

struct racer {
	struct billing_who w;
	struct bill_pay_req r;
	struct bill_pay_result res;
	enum pstatus st;
	pthread_barrier_t *bar;
};

static void *
race(void *p)
{
	struct racer *x = p;

	x->w.db = open_db();
	pthread_barrier_wait(x->bar);
	x->st = billing_pay(&x->w, &x->r, &x->res);
	db_close(x->w.db);
	return NULL;
}

START_TEST(test_concurrent_same_form_key)
{
	struct env e;
	struct billing_who w;
	struct bill_card c;
	struct racer x[2];
	pthread_t th[2];
	pthread_barrier_t bar;
	struct dbb_attempt a;
	struct bill_summary s;
	char tok[128], msg[256], fk[BILL_FORM_KEY_SIZE];
	int i, ok = 0, before;

	env_open(&e);
	new_client(&e, &w);
	invoice(&w, "2026-01-05", 15000);
	token("4242424242424242", tok, sizeof(tok));
	ck_assert_int_eq(
	    billing_card_save(&w, tok, 1, &c, msg, sizeof(msg)), PS_OK);
	form_key(fk);
	before = ledger(NULL, NULL);
	fault("{\"latency_ms\": 400}");
	pthread_barrier_init(&bar, NULL, 2);
	for (i = 0; i < 2; i++) {
		memset(&x[i], 0, sizeof(x[i]));
		x[i].w = w;
		x[i].bar = &bar;
		x[i].r.target = BILL_BALANCE;
		x[i].r.amount = 15000;
		x[i].r.card_id = c.id;
		x[i].r.form_key = fk;
		ck_assert_int_eq(pthread_create(&th[i], NULL, race, &x[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	fault("{}");
	pthread_barrier_destroy(&bar);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(x[i].st, PS_OK);
		ck_assert_msg(x[i].res.outcome == BILL_PAID, "%d: %s",
		    x[i].res.outcome, x[i].res.message);
	}
	ck_assert_int_eq(x[0].res.attempt_id, x[1].res.attempt_id);
	ck_assert_int_eq(x[0].res.replay + x[1].res.replay, 1);
	attempt(&e, x[0].res.attempt_id, &a);
	ck_assert_int_eq(ledger(a.idempotency_key, &ok), 1);
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(ledger(NULL, NULL), before + 1);
	ck_assert_int_eq(billing_summary(&w, &s), PS_OK);
	ck_assert_int_eq(s.balance, 0);
	billing_summary_free(&s);
	env_close(&e);
}
END_TEST

/* A fault after which the charge is recorded at the processor but the
 * answer is lost; reconcile must record it exactly once. */
static void
lost_answer(const char *knobs)
{
	struct env e;
	struct billing_who w;
	struct bill_pay_result res;
	struct bill_summary s;
	struct bill_invoice v;
	struct dbb_attempt a;
	char fk[BILL_FORM_KEY_SIZE], rep[4096];
	int64_t i1;
	int ok = 0, resolved = -1, left = -1, rows = 0;
	FILE *f;

	env_open(&e);
	new_client(&e, &w);
	i1 = invoice(&w, "2026-01-05", 12000);
	fault(knobs);
	form_key(fk);
	ck_assert_int_eq(pay_token(&w, BILL_INVOICE, i1, 12000,
	                     "4242424242424242", fk, &res),
	    PS_OK);
	fault("{}");
	ck_assert_msg(
	    res.outcome == BILL_PROCESSING, "%d %s", res.outcome, res.message);
	ck_assert_msg(strstr(res.message, "not be charged twice") != NULL, "%s",
	    res.message);
	attempt(&e, res.attempt_id, &a);
	ck_assert_str_eq(a.status, "unknown");
	ck_assert_int_eq(ledger(a.idempotency_key, &ok), 1);
	ck_assert_int_eq(ok, 1);
	ck_assert_int_eq(billing_summary(&w, &s), PS_OK);
	ck_assert_int_eq(s.has_pending, 1);
	ck_assert_int_eq(s.balance, 12000);
	billing_summary_free(&s);

	/* Another payment waits for this one to be settled. */
	form_key(fk);
	ck_assert_int_eq(pay_token(&w, BILL_INVOICE, i1, 12000,
	                     "4242424242424242", fk, &res),
	    PS_CONFLICT);

	/* Too young for a reconcile with a minimum age. */
	ck_assert_int_eq(billing_reconcile(e.db, &pc_on, e.practice_id, e.gw,
	                     w.now, 3600, NULL, &resolved, &left),
	    PS_OK);
	ck_assert_int_eq(resolved, 0);
	ck_assert_int_eq(left, 0);
	attempt(&e, a.id, &a);
	ck_assert_str_eq(a.status, "unknown");

	f = fmemopen(rep, sizeof(rep), "w");
	ck_assert_int_eq(billing_reconcile(e.db, &pc_on, e.practice_id, e.gw,
	                     w.now + 1, 0, f, &resolved, &left),
	    PS_OK);
	fclose(f);
	ck_assert_int_ge(resolved, 1);
	ck_assert_msg(
	    strstr(rep, "-> succeeded, receipt RCT-") != NULL, "%s", rep);
	attempt(&e, a.id, &a);
	ck_assert_str_eq(a.status, "succeeded");
	ck_assert_int_eq(billing_invoice(&w, i1, &v), PS_OK);
	ck_assert_int_eq(v.paid, 12000);
	ck_assert_int_eq(v.due, 0);
	ck_assert_int_eq(alloc_sum(i1, &rows), 12000);
	ck_assert_int_eq(rows, 1);
	ck_assert_int_eq(ledger(a.idempotency_key, &ok), 1);
	ck_assert_int_eq(ok, 1);

	/* Again: nothing left to do, nothing recorded twice. */
	ck_assert_int_eq(billing_reconcile(e.db, &pc_on, e.practice_id, e.gw,
	                     w.now + 2, 0, NULL, &resolved, &left),
	    PS_OK);
	ck_assert_int_eq(alloc_sum(i1, &rows), 12000);
	ck_assert_int_eq(rows, 1);
	ck_assert_int_eq(billing_summary(&w, &s), PS_OK);
	ck_assert_int_eq(s.has_pending, 0);
	ck_assert_int_eq(s.balance, 0);
	billing_summary_free(&s);
	env_close(&e);
}

START_TEST(test_timeout_then_reconcile)
{
	lost_answer("{\"timeout\": true, \"count\": 1}");
}
END_TEST

START_TEST(test_500_after_charge_then_reconcile)
{
	lost_answer("{\"fail_after_commit\": true, \"count\": 1}");
}
END_TEST

START_TEST(test_reconcile_never_sent)
{
	struct env e;
	struct billing_who w;
	struct dbb_attempt a;
	int64_t id;
	int resolved = 0, left = 0, before = ledger(NULL, NULL);
	struct bill_summary s;

	env_open(&e);
	new_client(&e, &w);
	invoice(&w, "2026-01-05", 4000);
	/* As if the worker died between step 1 and step 2. */
	memset(&a, 0, sizeof(a));
	a.practice_id = e.practice_id;
	a.client_id = w.client_id;
	strcpy(a.target, "balance");
	a.amount = 4000;
	strcpy(a.currency, "USD");
	strcpy(a.plugin, "sandbox");
	strcpy(a.source, "token");
	ck_assert_int_eq(dbb_attempt_insert(e.db, &a, w.now - 600, &id), PS_OK);
	ck_assert_int_eq(
	    dbb_attempt_set_key(e.db, id, "portal-demo-att-never"), PS_OK);
	ck_assert_int_eq(billing_reconcile(e.db, &pc_on, e.practice_id, e.gw,
	                     w.now, 60, NULL, &resolved, &left),
	    PS_OK);
	attempt(&e, id, &a);
	ck_assert_str_eq(a.status, "failed");
	ck_assert_str_eq(a.decline_code, "not_found");
	ck_assert_int_eq(ledger(NULL, NULL), before);
	ck_assert_int_eq(billing_summary(&w, &s), PS_OK);
	ck_assert_int_eq(s.balance, 4000);
	ck_assert_int_eq(s.has_pending, 0);
	billing_summary_free(&s);
	env_close(&e);
}
END_TEST

START_TEST(test_online_payments_off)
{
	struct env e;
	struct billing_who w;
	struct practice_conf off = pc_on;
	struct bill_pay_result res;
	struct bill_card c;
	char tok[128], msg[256], fk[BILL_FORM_KEY_SIZE];
	int64_t i1;
	int before = ledger(NULL, NULL);

	env_open(&e);
	new_client(&e, &w);
	i1 = invoice(&w, "2026-01-05", 12000);
	off.online_payments = 0;
	w.practice = &off;
	form_key(fk);
	ck_assert_int_eq(pay_token(&w, BILL_INVOICE, i1, 12000,
	                     "4242424242424242", fk, &res),
	    PS_DENIED);
	token("4242424242424242", tok, sizeof(tok));
	ck_assert_int_eq(
	    billing_card_save(&w, tok, 1, &c, msg, sizeof(msg)), PS_DENIED);
	/* No processor (the plugin failed to start): the same. */
	w.practice = &pc_on;
	w.gw = NULL;
	ck_assert_int_eq(pay_token(&w, BILL_INVOICE, i1, 12000,
	                     "4242424242424242", fk, &res),
	    PS_DENIED);
	ck_assert_int_eq(ledger(NULL, NULL), before);
	env_close(&e);
}
END_TEST

START_TEST(test_pay_and_save_card)
{
	struct env e;
	struct billing_who w;
	struct bill_pay_result res;
	struct bill_card *cards = NULL;
	struct bill_pay_req r;
	char tok[128], fk[BILL_FORM_KEY_SIZE];
	size_t n = 0;

	env_open(&e);
	new_client(&e, &w);
	invoice(&w, "2026-01-05", 8000);
	token("4242424242424242", tok, sizeof(tok));
	memset(&r, 0, sizeof(r));
	r.target = BILL_BALANCE;
	r.amount = 8000;
	r.token = tok;
	r.save_card = 1;
	r.make_default = 1;
	form_key(fk);
	r.form_key = fk;
	ck_assert_int_eq(billing_pay(&w, &r, &res), PS_OK);
	ck_assert_msg(res.outcome == BILL_PAID, "%s", res.message);
	ck_assert_int_eq(billing_cards(&w, &cards, &n), PS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(cards[0].last4, "4242");
	ck_assert_int_eq(cards[0].is_default, 1);
	free(cards);
	/* Token and card both, or neither: refused. */
	r.card_id = 1;
	ck_assert_int_eq(billing_pay(&w, &r, &res), PS_INVALID);
	r.card_id = 0;
	r.token = NULL;
	ck_assert_int_eq(billing_pay(&w, &r, &res), PS_INVALID);
	env_close(&e);
}
END_TEST

/* The id of the charge made under key. */
static void
charge_id(const char *key, char *out, size_t outsz)
{
	json_t *j = sim("GET", "/__admin/ledger", NULL), *ch;
	size_t i;

	out[0] = '\0';
	json_array_foreach(json_object_get(j, "charges"), i, ch)
	{
		const char *k =
		    json_string_value(json_object_get(ch, "idempotency_key"));

		if (k != NULL && strcmp(k, key) == 0)
			snprintf(out, outsz, "%s",
			    json_string_value(json_object_get(ch, "id")));
	}
	json_decref(j);
	ck_assert_msg(out[0] != '\0', "no charge under %s", key);
}

START_TEST(test_webhook_settles_once)
{
	struct env e;
	struct billing_who w;
	struct bill_pay_result res;
	struct dbb_attempt a;
	struct pgw_http_header h[1];
	char fk[BILL_FORM_KEY_SIZE], ch[128], body[128], sig[256], raw[8192];
	const char *what = NULL;
	json_t *j;
	int64_t i1;
	int rows = 0, resolved = -1, left = -1;

	env_open(&e);
	new_client(&e, &w);
	i1 = invoice(&w, "2026-01-05", 7000);
	fault("{\"timeout\": true, \"count\": 1}");
	form_key(fk);
	ck_assert_int_eq(
	    pay_token(&w, BILL_INVOICE, i1, 7000, "4242424242424242", fk, &res),
	    PS_OK);
	fault("{}");
	ck_assert_int_eq(res.outcome, BILL_PROCESSING);
	attempt(&e, res.attempt_id, &a);
	charge_id(a.idempotency_key, ch, sizeof(ch));

	snprintf(body, sizeof(body), "{\"charge\": \"%s\"}", ch);
	j = sim("POST", "/__test/webhook", body);
	snprintf(sig, sizeof(sig), "%s",
	    json_string_value(json_object_get(
	        json_object_get(j, "headers"), "Sandbox-Signature")));
	snprintf(raw, sizeof(raw), "%s",
	    json_string_value(json_object_get(j, "body")));
	json_decref(j);
	h[0].name = "Sandbox-Signature";
	h[0].value = sig;

	/* A tampered body does not verify. */
	raw[strlen(raw) - 2] ^= 1;
	ck_assert_int_eq(billing_webhook(e.db, &pc_on, e.practice_id, e.gw, raw,
	                     strlen(raw), h, 1, w.now, &what),
	    PS_DENIED);
	raw[strlen(raw) - 2] ^= 1;
	attempt(&e, a.id, &a);
	ck_assert_str_eq(a.status, "unknown");

	ck_assert_int_eq(billing_webhook(e.db, &pc_on, e.practice_id, e.gw, raw,
	                     strlen(raw), h, 1, w.now, &what),
	    PS_OK);
	ck_assert_str_eq(what, "succeeded");
	attempt(&e, a.id, &a);
	ck_assert_str_eq(a.status, "succeeded");
	ck_assert_int_eq(alloc_sum(i1, &rows), 7000);
	ck_assert_int_eq(rows, 1);

	/* The same delivery again: a duplicate, nothing recorded twice. */
	ck_assert_int_eq(billing_webhook(e.db, &pc_on, e.practice_id, e.gw, raw,
	                     strlen(raw), h, 1, w.now, &what),
	    PS_OK);
	ck_assert_str_eq(what, "duplicate");
	/* Another event about the same charge: still paid once. */
	j = sim("POST", "/__test/webhook", body);
	snprintf(sig, sizeof(sig), "%s",
	    json_string_value(json_object_get(
	        json_object_get(j, "headers"), "Sandbox-Signature")));
	snprintf(raw, sizeof(raw), "%s",
	    json_string_value(json_object_get(j, "body")));
	json_decref(j);
	ck_assert_int_eq(billing_webhook(e.db, &pc_on, e.practice_id, e.gw, raw,
	                     strlen(raw), h, 1, w.now, &what),
	    PS_OK);
	ck_assert_int_eq(alloc_sum(i1, &rows), 7000);
	ck_assert_int_eq(rows, 1);
	ck_assert_int_eq(ledger(a.idempotency_key, NULL), 1);
	/* Reconcile has nothing left to do for it. */
	ck_assert_int_eq(billing_reconcile(e.db, &pc_on, e.practice_id, e.gw,
	                     w.now + 1, 0, NULL, &resolved, &left),
	    PS_OK);
	ck_assert_int_eq(alloc_sum(i1, &rows), 7000);
	ck_assert_int_eq(rows, 1);
	env_close(&e);
}
END_TEST

START_TEST(test_invoice_rules_and_audit)
{
	struct env e;
	struct billing_who w;
	struct bill_line l[2] = {{"2026-01-05", "Intake assessment", 1, 15000},
	    {"2026-01-12", "Individual therapy session (50 min)", 2, 12000}};
	struct bill_line bad = {"2026-02-30", "x", 1, 100};
	struct bill_invoice v;
	char n1[BILL_NUMBER_MAX], n2[BILL_NUMBER_MAX], msg[256];
	int64_t id1, id2;
	MYSQL *m;
	MYSQL_RES *r;
	MYSQL_ROW row;
	char q[512];

	env_open(&e);
	new_client(&e, &w);
	ck_assert_int_eq(billing_invoice_create(&w, "2026-01-31", "2026-02-28",
	                     l, 2, &id1, n1, msg, sizeof(msg)),
	    PS_OK);
	ck_assert_int_eq(billing_invoice_create(&w, "2026-01-31", NULL, l, 1,
	                     &id2, n2, msg, sizeof(msg)),
	    PS_OK);
	ck_assert_str_ne(n1, n2);
	ck_assert_int_eq(atoi(n2 + 4), atoi(n1 + 4) + 1);
	ck_assert_int_eq(billing_invoice(&w, id1, &v), PS_OK);
	ck_assert_int_eq(v.total, 39000);
	ck_assert_str_eq(v.due_on, "2026-02-28");
	ck_assert_str_eq(v.description, "Intake assessment");
	ck_assert_int_eq(billing_invoice_create(&w, "2026-01-31", NULL, &bad, 1,
	                     &id2, n2, msg, sizeof(msg)),
	    PS_INVALID);
	ck_assert_int_eq(billing_invoice_create(&w, "2026-01-31", "2026-01-01",
	                     l, 1, &id2, n2, msg, sizeof(msg)),
	    PS_INVALID);
	ck_assert_int_eq(billing_invoice_create(&w, "2026-01-31", NULL, l, 0,
	                     &id2, n2, msg, sizeof(msg)),
	    PS_INVALID);
	w.client_id = 999999999;
	ck_assert_int_eq(billing_invoice_create(&w, "2026-01-31", NULL, l, 1,
	                     &id2, n2, msg, sizeof(msg)),
	    PS_NOTFOUND);

	/* After every test above: audit rows for cards and payments, and no
	 * card number or token anywhere in the billing tables or the audit
	 * log. */
	m = mysql_init(NULL);
	ck_assert_ptr_nonnull(
	    mysql_real_connect(m, NULL, "root", NULL, TEST_DB, 0, sock, 0));
	ck_assert_int_eq(
	    mysql_query(m, "SELECT COUNT(DISTINCT action) FROM audit_log "
	                   "WHERE action IN ('card.save', 'payment.attempt', "
	                   "'payment.succeeded', 'payment.declined', "
	                   "'payment.reconcile', 'payment.refused', "
	                   "'payment.denied', 'card.disable')"),
	    0);
	r = mysql_store_result(m);
	row = mysql_fetch_row(r);
	ck_assert_msg(atoi(row[0]) >= 6, "audit actions: %s", row[0]);
	mysql_free_result(r);
	snprintf(q, sizeof(q),
	    "SELECT (SELECT COUNT(*) FROM audit_log WHERE detail REGEXP "
	    "'4242424242424242|4000000000000002|tok_') + (SELECT COUNT(*) "
	    "FROM payment_attempts WHERE CONCAT_WS(' ', form_key, "
	    "idempotency_key, processor_ref, message) REGEXP "
	    "'4242424242424242|tok_') + (SELECT COUNT(*) FROM payment_methods "
	    "WHERE processor_pm LIKE 'tok_%%' OR LENGTH(last4) <> 4)");
	ck_assert_int_eq(mysql_query(m, q), 0);
	r = mysql_store_result(m);
	row = mysql_fetch_row(r);
	ck_assert_str_eq(row[0], "0");
	mysql_free_result(r);
	mysql_close(m);
	env_close(&e);
}
END_TEST

START_TEST(test_long_slug_key_fits)
{
	struct env e;
	struct billing_who w;
	struct practice_conf lp = pc_on;
	struct bill_pay_result res;
	struct dbb_attempt a;
	char fk[BILL_FORM_KEY_SIZE];

	env_open(&e);
	new_client(&e, &w);
	lp.slug = "a-very-long-practice-slug-that-goes-on-and-on-and-on-for-64";
	w.practice = &lp;
	invoice(&w, "2026-01-05", 2500);
	form_key(fk);
	ck_assert_int_eq(
	    pay_token(&w, BILL_BALANCE, 0, 2500, "4242424242424242", fk, &res),
	    PS_OK);
	ck_assert_int_eq(res.outcome, BILL_PAID);
	attempt(&e, res.attempt_id, &a);
	ck_assert_msg(strlen(a.idempotency_key) <= 45, "%s (%zu)",
	    a.idempotency_key, strlen(a.idempotency_key));
	ck_assert_msg(strstr(a.idempotency_key, "-att-") != NULL, "%s",
	    a.idempotency_key);
	/* A malformed form key is refused. */
	ck_assert_int_eq(pay_token(&w, BILL_BALANCE, 0, 2500,
	                     "4242424242424242", "short", &res),
	    PS_INVALID);
	env_close(&e);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("billing");
	TCase *tc = tcase_create("billing");
	SRunner *sr;
	struct db *db;
	char err[1024];
	const char *top = getenv("top_srcdir");
	int failed;

	sock = getenv("PORTAL_DB_SOCKET");
	sim_url = getenv("SIM_URL");
	plugin_dir = getenv("PLUGIN_DIR");
	secret_file = getenv("SIM_SECRET_FILE");
	whsec_file = getenv("SIM_WEBHOOK_SECRET_FILE");
	if (sock == NULL || top == NULL || sim_url == NULL ||
	    plugin_dir == NULL || secret_file == NULL || whsec_file == NULL) {
		fprintf(stderr,
		    "check_billing: PORTAL_DB_SOCKET, SIM_URL, "
		    "PLUGIN_DIR, SIM_SECRET_FILE, "
		    "SIM_WEBHOOK_SECRET_FILE and top_srcdir "
		    "must be set (run tests/integration/billing.sh)\n");
		return EXIT_FAILURE;
	}
	snprintf(sql_dir, sizeof(sql_dir), "%s/sql", top);
	if (db_global_init() != PS_OK ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return EXIT_FAILURE;
	{
		MYSQL *m = mysql_init(NULL);

		if (mysql_real_connect(
		        m, NULL, "root", NULL, NULL, 0, sock, 0) == NULL ||
		    mysql_query(m, "DROP DATABASE IF EXISTS " TEST_DB) != 0 ||
		    mysql_query(m, "CREATE DATABASE " TEST_DB) != 0) {
			fprintf(stderr, "check_billing: set-up: %s\n",
			    mysql_error(m));
			return EXIT_FAILURE;
		}
		mysql_close(m);
	}
	{
		struct db_params p = {
		    .socket = sock, .user = "root", .name = TEST_DB};

		if (db_open(&p, &db, err, sizeof(err)) != PS_OK ||
		    db_migrate(db, sql_dir, NULL, NULL, err, sizeof(err)) !=
		        PS_OK) {
			fprintf(stderr, "check_billing: migrate: %s\n", err);
			return EXIT_FAILURE;
		}
		db_close(db);
	}
	pc_on.slug = "demo";
	pc_on.name = "Lakeside Counseling";
	pc_on.currency = "USD";
	pc_on.online_payments = 1;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_balance_and_allocations);
	tcase_add_test(tc, test_partial_refused);
	tcase_add_test(tc, test_other_clients_things);
	tcase_add_test(tc, test_save_card_charges_nothing);
	tcase_add_test(tc, test_declines);
	tcase_add_test(tc, test_requires_action);
	tcase_add_test(tc, test_replayed_form_key);
	tcase_add_test(tc, test_concurrent_same_form_key);
	tcase_add_test(tc, test_timeout_then_reconcile);
	tcase_add_test(tc, test_500_after_charge_then_reconcile);
	tcase_add_test(tc, test_reconcile_never_sent);
	tcase_add_test(tc, test_online_payments_off);
	tcase_add_test(tc, test_pay_and_save_card);
	tcase_add_test(tc, test_long_slug_key_fits);
	tcase_add_test(tc, test_webhook_settles_once);
	tcase_add_test(tc, test_invoice_rules_and_audit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	db_global_end();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
