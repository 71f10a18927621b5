/* db.h: the portal's MariaDB layer (Connector/C): one connection per struct
 * db with its prepared statements, transactions, migrations and the queries
 * the pages and portalctl need. Nothing outside app/db writes SQL text.
 * This header is the engine (db.c); the queries are declared per area in
 * db_core.h, db_migrate.h, db_billing.h, db_docs.h, db_autopay.h and
 * db_mail.h, each implemented by the .c file of the same name.
 *
 * Conventions for every function of those headers:
 * - A struct db is used by one thread at a time (DESIGN: one connection per
 *   worker thread). Open it once, reuse it, db_close() it at the end.
 * - Ids are int64_t; 0 means "none" where an id is optional (stored NULL).
 * - Times are int64_t unix seconds UTC; the tables store them as BIGINT.
 *   Functions that take `now` never read the clock themselves (tests drive
 *   time), except db_audit which stamps the row with the server's clock.
 * - Strings are NUL-terminated UTF-8, already validated by the caller.
 *   Output strings are copied into fixed arrays in the out structs.
 * - Token hashes are the 64 lowercase hex chars of crypto_sha256_hex() of the
 *   token; the token itself is never stored.
 * - Return values: PS_OK; PS_NOTFOUND (no such row, or not in the caller's
 *   practice/client scope); PS_CONFLICT (a unique key is taken); PS_RETRY
 *   (deadlock or lost connection inside a transaction: the server rolled the
 *   transaction back and nothing of it happened; run it again, db_tx() does);
 *   PS_UNKNOWN (the connection was lost after a write was sent: it may or
 *   may not have happened); PS_ERROR (anything else). On any status but
 *   PS_OK and PS_NOTFOUND, db_errmsg() says what failed.
 * - A lost connection (2006/2013) is reconnected once, statements are
 *   re-prepared, and reads (and writes that never reached the server) are
 *   retried; the driver's own auto-reconnect is never enabled. */
#ifndef PORTAL_DB_H
#define PORTAL_DB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

/* Longest accepted inputs, in bytes (the arrays below hold them plus a
 * NUL). A longer input is refused with PS_INVALID; the utf8mb4 columns are
 * at least this many characters wide, so every accepted input fits. */
#define DB_EMAIL_MAX    254
#define DB_NAME_MAX     100 /* first/last name */
#define DB_SLUG_MAX     64
#define DB_PRACTICE_MAX 200
#define DB_PWHASH_MAX   255
#define DB_IP_MAX       45
#define DB_ACTION_MAX   64
#define DB_DETAIL_MAX   1000
#define DB_HASH_HEX     64

/* How to connect. socket wins over host when both are set. NULL strings are
 * the driver's defaults. password may be NULL (none). */
struct db_params {
	const char *socket;   /* unix socket path, or NULL */
	const char *host;     /* TCP host, or NULL */
	unsigned int port;    /* 0 = default */
	const char *user;     /* NULL = current user */
	const char *password; /* NULL = none; copied, wiped at close */
	const char *name;     /* database name, required */
	unsigned int
	    timeout; /* connect/read/write timeout in seconds; 0 = 10 */
};

struct db;

/* Initialises the client library. Call once at start-up, before any
 * thread opens a connection (mysql_library_init is not thread-safe).
 * PS_OK or PS_ERROR. db_global_end() releases it at exit. */
enum pstatus db_global_init(void);
void db_global_end(void);

/* Connects with utf8mb4, time zone +00:00, strict SQL mode and no driver
 * auto-reconnect. On PS_OK *out is a new handle for db_close(); else *out is
 * NULL and err says why (the server's message, host or socket named). */
enum pstatus db_open(
    const struct db_params *p, struct db **out, char *err, size_t errsz);

/* Frees the statements, closes the connection, wipes the stored password.
 * NULL is fine. */
void db_close(struct db *db);

/* The message of the last failure on db ("" when none). Valid until the
 * next call on db. Never contains parameter values. */
const char *db_errmsg(const struct db *db);

/* The server's id of the current connection (for tests and logs). */
unsigned long db_connection_id(struct db *db);

/* Number of reconnects db has made since db_open (for tests and metrics). */
unsigned int db_reconnects(const struct db *db);

/* Number of statements db has sent to the server since db_open, each
 * execution of a prepared statement once (preparing one is not counted).
 * The benchmark reads it per request (portald's X-Portal-Statements
 * header, see PORTAL_DEBUG_STATEMENTS in portald(8)). */
uint64_t db_statements(const struct db *db);

/* Checks that the connection answers, reconnecting once if it was lost.
 * Returns PS_OK or PS_ERROR. */
enum pstatus db_ping(struct db *db);

/* Transactions. db_begin starts one (START TRANSACTION); db_commit and
 * db_rollback end it. Nesting is not supported (PS_ERROR). db_commit may
 * return PS_RETRY (deadlock: rolled back) or PS_UNKNOWN (connection lost
 * while committing). db_rollback always leaves db outside a transaction. */
enum pstatus db_begin(struct db *db);
enum pstatus db_commit(struct db *db);
enum pstatus db_rollback(struct db *db);

/* Runs fn(db, arg) inside a transaction and commits it. When fn or the
 * commit returns PS_RETRY (deadlock 1213, lock wait timeout, connection lost
 * before commit), rolls back and runs fn again, at most 5 times in all, with
 * a short growing pause. Any other status from fn rolls back and is
 * returned. fn must therefore be safe to run again from the start (no side
 * effects outside the database). */
enum pstatus db_tx(
    struct db *db, enum pstatus (*fn)(struct db *, void *), void *arg);

/* The migrations (db_migrate.c) and the core queries (db_core.c) are
 * declared in their own headers, included here so that db.h is all a caller
 * of them needs. */
#include "db/db_core.h"
#include "db/db_migrate.h"

#endif
