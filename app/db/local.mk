### app/db: MariaDB connection, statement cache, transactions, migrations and
### the portal's queries (the only place with SQL text). Each db_AREA.c
### implements db_AREA.h; db.c is the engine (db.h, db_int.h).
libportal_a_SOURCES += app/db/db.h app/db/db_int.h app/db/db.c \
	app/db/db_migrate.h app/db/db_migrate_sql.h app/db/db_migrate.c \
	app/db/db_core.h app/db/db_core_sql.h app/db/db_core.c \
	app/db/db_billing.h app/db/db_billing_sql.h app/db/db_billing.c \
	app/db/db_docs.h app/db/db_docs_sql.h app/db/db_docs.c \
	app/db/db_autopay.h app/db/db_autopay_sql.h app/db/db_autopay.c \
	app/db/db_mail.h app/db/db_mail_sql.h app/db/db_mail.c \
	app/db/db_admin.h app/db/db_admin_sql.h app/db/db_admin.c
dist_man_MANS += man/portalctl.8
