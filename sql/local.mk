### sql: numbered migrations, installed under $(pkgdatadir)/sql where an
### installed portalctl looks for them (portalctl db migrate --sql-dir DIR).
nobase_dist_pkgdata_DATA += sql/0001_init.sql
nobase_dist_pkgdata_DATA += sql/0002_billing.sql
nobase_dist_pkgdata_DATA += sql/0003_processor_events.sql
nobase_dist_pkgdata_DATA += sql/0005_documents.sql
nobase_dist_pkgdata_DATA += sql/0006_autopay.sql
nobase_dist_pkgdata_DATA += sql/0007_locale.sql
nobase_dist_pkgdata_DATA += sql/0009_mail.sql
nobase_dist_pkgdata_DATA += sql/0012_processor_accounts.sql
nobase_dist_pkgdata_DATA += sql/0013_email_exact.sql
