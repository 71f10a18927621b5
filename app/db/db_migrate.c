/* db_migrate.c: `portalctl db migrate`: applies the numbered sql/NNNN_*.sql
 * files not yet recorded in schema_migrations, in order, once each. The
 * file text, and db_admin.c's DDL, are the only SQL run without a prepared
 * statement. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysql.h>

#include "db/db.h"
#include "db/db_int.h"

/* A migration file is at most this big. */
#define MIG_MAX_BYTES (1024 * 1024)

struct mig {
	int64_t version;
	char *file; /* base name, heap */
};

static int
mig_cmp(const void *a, const void *b)
{
	const struct mig *x = a, *y = b;

	return x->version < y->version ? -1 : x->version > y->version;
}

/* Returns 1 when name is NNNN_word.sql (at least 4 digits, then '_'). */
static int
mig_name(const char *name, int64_t *version)
{
	size_t i = 0, n = strlen(name);
	int64_t v = 0;

	while (isdigit((unsigned char)name[i]) && i < 9) {
		v = v * 10 + (name[i] - '0');
		i++;
	}
	if (i < 4 || name[i] != '_' || n < i + 6 ||
	    strcmp(name + n - 4, ".sql") != 0)
		return 0;
	for (i++; i < n - 4; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
		    name[i] != '-')
			return 0;
	*version = v;
	return 1;
}

static void
migs_free(struct mig *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(m[i].file);
	free(m);
}

/* Lists dir's migration files sorted by version into *out. */
static enum pstatus
mig_list(
    const char *dir, struct mig **out, size_t *nout, char *err, size_t errsz)
{
	DIR *d;
	struct dirent *e;
	struct mig *m = NULL, *nm;
	size_t n = 0, cap = 0, i;
	int64_t v;
	enum pstatus st = PS_ERROR;

	*out = NULL;
	*nout = 0;
	if ((d = opendir(dir)) == NULL) {
		errbuf_set(err, errsz,
		    "%s: cannot open the migrations folder: %s", dir,
		    strerror(errno));
		return PS_ERROR;
	}
	while ((e = readdir(d)) != NULL) {
		if (!mig_name(e->d_name, &v))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nm = realloc(m, cap * sizeof(*m))) == NULL)
				goto nomem;
			m = nm;
		}
		if ((m[n].file = strdup(e->d_name)) == NULL)
			goto nomem;
		m[n++].version = v;
	}
	qsort(m, n, sizeof(*m), mig_cmp);
	for (i = 1; i < n; i++) {
		if (m[i].version == m[i - 1].version) {
			errbuf_set(err, errsz,
			    "%s: %s and %s have the same number", dir,
			    m[i - 1].file, m[i].file);
			goto out;
		}
	}
	if (n == 0) {
		errbuf_set(
		    err, errsz, "%s: no NNNN_name.sql migrations found", dir);
		goto out;
	}
	*out = m;
	*nout = n;
	m = NULL;
	n = 0;
	st = PS_OK;
	goto out;
nomem:
	errbuf_set(err, errsz, "%s: out of memory", dir);
	st = PS_NOMEM;
out:
	closedir(d);
	migs_free(m, n);
	return st;
}

static enum pstatus
read_file(const char *path, char **out, char *err, size_t errsz)
{
	FILE *f;
	char *p = NULL;
	size_t n;
	enum pstatus st = PS_ERROR;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		errbuf_set(err, errsz, "%s: %s", path, strerror(errno));
		return PS_ERROR;
	}
	if ((p = malloc(MIG_MAX_BYTES + 1)) == NULL) {
		errbuf_set(err, errsz, "%s: out of memory", path);
		st = PS_NOMEM;
		goto out;
	}
	n = fread(p, 1, MIG_MAX_BYTES + 1, f);
	if (ferror(f)) {
		errbuf_set(err, errsz, "%s: read error", path);
		goto out;
	}
	if (n > MIG_MAX_BYTES) {
		errbuf_set(err, errsz, "%s: larger than %d bytes", path,
		    MIG_MAX_BYTES);
		st = PS_TOOBIG;
		goto out;
	}
	if (memchr(p, '\0', n) != NULL) {
		errbuf_set(err, errsz, "%s: contains a NUL byte", path);
		goto out;
	}
	p[n] = '\0';
	*out = p;
	p = NULL;
	st = PS_OK;
out:
	free(p);
	fclose(f);
	return st;
}

/* Case-insensitive substring search. */
static int
has_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, w, n) == 0)
			return 1;
	return 0;
}

/* Runs one statement of file path that starts at line; the text is
 * stmt[0..n). */
static enum pstatus
run_text(struct db *db, const char *path, unsigned line, const char *stmt,
    size_t n, char *err, size_t errsz)
{
	MYSQL_RES *res;

	if (has_word(stmt, "LOCK TABLES") || has_word(stmt, "GET_LOCK")) {
		errbuf_set(err, errsz,
		    "%s:%u: LOCK TABLES and GET_LOCK are not Galera-safe; "
		    "remove them",
		    path, line);
		return PS_INVALID;
	}
	if (db->my == NULL || mysql_real_query(db->my, stmt, n) != 0) {
		errbuf_set(err, errsz, "%s: %s (statement at line %u)", path,
		    db->my ? mysql_error(db->my) : "not connected", line);
		return PS_ERROR;
	}
	/* Drain any result (a SELECT in a migration). */
	do {
		if ((res = mysql_store_result(db->my)) != NULL)
			mysql_free_result(res);
	} while (mysql_next_result(db->my) == 0);
	return PS_OK;
}

/* Splits text into statements that end with ';' at the end of a line,
 * skipping lines that start with "--", and runs each. */
static enum pstatus
run_file(struct db *db, const char *path, char *text, char *err, size_t errsz)
{
	char *p = text, *nl, *start = NULL, *end;
	unsigned line = 0, start_line = 0;
	enum pstatus st;

	while (*p != '\0') {
		char *q, *t;

		line++;
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		for (q = p; q < nl && isspace((unsigned char)*q); q++)
			;
		if (nl - q >= 2 && q[0] == '-' && q[1] == '-') {
			/* A comment line: blank it so it is not sent. */
			memset(p, ' ', (size_t)(nl - p));
			goto next;
		}
		if (start == NULL && q < nl) {
			start = q;
			start_line = line;
		}
		for (t = nl; t > p && isspace((unsigned char)t[-1]); t--)
			;
		if (start != NULL && t > p && t[-1] == ';') {
			end = t - 1;
			if ((st = run_text(db, path, start_line, start,
			         (size_t)(end - start), err, errsz)) != PS_OK)
				return st;
			start = NULL;
		}
	next:
		p = *nl == '\0' ? nl : nl + 1;
	}
	if (start != NULL) {
		end = start + strlen(start);
		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		if (end > start &&
		    (st = run_text(db, path, start_line, start,
		         (size_t)(end - start), err, errsz)) != PS_OK)
			return st;
	}
	return PS_OK;
}

enum pstatus
db_migrate(struct db *db, const char *sql_dir, FILE *progress, int *applied,
    char *err, size_t errsz)
{
	struct mig *m = NULL;
	size_t n = 0, i;
	char path[4096], *text = NULL;
	int count = 0;
	enum pstatus st;

	if (applied != NULL)
		*applied = 0;
	if ((st = mig_list(sql_dir, &m, &n, err, errsz)) != PS_OK)
		goto out;
	{
		struct q q = {.id = S_MIG_TABLE};

		if ((st = db_run(db, &q)) != PS_OK) {
			errbuf_set(
			    err, errsz, "schema_migrations: %s", db_errmsg(db));
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		int64_t have = 0;
		struct arg a[] = {AI(m[i].version), AS(m[i].file)};
		struct col c[] = {{C_I64, &have, 0}};
		struct q has = {
		    .id = S_MIG_HAS, .a = a, .na = 1, .c = c, .nc = 1};
		struct q add = {.id = S_MIG_ADD, .a = a, .na = 2};

		snprintf(path, sizeof(path), "%s/%s", sql_dir, m[i].file);
		if ((st = db_run(db, &has)) != PS_OK) {
			errbuf_set(
			    err, errsz, "schema_migrations: %s", db_errmsg(db));
			goto out;
		}
		if (has.rows > 0)
			continue;
		free(text);
		text = NULL;
		if ((st = read_file(path, &text, err, errsz)) != PS_OK)
			goto out;
		if ((st = run_file(db, path, text, err, errsz)) != PS_OK)
			goto out;
		if ((st = db_run(db, &add)) != PS_OK) {
			errbuf_set(err, errsz,
			    "%s: applied but not recorded: %s", path,
			    db_errmsg(db));
			goto out;
		}
		count++;
		if (progress != NULL)
			fprintf(progress, "applied %s\n", m[i].file);
	}
	st = PS_OK;
out:
	if (applied != NULL)
		*applied = count;
	free(text);
	migs_free(m, n);
	return st;
}

/* Sets *exists to whether schema_migrations exists in the current database. */
static enum pstatus
mig_table_exists(struct db *db, int *exists, char *err, size_t errsz)
{
	int64_t count = 0;
	struct col c[] = {{C_I64, &count, 0}};
	struct q q = {.id = S_MIG_EXISTS, .c = c, .nc = 1};
	enum pstatus st;

	*exists = 0;
	if ((st = db_run(db, &q)) != PS_OK) {
		errbuf_set(err, errsz, "schema_migrations: %s", db_errmsg(db));
		goto out;
	}
	*exists = count > 0;
out:
	return st;
}

/* Sets *applied to whether schema_migrations records version. */
static enum pstatus
mig_applied(
    struct db *db, int64_t version, int *applied, char *err, size_t errsz)
{
	int64_t have = 0;
	struct arg a[] = {AI(version)};
	struct col c[] = {{C_I64, &have, 0}};
	struct q has = {.id = S_MIG_HAS, .a = a, .na = 1, .c = c, .nc = 1};
	enum pstatus st;

	*applied = 0;
	if ((st = db_run(db, &has)) != PS_OK) {
		errbuf_set(err, errsz, "schema_migrations: %s", db_errmsg(db));
		goto out;
	}
	*applied = has.rows > 0;
out:
	return st;
}

enum pstatus
db_migrate_pending(struct db *db, const struct db_migration *m, size_t n,
    size_t *pending, const struct db_migration **first, char *err, size_t errsz)
{
	size_t i;
	int exists = 0, applied = 0;
	enum pstatus st;

	*pending = 0;
	*first = NULL;
	if ((st = mig_table_exists(db, &exists, err, errsz)) != PS_OK)
		goto out;
	for (i = 0; i < n; i++) {
		if (exists && (st = mig_applied(db, m[i].version, &applied, err,
		                   errsz)) != PS_OK)
			goto out;
		if (exists && applied)
			continue;
		if (*first == NULL)
			*first = &m[i];
		(*pending)++;
	}
	st = PS_OK;
out:
	return st;
}

enum pstatus
db_migrate_status(struct db *db, const char *sql_dir, FILE *out,
    size_t *pending, char *err, size_t errsz)
{
	struct mig *m = NULL;
	size_t n = 0, i;
	int exists = 0, applied = 0;
	enum pstatus st;

	*pending = 0;
	if ((st = mig_list(sql_dir, &m, &n, err, errsz)) != PS_OK)
		goto out;
	if ((st = mig_table_exists(db, &exists, err, errsz)) != PS_OK)
		goto out;
	for (i = 0; i < n; i++) {
		if (exists && (st = mig_applied(db, m[i].version, &applied, err,
		                   errsz)) != PS_OK)
			goto out;
		if (!exists || !applied)
			(*pending)++;
		fprintf(out, "%s %s\n",
		    exists && applied ? "applied" : "pending", m[i].file);
	}
	st = PS_OK;
out:
	migs_free(m, n);
	return st;
}
