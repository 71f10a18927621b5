/* gateway.h: the stable plugin ABI between the portal and card processor
 * plugins (see portal-gateway(3)). Self-contained C99; installed.
 * ABI 1.1 (append-only over 1.0; 1.0 plugins still load): the widget's
 * named values and CSP origins, the next action of REQUIRES_ACTION and
 * complete_charge/complete_save_card, the return value as the one status,
 * init2 reporting through pgw_result, PGW_PLUGIN_HEADER/PGW_DEFINE_ENTRY,
 * and host services for HTTP status mapping, JSON, HMAC and headers. */
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
 *   the caller's size covers it (PGW_HAS); in ABI 1.0 every member fits,
 *   and a 1.1 host always passes 1.1 sizes.
 * - A plugin may use a host service only when host->size covers it
 *   (PGW_HAS(host, struct pgw_host, member)).
 *
 * One status (ABI 1.1): the value an operation returns is its status, the
 * only one. For a plugin built with abi_minor >= 1 the host copies it into
 * res->status and, for charge, lookup and complete_charge, into
 * pgw_payment.status when it is a payment state (SUCCEEDED, DECLINED,
 * PENDING, REQUIRES_ACTION), and for refund into pgw_refund.status; what
 * the plugin wrote there is overwritten. (A 1.0 plugin must set both, and
 * the host treats a disagreement as a broken plugin.)
 */
#define PGW_MAGIC        0x50475731u /* "PGW1" */
#define PGW_ABI_MAJOR    1
#define PGW_ABI_MINOR    1
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
/* ABI 1.1 */
#define PGW_NAME_MAX           64  /* names of widget/action values, kinds */
#define PGW_VALUE_MAX          512 /* widget/action value text */
#define PGW_ORIGIN_MAX         256 /* a CSP source: scheme://host[:port] */
#define PGW_WIDGET_VALUES_MAX  16
#define PGW_WIDGET_ORIGINS_MAX 32
#define PGW_ACTION_VALUES_MAX  16

/* result.code of a DECLINED save_card or charge whose one-time token the
 * processor refused as such: unknown, expired or used already (a double
 * submit, a reloaded form). Not a decline of the card and not an outage:
 * the client must enter the card again. */
#define PGW_CODE_TOKEN_INVALID "token_invalid"

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

/* ABI 1.1: one named text value for the browser (widget or next action).
 * name is [a-z0-9_]+; value is NUL-terminated UTF-8. */
struct pgw_value {
	char name[PGW_NAME_MAX];
	char value[PGW_VALUE_MAX];
};

/* ABI 1.1: what the next action asks of the browser. */
enum pgw_action_type {
	PGW_ACTION_NONE = 0,    /* no browser step now. With ref set: call
	                         * complete_* while the client is present
	                         * (action_result NULL) to start an on-session
	                         * attempt, whose answer carries the step.
	                         * Without ref: nothing the client can do */
	PGW_ACTION_SDK = 1,     /* call the processor's browser SDK: kind names
	                         * the call, values its arguments */
	PGW_ACTION_REDIRECT = 2 /* send the client's browser to url (the
	                         * processor's challenge page), which returns
	                         * to the portal's return URL */
};

/*
 * ABI 1.1: the next action of a REQUIRES_ACTION answer, in pgw_result.action.
 * A plugin fills it whenever it returns REQUIRES_ACTION from charge,
 * save_card, lookup or complete_* and the client can authenticate on
 * session (else type PGW_ACTION_NONE). The browser performs it, then the
 * host calls complete_charge or complete_save_card with ref and the same
 * request and idempotency key as the original operation.
 *
 * Kinds the in-tree plugins use (the browser adapter dispatches on kind):
 *   "stripe.handle_next_action"   values client_secret: stripe
 *       .handleNextAction({clientSecret}) (PaymentIntent or SetupIntent
 *       in status requires_action);
 *   "stripe.confirm_card_payment" values client_secret, payment_method:
 *       stripe.confirmCardPayment(clientSecret, {payment_method}) (an
 *       off-session PaymentIntent that failed with authentication_required,
 *       brought back on session);
 *   "square.verify_buyer"         values source_id, intent ("CHARGE" or
 *       "STORE"), amount ("12.34", CHARGE only), currency_code ("USD"),
 *       customer_initiated ("true"), seller_keyed_in ("false"):
 *       payments.verifyBuyer(source_id, details); its token goes back as
 *       pgw_complete_req.action_result;
 *   "redirect"                    type PGW_ACTION_REDIRECT, url set.
 * Values may hold a client secret: the host hands them to that client's
 * page only, and never logs or stores them.
 */
struct pgw_next_action {
	int32_t type;            /* an enum pgw_action_type */
	char kind[PGW_NAME_MAX]; /* see above; "" for PGW_ACTION_NONE */
	char ref[PGW_ID_MAX];    /* the processor object to complete (pi_...,
	                          * seti_..., a Square payment or card source):
	                          * not secret, the host stores it with the
	                          * attempt and passes it to complete_* */
	char url[PGW_URL_MAX];   /* PGW_ACTION_REDIRECT: absolute URL */
	uint32_t nvalues;        /* entries used in values */
	struct pgw_value values[PGW_ACTION_VALUES_MAX];
};

/*
 * The result every operation fills. Caller-owned: the caller sets size, err
 * and errsz (err may be NULL when errsz is 0) and zeroes the rest; the
 * plugin sets, where they apply, code, message, err text, http_status,
 * retry_after_ms and (1.1) action. The status is the operation's return
 * value (1.1: the host stores it here; a 1.0 plugin stores it itself).
 * Nothing in it may ever contain a card number, a CVV or a secret, except
 * the client secret in action.values (see struct pgw_next_action).
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
	/* ABI 1.1 */
	struct pgw_next_action action; /* plugin: for REQUIRES_ACTION */
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

	/* ---- ABI 1.1 (check PGW_HAS(host, struct pgw_host, member)) ---- */

	/*
	 * http() plus the one transport-to-status mapping every plugin must
	 * follow. Sets res->http_status (0 when no answer), and for anything
	 * but an answer to read, res->code and res->err ("<method> <url
	 * without query>: why"). Returns:
	 *   PGW_SUCCEEDED  an answer arrived that the plugin must read: any
	 *                  status but 429 and 5xx;
	 *   PGW_RETRYABLE  nothing reached the processor (DNS, connect, TLS:
	 *                  code "network_error"), or a 429 (code
	 *                  "rate_limited", res->retry_after_ms from
	 *                  Retry-After), or a GET/HEAD that timed out or got
	 *                  a 5xx (reads are safe to repeat);
	 *   PGW_UNKNOWN    any other method sent without a complete answer
	 *                  (timeout, reset: code "no_answer") or answered 5xx
	 *                  (code "server_error"): the processor may have
	 *                  acted; look it up, never retry with a new key;
	 *   PGW_ERROR      the host refused the request (code "misuse").
	 * resp is filled as by http() whatever the return (a 429/5xx body is
	 * there to read); the plugin frees it with http_free().
	 */
	int32_t (*http_call)(const struct pgw_host *host,
	    const struct pgw_http_request *req, struct pgw_http_response *resp,
	    struct pgw_result *res);
	/* Finds in the JSON text json[0..len) the value at path, members
	 * separated by '.', array indexes as decimal numbers ("error.code",
	 * "data.object.id", "errors.0.code"), and writes it into out[outsz]
	 * (strings unquoted, numbers and true/false/null as written,
	 * objects/arrays as compact JSON), truncating. Returns 1 when found,
	 * 0 when absent (out = ""), -1 when json is not JSON. */
	int32_t (*json_get)(const struct pgw_host *host, const char *json,
	    size_t len, const char *path, char *out, size_t outsz);
	/* Writes s as a JSON string literal (quotes included, escaped) into
	 * out[outsz]. Returns 0, or -1 when it does not fit (out = ""). */
	int32_t (*json_quote)(const struct pgw_host *host, const char *s,
	    char *out, size_t outsz);
	/* Writes s percent-encoded for application/x-www-form-urlencoded
	 * (RFC 3986 unreserved kept, space as %20) into out[outsz]. Returns 0,
	 * or -1 when it does not fit (out = ""). */
	int32_t (*form_encode)(const struct pgw_host *host, const char *s,
	    char *out, size_t outsz);
	/* HMAC-SHA256 of msg[0..msglen) under key[0..keylen) into mac[32].
	 * Returns 0, or -1 (out of memory). */
	int32_t (*hmac_sha256)(const struct pgw_host *host, const void *key,
	    size_t keylen, const void *msg, size_t msglen, unsigned char *mac);
	/* 1 when a[0..n) equals b[0..n), in time independent of the contents
	 * (compare signatures with this), else 0. */
	int32_t (*mem_equal)(const struct pgw_host *host, const void *a,
	    const void *b, size_t n);
	/* The value of the last of the n headers h named name (ASCII case
	 * ignored), or NULL; borrowed from h. */
	const char *(*header)(const struct pgw_host *host,
	    const struct pgw_http_header *h, size_t n, const char *name);
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

/* ABI 1.1: CSP directives a widget origin is allowed under. */
enum pgw_csp_directive {
	PGW_CSP_SCRIPT = 1,  /* script-src */
	PGW_CSP_FRAME = 2,   /* frame-src */
	PGW_CSP_CONNECT = 3, /* connect-src */
	PGW_CSP_IMG = 4,     /* img-src */
	PGW_CSP_STYLE = 5,   /* style-src */
	PGW_CSP_FONT = 6     /* font-src */
};

/* ABI 1.1: one CSP source the processor's browser SDK needs. origin is
 * "https://host[:port]" (http:// only for loopback hosts), or https:// with
 * a host whose first label is "*" (any subdomain, as CSP allows); no path,
 * no quotes, no keywords. */
struct pgw_origin {
	int32_t directive; /* an enum pgw_csp_directive */
	char origin[PGW_ORIGIN_MAX];
};

/*
 * How the browser shows the processor's card entry (the portal never sees
 * the card number: the widget posts it to the processor and hands the page
 * a token). The page's CSP allows exactly the origins declared here, and
 * nothing more.
 *
 * A 1.1 plugin fills script_url, mode, sdk, values and origins; origin and
 * public_key are the 1.0 form (fill them too to also run under a 1.0
 * host). For a 1.0 plugin the host derives sdk (the plugin name), values
 * ({"publishable_key": public_key}) and origins (origin under script,
 * frame and connect) from the 1.0 members.
 *
 * Value names the in-tree plugins use: stripe and sandbox
 * "publishable_key"; square "application_id" and "location_id".
 */
struct pgw_widget {
	uint32_t size;
	char script_url[PGW_URL_MAX]; /* <script src>, the processor's */
	char origin[PGW_URL_MAX];     /* 1.0: origin to allow in the CSP
	                               * (script-src, frame-src, connect-src) */
	char public_key[PGW_ID_MAX];  /* 1.0: publishable key for the page */
	char mode[16];                /* "test" or "live" */
	/* ABI 1.1 */
	char sdk[PGW_NAME_MAX]; /* the browser adapter: "stripe", "square",
	                         * "sandbox", or the plugin's own */
	uint32_t nvalues;       /* entries used in values */
	struct pgw_value values[PGW_WIDGET_VALUES_MAX]; /* for the page; never
	                                                 * a secret */
	uint32_t norigins; /* entries used in origins */
	struct pgw_origin origins[PGW_WIDGET_ORIGINS_MAX];
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

/*
 * ABI 1.1: completes a charge or a card save that answered REQUIRES_ACTION,
 * after the browser performed the next action. The host passes the very
 * request of the original operation (same amount, currency, card source and
 * idempotency key): completing is idempotent like charging. A plugin whose
 * processor wants a fresh key for the second request derives it from the
 * original key (e.g. key + "-v"), deterministically.
 *
 * The answer is the operation's status after the action: SUCCEEDED (paid or
 * saved, once), DECLINED (authentication failed or the card was refused:
 * nothing charged), REQUIRES_ACTION (not authenticated yet, e.g. the client
 * abandoned the challenge: nothing charged; action filled again when the
 * client can retry), PENDING, or RETRYABLE/UNKNOWN/ERROR as for charge.
 */
struct pgw_complete_req {
	uint32_t size;
	const char *ref;           /* pgw_next_action.ref of the answer */
	const char *action_result; /* what the browser SDK handed back (Square:
	                            * the verifyBuyer token), or NULL */
	const struct pgw_charge_req *charge;  /* complete_charge: the original
	                                       * request; else NULL */
	const struct pgw_save_card_req *save; /* complete_save_card: the
	                                       * original request; else NULL */
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
/* ABI 1.1: REQUIRES_ACTION comes with a next action, and complete_charge /
 * complete_save_card finish it */
#define PGW_CAP_NEXT_ACTION (1u << 7)

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

	/* 1.0: creates a context for one practice from validated
	 * config[0..nconfig) (in the table's order, only keys present in
	 * YAML). host is valid until fini(). On success stores the context in
	 * *ctx and returns PGW_SUCCEEDED; on failure returns PGW_ERROR with a
	 * one-line reason in err[errsz] (no secrets), leaving nothing
	 * allocated. Must not keep static state: two practices mean two
	 * contexts. A 1.1 plugin sets init2 instead and may leave init NULL
	 * (it then needs a 1.1 host). */
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
	 * say. 1.1: for REQUIRES_ACTION (e.g. an off-session charge that
	 * needs the client) res->action says how the client authenticates
	 * that same payment on session; complete_charge then finishes it. */
	int32_t (*lookup)(void *ctx, const struct pgw_lookup_req *req,
	    struct pgw_payment *out, struct pgw_result *res);
	/* Verifies req's signature on the raw body (PGW_ERROR, code
	 * "signature_invalid", when it does not verify or is stale) and
	 * parses it into out. */
	int32_t (*webhook)(void *ctx, const struct pgw_webhook_req *req,
	    struct pgw_event *out, struct pgw_result *res);

	/* ---- ABI 1.1 ---- */

	/* init, reporting like every other operation: returns PGW_SUCCEEDED
	 * with *ctx set, or PGW_ERROR with res->err (one line, no secrets;
	 * name the offending kv->where) and res->code, leaving nothing
	 * allocated. The host prefers init2 over init when both are set. */
	int32_t (*init2)(const struct pgw_host *host,
	    const struct pgw_kv *config, size_t nconfig, void **ctx,
	    struct pgw_result *res);
	/* Completes a charge after its next action (see pgw_complete_req);
	 * out as for charge. NULL: the host answers PGW_ERROR. */
	int32_t (*complete_charge)(void *ctx,
	    const struct pgw_complete_req *req, struct pgw_payment *out,
	    struct pgw_result *res);
	/* Completes a card save after its next action; out as for
	 * save_card. */
	int32_t (*complete_save_card)(void *ctx,
	    const struct pgw_complete_req *req, struct pgw_card *out,
	    struct pgw_result *res);
};

/*
 * ABI 1.1: the descriptor's first members, so a plugin cannot get them
 * wrong:
 *     static const struct pgw_plugin desc = {
 *         PGW_PLUGIN_HEADER,
 *         .name = "acme", .version = "1.0", ...
 *     };
 *     PGW_DEFINE_ENTRY(desc)
 */
#define PGW_PLUGIN_HEADER                                      \
	.magic = PGW_MAGIC, .size = sizeof(struct pgw_plugin), \
	.abi_major = PGW_ABI_MAJOR, .abi_minor = PGW_ABI_MINOR

/* Defines the exported entry function returning &desc. */
#define PGW_DEFINE_ENTRY(desc)                                         \
	PGW_EXPORT const struct pgw_plugin *portal_gateway_entry(void) \
	{                                                              \
		return &(desc);                                        \
	}

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
