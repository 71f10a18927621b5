/* tree.c: the YAML tree loader: libyaml events to struct conf_node, with
 * duplicate keys, anchors, aliases, tags and extra documents rejected. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "conf/conf.h"

#define TREE_MAX_DEPTH 64
#define TREE_MAX_FILE  (1024 * 1024)

struct frame {
	struct conf_node *node;
	int have_key;   /* key seen, value awaited */
	int skip_value; /* bad or duplicate key: drop the value */
	char *key;
	unsigned kl, kc;
};

struct tree_state {
	const char *file;
	struct conf_diag *diag;
	struct frame stack[TREE_MAX_DEPTH];
	size_t depth;
	struct conf_node *root;
	int invalid;
};

static void
node_free(struct conf_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nchildren; i++)
		node_free(n->children[i]);
	free(n->children);
	free(n->key);
	free(n->value);
	free(n);
}

void
conf_tree_free(struct conf_node *root)
{
	char *file;

	if (root == NULL)
		return;
	file = (char *)root->file;
	node_free(root);
	free(file);
}

const struct conf_node *
conf_node_get(const struct conf_node *map, const char *key)
{
	size_t i;

	if (map == NULL || map->kind != CN_MAP || key == NULL)
		return NULL;
	for (i = 0; i < map->nchildren; i++)
		if (map->children[i]->key != NULL &&
		    strcmp(map->children[i]->key, key) == 0)
			return map->children[i];
	return NULL;
}

const char *
conf_node_kind_str(enum conf_node_kind k)
{
	switch (k) {
	case CN_SCALAR:
		return "a scalar";
	case CN_MAP:
		return "a mapping";
	case CN_SEQ:
		return "a sequence";
	}
	return "a node";
}

static struct conf_node *
node_new(struct tree_state *st, enum conf_node_kind kind, yaml_mark_t mark)
{
	struct conf_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->kind = kind;
	n->line = (unsigned)mark.line + 1;
	n->col = (unsigned)mark.column + 1;
	n->file = st->file;
	return n;
}

static enum pstatus
node_append(struct conf_node *parent, struct conf_node *child)
{
	struct conf_node **nc;
	size_t n = parent->nchildren;

	/* Capacity is 4, then doubles: full when n is 0 or a power of two
	 * of at least 4. */
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		nc = realloc(
		    parent->children, (n == 0 ? 4 : n * 2) * sizeof(*nc));
		if (nc == NULL)
			return PS_NOMEM;
		parent->children = nc;
	}
	parent->children[parent->nchildren++] = child;
	child->parent = parent;
	return PS_OK;
}

/* Hands a completed node n to the innermost open container (or makes it
 * the root). Takes ownership of n in every case. */
static enum pstatus
tree_complete(struct tree_state *st, struct conf_node *n)
{
	struct frame *f;
	const struct conf_node *dup;
	enum pstatus rc = PS_OK;

	if (st->depth == 0) {
		if (st->root != NULL) {
			node_free(n);
			return PS_OK;
		}
		st->root = n;
		return PS_OK;
	}
	f = &st->stack[st->depth - 1];
	if (f->node->kind == CN_SEQ) {
		if ((rc = node_append(f->node, n)) != PS_OK)
			node_free(n);
		return rc;
	}
	if (!f->have_key) {
		f->have_key = 1;
		f->skip_value = 0;
		f->kl = n->line;
		f->kc = n->col;
		if (n->kind != CN_SCALAR) {
			conf_diag_add(st->diag, st->file, n->line, n->col,
			    "a mapping key must be a plain word, not %s",
			    conf_node_kind_str(n->kind));
			st->invalid = 1;
			f->skip_value = 1;
		} else if ((dup = conf_node_get(f->node, n->value)) != NULL) {
			conf_diag_add(st->diag, st->file, n->line, n->col,
			    "duplicate key \"%s\" (first defined at line %u, "
			    "column %u)",
			    n->value, dup->key_line, dup->key_col);
			st->invalid = 1;
			f->skip_value = 1;
		} else {
			f->key = n->value;
			n->value = NULL;
		}
		node_free(n);
		return PS_OK;
	}
	if (f->skip_value) {
		node_free(n);
	} else {
		n->key = f->key;
		n->key_line = f->kl;
		n->key_col = f->kc;
		f->key = NULL;
		if ((rc = node_append(f->node, n)) != PS_OK)
			node_free(n);
	}
	f->have_key = 0;
	f->skip_value = 0;
	free(f->key);
	f->key = NULL;
	return rc;
}

/* Drops the node at the current position (an alias): a mapping value
 * takes its key with it, a mapping key its value. */
static void
tree_drop(struct tree_state *st)
{
	struct frame *f;

	if (st->depth == 0)
		return;
	f = &st->stack[st->depth - 1];
	if (f->node->kind != CN_MAP)
		return;
	if (!f->have_key) {
		f->have_key = 1;
		f->skip_value = 1;
		return;
	}
	f->have_key = 0;
	f->skip_value = 0;
	free(f->key);
	f->key = NULL;
}

static void
tree_reject(
    struct tree_state *st, yaml_mark_t m, const char *what, const char *name)
{
	conf_diag_add(st->diag, st->file, (unsigned)m.line + 1,
	    (unsigned)m.column + 1, "%s (%s) are not supported", what,
	    name != NULL ? name : "?");
	st->invalid = 1;
}

enum pstatus
conf_parse_buf(const char *buf, size_t n, const char *name,
    struct conf_node **out, struct conf_diag *diag)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct tree_state st;
	struct conf_node *node = NULL;
	char *file = NULL;
	int have_parser = 0, have_ev = 0, done = 0, ndocs = 0;
	enum pstatus rc = PS_OK;
	size_t i;

	memset(&st, 0, sizeof(st));
	*out = NULL;
	if ((file = strdup(name != NULL ? name : "(config)")) == NULL) {
		rc = PS_NOMEM;
		goto out;
	}
	st.file = file;
	st.diag = diag;
	if (!yaml_parser_initialize(&parser)) {
		rc = PS_NOMEM;
		goto out;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, n);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR) {
				rc = PS_NOMEM;
				goto out;
			}
			conf_diag_add(diag, file,
			    (unsigned)parser.problem_mark.line + 1,
			    (unsigned)parser.problem_mark.column + 1,
			    "YAML syntax error: %s%s%s",
			    parser.problem ? parser.problem : "unknown",
			    parser.context ? " " : "",
			    parser.context ? parser.context : "");
			rc = PS_INVALID;
			goto out;
		}
		have_ev = 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				conf_diag_add(diag, file,
				    (unsigned)ev.start_mark.line + 1,
				    (unsigned)ev.start_mark.column + 1,
				    "only one YAML document is allowed in a "
				    "configuration file");
				rc = PS_INVALID;
				goto out;
			}
			break;
		case YAML_ALIAS_EVENT:
			tree_reject(&st, ev.start_mark, "aliases",
			    (const char *)ev.data.alias.anchor);
			tree_drop(&st);
			break;
		case YAML_SCALAR_EVENT:
			if (ev.data.scalar.anchor != NULL)
				tree_reject(&st, ev.start_mark, "anchors",
				    (const char *)ev.data.scalar.anchor);
			if (ev.data.scalar.tag != NULL)
				tree_reject(&st, ev.start_mark, "tags",
				    (const char *)ev.data.scalar.tag);
			if ((node = node_new(&st, CN_SCALAR, ev.start_mark)) ==
			    NULL) {
				rc = PS_NOMEM;
				goto out;
			}
			if (memchr(ev.data.scalar.value, '\0',
			        ev.data.scalar.length) != NULL) {
				conf_diag_add(diag, file, node->line, node->col,
				    "value contains a NUL character");
				st.invalid = 1;
			}
			node->value =
			    strndup((const char *)ev.data.scalar.value,
			        ev.data.scalar.length);
			if (node->value == NULL) {
				rc = PS_NOMEM;
				goto out;
			}
			node->value_len = strlen(node->value);
			node->quoted =
			    ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
			rc = tree_complete(&st, node);
			node = NULL;
			if (rc != PS_OK)
				goto out;
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT: {
			int map = ev.type == YAML_MAPPING_START_EVENT;
			yaml_char_t *anchor =
			    map ? ev.data.mapping_start.anchor
			        : ev.data.sequence_start.anchor;
			yaml_char_t *tag = map ? ev.data.mapping_start.tag
			                       : ev.data.sequence_start.tag;

			if (anchor != NULL)
				tree_reject(&st, ev.start_mark, "anchors",
				    (const char *)anchor);
			if (tag != NULL)
				tree_reject(&st, ev.start_mark, "tags",
				    (const char *)tag);
			if (st.depth == TREE_MAX_DEPTH) {
				conf_diag_add(diag, file,
				    (unsigned)ev.start_mark.line + 1,
				    (unsigned)ev.start_mark.column + 1,
				    "nesting deeper than %d levels",
				    TREE_MAX_DEPTH);
				rc = PS_INVALID;
				goto out;
			}
			if ((node = node_new(&st, map ? CN_MAP : CN_SEQ,
			         ev.start_mark)) == NULL) {
				rc = PS_NOMEM;
				goto out;
			}
			memset(&st.stack[st.depth], 0, sizeof(st.stack[0]));
			st.stack[st.depth++].node = node;
			node = NULL;
			break;
		}
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			/* libyaml guarantees balance; be defensive anyway. */
			if (st.depth == 0)
				break;
			node = st.stack[--st.depth].node;
			free(st.stack[st.depth].key);
			st.stack[st.depth].key = NULL;
			st.stack[st.depth].node = NULL;
			rc = tree_complete(&st, node);
			node = NULL;
			if (rc != PS_OK)
				goto out;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		have_ev = 0;
	}
	if (st.root == NULL) {
		yaml_mark_t m = {0, 0, 0};

		if ((st.root = node_new(&st, CN_MAP, m)) == NULL) {
			rc = PS_NOMEM;
			goto out;
		}
	} else if (st.root->kind == CN_SCALAR && !st.root->quoted &&
	           st.root->value_len == 0) {
		/* "---" alone: an empty document. */
		st.root->kind = CN_MAP;
		free(st.root->value);
		st.root->value = NULL;
	} else if (st.root->kind != CN_MAP) {
		conf_diag_add(diag, file, st.root->line, st.root->col,
		    "the top level must be a mapping of keys to values, not %s",
		    conf_node_kind_str(st.root->kind));
		rc = PS_INVALID;
		goto out;
	}
	*out = st.root;
	st.root = NULL;
	file = NULL; /* owned by the root now */
	if (st.invalid)
		rc = PS_INVALID;
out:
	if (have_ev)
		yaml_event_delete(&ev);
	if (have_parser)
		yaml_parser_delete(&parser);
	node_free(node);
	for (i = 0; i < st.depth; i++) {
		free(st.stack[i].key);
		node_free(st.stack[i].node);
	}
	node_free(st.root);
	free(file);
	return rc;
}

enum pstatus
conf_parse_file(
    const char *path, struct conf_node **out, struct conf_diag *diag)
{
	struct stat sb;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd = -1;
	enum pstatus rc = PS_OK;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		conf_diag_add(
		    diag, path, 0, 0, "cannot open: %s", strerror(errno));
		rc = errno == ENOENT ? PS_NOTFOUND : PS_INVALID;
		goto out;
	}
	if (fstat(fd, &sb) == -1) {
		conf_diag_add(
		    diag, path, 0, 0, "cannot stat: %s", strerror(errno));
		rc = PS_INVALID;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		conf_diag_add(diag, path, 0, 0, "not a regular file");
		rc = PS_INVALID;
		goto out;
	}
	if (sb.st_size > TREE_MAX_FILE) {
		conf_diag_add(diag, path, 0, 0, "file is larger than %d bytes",
		    TREE_MAX_FILE);
		rc = PS_INVALID;
		goto out;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		rc = PS_NOMEM;
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		r = read(fd, buf + got, (size_t)sb.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			conf_diag_add(diag, path, 0, 0, "cannot read: %s",
			    strerror(errno));
			rc = PS_INVALID;
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	rc = conf_parse_buf(buf, got, path, out, diag);
out:
	if (fd != -1)
		close(fd);
	free(buf);
	return rc;
}
