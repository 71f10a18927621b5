/* gateway.h: the stable plugin ABI between the portal and card processor
 * plugins (see portal-gateway(3)). Self-contained C99; installed. */
#ifndef PORTAL_GATEWAY_H
#define PORTAL_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Versioning (SQLite sqlite3ext.h iVersion, PostgreSQL PG_MODULE_MAGIC):
 *
 * - Every struct below that crosses the boundary starts with a "size" member
 *   holding sizeof() of the struct as the party that filled it was built.
 *   Structs are append-only: new members only ever go at the end, and a new
 *   member means a new ABI minor. Nothing is ever removed or reordered; that
 *   would be a new major.
 * - The host refuses a plugin with another magic or major, and a plugin
 *   whose descriptor is shorter than the minor-0 descriptor. It calls a
 *   member only when the plugin's descriptor size covers it (PGW_HAS).
 * - A plugin must write a member of a caller-owned output struct only when
 *   the caller's size covers it (PGW_HAS); in ABI 1.0 every member fits.
 */
#define PGW_MAGIC        0x50475731u /* "PGW1" */
#define PGW_ABI_MAJOR    1
#define PGW_ABI_MINOR    0
#define PGW_ENTRY_SYMBOL "portal_gateway_entry"

/* 1 when the struct at p (with a size member) covers member m, else 0. */
#define PGW_HAS(p, type, m) \
	((p)->size >= offsetof(type, m) + sizeof(((type *)0)->m))

/* Fixed sizes of caller-owned text fields, NUL terminator included. A
 * plugin truncates, it never overflows. */
#define PGW_ID_MAX      128 /* processor ids: cus_..., pm_..., ch_... */
#define PGW_CODE_MAX    64  /* processor codes: "card_declined" */
#define PGW_MESSAGE_MAX 256 /* client-safe text */
#define PGW_URL_MAX     512
#define PGW_BRAND_MAX   24
#define PGW_KEY_MAX     256 /* idempotency keys; Stripe allows 255 */
#define PGW_EVENT_MAX   64  /* processor event type names */

/*
 * Outcome of an operation, returned by every operation and stored in
 * pgw_result.status. What the caller must do is part of the meaning:
 */
enum pgw_status {
	PGW_SUCCEEDED = 0, /* done; for a charge: the money is captured */
	PGW_DECLINED = 1,  /* refused by the processor or the issuer; do not
	                    * retry as is. result.code holds the processor's
	                    * code, result.message a text safe to show the
	                    * client ("Your card was declined.") */
	PGW_PENDING = 2,   /* accepted, final outcome later (webhook or
	                    * lookup) */
	PGW_REQUIRES_ACTION = 3, /* the client must authenticate (3-D Secure);
	                          * result.message says so; for an
	                          * off-session charge the client must come
	                          * back on session */
	PGW_RETRYABLE = 4,       /* nothing happened at the processor (connect
	                          * failure, 429): safe to retry, same key */
	PGW_UNKNOWN = 5,   /* the request may have been processed (timeout or
	                    * 5xx after sending): look it up with lookup();
	                    * never retry with a new idempotency key */
	PGW_ERROR = 6,     /* misuse or configuration problem (bad request,
	                    * bad key, unsupported operation); result.err
	                    * says what. Not a statement about money moving:
	                    * the processor refused the request as such */
	PGW_NOT_FOUND = 7, /* lookup() only: the processor has no payment
	                    * for that key or reference, so no charge happened
	                    * under it */
	PGW_STATUS_MAX_ = 7
};

/*
 * The result every operation fills. Caller-owned: the caller sets size, err
 * and errsz (err may be NULL when errsz is 0) and zeroes the rest; the
 * plugin sets status and, where they apply, code, message, err text,
 * http_status and retry_after_ms. Nothing in it may ever contain a card
 * number, a CVV or a secret.
 */
struct pgw_result {
	uint32_t size;                 /* caller: sizeof(struct pgw_result) */
	int32_t status;                /* plugin: an enum pgw_status */
	char code[PGW_CODE_MAX];       /* plugin: processor code or "" */
	char message[PGW_MESSAGE_MAX]; /* plugin: client-safe text for
	                                * DECLINED and REQUIRES_ACTION, else ""
	                                */
	char *err;                     /* caller-owned buffer for the
	                                * operator's error text (any status but
	                                * SUCCEEDED/PENDING), NUL-terminated,
	                                * truncated to fit */
	size_t errsz;                  /* size of err */
	int32_t http_status;           /* plugin: processor's last HTTP status,
	                                * 0 when none arrived */
	uint32_t retry_after_ms;       /* plugin: RETRYABLE: suggested wait, or
	                                * 0 */
};

/* ---- Configuration ----------------------------------------------------- */

/* Types of configuration values; the host validates a practice's YAML
 * "gateway:" keys against the plugin's table before init(). */
enum pgw_conf_type {
	PGW_CONF_STRING = 1,      /* any UTF-8 text */
	PGW_CONF_SECRET_FILE = 2, /* YAML holds an absolute path; the host
	                           * reads the file (not world-readable, at
	                           * most 4096 bytes, trailing newline
	                           * dropped) and passes its contents */
	PGW_CONF_SECRET_ENV = 3,  /* YAML holds an environment variable name;
	                           * the host passes its (non-empty) value */
	PGW_CONF_URL = 4,         /* https://... (http:// only to loopback) */
	PGW_CONF_INT = 5,         /* decimal int64 */
	PGW_CONF_BOOL = 6         /* true/false/yes/no/on/off, passed as
	                           * "true" or "false" */
};

/* One entry of a plugin's configuration table (static, plugin-owned). */
struct pgw_conf_key {
	const char *key;  /* YAML key under gateway:, e.g. "secret_key_file" */
	int32_t type;     /* an enum pgw_conf_type */
	int32_t required; /* 1: the host refuses a config without it */
	const char *help; /* one line for error messages and docs */
};

/* One validated configuration value handed to init(). Host-owned and valid
 * only during init(): copy what you keep. A secret's value is wiped by the
 * host after init() returns; wipe your copy in fini(). */
struct pgw_kv {
	const char *key;   /* the table's key */
	const char *value; /* NUL-terminated; for secrets the secret itself */
	size_t value_len;  /* strlen(value) */
	int32_t type;      /* the table's enum pgw_conf_type */
	const char *where; /* "FILE:LINE:COL" of the YAML value, for
	                    * messages; never NULL, may be "" */
};

/* ---- Host services ------------------------------------------------------ */

struct pgw_http_header {
	const char *name;  /* e.g. "Authorization" */
	const char *value; /* NUL-terminated */
};

/* An HTTP request for the host to perform. Plugin-owned, read during the
 * call only. */
struct pgw_http_request {
	uint32_t size;      /* sizeof(struct pgw_http_request) */
	const char *method; /* "GET", "POST", "DELETE" */
	const char *url;    /* absolute https:// (http:// only to loopback) */
	const struct pgw_http_header *headers;
	size_t nheaders;
	const char *body; /* may be NULL */
	size_t body_len;
	uint32_t timeout_ms;       /* whole exchange; 0 = host default (30 s) */
	const char *const *redact; /* extra strings (ids, tokens) the host must
	                            * never log; may be NULL */
	size_t nredact;
};

/* The answer. Filled by the host; everything in it is host-owned and stays
 * valid until http_free() (which the plugin must call whatever http()
 * returned). */
struct pgw_http_response {
	uint32_t size;  /* caller: sizeof(struct pgw_http_response) */
	int32_t status; /* HTTP status; 0 when no answer arrived */
	char *body;     /* NUL-terminated (NUL not counted); never NULL after
	                 * http() returned */
	size_t body_len;
	struct pgw_http_header *headers; /* response headers, names as sent */
	size_t nheaders;
	int64_t elapsed_ms;
};

/* What happened to an HTTP request: the line between RETRYABLE and
 * UNKNOWN. */
enum pgw_http_outcome {
	PGW_HTTP_OK = 0,        /* a complete response arrived, whatever its
	                         * status code */
	PGW_HTTP_NOT_SENT = 1,  /* failed before any byte of the request left
	                         * (DNS, connect, TLS): nothing happened */
	PGW_HTTP_NO_ANSWER = 2, /* the request was (maybe partly) sent but no
	                         * complete answer came: timeout, reset, bad
	                         * reply. The processor may have acted */
	PGW_HTTP_MISUSE = 3     /* refused by the host (bad URL, scheme, plain
	                         * http off loopback, answer over 1 MiB, out of
	                         * memory); err says why */
};

/* Log levels for host->log. */
enum pgw_log_level {
	PGW_LOG_DEBUG = 0,
	PGW_LOG_INFO = 1,
	PGW_LOG_WARN = 2,
	PGW_LOG_ERROR = 3
};

/*
 * Services the host offers a plugin instance. Host-owned; one table per
 * instance, valid from init() until fini() returns; pass it back as the
 * first argument. Every function is safe to call from several threads.
 */
struct pgw_host {
	uint32_t size;      /* sizeof(struct pgw_host) as the host built it */
	uint16_t abi_major; /* PGW_ABI_MAJOR of the host */
	uint16_t abi_minor;
	/* Performs req with the host's libcurl: TLS verification on, no
	 * redirects, timeouts, at most 1 MiB of answer. Headers and bodies
	 * are never logged; the host logs method, URL without query, status
	 * and time, with card numbers, secrets and req->redact replaced.
	 * resp is caller-owned, its contents host-owned (see http_free).
	 * Returns the outcome; err[errsz] (caller-owned) says why when not
	 * PGW_HTTP_OK. */
	int32_t (*http)(const struct pgw_host *host,
	    const struct pgw_http_request *req, struct pgw_http_response *resp,
	    char *err, size_t errsz);
	/* Frees what http() put into resp and zeroes it. NULL-safe. */
	void (*http_free)(
	    const struct pgw_host *host, struct pgw_http_response *resp);
	/* Writes one log line for msg (plugin-owned, copied) at level (an
	 * enum pgw_log_level), tagged with the plugin and practice. The host
	 * replaces card numbers and known secrets, and control characters. */
	void (*log)(
	    const struct pgw_host *host, int32_t level, const char *msg);
	/* Wall clock, milliseconds since the Unix epoch. */
	int64_t (*clock_ms)(const struct pgw_host *host);
	/* Fills buf[0..n) with cryptographically secure random bytes. Returns
	 * 0, or -1 when the system cannot (then do not proceed). */
	int32_t (*random)(const struct pgw_host *host, void *buf, size_t n);
	void *opaque; /* the host's; a plugin must not touch it */
};

/* ---- Operations: inputs and outputs ----------------------------------- */

/* Requests are caller-owned and read during the call only. Outputs are
 * caller-owned, zeroed with size set by the caller; the plugin fills them. */

struct pgw_customer_req {
	uint32_t size;
	const char *idempotency_key; /* may be NULL */
	const char *reference;       /* the portal's opaque client reference */
	const char *name;            /* may be NULL */
	const char *email;           /* may be NULL */
};

struct pgw_customer {
	uint32_t size;
	char id[PGW_ID_MAX]; /* processor customer id */
};

/* How the browser shows the processor's card entry (the portal never sees
 * the card number: the widget posts it to the processor and hands the page
 * a token). */
struct pgw_widget {
	uint32_t size;
	char script_url[PGW_URL_MAX]; /* <script src>, the processor's */
	char origin[PGW_URL_MAX];     /* origin to allow in the CSP (script-src,
	                               * frame-src, connect-src) */
	char public_key[PGW_ID_MAX];  /* publishable key for the page */
	char mode[16];                /* "test" or "live" */
};

struct pgw_save_card_req {
	uint32_t size;
	const char *customer_id;     /* processor customer id */
	const char *token;           /* one-time token from the widget */
	const char *idempotency_key; /* may be NULL */
};

/* A saved card, as the portal stores it. */
struct pgw_card {
	uint32_t size;
	char payment_method[PGW_ID_MAX]; /* processor id, e.g. pm_... */
	char brand[PGW_BRAND_MAX];       /* "visa", "mastercard", ... */
	char last4[8];                   /* 4 digits */
	int32_t exp_month;               /* 1..12 */
	int32_t exp_year;                /* four digits */
};

struct pgw_charge_req {
	uint32_t size;
	int64_t amount;              /* minor units, > 0 */
	const char *currency;        /* ISO 4217, e.g. "USD" */
	const char *idempotency_key; /* required, unique per attempt */
	const char *customer_id;     /* may be NULL unless saving/saved card */
	const char *payment_method;  /* saved card, or NULL ... */
	const char *token;           /* ... a one-time token: exactly one */
	int32_t off_session;         /* 1: client not present (AutoPay) */
	int32_t save_card;           /* 1: keep the token's card for future use
	                              * (needs customer_id); see pgw_payment.card */
	const char *description;     /* may be NULL; never diagnoses or CPT
	                              * codes */
};

/* A payment as the processor knows it. */
struct pgw_payment {
	uint32_t size;
	char ref[PGW_ID_MAX]; /* processor payment reference */
	int32_t status;       /* the payment's own state: SUCCEEDED,
	                       * DECLINED, PENDING or REQUIRES_ACTION */
	int64_t amount;       /* minor units */
	char currency[8];
	int64_t amount_refunded;
	char idempotency_key[PGW_KEY_MAX]; /* when the processor reports it */
	struct pgw_card card; /* the card used; payment_method set when the
	                       * card was saved (save_card) */
	char decline_code[PGW_CODE_MAX]; /* for DECLINED */
	int64_t created_ms;              /* processor's creation time, or 0 */
};

struct pgw_refund_req {
	uint32_t size;
	const char *payment_ref;     /* pgw_payment.ref */
	int64_t amount;              /* minor units, > 0; or 0 for the whole
	                              * remaining amount */
	const char *idempotency_key; /* required */
	const char *reason;          /* may be NULL */
};

struct pgw_refund {
	uint32_t size;
	char ref[PGW_ID_MAX]; /* processor refund id */
	char payment_ref[PGW_ID_MAX];
	int32_t status; /* SUCCEEDED, PENDING or DECLINED */
	int64_t amount;
};

struct pgw_lookup_req {
	uint32_t size;
	const char *idempotency_key; /* the charge's key, or NULL ... */
	const char *payment_ref;     /* ... its reference: at least one */
};

struct pgw_webhook_req {
	uint32_t size;
	const char *body; /* the raw body as received, not re-encoded */
	size_t body_len;
	const struct pgw_http_header *headers; /* as received */
	size_t nheaders;
};

/* Normalized webhook event types. */
enum pgw_event_type {
	PGW_EVENT_OTHER = 0, /* anything else: acknowledge and ignore */
	PGW_EVENT_PAYMENT_SUCCEEDED = 1,
	PGW_EVENT_PAYMENT_FAILED = 2,
	PGW_EVENT_PAYMENT_PENDING = 3,
	PGW_EVENT_REFUND_SUCCEEDED = 4,
	PGW_EVENT_REFUND_FAILED = 5
};

struct pgw_event {
	uint32_t size;
	char id[PGW_ID_MAX];           /* processor event id: dedupe on it */
	int32_t type;                  /* an enum pgw_event_type */
	char type_name[PGW_EVENT_MAX]; /* processor's own type name */
	char payment_ref[PGW_ID_MAX];  /* pgw_payment.ref concerned, or "" */
	int32_t status;                /* the payment's status after it */
	int64_t amount;
	int64_t created_ms;
};

/* ---- The descriptor ------------------------------------------------------ */

/* Capability flags. */
#define PGW_CAP_SAVE_CARD      (1u << 0) /* save_card() works */
#define PGW_CAP_ONE_TIME_TOKEN (1u << 1) /* charge() takes a token */
#define PGW_CAP_PARTIAL_REFUND (1u << 2)
#define PGW_CAP_OFF_SESSION    (1u << 3)
#define PGW_CAP_WEBHOOK        (1u << 4) /* webhook() works */
#define PGW_CAP_LOOKUP_BY_KEY  (1u << 5) /* lookup() by idempotency key */
#define PGW_CAP_THREADSAFE                           \
	(1u << 6) /* operations may run concurrently \
	           * on one context; without it the  \
	           * host serializes them */

/*
 * What portal_gateway_entry() returns: static, plugin-owned, immutable.
 * Operations: ctx is what init() stored; req and out as documented above;
 * res is the caller's result (see struct pgw_result). Each operation
 * returns the status it stored in res->status. An operation the plugin
 * does not offer may be NULL (the host answers PGW_ERROR), except init,
 * fini, charge and lookup.
 */
struct pgw_plugin {
	uint32_t magic;      /* PGW_MAGIC */
	uint32_t size;       /* sizeof(struct pgw_plugin) as built */
	uint16_t abi_major;  /* PGW_ABI_MAJOR as built */
	uint16_t abi_minor;  /* PGW_ABI_MINOR as built */
	const char *name;    /* [a-z0-9_-]+, equal to the file's base name */
	const char *version; /* the plugin's own version text */
	uint64_t caps;       /* PGW_CAP_* */
	const struct pgw_conf_key *config; /* the config table */
	size_t nconfig;

	/* Creates a context for one practice from validated config[0..nconfig)
	 * (in the table's order, only keys present in YAML). host is valid
	 * until fini(). On success stores the context in *ctx and returns
	 * PGW_SUCCEEDED; on failure returns PGW_ERROR with a one-line reason
	 * in err[errsz] (no secrets), leaving nothing allocated. Must not
	 * keep static state: two practices mean two contexts. */
	int32_t (*init)(const struct pgw_host *host,
	    const struct pgw_kv *config, size_t nconfig, void **ctx, char *err,
	    size_t errsz);
	/* Frees ctx and wipes secrets in it. Called once, after every
	 * operation on ctx returned. */
	void (*fini)(void *ctx);

	int32_t (*create_customer)(void *ctx,
	    const struct pgw_customer_req *req, struct pgw_customer *out,
	    struct pgw_result *res);
	/* Describes the card-entry widget; no network needed. */
	int32_t (*card_widget)(
	    void *ctx, struct pgw_widget *out, struct pgw_result *res);
	int32_t (*save_card)(void *ctx, const struct pgw_save_card_req *req,
	    struct pgw_card *out, struct pgw_result *res);
	/* Charges. Same idempotency key and parameters: the processor's
	 * stored outcome, never a second charge. */
	int32_t (*charge)(void *ctx, const struct pgw_charge_req *req,
	    struct pgw_payment *out, struct pgw_result *res);
	int32_t (*refund)(void *ctx, const struct pgw_refund_req *req,
	    struct pgw_refund *out, struct pgw_result *res);
	/* Finds a payment. Returns the payment's status (SUCCEEDED, DECLINED,
	 * PENDING, REQUIRES_ACTION) with out filled, PGW_NOT_FOUND when the
	 * processor has none, or RETRYABLE/UNKNOWN/ERROR when it could not
	 * say. */
	int32_t (*lookup)(void *ctx, const struct pgw_lookup_req *req,
	    struct pgw_payment *out, struct pgw_result *res);
	/* Verifies req's signature on the raw body (PGW_ERROR, code
	 * "signature_invalid", when it does not verify or is stale) and
	 * parses it into out. */
	int32_t (*webhook)(void *ctx, const struct pgw_webhook_req *req,
	    struct pgw_event *out, struct pgw_result *res);
};

/* The one symbol a plugin exports (link with
 * -export-symbols-regex '^portal_gateway_entry$'). Returns the plugin's
 * static descriptor; never NULL. Called once per load, before init(). */
const struct pgw_plugin *portal_gateway_entry(void);
typedef const struct pgw_plugin *(*pgw_entry_fn)(void);

/* Exports portal_gateway_entry even when the plugin is built with
 * -fvisibility=hidden. */
#if defined(__GNUC__) || defined(__clang__)
#define PGW_EXPORT __attribute__((visibility("default")))
#else
#define PGW_EXPORT
#endif

#ifdef __cplusplus
}
#endif

#endif
