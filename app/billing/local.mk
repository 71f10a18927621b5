### app/billing: domain rules (balances, cards, payments, reconcile); no HTTP.
### The billing SQL lives in app/db (billing.c, billing_sql.h, db_billing.h).
libportal_a_SOURCES += app/billing/billing.h app/billing/billing.c \
	app/db/db_billing.h app/db/billing_sql.h app/db/billing.c
