/* hello.c: hello-world FastCGI program, the baseline the benchmark compares
 * portald's pages with. */

/*
 * hello -s SOCKET [-w WORKERS] [-t THREADS] [-m MODE] [-g GROUP]
 *
 * Opens a unix FastCGI socket, forks WORKERS processes (default 1) of
 * THREADS threads (default 8) each, every thread looping in FCGX_Accept_r()
 * and answering a tiny HTML page: the same process model as portald, with
 * no work per request. SIGTERM or SIGINT to the parent stops the workers
 * and removes the socket. Not installed; built for tests/bench/run.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#define HELLO_MAX_WORKERS 64
#define HELLO_MAX_THREADS 256

static const char hello_page[] =
    "Status: 200 OK\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Cache-Control: no-store\r\n"
    "\r\n"
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Hello</title></head><body><p>Hello, world.</p></body></html>\n";

static volatile sig_atomic_t hello_stop;

static void
hello_on_signal(int sig)
{
	(void)sig;
	hello_stop = 1;
}

/* One thread: accepts and answers requests on the listening socket until
 * the process dies. arg is the socket descriptor. */
static void *
hello_thread(void *arg)
{
	FCGX_Request req;
	int fd = *(int *)arg;

	if (FCGX_InitRequest(&req, fd, 0) != 0)
		return NULL;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(hello_page, (int)(sizeof(hello_page) - 1), req.out);
		FCGX_Finish_r(&req);
	}
	return NULL;
}

/* A worker process: nthreads threads on fd; returns only on failure. */
static int
hello_worker(int fd, long nthreads)
{
	pthread_t tids[HELLO_MAX_THREADS];
	long i, started = 0;
	int rc = 1;

	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&tids[i], NULL, hello_thread, &fd) != 0) {
			fprintf(stderr, "hello: pthread_create: %s\n",
			    strerror(errno));
			goto out;
		}
		started++;
	}
	rc = 0;
out:
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	return rc;
}

static int
hello_number(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *path = NULL, *group = NULL;
	long workers = 1, threads = 8, i;
	mode_t mode = 0660;
	pid_t pids[HELLO_MAX_WORKERS];
	long nforked = 0;
	struct sigaction sa;
	struct group *gr;
	char *end;
	int fd = -1, c, rc = 1;

	while ((c = getopt(argc, argv, "s:w:t:m:g:")) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'w':
			if (hello_number(
			        optarg, 1, HELLO_MAX_WORKERS, &workers) != 0)
				goto usage;
			break;
		case 't':
			if (hello_number(
			        optarg, 1, HELLO_MAX_THREADS, &threads) != 0)
				goto usage;
			break;
		case 'm':
			mode = (mode_t)strtoul(optarg, &end, 8);
			if (*optarg == '\0' || *end != '\0' || mode > 0777)
				goto usage;
			break;
		case 'g':
			group = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (path == NULL || optind != argc)
		goto usage;

	if (FCGX_Init() != 0) {
		fprintf(stderr, "hello: FCGX_Init failed\n");
		goto out;
	}
	unlink(path);
	if ((fd = FCGX_OpenSocket(path, 128)) < 0) {
		fprintf(stderr, "hello: cannot listen on %s\n", path);
		goto out;
	}
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			fprintf(stderr, "hello: no group %s\n", group);
			goto out;
		}
		if (chown(path, (uid_t)-1, gr->gr_gid) != 0) {
			fprintf(stderr, "hello: chown %s: %s\n", path,
			    strerror(errno));
			goto out;
		}
	}
	if (chmod(path, mode) != 0) {
		fprintf(stderr, "hello: chmod %s: %s\n", path, strerror(errno));
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hello_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	for (i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "hello: fork: %s\n", strerror(errno));
			goto out;
		}
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			_exit(hello_worker(fd, threads));
		}
		pids[nforked++] = pid;
	}
	fprintf(stderr, "hello: socket=%s workers=%ld threads=%ld\n", path,
	    workers, threads);
	while (!hello_stop)
		pause();
	rc = 0;
	goto out;
usage:
	fprintf(stderr, "usage: hello -s SOCKET [-w WORKERS] [-t THREADS] "
	                "[-m MODE] [-g GROUP]\n");
	rc = 2;
out:
	for (i = 0; i < nforked; i++)
		kill(pids[i], SIGTERM);
	for (i = 0; i < nforked; i++)
		waitpid(pids[i], NULL, 0);
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	return rc;
}
