/* health.c: GET /healthz, for a load balancer or a monitor. No session,
 * no cookies, never cached; nginx lets only loopback reach it. */
#include <stdio.h>

#include "web/extern.h"

/* Answers 200 "ok" when this worker can run a statement on the database
 * and every practice's processor plugin started, else 503 with the first
 * reason, as text/plain. The dispatcher has already answered 503 when no
 * connection could be opened; this catches a connection that broke and
 * could not be re-established (db_ping goes through the statement
 * runner's reconnect). */
void
h_healthz(struct ctx *c)
{
	const char *word = "ok\n";
	struct db *db = web_db(c);
	char q[300];

	c->resp->status = 200;
	if (db == NULL || db_ping(db) != PS_OK) {
		log_error("event=healthz_failed error=%s",
		    log_value(db != NULL ? db_errmsg(db) : "no connection", q,
		        sizeof(q)));
		c->resp->status = 503;
		word = "database unavailable\n";
	} else if (c->app->gw_failed > 0) {
		c->resp->status = 503;
		word = "a processor plugin failed to start (see the log)\n";
	}
	c->resp->body.n = 0;
	http_response_header(
	    c->resp, "Content-Type", "text/plain; charset=utf-8");
	http_response_header(c->resp, "Cache-Control", "no-store");
	if (buf_puts(&c->resp->body, word) != PS_OK)
		c->resp->status = 500;
}
