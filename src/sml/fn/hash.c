/* fn/hash.c - digests: md5 (RFC 1321), sha1 (FIPS 180-4), sha256, in
 * lower-case hex. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sml/fn/fn.h"

#define ROL32(x, n)	(((x) << (n)) | ((x) >> (32 - (n))))
#define ROR32(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))

static void
fn_md5_block(uint32_t h[4], const unsigned char *p)
{
	static const uint32_t k[64] = {
		0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf,
		0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af,
		0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e,
		0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
		0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6,
		0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
		0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
		0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
		0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
		0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97,
		0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d,
		0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
		0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
	};
	static const unsigned char r[64] = {
		7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
		5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
		4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
		6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
	};
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3], f, t;
	int i, g;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		    (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	for (i = 0; i < 64; i++) {
		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) & 15;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) & 15;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) & 15;
		}
		t = d;
		d = c;
		c = b;
		b = b + ROL32(a + f + k[i] + w[g], r[i]);
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

static void
fn_sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f,
	    k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = ROL32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = ROL32(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = ROL32(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

static void
fn_sha256_block(uint32_t h[8], const unsigned char *p)
{
	static const uint32_t k[64] = {
		0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
		0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
		0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
		0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
		0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
		0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
		0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
		0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
		0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
		0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
		0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
		0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
		0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
	};
	uint32_t w[64], s[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^
		    (w[i - 15] >> 3)) + w[i - 7] + (ROR32(w[i - 2], 17) ^
		    ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(s, h, sizeof(s));
	for (i = 0; i < 64; i++) {
		t1 = s[7] + (ROR32(s[4], 6) ^ ROR32(s[4], 11) ^
		    ROR32(s[4], 25)) + ((s[4] & s[5]) ^ (~s[4] & s[6])) +
		    k[i] + w[i];
		t2 = (ROR32(s[0], 2) ^ ROR32(s[0], 13) ^ ROR32(s[0], 22)) +
		    ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
		memmove(s + 1, s, 7 * sizeof(s[0]));
		s[4] += t1;
		s[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += s[i];
}

enum fn_hash_alg { FH_MD5, FH_SHA1, FH_SHA256 };

/* Writes the lower-case hex digest of m[0..n) into out (>= 65 bytes). */
static void
fn_digest(enum fn_hash_alg alg, const unsigned char *m, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t h[8];
	unsigned char blk[128], dig[32];
	size_t i, nw, full = n / 64 * 64, rest = n - full, tail;
	uint64_t bits = (uint64_t)n * 8;
	void (*block)(uint32_t *, const unsigned char *);

	switch (alg) {
	case FH_MD5:
		h[0] = 0x67452301; h[1] = 0xefcdab89;
		h[2] = 0x98badcfe; h[3] = 0x10325476;
		nw = 4;
		block = fn_md5_block;
		break;
	case FH_SHA1:
		h[0] = 0x67452301; h[1] = 0xefcdab89; h[2] = 0x98badcfe;
		h[3] = 0x10325476; h[4] = 0xc3d2e1f0;
		nw = 5;
		block = fn_sha1_block;
		break;
	default:
		h[0] = 0x6a09e667; h[1] = 0xbb67ae85; h[2] = 0x3c6ef372;
		h[3] = 0xa54ff53a; h[4] = 0x510e527f; h[5] = 0x9b05688c;
		h[6] = 0x1f83d9ab; h[7] = 0x5be0cd19;
		nw = 8;
		block = fn_sha256_block;
		break;
	}
	for (i = 0; i < full; i += 64)
		block(h, m + i);
	memset(blk, 0, sizeof(blk));
	memcpy(blk, m + full, rest);
	blk[rest] = 0x80;
	tail = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++) {
		if (alg == FH_MD5)
			blk[tail - 8 + i] = (unsigned char)(bits >> (8 * i));
		else
			blk[tail - 1 - i] = (unsigned char)(bits >> (8 * i));
	}
	for (i = 0; i < tail; i += 64)
		block(h, blk + i);
	for (i = 0; i < nw; i++) {
		if (alg == FH_MD5) {
			dig[4 * i] = (unsigned char)h[i];
			dig[4 * i + 1] = (unsigned char)(h[i] >> 8);
			dig[4 * i + 2] = (unsigned char)(h[i] >> 16);
			dig[4 * i + 3] = (unsigned char)(h[i] >> 24);
		} else {
			dig[4 * i] = (unsigned char)(h[i] >> 24);
			dig[4 * i + 1] = (unsigned char)(h[i] >> 16);
			dig[4 * i + 2] = (unsigned char)(h[i] >> 8);
			dig[4 * i + 3] = (unsigned char)h[i];
		}
	}
	for (i = 0; i < nw * 4; i++) {
		out[2 * i] = hex[dig[i] >> 4];
		out[2 * i + 1] = hex[dig[i] & 15];
	}
	out[nw * 8] = '\0';
}

/* ---- The functions ---- */

/* md5(), sha1() and sha256() (alg) of the text of a scalar. */
static json_t *
fn_digest_of(struct fn_call *fc, enum fn_hash_alg alg)
{
	json_t *a = fc->fc_v[0], *r;
	char *s, out[80];

	if (fn_is_null(a) || (s = value_string(a)) == NULL)
		return json_null();
	fn_digest(alg, (const unsigned char *)s, strlen(s), out);
	r = json_string(out);
	free(s);
	return fn_ret(fc, r);
}

/* md5(s) */
json_t *
fn_md5(struct fn_call *fc)
{
	return fn_digest_of(fc, FH_MD5);
}

/* sha1(s) */
json_t *
fn_sha1(struct fn_call *fc)
{
	return fn_digest_of(fc, FH_SHA1);
}

/* sha256(s) */
json_t *
fn_sha256(struct fn_call *fc)
{
	return fn_digest_of(fc, FH_SHA256);
}
