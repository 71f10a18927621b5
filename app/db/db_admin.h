/* db_admin.h: `portalctl db init` (db_admin.c): the database and the two
 * MariaDB users the portal needs, made by an administrator's connection.
 * The conventions of db.h hold. */
#ifndef PORTAL_DB_ADMIN_H
#define PORTAL_DB_ADMIN_H

#include <stddef.h>
#include <stdio.h>

#include "db/db.h"

/* One MariaDB account db_admin_init() makes: name@host, with a password, or
 * through the unix_socket plugin when password is NULL (the system user of
 * that name then connects over the socket without one). */
struct db_admin_user {
	const char *name;     /* letters, digits, '_', at most 32 bytes */
	const char *password; /* NULL: IDENTIFIED VIA unix_socket */
};

/* On admin (a connection of a user that may create databases, users and
 * grants, e.g. root over the socket):
 * - creates database dbname (utf8mb4) unless it exists;
 * - creates or updates (ALTER USER: the password is set again) migrate and
 *   runtime as name@host;
 * - grants migrate ALL PRIVILEGES on dbname.* (it changes the schema);
 * - takes every privilege from runtime, then grants it only SELECT, INSERT,
 *   UPDATE and DELETE on dbname.* (what portald and the other commands
 *   need).
 * Writes one line per step to progress (may be NULL), never a password.
 * Running it again changes nothing but the passwords. dbname and the names
 * must be letters, digits and '_'; host also '.', '-' and '%'. Returns
 * PS_OK, PS_INVALID (a bad name, or migrate and runtime the same user) or
 * PS_ERROR, with err saying which step failed and the server's message. */
enum pstatus db_admin_init(struct db *admin, const char *dbname,
    const char *host, const struct db_admin_user *migrate,
    const struct db_admin_user *runtime, FILE *progress, char *err,
    size_t errsz);

#endif
