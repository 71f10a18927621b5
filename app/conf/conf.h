/* conf.h: configuration of the portal: a YAML tree loader (libyaml), a
 * table-driven binder that collects every problem as "FILE:LINE:COL: message",
 * and the typed portal.yaml and clinicians/<slug>.yaml configurations. */
#ifndef PORTAL_CONF_H
#define PORTAL_CONF_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

/* ------------------------------------------------------------------ */
/* Diagnostics: every problem found while loading, in order found.     */

struct conf_diag {
	char **msgs;  /* msgs[0..nmsgs): "FILE:LINE:COL: message", owned */
	size_t nmsgs; /* messages stored (at most 1000; later ones counted) */
	size_t n;     /* number of problems (== conf_diag_count()) */
	size_t cap;   /* allocated slots in msgs */
	int nomem;    /* a message could not be stored (still counted in n) */
};

/* Zeroes d. A zeroed struct conf_diag is also a valid empty one. */
void conf_diag_init(struct conf_diag *d);
/* Appends "FILE:LINE:COL: message" (or "FILE: message" when line is 0).
 * file may be NULL ("(config)"). Never fails: on out of memory the
 * problem is still counted and d->nomem set. */
void conf_diag_add(struct conf_diag *d, const char *file, unsigned line,
    unsigned col, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Returns the number of problems collected in d (0 when d is NULL). */
size_t conf_diag_count(const struct conf_diag *d);
/* Writes each message on its own line to out. */
void conf_diag_print(const struct conf_diag *d, FILE *out);
/* Frees the messages and zeroes d. NULL is fine. */
void conf_diag_free(struct conf_diag *d);

/* ------------------------------------------------------------------ */
/* The YAML tree. One document; mappings, sequences and plain or      */
/* quoted scalars. Anchors, aliases, tags and several documents are   */
/* rejected; so are duplicate keys within one mapping.                */

enum conf_node_kind { CN_SCALAR, CN_MAP, CN_SEQ };

struct conf_node {
	enum conf_node_kind kind;
	char *key;         /* member of a CN_MAP: its key; else NULL */
	unsigned key_line; /* position of the key (1-based), 0 if no key */
	unsigned key_col;
	char *value;        /* CN_SCALAR: the text, NUL-terminated; else NULL */
	size_t value_len;   /* CN_SCALAR: strlen(value) */
	int quoted;         /* CN_SCALAR: written '...' or "..." or block */
	unsigned line, col; /* position of the node itself (1-based) */
	struct conf_node **children; /* CN_MAP/CN_SEQ: members in file order */
	size_t nchildren;
	struct conf_node *parent; /* NULL for the root */
	const char *file; /* display name of the file; owned by the root */
};

/* Parses the YAML file at path into a tree. Returns:
 *   PS_OK       *out is the root (a CN_MAP, empty for an empty file);
 *   PS_INVALID  problems were added to diag; *out is a best-effort tree
 *               (duplicate keys dropped, later ones lose) when the file was
 *               well-formed YAML, else NULL;
 *   PS_NOTFOUND the file does not exist (in diag), *out NULL; a file
 *               that cannot be read is PS_INVALID;
 *   PS_NOMEM.
 * The root must be a mapping. Free *out with conf_tree_free() whenever it is
 * non-NULL. */
enum pstatus conf_parse_file(
    const char *path, struct conf_node **out, struct conf_diag *diag);
/* As conf_parse_file() but from buf[0..n); name is the file name used in
 * diagnostics and for resolving relative PATH values (its directory). */
enum pstatus conf_parse_buf(const char *buf, size_t n, const char *name,
    struct conf_node **out, struct conf_diag *diag);
/* Frees a tree returned by conf_parse_*(); pass only a root. NULL is fine. */
void conf_tree_free(struct conf_node *root);
/* Returns the member of mapping map named key, or NULL (also when map is
 * NULL or not a mapping). */
const struct conf_node *conf_node_get(
    const struct conf_node *map, const char *key);
/* Returns a static name of a node kind: "a scalar", "a mapping",
 * "a sequence" (for messages). */
const char *conf_node_kind_str(enum conf_node_kind k);
/* Adds a diagnostic at node's position (its key's position when it has a
 * key and key is nonzero) in node's file. */
void conf_diag_node(struct conf_diag *d, const struct conf_node *node,
    int at_key, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ------------------------------------------------------------------ */
/* Table-driven binding (STYLE.md 9). A table of struct conf_key,     */
/* terminated by an entry with name NULL, describes one mapping; each */
/* value is parsed and stored at base + offset. Defaults (text, parsed*/
/* as if written in the file) fill keys that are absent.              */

enum conf_type {
	/* char *, heap; optional validate() */
	CT_STRING,
	/* int64_t in [min, max] */
	CT_INT,
	/* int 0/1: true/false, on/off, yes/no */
	CT_BOOL,
	/* int64_t seconds: "45s", "30m", "12h", "2d", plain "90"; [min, max] */
	CT_DURATION,
	/* mode_t: "0660" (octal digits, at most 07777) */
	CT_OCTAL_MODE,
	/* int: index of the value in words[] */
	CT_ENUM,
	/* char *, heap; a relative path is resolved against the directory of
	 * the file the value is written in */
	CT_PATH,
	/* nested mapping bound with sub[] at base + offset */
	CT_MAP,
	/* char *, heap: three upper-case ISO 4217 letters */
	CT_CURRENCY,
	/* char *, heap: "UTC" or a zone file under /usr/share/zoneinfo */
	CT_TIMEZONE,
	/* struct conf_secret_ref: key "<name>_file: PATH" or "<name>_env: VAR",
	 * exactly one; never the secret inline ("<name>: ...") */
	CT_SECRET_REF,
	/* int64_t bytes: "4096", "64k", "1m" (1024-based); [min, max] */
	CT_SIZE,
	/* const struct conf_node *: the raw node, unvalidated; points into the
	 * tree, which must outlive base */
	CT_NODE,
};

struct conf_key {
	const char *name; /* key in the mapping; NULL ends a table */
	enum conf_type type;
	size_t offset;              /* offsetof(struct ..., field) */
	int required;               /* missing is a problem (def is ignored) */
	const char *def;            /* default as YAML text, or NULL (zero) */
	int64_t min, max;           /* CT_INT/CT_DURATION/CT_SIZE; both 0 =
	                             * no limit beyond the type's */
	const char *const *words;   /* CT_ENUM: NULL-terminated allowed words */
	const struct conf_key *sub; /* CT_MAP: the nested table */
	/* CT_STRING extra check: returns PS_OK or PS_INVALID with the reason
	 * in err (used as "KEY: reason"). May be NULL. */
	enum pstatus (*validate)(const char *v, char *err, size_t errsz);
	const char *help; /* what is expected, for messages:
	                   * "a unix socket path" */
};

/* Where a secret lives: exactly one of path (resolved) and env is set. */
struct conf_secret_ref {
	char *path; /* file holding the secret; heap */
	char *env;  /* environment variable name; heap */
};

/* Binds mapping map with table onto base. Every problem (unknown key with
 * "did you mean", wrong type, out-of-range value, missing required key,
 * a non-mapping map) is added to diag and binding continues. Keys absent
 * from map get their def. Returns PS_OK, PS_INVALID (problems in diag) or
 * PS_NOMEM. Strings bound are heap copies: release with conf_bind_free()
 * even after PS_INVALID. map may be NULL (then only defaults/required). */
enum pstatus conf_bind(const struct conf_node *map,
    const struct conf_key *table, void *base, struct conf_diag *diag);
/* Frees every heap value bound by table into base and zeroes those fields. */
void conf_bind_free(const struct conf_key *table, void *base);
/* Returns the table's key nearest to word by edit distance (at most 1 for
 * words of up to 4 characters, 2 up to 8, else 3), or NULL. */
const char *conf_suggest(const struct conf_key *table, const char *word);

/* Reads the secret ref points at into a new NUL-terminated heap buffer
 * *out of *n bytes (one trailing "\n" or "\r\n" removed). A file must be a
 * regular file, not world-readable, at most 64 KiB; a variable must be set
 * and non-empty. Returns PS_OK, PS_NOTFOUND, PS_DENIED, PS_INVALID, PS_NOMEM
 * with the reason in err (never the secret). Free with conf_secret_free(). */
enum pstatus conf_secret_read(const struct conf_secret_ref *ref, char **out,
    size_t *n, char *err, size_t errsz);
/* Reads a whole secret file raw (no newline trimming) with the checks of
 * conf_secret_read(), requiring at least min bytes. Free with
 * conf_secret_free(). */
enum pstatus conf_secret_read_file(const char *path, size_t min,
    unsigned char **out, size_t *n, char *err, size_t errsz);
/* Wipes p[0..n) with OPENSSL_cleanse and frees it. NULL is fine. */
void conf_secret_free(void *p, size_t n);

/* ------------------------------------------------------------------ */
/* The portal: portal.yaml and the practices in its clinicians dir.   */

struct conf_listen {
	char *socket;       /* unix socket path (resolved) or NULL */
	char *tcp;          /* "127.0.0.1:9000" (host:port) or NULL */
	mode_t socket_mode; /* default 0660 */
	char *socket_group; /* group name or NULL (keep the default) */
	int64_t workers;    /* default: number of online CPUs */
	int64_t threads;    /* per worker, default 8 */
	char *user;  /* portald started as root runs as this user, or NULL */
	char *group; /* and this group (default: the user's), or NULL */
};

struct conf_database {
	char *socket; /* unix socket path or NULL */
	char *host;   /* host name or NULL (exactly one of the two) */
	int64_t port; /* default 3306 */
	char *user;
	struct conf_secret_ref password; /* optional: both NULL = no password;
	                                  * read it with conf_secret_read() */
	char *name;                      /* database name */
	/* The user `portalctl db init` creates with schema rights and
	 * `portalctl db migrate` connects as, or NULL (migrate as user). */
	char *migrate_user;
	struct conf_secret_ref migrate_password; /* optional, like password */
};

struct conf_paths {
	char *templates;  /* directory of HTML templates */
	char *clinicians; /* directory of practice files */
	char *plugins;    /* directory of gateway plugins */
};

struct conf_session {
	int64_t idle_timeout;     /* seconds, default 30m */
	int64_t absolute_timeout; /* seconds, default 12h */
};

struct conf_throttle {
	int64_t max_failures_per_account; /* default 5 */
	int64_t max_failures_per_address; /* default 20 */
	int64_t window;                   /* seconds, default 15m */
	int64_t lockout;                  /* seconds, default 15m */
};

struct conf_limits {
	int64_t max_body;         /* bytes, default 64k */
	int64_t max_fields;       /* default 64 */
	int64_t max_field_length; /* bytes, default 4096 */
};

struct conf_address {
	char *line1;
	char *line2; /* optional, NULL when absent */
	char *city;
	char *region; /* state, province or region */
	char *postal_code;
	char *country; /* ISO 3166-1 alpha-2, e.g. "US" */
};

/* Outgoing mail (portal.yaml mail:). Without smtp_url nothing is sent;
 * messages still queue in the outbox (portalctl mail status shows them). */
enum conf_starttls { CONF_TLS_OFF, CONF_TLS_TRY, CONF_TLS_REQUIRED };

struct conf_mail {
	char *smtp_url; /* "smtp://mail.example.com:587" or smtps://; NULL =
	                   no sending */
	int starttls;   /* enum conf_starttls, default required */
	char *username; /* SMTP AUTH user, or NULL for none */
	struct conf_secret_ref password; /* with username: *_file or *_env */
	char *from;                      /* envelope sender and From: address */
	char *ca_file;         /* CA bundle for TLS, or NULL (system's) */
	int64_t timeout;       /* seconds per SMTP exchange, default 30s */
	int64_t max_attempts;  /* tries before a message fails, default 10 */
	int64_t retry_base;    /* first back-off, doubled per try, 1m */
	int64_t retry_max;     /* longest back-off, default 6h */
	int64_t claim_timeout; /* a 'sending' row older than this is taken
	                          over (its sender died), default 10m */
};

/* One practice: config/clinicians/<slug>.yaml. */
struct practice_conf {
	char *slug; /* file name without ".yaml": [a-z0-9-]+ */
	char *file; /* path of the practice file */
	char *name; /* "Lakeside Counseling" */
	struct conf_address address;
	char *phone;
	char *email;
	char *currency; /* ISO 4217, e.g. "USD" */
	char *timezone; /* "America/New_York" or "UTC" */
	/* timezone read from the system tz database when the practice was
	 * loaded (NULL: UTC, or the name was refused); immutable, so every
	 * date a client or clinician sees is tz_day(tz, instant) from any
	 * thread. Owned. */
	struct tz_zone *tz;
	char *npi;           /* 10 digits, Luhn-valid with prefix 80840 */
	char *tax_id;        /* EIN "NN-NNNNNNN" */
	int online_payments; /* 0/1 */
	/* The practice's `gateway:` mapping, unvalidated (the gateway plugin
	 * host binds it with the plugin's own table), or NULL when absent.
	 * Points into tree; lives as long as this practice_conf. */
	const struct conf_node *gateway;
	struct conf_node *tree; /* the parsed file; owned */
};

struct portal_conf {
	char *file; /* path of portal.yaml as given */
	char *dir;  /* absolute directory of portal.yaml */
	struct conf_listen listen;
	struct conf_database database;
	char *base_url; /* "http://127.0.0.1:8080", no trailing '/' */
	char *secret_key_file;
	unsigned char *secret_key; /* contents of secret_key_file, >= 32 bytes;
	                            * wiped by conf_free() */
	size_t secret_key_len;
	struct conf_paths paths;
	struct conf_session session;
	struct conf_throttle login_throttle;
	struct conf_limits limits;
	struct conf_mail mail;
	int log_level;  /* enum log_level, default LOG_LVL_INFO */
	int log_format; /* enum log_format, default LOG_FMT_TEXT */
	struct practice_conf *practices; /* sorted by slug */
	size_t npractices;
};

/* Loads portal.yaml at path and every *.yaml in its paths.clinicians
 * directory, reads the secret key, and checks everything, collecting all
 * problems in diag. Returns PS_OK with a new *out (free with conf_free()),
 * PS_INVALID (problems in diag, *out NULL), PS_NOTFOUND (portal.yaml
 * missing; in diag) or PS_NOMEM. At least one practice is required. */
enum pstatus conf_load(const char *portal_yaml_path, struct portal_conf **out,
    struct conf_diag *diag);
/* Frees c, wiping the secret key. NULL is fine. */
void conf_free(struct portal_conf *c);
/* Returns the practice with that slug, or NULL. */
const struct practice_conf *conf_practice(
    const struct portal_conf *c, const char *slug);

/* Loads one practice file (path; slug from its name) into p, adding every
 * problem to diag. Returns PS_OK, PS_INVALID or PS_NOMEM; release p with
 * conf_practice_free() in every case. */
enum pstatus conf_practice_load(
    const char *path, struct practice_conf *p, struct conf_diag *diag);
/* As conf_practice_load() from buf[0..n) with display/file name name (the
 * fuzz harness uses this). */
enum pstatus conf_practice_load_buf(const char *buf, size_t n, const char *name,
    struct practice_conf *p, struct conf_diag *diag);
/* Frees what p holds and zeroes it. */
void conf_practice_free(struct practice_conf *p);

/* For `portalctl config check`: loads path, prints every problem as
 * "FILE:LINE:COL: message" to out, then one summary line ("config OK: 2
 * practices" or "config: 3 problems"). Returns conf_load()'s status. */
enum pstatus conf_check(const char *portal_yaml_path, FILE *out);
/* conf_check, plus more(c, d) on the loaded configuration (may be NULL):
 * problems it adds to d count like the others (portalctl passes
 * gw_practices_check). more returns PS_OK or PS_NOMEM. */
enum pstatus conf_check_ex(const char *portal_yaml_path, FILE *out,
    enum pstatus (*more)(const struct portal_conf *, struct conf_diag *));

/* Validators usable in tables (CT_STRING validate) and tests: each returns
 * PS_OK or PS_INVALID with the reason in err. */
enum pstatus conf_valid_npi(const char *v, char *err, size_t errsz);
enum pstatus conf_valid_ein(const char *v, char *err, size_t errsz);
enum pstatus conf_valid_slug(const char *v, char *err, size_t errsz);

#endif
