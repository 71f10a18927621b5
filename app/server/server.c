/* server.c: master and worker processes around libfcgi's FCGX_Accept_r.
 *
 * The master blocks every signal and waits for them with sigtimedwait(2), so
 * no handler races the bookkeeping. A worker runs T threads in
 * FCGX_Accept_r (requests flagged FCGI_FAIL_ACCEPT_ON_INTR) and a main
 * thread that waits for SIGTERM; to drain it sets a flag, lets busy threads
 * finish, and interrupts idle ones in accept(2) with SIGUSR1, repeated until
 * they leave (libfcgi's own SIGTERM handling only sets a flag and leaves
 * threads blocked in accept). */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "server/server.h"

#define MAX_WORKERS 256

enum tstate { T_STARTING, T_ACCEPTING, T_BUSY, T_DONE };

struct wthread {
	pthread_t tid;
	_Atomic int state;
	int listen_fd;
	const struct server_hooks *hooks;
	void *app;
};

static atomic_int worker_stopping;

static void
on_usr1(int sig)
{
	(void)sig; /* only interrupts accept(2) */
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *
worker_thread(void *arg)
{
	struct wthread *t = arg;
	FCGX_Request req;
	void *ts;
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if ((ts = t->hooks->thread_init(t->app)) == NULL) {
		log_error("event=thread_init_failed");
		atomic_store(&t->state, T_DONE);
		/* A worker with a dead thread is replaced as a whole. */
		kill(getpid(), SIGTERM);
		return NULL;
	}
	if (FCGX_InitRequest(&req, t->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) !=
	    0) {
		t->hooks->thread_fini(ts);
		atomic_store(&t->state, T_DONE);
		kill(getpid(), SIGTERM);
		return NULL;
	}
	while (!atomic_load(&worker_stopping)) {
		int rc;

		atomic_store(&t->state, T_ACCEPTING);
		pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
		if (atomic_load(&worker_stopping)) {
			pthread_sigmask(SIG_BLOCK, &usr1, NULL);
			break;
		}
		rc = FCGX_Accept_r(&req);
		pthread_sigmask(SIG_BLOCK, &usr1, NULL);
		if (rc < 0) {
			if (errno == EINTR || atomic_load(&worker_stopping))
				continue;
			log_warn("event=accept_failed errno=%d", errno);
			usleep(100000);
			continue;
		}
		atomic_store(&t->state, T_BUSY);
		t->hooks->handle(ts, &req);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	t->hooks->thread_fini(ts);
	atomic_store(&t->state, T_DONE);
	return NULL;
}

/* Runs in the child after fork; never returns. */
static void
worker_main(const struct server_opts *o, const struct server_hooks *h,
    void *app, int listen_fd)
{
	struct wthread *ts;
	struct sigaction sa;
	sigset_t set;
	int i, sig, alive;
	int64_t deadline;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1; /* no SA_RESTART: accept(2) gets EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Every thread starts with all signals blocked (inherited mask). */
	if (FCGX_Init() != 0) {
		log_error("event=fcgx_init_failed");
		_exit(1);
	}
	ts = calloc((size_t)o->threads, sizeof(*ts));
	if (ts == NULL)
		_exit(1);
	for (i = 0; i < o->threads; i++) {
		ts[i].listen_fd = listen_fd;
		ts[i].hooks = h;
		ts[i].app = app;
		atomic_store(&ts[i].state, T_STARTING);
		if (pthread_create(&ts[i].tid, NULL, worker_thread, &ts[i]) !=
		    0) {
			log_error("event=thread_create_failed");
			_exit(1);
		}
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	do {
		if (sigwait(&set, &sig) != 0)
			sig = SIGTERM;
	} while (sig == SIGHUP); /* reloads are the master's business */
	atomic_store(&worker_stopping, 1);
	deadline = now_ms() + o->drain_ms;
	do {
		alive = 0;
		for (i = 0; i < o->threads; i++) {
			int st = atomic_load(&ts[i].state);

			if (st == T_DONE)
				continue;
			alive++;
			if (st == T_ACCEPTING || st == T_STARTING)
				pthread_kill(ts[i].tid, SIGUSR1);
		}
		if (alive > 0)
			usleep(20000);
	} while (alive > 0 && now_ms() < deadline);
	if (alive > 0)
		log_warn("event=drain_timeout threads_busy=%d", alive);
	/* Threads still blocked anywhere hold no accepted request. */
	_exit(0);
}

struct worker {
	pid_t pid;
	int64_t started;
	int generation;
};

static pid_t
spawn(const struct server_opts *o, const struct server_hooks *h, void *app,
    int fd)
{
	pid_t pid = fork();

	if (pid == 0)
		worker_main(o, h, app, fd);
	if (pid < 0)
		log_error("event=fork_failed errno=%d", errno);
	return pid;
}

/* Opens the listening socket named by o. Returns fd or -1 with err. */
static int
open_socket(const struct server_opts *o, char *err, size_t errsz)
{
	int fd;
	int is_unix = strchr(o->socket, ':') == NULL;

	if (is_unix) {
		struct stat sb;

		/* Remove a stale socket, never another kind of file. */
		if (lstat(o->socket, &sb) == 0) {
			if (!S_ISSOCK(sb.st_mode)) {
				errbuf_set(err, errsz,
				    "%s exists and is not a socket", o->socket);
				return -1;
			}
			unlink(o->socket);
		}
	}
	fd = FCGX_OpenSocket(o->socket, o->backlog);
	if (fd < 0) {
		errbuf_set(err, errsz, "cannot listen on %s: %s", o->socket,
		    strerror(errno));
		return -1;
	}
	if (is_unix) {
		if (o->socket_group[0] != '\0') {
			struct group *g = getgrnam(o->socket_group);

			if (g == NULL ||
			    chown(o->socket, (uid_t)-1, g->gr_gid) != 0) {
				errbuf_set(err, errsz,
				    "cannot give %s to group %s: %s", o->socket,
				    o->socket_group,
				    g == NULL ? "no such group"
				              : strerror(errno));
				close(fd);
				return -1;
			}
		}
		if (chmod(o->socket, o->socket_mode) != 0) {
			errbuf_set(err, errsz, "cannot chmod %s: %s", o->socket,
			    strerror(errno));
			close(fd);
			return -1;
		}
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

enum pstatus
server_identity(const struct server_opts *o, struct server_ident *id, char *err,
    size_t errsz)
{
	struct passwd *pw;
	struct group *gr;

	memset(id, 0, sizeof(*id));
	if (geteuid() != 0) {
		if (o->user[0] == '\0')
			return PS_OK;
		pw = getpwnam(o->user);
		if (pw != NULL && pw->pw_uid == geteuid())
			return PS_OK;
		errbuf_set(err, errsz,
		    "listen.user is %s but portald was started as uid %d; only "
		    "root can switch users",
		    o->user, (int)geteuid());
		return PS_DENIED;
	}
	if (o->user[0] == '\0') {
		errbuf_set(err, errsz,
		    "portald was started as root and listen.user is not set: "
		    "name the user its workers run as in portal.yaml");
		return PS_DENIED;
	}
	if ((pw = getpwnam(o->user)) == NULL) {
		errbuf_set(err, errsz, "listen.user %s: no such user", o->user);
		return PS_NOTFOUND;
	}
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	if (o->group[0] != '\0') {
		if ((gr = getgrnam(o->group)) == NULL) {
			errbuf_set(err, errsz, "listen.group %s: no such group",
			    o->group);
			return PS_NOTFOUND;
		}
		id->gid = gr->gr_gid;
	}
	if (id->uid == 0 || id->gid == 0) {
		errbuf_set(err, errsz,
		    "listen.user %s%s%s is root: workers never run as root",
		    o->user, o->group[0] != '\0' ? ", group " : "", o->group);
		return PS_DENIED;
	}
	snprintf(id->user, sizeof(id->user), "%s", o->user);
	id->change = 1;
	return PS_OK;
}

/* Becomes id's user for good: supplementary groups, group, then user, and
 * checks that root cannot be regained. Returns 0, or -1 with err. */
static int
drop_root(const struct server_ident *id, char *err, size_t errsz)
{
	if (initgroups(id->user, id->gid) != 0 || setgid(id->gid) != 0 ||
	    setuid(id->uid) != 0) {
		errbuf_set(err, errsz, "cannot become user %s: %s", id->user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || geteuid() != id->uid || getegid() != id->gid) {
		errbuf_set(err, errsz,
		    "still able to regain root after becoming %s", id->user);
		return -1;
	}
	log_info("event=running_as user=%s uid=%d gid=%d", id->user,
	    (int)id->uid, (int)id->gid);
	return 0;
}

enum pstatus
server_run(struct server_opts *opts, const struct server_hooks *hooks,
    void **app, char *err, size_t errsz)
{
	struct worker *w = NULL;
	struct server_ident id;
	sigset_t all, none;
	int fd = -1, i, gen = 0, nw;
	int64_t backoff_ms = 0;
	enum pstatus st = PS_ERROR;

	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &all, NULL);
	if ((st = server_identity(opts, &id, err, errsz)) != PS_OK)
		goto out;
	st = PS_ERROR;
	if ((fd = open_socket(opts, err, errsz)) < 0)
		goto out;
	if (id.change && drop_root(&id, err, errsz) != 0)
		goto out;
	if ((w = calloc(MAX_WORKERS * 2, sizeof(*w))) == NULL) {
		errbuf_set(err, errsz, "out of memory");
		goto out;
	}
	nw = opts->workers > MAX_WORKERS ? MAX_WORKERS : opts->workers;
	for (i = 0; i < nw; i++) {
		w[i].pid = spawn(opts, hooks, *app, fd);
		w[i].started = now_ms();
		w[i].generation = gen;
	}
	log_info("event=started socket=%s workers=%d threads=%d", opts->socket,
	    nw, opts->threads);
	for (;;) {
		struct timespec tmo = {0, 250 * 1000000L};
		siginfo_t si;
		int sig = sigtimedwait(&all, &si, &tmo);
		pid_t pid;
		int status;

		if (sig == SIGTERM || sig == SIGINT) {
			log_info("event=stopping signal=%s",
			    sig == SIGTERM ? "TERM" : "INT");
			break;
		}
		if (sig == SIGHUP) {
			struct server_opts nopts = *opts;
			void *napp = *app;
			char rerr[512];

			if (hooks->reload(&napp, &nopts, rerr, sizeof(rerr)) !=
			    PS_OK) {
				log_error("event=reload_failed error=\"%s\" "
				          "action=keeping_old_configuration",
				    rerr);
				continue;
			}
			if (strcmp(nopts.socket, opts->socket) != 0)
				log_warn("event=reload note=\"listen socket "
				         "changes need a restart\"");
			if (strcmp(nopts.user, opts->user) != 0 ||
			    strcmp(nopts.group, opts->group) != 0)
				log_warn("event=reload note=\"listen user and "
				         "group changes need a restart\"");
			strcpy(nopts.socket, opts->socket);
			strcpy(nopts.user, opts->user);
			strcpy(nopts.group, opts->group);
			/* Workers are separate processes with their own copy
			 * of the app, so the master's copy can go at once. */
			hooks->app_free(*app);
			*app = napp;
			*opts = nopts;
			gen++;
			for (i = 0; i < MAX_WORKERS * 2; i++)
				if (w[i].pid == -1)
					w[i].pid =
					    0; /* old, awaiting respawn */
			/* New workers first, then drain the old ones. */
			nw = opts->workers > MAX_WORKERS ? MAX_WORKERS
			                                 : opts->workers;
			for (i = 0; i < MAX_WORKERS * 2 && nw > 0; i++) {
				if (w[i].pid != 0)
					continue;
				w[i].pid = spawn(opts, hooks, *app, fd);
				w[i].started = now_ms();
				w[i].generation = gen;
				nw--;
			}
			for (i = 0; i < MAX_WORKERS * 2; i++)
				if (w[i].pid > 0 && w[i].generation != gen)
					kill(w[i].pid, SIGTERM);
			log_info("event=reloaded generation=%d", gen);
			continue;
		}
		/* SIGCHLD or the timer: reap, and replace within the current
		 * generation. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < MAX_WORKERS * 2; i++) {
				if (w[i].pid != pid)
					continue;
				if (w[i].generation != gen) {
					w[i].pid = 0;
					break;
				}
				if (WIFSIGNALED(status))
					log_warn("event=worker_died pid=%d "
					         "signal=%d",
					    (int)pid, WTERMSIG(status));
				else
					log_warn("event=worker_exited pid=%d "
					         "status=%d",
					    (int)pid, WEXITSTATUS(status));
				if (now_ms() - w[i].started < 1000)
					backoff_ms = backoff_ms == 0 ? 100
					             : backoff_ms * 2 > 30000
					                 ? 30000
					                 : backoff_ms * 2;
				else
					backoff_ms = 0;
				w[i].pid = -1; /* to respawn */
				w[i].started = now_ms() + backoff_ms;
				break;
			}
		}
		for (i = 0; i < MAX_WORKERS * 2; i++) {
			if (w[i].pid != -1 || now_ms() < w[i].started)
				continue;
			w[i].pid = spawn(opts, hooks, *app, fd);
			w[i].started = now_ms();
			w[i].generation = gen;
			if (w[i].pid > 0)
				log_info("event=worker_replaced pid=%d",
				    (int)w[i].pid);
		}
	}
	/* Stop: close our copy of the socket, ask every worker to drain, and
	 * kill what is left at the deadline. */
	close(fd);
	fd = -1;
	if (strchr(opts->socket, ':') == NULL)
		unlink(opts->socket);
	for (i = 0; i < MAX_WORKERS * 2; i++)
		if (w[i].pid > 0)
			kill(w[i].pid, SIGTERM);
	{
		int64_t deadline = now_ms() + opts->drain_ms + 300;
		int left;

		do {
			pid_t pid;
			int status;

			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				for (i = 0; i < MAX_WORKERS * 2; i++)
					if (w[i].pid == pid)
						w[i].pid = 0;
			left = 0;
			for (i = 0; i < MAX_WORKERS * 2; i++)
				if (w[i].pid > 0)
					left++;
			if (left > 0)
				usleep(20000);
		} while (left > 0 && now_ms() < deadline);
		for (i = 0; i < MAX_WORKERS * 2; i++)
			if (w[i].pid > 0) {
				kill(w[i].pid, SIGKILL);
				waitpid(w[i].pid, NULL, 0);
			}
	}
	log_info("event=stopped");
	st = PS_OK;
out:
	if (fd >= 0)
		close(fd);
	free(w);
	sigprocmask(SIG_SETMASK, &none, NULL);
	return st;
}
