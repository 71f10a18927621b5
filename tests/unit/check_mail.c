/* check_mail.c: unit tests of app/mail without a database or a server: the
 * sealed link token, the params lines, the words of a message (every value
 * escaped in the HTML part, the practice named, the link under base_url),
 * the Message-ID and the MIME form. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

/* The box is not the token, opens to it under the same key only, and a
 * changed byte is refused. */
START_TEST(test_box)
{
	char tok[MAIL_TOKEN_MAX + 1], box[DBM_BOX_MAX + 1];
	unsigned char other[32];
	const char *t = "jq-zfH8xjfgT8P4l09IRZe-dTvWiGntFhlWiGIm-iWQ";
	char box2[DBM_BOX_MAX + 1];

	ck_assert_int_eq(mail_box_seal(key, sizeof(key), t, box), PS_OK);
	ck_assert_ptr_null(strstr(box, t));
	ck_assert_int_eq(mail_box_open(key, sizeof(key), box, tok), PS_OK);
	ck_assert_str_eq(tok, t);
	/* A fresh nonce each time: the same token seals differently. */
	ck_assert_int_eq(mail_box_seal(key, sizeof(key), t, box2), PS_OK);
	ck_assert_str_ne(box, box2);
	memcpy(other, key, sizeof(other));
	other[0] ^= 1;
	ck_assert_int_eq(
	    mail_box_open(other, sizeof(other), box, tok), PS_INVALID);
	box[30] = box[30] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(mail_box_open(key, sizeof(key), box, tok), PS_INVALID);
	ck_assert_int_eq(
	    mail_box_open(key, sizeof(key), "zz", tok), PS_INVALID);
}
END_TEST

START_TEST(test_params)
{
	struct mail_params p;
	char v[64];

	mail_params_init(&p);
	mail_param(&p, "number", "%s", "RCT-000001");
	mail_param(&p, "client", "%s", "Ann\nnumber=forged");
	ck_assert(mail_param_get(p.p, "number", v, sizeof(v)));
	ck_assert_str_eq(v, "RCT-000001");
	ck_assert(mail_param_get(p.p, "client", v, sizeof(v)));
	ck_assert_str_eq(v, "Ann number=forged");
	ck_assert(!mail_param_get(p.p, "amount", v, sizeof(v)));
	ck_assert_str_eq(v, "");
	ck_assert_int_eq(p.overflow, 0);
}
END_TEST

static void
msg_of(struct dbm_msg *m, const char *kind, const char *params)
{
	memset(m, 0, sizeof(*m));
	m->id = 12;
	m->created_at = 1700000000;
	snprintf(m->practice_slug, sizeof(m->practice_slug), "demo");
	snprintf(m->kind, sizeof(m->kind), "%s", kind);
	snprintf(m->to, sizeof(m->to), "ann@example.com");
	snprintf(m->first_name, sizeof(m->first_name), "<Ann>");
	snprintf(m->params, sizeof(m->params), "%s", params);
}

START_TEST(test_render)
{
	struct practice_conf pc;
	struct dbm_msg m;
	struct mail_text t;
	struct buf b = {0};
	char err[128], mid[128];

	memset(&pc, 0, sizeof(pc));
	pc.name = "Lake & <Side>";
	pc.phone = "(802) 555-0142";
	msg_of(&m, MAIL_RECEIPT,
	    "number=RCT-000007\namount=12050\ncurrency=USD\n");
	ck_assert_int_eq(mail_render(&pc, "https://p.example", &m, NULL, &t,
	                     err, sizeof(err)),
	    PS_OK);
	ck_assert_str_eq(t.subject.p, "Receipt RCT-000007 from Lake & <Side>");
	ck_assert_ptr_nonnull(strstr(t.text.p, "Hello <Ann>,"));
	ck_assert_ptr_nonnull(strstr(t.text.p, "payment of $120.50"));
	ck_assert_ptr_nonnull(strstr(t.html.p, "Hello &lt;Ann&gt;,"));
	ck_assert_ptr_nonnull(strstr(t.html.p, "Lake &amp; &lt;Side&gt;"));
	ck_assert_ptr_null(strstr(t.html.p, "<Side>"));
	ck_assert_ptr_nonnull(
	    strstr(t.html.p, "href=\"https://p.example/billing/documents\""));
	mail_message_id(
	    m.id, m.created_at, "billing@example.com", mid, sizeof(mid));
	ck_assert_str_eq(mid, "<portal.12.1700000000@example.com>");
	ck_assert_int_eq(mail_mime(pc.name, "billing@example.com", m.to, mid,
	                     1700000000, &t, &b),
	    PS_OK);
	ck_assert_ptr_nonnull(strstr(b.p, "\r\nMessage-ID: "
	                                  "<portal.12.1700000000@example.com>"
	                                  "\r\n"));
	ck_assert_ptr_nonnull(
	    strstr(b.p, "From: \"Lake & <Side>\" <billing@example.com>\r\n"));
	ck_assert_ptr_nonnull(strstr(b.p, "Content-Type: text/plain"));
	ck_assert_ptr_nonnull(strstr(b.p, "Content-Type: text/html"));
	ck_assert_ptr_null(strstr(b.p, "\n\n")); /* CRLF only */
	buf_free(&b);
	mail_text_free(&t);

	/* A link message needs its token; an unknown kind is refused. */
	msg_of(&m, MAIL_INVITE, "");
	ck_assert_int_eq(mail_render(&pc, "https://p.example", &m, NULL, &t,
	                     err, sizeof(err)),
	    PS_INVALID);
	ck_assert_int_eq(mail_render(&pc, "https://p.example", &m, "TOK", &t,
	                     err, sizeof(err)),
	    PS_OK);
	ck_assert_ptr_nonnull(strstr(t.text.p, "https://p.example/invite/TOK"));
	mail_text_free(&t);
	msg_of(&m, "nonsense", "");
	ck_assert_int_eq(mail_render(&pc, "https://p.example", &m, NULL, &t,
	                     err, sizeof(err)),
	    PS_INVALID);
	ck_assert_str_eq(err, "unknown message kind \"nonsense\"");
}
END_TEST

START_TEST(test_summary)
{
	struct practice_conf pc;
	struct dbm_msg m;
	struct mail_text t;
	char err[128];

	memset(&pc, 0, sizeof(pc));
	pc.name = "Lakeside";
	msg_of(&m, MAIL_AUTOPAY_SUMMARY,
	    "night=2026-03-10\ncount=2\ntotal=30000\ncurrency=USD\n"
	    "line=Ann Lee|12000\nline=Bo <b>|18000\n");
	ck_assert_int_eq(mail_render(&pc, "https://p.example", &m, NULL, &t,
	                     err, sizeof(err)),
	    PS_OK);
	ck_assert_str_eq(t.subject.p,
	    "Lakeside: AutoPay on the night of 2026-03-10: 2 charges, $300.00");
	ck_assert_ptr_nonnull(strstr(t.text.p, "Ann Lee"));
	ck_assert_ptr_nonnull(strstr(t.text.p, "$180.00"));
	ck_assert_ptr_nonnull(strstr(t.html.p, "<td>Bo &lt;b&gt;</td>"));
	mail_text_free(&t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mail");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_test(tc, test_box);
	tcase_add_test(tc, test_params);
	tcase_add_test(tc, test_render);
	tcase_add_test(tc, test_summary);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
