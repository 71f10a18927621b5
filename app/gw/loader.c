/* loader.c: finds, checks and dlopens gateway plugins (STYLE.md 12: Redis
 * moduleLoad, SQLite loadext.c): absolute path inside the plugin directory,
 * no group/world-writable files, RTLD_NOW | RTLD_LOCAL, magic, major and
 * size checked, the file named in every error. */
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw/gw.h"

struct gw_module {
	void *dl;
	char *path;
	const struct pgw_plugin *plugin;
};

/* Size of the ABI 1.0 descriptor: what every plugin must cover. */
#define PLUGIN_SIZE_1_0                         \
	(offsetof(struct pgw_plugin, webhook) + \
	    sizeof(((struct pgw_plugin *)0)->webhook))
/* Size of the ABI 1.1 descriptor: what a plugin of minor >= 1 covers. */
#define PLUGIN_SIZE_1_1                                    \
	(offsetof(struct pgw_plugin, complete_save_card) + \
	    sizeof(((struct pgw_plugin *)0)->complete_save_card))

static int
name_ok(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || strlen(name) > 64)
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		        (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
		        name[i] == '-'))
			return 0;
	return 1;
}

enum pstatus
gw_plugin_path(const char *plugindir, const char *name, char *out, size_t outsz,
    char *err, size_t errsz)
{
	if (plugindir == NULL || plugindir[0] != '/') {
		errbuf_set(err, errsz,
		    "plugin directory \"%s\" is not an absolute path",
		    plugindir != NULL ? plugindir : "");
		return PS_INVALID;
	}
	if (!name_ok(name)) {
		errbuf_set(err, errsz,
		    "plugin name \"%s\" must be 1-64 of [a-z0-9_-]",
		    name != NULL ? name : "");
		return PS_INVALID;
	}
	if ((size_t)snprintf(out, outsz, "%s/%s.so", plugindir, name) >=
	    outsz) {
		errbuf_set(err, errsz, "plugin path %s/%s.so too long",
		    plugindir, name);
		return PS_INVALID;
	}
	return PS_OK;
}

/* Refuses group/world-writable f (a file or directory) not owned by root or
 * us. */
static enum pstatus
check_perms(const char *what, const char *shown, const struct stat *sb,
    char *err, size_t errsz)
{
	if (sb->st_mode & (S_IWGRP | S_IWOTH)) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: %s is group- or world-writable "
		    "(mode %04o); refusing to load it (chmod go-w)",
		    shown, what, (unsigned)(sb->st_mode & 07777));
		return PS_DENIED;
	}
	if (sb->st_uid != 0 && sb->st_uid != geteuid()) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: %s is owned by uid %u, neither root "
		    "nor us; refusing to load it",
		    shown, what, (unsigned)sb->st_uid);
		return PS_DENIED;
	}
	return PS_OK;
}

enum pstatus
gw_module_open(const char *plugindir, const char *path, struct gw_module **out,
    char *err, size_t errsz)
{
	char rdir[PATH_MAX], rpath[PATH_MAX], dir[PATH_MAX];
	struct gw_module *m = NULL;
	const struct pgw_plugin *p;
	pgw_entry_fn entry;
	enum pstatus rc = PS_INVALID;
	struct stat sb;
	void *dl = NULL;
	size_t dl_len, need;
	char *slash;
	const char *shown = path != NULL ? path : "(null)";

	*out = NULL;
	if (path == NULL || path[0] != '/') {
		errbuf_set(err, errsz,
		    "gateway plugin %s: not an absolute path; plugins load "
		    "only by absolute path from the plugin directory",
		    shown);
		goto err;
	}
	if (plugindir == NULL || realpath(plugindir, rdir) == NULL) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: plugin directory %s: %s", shown,
		    plugindir != NULL ? plugindir : "(null)",
		    plugindir != NULL ? strerror(errno) : "not set");
		rc = PS_NOTFOUND;
		goto err;
	}
	if (realpath(path, rpath) == NULL) {
		errbuf_set(err, errsz, "gateway plugin %s: %s", shown,
		    strerror(errno));
		rc = errno == ENOENT ? PS_NOTFOUND : PS_INVALID;
		goto err;
	}
	dl_len = strlen(rdir);
	if (strncmp(rpath, rdir, dl_len) != 0 ||
	    (rpath[dl_len] != '/' && strcmp(rdir, "/") != 0)) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: resolves to %s, outside the plugin "
		    "directory %s",
		    shown, rpath, rdir);
		rc = PS_DENIED;
		goto err;
	}
	if (stat(rpath, &sb) == -1) {
		errbuf_set(err, errsz, "gateway plugin %s: %s", shown,
		    strerror(errno));
		goto err;
	}
	if (!S_ISREG(sb.st_mode)) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: not a regular file; refusing to load "
		    "it",
		    shown);
		rc = PS_DENIED;
		goto err;
	}
	if ((rc = check_perms("the file", shown, &sb, err, errsz)) != PS_OK)
		goto err;
	snprintf(dir, sizeof(dir), "%s", rpath);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (stat(dir, &sb) == -1) {
		errbuf_set(err, errsz, "gateway plugin %s: directory %s: %s",
		    shown, dir, strerror(errno));
		rc = PS_INVALID;
		goto err;
	}
	if ((rc = check_perms("its directory", shown, &sb, err, errsz)) !=
	    PS_OK)
		goto err;
	rc = PS_INVALID;
	dlerror();
	if ((dl = dlopen(rpath, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *e = dlerror();

		errbuf_set(err, errsz, "gateway plugin %s: cannot load: %s",
		    shown, e != NULL ? e : "unknown dlopen error");
		goto err;
	}
	dlerror();
	*(void **)&entry = dlsym(dl, PGW_ENTRY_SYMBOL);
	if (entry == NULL) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: no entry function %s() (is it a "
		    "portal gateway plugin? see portal-gateway(3))",
		    shown, PGW_ENTRY_SYMBOL);
		goto err;
	}
	if ((p = entry()) == NULL) {
		errbuf_set(err, errsz, "gateway plugin %s: %s() returned NULL",
		    shown, PGW_ENTRY_SYMBOL);
		goto err;
	}
	if (p->magic != PGW_MAGIC) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: bad magic 0x%08x (expected 0x%08x): "
		    "not built against gateway.h",
		    shown, (unsigned)p->magic, (unsigned)PGW_MAGIC);
		goto err;
	}
	if (p->abi_major != PGW_ABI_MAJOR) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: ABI %u.%u, this portal speaks %u.x; "
		    "rebuild the plugin against this portal's gateway.h",
		    shown, (unsigned)p->abi_major, (unsigned)p->abi_minor,
		    (unsigned)PGW_ABI_MAJOR);
		goto err;
	}
	/* 1.0 plugins cover the 1.0 descriptor, 1.1 ones (and any later
	 * minor: append-only, the host reads only what it knows) the 1.1
	 * descriptor. */
	need = p->abi_minor >= 1 ? (size_t)PLUGIN_SIZE_1_1
	                         : (size_t)PLUGIN_SIZE_1_0;
	if (p->size < need) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: descriptor size %u is shorter than "
		    "ABI %u.%u requires (%zu)",
		    shown, (unsigned)p->size, (unsigned)p->abi_major,
		    (unsigned)p->abi_minor, need);
		goto err;
	}
	if (!name_ok(p->name)) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: plugin name must be 1-64 of "
		    "[a-z0-9_-]",
		    shown);
		goto err;
	}
	if ((p->init == NULL && (p->abi_minor < 1 || p->init2 == NULL)) ||
	    p->fini == NULL || p->charge == NULL || p->lookup == NULL) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: init (or, ABI 1.1, init2), fini, "
		    "charge and lookup are required",
		    shown);
		goto err;
	}
	if (p->nconfig > 0 && p->config == NULL) {
		errbuf_set(err, errsz,
		    "gateway plugin %s: nconfig %zu without a config table",
		    shown, p->nconfig);
		goto err;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(rpath)) == NULL) {
		errbuf_set(
		    err, errsz, "gateway plugin %s: out of memory", shown);
		rc = PS_NOMEM;
		goto err;
	}
	m->dl = dl;
	m->plugin = p;
	*out = m;
	return PS_OK;
err:
	if (m != NULL) {
		free(m->path);
		free(m);
	}
	if (dl != NULL)
		dlclose(dl);
	return rc;
}

const struct pgw_plugin *
gw_module_plugin(const struct gw_module *m)
{
	return m->plugin;
}

const char *
gw_module_path(const struct gw_module *m)
{
	return m->path;
}

void
gw_module_close(struct gw_module *m)
{
	if (m == NULL)
		return;
	if (m->dl != NULL)
		dlclose(m->dl);
	free(m->path);
	free(m);
}
