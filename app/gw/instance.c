/* instance.c: one practice's gateway plugin instance: config validation
 * against the plugin's table, secrets, init/fini, and the operations with
 * result checks and one log line each. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf/conf.h"
#include "gw/gw.h"

#define SECRET_MAX 4096

struct gw_instance {
	struct gw_module *mod;
	const struct pgw_plugin *p;
	struct pgw_host *host;
	void *ctx;
	char *practice;
	int serialize;
	pthread_mutex_t lock;
};

const char *
gw_status_str(int32_t s)
{
	switch (s) {
	case PGW_SUCCEEDED:
		return "SUCCEEDED";
	case PGW_DECLINED:
		return "DECLINED";
	case PGW_PENDING:
		return "PENDING";
	case PGW_REQUIRES_ACTION:
		return "REQUIRES_ACTION";
	case PGW_RETRYABLE:
		return "RETRYABLE";
	case PGW_UNKNOWN:
		return "UNKNOWN";
	case PGW_ERROR:
		return "ERROR";
	case PGW_NOT_FOUND:
		return "NOT_FOUND";
	}
	return "INVALID";
}

static void res_init(struct pgw_result *res, char *err, size_t errsz);
static void widget_normalize(struct gw_instance *inst, struct pgw_widget *w);

/* Problem list: lines appended to err[errsz]. */
struct problems {
	char *err;
	size_t errsz;
	size_t n;
};

static void problem(struct problems *pr, const char *file, unsigned line,
    unsigned col, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
problem(struct problems *pr, const char *file, unsigned line, unsigned col,
    const char *fmt, ...)
{
	size_t used;
	va_list ap;

	pr->n++;
	if (pr->err == NULL || pr->errsz == 0)
		return;
	if (pr->n == 1)
		pr->err[0] = '\0';
	used = strlen(pr->err);
	if (used > 0 && used + 1 < pr->errsz) {
		pr->err[used++] = '\n';
		pr->err[used] = '\0';
	}
	if (used + 1 >= pr->errsz)
		return;
	if (line > 0)
		used += (size_t)snprintf(pr->err + used, pr->errsz - used,
		    "%s:%u:%u: ", file != NULL ? file : "(config)", line, col);
	else
		used += (size_t)snprintf(pr->err + used, pr->errsz - used,
		    "%s: ", file != NULL ? file : "(config)");
	if (used + 1 >= pr->errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(pr->err + used, pr->errsz - used, fmt, ap);
	va_end(ap);
}

/* Levenshtein distance of a and b (short keys). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[65], prev, tmp;

	if (la > 64 || lb > 64)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

static const struct pgw_conf_key *
table_find(const struct pgw_plugin *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->nconfig; i++)
		if (p->config[i].key != NULL &&
		    strcmp(p->config[i].key, key) == 0)
			return &p->config[i];
	return NULL;
}

static const char *
table_suggest(const struct pgw_plugin *p, const char *key)
{
	const char *best = NULL;
	size_t i, bd = 99, lim = strlen(key) > 8 ? 3 : 2;

	for (i = 0; i < p->nconfig; i++) {
		size_t d;

		if (p->config[i].key == NULL)
			continue;
		d = edit_distance(key, p->config[i].key);
		if (d < bd) {
			bd = d;
			best = p->config[i].key;
		}
	}
	return bd <= lim ? best : NULL;
}

static const char *
type_name(int32_t t)
{
	switch (t) {
	case PGW_CONF_STRING:
		return "a string";
	case PGW_CONF_SECRET_FILE:
		return "the absolute path of a secret file";
	case PGW_CONF_SECRET_ENV:
		return "an environment variable name";
	case PGW_CONF_URL:
		return "an https:// URL (http:// only to loopback)";
	case PGW_CONF_INT:
		return "an integer";
	case PGW_CONF_BOOL:
		return "true or false";
	}
	return "a value";
}

static int
bool_word(const char *v, int *out)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	size_t i;

	for (i = 0; i < 3; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = 1;
			return 1;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = 0;
			return 1;
		}
	}
	return 0;
}

static int
url_ok(const char *v)
{
	const char *host;
	size_t i;

	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://127.0.0.1", 16) == 0 ||
	         strncmp(v, "http://localhost", 16) == 0 ||
	         strncmp(v, "http://[::1]", 12) == 0)
		host = v + 7;
	else
		return 0;
	if (*host == '\0' || *host == '/' || *host == ':')
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f ||
		    v[i] == '"' || v[i] == '<' || v[i] == '>' || v[i] == '\\')
			return 0;
	return 1;
}

static int
env_name_ok(const char *v)
{
	size_t i;

	if (v[0] == '\0' || (v[0] >= '0' && v[0] <= '9'))
		return 0;
	for (i = 0; v[i] != '\0'; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') ||
		        (v[i] >= 'a' && v[i] <= 'z') ||
		        (v[i] >= '0' && v[i] <= '9') || v[i] == '_'))
			return 0;
	return 1;
}

static void
check_value(struct problems *pr, const struct gw_conf_item *it,
    const struct pgw_conf_key *k)
{
	const char *v = it->value;
	int64_t iv;
	int b;
	char e[128];

	if (v == NULL || !utf8_valid(v, strlen(v))) {
		problem(pr, it->file, it->line, it->col,
		    "gateway.%s: not valid UTF-8 text", it->key);
		return;
	}
	switch (k->type) {
	case PGW_CONF_STRING:
		return;
	case PGW_CONF_INT:
		if (util_strtonum(v, strlen(v), INT64_MIN, INT64_MAX, &iv, e,
		        sizeof(e)) == PS_OK)
			return;
		break;
	case PGW_CONF_BOOL:
		if (bool_word(v, &b))
			return;
		break;
	case PGW_CONF_URL:
		if (url_ok(v))
			return;
		break;
	case PGW_CONF_SECRET_FILE:
		if (v[0] == '/')
			return;
		break;
	case PGW_CONF_SECRET_ENV:
		if (env_name_ok(v))
			return;
		break;
	default:
		problem(pr, it->file, it->line, it->col,
		    "gateway.%s: the plugin declares an unknown type %d",
		    it->key, (int)k->type);
		return;
	}
	problem(pr, it->file, it->line, it->col,
	    "gateway.%s: \"%s\" is not %s%s%s", it->key,
	    k->type == PGW_CONF_SECRET_FILE || k->type == PGW_CONF_SECRET_ENV ||
	            k->type == PGW_CONF_STRING
	        ? "(value hidden)"
	        : v,
	    type_name(k->type), k->help != NULL ? "; expected: " : "",
	    k->help != NULL ? k->help : "");
}

enum pstatus
gw_conf_check(const struct pgw_plugin *p, const struct gw_conf_item *items,
    size_t n, size_t *nproblems, char *err, size_t errsz)
{
	struct problems pr = {err, errsz, 0};
	const char *file = NULL;
	size_t i, j;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct gw_conf_item *it = &items[i];
		const struct pgw_conf_key *k;
		const char *sug;

		if (it->file != NULL)
			file = it->file;
		if (it->key == NULL)
			continue;
		if ((k = table_find(p, it->key)) == NULL) {
			sug = table_suggest(p, it->key);
			if (sug != NULL)
				problem(&pr, it->file, it->line, it->col,
				    "gateway: unknown key \"%s\" for plugin "
				    "%s (did you mean \"%s\"?)",
				    it->key, p->name, sug);
			else
				problem(&pr, it->file, it->line, it->col,
				    "gateway: unknown key \"%s\" for plugin "
				    "%s",
				    it->key, p->name);
			continue;
		}
		for (j = 0; j < i; j++)
			if (items[j].key != NULL &&
			    strcmp(items[j].key, it->key) == 0)
				break;
		if (j < i) {
			problem(&pr, it->file, it->line, it->col,
			    "gateway: duplicate key \"%s\"", it->key);
			continue;
		}
		check_value(&pr, it, k);
	}
	for (i = 0; i < p->nconfig; i++) {
		const struct pgw_conf_key *k = &p->config[i];

		if (k->key == NULL || !k->required)
			continue;
		for (j = 0; j < n; j++)
			if (items[j].key != NULL &&
			    strcmp(items[j].key, k->key) == 0)
				break;
		if (j == n)
			problem(&pr, file, 0, 0,
			    "gateway: plugin %s requires key \"%s\" (%s)",
			    p->name, k->key,
			    k->help != NULL ? k->help : type_name(k->type));
	}
	if (nproblems != NULL)
		*nproblems = pr.n;
	return pr.n == 0 ? PS_OK : PS_INVALID;
}

enum pstatus
gw_conf_from_node(const struct conf_node *gw, const char **plugin,
    struct gw_conf_item **items, size_t *n, char *err, size_t errsz)
{
	struct problems pr = {err, errsz, 0};
	struct gw_conf_item *a = NULL;
	enum pstatus rc = PS_INVALID;
	size_t i, k = 0;

	*plugin = NULL;
	*items = NULL;
	*n = 0;
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if (gw == NULL || gw->kind != CN_MAP) {
		problem(&pr, gw != NULL ? gw->file : NULL,
		    gw != NULL ? gw->line : 0, gw != NULL ? gw->col : 0,
		    "gateway: expected a mapping with \"plugin:\" and the "
		    "plugin's keys");
		goto out;
	}
	if ((a = calloc(gw->nchildren + 1, sizeof(*a))) == NULL) {
		errbuf_set(err, errsz, "%s: out of memory", gw->file);
		rc = PS_NOMEM;
		goto out;
	}
	for (i = 0; i < gw->nchildren; i++) {
		const struct conf_node *c = gw->children[i];

		if (c->kind != CN_SCALAR) {
			problem(&pr, c->file, c->line, c->col,
			    "gateway.%s: expected a scalar, found %s",
			    c->key != NULL ? c->key : "?",
			    c->kind == CN_MAP ? "a mapping" : "a sequence");
			continue;
		}
		if (c->key != NULL && strcmp(c->key, "plugin") == 0) {
			*plugin = c->value;
			continue;
		}
		a[k].key = c->key;
		a[k].value = c->value;
		a[k].file = c->file;
		a[k].line = c->line;
		a[k].col = c->col;
		k++;
	}
	if (*plugin == NULL)
		problem(&pr, gw->file, gw->key_line ? gw->key_line : gw->line,
		    gw->key_line ? gw->key_col : gw->col,
		    "gateway: \"plugin:\" is required (the plugin's name, "
		    "e.g. sandbox)");
	rc = pr.n == 0 ? PS_OK : PS_INVALID;
out:
	if (rc != PS_OK) {
		free(a);
		a = NULL;
		k = 0;
		*plugin = NULL;
	}
	*items = a;
	*n = k;
	return rc;
}

/* Reads the secret file path into a new buffer (trailing newline dropped). */
static enum pstatus
read_secret_file(const char *where, const char *key, const char *path,
    char **out, char *err, size_t errsz)
{
	enum pstatus rc = PS_INVALID;
	char *buf = NULL;
	struct stat sb;
	size_t len = 0;
	ssize_t r;
	int fd = -1;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		errbuf_set(err, errsz, "%s: gateway.%s: %s: %s", where, key,
		    path, strerror(errno));
		rc = errno == ENOENT ? PS_NOTFOUND : PS_DENIED;
		goto out;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		errbuf_set(err, errsz, "%s: gateway.%s: %s: not a regular file",
		    where, key, path);
		goto out;
	}
	if (sb.st_mode & S_IROTH) {
		errbuf_set(err, errsz,
		    "%s: gateway.%s: %s is world-readable; refusing to use it "
		    "(chmod o-r)",
		    where, key, path);
		rc = PS_DENIED;
		goto out;
	}
	if ((buf = calloc(1, SECRET_MAX + 2)) == NULL) {
		rc = PS_NOMEM;
		errbuf_set(err, errsz, "out of memory");
		goto out;
	}
	while (len < SECRET_MAX + 1 &&
	       (r = read(fd, buf + len, SECRET_MAX + 1 - len)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			errbuf_set(err, errsz, "%s: gateway.%s: %s: %s", where,
			    key, path, strerror(errno));
			goto out;
		}
		len += (size_t)r;
	}
	if (len > SECRET_MAX) {
		errbuf_set(err, errsz, "%s: gateway.%s: %s is over %d bytes",
		    where, key, path, SECRET_MAX);
		goto out;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (len == 0 || memchr(buf, '\0', len) != NULL) {
		errbuf_set(err, errsz,
		    "%s: gateway.%s: %s is empty or holds a NUL byte", where,
		    key, path);
		goto out;
	}
	*out = buf;
	buf = NULL;
	rc = PS_OK;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, SECRET_MAX + 2);
		free(buf);
	}
	if (fd != -1)
		close(fd);
	return rc;
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

enum pstatus
gw_instance_new(struct gw_module *m, const char *practice,
    const struct gw_conf_item *items, size_t n, struct gw_instance **out,
    char *err, size_t errsz)
{
	const struct pgw_plugin *p = gw_module_plugin(m);
	struct gw_instance *inst = NULL;
	struct pgw_kv *kv = NULL;
	char **values = NULL, **wheres = NULL;
	enum pstatus rc = PS_NOMEM;
	char tag[256], perr[512], v1[160], v2[300];
	size_t i, nkv = 0;
	int32_t irc;
	struct pgw_result ires;

	*out = NULL;
	perr[0] = '\0';
	if ((rc = gw_conf_check(p, items, n, NULL, err, errsz)) != PS_OK)
		goto err;
	rc = PS_NOMEM;
	if ((inst = calloc(1, sizeof(*inst))) == NULL ||
	    (inst->practice = strdup(practice != NULL ? practice : "")) == NULL)
		goto nomem;
	snprintf(tag, sizeof(tag), "practice=%s plugin=%s",
	    log_value(inst->practice, v1, sizeof(v1)),
	    log_value(p->name, v2, sizeof(v2)));
	if ((inst->host = gw_host_new(tag)) == NULL)
		goto nomem;
	if ((kv = calloc(n + 1, sizeof(*kv))) == NULL ||
	    (values = calloc(n + 1, sizeof(*values))) == NULL ||
	    (wheres = calloc(n + 1, sizeof(*wheres))) == NULL)
		goto nomem;
	/* In the table's order, as the header promises. */
	for (i = 0; i < p->nconfig; i++) {
		const struct pgw_conf_key *k = &p->config[i];
		const struct gw_conf_item *it = NULL;
		char where[300];
		size_t j;

		for (j = 0; j < n; j++)
			if (items[j].key != NULL && k->key != NULL &&
			    strcmp(items[j].key, k->key) == 0) {
				it = &items[j];
				break;
			}
		if (it == NULL)
			continue;
		if (it->line > 0)
			snprintf(where, sizeof(where), "%s:%u:%u",
			    it->file != NULL ? it->file : "(config)", it->line,
			    it->col);
		else
			snprintf(where, sizeof(where), "%s",
			    it->file != NULL ? it->file : "(config)");
		if ((wheres[nkv] = strdup(where)) == NULL)
			goto nomem;
		if (k->type == PGW_CONF_SECRET_FILE) {
			rc = read_secret_file(where, it->key, it->value,
			    &values[nkv], err, errsz);
			if (rc != PS_OK)
				goto err;
		} else if (k->type == PGW_CONF_SECRET_ENV) {
			const char *e = getenv(it->value);

			if (e == NULL || e[0] == '\0') {
				errbuf_set(err, errsz,
				    "%s: gateway.%s: environment variable %s "
				    "is not set or empty",
				    where, it->key, it->value);
				rc = PS_INVALID;
				goto err;
			}
			if ((values[nkv] = strdup(e)) == NULL)
				goto nomem;
		} else if (k->type == PGW_CONF_BOOL) {
			int b = 0;

			bool_word(it->value, &b);
			if ((values[nkv] = strdup(b ? "true" : "false")) ==
			    NULL)
				goto nomem;
		} else if ((values[nkv] = strdup(it->value)) == NULL)
			goto nomem;
		if ((k->type == PGW_CONF_SECRET_FILE ||
		        k->type == PGW_CONF_SECRET_ENV) &&
		    gw_host_add_secret(inst->host, values[nkv]) != PS_OK)
			goto nomem;
		kv[nkv].key = k->key;
		kv[nkv].value = values[nkv];
		kv[nkv].value_len = strlen(values[nkv]);
		kv[nkv].type = k->type;
		kv[nkv].where = wheres[nkv];
		nkv++;
	}
	inst->mod = m;
	inst->p = p;
	inst->serialize = !(p->caps & PGW_CAP_THREADSAFE);
	pthread_mutex_init(&inst->lock, NULL);
	if (p->abi_minor >= 1 && p->init2 != NULL) {
		/* 1.1: init reports like every operation. */
		res_init(&ires, perr, sizeof(perr));
		irc = p->init2(inst->host, kv, nkv, &inst->ctx, &ires);
		perr[sizeof(perr) - 1] = '\0';
		if (irc == PGW_SUCCEEDED && inst->ctx == NULL) {
			snprintf(perr, sizeof(perr), "init2 stored no context");
			irc = PGW_ERROR;
		}
	} else
		irc = p->init(
		    inst->host, kv, nkv, &inst->ctx, perr, sizeof(perr));
	if (irc != PGW_SUCCEEDED) {
		gw_redact(inst->host, perr);
		errbuf_set(err, errsz,
		    "practice %s: gateway plugin %s (%s): init failed: %s; "
		    "Online Payments are off for this practice",
		    inst->practice, gw_module_path(m), p->name,
		    perr[0] != '\0' ? perr : gw_status_str(irc));
		pthread_mutex_destroy(&inst->lock);
		inst->mod = NULL;
		rc = PS_ERROR;
		goto err;
	}
	*out = inst;
	inst = NULL;
	m = NULL;
	rc = PS_OK;
	goto out;
nomem:
	errbuf_set(err, errsz, "practice %s: gateway plugin %s: out of memory",
	    practice != NULL ? practice : "", gw_module_path(m));
	rc = PS_NOMEM;
err:
	if (inst != NULL) {
		gw_host_free(inst->host);
		free(inst->practice);
		free(inst);
	}
	gw_module_close(m);
out:
	for (i = 0; i < nkv + 1 && values != NULL; i++)
		wipe_free(values[i]);
	for (i = 0; i < nkv + 1 && wheres != NULL; i++)
		free(wheres[i]);
	free(values);
	free(wheres);
	free(kv);
	OPENSSL_cleanse(perr, sizeof(perr));
	return rc;
}

enum pstatus
gw_instance_open(const char *plugindir, const char *name, const char *practice,
    const struct gw_conf_item *items, size_t n, struct gw_instance **out,
    char *err, size_t errsz)
{
	struct gw_module *m = NULL;
	char path[4096];
	enum pstatus rc;

	*out = NULL;
	if ((rc = gw_plugin_path(
	         plugindir, name, path, sizeof(path), err, errsz)) != PS_OK)
		return rc;
	if ((rc = gw_module_open(plugindir, path, &m, err, errsz)) != PS_OK)
		return rc;
	if (strcmp(gw_module_plugin(m)->name, name) != 0) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: calls itself \"%s\", not \"%s\"", path,
		    gw_module_plugin(m)->name, name);
		gw_module_close(m);
		return PS_INVALID;
	}
	return gw_instance_new(m, practice, items, n, out, err, errsz);
}

enum pstatus
gw_practice_open(const char *plugindir, const struct conf_node *gateway,
    const char *practice, struct gw_instance **out, char *err, size_t errsz)
{
	struct gw_conf_item *items = NULL;
	const char *name = NULL;
	enum pstatus rc;
	size_t n = 0;

	*out = NULL;
	rc = gw_conf_from_node(gateway, &name, &items, &n, err, errsz);
	if (rc == PS_OK)
		rc = gw_instance_open(
		    plugindir, name, practice, items, n, out, err, errsz);
	free(items);
	return rc;
}

void
gw_instance_free(struct gw_instance *inst)
{
	if (inst == NULL)
		return;
	if (inst->p != NULL && inst->ctx != NULL)
		inst->p->fini(inst->ctx);
	pthread_mutex_destroy(&inst->lock);
	gw_host_free(inst->host);
	gw_module_close(inst->mod);
	free(inst->practice);
	free(inst);
}

const struct pgw_plugin *
gw_instance_plugin(const struct gw_instance *inst)
{
	return inst->p;
}

struct pgw_host *
gw_instance_host(struct gw_instance *inst)
{
	return inst->host;
}

/* Prepares res for a call. */
static void
res_init(struct pgw_result *res, char *err, size_t errsz)
{
	memset(res, 0, sizeof(*res));
	res->size = sizeof(*res);
	res->err = err;
	res->errsz = errsz;
	if (err != NULL && errsz > 0)
		err[0] = '\0';
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keeps res->action only for REQUIRES_ACTION, terminated and bounded. */
static void
action_check(int32_t rc, struct pgw_result *res)
{
	struct pgw_next_action *a = &res->action;
	uint32_t i;

	if (rc != PGW_REQUIRES_ACTION || a->type < PGW_ACTION_NONE ||
	    a->type > PGW_ACTION_REDIRECT) {
		memset(a, 0, sizeof(*a));
		return;
	}
	a->kind[sizeof(a->kind) - 1] = '\0';
	a->ref[sizeof(a->ref) - 1] = '\0';
	a->url[sizeof(a->url) - 1] = '\0';
	if (a->nvalues > PGW_ACTION_VALUES_MAX)
		a->nvalues = PGW_ACTION_VALUES_MAX;
	for (i = 0; i < PGW_ACTION_VALUES_MAX; i++) {
		a->values[i].name[sizeof(a->values[i].name) - 1] = '\0';
		a->values[i].value[sizeof(a->values[i].value) - 1] = '\0';
	}
}

/* 1.1: the payment's own state is the returned status when that is one. */
static void
payment_status(struct gw_instance *inst, int32_t rc, struct pgw_payment *out)
{
	if (inst->p->abi_minor >= 1 &&
	    (rc == PGW_SUCCEEDED || rc == PGW_DECLINED || rc == PGW_PENDING ||
	        rc == PGW_REQUIRES_ACTION))
		out->status = rc;
}

/* Checks the returned status, NUL-terminates text fields, logs. */
static enum pgw_status
finish(struct gw_instance *inst, const char *op, int32_t rc,
    struct pgw_result *res, int money, int64_t t0)
{
	char v1[200], v2[600];
	int ok = rc >= 0 && rc <= PGW_STATUS_MAX_ &&
	         (rc != PGW_NOT_FOUND || strcmp(op, "lookup") == 0);

	res->code[sizeof(res->code) - 1] = '\0';
	res->message[sizeof(res->message) - 1] = '\0';
	if (res->err != NULL && res->errsz > 0)
		res->err[res->errsz - 1] = '\0';
	/* 1.1: the return value is the one status; 1.0: both must agree. */
	if (ok && inst->p->abi_minor >= 1)
		res->status = rc;
	action_check(rc, res);
	if (!ok || rc != res->status) {
		errbuf_set(res->err, res->errsz,
		    "gateway plugin %s: %s returned status %d (result says "
		    "%d)%s",
		    inst->p->name, op, (int)rc, (int)res->status,
		    money ? "; treating the outcome as unknown" : "");
		rc = money ? PGW_UNKNOWN : PGW_ERROR;
		res->status = rc;
	}
	if (res->err != NULL)
		gw_redact(inst->host, res->err);
	gw_redact(inst->host, res->message);
	gw_redact(inst->host, res->code);
	log_kv(rc == PGW_SUCCEEDED || rc == PGW_DECLINED || rc == PGW_PENDING ||
	               rc == PGW_REQUIRES_ACTION || rc == PGW_NOT_FOUND
	           ? LOG_LVL_INFO
	           : LOG_LVL_WARN,
	    "event=gateway_op practice=%s plugin=%s op=%s status=%s code=%s "
	    "http=%d ms=%lld err=%s",
	    log_value(inst->practice, v1, sizeof(v1)), inst->p->name, op,
	    gw_status_str(rc), res->code[0] != '\0' ? res->code : "-",
	    (int)res->http_status, (long long)(now_ms() - t0),
	    log_value(res->err != NULL && rc != PGW_SUCCEEDED ? res->err : "",
	        v2, sizeof(v2)));
	return (enum pgw_status)rc;
}

/* Calls inst->p->FN(ctx, ARGS...) under the instance lock when needed. */
#define CALL(inst, expr)                                     \
	do {                                                 \
		if ((inst)->serialize)                       \
			pthread_mutex_lock(&(inst)->lock);   \
		rc = (expr);                                 \
		if ((inst)->serialize)                       \
			pthread_mutex_unlock(&(inst)->lock); \
	} while (0)

static enum pgw_status
unsupported(struct gw_instance *inst, const char *op, struct pgw_result *res)
{
	res->status = PGW_ERROR;
	snprintf(res->code, sizeof(res->code), "unsupported");
	errbuf_set(res->err, res->errsz, "gateway plugin %s does not offer %s",
	    inst->p->name, op);
	return finish(inst, op, PGW_ERROR, res, 0, now_ms());
}

#define PREP(out)                                 \
	do {                                      \
		memset((out), 0, sizeof(*(out))); \
		(out)->size = sizeof(*(out));     \
		res_init(res, err, errsz);        \
	} while (0)

enum pgw_status
gw_create_customer(struct gw_instance *inst, const struct pgw_customer_req *req,
    struct pgw_customer *out, struct pgw_result *res, char *err, size_t errsz)
{
	int64_t t0 = now_ms();
	int32_t rc;

	PREP(out);
	if (inst->p->create_customer == NULL)
		return unsupported(inst, "create_customer", res);
	CALL(inst, inst->p->create_customer(inst->ctx, req, out, res));
	out->id[sizeof(out->id) - 1] = '\0';
	return finish(inst, "create_customer", rc, res, 0, t0);
}

enum pgw_status
gw_card_widget(struct gw_instance *inst, struct pgw_widget *out,
    struct pgw_result *res, char *err, size_t errsz)
{
	int64_t t0 = now_ms();
	int32_t rc;

	PREP(out);
	if (inst->p->card_widget == NULL)
		return unsupported(inst, "card_widget", res);
	CALL(inst, inst->p->card_widget(inst->ctx, out, res));
	widget_normalize(inst, out);
	return finish(inst, "card_widget", rc, res, 0, t0);
}

/* Terminates the widget's text, bounds its counts, and for a 1.0 plugin
 * derives the 1.1 members from the 1.0 ones. */
static void
widget_normalize(struct gw_instance *inst, struct pgw_widget *w)
{
	static const int32_t dirs[] = {
	    PGW_CSP_SCRIPT, PGW_CSP_FRAME, PGW_CSP_CONNECT};
	uint32_t i;

	w->script_url[sizeof(w->script_url) - 1] = '\0';
	w->origin[sizeof(w->origin) - 1] = '\0';
	w->public_key[sizeof(w->public_key) - 1] = '\0';
	w->mode[sizeof(w->mode) - 1] = '\0';
	if (inst->p->abi_minor < 1) {
		memset(
		    w->sdk, 0, sizeof(*w) - offsetof(struct pgw_widget, sdk));
		snprintf(w->sdk, sizeof(w->sdk), "%s", inst->p->name);
		if (w->public_key[0] != '\0') {
			snprintf(w->values[0].name, sizeof(w->values[0].name),
			    "publishable_key");
			snprintf(w->values[0].value, sizeof(w->values[0].value),
			    "%s", w->public_key);
			w->nvalues = 1;
		}
		for (i = 0; w->origin[0] != '\0' && i < 3; i++) {
			w->origins[i].directive = dirs[i];
			snprintf(w->origins[i].origin,
			    sizeof(w->origins[i].origin), "%.255s", w->origin);
		}
		w->norigins = w->origin[0] != '\0' ? 3 : 0;
		return;
	}
	w->sdk[sizeof(w->sdk) - 1] = '\0';
	if (w->nvalues > PGW_WIDGET_VALUES_MAX)
		w->nvalues = PGW_WIDGET_VALUES_MAX;
	if (w->norigins > PGW_WIDGET_ORIGINS_MAX)
		w->norigins = PGW_WIDGET_ORIGINS_MAX;
	for (i = 0; i < PGW_WIDGET_VALUES_MAX; i++) {
		w->values[i].name[sizeof(w->values[i].name) - 1] = '\0';
		w->values[i].value[sizeof(w->values[i].value) - 1] = '\0';
	}
	for (i = 0; i < PGW_WIDGET_ORIGINS_MAX; i++)
		w->origins[i].origin[sizeof(w->origins[i].origin) - 1] = '\0';
	if (w->sdk[0] == '\0')
		snprintf(w->sdk, sizeof(w->sdk), "%s", inst->p->name);
}

static void
card_terminate(struct pgw_card *c)
{
	c->payment_method[sizeof(c->payment_method) - 1] = '\0';
	c->brand[sizeof(c->brand) - 1] = '\0';
	c->last4[sizeof(c->last4) - 1] = '\0';
}

enum pgw_status
gw_save_card(struct gw_instance *inst, const struct pgw_save_card_req *req,
    struct pgw_card *out, struct pgw_result *res, char *err, size_t errsz)
{
	int64_t t0 = now_ms();
	int32_t rc;

	PREP(out);
	if (inst->p->save_card == NULL)
		return unsupported(inst, "save_card", res);
	CALL(inst, inst->p->save_card(inst->ctx, req, out, res));
	card_terminate(out);
	return finish(inst, "save_card", rc, res, 0, t0);
}

static void
payment_terminate(struct pgw_payment *p)
{
	p->ref[sizeof(p->ref) - 1] = '\0';
	p->currency[sizeof(p->currency) - 1] = '\0';
	p->idempotency_key[sizeof(p->idempotency_key) - 1] = '\0';
	p->decline_code[sizeof(p->decline_code) - 1] = '\0';
	card_terminate(&p->card);
}

enum pgw_status
gw_charge(struct gw_instance *inst, const struct pgw_charge_req *req,
    struct pgw_payment *out, struct pgw_result *res, char *err, size_t errsz)
{
	int64_t t0 = now_ms();
	int32_t rc;

	PREP(out);
	out->card.size = sizeof(out->card);
	if (req == NULL || req->amount <= 0 || req->currency == NULL ||
	    req->idempotency_key == NULL || req->idempotency_key[0] == '\0' ||
	    (req->payment_method == NULL) == (req->token == NULL)) {
		res->status = PGW_ERROR;
		errbuf_set(err, errsz,
		    "charge needs an amount > 0, a currency, an idempotency "
		    "key and exactly one of payment_method and token");
		return finish(inst, "charge", PGW_ERROR, res, 0, t0);
	}
	CALL(inst, inst->p->charge(inst->ctx, req, out, res));
	payment_terminate(out);
	payment_status(inst, rc, out);
	return finish(inst, "charge", rc, res, 1, t0);
}

enum pgw_status
gw_refund(struct gw_instance *inst, const struct pgw_refund_req *req,
    struct pgw_refund *out, struct pgw_result *res, char *err, size_t errsz)
{
	int64_t t0 = now_ms();
	int32_t rc;

	PREP(out);
	if (inst->p->refund == NULL)
		return unsupported(inst, "refund", res);
	if (req == NULL || req->amount < 0 || req->payment_ref == NULL ||
	    req->idempotency_key == NULL || req->idempotency_key[0] == '\0') {
		res->status = PGW_ERROR;
		errbuf_set(err, errsz,
		    "refund needs a payment reference, an amount >= 0 and an "
		    "idempotency key");
		return finish(inst, "refund", PGW_ERROR, res, 0, t0);
	}
	CALL(inst, inst->p->refund(inst->ctx, req, out, res));
	if (inst->p->abi_minor >= 1 &&
	    (rc == PGW_SUCCEEDED || rc == PGW_PENDING || rc == PGW_DECLINED))
		out->status = rc;
	out->ref[sizeof(out->ref) - 1] = '\0';
	out->payment_ref[sizeof(out->payment_ref) - 1] = '\0';
	return finish(inst, "refund", rc, res, 1, t0);
}

enum pgw_status
gw_lookup(struct gw_instance *inst, const struct pgw_lookup_req *req,
    struct pgw_payment *out, struct pgw_result *res, char *err, size_t errsz)
{
	int64_t t0 = now_ms();
	int32_t rc;

	PREP(out);
	out->card.size = sizeof(out->card);
	if (req == NULL ||
	    (req->idempotency_key == NULL && req->payment_ref == NULL)) {
		res->status = PGW_ERROR;
		errbuf_set(err, errsz,
		    "lookup needs an idempotency key or a payment reference");
		return finish(inst, "lookup", PGW_ERROR, res, 0, t0);
	}
	CALL(inst, inst->p->lookup(inst->ctx, req, out, res));
	payment_terminate(out);
	payment_status(inst, rc, out);
	return finish(inst, "lookup", rc, res, 0, t0);
}

enum pgw_status
gw_webhook(struct gw_instance *inst, const struct pgw_webhook_req *req,
    struct pgw_event *out, struct pgw_result *res, char *err, size_t errsz)
{
	int64_t t0 = now_ms();
	int32_t rc;

	PREP(out);
	if (inst->p->webhook == NULL)
		return unsupported(inst, "webhook", res);
	CALL(inst, inst->p->webhook(inst->ctx, req, out, res));
	out->id[sizeof(out->id) - 1] = '\0';
	out->type_name[sizeof(out->type_name) - 1] = '\0';
	out->payment_ref[sizeof(out->payment_ref) - 1] = '\0';
	return finish(inst, "webhook", rc, res, 0, t0);
}

/* The completion operations exist for a 1.1 plugin that sets them. */
#define HAS_OP(inst, m) ((inst)->p->abi_minor >= 1 && (inst)->p->m != NULL)

enum pgw_status
gw_complete_charge(struct gw_instance *inst, const struct pgw_complete_req *req,
    struct pgw_payment *out, struct pgw_result *res, char *err, size_t errsz)
{
	const struct pgw_charge_req *c = req != NULL ? req->charge : NULL;
	int64_t t0 = now_ms();
	int32_t rc;

	PREP(out);
	out->card.size = sizeof(out->card);
	if (!HAS_OP(inst, complete_charge))
		return unsupported(inst, "complete_charge", res);
	if (c == NULL || req->ref == NULL || req->ref[0] == '\0' ||
	    c->amount <= 0 || c->currency == NULL ||
	    c->idempotency_key == NULL || c->idempotency_key[0] == '\0' ||
	    (c->payment_method == NULL) == (c->token == NULL)) {
		res->status = PGW_ERROR;
		errbuf_set(err, errsz,
		    "complete_charge needs the action's ref and the original "
		    "charge request (amount, currency, idempotency key, one "
		    "card source)");
		return finish(inst, "complete_charge", PGW_ERROR, res, 0, t0);
	}
	CALL(inst, inst->p->complete_charge(inst->ctx, req, out, res));
	payment_terminate(out);
	payment_status(inst, rc, out);
	return finish(inst, "complete_charge", rc, res, 1, t0);
}

enum pgw_status
gw_complete_save_card(struct gw_instance *inst,
    const struct pgw_complete_req *req, struct pgw_card *out,
    struct pgw_result *res, char *err, size_t errsz)
{
	int64_t t0 = now_ms();
	int32_t rc;

	PREP(out);
	if (!HAS_OP(inst, complete_save_card))
		return unsupported(inst, "complete_save_card", res);
	if (req == NULL || req->save == NULL || req->ref == NULL ||
	    req->ref[0] == '\0') {
		res->status = PGW_ERROR;
		errbuf_set(err, errsz,
		    "complete_save_card needs the action's ref and the "
		    "original save_card request");
		return finish(
		    inst, "complete_save_card", PGW_ERROR, res, 0, t0);
	}
	CALL(inst, inst->p->complete_save_card(inst->ctx, req, out, res));
	card_terminate(out);
	return finish(inst, "complete_save_card", rc, res, 0, t0);
}
