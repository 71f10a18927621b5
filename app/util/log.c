/* log.c: key=value log lines on stderr, one write(2) per line. */
#include <sys/stat.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

static enum log_level log_min = LOG_LVL_INFO;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static int log_journal; /* stderr is systemd's journal stream */

/* Sets log_journal when stderr is the stream systemd connected to the
 * journal: $JOURNAL_STREAM ("DEV:INODE", systemd.exec(5)) names stderr's
 * device and inode. Then each line starts with its syslog priority,
 * "<3>" and so on, which journald strips and stores as PRIORITY=, so
 * `journalctl -p warning` finds warnings and errors. A stderr redirected
 * elsewhere (a file, a pipe) gets plain lines. */
static void
log_detect_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat sb;
	char tail;

	if (js == NULL || sscanf(js, "%ju:%ju%c", &dev, &ino, &tail) != 2 ||
	    fstat(STDERR_FILENO, &sb) == -1)
		return;
	log_journal =
	    (uintmax_t)sb.st_dev == dev && (uintmax_t)sb.st_ino == ino;
}

void
log_set_level(enum log_level min)
{
	log_min = min;
}

void
log_kv(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	/* syslog(3) priorities: LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR. */
	static const char *prio[] = {"<7>", "<6>", "<4>", "<3>"};
	char line[2048];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (lvl < log_min)
		return;
	(void)pthread_once(&log_once, log_detect_journal);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "%sts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s pid=%d ",
	    log_journal ? prio[lvl] : "", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L,
	    names[lvl], (int)getpid());
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

const char *
log_value(const char *v, char *out, size_t outsz)
{
	size_t i, o = 0;
	int quote = v[0] == '\0';

	for (i = 0; v[i] != '\0'; i++)
		if (v[i] == ' ' || v[i] == '"' || v[i] == '=' ||
		    (unsigned char)v[i] < 0x20)
			quote = 1;
	if (outsz < 3)
		return "";
	if (quote)
		out[o++] = '"';
	for (i = 0; v[i] != '\0' && o + 3 < outsz; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			out[o++] = '?';
		else
			out[o++] = (char)c;
	}
	if (quote)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}
