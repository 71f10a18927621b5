/* crypto.h: randomness, tokens, SHA-256/HMAC, constant-time compare and
 * Argon2id password hashing for the portal (OpenSSL libcrypto + libargon2).
 * Every function is thread-safe and keeps no state of its own. */
#ifndef PORTAL_CRYPTO_H
#define PORTAL_CRYPTO_H

#include <stddef.h>

#include "util/util.h"

/* A token is 32 random bytes (256 bits) in base64url without padding:
 * exactly CRYPTO_TOKEN_LEN characters from [A-Za-z0-9_-], plus the NUL. */
#define CRYPTO_TOKEN_LEN  43
#define CRYPTO_TOKEN_SIZE (CRYPTO_TOKEN_LEN + 1)
/* Lowercase hex of a SHA-256 digest, plus the NUL. */
#define CRYPTO_HEX_SIZE 65
/* Room for an Argon2id encoded hash
 * ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"); about 100 bytes with our
 * parameters. */
#define CRYPTO_PWHASH_MAX 128
/* Longest password accepted by crypto_password_hash/verify, in bytes. */
#define CRYPTO_PASSWORD_MAX 1024

/* Fills buf[0..n) with cryptographically secure random bytes (RAND_bytes).
 * Returns PS_OK, or PS_ERROR when the generator failed (buf is then zeroed). */
enum pstatus crypto_random(void *buf, size_t n);

/* Writes a new 256-bit random token into out (CRYPTO_TOKEN_SIZE bytes):
 * 43 base64url characters without padding and a NUL. Returns PS_OK or
 * PS_ERROR (then out is the empty string). */
enum pstatus crypto_token_new(char out[CRYPTO_TOKEN_SIZE]);

/* Encodes p[0..n) as base64url without padding into out[outsz], NUL
 * terminated. Needs outsz >= (4 * n + 2) / 3 + 1. Returns PS_OK or PS_TOOBIG
 * (then out is the empty string when outsz > 0). */
enum pstatus crypto_b64url(const void *p, size_t n, char *out, size_t outsz);

/* Writes the lowercase hex SHA-256 of p[0..n) into out (64 chars + NUL). */
void crypto_sha256_hex(const void *p, size_t n, char out[CRYPTO_HEX_SIZE]);

/* HMAC-SHA-256 (RFC 2104) of msg[0..msglen) under key[0..keylen) into out.
 * Returns PS_OK or PS_ERROR. */
enum pstatus crypto_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[32]);

/* As crypto_hmac_sha256, written as lowercase hex (64 chars + NUL). */
enum pstatus crypto_hmac_hex(const void *key, size_t keylen, const void *msg,
    size_t msglen, char out[CRYPTO_HEX_SIZE]);

/* Returns 1 if a[0..n) equals b[0..n), else 0, in time that depends only on
 * n (CRYPTO_memcmp). */
int crypto_ct_eq(const void *a, const void *b, size_t n);

/* Overwrites p[0..n) with zeros in a way the compiler keeps
 * (OPENSSL_cleanse). NULL p is fine. */
void crypto_wipe(void *p, size_t n);

/* Hashes the password pw[0..n) with Argon2id and a fresh random 16-byte
 * salt; writes the encoded string ("$argon2id$v=19$m=...") into out[outsz]
 * (CRYPTO_PWHASH_MAX is enough). Returns PS_OK, PS_TOOBIG when n exceeds
 * CRYPTO_PASSWORD_MAX or out is too small, or PS_ERROR. */
enum pstatus crypto_password_hash(
    const char *pw, size_t n, char *out, size_t outsz);

/* Checks the password pw[0..n) against the encoded Argon2id string made by
 * crypto_password_hash. Returns PS_OK on a match, PS_DENIED on a mismatch
 * (or a password longer than CRYPTO_PASSWORD_MAX), PS_ERROR when encoded is
 * malformed or hashing failed. */
enum pstatus crypto_password_verify(
    const char *encoded, const char *pw, size_t n);

#endif
