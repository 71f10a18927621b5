/* log.c: key=value (or JSON) log lines on stderr, one write(2) per line. */
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
static enum log_format log_fmt = LOG_FMT_TEXT;
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
log_set_format(enum log_format f)
{
	log_fmt = f;
}

/* Appends s[0..n) to out as JSON string content. Returns 0, or -1 when it
 * does not fit (out unchanged past *o then). */
static int
json_str(char *out, size_t outsz, size_t *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, p = *o;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t need = c == '"' || c == '\\'   ? 2
		              : c < 0x20 || c == 0x7f ? 6
		                                      : 1;

		if (p + need >= outsz) /* and room for the NUL */
			return -1;
		if (need == 2) {
			out[p++] = '\\';
			out[p++] = (char)c;
		} else if (need == 6) {
			memcpy(out + p, "\\u00", 4);
			p += 4;
			out[p++] = hex[c >> 4];
			out[p++] = hex[c & 0xf];
		} else
			out[p++] = (char)c;
	}
	*o = p;
	return 0;
}

/* Appends c to out. Returns 0, or -1 when it does not fit. */
static int
json_chr(char *out, size_t outsz, size_t *o, char c)
{
	if (*o + 1 >= outsz)
		return -1;
	out[(*o)++] = c;
	return 0;
}

size_t
log_kv_json(const char *kv, char *out, size_t outsz)
{
	char val[2048];
	const char *p = kv, *k, *eq;
	size_t o = 0, keep, kn, vn, i;
	int bare;

	if (outsz == 0)
		return 0;
	out[0] = '\0';
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			break;
		k = p;
		while (*p != '\0' && *p != ' ' && *p != '=' && *p != '\n')
			p++;
		eq = *p == '=' ? p : NULL;
		kn = (size_t)(p - k);
		vn = 0;
		if (eq != NULL && p[1] == '"') {
			/* A value log_value() quoted: \" and \\ inside. */
			for (p += 2; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (vn + 1 < sizeof(val))
					val[vn++] = *p;
			}
			if (*p == '"')
				p++;
		} else if (eq != NULL) {
			for (p++; *p != '\0' && *p != ' ' && *p != '\n'; p++)
				if (vn + 1 < sizeof(val))
					val[vn++] = *p;
		} else {
			/* A word without a key. */
			memcpy(val, k, kn < sizeof(val) ? kn : sizeof(val) - 1);
			vn = kn < sizeof(val) ? kn : sizeof(val) - 1;
			k = "msg";
			kn = 3;
		}
		keep = o;
		bare = kn == 3 && memcmp(k, "pid", 3) == 0 && vn > 0;
		for (i = 0; bare && i < vn; i++)
			bare = val[i] >= '0' && val[i] <= '9';
		if ((o > 0 && json_chr(out, outsz, &o, ',') != 0) ||
		    json_chr(out, outsz, &o, '"') != 0 ||
		    json_str(out, outsz, &o, k, kn) != 0 ||
		    json_chr(out, outsz, &o, '"') != 0 ||
		    json_chr(out, outsz, &o, ':') != 0 ||
		    (!bare && json_chr(out, outsz, &o, '"') != 0) ||
		    json_str(out, outsz, &o, val, vn) != 0 ||
		    (!bare && json_chr(out, outsz, &o, '"') != 0)) {
			o = keep;
			break;
		}
	}
	out[o] = '\0';
	return o;
}

void
log_kv(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	/* syslog(3) priorities: LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR. */
	static const char *prio[] = {"<7>", "<6>", "<4>", "<3>"};
	char line[2048], json[4096];
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
	line[n] = '\0';
	if (log_fmt == LOG_FMT_JSON) {
		/* The same keys as one JSON object (after the priority). */
		size_t pl = log_journal ? 3 : 0, j;

		memcpy(json, line, pl);
		json[pl] = '{';
		j = pl + 1 +
		    log_kv_json(
		        line + pl, json + pl + 1, sizeof(json) - pl - 3);
		json[j++] = '}';
		json[j++] = '\n';
		(void)!write(STDERR_FILENO, json, j);
		return;
	}
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
