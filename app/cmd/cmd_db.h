/* cmd_db.h: what the portalctl commands share to reach the database of a
 * loaded configuration. */
#ifndef PORTAL_CMD_DB_H
#define PORTAL_CMD_DB_H

#include <stddef.h>

#include "conf/conf.h"
#include "db/db.h"

/* Fills *p from conf's database section and reads its password, if one is
 * configured, into *pw (*pwn bytes; NULL when none), which p->password then
 * points at: keep *pw while p is used, then release it with
 * conf_secret_free(*pw, *pwn). Returns PS_OK, or the status of
 * conf_secret_read() with "database password: ..." in err. */
enum pstatus cmd_db_params(const struct portal_conf *conf, struct db_params *p,
    char **pw, size_t *pwn, char *err, size_t errsz);

#endif
