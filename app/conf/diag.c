/* diag.c: collected configuration problems, "FILE:LINE:COL: message". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

#define DIAG_MAX_STORED 1000

void
conf_diag_init(struct conf_diag *d)
{
	memset(d, 0, sizeof(*d));
}

static void
diag_vadd(struct conf_diag *d, const char *file, unsigned line, unsigned col,
    const char *fmt, va_list ap)
{
	char head[64], *msg = NULL, *full = NULL;
	va_list aq;
	int len, hl, fl;

	if (d == NULL)
		return;
	d->n++;
	if (d->nmsgs >= DIAG_MAX_STORED)
		goto out;
	if (d->nmsgs == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		char **nm = realloc(d->msgs, ncap * sizeof(*nm));

		if (nm == NULL)
			goto nomem;
		d->msgs = nm;
		d->cap = ncap;
	}
	va_copy(aq, ap);
	len = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (len < 0 || (msg = malloc((size_t)len + 1)) == NULL)
		goto nomem;
	vsnprintf(msg, (size_t)len + 1, fmt, ap);
	if (file == NULL)
		file = "(config)";
	if (line > 0)
		hl = snprintf(head, sizeof(head), ":%u:%u: ", line, col);
	else
		hl = snprintf(head, sizeof(head), ": ");
	fl = (int)strlen(file);
	if ((full = malloc((size_t)fl + (size_t)hl + (size_t)len + 1)) == NULL)
		goto nomem;
	memcpy(full, file, (size_t)fl);
	memcpy(full + fl, head, (size_t)hl);
	memcpy(full + fl + hl, msg, (size_t)len + 1);
	d->msgs[d->nmsgs++] = full;
	full = NULL;
	goto out;
nomem:
	d->nomem = 1;
out:
	free(msg);
	free(full);
}

void
conf_diag_add(struct conf_diag *d, const char *file, unsigned line,
    unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, file, line, col, fmt, ap);
	va_end(ap);
}

void
conf_diag_node(struct conf_diag *d, const struct conf_node *node, int at_key,
    const char *fmt, ...)
{
	va_list ap;
	unsigned line = 0, col = 0;
	const char *file = NULL;

	if (node != NULL) {
		file = node->file;
		line = node->line;
		col = node->col;
		if (at_key && node->key != NULL && node->key_line > 0) {
			line = node->key_line;
			col = node->key_col;
		}
	}
	va_start(ap, fmt);
	diag_vadd(d, file, line, col, fmt, ap);
	va_end(ap);
}

size_t
conf_diag_count(const struct conf_diag *d)
{
	return d == NULL ? 0 : d->n;
}

void
conf_diag_print(const struct conf_diag *d, FILE *out)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nmsgs; i++)
		fprintf(out, "%s\n", d->msgs[i]);
	if (d->n > d->nmsgs)
		fprintf(out, "... and %zu more problem%s not shown%s\n",
		    d->n - d->nmsgs, d->n - d->nmsgs == 1 ? "" : "s",
		    d->nomem ? " (out of memory)" : "");
}

void
conf_diag_free(struct conf_diag *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nmsgs; i++)
		free(d->msgs[i]);
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}
