/* db_migrate.h: the schema migrations (db_migrate.c): `portalctl db migrate`
 * and `db status`, and the start-up check of portald. The conventions of
 * db.h hold. */
#ifndef PORTAL_DB_MIGRATE_H
#define PORTAL_DB_MIGRATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "db/db.h"

/* Applies each sql_dir/NNNN_name.sql not yet listed in schema_migrations, in
 * numeric order, one statement at a time (statements end with ';' at the end
 * of a line; "--" comment lines are skipped), and records it. Writes one
 * line per applied file to progress (may be NULL). A re-run applies nothing.
 * A failing file stops the run with err "DIR/0003_x.sql: <server message>"
 * and is not recorded (DDL is not transactional in MariaDB: keep each file
 * small). Returns PS_OK or PS_ERROR. *applied (may be NULL) gets the count. */
enum pstatus db_migrate(struct db *db, const char *sql_dir, FILE *progress,
    int *applied, char *err, size_t errsz);

/* One migration a binary needs: its number and file name. */
struct db_migration {
	int64_t version;
	const char *file;
};

/* Sets *pending to how many of the n migrations in m schema_migrations does
 * not record (all of them when the table does not exist yet), and *first to
 * the first of those (NULL when none). Changes nothing: a user with only
 * SELECT may call it. PS_OK, or PS_ERROR with err from the server. */
enum pstatus db_migrate_pending(struct db *db, const struct db_migration *m,
    size_t n, size_t *pending, const struct db_migration **first, char *err,
    size_t errsz);

/* `portalctl db status`: writes one line per sql_dir/NNNN_name.sql to out,
 * "applied NNNN_name.sql" or "pending NNNN_name.sql", in order, and sets
 * *pending to the count of pending ones. Changes nothing. PS_OK or PS_ERROR
 * (err names the folder or the server's message). */
enum pstatus db_migrate_status(struct db *db, const char *sql_dir, FILE *out,
    size_t *pending, char *err, size_t errsz);

#endif
