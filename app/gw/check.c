/* check.c: configuration checks that load the plugins: every practice's
 * `gateway:` block is validated against its plugin's own key table, so
 * `portalctl config check` and `portald -t` report a misspelt key as
 * FILE:LINE:COL instead of the practice silently losing Online Payments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "gw/gw.h"

/* Adds the lines of text ("FILE:LINE:COL: message" or "FILE: message",
 * joined by '\n') to d, keeping their positions; a line without one is
 * placed at node at (the gateway: key). */
static void
add_lines(struct conf_diag *d, const char *text, const struct conf_node *at)
{
	const char *s = text, *e, *p;
	char line[2048];

	while (s != NULL && *s != '\0') {
		unsigned ln = 0, col = 0;
		int off = 0;

		e = strchr(s, '\n');
		snprintf(line, sizeof(line), "%.*s",
		    (int)(e != NULL ? (size_t)(e - s) : strlen(s)), s);
		/* The first ":LINE:COL: " splits file and message. */
		for (p = strchr(line, ':'); p != NULL; p = strchr(p + 1, ':'))
			if (sscanf(p, ":%u:%u: %n", &ln, &col, &off) == 2 &&
			    off > 0)
				break;
		if (p != NULL) {
			char *file = line;

			line[p - line] = '\0';
			conf_diag_add(d, file, ln, col, "%s", p + off);
		} else if ((p = strstr(line, ": ")) != NULL &&
		           at->file != NULL &&
		           strncmp(line, at->file, strlen(at->file)) == 0)
			conf_diag_node(d, at, 1, "%s", p + 2);
		else
			conf_diag_node(d, at, 1, "%s", line);
		s = e != NULL ? e + 1 : NULL;
	}
}

/* The node of key k in mapping m, or m. */
static const struct conf_node *
child_or(const struct conf_node *m, const char *k)
{
	const struct conf_node *c = conf_node_get(m, k);

	return c != NULL ? c : m;
}

enum pstatus
gw_practices_check(const struct portal_conf *c, struct conf_diag *d)
{
	enum pstatus rc = PS_OK;
	size_t i;

	for (i = 0; i < c->npractices; i++) {
		const struct practice_conf *pc = &c->practices[i];
		struct gw_conf_item *items = NULL;
		struct gw_module *m = NULL;
		const char *name = NULL;
		char path[4096], err[4096];
		size_t n = 0;
		enum pstatus st;

		if (pc->gateway == NULL)
			continue;
		st = gw_conf_from_node(
		    pc->gateway, &name, &items, &n, err, sizeof(err));
		if (st == PS_NOMEM) {
			rc = PS_NOMEM;
			break;
		}
		if (st != PS_OK) {
			add_lines(d, err, pc->gateway);
			continue;
		}
		if (c->paths.plugins == NULL) {
			conf_diag_node(d, child_or(pc->gateway, "plugin"), 0,
			    "gateway.plugin: cannot check \"%s\": "
			    "paths.plugins is not set in portal.yaml",
			    name);
			free(items);
			continue;
		}
		if ((st = gw_plugin_path(c->paths.plugins, name, path,
		         sizeof(path), err, sizeof(err))) == PS_OK)
			st = gw_module_open(
			    c->paths.plugins, path, &m, err, sizeof(err));
		if (st == PS_OK &&
		    strcmp(gw_module_plugin(m)->name, name) != 0) {
			snprintf(err, sizeof(err),
			    "gateway plugin %.1000s calls itself \"%.64s\"",
			    path, gw_module_plugin(m)->name);
			st = PS_INVALID;
		}
		if (st != PS_OK)
			conf_diag_node(d, child_or(pc->gateway, "plugin"), 0,
			    "gateway.plugin: %s", err);
		else if (gw_conf_check(gw_module_plugin(m), items, n, NULL, err,
		             sizeof(err)) != PS_OK)
			add_lines(d, err, pc->gateway);
		gw_module_close(m);
		free(items);
		if (st == PS_NOMEM) {
			rc = PS_NOMEM;
			break;
		}
	}
	return rc;
}
