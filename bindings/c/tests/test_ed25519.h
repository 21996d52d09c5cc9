/* test_ed25519.h: a small, slow, self-contained Ed25519 signer (RFC 8032)
 * and SHA-512 (FIPS 180-4) for the C tests' software "HSM" behind the
 * signer callback. It shares no code with the library, so the tests that
 * use it also show that keys and signatures made elsewhere from the same
 * seed work with Ossuary. Test code only: not constant time, not fast.
 *
 * Field elements mod p = 2^255 - 19 are eight 32-bit limbs, little-endian,
 * any value below 2^256 (reduced only when encoded); scalars mod L are
 * reduced bit by bit. Points use extended coordinates on -x^2 + y^2 =
 * 1 + d x^2 y^2 with the complete addition formulas of Hisil et al.
 * (add-2008-hwcd-3), also for doubling. Unsigned arithmetic throughout, so
 * that -fsanitize=undefined has nothing to say. */
#ifndef OSSUARY_TEST_ED25519_H
#define OSSUARY_TEST_ED25519_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- SHA-512 ---- */

typedef struct {
  uint64_t h[8];
  uint8_t block[128];
  size_t used;    /* bytes in `block` */
  uint64_t total; /* bytes hashed so far */
} t_sha512_ctx;

static const uint64_t T_SHA512_K[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL};

static uint64_t t_rotr(uint64_t x, unsigned n) { return (x >> n) | (x << (64 - n)); }

static void t_sha512_block(t_sha512_ctx *s, const uint8_t *p) {
  uint64_t w[80], v[8];
  for (int i = 0; i < 16; i++) {
    w[i] = 0;
    for (int j = 0; j < 8; j++) w[i] = (w[i] << 8) | p[8 * i + j];
  }
  for (int i = 16; i < 80; i++) {
    uint64_t s0 = t_rotr(w[i - 15], 1) ^ t_rotr(w[i - 15], 8) ^ (w[i - 15] >> 7);
    uint64_t s1 = t_rotr(w[i - 2], 19) ^ t_rotr(w[i - 2], 61) ^ (w[i - 2] >> 6);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  memcpy(v, s->h, sizeof v);
  for (int i = 0; i < 80; i++) {
    uint64_t e = v[4], a = v[0];
    uint64_t t1 = v[7] + (t_rotr(e, 14) ^ t_rotr(e, 18) ^ t_rotr(e, 41)) +
                  ((e & v[5]) ^ (~e & v[6])) + T_SHA512_K[i] + w[i];
    uint64_t t2 = (t_rotr(a, 28) ^ t_rotr(a, 34) ^ t_rotr(a, 39)) +
                  ((a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]));
    memmove(v + 1, v, 7 * sizeof v[0]);
    v[4] += t1;
    v[0] = t1 + t2;
  }
  for (int i = 0; i < 8; i++) s->h[i] += v[i];
}

static void t_sha512_init(t_sha512_ctx *s) {
  static const uint64_t iv[8] = {
      0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
      0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
  memcpy(s->h, iv, sizeof iv);
  s->used = 0;
  s->total = 0;
}

static void t_sha512_update(t_sha512_ctx *s, const uint8_t *p, size_t n) {
  s->total += n;
  while (n > 0) {
    size_t take = 128 - s->used < n ? 128 - s->used : n;
    memcpy(s->block + s->used, p, take);
    s->used += take;
    p += take;
    n -= take;
    if (s->used == 128) {
      t_sha512_block(s, s->block);
      s->used = 0;
    }
  }
}

static void t_sha512_final(t_sha512_ctx *s, uint8_t out[64]) {
  uint64_t bits = s->total * 8;
  uint8_t pad[144] = {0x80};
  /* 0x80, zeros, then the 128-bit length (its high half zero here). */
  size_t padlen = (s->used < 112 ? 112 : 240) - s->used;
  for (int i = 0; i < 8; i++) pad[padlen + 8 + i] = (uint8_t)(bits >> (56 - 8 * i));
  t_sha512_update(s, pad, padlen + 16);
  for (int i = 0; i < 64; i++) out[i] = (uint8_t)(s->h[i / 8] >> (56 - 8 * (i % 8)));
}

static void t_sha512(uint8_t out[64], const uint8_t *p, size_t n) {
  t_sha512_ctx s;
  t_sha512_init(&s);
  t_sha512_update(&s, p, n);
  t_sha512_final(&s, out);
}

/* ---- the field mod p = 2^255 - 19 ---- */

typedef uint32_t t_fe[8];

static const t_fe T_P = {0xffffffed, 0xffffffff, 0xffffffff, 0xffffffff,
                         0xffffffff, 0xffffffff, 0xffffffff, 0x7fffffff};

/* r += c * 2^256, that is c * 38 (mod p), for a small c. */
static void t_fe_fold(t_fe r, uint64_t c) {
  while (c) {
    uint64_t t = c * 38;
    for (int i = 0; i < 8; i++) {
      t += r[i];
      r[i] = (uint32_t)t;
      t >>= 32;
    }
    c = t;
  }
}

static void t_fe_set(t_fe r, uint32_t small) {
  memset(r, 0, sizeof(t_fe));
  r[0] = small;
}

static void t_fe_add(t_fe r, const t_fe a, const t_fe b) {
  uint64_t t = 0;
  for (int i = 0; i < 8; i++) {
    t += (uint64_t)a[i] + b[i];
    r[i] = (uint32_t)t;
    t >>= 32;
  }
  t_fe_fold(r, t);
}

static void t_fe_sub(t_fe r, const t_fe a, const t_fe b) {
  uint64_t borrow = 0;
  for (int i = 0; i < 8; i++) {
    uint64_t t = (uint64_t)a[i] - b[i] - borrow;
    r[i] = (uint32_t)t;
    borrow = (t >> 32) & 1;
  }
  /* A borrow out means r stands for r - 2^256, that is r - 38 (mod p). */
  while (borrow) {
    uint64_t sub = 38;
    borrow = 0;
    for (int i = 0; i < 8; i++) {
      uint64_t t = (uint64_t)r[i] - sub - borrow;
      r[i] = (uint32_t)t;
      borrow = (t >> 32) & 1;
      sub = 0;
    }
  }
}

static void t_fe_mul(t_fe r, const t_fe a, const t_fe b) {
  uint32_t t[16] = {0};
  for (int i = 0; i < 8; i++) {
    uint64_t c = 0;
    for (int j = 0; j < 8; j++) {
      c += (uint64_t)t[i + j] + (uint64_t)a[i] * b[j];
      t[i + j] = (uint32_t)c;
      c >>= 32;
    }
    t[i + 8] = (uint32_t)c;
  }
  uint64_t c = 0;
  for (int i = 0; i < 8; i++) {
    c += (uint64_t)t[i] + (uint64_t)t[i + 8] * 38;
    r[i] = (uint32_t)c;
    c >>= 32;
  }
  t_fe_fold(r, c);
}

/* r = a^e, e a 256-bit little-endian exponent. */
static void t_fe_pow(t_fe r, const t_fe a, const uint8_t e[32]) {
  t_fe x;
  t_fe_set(x, 1);
  for (int i = 255; i >= 0; i--) {
    t_fe_mul(x, x, x);
    if ((e[i / 8] >> (i % 8)) & 1) t_fe_mul(x, x, a);
  }
  memcpy(r, x, sizeof x);
}

static void t_fe_invert(t_fe r, const t_fe a) {
  uint8_t e[32]; /* p - 2 */
  memset(e, 0xff, sizeof e);
  e[0] = 0xeb;
  e[31] = 0x7f;
  t_fe_pow(r, a, e);
}

/* The canonical value (below p) of a, as 32 little-endian bytes. */
static void t_fe_tobytes(uint8_t out[32], const t_fe a) {
  t_fe r;
  memcpy(r, a, sizeof r);
  for (int k = 0; k < 3; k++) {
    t_fe t;
    uint64_t borrow = 0;
    for (int i = 0; i < 8; i++) {
      uint64_t d = (uint64_t)r[i] - T_P[i] - borrow;
      t[i] = (uint32_t)d;
      borrow = (d >> 32) & 1;
    }
    if (!borrow) memcpy(r, t, sizeof r);
  }
  for (int i = 0; i < 32; i++) out[i] = (uint8_t)(r[i / 4] >> (8 * (i % 4)));
}

static int t_fe_equal(const t_fe a, const t_fe b) {
  uint8_t x[32], y[32];
  t_fe_tobytes(x, a);
  t_fe_tobytes(y, b);
  return memcmp(x, y, 32) == 0;
}

/* ---- the curve ---- */

typedef struct {
  t_fe x, y, z, t;
} t_ge;

/* d = -121665 / 121666, 2d, and the base point (x from RFC 8032, y = 4/5). */
static t_fe t_d, t_d2;
static t_ge t_base;

static void t_curve_init(void) {
  static const t_fe bx = {0x8f25d51a, 0xc9562d60, 0x9525a7b2, 0x692cc760,
                          0xfdd6dc5c, 0xc0a4e231, 0xcd6e53fe, 0x216936d3};
  t_fe num, den, zero;
  t_fe_set(zero, 0);
  t_fe_set(num, 121665);
  t_fe_sub(num, zero, num);
  t_fe_set(den, 121666);
  t_fe_invert(den, den);
  t_fe_mul(t_d, num, den);
  t_fe_add(t_d2, t_d, t_d);
  t_fe_set(num, 4);
  t_fe_set(den, 5);
  t_fe_invert(den, den);
  t_fe_mul(t_base.y, num, den);
  memcpy(t_base.x, bx, sizeof bx);
  t_fe_set(t_base.z, 1);
  t_fe_mul(t_base.t, t_base.x, t_base.y);
}

/* Whether the base point satisfies -x^2 + y^2 = 1 + d x^2 y^2: checks the
 * constants above. */
static int t_curve_check(void) {
  t_fe x2, y2, lhs, rhs, one;
  t_curve_init();
  t_fe_mul(x2, t_base.x, t_base.x);
  t_fe_mul(y2, t_base.y, t_base.y);
  t_fe_sub(lhs, y2, x2);
  t_fe_mul(rhs, x2, y2);
  t_fe_mul(rhs, rhs, t_d);
  t_fe_set(one, 1);
  t_fe_add(rhs, rhs, one);
  return t_fe_equal(lhs, rhs);
}

static void t_ge_add(t_ge *r, const t_ge *p, const t_ge *q) {
  t_fe a, b, c, d, e, f, g, h, t;
  t_fe_sub(a, p->y, p->x);
  t_fe_sub(t, q->y, q->x);
  t_fe_mul(a, a, t);
  t_fe_add(b, p->y, p->x);
  t_fe_add(t, q->y, q->x);
  t_fe_mul(b, b, t);
  t_fe_mul(c, p->t, q->t);
  t_fe_mul(c, c, t_d2);
  t_fe_mul(d, p->z, q->z);
  t_fe_add(d, d, d);
  t_fe_sub(e, b, a);
  t_fe_sub(f, d, c);
  t_fe_add(g, d, c);
  t_fe_add(h, b, a);
  t_fe_mul(r->x, e, f);
  t_fe_mul(r->y, g, h);
  t_fe_mul(r->t, e, h);
  t_fe_mul(r->z, f, g);
}

/* r = s * base, s a 256-bit little-endian scalar. */
static void t_ge_scalarmult_base(t_ge *r, const uint8_t s[32]) {
  t_ge acc;
  t_fe_set(acc.x, 0);
  t_fe_set(acc.y, 1);
  t_fe_set(acc.z, 1);
  t_fe_set(acc.t, 0);
  for (int i = 255; i >= 0; i--) {
    t_ge_add(&acc, &acc, &acc);
    if ((s[i / 8] >> (i % 8)) & 1) t_ge_add(&acc, &acc, &t_base);
  }
  *r = acc;
}

static void t_ge_tobytes(uint8_t out[32], const t_ge *p) {
  t_fe zi, x, y;
  uint8_t xb[32];
  t_fe_invert(zi, p->z);
  t_fe_mul(x, p->x, zi);
  t_fe_mul(y, p->y, zi);
  t_fe_tobytes(out, y);
  t_fe_tobytes(xb, x);
  out[31] |= (uint8_t)((xb[0] & 1) << 7);
}

/* ---- scalars mod L = 2^252 + 27742317777372353535851937790883648493 ---- */

static const uint32_t T_L[8] = {0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de,
                                0x00000000, 0x00000000, 0x00000000, 0x10000000};

/* out = the n-byte little-endian number at in, mod L (long division, one
 * bit at a time). */
static void t_sc_reduce(uint8_t out[32], const uint8_t *in, size_t n) {
  uint32_t r[8] = {0};
  for (int bit = (int)(n * 8) - 1; bit >= 0; bit--) {
    uint32_t carry = (in[bit / 8] >> (bit % 8)) & 1;
    for (int i = 0; i < 8; i++) {
      uint32_t next = r[i] >> 31;
      r[i] = (r[i] << 1) | carry;
      carry = next;
    }
    uint32_t t[8];
    uint64_t borrow = 0;
    for (int i = 0; i < 8; i++) {
      uint64_t d = (uint64_t)r[i] - T_L[i] - borrow;
      t[i] = (uint32_t)d;
      borrow = (d >> 32) & 1;
    }
    if (!borrow) memcpy(r, t, sizeof r);
  }
  for (int i = 0; i < 32; i++) out[i] = (uint8_t)(r[i / 4] >> (8 * (i % 4)));
}

/* out = (a * b + c) mod L, all 32-byte little-endian. */
static void t_sc_muladd(uint8_t out[32], const uint8_t a[32], const uint8_t b[32],
                        const uint8_t c[32]) {
  uint32_t x[8], y[8], t[16] = {0};
  uint8_t wide[64];
  for (int i = 0; i < 8; i++) {
    x[i] = (uint32_t)a[4 * i] | (uint32_t)a[4 * i + 1] << 8 | (uint32_t)a[4 * i + 2] << 16 |
           (uint32_t)a[4 * i + 3] << 24;
    y[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 |
           (uint32_t)b[4 * i + 3] << 24;
  }
  for (int i = 0; i < 8; i++) {
    uint64_t k = 0;
    for (int j = 0; j < 8; j++) {
      k += (uint64_t)t[i + j] + (uint64_t)x[i] * y[j];
      t[i + j] = (uint32_t)k;
      k >>= 32;
    }
    t[i + 8] = (uint32_t)k;
  }
  uint64_t k = 0;
  for (int i = 0; i < 16; i++) {
    uint32_t ci = i < 8 ? ((uint32_t)c[4 * i] | (uint32_t)c[4 * i + 1] << 8 |
                           (uint32_t)c[4 * i + 2] << 16 | (uint32_t)c[4 * i + 3] << 24)
                        : 0;
    k += (uint64_t)t[i] + ci;
    t[i] = (uint32_t)k;
    k >>= 32;
  }
  for (int i = 0; i < 64; i++) wide[i] = (uint8_t)(t[i / 4] >> (8 * (i % 4)));
  t_sc_reduce(out, wide, sizeof wide);
}

/* ---- Ed25519 ---- */

/* The secret scalar (clamped) and the nonce prefix of a seed. */
static void t_ed25519_expand(const uint8_t seed[32], uint8_t scalar[32], uint8_t prefix[32]) {
  uint8_t h[64];
  t_sha512(h, seed, 32);
  h[0] &= 248;
  h[31] &= 127;
  h[31] |= 64;
  memcpy(scalar, h, 32);
  memcpy(prefix, h + 32, 32);
}

static void t_ed25519_public(uint8_t pk[32], const uint8_t seed[32]) {
  uint8_t a[32], prefix[32];
  t_ge p;
  t_curve_init();
  t_ed25519_expand(seed, a, prefix);
  t_ge_scalarmult_base(&p, a);
  t_ge_tobytes(pk, &p);
}

static void t_ed25519_sign(uint8_t sig[64], const uint8_t seed[32], const uint8_t *msg,
                           size_t len) {
  uint8_t a[32], prefix[32], pk[32], h[64], r[32], k[32];
  t_sha512_ctx s;
  t_ge p;
  t_curve_init();
  t_ed25519_expand(seed, a, prefix);
  t_ge_scalarmult_base(&p, a);
  t_ge_tobytes(pk, &p);
  t_sha512_init(&s);
  t_sha512_update(&s, prefix, 32);
  t_sha512_update(&s, msg, len);
  t_sha512_final(&s, h);
  t_sc_reduce(r, h, 64);
  t_ge_scalarmult_base(&p, r);
  t_ge_tobytes(sig, &p);
  t_sha512_init(&s);
  t_sha512_update(&s, sig, 32);
  t_sha512_update(&s, pk, 32);
  t_sha512_update(&s, msg, len);
  t_sha512_final(&s, h);
  t_sc_reduce(k, h, 64);
  t_sc_muladd(sig + 32, k, a, r);
}

#endif
