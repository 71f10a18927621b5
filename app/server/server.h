/* server.h: the portald process model: one master, W worker processes of T
 * threads each blocked in FCGX_Accept_r on one shared FastCGI socket. */
#ifndef PORTAL_SERVER_H
#define PORTAL_SERVER_H

#include <sys/types.h>

#include <fcgiapp.h>

#include "util/util.h"

/* Where and how to listen, and how many workers and threads. */
struct server_opts {
	char socket[256];      /* unix socket path, or "127.0.0.1:PORT" */
	unsigned socket_mode;  /* unix socket mode, e.g. 0660 */
	char socket_group[64]; /* group owning the unix socket; "" = keep */
	int workers;           /* worker processes, >= 1 */
	int threads;           /* threads per worker, >= 1 */
	int backlog;           /* listen(2) backlog */
	int drain_ms;          /* SIGTERM: time in-flight requests get */
	char user[64];  /* started as root: run as this user; "" = none */
	char group[64]; /* and this group; "" = the user's own */
};

/* Who portald runs as once its socket is open. */
struct server_ident {
	int change; /* 1: started as root, switch to uid/gid after the socket */
	uid_t uid;
	gid_t gid;
	char user[64];
};

/* Decides from o->user and o->group whom the server runs as, before anything
 * is opened. Started as root, the user must be set, exist and not be root
 * (workers never run as root): PS_OK with id->change set, PS_DENIED when no
 * user is set or it is root, PS_NOTFOUND when the user or group does not
 * exist. Started as another user, PS_OK with change 0 when o->user is unset
 * or names that user, else PS_DENIED (only root can switch). err says why. */
enum pstatus server_identity(const struct server_opts *o,
    struct server_ident *id, char *err, size_t errsz);

/* What the application plugs into the process model. app is an opaque
 * pointer owned by the caller, loaded before server_run() and replaced on
 * SIGHUP by reload(). All hooks but reload() run in worker processes. */
struct server_hooks {
	/* In a worker thread after fork: returns the thread's state (its own
	 * database connection, arena...), or NULL on failure (the thread
	 * answers 500 to nothing; the worker exits and is replaced). */
	void *(*thread_init)(void *app);
	/* Frees what thread_init() returned. */
	void (*thread_fini)(void *tstate);
	/* Answers one accepted request completely (reads the body, writes
	 * the response). Must not call FCGX_Finish_r. */
	void (*handle)(void *tstate, FCGX_Request *req);
	/* In the master on SIGHUP: loads a new app and new options into
	 * *app and *opts. Returns PS_OK, or an error with err filled and both
	 * left untouched (the old workers keep serving). */
	enum pstatus (*reload)(
	    void **app, struct server_opts *opts, char *err, size_t errsz);
	/* Frees an app in the master; workers hold their own copies. */
	void (*app_free)(void *app);
};

/* Checks whom to run as (server_identity()), opens the socket, drops to that
 * user when started as root (initgroups, setgid, setuid, then a check that
 * root cannot be regained), forks the workers and supervises them until SIGTERM
 * or SIGINT: a dead worker is replaced (with back-off when it dies young);
 * SIGHUP reloads through hooks->reload and replaces every worker, the old
 * ones finishing their in-flight requests first; SIGTERM stops accepting,
 * gives in-flight requests opts->drain_ms, and returns. Returns PS_OK after
 * a clean stop, or an error with err filled when the socket cannot be
 * opened. *app may have been replaced by reloads; the caller frees it. */
enum pstatus server_run(struct server_opts *opts,
    const struct server_hooks *hooks, void **app, char *err, size_t errsz);

#endif
