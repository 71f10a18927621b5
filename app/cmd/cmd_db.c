/* cmd_db.c: the database connection parameters of a loaded configuration,
 * for the portalctl commands. */
#include <string.h>

#include "cmd/cmd_db.h"

enum pstatus
cmd_db_params(const struct portal_conf *conf, struct db_params *p, char **pw,
    size_t *pwn, char *err, size_t errsz)
{
	const struct conf_database *d = &conf->database;
	char why[400];
	enum pstatus st;

	memset(p, 0, sizeof(*p));
	*pw = NULL;
	*pwn = 0;
	p->socket = d->socket;
	p->host = d->host;
	p->port = (unsigned int)d->port;
	p->user = d->user;
	p->name = d->name;
	if (d->password.path == NULL && d->password.env == NULL)
		return PS_OK;
	st = conf_secret_read(&d->password, pw, pwn, why, sizeof(why));
	if (st != PS_OK) {
		errbuf_set(err, errsz, "database password: %s", why);
		return st;
	}
	p->password = *pw;
	return PS_OK;
}
