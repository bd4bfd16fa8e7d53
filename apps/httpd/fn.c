// SPDX-License-Identifier: MIT
/* The function endpoint, a stand-in for a serverless handler: /fn/sha256
 * (hex SHA-256 of the POST body), /fn/upper (the body uppercased), /fn/echo
 * (the request line and headers back), /fn/random (hex of 16 bytes from getentropy:
 * copies restored from one snapshot must differ). SHA-256 per FIPS 180-4, checked
 * against its known vectors by tests/unit/httpd_test.c. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "http.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))

static void block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a[8];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(a, h, sizeof a);
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = a[7] + (ROR(a[4], 6) ^ ROR(a[4], 11) ^ ROR(a[4], 25)) +
		              ((a[4] & a[5]) ^ (~a[4] & a[6])) + K[i] + w[i];
		uint32_t t2 = (ROR(a[0], 2) ^ ROR(a[0], 13) ^ ROR(a[0], 22)) +
		              ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));
		memmove(a + 1, a, 7 * sizeof a[0]);
		a[4] += t1;
		a[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += a[i];
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		          0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const uint8_t *p = data;
	uint8_t last[128] = { 0 };
	size_t full = len / 64 * 64, rest = len - full;
	for (size_t i = 0; i < full; i += 64)
		block(h, p + i);
	memcpy(last, p + full, rest);
	last[rest] = 0x80;
	size_t n = rest < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)len * 8;
	for (int i = 0; i < 8; i++)
		last[n - 1 - i] = (uint8_t)(bits >> (8 * i));
	block(h, last);
	if (n == 128)
		block(h, last + 64);
	for (int i = 0; i < 32; i++)
		out[2 * i] = "0123456789abcdef"[h[i / 4] >> (24 - 8 * (i % 4)) >> 4 & 15],
			out[2 * i + 1] = "0123456789abcdef"[h[i / 4] >> (24 - 8 * (i % 4)) & 15];
	out[64] = 0;
}

void fn_call(const struct http_req *r, const char *body, size_t len, struct reply *out)
{
	*out = (struct reply){ .status = 404, .fd = -1, .type = "text/plain; charset=utf-8" };
	const char *name = r->path + 4; /* after "/fn/" */
	if (!strcmp(name, "echo")) {
		out->body = malloc(r->raw_len ? r->raw_len : 1);
		if (out->body)
			memcpy(out->body, r->raw_head, out->len = r->raw_len);
		out->status = out->body ? 200 : 500;
		return;
	}
	if (!strcmp(name, "random")) {
		uint8_t b[16];
		out->body = malloc(33);
		if (out->body && getentropy(b, sizeof(b)) == 0) {
			for (int i = 0; i < 16; i++)
				out->body[2 * i] = "0123456789abcdef"[b[i] >> 4],
					      out -> body[2 * i + 1] =
							     "0123456789abcdef"[b[i] & 15];
			out->body[32] = '\n';
			out->len = 33;
			out->status = 200;
		} else {
			free(out->body);
			out->body = NULL;
			out->status = 500;
		}
		return;
	}
	if (strcmp(name, "sha256") && strcmp(name, "upper"))
		return;
	if (r->method != M_POST) {
		out->status = 405;
		out->allow = "POST";
		return;
	}
	if (!strcmp(name, "sha256")) {
		out->body = malloc(66);
		if (out->body) {
			sha256_hex(body, len, out->body);
			out->body[64] = '\n';
			out->len = 65;
		}
	} else {
		out->body = malloc(len ? len : 1);
		for (size_t i = 0; out->body && i < len; i++)
			out->body[i] = (char)toupper((unsigned char)body[i]);
		out->len = len;
	}
	out->status = out->body ? 200 : 500;
}
