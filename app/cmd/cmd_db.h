/* cmd_db.h: what the portalctl commands share to reach the database of a
 * loaded configuration. */
#ifndef PORTAL_CMD_DB_H
#define PORTAL_CMD_DB_H

#include <stddef.h>

#include "conf/conf.h"
#include "db/db.h"

/* Which of portal.yaml's database users to connect as. */
enum cmd_db_role {
	CMD_DB_RUNTIME, /* database.user: what portald and most commands use */
	CMD_DB_MIGRATE  /* database.migrate_user (else user): db migrate */
};

/* Fills *p from conf's database section for role and reads that user's
 * password, if one is configured, into *pw (*pwn bytes; NULL when none),
 * which p->password then points at: keep *pw while p is used, then release
 * it with conf_secret_free(*pw, *pwn). Returns PS_OK, or the status of
 * conf_secret_read() with "database password: ..." in err. */
enum pstatus cmd_db_params(const struct portal_conf *conf,
    enum cmd_db_role role, struct db_params *p, char **pw, size_t *pwn,
    char *err, size_t errsz);

/* For `portalctl db init`: when ref names a file that does not exist yet,
 * writes a new random password to it (mode 0640 and group gid when gid is
 * not (gid_t)-1, so portald's group can read it; else 0600, owned by the
 * caller) and says so on progress. A password in a variable, or a file that
 * exists, is left alone. Returns PS_OK, or PS_ERROR with err naming the
 * file (never the password). */
enum pstatus cmd_db_password_ensure(const struct conf_secret_ref *ref,
    gid_t gid, FILE *progress, char *err, size_t errsz);

#endif
