/* cmd_db.c: the database connection parameters of a loaded configuration,
 * and the password files `portalctl db init` makes, for the portalctl
 * commands. */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd_db.h"
#include "crypto/crypto.h"

enum pstatus
cmd_db_params(const struct portal_conf *conf, enum cmd_db_role role,
    struct db_params *p, char **pw, size_t *pwn, char *err, size_t errsz)
{
	const struct conf_database *d = &conf->database;
	const struct conf_secret_ref *ref = &d->password;
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
	if (role == CMD_DB_MIGRATE && d->migrate_user != NULL) {
		p->user = d->migrate_user;
		ref = &d->migrate_password;
	}
	if (ref->path == NULL && ref->env == NULL)
		return PS_OK;
	st = conf_secret_read(ref, pw, pwn, why, sizeof(why));
	if (st != PS_OK) {
		errbuf_set(
		    err, errsz, "database password of %s: %s", p->user, why);
		return st;
	}
	p->password = *pw;
	return PS_OK;
}

enum pstatus
cmd_db_password_ensure(const struct conf_secret_ref *ref, gid_t gid,
    FILE *progress, char *err, size_t errsz)
{
	char pw[CRYPTO_TOKEN_SIZE + 1];
	struct stat sb;
	size_t n;
	int fd = -1;
	enum pstatus st = PS_ERROR;

	if (ref->path == NULL || lstat(ref->path, &sb) == 0)
		return PS_OK;
	if (errno != ENOENT) {
		errbuf_set(err, errsz, "%s: %s", ref->path, strerror(errno));
		return PS_ERROR;
	}
	if (crypto_token_new(pw) != PS_OK) {
		errbuf_set(err, errsz, "the random number generator failed");
		goto out;
	}
	n = strlen(pw);
	pw[n++] = '\n';
	fd = open(ref->path,
	    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || (gid != (gid_t)-1 && (fchown(fd, (uid_t)-1, gid) != 0 ||
	                                       fchmod(fd, 0640) != 0))) {
		errbuf_set(err, errsz, "%s: %s", ref->path, strerror(errno));
		goto out;
	}
	if (write(fd, pw, n) != (ssize_t)n || fsync(fd) != 0) {
		errbuf_set(err, errsz, "%s: %s", ref->path, strerror(errno));
		goto out;
	}
	if (progress != NULL)
		fprintf(progress, "wrote a new password to %s (mode %s)\n",
		    ref->path, gid != (gid_t)-1 ? "0640" : "0600");
	st = PS_OK;
out:
	if (fd >= 0 && close(fd) != 0 && st == PS_OK) {
		errbuf_set(err, errsz, "%s: %s", ref->path, strerror(errno));
		st = PS_ERROR;
	}
	if (st != PS_OK && fd >= 0)
		unlink(ref->path);
	explicit_bzero(pw, sizeof(pw));
	return st;
}
