/* db_admin.c: `portalctl db init`: the database, the migration user and the
 * runtime user with only the grants it needs. Placeholders cannot stand for
 * a database or an account, so the DDL is built here from names checked
 * against a strict alphabet and a password escaped by the server's own
 * rules; the existence checks are prepared statements. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <mysql.h>

#include "db/db.h"
#include "db/db_admin.h"
#include "db/db_int.h"

#define NAME_MAX_ 32
#define DDL_MAX   1024

/* Returns 1 if s is 1..max bytes of letters, digits, '_' and extra. */
static int
name_ok(const char *s, size_t max, const char *extra)
{
	size_t n = s != NULL ? strlen(s) : 0;
	size_t i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		        (ch >= '0' && ch <= '9') || ch == '_' ||
		        strchr(extra, ch) != NULL))
			return 0;
	}
	return 1;
}

/* Runs one DDL statement made from fmt. what names the step in err. */
static enum pstatus ddl(struct db *db, const char *what, char *err,
    size_t errsz, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static enum pstatus
ddl(struct db *db, const char *what, char *err, size_t errsz, const char *fmt,
    ...)
{
	char sql[DDL_MAX];
	va_list ap;
	int n;
	enum pstatus st = PS_OK;

	va_start(ap, fmt);
	n = vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(sql)) {
		errbuf_set(err, errsz, "%s: statement too long", what);
		st = PS_INVALID;
		goto out;
	}
	db->statements++;
	if (db->my == NULL || mysql_real_query(db->my, sql, (size_t)n) != 0) {
		errbuf_set(err, errsz, "%s: %s", what,
		    db->my != NULL ? mysql_error(db->my) : "not connected");
		st = PS_ERROR;
	}
out:
	explicit_bzero(sql, sizeof(sql)); /* it may hold a password */
	return st;
}

/* Sets *n to the count the prepared statement id gives for a and b. */
static enum pstatus
count(struct db *db, enum stmt_id id, const char *a, const char *b, int64_t *n,
    char *err, size_t errsz)
{
	struct arg args[] = {AS(a), AS(b)};
	struct col c[] = {{C_I64, n, 0}};
	struct q q = {
	    .id = id, .a = args, .na = b != NULL ? 2 : 1, .c = c, .nc = 1};
	enum pstatus st;

	*n = 0;
	if ((st = db_run(db, &q)) != PS_OK)
		errbuf_set(err, errsz, "%s", db_errmsg(db));
	return st;
}

/* Creates or updates u@host. */
static enum pstatus
put_user(struct db *db, const char *host, const struct db_admin_user *u,
    const char *role, FILE *progress, char *err, size_t errsz)
{
	char auth[2 * 256 + 40], what[128];
	int64_t have = 0;
	size_t pn;
	enum pstatus st;

	snprintf(what, sizeof(what), "user '%s'@'%s'", u->name, host);
	if ((st = count(db, S_ADM_USER_EXISTS, u->name, host, &have, err,
	         errsz)) != PS_OK)
		goto out;
	if (u->password == NULL)
		snprintf(auth, sizeof(auth), "IDENTIFIED VIA unix_socket");
	else {
		pn = strlen(u->password);
		if (pn == 0 || pn > 256) {
			errbuf_set(err, errsz,
			    "%s: the password must be 1 to 256 bytes", what);
			st = PS_INVALID;
			goto out;
		}
		memcpy(auth, "IDENTIFIED BY '", 15);
		pn = mysql_real_escape_string(
		    db->my, auth + 15, u->password, (unsigned long)pn);
		memcpy(auth + 15 + pn, "'", 2);
	}
	st = ddl(db, what, err, errsz, "%s USER '%s'@'%s' %s",
	    have > 0 ? "ALTER" : "CREATE", u->name, host, auth);
	if (st == PS_OK && progress != NULL)
		fprintf(progress, "%s %s user '%s'@'%s' (%s)\n",
		    have > 0 ? "updated" : "created", role, u->name, host,
		    u->password != NULL ? "password"
		                        : "unix_socket, no password");
out:
	explicit_bzero(auth, sizeof(auth));
	return st;
}

enum pstatus
db_admin_init(struct db *admin, const char *dbname, const char *host,
    const struct db_admin_user *migrate, const struct db_admin_user *runtime,
    FILE *progress, char *err, size_t errsz)
{
	int64_t have = 0;
	enum pstatus st = PS_INVALID;

	if (!name_ok(dbname, 64, "")) {
		errbuf_set(err, errsz,
		    "database name \"%s\": use letters, digits and '_'",
		    dbname != NULL ? dbname : "");
		goto out;
	}
	if (!name_ok(host, 255, ".-%")) {
		errbuf_set(err, errsz,
		    "client host \"%s\": use a host name, an address or '%%'",
		    host != NULL ? host : "");
		goto out;
	}
	if (!name_ok(migrate->name, NAME_MAX_, "") ||
	    !name_ok(runtime->name, NAME_MAX_, "")) {
		errbuf_set(err, errsz,
		    "user names: use at most %d letters, digits and '_'",
		    NAME_MAX_);
		goto out;
	}
	if (strcmp(migrate->name, runtime->name) == 0) {
		errbuf_set(err, errsz,
		    "database.migrate_user and database.user are both %s: the "
		    "runtime user must not be able to change the schema",
		    runtime->name);
		goto out;
	}
	if ((st = count(admin, S_ADM_DB_EXISTS, dbname, NULL, &have, err,
	         errsz)) != PS_OK)
		goto out;
	if (have == 0) {
		if ((st = ddl(admin, "create database", err, errsz,
		         "CREATE DATABASE `%s` CHARACTER SET utf8mb4 COLLATE "
		         "utf8mb4_unicode_ci",
		         dbname)) != PS_OK)
			goto out;
		if (progress != NULL)
			fprintf(progress, "created database %s\n", dbname);
	} else if (progress != NULL)
		fprintf(progress, "database %s exists\n", dbname);
	if ((st = put_user(admin, host, migrate, "migration", progress, err,
	         errsz)) != PS_OK ||
	    (st = ddl(admin, "grant the migration user", err, errsz,
	         "GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'%s'", dbname,
	         migrate->name, host)) != PS_OK)
		goto out;
	if (progress != NULL)
		fprintf(progress, "granted ALL PRIVILEGES on %s.* to %s\n",
		    dbname, migrate->name);
	if ((st = put_user(admin, host, runtime, "runtime", progress, err,
	         errsz)) != PS_OK ||
	    (st = ddl(admin, "revoke the runtime user's privileges", err, errsz,
	         "REVOKE ALL PRIVILEGES, GRANT OPTION FROM '%s'@'%s'",
	         runtime->name, host)) != PS_OK ||
	    (st = ddl(admin, "grant the runtime user", err, errsz,
	         "GRANT SELECT, INSERT, UPDATE, DELETE ON `%s`.* TO '%s'@'%s'",
	         dbname, runtime->name, host)) != PS_OK)
		goto out;
	if (progress != NULL)
		fprintf(progress,
		    "granted only SELECT, INSERT, UPDATE, DELETE on %s.* to "
		    "%s\n",
		    dbname, runtime->name);
	st = PS_OK;
out:
	return st;
}
