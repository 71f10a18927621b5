/* pages.c: the signed-in page shells of the product's navigation:
 * Documents, and Billing & Payments with Payment Methods, Billing Documents
 * and Payment History. The billing issues fill them in. */
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
h_billing(struct ctx *c)
{
	shell(c, "billing", "Billing & Payments", "billing");
}

void
h_documents(struct ctx *c)
{
	shell(c, "documents", "Documents", "documents");
}

void
h_payment_methods(struct ctx *c)
{
	shell(c, "payment_methods", "Payment Methods", "payment_methods");
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
