/* crypto.c: randomness, tokens, SHA-256/HMAC, constant-time compare and
 * Argon2id password hashing (OpenSSL libcrypto + libargon2). */
#include <string.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"

/*
 * Argon2id parameters: t = 3 passes over m = 32 MiB with p = 1 lane
 * (RFC 9106 §4 recommends t=3 and as much memory as affordable; this is
 * above the OWASP floor of m=19 MiB, t=2). Measured on the 2-core build
 * machine: t=3 m=32 MiB takes about 60 ms per hash or verify (t=3 m=64 MiB
 * took 140 ms, too slow for a sign-in). 16 worker threads signing in at once
 * need 512 MiB. The parameters are stored in each encoded hash, so raising
 * them later keeps old hashes verifiable.
 */
#define PW_T_COST   3
#define PW_M_COST   (32 * 1024) /* KiB */
#define PW_LANES    1
#define PW_SALT_LEN 16
#define PW_HASH_LEN 32

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char hexdig[] = "0123456789abcdef";

enum pstatus
crypto_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		int chunk = n > 1 << 20 ? 1 << 20 : (int)n;

		if (RAND_bytes(p, chunk) != 1) {
			OPENSSL_cleanse(
			    buf, (size_t)(p - (unsigned char *)buf));
			return PS_ERROR;
		}
		p += chunk;
		n -= (size_t)chunk;
	}
	return PS_OK;
}

enum pstatus
crypto_b64url(const void *p, size_t n, char *out, size_t outsz)
{
	const unsigned char *s = p;
	size_t need = (4 * n + 2) / 3 + 1, i, o = 0;

	if (outsz < need) {
		if (outsz > 0)
			out[0] = '\0';
		return PS_TOOBIG;
	}
	for (i = 0; i + 3 <= n; i += 3) {
		unsigned long v = (unsigned long)s[i] << 16 |
		                  (unsigned long)s[i + 1] << 8 | s[i + 2];

		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		unsigned long v = (unsigned long)s[i] << 16;

		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
	} else if (n - i == 2) {
		unsigned long v =
		    (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8;

		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
	}
	out[o] = '\0';
	return PS_OK;
}

enum pstatus
crypto_token_new(char out[CRYPTO_TOKEN_SIZE])
{
	unsigned char raw[32];
	enum pstatus st;

	out[0] = '\0';
	if ((st = crypto_random(raw, sizeof(raw))) != PS_OK)
		goto out;
	st = crypto_b64url(raw, sizeof(raw), out, CRYPTO_TOKEN_SIZE);
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return st;
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[p[i] >> 4];
		out[2 * i + 1] = hexdig[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void
crypto_sha256_hex(const void *p, size_t n, char out[CRYPTO_HEX_SIZE])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	/* EVP_Digest with SHA-256 fails only on allocation failure; then
	 * the output is a string no token can hash to. */
	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		memset(out, 'x', 64);
		out[64] = '\0';
		return;
	}
	hex(md, 32, out);
}

enum pstatus
crypto_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[32])
{
	unsigned int outlen = 0;
	static const unsigned char nokey[1];

	if (keylen > (size_t)2147483647)
		return PS_TOOBIG;
	if (HMAC(EVP_sha256(), keylen ? key : nokey, (int)keylen, msg, msglen,
	        out, &outlen) == NULL ||
	    outlen != 32)
		return PS_ERROR;
	return PS_OK;
}

enum pstatus
crypto_hmac_hex(const void *key, size_t keylen, const void *msg, size_t msglen,
    char out[CRYPTO_HEX_SIZE])
{
	unsigned char mac[32];
	enum pstatus st;

	out[0] = '\0';
	if ((st = crypto_hmac_sha256(key, keylen, msg, msglen, mac)) == PS_OK)
		hex(mac, 32, out);
	OPENSSL_cleanse(mac, sizeof(mac));
	return st;
}

int
crypto_ct_eq(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void
crypto_wipe(void *p, size_t n)
{
	if (p != NULL)
		OPENSSL_cleanse(p, n);
}

enum pstatus
crypto_password_hash(const char *pw, size_t n, char *out, size_t outsz)
{
	unsigned char salt[PW_SALT_LEN];
	size_t need;
	enum pstatus st = PS_ERROR;

	if (outsz > 0)
		out[0] = '\0';
	if (n > CRYPTO_PASSWORD_MAX) {
		st = PS_TOOBIG;
		goto out;
	}
	need = argon2_encodedlen(PW_T_COST, PW_M_COST, PW_LANES, PW_SALT_LEN,
	    PW_HASH_LEN, Argon2_id);
	if (outsz < need) {
		st = PS_TOOBIG;
		goto out;
	}
	if (crypto_random(salt, sizeof(salt)) != PS_OK)
		goto out;
	if (argon2id_hash_encoded(PW_T_COST, PW_M_COST, PW_LANES, pw, n, salt,
	        sizeof(salt), PW_HASH_LEN, out, outsz) != ARGON2_OK) {
		out[0] = '\0';
		goto out;
	}
	st = PS_OK;
out:
	OPENSSL_cleanse(salt, sizeof(salt));
	return st;
}

enum pstatus
crypto_password_verify(const char *encoded, const char *pw, size_t n)
{
	int rc;

	if (encoded == NULL || strncmp(encoded, "$argon2id$", 10) != 0)
		return PS_ERROR;
	if (n > CRYPTO_PASSWORD_MAX)
		return PS_DENIED;
	rc = argon2id_verify(encoded, pw, n);
	if (rc == ARGON2_OK)
		return PS_OK;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return PS_DENIED;
	return PS_ERROR;
}
