/* secret.c: reading secrets named by the configuration (a file or an
 * environment variable, never inline) and wiping them on free. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf/conf.h"

#define SECRET_MAX (64 * 1024)

void
conf_secret_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

enum pstatus
conf_secret_read_file(const char *path, size_t min, unsigned char **out,
    size_t *n, char *err, size_t errsz)
{
	struct stat sb;
	unsigned char *buf = NULL;
	size_t got = 0, cap = 0;
	ssize_t r;
	int fd = -1;
	enum pstatus rc = PS_OK;

	*out = NULL;
	*n = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		errbuf_set(err, errsz, "cannot open secret file %s: %s", path,
		    strerror(errno));
		rc = errno == ENOENT   ? PS_NOTFOUND
		     : errno == EACCES ? PS_DENIED
		                       : PS_ERROR;
		goto out;
	}
	if (fstat(fd, &sb) == -1) {
		errbuf_set(err, errsz, "cannot stat secret file %s: %s", path,
		    strerror(errno));
		rc = PS_ERROR;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		errbuf_set(
		    err, errsz, "secret file %s is not a regular file", path);
		rc = PS_INVALID;
		goto out;
	}
	if (sb.st_mode & S_IROTH) {
		errbuf_set(err, errsz,
		    "secret file %s is readable by others (mode %04o); run "
		    "chmod o-rwx on it",
		    path, (unsigned)(sb.st_mode & 07777));
		rc = PS_DENIED;
		goto out;
	}
	if (sb.st_size > SECRET_MAX) {
		errbuf_set(err, errsz, "secret file %s is larger than %d bytes",
		    path, SECRET_MAX);
		rc = PS_TOOBIG;
		goto out;
	}
	cap = (size_t)sb.st_size + 1;
	if ((buf = malloc(cap)) == NULL) {
		rc = PS_NOMEM;
		goto out;
	}
	while (got < cap - 1) {
		r = read(fd, buf + got, cap - 1 - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			errbuf_set(err, errsz, "cannot read secret file %s: %s",
			    path, strerror(errno));
			rc = PS_ERROR;
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	if (got < min || got == 0) {
		errbuf_set(err, errsz,
		    "secret file %s holds %zu bytes; at least %zu are needed",
		    path, got, min ? min : 1);
		rc = PS_INVALID;
		goto out;
	}
	*out = buf;
	*n = got;
	buf = NULL;
out:
	if (fd != -1)
		close(fd);
	conf_secret_free(buf, cap);
	return rc;
}

enum pstatus
conf_secret_read(const struct conf_secret_ref *ref, char **out, size_t *n,
    char *err, size_t errsz)
{
	unsigned char *b = NULL;
	const char *ev;
	size_t len = 0, wipe = 0;
	enum pstatus rc = PS_OK;

	*out = NULL;
	*n = 0;
	if (ref == NULL || (ref->path == NULL && ref->env == NULL)) {
		errbuf_set(err, errsz, "no secret file or variable configured");
		rc = PS_NOTFOUND;
		goto out;
	}
	if (ref->path != NULL) {
		if ((rc = conf_secret_read_file(
		         ref->path, 1, &b, &len, err, errsz)) != PS_OK)
			goto out;
		wipe = len + 1; /* bytes read plus the NUL */
		/* One trailing newline, as left by editors and echo. */
		if (len > 0 && b[len - 1] == '\n')
			b[--len] = '\0';
		if (len > 0 && b[len - 1] == '\r')
			b[--len] = '\0';
		if (len == 0 || memchr(b, '\0', len) != NULL) {
			errbuf_set(err, errsz,
			    "secret file %s is empty or holds a NUL byte",
			    ref->path);
			rc = PS_INVALID;
			goto out;
		}
		*out = (char *)b;
		*n = len;
		b = NULL;
		goto out;
	}
	if ((ev = secure_getenv(ref->env)) == NULL || ev[0] == '\0') {
		errbuf_set(
		    err, errsz, "environment variable %s is not set", ref->env);
		rc = PS_NOTFOUND;
		goto out;
	}
	len = strlen(ev);
	if ((*out = malloc(len + 1)) == NULL) {
		rc = PS_NOMEM;
		goto out;
	}
	memcpy(*out, ev, len + 1);
	*n = len;
out:
	conf_secret_free(b, wipe);
	return rc;
}
