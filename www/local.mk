### www: HTML templates (rendered by portald) and static files (served by nginx).
### (app/docs/local.mk lists the document print page and its files.)
nobase_dist_pkgdata_DATA += www/templates/head.html www/templates/nav.html \
	www/templates/foot.html www/templates/alerts.html \
	www/templates/login.html www/templates/invite.html \
	www/templates/forgot.html www/templates/reset.html \
	www/templates/password_fields.html \
	www/templates/billing.html www/templates/billing_off.html \
	www/templates/documents.html www/templates/payment_methods.html \
	www/templates/card_new.html www/templates/card_widget.html \
	www/templates/pay.html www/templates/pay_done.html \
	www/templates/confirm.html \
	www/templates/billing_documents.html www/templates/history.html \
	www/static/portal.css www/static/favicon.svg www/static/card.js \
	www/static/errors/429.html
