/* pages.c: the signed-in page shells of the product's navigation that
 * are not filled in yet: Billing Documents and Payment History (the card
 * and payment pages are in billing.c). */
#include "web/extern.h"

static void
shell(struct ctx *c, const char *tmpl, const char *title, const char *active)
{
	struct tmpl_val *d = web_page_data(c, title, active);

	if (d == NULL) {
		web_error(c, 500);
		return;
	}
	web_render(c, tmpl, d);
}

void
h_billing_documents(struct ctx *c)
{
	shell(c, "billing_documents", "Billing Documents", "billing_documents");
}

void
h_history(struct ctx *c)
{
	shell(c, "history", "Payment History", "history");
}
