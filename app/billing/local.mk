### app/billing: domain rules (balances, cards, payments, reconcile); no HTTP
libportal_a_SOURCES += app/billing/billing.h
