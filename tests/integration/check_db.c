/* check_db.c: integration tests of app/db against a real, throwaway MariaDB
 * (started by tests/integration/run.sh; PORTAL_DB_SOCKET names its socket):
 * migrations, users, invitations, sessions, throttling, audit, scoping,
 * transactions, deadlock retry and reconnect after a killed connection. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mysql.h>

#include "crypto/crypto.h"
#include "db/db.h"

#define TEST_DB "portal_check"
#define MIG_DB  "portal_check_mig"

static const char *sock;
static char sql_dir[4096];

/* A root connection outside app/db for set-up and for killing app/db's
 * connections. */
static MYSQL *
admin(void)
{
	MYSQL *m = mysql_init(NULL);

	ck_assert_ptr_nonnull(m);
	ck_assert_msg(
	    mysql_real_connect(m, NULL, "root", NULL, NULL, 0, sock, 0) != NULL,
	    "admin connect: %s", mysql_error(m));
	return m;
}

static void
admin_sql(const char *sql)
{
	MYSQL *m = admin();

	ck_assert_msg(mysql_query(m, sql) == 0, "%s: %s", sql, mysql_error(m));
	mysql_close(m);
}

static void
kill_conn(unsigned long id)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "KILL CONNECTION %lu", id);
	admin_sql(sql);
	/* Let the server finish closing the socket. */
	usleep(100 * 1000);
}

static struct db *
open_name(const char *name)
{
	struct db_params p;
	struct db *db = NULL;
	char err[512];

	memset(&p, 0, sizeof(p));
	p.socket = sock;
	p.user = "root";
	p.name = name;
	p.timeout = 5;
	ck_assert_msg(
	    db_open(&p, &db, err, sizeof(err)) == PS_OK, "db_open: %s", err);
	return db;
}

static struct db *
open_db(void)
{
	return open_name(TEST_DB);
}

static void
hash_of(const char *token, char out[CRYPTO_HEX_SIZE])
{
	crypto_sha256_hex(token, strlen(token), out);
}

/* Creates practice slug, a client and its user with an invitation whose
 * token is "invite-<email>", valid until 1000. */
static void
make_user(struct db *db, const char *slug, const char *email, struct db_user *u)
{
	int64_t pid, cid, uid;
	char tok[300], h[CRYPTO_HEX_SIZE];

	ck_assert_int_eq(db_practice_ensure(db, slug, "Practice", &pid), PS_OK);
	ck_assert_int_eq(
	    db_client_create(db, pid, "Fi", "La", email, NULL, 100, &cid),
	    PS_OK);
	snprintf(tok, sizeof(tok), "invite-%s", email);
	hash_of(tok, h);
	ck_assert_int_eq(
	    db_user_create(db, pid, cid, email, h, 1000, 100, &uid), PS_OK);
	ck_assert_int_eq(db_user_by_email(db, email, u), PS_OK);
	ck_assert(u->id == uid);
	ck_assert(u->client_id == cid);
	ck_assert(u->practice_id == pid);
}

START_TEST(test_open_errors)
{
	struct db_params p;
	struct db *db = (struct db *)1;
	char err[512];

	memset(&p, 0, sizeof(p));
	p.socket = "/nonexistent/mysql.sock";
	p.user = "root";
	p.name = TEST_DB;
	ck_assert_int_eq(db_open(&p, &db, err, sizeof(err)), PS_ERROR);
	ck_assert_ptr_null(db);
	ck_assert_msg(
	    strstr(err, "/nonexistent/mysql.sock") != NULL, "%s", err);
	p.socket = sock;
	p.name = "no_such_database";
	ck_assert_int_eq(db_open(&p, &db, err, sizeof(err)), PS_ERROR);
	ck_assert_msg(strstr(err, "no_such_database") != NULL, "%s", err);
	p.name = NULL;
	ck_assert_int_eq(db_open(&p, &db, err, sizeof(err)), PS_INVALID);
}
END_TEST

START_TEST(test_migrate_twice)
{
	struct db *db;
	char err[1024];
	int n = -1;
	MYSQL *m;
	MYSQL_RES *r;
	MYSQL_ROW row;

	admin_sql("DROP DATABASE IF EXISTS " MIG_DB);
	admin_sql("CREATE DATABASE " MIG_DB);
	db = open_name(MIG_DB);
	ck_assert_msg(
	    db_migrate(db, sql_dir, NULL, &n, err, sizeof(err)) == PS_OK, "%s",
	    err);
	ck_assert_int_ge(n, 1);
	ck_assert_msg(
	    db_migrate(db, sql_dir, NULL, &n, err, sizeof(err)) == PS_OK, "%s",
	    err);
	ck_assert_int_eq(n, 0);
	db_close(db);
	/* Every table is InnoDB with a primary key and utf8mb4. */
	m = admin();
	ck_assert_int_eq(
	    mysql_query(m, "SELECT COUNT(*), SUM(t.engine <> 'InnoDB'),"
	                   " SUM(t.table_collation NOT LIKE 'utf8mb4%'),"
	                   " SUM(NOT EXISTS (SELECT 1 FROM"
	                   " information_schema.table_constraints c WHERE"
	                   " c.table_schema = t.table_schema AND c.table_name ="
	                   " t.table_name AND c.constraint_type = 'PRIMARY"
	                   " KEY')) FROM information_schema.tables t WHERE"
	                   " t.table_schema = '" MIG_DB "'"),
	    0);
	r = mysql_store_result(m);
	row = mysql_fetch_row(r);
	ck_assert_int_ge(atoi(row[0]), 8);
	ck_assert_str_eq(row[1], "0");
	ck_assert_str_eq(row[2], "0");
	ck_assert_str_eq(row[3], "0");
	mysql_free_result(r);
	mysql_close(m);
}
END_TEST

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_migrate_broken)
{
	char dir[] = "/tmp/check_db_mig.XXXXXX", err[1024], want[4200];
	struct db *db;
	int n = -1;
	MYSQL *m;
	MYSQL_RES *r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	admin_sql("DROP DATABASE IF EXISTS " MIG_DB);
	admin_sql("CREATE DATABASE " MIG_DB);
	write_file(dir, "0001_one.sql",
	    "-- a comment; with a semicolon;\n"
	    "CREATE TABLE a (\n  id INT PRIMARY KEY\n) ENGINE=InnoDB;\n"
	    "INSERT INTO a VALUES (1);\n"
	    "INSERT INTO a VALUES (2)\n");
	write_file(dir, "0002_bad.sql",
	    "CREATE TABLE b (id INT PRIMARY KEY);\nCREATE TABLEX c (id INT);\n");
	write_file(dir, "README", "not a migration\n");
	db = open_name(MIG_DB);
	ck_assert_int_eq(
	    db_migrate(db, dir, NULL, &n, err, sizeof(err)), PS_ERROR);
	ck_assert_int_eq(n, 1);
	snprintf(want, sizeof(want), "%s/0002_bad.sql: ", dir);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	ck_assert_msg(strstr(err, "line 2") != NULL, "%s", err);
	/* 0002 is not recorded; fixing it applies it on the next run. */
	write_file(dir, "0002_bad.sql",
	    "CREATE TABLE IF NOT EXISTS b (id INT PRIMARY KEY);\n"
	    "CREATE TABLE c (id INT PRIMARY KEY);\n");
	ck_assert_msg(db_migrate(db, dir, NULL, &n, err, sizeof(err)) == PS_OK,
	    "%s", err);
	ck_assert_int_eq(n, 1);
	/* Galera-unsafe statements are refused before they run. */
	write_file(dir, "0003_lock.sql", "LOCK TABLES a WRITE;\n");
	ck_assert_int_eq(
	    db_migrate(db, dir, NULL, &n, err, sizeof(err)), PS_INVALID);
	ck_assert_msg(
	    strstr(err, "0003_lock.sql:1: LOCK TABLES") != NULL, "%s", err);
	/* Two files with one number. */
	unlink(strcat(strcpy(want, dir), "/0003_lock.sql"));
	write_file(dir, "0002_again.sql", "SELECT 1;\n");
	ck_assert_int_eq(
	    db_migrate(db, dir, NULL, &n, err, sizeof(err)), PS_ERROR);
	ck_assert_msg(strstr(err, "same number") != NULL, "%s", err);
	db_close(db);
	m = admin();
	ck_assert_int_eq(mysql_query(m, "SELECT version FROM " MIG_DB
	                                ".schema_migrations ORDER BY version"),
	    0);
	r = mysql_store_result(m);
	ck_assert_int_eq(mysql_num_rows(r), 2);
	mysql_free_result(r);
	ck_assert_int_eq(mysql_query(m, "SELECT id FROM " MIG_DB ".a"), 0);
	r = mysql_store_result(m);
	ck_assert_int_eq(mysql_num_rows(r), 2);
	mysql_free_result(r);
	mysql_close(m);
	/* A missing folder is named. */
	db = open_name(MIG_DB);
	ck_assert_int_eq(
	    db_migrate(db, "/nonexistent/sql", NULL, &n, err, sizeof(err)),
	    PS_ERROR);
	ck_assert_msg(strstr(err, "/nonexistent/sql") != NULL, "%s", err);
	db_close(db);
	(void)!system(strcat(strcpy(want, "rm -rf "), dir));
}
END_TEST

START_TEST(test_practice_client)
{
	struct db *db = open_db();
	struct db_client c;
	int64_t p1, p2, p3, cid;

	ck_assert_int_eq(db_practice_ensure(db, "pc-a", "A One", &p1), PS_OK);
	ck_assert_int_eq(db_practice_ensure(db, "pc-a", "A Two", &p2), PS_OK);
	ck_assert(p1 == p2 && p1 > 0);
	ck_assert_int_eq(db_practice_id(db, "pc-a", &p3), PS_OK);
	ck_assert(p3 == p1);
	ck_assert_int_eq(db_practice_id(db, "pc-none", &p3), PS_NOTFOUND);
	ck_assert_int_eq(db_client_create(db, p1, "Zoë", "Ødegaard",
	                     "zoe@example.org", "1985-07-04", 50, &cid),
	    PS_OK);
	ck_assert_int_eq(db_client_get(db, p1, cid, &c), PS_OK);
	ck_assert_str_eq(c.first_name, "Zoë");
	ck_assert_str_eq(c.last_name, "Ødegaard");
	ck_assert_str_eq(c.date_of_birth, "1985-07-04");
	ck_assert(c.created_at == 50 && c.practice_id == p1 && c.id == cid);
	/* The server rejects an impossible date (strict mode). */
	ck_assert_int_eq(db_client_create(db, p1, "X", "Y", "x@example.org",
	                     "2021-02-30", 50, &cid),
	    PS_INVALID);
	ck_assert_int_eq(db_client_get(db, p1, 999999, &c), PS_NOTFOUND);
	db_close(db);
}
END_TEST

START_TEST(test_user_invite)
{
	struct db *db = open_db();
	struct db_user u, v;
	char h[CRYPTO_HEX_SIZE], h2[CRYPTO_HEX_SIZE];
	int64_t id;

	make_user(db, "ui", "Invitee@Example.org", &u);
	ck_assert_str_eq(u.email, "invitee@example.org");
	ck_assert_int_eq(u.has_password, 0);
	ck_assert_str_eq(u.password_hash, "");
	ck_assert(u.invite_expires_at == 1000);
	ck_assert_int_eq(
	    db_user_by_email(db, "INVITEE@example.ORG", &v), PS_OK);
	ck_assert(v.id == u.id);
	ck_assert_int_eq(
	    db_user_by_email(db, "nobody@example.org", &v), PS_NOTFOUND);
	/* Same email, or a second user for the client: conflict. */
	hash_of("other", h2);
	ck_assert_int_eq(db_user_create(db, u.practice_id, u.client_id,
	                     "invitee@example.org", h2, 1000, 100, &id),
	    PS_CONFLICT);

	hash_of("invite-Invitee@Example.org", h);
	ck_assert_int_eq(db_user_by_invite(db, h, 999, &v), PS_OK);
	ck_assert(v.id == u.id);
	ck_assert_int_eq(db_user_by_invite(db, h, 1000, &v), PS_NOTFOUND);
	ck_assert_int_eq(db_user_by_invite(db, h2, 10, &v), PS_NOTFOUND);
	ck_assert_int_eq(db_user_by_invite(db, "zz", 10, &v), PS_NOTFOUND);
	/* One-time: the second use fails, and so does an expired one. */
	ck_assert_int_eq(
	    db_user_accept_invite(db, u.id, h, "$argon2id$x", 1000),
	    PS_NOTFOUND);
	ck_assert_int_eq(
	    db_user_accept_invite(db, u.id, h, "$argon2id$x", 500), PS_OK);
	ck_assert_int_eq(db_user_accept_invite(db, u.id, h, "$argon2id$y", 501),
	    PS_NOTFOUND);
	ck_assert_int_eq(db_user_by_invite(db, h, 600, &v), PS_NOTFOUND);
	ck_assert_int_eq(db_user_by_id(db, u.practice_id, u.id, &v), PS_OK);
	ck_assert_int_eq(v.has_password, 1);
	ck_assert_str_eq(v.password_hash, "$argon2id$x");
	ck_assert(v.password_set_at == 500 && v.invite_expires_at == 0);

	/* A new invitation replaces the old; set_password clears it. */
	ck_assert_int_eq(db_user_set_invite(db, u.id, h2, 2000), PS_OK);
	ck_assert_int_eq(db_user_by_invite(db, h, 600, &v), PS_NOTFOUND);
	ck_assert_int_eq(db_user_by_invite(db, h2, 600, &v), PS_OK);
	ck_assert_int_eq(
	    db_user_set_password(db, u.id, "$argon2id$z", 700), PS_OK);
	ck_assert_int_eq(db_user_by_invite(db, h2, 600, &v), PS_NOTFOUND);
	ck_assert_int_eq(db_user_set_invite(db, 987654, h2, 2000), PS_NOTFOUND);
	ck_assert_int_eq(
	    db_user_set_invite(db, u.id, "nothex", 2000), PS_INVALID);
	ck_assert_int_eq(
	    db_user_set_password(db, 987654, "$argon2id$z", 700), PS_NOTFOUND);
	db_close(db);
}
END_TEST

START_TEST(test_sessions)
{
	struct db *db = open_db();
	struct db_user u;
	struct db_session s;
	char h1[CRYPTO_HEX_SIZE], h2[CRYPTO_HEX_SIZE], h3[CRYPTO_HEX_SIZE];
	int64_t id1, id2, id3, n;

	make_user(db, "se", "sess@example.org", &u);
	hash_of("s1", h1);
	hash_of("s2", h2);
	hash_of("s3", h3);
	ck_assert_int_eq(
	    db_session_create(db, h1, &u, 1000, "192.0.2.1", &id1), PS_OK);
	ck_assert_int_eq(
	    db_session_create(db, h1, &u, 1000, NULL, NULL), PS_CONFLICT);
	ck_assert_int_eq(
	    db_session_create(db, h2, &u, 1000, "::1", &id2), PS_OK);
	ck_assert_int_eq(db_session_create(db, h3, &u, 100, NULL, &id3), PS_OK);
	ck_assert_int_eq(db_session_get(db, h1, &s), PS_OK);
	ck_assert(s.id == id1 && s.user_id == u.id &&
	          s.practice_id == u.practice_id &&
	          s.client_id == u.client_id && s.created_at == 1000 &&
	          s.last_seen_at == 1000);
	ck_assert_int_eq(db_session_touch(db, id1, 1500), PS_OK);
	ck_assert_int_eq(db_session_touch(db, id1, 1500), PS_OK);
	ck_assert_int_eq(
	    db_session_touch(db, id1, 1200), PS_OK); /* no rewind */
	ck_assert_int_eq(db_session_get(db, h1, &s), PS_OK);
	ck_assert(s.last_seen_at == 1500);
	ck_assert_int_eq(db_session_touch(db, 99999999, 1), PS_NOTFOUND);
	/* idle 600 at 2000: h2 (seen 1000) goes, h1 (seen 1500) stays;
	 * absolute 1800: h3 (created 100) goes. */
	ck_assert_int_eq(
	    db_session_delete_expired(db, 600, 1800, 2000, &n), PS_OK);
	ck_assert(n >= 2);
	ck_assert_int_eq(db_session_get(db, h2, &s), PS_NOTFOUND);
	ck_assert_int_eq(db_session_get(db, h3, &s), PS_NOTFOUND);
	ck_assert_int_eq(db_session_get(db, h1, &s), PS_OK);
	ck_assert_int_eq(db_session_delete(db, h1), PS_OK);
	ck_assert_int_eq(db_session_get(db, h1, &s), PS_NOTFOUND);
	ck_assert_int_eq(db_session_delete(db, h1), PS_OK);
	/* Sign-out everywhere. */
	ck_assert_int_eq(
	    db_session_create(db, h1, &u, 3000, NULL, NULL), PS_OK);
	ck_assert_int_eq(
	    db_session_create(db, h2, &u, 3000, NULL, NULL), PS_OK);
	ck_assert_int_eq(db_session_delete_user(db, u.id), PS_OK);
	ck_assert_int_eq(db_session_get(db, h1, &s), PS_NOTFOUND);
	ck_assert_int_eq(db_session_get(db, h2, &s), PS_NOTFOUND);
	/* Malformed hashes never reach the server. */
	ck_assert_int_eq(db_session_get(db, "ABC", &s), PS_NOTFOUND);
	ck_assert_int_eq(
	    db_session_create(db, "short", &u, 1, NULL, NULL), PS_INVALID);
	db_close(db);
}
END_TEST

struct collect {
	int n;
	int64_t client_ids[64];
	char actions[64][DB_ACTION_MAX + 1];
	size_t detail_len[64];
};

static int
collect_audit(void *arg, const struct db_audit_row *r)
{
	struct collect *c = arg;

	if (c->n < 64) {
		c->client_ids[c->n] = r->client_id;
		snprintf(
		    c->actions[c->n], sizeof(c->actions[0]), "%s", r->action);
		c->detail_len[c->n] = strlen(r->detail);
	}
	c->n++;
	return 0;
}

START_TEST(test_scoping)
{
	struct db *db = open_db();
	struct db_user a, b, v;
	struct db_client c;
	struct db_session s;
	struct collect col;
	char ha[CRYPTO_HEX_SIZE], hb[CRYPTO_HEX_SIZE];

	make_user(db, "scope-a", "a@scope.example", &a);
	make_user(db, "scope-b", "b@scope.example", &b);
	ck_assert(a.practice_id != b.practice_id);
	/* Another practice's client or user is not found. */
	ck_assert_int_eq(
	    db_client_get(db, a.practice_id, a.client_id, &c), PS_OK);
	ck_assert_int_eq(
	    db_client_get(db, a.practice_id, b.client_id, &c), PS_NOTFOUND);
	ck_assert_int_eq(
	    db_client_get(db, b.practice_id, a.client_id, &c), PS_NOTFOUND);
	ck_assert_int_eq(
	    db_user_by_id(db, a.practice_id, b.id, &v), PS_NOTFOUND);
	/* A session carries its own user's scope only. */
	hash_of("scope-a", ha);
	hash_of("scope-b", hb);
	ck_assert_int_eq(db_session_create(db, ha, &a, 10, NULL, NULL), PS_OK);
	ck_assert_int_eq(db_session_create(db, hb, &b, 10, NULL, NULL), PS_OK);
	ck_assert_int_eq(db_session_get(db, hb, &s), PS_OK);
	ck_assert(s.practice_id == b.practice_id && s.client_id == b.client_id);
	ck_assert_int_eq(
	    db_client_get(db, s.practice_id, a.client_id, &c), PS_NOTFOUND);
	/* Audit rows are listed per practice and client. */
	ck_assert_int_eq(db_audit(db, a.practice_id, a.client_id, a.id,
	                     DB_ACTOR_CLIENT, "scope.a", NULL, NULL),
	    PS_OK);
	ck_assert_int_eq(db_audit(db, b.practice_id, b.client_id, b.id,
	                     DB_ACTOR_CLIENT, "scope.b", NULL, NULL),
	    PS_OK);
	memset(&col, 0, sizeof(col));
	ck_assert_int_eq(db_audit_list(db, a.practice_id, b.client_id, 50,
	                     collect_audit, &col),
	    PS_OK);
	ck_assert_int_eq(col.n, 0);
	ck_assert_int_eq(
	    db_audit_list(db, a.practice_id, 0, 50, collect_audit, &col),
	    PS_OK);
	ck_assert_int_eq(col.n, 1);
	ck_assert_str_eq(col.actions[0], "scope.a");
	db_close(db);
}
END_TEST

START_TEST(test_throttle)
{
	struct db *db = open_db();
	struct db_throttle t;
	int i;

	ck_assert_int_eq(
	    db_throttle_get(db, DB_THROTTLE_ACCOUNT, "thr@example.org", 0, &t),
	    PS_OK);
	ck_assert(
	    t.failures == 0 && t.window_start == 0 && t.locked_until == 0);
	/* max 3 in a window of 100 s, lockout 500 s. */
	for (i = 1; i <= 2; i++) {
		ck_assert_int_eq(
		    db_throttle_fail(db, DB_THROTTLE_ACCOUNT, "thr@example.org",
		        1000 + i, 100, 3, 500, &t),
		    PS_OK);
		ck_assert_int_eq(t.failures, i);
		ck_assert(t.window_start == 1001 && t.locked_until == 0);
	}
	ck_assert_int_eq(db_throttle_fail(db, DB_THROTTLE_ACCOUNT,
	                     "thr@example.org", 1010, 100, 3, 500, &t),
	    PS_OK);
	ck_assert_int_eq(t.failures, 3);
	ck_assert(t.locked_until == 1510);
	/* The address scope is separate. */
	ck_assert_int_eq(
	    db_throttle_get(db, DB_THROTTLE_ADDRESS, "thr@example.org", 0, &t),
	    PS_OK);
	ck_assert_int_eq(t.failures, 0);
	/* After the window a new one starts at 1; the lock stays. */
	ck_assert_int_eq(db_throttle_fail(db, DB_THROTTLE_ACCOUNT,
	                     "thr@example.org", 1200, 100, 3, 500, &t),
	    PS_OK);
	ck_assert_int_eq(t.failures, 1);
	ck_assert(t.window_start == 1200 && t.locked_until == 1510);
	ck_assert_int_eq(
	    db_throttle_clear(db, DB_THROTTLE_ACCOUNT, "thr@example.org"),
	    PS_OK);
	ck_assert_int_eq(
	    db_throttle_get(db, DB_THROTTLE_ACCOUNT, "thr@example.org", 0, &t),
	    PS_OK);
	ck_assert(t.failures == 0 && t.locked_until == 0);
	/* max 1 locks on the first failure, also without out. */
	ck_assert_int_eq(db_throttle_fail(db, DB_THROTTLE_ADDRESS, "192.0.2.9",
	                     50, 60, 1, 30, NULL),
	    PS_OK);
	ck_assert_int_eq(
	    db_throttle_get(db, DB_THROTTLE_ADDRESS, "192.0.2.9", 0, &t),
	    PS_OK);
	ck_assert(t.failures == 1 && t.locked_until == 80);
	db_close(db);
}
END_TEST

START_TEST(test_audit)
{
	struct db *db = open_db();
	struct collect col;
	char detail[1200];
	int64_t pid;
	size_t i;

	ck_assert_int_eq(db_practice_ensure(db, "audit", "Audit", &pid), PS_OK);
	ck_assert_int_eq(db_audit(db, pid, 0, 0, DB_ACTOR_SYSTEM, "first",
	                     "detail", "192.0.2.1"),
	    PS_OK);
	/* 999 ASCII bytes then "é" (2 bytes): cut before the é. */
	for (i = 0; i < 999; i++)
		detail[i] = 'd';
	strcpy(detail + 999, "\xc3\xa9tail");
	ck_assert_int_eq(
	    db_audit(db, pid, 0, 0, DB_ACTOR_CLINICIAN, "second", detail, NULL),
	    PS_OK);
	memset(&col, 0, sizeof(col));
	ck_assert_int_eq(
	    db_audit_list(db, pid, 0, 10, collect_audit, &col), PS_OK);
	ck_assert_int_eq(col.n, 2);
	ck_assert_str_eq(col.actions[0], "second");
	ck_assert_str_eq(col.actions[1], "first");
	ck_assert_uint_eq(col.detail_len[0], 999);
	ck_assert(col.client_ids[1] == 0);
	memset(&col, 0, sizeof(col));
	ck_assert_int_eq(
	    db_audit_list(db, pid, 0, 1, collect_audit, &col), PS_OK);
	ck_assert_int_eq(col.n, 1);
	db_close(db);
}
END_TEST

static int
count_rows(void *arg, const struct db_client_info *r)
{
	(*(int *)arg)++;
	(void)r;
	return 0;
}

START_TEST(test_transactions)
{
	struct db *db = open_db();
	int64_t pid, cid;
	struct db_client c;
	int n = 0;

	ck_assert_int_eq(db_practice_ensure(db, "tx", "Tx", &pid), PS_OK);
	ck_assert_int_eq(db_begin(db), PS_OK);
	ck_assert_int_eq(db_begin(db), PS_ERROR);
	ck_assert_int_eq(db_client_create(db, pid, "Roll", "Back",
	                     "rb@example.org", NULL, 1, &cid),
	    PS_OK);
	ck_assert_int_eq(db_rollback(db), PS_OK);
	ck_assert_int_eq(db_client_get(db, pid, cid, &c), PS_NOTFOUND);
	ck_assert_int_eq(db_commit(db), PS_ERROR);
	ck_assert_int_eq(db_begin(db), PS_OK);
	ck_assert_int_eq(db_client_create(db, pid, "Com", "Mit",
	                     "cm@example.org", NULL, 1, &cid),
	    PS_OK);
	ck_assert_int_eq(db_commit(db), PS_OK);
	ck_assert_int_eq(db_client_get(db, pid, cid, &c), PS_OK);
	ck_assert_int_eq(db_client_list(db, pid, count_rows, &n), PS_OK);
	ck_assert_int_eq(n, 1);
	db_close(db);
}
END_TEST

START_TEST(test_reconnect_read)
{
	struct db *db = open_db();
	struct db_user u, v;
	struct db_session s;
	struct db_client c;
	char h[CRYPTO_HEX_SIZE];
	unsigned long before;

	make_user(db, "rc", "rc@example.org", &u);
	hash_of("rc", h);
	ck_assert_int_eq(db_session_create(db, h, &u, 10, NULL, NULL), PS_OK);
	ck_assert_int_eq(db_session_get(db, h, &s), PS_OK);
	before = db_connection_id(db);
	kill_conn(before);
	/* A read on the dead connection reconnects, re-prepares, retries. */
	ck_assert_msg(db_session_get(db, h, &s) == PS_OK, "%s", db_errmsg(db));
	ck_assert(s.user_id == u.id);
	ck_assert_uint_eq(db_reconnects(db), 1);
	ck_assert(db_connection_id(db) != before);
	/* Every other cached statement was re-prepared on the new one. */
	ck_assert_int_eq(db_user_by_email(db, "rc@example.org", &v), PS_OK);
	ck_assert_int_eq(
	    db_client_get(db, u.practice_id, u.client_id, &c), PS_OK);
	ck_assert_int_eq(db_session_touch(db, s.id, 20), PS_OK);
	ck_assert_uint_eq(db_reconnects(db), 1);
	/* Idempotent writes are retried as well. */
	kill_conn(db_connection_id(db));
	ck_assert_int_eq(db_session_touch(db, s.id, 30), PS_OK);
	ck_assert_uint_eq(db_reconnects(db), 2);
	ck_assert_int_eq(db_ping(db), PS_OK);
	db_close(db);
}
END_TEST

START_TEST(test_reconnect_write)
{
	struct db *db = open_db();
	struct db_user u;
	struct db_session s;
	char h[CRYPTO_HEX_SIZE];
	enum pstatus st;

	make_user(db, "rw", "rw@example.org", &u);
	hash_of("rw0", h);
	/* Prepared before the kill, so the execute itself meets the dead
	 * connection. */
	ck_assert_int_eq(db_session_create(db, h, &u, 10, NULL, NULL), PS_OK);
	hash_of("rw", h);
	kill_conn(db_connection_id(db));
	/* An insert is not safe to retry blindly. On a unix socket the
	 * client sees the dead peer when writing (2006: never sent), so it
	 * reconnects and retries (PS_OK, the row exists); over TCP the
	 * loss shows when reading (2013: maybe ran), which is PS_UNKNOWN.
	 * The connection works again either way. */
	st = db_session_create(db, h, &u, 10, NULL, NULL);
	ck_assert_msg(st == PS_OK || st == PS_UNKNOWN, "%s: %s",
	    pstatus_str(st), db_errmsg(db));
	ck_assert_uint_eq(db_reconnects(db), 1);
	ck_assert_int_eq(
	    db_session_get(db, h, &s), st == PS_OK ? PS_OK : PS_NOTFOUND);
	ck_assert_int_eq(db_ping(db), PS_OK);
	db_close(db);
}
END_TEST

struct kill_tx {
	int runs;
	int64_t pid;
	int64_t cid;
};

static enum pstatus
kill_once_fn(struct db *db, void *arg)
{
	struct kill_tx *k = arg;
	enum pstatus st;

	k->runs++;
	st = db_client_create(
	    db, k->pid, "Kill", "Tx", "kt@example.org", NULL, 1, &k->cid);
	if (st != PS_OK)
		return st;
	if (k->runs == 1)
		kill_conn(db_connection_id(db));
	/* On the first run this statement finds the connection dead. */
	return db_client_create(
	    db, k->pid, "Kill", "Tx2", "kt2@example.org", NULL, 1, &k->cid);
}

START_TEST(test_reconnect_in_tx)
{
	struct db *db = open_db();
	struct kill_tx k = {0, 0, 0};
	int n = 0;

	ck_assert_int_eq(db_practice_ensure(db, "ktx", "Ktx", &k.pid), PS_OK);
	/* A lost connection inside a transaction is PS_RETRY; db_tx runs
	 * the whole transaction again on a new connection. */
	ck_assert_msg(
	    db_tx(db, kill_once_fn, &k) == PS_OK, "%s", db_errmsg(db));
	ck_assert_int_eq(k.runs, 2);
	ck_assert_uint_eq(db_reconnects(db), 1);
	ck_assert_int_eq(db_client_list(db, k.pid, count_rows, &n), PS_OK);
	ck_assert_int_eq(n, 2); /* the first run's row was rolled back */
	db_close(db);
}
END_TEST

struct dl {
	struct db *db;
	pthread_barrier_t *bar;
	int64_t first, second;
	int runs;
	enum pstatus st;
};

static enum pstatus
dl_fn(struct db *db, void *arg)
{
	struct dl *d = arg;
	enum pstatus st;

	d->runs++;
	if ((st = db_session_touch(db, d->first, 100 + d->runs)) != PS_OK)
		return st;
	if (d->runs == 1)
		pthread_barrier_wait(d->bar);
	return db_session_touch(db, d->second, 100 + d->runs);
}

static void *
dl_thread(void *arg)
{
	struct dl *d = arg;

	d->st = db_tx(d->db, dl_fn, d);
	return NULL;
}

START_TEST(test_deadlock_retry)
{
	struct db *setup = open_db();
	struct db_user u;
	char h1[CRYPTO_HEX_SIZE], h2[CRYPTO_HEX_SIZE];
	int64_t s1, s2;
	pthread_barrier_t bar;
	pthread_t ta, tb;
	struct dl a, b;

	make_user(setup, "dl", "dl@example.org", &u);
	hash_of("dl1", h1);
	hash_of("dl2", h2);
	ck_assert_int_eq(db_session_create(setup, h1, &u, 1, NULL, &s1), PS_OK);
	ck_assert_int_eq(db_session_create(setup, h2, &u, 1, NULL, &s2), PS_OK);
	db_close(setup);
	pthread_barrier_init(&bar, NULL, 2);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.db = open_db();
	b.db = open_db();
	a.bar = b.bar = &bar;
	a.first = b.second = s1;
	a.second = b.first = s2;
	pthread_create(&ta, NULL, dl_thread, &a);
	pthread_create(&tb, NULL, dl_thread, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ck_assert_msg(a.st == PS_OK, "a: %s", db_errmsg(a.db));
	ck_assert_msg(b.st == PS_OK, "b: %s", db_errmsg(b.db));
	/* Exactly one of them was the deadlock victim and ran again. */
	ck_assert_int_eq(a.runs + b.runs, 3);
	db_close(a.db);
	db_close(b.db);
	pthread_barrier_destroy(&bar);
}
END_TEST

struct worker {
	int no;
	struct db_user u;
	int ok;
};

static void *
worker_thread(void *arg)
{
	struct worker *w = arg;
	struct db_params p;
	struct db *db = NULL;
	struct db_session s;
	char err[256], tok[64], h[CRYPTO_HEX_SIZE];
	int i;

	memset(&p, 0, sizeof(p));
	p.socket = sock;
	p.user = "root";
	p.name = TEST_DB;
	if (db_open(&p, &db, err, sizeof(err)) != PS_OK)
		return NULL;
	for (i = 0; i < 40; i++) {
		snprintf(tok, sizeof(tok), "thread-%d-%d", w->no, i);
		hash_of(tok, h);
		if (db_session_create(db, h, &w->u, 10, NULL, NULL) != PS_OK ||
		    db_session_get(db, h, &s) != PS_OK ||
		    s.client_id != w->u.client_id ||
		    db_session_touch(db, s.id, 20) != PS_OK ||
		    db_session_delete(db, h) != PS_OK)
			break;
	}
	w->ok = i == 40;
	db_close(db);
	return NULL;
}

/* As in portald: each thread its own connection and statements. */
START_TEST(test_threads)
{
	enum { N = 8 };
	struct db *db = open_db();
	struct worker w[N];
	pthread_t t[N];
	char email[64];
	int i;

	for (i = 0; i < N; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].no = i;
		snprintf(email, sizeof(email), "thread%d@example.org", i);
		make_user(db, "threads", email, &w[i].u);
	}
	db_close(db);
	for (i = 0; i < N; i++)
		pthread_create(&t[i], NULL, worker_thread, &w[i]);
	for (i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < N; i++)
		ck_assert_msg(w[i].ok, "thread %d failed", i);
}
END_TEST

START_TEST(test_input_limits)
{
	struct db *db = open_db();
	char long_email[300];
	struct db_user u;
	int64_t id;

	memset(long_email, 'a', sizeof(long_email) - 1);
	long_email[sizeof(long_email) - 1] = '\0';
	ck_assert_int_eq(db_user_by_email(db, long_email, &u), PS_NOTFOUND);
	ck_assert_int_eq(
	    db_client_create(db, 1, "a", "b", long_email, NULL, 1, &id),
	    PS_INVALID);
	ck_assert_msg(
	    strstr(db_errmsg(db), "email") != NULL, "%s", db_errmsg(db));
	ck_assert_int_eq(
	    db_practice_ensure(db, long_email, "x", &id), PS_INVALID);
	db_close(db);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("mariadb");
	SRunner *sr;
	struct db *db;
	char err[1024];
	const char *top = getenv("top_srcdir");
	int failed;

	sock = getenv("PORTAL_DB_SOCKET");
	if (sock == NULL || top == NULL) {
		fprintf(stderr,
		    "check_db: PORTAL_DB_SOCKET and top_srcdir must "
		    "be set (run tests/integration/run.sh)\n");
		return EXIT_FAILURE;
	}
	snprintf(sql_dir, sizeof(sql_dir), "%s/sql", top);
	if (db_global_init() != PS_OK)
		return EXIT_FAILURE;
	/* A fresh, migrated database for the tests. */
	{
		MYSQL *m = mysql_init(NULL);

		if (mysql_real_connect(
		        m, NULL, "root", NULL, NULL, 0, sock, 0) == NULL ||
		    mysql_query(m, "DROP DATABASE IF EXISTS " TEST_DB) != 0 ||
		    mysql_query(m, "CREATE DATABASE " TEST_DB) != 0) {
			fprintf(
			    stderr, "check_db: set-up: %s\n", mysql_error(m));
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
			fprintf(stderr, "check_db: set-up: %s\n", err);
			return EXIT_FAILURE;
		}
		db_close(db);
	}
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_migrate_twice);
	tcase_add_test(tc, test_migrate_broken);
	tcase_add_test(tc, test_practice_client);
	tcase_add_test(tc, test_user_invite);
	tcase_add_test(tc, test_sessions);
	tcase_add_test(tc, test_scoping);
	tcase_add_test(tc, test_throttle);
	tcase_add_test(tc, test_audit);
	tcase_add_test(tc, test_transactions);
	tcase_add_test(tc, test_reconnect_read);
	tcase_add_test(tc, test_reconnect_write);
	tcase_add_test(tc, test_reconnect_in_tx);
	tcase_add_test(tc, test_deadlock_retry);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_input_limits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	db_global_end();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
