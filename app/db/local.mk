### app/db: MariaDB connection, statement cache, transactions, migrations and
### the portal's queries (the only place with SQL text).
libportal_a_SOURCES += app/db/db.h app/db/db_int.h app/db/db.c app/db/migrate.c
dist_man_MANS += man/portalctl.8
