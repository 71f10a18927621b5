/* check_crypto.c: unit tests of app/crypto (SHA-256 and HMAC vectors,
 * tokens, base64url, constant-time compare, Argon2id hash/verify). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

START_TEST(test_sha256_vectors)
{
	char out[CRYPTO_HEX_SIZE];
	char *million;

	/* FIPS 180-2 appendix B. */
	crypto_sha256_hex("", 0, out);
	ck_assert_str_eq(out,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	crypto_sha256_hex("abc", 3, out);
	ck_assert_str_eq(out,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256_hex(
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    out);
	ck_assert_str_eq(out,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	million = malloc(1000000);
	ck_assert_ptr_nonnull(million);
	memset(million, 'a', 1000000);
	crypto_sha256_hex(million, 1000000, out);
	free(million);
	ck_assert_str_eq(out,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* RFC 4231 §4: test cases 1-4, 6 and 7 (5 is a truncated output). */
START_TEST(test_hmac_rfc4231)
{
	unsigned char key[131], data[50];
	char out[CRYPTO_HEX_SIZE];

	memset(key, 0x0b, 20);
	ck_assert_int_eq(crypto_hmac_hex(key, 20, "Hi There", 8, out), PS_OK);
	ck_assert_str_eq(out,
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

	ck_assert_int_eq(
	    crypto_hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, out),
	    PS_OK);
	ck_assert_str_eq(out,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	ck_assert_int_eq(crypto_hmac_hex(key, 20, data, 50, out), PS_OK);
	ck_assert_str_eq(out,
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

	for (int i = 0; i < 25; i++)
		key[i] = (unsigned char)(i + 1);
	memset(data, 0xcd, 50);
	ck_assert_int_eq(crypto_hmac_hex(key, 25, data, 50, out), PS_OK);
	ck_assert_str_eq(out,
	    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");

	memset(key, 0xaa, 131);
	ck_assert_int_eq(crypto_hmac_hex(key, 131,
	                     "Test Using Larger Than Block-Size Key - Hash Key "
	                     "First",
	                     54, out),
	    PS_OK);
	ck_assert_str_eq(out,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

	ck_assert_int_eq(
	    crypto_hmac_hex(key, 131,
	        "This is a test using a larger than block-size key and a "
	        "larger than block-size data. The key needs to be hashed "
	        "before being used by the HMAC algorithm.",
	        152, out),
	    PS_OK);
	ck_assert_str_eq(out,
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}
END_TEST

START_TEST(test_hmac_raw_matches_hex)
{
	unsigned char mac[32];
	char out[CRYPTO_HEX_SIZE], hexed[CRYPTO_HEX_SIZE];

	ck_assert_int_eq(crypto_hmac_sha256("k", 1, "m", 1, mac), PS_OK);
	ck_assert_int_eq(crypto_hmac_hex("k", 1, "m", 1, out), PS_OK);
	for (int i = 0; i < 32; i++)
		snprintf(hexed + 2 * i, 3, "%02x", mac[i]);
	ck_assert_str_eq(out, hexed);
	/* An empty key is allowed (HMAC pads it with zeros). */
	ck_assert_int_eq(crypto_hmac_hex(NULL, 0, "", 0, out), PS_OK);
	ck_assert_str_eq(out,
	    "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}
END_TEST

START_TEST(test_b64url)
{
	char out[16];

	/* RFC 4648 §10 vectors, in the URL alphabet without padding. */
	ck_assert_int_eq(crypto_b64url("", 0, out, sizeof(out)), PS_OK);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(crypto_b64url("f", 1, out, sizeof(out)), PS_OK);
	ck_assert_str_eq(out, "Zg");
	ck_assert_int_eq(crypto_b64url("fo", 2, out, sizeof(out)), PS_OK);
	ck_assert_str_eq(out, "Zm8");
	ck_assert_int_eq(crypto_b64url("foo", 3, out, sizeof(out)), PS_OK);
	ck_assert_str_eq(out, "Zm9v");
	ck_assert_int_eq(crypto_b64url("foobar", 6, out, sizeof(out)), PS_OK);
	ck_assert_str_eq(out, "Zm9vYmFy");
	ck_assert_int_eq(crypto_b64url("\xfb\xff", 2, out, sizeof(out)), PS_OK);
	ck_assert_str_eq(out, "-_8");
	/* "foobar" needs 9 bytes with the NUL. */
	ck_assert_int_eq(crypto_b64url("foobar", 6, out, 8), PS_TOOBIG);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(crypto_b64url("foobar", 6, out, 9), PS_OK);
}
END_TEST

START_TEST(test_token_format_unique)
{
	enum { N = 200 };
	static char toks[N][CRYPTO_TOKEN_SIZE];

	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(crypto_token_new(toks[i]), PS_OK);
		ck_assert_uint_eq(strlen(toks[i]), CRYPTO_TOKEN_LEN);
		ck_assert_uint_eq(
		    strspn(toks[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
		                    "nopqrstuvwxyz0123456789-_"),
		    CRYPTO_TOKEN_LEN);
		/* 256 bits in 43 chars: the last char carries 4 bits and 2
		 * zero bits, so it is one of 16 letters. */
		ck_assert_ptr_nonnull(strchr("AEIMQUYcgkosw048", toks[i][42]));
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(toks[i], toks[j]);
	}
}
END_TEST

START_TEST(test_random)
{
	unsigned char a[64], b[64], zero[64];

	memset(zero, 0, sizeof(zero));
	ck_assert_int_eq(crypto_random(a, sizeof(a)), PS_OK);
	ck_assert_int_eq(crypto_random(b, sizeof(b)), PS_OK);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
	ck_assert(memcmp(a, zero, sizeof(a)) != 0);
	ck_assert_int_eq(crypto_random(a, 0), PS_OK);
}
END_TEST

START_TEST(test_ct_eq_wipe)
{
	char buf[8] = "secret!";

	ck_assert_int_eq(crypto_ct_eq("abcdef", "abcdef", 6), 1);
	ck_assert_int_eq(crypto_ct_eq("abcdef", "abcdeg", 6), 0);
	ck_assert_int_eq(crypto_ct_eq("xbcdef", "abcdef", 6), 0);
	ck_assert_int_eq(crypto_ct_eq("abc", "xyz", 0), 1);
	crypto_wipe(buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], 0);
	crypto_wipe(NULL, 5);
}
END_TEST

START_TEST(test_password_round_trip)
{
	char h1[CRYPTO_PWHASH_MAX], h2[CRYPTO_PWHASH_MAX];
	const char *pw = "correct horse battery staple";

	ck_assert_int_eq(
	    crypto_password_hash(pw, strlen(pw), h1, sizeof(h1)), PS_OK);
	ck_assert_msg(strncmp(h1, "$argon2id$v=19$m=32768,t=3,p=1$", 31) == 0,
	    "unexpected encoding %s", h1);
	ck_assert_int_eq(crypto_password_verify(h1, pw, strlen(pw)), PS_OK);
	ck_assert_int_eq(crypto_password_verify(h1,
	                     "Correct horse battery "
	                     "staple",
	                     strlen(pw)),
	    PS_DENIED);
	ck_assert_int_eq(
	    crypto_password_verify(h1, pw, strlen(pw) - 1), PS_DENIED);
	ck_assert_int_eq(crypto_password_verify(h1, "", 0), PS_DENIED);
	/* Fresh salt each time: same password, different hash. */
	ck_assert_int_eq(
	    crypto_password_hash(pw, strlen(pw), h2, sizeof(h2)), PS_OK);
	ck_assert_str_ne(h1, h2);
	ck_assert_int_eq(crypto_password_verify(h2, pw, strlen(pw)), PS_OK);
}
END_TEST

START_TEST(test_password_edges)
{
	char h[CRYPTO_PWHASH_MAX], small[40];
	static char big[CRYPTO_PASSWORD_MAX + 1];

	/* Embedded NUL bytes are part of the password. */
	ck_assert_int_eq(crypto_password_hash("a\0b", 3, h, sizeof(h)), PS_OK);
	ck_assert_int_eq(crypto_password_verify(h, "a\0b", 3), PS_OK);
	ck_assert_int_eq(crypto_password_verify(h, "a\0c", 3), PS_DENIED);
	ck_assert_int_eq(
	    crypto_password_hash("pw", 2, small, sizeof(small)), PS_TOOBIG);
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(
	    crypto_password_verify(h, big, sizeof(big)), PS_DENIED);
	ck_assert_int_eq(
	    crypto_password_hash(big, sizeof(big), h, sizeof(h)), PS_TOOBIG);
	ck_assert_str_eq(h, "");
	/* Malformed or foreign encodings are errors, not mismatches. */
	ck_assert_int_eq(crypto_password_verify("", "pw", 2), PS_ERROR);
	ck_assert_int_eq(crypto_password_verify("$argon2i$v=19$m=8,t=1,p=1$"
	                                        "c2FsdHNhbHQ$aGFzaA",
	                     "pw", 2),
	    PS_ERROR);
	ck_assert_int_eq(
	    crypto_password_verify("$argon2id$garbage", "pw", 2), PS_ERROR);
	ck_assert_int_eq(crypto_password_verify(NULL, "pw", 2), PS_ERROR);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sha256_vectors);
	tcase_add_test(tc, test_hmac_rfc4231);
	tcase_add_test(tc, test_hmac_raw_matches_hex);
	tcase_add_test(tc, test_b64url);
	tcase_add_test(tc, test_token_format_unique);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_ct_eq_wipe);
	tcase_add_test(tc, test_password_round_trip);
	tcase_add_test(tc, test_password_edges);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
