### app/docs: billing documents (statements, superbills, sharing, Payment
### History) over app/db/docs.c, rendered by app/pdf; their pages are
### app/web/docs.c, their portalctl commands app/cmd/portalctl_docs.c.
libportal_a_SOURCES += app/docs/docs.h app/docs/docs.c \
	app/db/db_docs.h app/db/docs.c app/web/docs.c
nobase_dist_pkgdata_DATA += www/templates/document_print.html \
	www/static/print.js www/static/print.css
