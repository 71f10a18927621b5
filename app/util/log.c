/* log.c: key=value log lines on stderr, one write(2) per line. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

static enum log_level log_min = LOG_LVL_INFO;

void
log_set_level(enum log_level min)
{
	log_min = min;
}

void
log_kv(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	char line[2048];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (lvl < log_min)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s pid=%d ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000L, names[lvl], (int)getpid());
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
