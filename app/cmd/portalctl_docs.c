/* portalctl_docs.c: portalctl's billing-document commands: statements,
 * superbills, sharing, rendering a document to a file, providers, client
 * profiles, service codes and the demo documents. See portalctl -h. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/cmd_db.h"
#include "cmd/portalctl_docs.h"
#include "conf/conf.h"
#include "db/db.h"
#include "db/db_billing.h"
#include "docs/docs.h"
#include "pdf/pdf.h"
#include "util/util.h"

static const char usage_text[] =
    "billing documents:\n"
    "  statement create --practice SLUG --email E --from YYYY-MM-DD "
    "--to YYYY-MM-DD\n"
    "                                    make a statement of the period "
    "(not shared)\n"
    "  superbill create --practice SLUG --email E --dates D[,D...] "
    "[--npi NPI]\n"
    "                                    make a superbill of those dates "
    "of service\n"
    "  document share|unshare --practice SLUG --number N\n"
    "                                    let the client see (or stop "
    "seeing) a statement\n"
    "                                    or superbill (invoices and "
    "receipts are always seen)\n"
    "  document list --practice SLUG --email E\n"
    "                                    list a client's documents and "
    "whether shared\n"
    "  document pdf --practice SLUG --email E --number N --out FILE\n"
    "                                    render a document to a PDF file\n"
    "  provider set --practice SLUG --name N --npi NPI --tax-id NN-NNNNNNN\n"
    "               [--credentials C] [--org-npi NPI] [--licence L] "
    "[--taxonomy CODE] [--default]\n"
    "                                    add or update a rendering "
    "provider\n"
    "  client profile --practice SLUG --email E [--dob D] [--address1 A] "
    "[--address2 A]\n"
    "               [--city C] [--region R] [--postal-code P] "
    "[--insurer I] [--member-id M]\n"
    "                                    set what superbills print about "
    "a client\n"
    "  service code --practice SLUG --invoice N --line K --cpt CODE "
    "--pos NN --icd X[,Y...]\n"
    "               [--modifier M[,M...]] [--units U]\n"
    "                                    code an invoice line for "
    "superbills\n"
    "  demo documents --email E [--practice SLUG]\n"
    "                                    give the demo client a provider, "
    "codes, and a\n"
    "                                    shared statement and superbill "
    "(idempotent)\n";

void
portalctl_docs_usage(FILE *f)
{
	fputs(usage_text, f);
}

struct dctx {
	const char *cmd;
	const char *conf_path;
	struct portal_conf *conf;
	struct db *db;
};

struct dopt {
	const char *name;
	const char **val; /* NULL: a flag, counted in *flag */
	int *flag;
};

static void dfail(const struct dctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
dfail(const struct dctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "portalctl: %s: ", c->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Parses --name VALUE, --name=VALUE and flags. On a usage error prints
 * what is wrong and exits CMD_USAGE. */
static void
dparse(const struct dctx *c, int argc, char **argv, const struct dopt *opts)
{
	const struct dopt *o;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t n;

		if (strncmp(a, "--", 2) != 0) {
			dfail(c,
			    "unexpected argument \"%s\" (see portalctl -h)", a);
			exit(CMD_USAGE);
		}
		a += 2;
		eq = strchr(a, '=');
		n = eq ? (size_t)(eq - a) : strlen(a);
		for (o = opts; o->name != NULL; o++)
			if (strlen(o->name) == n && strncmp(o->name, a, n) == 0)
				break;
		if (o->name == NULL) {
			dfail(c, "unknown option --%.*s (see portalctl -h)",
			    (int)n, a);
			exit(CMD_USAGE);
		}
		if (o->val == NULL) {
			(*o->flag)++;
			continue;
		}
		if (eq != NULL)
			*o->val = eq + 1;
		else if (i + 1 < argc)
			*o->val = argv[++i];
		else {
			dfail(c, "option --%s needs a value", o->name);
			exit(CMD_USAGE);
		}
	}
}

/* Requires option name to be set (else a usage error: exits CMD_USAGE) and
 * printable UTF-8 of at most max bytes. */
static int
need(const struct dctx *c, const char *name, const char *v, size_t max)
{
	size_t i, n;

	if (v == NULL || v[0] == '\0') {
		dfail(c, "--%s is required", name);
		exit(CMD_USAGE);
	}
	n = strlen(v);
	if (n > max || !utf8_valid(v, n)) {
		dfail(c, "--%s must be UTF-8 text of at most %zu bytes", name,
		    max);
		return 0;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			dfail(c, "--%s contains a control character", name);
			return 0;
		}
	return 1;
}

/* As need(), but an absent value is fine. */
static int
optional(const struct dctx *c, const char *name, const char *v, size_t max)
{
	return v == NULL || need(c, name, v, max);
}

static int
open_all(struct dctx *c)
{
	struct conf_diag d;
	struct db_params p;
	char err[512], *pw = NULL;
	size_t pwn = 0;
	int rc = -1;

	conf_diag_init(&d);
	if (conf_load(c->conf_path, &c->conf, &d) != PS_OK) {
		conf_diag_print(&d, stderr);
		dfail(c,
		    "%s: the configuration does not load (run portalctl "
		    "config check)",
		    c->conf_path);
		conf_diag_free(&d);
		return -1;
	}
	conf_diag_free(&d);
	if (cmd_db_params(c->conf, CMD_DB_RUNTIME, &p, &pw, &pwn, err,
	        sizeof(err)) != PS_OK) {
		dfail(c, "%s", err);
		goto out;
	}
	if (db_open(&p, &c->db, err, sizeof(err)) != PS_OK) {
		dfail(c, "%s", err);
		goto out;
	}
	rc = 0;
out:
	conf_secret_free(pw, pwn);
	return rc;
}

/* Fills w for practice slug (and, with email, its client). */
static int
who_for(struct dctx *c, const char *slug, const char *email, struct docs_who *w)
{
	char lemail[DB_EMAIL_MAX + 1];
	size_t i;
	enum pstatus st;

	memset(w, 0, sizeof(*w));
	if (!need(c, "practice", slug, DB_SLUG_MAX) ||
	    (email != NULL && !need(c, "email", email, DB_EMAIL_MAX)))
		return -1;
	if (open_all(c) != 0)
		return -1;
	if ((w->practice = conf_practice(c->conf, slug)) == NULL) {
		dfail(c, "no practice \"%s\" in %s", slug, c->conf_path);
		return -1;
	}
	if (db_practice_ensure(
	        c->db, slug, w->practice->name, &w->practice_id) != PS_OK) {
		dfail(c, "practice %s: %s", slug, db_errmsg(c->db));
		return -1;
	}
	w->db = c->db;
	w->actor = DB_ACTOR_CLINICIAN;
	w->now = (int64_t)time(NULL);
	if (email == NULL)
		return 0;
	for (i = 0; email[i] != '\0' && i < DB_EMAIL_MAX; i++)
		lemail[i] = (char)tolower((unsigned char)email[i]);
	lemail[i] = '\0';
	st = dbb_client_by_email(c->db, w->practice_id, lemail, &w->client_id);
	if (st == PS_NOTFOUND) {
		dfail(c,
		    "no client with email %s in practice %s (portalctl "
		    "client list shows them)",
		    lemail, slug);
		return -1;
	}
	if (st != PS_OK) {
		dfail(c, "%s", db_errmsg(c->db));
		return -1;
	}
	return 0;
}

static const char *
money(const struct docs_who *w, int64_t cents, char *out, size_t outsz)
{
	return money_format(cents,
	    w->practice->currency ? w->practice->currency : "USD", out, outsz);
}

/* ---- statement create ---- */

static int
cmd_statement_create(struct dctx *c, int argc, char **argv)
{
	const char *slug = NULL, *email = NULL, *from = NULL, *to = NULL;
	const struct dopt opts[] = {{"practice", &slug, NULL},
	    {"email", &email, NULL}, {"from", &from, NULL}, {"to", &to, NULL},
	    {NULL, NULL, NULL}};
	struct docs_who w;
	char number[DOCS_NUMBER_MAX + 1], msg[512];

	dparse(c, argc, argv, opts);
	if (!need(c, "email", email, 254) || !need(c, "from", from, 10) ||
	    !need(c, "to", to, 10) || who_for(c, slug, email, &w) != 0)
		return 1;
	if (docs_statement_create(&w, from, to, number, msg, sizeof(msg)) !=
	    PS_OK) {
		dfail(c, "%s", msg);
		return 1;
	}
	printf("statement %s created for %s to %s (not shared yet: "
	       "portalctl document share --practice %s --number %s)\n",
	    number, from, to, slug, number);
	return 0;
}

/* ---- superbill create ---- */

static int
cmd_superbill_create(struct dctx *c, int argc, char **argv)
{
	const char *slug = NULL, *email = NULL, *dates = NULL, *npi = NULL;
	const struct dopt opts[] = {{"practice", &slug, NULL},
	    {"email", &email, NULL}, {"dates", &dates, NULL},
	    {"npi", &npi, NULL}, {NULL, NULL, NULL}};
	struct docs_who w;
	char number[DOCS_NUMBER_MAX + 1], msg[512], buf[1024], *save = NULL,
	                                                       *tok;
	const char *list[64];
	size_t n = 0;

	dparse(c, argc, argv, opts);
	if (!need(c, "email", email, 254) ||
	    !need(c, "dates", dates, sizeof(buf) - 1) ||
	    !optional(c, "npi", npi, 10))
		return 1;
	snprintf(buf, sizeof(buf), "%s", dates);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (n == sizeof(list) / sizeof(list[0])) {
			dfail(c, "at most %zu dates", n);
			return 1;
		}
		list[n++] = tok;
	}
	if (who_for(c, slug, email, &w) != 0)
		return 1;
	if (docs_superbill_create(&w, list, n, npi, number, msg, sizeof(msg)) !=
	    PS_OK) {
		dfail(c, "%s", msg);
		return 1;
	}
	printf("superbill %s created for %zu date%s of service (not shared "
	       "yet: portalctl document share --practice %s --number %s)\n",
	    number, n, n == 1 ? "" : "s", slug, number);
	return 0;
}

/* ---- document share | unshare | list | pdf ---- */

static int
share(struct dctx *c, int argc, char **argv, int on)
{
	const char *slug = NULL, *number = NULL;
	const struct dopt opts[] = {{"practice", &slug, NULL},
	    {"number", &number, NULL}, {NULL, NULL, NULL}};
	struct docs_who w;
	char msg[512];

	dparse(c, argc, argv, opts);
	if (!need(c, "number", number, DOCS_NUMBER_MAX) ||
	    who_for(c, slug, NULL, &w) != 0)
		return 1;
	if (docs_share(&w, number, on, msg, sizeof(msg)) != PS_OK) {
		dfail(c, "%s", msg);
		return 1;
	}
	printf("%s %s\n", number, on ? "shared" : "unshared");
	return 0;
}

static int
cmd_document_share(struct dctx *c, int argc, char **argv)
{
	return share(c, argc, argv, 1);
}

static int
cmd_document_unshare(struct dctx *c, int argc, char **argv)
{
	return share(c, argc, argv, 0);
}

static int
cmd_document_list(struct dctx *c, int argc, char **argv)
{
	const char *slug = NULL, *email = NULL;
	const struct dopt opts[] = {{"practice", &slug, NULL},
	    {"email", &email, NULL}, {NULL, NULL, NULL}};
	struct docs_who w;
	struct docs_entry *e = NULL;
	char amt[48];
	size_t n = 0, i;

	dparse(c, argc, argv, opts);
	if (!need(c, "email", email, 254) || who_for(c, slug, email, &w) != 0)
		return 1;
	if (docs_list(&w, &e, &n) != PS_OK) {
		dfail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	printf("%-10s %-14s %-10s %14s %-6s %s\n", "TYPE", "NUMBER", "DATE",
	    "AMOUNT", "STATUS", "SHARED");
	for (i = 0; i < n; i++)
		printf("%-10s %-14s %-10s %14s %-6s %s\n",
		    docs_kind_title(e[i].kind), e[i].number, e[i].date,
		    money(&w, e[i].amount, amt, sizeof(amt)),
		    e[i].paid ? "paid" : "unpaid",
		    e[i].kind == DOCS_RECEIPT || e[i].kind == DOCS_INVOICE
		        ? "always"
		    : e[i].shared ? "yes"
		                  : "no");
	free(e);
	return 0;
}

static int
cmd_document_pdf(struct dctx *c, int argc, char **argv)
{
	const char *slug = NULL, *email = NULL, *number = NULL, *out = NULL;
	const struct dopt opts[] = {{"practice", &slug, NULL},
	    {"email", &email, NULL}, {"number", &number, NULL},
	    {"out", &out, NULL}, {NULL, NULL, NULL}};
	struct docs_who w;
	struct arena *a = NULL;
	struct buf b = {NULL, 0, 0};
	char err[512];
	FILE *f = NULL;
	enum pstatus st;
	int rc = 1;

	dparse(c, argc, argv, opts);
	if (!need(c, "email", email, 254) ||
	    !need(c, "number", number, DOCS_NUMBER_MAX) ||
	    !need(c, "out", out, 4096) || who_for(c, slug, email, &w) != 0)
		return 1;
	if ((a = arena_new()) == NULL) {
		dfail(c, "out of memory");
		return 1;
	}
	err[0] = '\0';
	st = docs_pdf(&w, number, a, &b, err, sizeof(err));
	if (st == PS_NOTFOUND) {
		dfail(c, "the client has no document %s", number);
		goto out;
	}
	if (st != PS_OK) {
		dfail(c, "%s: %s", number, err);
		goto out;
	}
	if ((f = fopen(out, "wb")) == NULL || fwrite(b.p, 1, b.n, f) != b.n ||
	    fclose(f) != 0) {
		f = NULL;
		dfail(c, "cannot write %s", out);
		goto out;
	}
	f = NULL;
	printf("%s: %zu bytes\n", out, b.n);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	buf_free(&b);
	arena_free(a);
	return rc;
}

/* ---- provider set ---- */

static int
cmd_provider_set(struct dctx *c, int argc, char **argv)
{
	const char *slug = NULL, *name = NULL, *cred = NULL, *npi = NULL,
	           *org = NULL, *tax = NULL, *lic = NULL, *taxo = NULL;
	int def = 0;
	const struct dopt opts[] = {{"practice", &slug, NULL},
	    {"name", &name, NULL}, {"credentials", &cred, NULL},
	    {"npi", &npi, NULL}, {"org-npi", &org, NULL},
	    {"tax-id", &tax, NULL}, {"licence", &lic, NULL},
	    {"license", &lic, NULL}, {"taxonomy", &taxo, NULL},
	    {"default", NULL, &def}, {NULL, NULL, NULL}};
	struct dbd_provider p;
	struct docs_who w;
	char msg[512];
	int64_t id = 0;

	dparse(c, argc, argv, opts);
	if (!need(c, "name", name, DBD_TEXT_MAX) || !need(c, "npi", npi, 10) ||
	    !need(c, "tax-id", tax, 20) ||
	    !optional(c, "credentials", cred, DBD_SHORT_MAX) ||
	    !optional(c, "org-npi", org, 10) ||
	    !optional(c, "licence", lic, DBD_SHORT_MAX) ||
	    !optional(c, "taxonomy", taxo, 10))
		return 1;
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.credentials, sizeof(p.credentials), "%s", cred ? cred : "");
	snprintf(p.npi, sizeof(p.npi), "%s", npi);
	snprintf(p.org_npi, sizeof(p.org_npi), "%s", org ? org : "");
	snprintf(p.tax_id, sizeof(p.tax_id), "%s", tax);
	snprintf(p.licence, sizeof(p.licence), "%s", lic ? lic : "");
	snprintf(p.taxonomy, sizeof(p.taxonomy), "%s", taxo ? taxo : "");
	if (who_for(c, slug, NULL, &w) != 0)
		return 1;
	if (docs_provider_set(&w, &p, def, &id, msg, sizeof(msg)) != PS_OK) {
		dfail(c, "%s", msg);
		return 1;
	}
	printf("provider %s (NPI %s) saved\n", p.name, p.npi);
	return 0;
}

/* ---- client profile ---- */

static int
cmd_client_profile(struct dctx *c, int argc, char **argv)
{
	const char *slug = NULL, *email = NULL, *dob = NULL, *a1 = NULL,
	           *a2 = NULL, *city = NULL, *region = NULL, *postal = NULL,
	           *insurer = NULL, *member = NULL;
	const struct dopt opts[] = {{"practice", &slug, NULL},
	    {"email", &email, NULL}, {"dob", &dob, NULL},
	    {"address1", &a1, NULL}, {"address2", &a2, NULL},
	    {"city", &city, NULL}, {"region", &region, NULL},
	    {"postal-code", &postal, NULL}, {"insurer", &insurer, NULL},
	    {"member-id", &member, NULL}, {NULL, NULL, NULL}};
	struct dbd_profile p;
	struct docs_who w;
	char msg[512];

	dparse(c, argc, argv, opts);
	if (!need(c, "email", email, 254) || !optional(c, "dob", dob, 10) ||
	    !optional(c, "address1", a1, DBD_TEXT_MAX) ||
	    !optional(c, "address2", a2, DBD_TEXT_MAX) ||
	    !optional(c, "city", city, DBD_SHORT_MAX) ||
	    !optional(c, "region", region, DBD_SHORT_MAX) ||
	    !optional(c, "postal-code", postal, 20) ||
	    !optional(c, "insurer", insurer, DBD_TEXT_MAX) ||
	    !optional(c, "member-id", member, 64) ||
	    who_for(c, slug, email, &w) != 0)
		return 1;
	/* Options not given keep their stored values. */
	if (dbd_profile_get(c->db, w.practice_id, w.client_id, &p) != PS_OK) {
		dfail(c, "%s", db_errmsg(c->db));
		return 1;
	}
#define SET(field, v)    \
	if ((v) != NULL) \
		snprintf(p.field, sizeof(p.field), "%s", (v));
	SET(dob, dob)
	SET(address1, a1)
	SET(address2, a2)
	SET(city, city)
	SET(region, region)
	SET(postal_code, postal)
	SET(insurer, insurer)
	SET(member_id, member)
#undef SET
	if (docs_profile_set(&w, &p, msg, sizeof(msg)) != PS_OK) {
		dfail(c, "%s", msg);
		return 1;
	}
	printf("profile of %s saved\n", email);
	return 0;
}

/* ---- service code ---- */

static int
cmd_service_code(struct dctx *c, int argc, char **argv)
{
	const char *slug = NULL, *inv = NULL, *line = NULL, *cpt = NULL,
	           *pos = NULL, *icd = NULL, *mod = NULL, *units = NULL;
	const struct dopt opts[] = {{"practice", &slug, NULL},
	    {"invoice", &inv, NULL}, {"line", &line, NULL}, {"cpt", &cpt, NULL},
	    {"pos", &pos, NULL}, {"icd", &icd, NULL}, {"modifier", &mod, NULL},
	    {"modifiers", &mod, NULL}, {"units", &units, NULL},
	    {NULL, NULL, NULL}};
	struct docs_who w;
	int64_t ln = 0, un = 1;
	char msg[512];

	dparse(c, argc, argv, opts);
	if (!need(c, "invoice", inv, DOCS_NUMBER_MAX) ||
	    !need(c, "line", line, 4) || !need(c, "cpt", cpt, 5) ||
	    !need(c, "pos", pos, 2) || !need(c, "icd", icd, 60) ||
	    !optional(c, "modifier", mod, 11) ||
	    !optional(c, "units", units, 2))
		return 1;
	if (util_strtonum(line, strlen(line), 1, 1000, &ln, NULL, 0) != PS_OK ||
	    (units != NULL && util_strtonum(units, strlen(units), 1, 99, &un,
	                          NULL, 0) != PS_OK)) {
		dfail(c, "--line must be 1.. and --units 1..99");
		return 1;
	}
	if (who_for(c, slug, NULL, &w) != 0)
		return 1;
	if (docs_code_set(&w, inv, ln, pos, cpt, mod, icd, un, msg,
	        sizeof(msg)) != PS_OK) {
		dfail(c, "%s", msg);
		return 1;
	}
	printf("line %" PRId64 " of %s coded\n", ln, inv);
	return 0;
}

/* ---- demo documents ---- */

struct demo_lines {
	struct dbd_line l[8];
	size_t n;
};

static int
demo_line(void *arg, const struct dbd_line *l)
{
	struct demo_lines *x = arg;

	if (x->n < sizeof(x->l) / sizeof(x->l[0]))
		x->l[x->n++] = *l;
	return 0;
}

struct demo_invs {
	struct dbd_invoice i[16];
	size_t n;
};

static int
demo_inv(void *arg, const struct dbd_invoice *r)
{
	struct demo_invs *x = arg;

	if (x->n < sizeof(x->i) / sizeof(x->i[0]))
		x->i[x->n++] = *r;
	return 0;
}

struct demo_docs {
	char statement[DOCS_NUMBER_MAX + 1];
	char superbill[DOCS_NUMBER_MAX + 1];
};

static int
demo_doc(void *arg, const struct dbd_document *d)
{
	struct demo_docs *x = arg;

	if (strcmp(d->kind, "statement") == 0 && x->statement[0] == '\0')
		snprintf(x->statement, sizeof(x->statement), "%s", d->number);
	if (strcmp(d->kind, "superbill") == 0 && x->superbill[0] == '\0')
		snprintf(x->superbill, sizeof(x->superbill), "%s", d->number);
	return 0;
}

static int
cmd_demo_documents(struct dctx *c, int argc, char **argv)
{
	static const struct {
		const char *cpt, *pos, *mod, *icd;
	} codes[] = {
	    {"90834", "11", "", "F41.1"},
	    {"90832", "10", "95", "F41.1,F32.0"},
	    {"90847", "11", "", "F41.1,Z63.0"},
	};
	const char *slug = NULL, *email = NULL;
	const struct dopt opts[] = {{"practice", &slug, NULL},
	    {"email", &email, NULL}, {NULL, NULL, NULL}};
	struct docs_who w;
	struct dbd_provider prov;
	struct dbd_profile prof;
	struct demo_invs invs;
	struct demo_docs docs;
	struct demo_lines lines;
	char msg[512], from[11], to[11], number[DOCS_NUMBER_MAX + 1];
	const char *dates[16];
	char datebuf[16][11], slugbuf[DB_SLUG_MAX + 1];
	size_t i, k, nd = 0;
	enum pstatus st;

	dparse(c, argc, argv, opts);
	if (!need(c, "email", email, 254))
		return 1;
	if (slug == NULL) {
		/* The practice `demo seed` uses by default: the first. */
		if (open_all(c) != 0)
			return 1;
		snprintf(slugbuf, sizeof(slugbuf), "%s",
		    c->conf->npractices > 0 ? c->conf->practices[0].slug : "");
		slug = slugbuf;
		db_close(c->db);
		conf_free(c->conf);
		c->db = NULL;
		c->conf = NULL;
	}
	if (who_for(c, slug, email, &w) != 0)
		return 1;
	/* A rendering provider. */
	if (dbd_provider_get(c->db, w.practice_id, 0, &prov) == PS_NOTFOUND) {
		memset(&prov, 0, sizeof(prov));
		snprintf(prov.name, sizeof(prov.name), "Ana Ruiz");
		snprintf(prov.credentials, sizeof(prov.credentials), "PsyD");
		snprintf(prov.npi, sizeof(prov.npi), "1234567893");
		if (w.practice->npi != NULL && docs_npi_valid(w.practice->npi))
			snprintf(prov.org_npi, sizeof(prov.org_npi), "%s",
			    w.practice->npi);
		snprintf(prov.tax_id, sizeof(prov.tax_id), "%s",
		    w.practice->tax_id ? w.practice->tax_id : "12-3456789");
		snprintf(prov.licence, sizeof(prov.licence), "PSY 048.0134567");
		snprintf(prov.taxonomy, sizeof(prov.taxonomy), "103TC0700X");
		if (docs_provider_set(&w, &prov, 1, NULL, msg, sizeof(msg)) !=
		    PS_OK) {
			dfail(c, "provider: %s", msg);
			return 1;
		}
		printf("demo provider %s added\n", prov.name);
	}
	/* What a superbill needs about the client. */
	if ((st = dbd_profile_get(c->db, w.practice_id, w.client_id, &prof)) !=
	    PS_OK) {
		dfail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	if (prof.dob[0] == '\0' || prof.member_id[0] == '\0') {
		if (prof.dob[0] == '\0')
			snprintf(prof.dob, sizeof(prof.dob), "1988-04-12");
		snprintf(prof.address1, sizeof(prof.address1),
		    "77 Pine Street, Apt 2");
		snprintf(prof.city, sizeof(prof.city), "Burlington");
		snprintf(prof.region, sizeof(prof.region), "VT");
		snprintf(prof.postal_code, sizeof(prof.postal_code), "05401");
		snprintf(prof.insurer, sizeof(prof.insurer),
		    "Blue Cross Blue Shield of Vermont");
		snprintf(
		    prof.member_id, sizeof(prof.member_id), "VTB123456789");
		if (docs_profile_set(&w, &prof, msg, sizeof(msg)) != PS_OK) {
			dfail(c, "profile: %s", msg);
			return 1;
		}
		printf("demo client profile added\n");
	}
	/* Code the client's invoices (they need no sharing). */
	memset(&invs, 0, sizeof(invs));
	if (dbd_invoice_list(c->db, w.practice_id, w.client_id, 0, demo_inv,
	        &invs) != PS_OK) {
		dfail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	if (invs.n == 0) {
		dfail(c, "the client has no invoices: run portalctl demo seed "
		         "first");
		return 1;
	}
	for (i = invs.n; i-- > 0;) { /* oldest first */
		memset(&lines, 0, sizeof(lines));
		if (dbd_invoice_lines(c->db, w.practice_id, w.client_id,
		        invs.i[i].id, demo_line, &lines) != PS_OK) {
			dfail(c, "%s", db_errmsg(c->db));
			return 1;
		}
		for (k = 0; k < lines.n; k++) {
			size_t j = (invs.n - 1 - i) % 3, d;

			if (!lines.l[k].coded &&
			    docs_code_set(&w, invs.i[i].number,
			        lines.l[k].line_no, codes[j].pos, codes[j].cpt,
			        codes[j].mod, codes[j].icd, 1, msg,
			        sizeof(msg)) != PS_OK) {
				dfail(c, "code: %s", msg);
				return 1;
			}
			for (d = 0; d < nd; d++)
				if (strcmp(dates[d], lines.l[k].date) == 0)
					break;
			if (d == nd && nd < sizeof(dates) / sizeof(dates[0])) {
				snprintf(datebuf[nd], sizeof(datebuf[nd]), "%s",
				    lines.l[k].date);
				dates[nd] = datebuf[nd];
				nd++;
			}
		}
	}
	printf("%zu demo invoices coded\n", invs.n);
	/* A statement and a superbill, once. */
	memset(&docs, 0, sizeof(docs));
	if (dbd_document_list(c->db, w.practice_id, w.client_id, 0, demo_doc,
	        &docs) != PS_OK) {
		dfail(c, "%s", db_errmsg(c->db));
		return 1;
	}
	if (docs.statement[0] == '\0') {
		tz_day(w.practice->tz, w.now - 90 * 86400, from);
		tz_day(w.practice->tz, w.now, to);
		if (docs_statement_create(
		        &w, from, to, number, msg, sizeof(msg)) != PS_OK ||
		    docs_share(&w, number, 1, msg, sizeof(msg)) != PS_OK) {
			dfail(c, "statement: %s", msg);
			return 1;
		}
		printf(
		    "demo statement %s (%s to %s) shared\n", number, from, to);
	} else
		printf("demo statement %s exists already\n", docs.statement);
	if (docs.superbill[0] == '\0') {
		if (docs_superbill_create(&w, dates, nd, NULL, number, msg,
		        sizeof(msg)) != PS_OK ||
		    docs_share(&w, number, 1, msg, sizeof(msg)) != PS_OK) {
			dfail(c, "superbill: %s", msg);
			return 1;
		}
		printf("demo superbill %s (%zu dates of service) shared\n",
		    number, nd);
	} else
		printf("demo superbill %s exists already\n", docs.superbill);
	return 0;
}

/* ---- dispatch ---- */

static const struct dcommand {
	const char *group, *name;
	int (*fn)(struct dctx *, int, char **);
} dcommands[] = {
    {"statement", "create", cmd_statement_create},
    {"superbill", "create", cmd_superbill_create},
    {"document", "share", cmd_document_share},
    {"document", "unshare", cmd_document_unshare},
    {"document", "list", cmd_document_list},
    {"document", "pdf", cmd_document_pdf},
    {"provider", "set", cmd_provider_set},
    {"client", "profile", cmd_client_profile},
    {"service", "code", cmd_service_code},
    {"demo", "documents", cmd_demo_documents},
    {NULL, NULL, NULL},
};

int
portalctl_docs(const char *conf_path, int argc, char **argv)
{
	const struct dcommand *d;
	struct dctx c;
	char name[64];
	int rc;

	if (argc < 2)
		return -1;
	for (d = dcommands; d->group != NULL; d++)
		if (strcmp(d->group, argv[0]) == 0 &&
		    strcmp(d->name, argv[1]) == 0)
			break;
	if (d->group == NULL)
		return -1;
	if (cmd_help_asked(argc - 2, argv + 2)) {
		portalctl_docs_usage(stdout);
		return CMD_OK;
	}
	memset(&c, 0, sizeof(c));
	snprintf(name, sizeof(name), "%s %s", d->group, d->name);
	c.cmd = name;
	c.conf_path = conf_path;
	if (db_global_init() != PS_OK) {
		dfail(&c, "cannot initialise the MariaDB client library");
		return 1;
	}
	rc = d->fn(&c, argc - 2, argv + 2);
	db_close(c.db);
	conf_free(c.conf);
	db_global_end();
	return rc;
}
