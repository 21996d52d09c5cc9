/* The C API's test program: every function, bad arguments, handshakes
 * through memory buffers in every mode, data both ways, overlapping buffers,
 * tamper detection, TOFU accept and reject, an unauthorized client, double
 * destroy, identities behind a signer callback (a software "HSM" built on
 * test_ed25519.h), the version against Cargo.toml. Prints "N passed, M
 * failed"; exits non-zero on any failure.
 * Run by `cargo xtask test` against libossuary.a and libossuary.so, under
 * -fsanitize=address,undefined and under valgrind. */
/* mkdtemp, for the key file tests. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ossuary.h"
#include "test_ed25519.h"

/* The version in the workspace's Cargo.toml, passed by `cargo xtask
 * c-tests` (xtask/src/c_tests.rs), which reads it from there. */
#if !defined(OSSUARY_TEST_VERSION) || !defined(OSSUARY_TEST_VERSION_MAJOR) || \
    !defined(OSSUARY_TEST_VERSION_MINOR) || !defined(OSSUARY_TEST_VERSION_PATCH)
#error "build with -DOSSUARY_TEST_VERSION=\"x.y.z\" and -DOSSUARY_TEST_VERSION_MAJOR=x (and _MINOR, _PATCH) from Cargo.toml, as cargo xtask c-tests does"
#endif

static int passed, failed;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (cond) {                                                              \
      passed++;                                                              \
    } else {                                                                 \
      failed++;                                                              \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);        \
    }                                                                        \
  } while (0)

#define CHECK_EQ(got, want)                                                  \
  do {                                                                       \
    long long g_ = (long long)(got), w_ = (long long)(want);                 \
    if (g_ == w_) {                                                          \
      passed++;                                                              \
    } else {                                                                 \
      failed++;                                                              \
      fprintf(stderr, "FAIL %s:%d: %s == %lld, want %lld (%s)\n", __FILE__,  \
              __LINE__, #got, g_, w_, ossuary_error_string((int32_t)g_));    \
    }                                                                        \
  } while (0)

enum { BUF = 2048 };

/* Moves the original API's handshake bytes between two connections until
 * both report done; a client paused on an untrusted server gets `tofu`:
 * 1 accept (by adding the key), 0 reject. Returns the last status seen on
 * failure (< 0), 1 when both are done. */
static int handshake(OssuaryConnection *c, OssuaryConnection *s, int tofu) {
  uint8_t buf[BUF];
  for (int round = 0; round < 20; round++) {
    int32_t cd = ossuary_handshake_done(c);
    int32_t sd = ossuary_handshake_done(s);
    if (cd == OSSUARY_ERR_UNTRUSTED_SERVER) {
      uint8_t key[32];
      CHECK_EQ(ossuary_remote_public_key(c, key, sizeof key), 0);
      if (tofu) {
        CHECK_EQ(ossuary_add_authorized_key(c, key), 0);
      } else {
        CHECK_EQ(ossuary_conn_reject_server(c), OSSUARY_ERR_UNTRUSTED_SERVER);
        /* Deliver the RESET to the server. */
        uint16_t n = sizeof buf;
        ossuary_send_handshake(c, buf, &n);
        if (n) ossuary_recv_handshake(s, buf, &n);
        return OSSUARY_ERR_UNTRUSTED_SERVER;
      }
      continue;
    }
    if (cd < 0) return cd;
    if (sd < 0) return sd;
    if (cd == 1 && sd == 1) return 1;
    uint16_t n = sizeof buf;
    int32_t r = ossuary_send_handshake(c, buf, &n);
    if (r < 0 && r != OSSUARY_ERR_WOULDBLOCK) return r;
    if (n) {
      r = ossuary_recv_handshake(s, buf, &n);
      if (r < 0 && r != OSSUARY_ERR_WOULDBLOCK) return r;
    }
    n = sizeof buf;
    r = ossuary_send_handshake(s, buf, &n);
    if (r < 0 && r != OSSUARY_ERR_WOULDBLOCK) return r;
    if (n) {
      r = ossuary_recv_handshake(c, buf, &n);
      if (r < 0 && r != OSSUARY_ERR_WOULDBLOCK) return r;
    }
  }
  return OSSUARY_ERR_OTHER;
}

/* Sends `msg` from `a` to `b` with the original API; decrypts into `out`
 * (in place when `in_place`). Returns the plaintext length or < 0. */
static int32_t transfer(OssuaryConnection *a, OssuaryConnection *b,
                        const char *msg, uint8_t *out, int in_place) {
  uint8_t wire[BUF], plain[BUF];
  uint16_t len = (uint16_t)strlen(msg), wire_len = sizeof wire;
  memcpy(plain, msg, len);
  int32_t r = ossuary_send_data(a, plain, len, wire, &wire_len);
  if (r < 0) return r;
  uint16_t in_len = wire_len, out_len = BUF;
  uint8_t *dst = in_place ? wire : out;
  r = ossuary_recv_data(b, wire, &in_len, dst, &out_len);
  if (r < 0) return r;
  if (in_len != wire_len) return OSSUARY_ERR_OTHER;
  if (in_place) memcpy(out, wire, out_len);
  return out_len;
}

static void test_versions_and_strings(void) {
  char want[64];
  snprintf(want, sizeof want, "%d.%d.%d", OSSUARY_VERSION_MAJOR,
           OSSUARY_VERSION_MINOR, OSSUARY_VERSION_PATCH);
  CHECK(strcmp(ossuary_version(), want) == 0);
  /* The header's macros and the library agree with Cargo.toml. */
  CHECK_EQ(OSSUARY_VERSION_MAJOR, OSSUARY_TEST_VERSION_MAJOR);
  CHECK_EQ(OSSUARY_VERSION_MINOR, OSSUARY_TEST_VERSION_MINOR);
  CHECK_EQ(OSSUARY_VERSION_PATCH, OSSUARY_TEST_VERSION_PATCH);
  CHECK(strcmp(ossuary_version(), OSSUARY_TEST_VERSION) == 0);
  CHECK_EQ(OSSUARY_ERR_OTHER, -1);
  CHECK_EQ(OSSUARY_ERR_WOULDBLOCK, -64);
  CHECK_EQ(OSSUARY_ERR_UNTRUSTED_SERVER, -65);
  CHECK_EQ(OSSUARY_CONN_TYPE_CLIENT, 0);
  CHECK_EQ(OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER, 1);
  CHECK_EQ(OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, 2);
  for (int32_t code = -200; code <= 5; code++) {
    const char *s = ossuary_error_string(code);
    CHECK(s != NULL && s[0] != '\0');
  }
  CHECK(strcmp(ossuary_error_string(-12345), "unknown error code") == 0);
}

static void test_bad_arguments(void) {
  uint8_t key[32] = {0}, buf[64];
  uint16_t len = sizeof buf;
  size_t n = 0, m = 0;
  uint8_t *keys[2] = {NULL, NULL};

  CHECK(ossuary_create_connection(3, NULL) == NULL);
  CHECK(ossuary_create_connection(-1, NULL) == NULL);
  CHECK(ossuary_create_connection(0x7fffffff, key) == NULL);
  ossuary_destroy_connection(NULL);
  OssuaryConnection *none = NULL;
  ossuary_destroy_connection(&none);

  CHECK_EQ(ossuary_set_secret_key(NULL, key), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_add_authorized_key(NULL, key), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_add_authorized_keys(NULL, keys, 2), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_remote_public_key(NULL, buf, 32), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_recv_handshake(NULL, buf, &len), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_send_handshake(NULL, buf, &len), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_handshake_done(NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_send_data(NULL, buf, 1, buf, &len), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_recv_data(NULL, buf, &len, buf, &len), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_flush(NULL, buf, len), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_generate_auth_keypair(NULL, 32, buf, 32), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_generate_auth_keypair(buf, 32, NULL, 32), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_generate_auth_keypair(buf, 31, buf + 32, 32), OSSUARY_ERR_BUFFER_TOO_SMALL);
  CHECK_EQ(ossuary_generate_auth_keypair(buf, 32, buf + 16, 32), OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK_EQ(ossuary_conn_send(NULL, buf, 1, &n), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_pending_output(NULL, &n), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_take_output(NULL, buf, 1, &n), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_recv_handshake(NULL, buf, 1, &n), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_handshake_status(NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_recv(NULL, buf, 1, buf, 1, &n, &m), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_close(NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_update_keys(NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_trust_server(NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_reject_server(NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_peer_closed(NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_end_of_input(NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_local_public_key(NULL, buf, 32), OSSUARY_ERR_NULL_ARGUMENT);

  OssuaryConnection *c = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, NULL);
  CHECK(c != NULL);
  CHECK_EQ(ossuary_set_secret_key(c, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_add_authorized_key(c, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_add_authorized_keys(c, NULL, 1), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_add_authorized_keys(c, keys, 2), 0); /* NULL entries skipped */
  CHECK_EQ(ossuary_remote_public_key(c, NULL, 32), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_remote_public_key(c, buf, 31), OSSUARY_ERR_BUFFER_TOO_SMALL);
  CHECK_EQ(ossuary_remote_public_key(c, buf, 32), OSSUARY_ERR_NO_KEY);
  CHECK_EQ(ossuary_conn_local_public_key(c, buf, 32), OSSUARY_ERR_NO_KEY);
  CHECK_EQ(ossuary_recv_handshake(c, NULL, &len), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_recv_handshake(c, buf, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_send_handshake(c, NULL, &len), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_send_handshake(c, buf, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  len = sizeof buf;
  CHECK_EQ(ossuary_send_data(c, NULL, 1, buf, &len), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_send_data(c, buf, 1, NULL, &len), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_send_data(c, buf, 1, buf, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_recv_data(c, NULL, &len, buf, &len), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_recv_data(c, buf, NULL, buf, &len), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_recv_data(c, buf, &len, NULL, &len), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_recv_data(c, buf, &len, buf, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_flush(c, NULL, 10), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_send(c, buf, 1, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_send(c, NULL, 1, &n), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_send(c, buf, (size_t)-1, &n), OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK_EQ(ossuary_conn_pending_output(c, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_take_output(c, NULL, 1, &n), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_take_output(c, buf, 1, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_recv_handshake(c, NULL, 1, &n), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_recv(c, buf, 1, buf, 1, NULL, &m), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_recv(c, buf, 1, buf, 1, &n, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_local_public_key(c, NULL, 32), OSSUARY_ERR_NULL_ARGUMENT);

  /* Wrong state: records before the handshake, trust while not paused. */
  len = sizeof buf;
  CHECK_EQ(ossuary_send_data(c, buf, 1, buf, &len), OSSUARY_ERR_HANDSHAKE_NOT_DONE);
  len = 10;
  uint16_t out_len = sizeof buf;
  CHECK_EQ(ossuary_recv_data(c, buf, &len, buf + 20, &out_len), OSSUARY_ERR_HANDSHAKE_NOT_DONE);
  CHECK_EQ(ossuary_conn_send(c, buf, 1, &n), OSSUARY_ERR_HANDSHAKE_NOT_DONE);
  CHECK_EQ(ossuary_conn_close(c), OSSUARY_ERR_HANDSHAKE_NOT_DONE);
  CHECK_EQ(ossuary_conn_update_keys(c), OSSUARY_ERR_HANDSHAKE_NOT_DONE);
  CHECK_EQ(ossuary_conn_trust_server(c), OSSUARY_ERR_NOT_AWAITING_TRUST);
  CHECK_EQ(ossuary_conn_reject_server(c), OSSUARY_ERR_NOT_AWAITING_TRUST);
  CHECK_EQ(ossuary_conn_peer_closed(c), 0);
  CHECK_EQ(ossuary_conn_handshake_status(c), 0);

  /* An open server has no authorized keys. */
  OssuaryConnection *open = ossuary_create_connection(OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, NULL);
  CHECK(open != NULL);
  uint8_t s[32], p[32];
  CHECK_EQ(ossuary_generate_auth_keypair(s, 32, p, 32), 0);
  CHECK_EQ(ossuary_add_authorized_key(open, p), OSSUARY_ERR_NOT_AUTHENTICATING_SERVER);

  /* Use after destroy through the ** form, and double destroy. */
  ossuary_destroy_connection(&c);
  CHECK(c == NULL);
  CHECK_EQ(ossuary_handshake_done(c), OSSUARY_ERR_NULL_ARGUMENT);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&open);
  ossuary_destroy_connection(&open);
  CHECK(open == NULL);
}

static void test_keys(void) {
  uint8_t s[32], p[32], local[32];
  CHECK_EQ(ossuary_generate_auth_keypair(s, 32, p, 32), 0);
  /* A secret key is the RFC 8032 seed: the identity's public key matches. */
  OssuaryConnection *srv = ossuary_create_connection(OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER, s);
  CHECK(srv != NULL);
  CHECK_EQ(ossuary_conn_local_public_key(srv, local, 32), 0);
  CHECK(memcmp(local, p, 32) == 0);
  /* An invalid public key is refused. */
  uint8_t bad[32];
  memset(bad, 0xff, sizeof bad);
  CHECK_EQ(ossuary_add_authorized_key(srv, bad), OSSUARY_ERR_INVALID_KEY);
  uint8_t *list[2] = {p, bad};
  CHECK_EQ(ossuary_add_authorized_keys(srv, list, 2), OSSUARY_ERR_INVALID_KEY);
  /* RFC 8032 test 1: this seed has this public key. */
  static const uint8_t seed[32] = {
      0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
      0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
      0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
  static const uint8_t pub[32] = {
      0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
      0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
      0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
  CHECK_EQ(ossuary_set_secret_key(srv, seed), 0);
  CHECK_EQ(ossuary_conn_local_public_key(srv, local, 32), 0);
  CHECK(memcmp(local, pub, 32) == 0);
  ossuary_destroy_connection(&srv);
}

/* Every mode: anonymous client with an open server; identified client with
 * an open server; identified client with an authenticating server. */
static void test_modes(void) {
  for (int mode = 0; mode < 3; mode++) {
    uint8_t cs[32], cp[32], out[BUF];
    CHECK_EQ(ossuary_generate_auth_keypair(cs, 32, cp, 32), 0);
    OssuaryConnection *c = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, mode ? cs : NULL);
    OssuaryConnection *s = ossuary_create_connection(
        mode == 2 ? OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER : OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, NULL);
    CHECK(c && s);
    if (mode == 2) CHECK_EQ(ossuary_add_authorized_key(s, cp), 0);
    CHECK_EQ(handshake(c, s, 1), 1);
    /* The server knows the client's key when it sent one. */
    uint8_t remote[32];
    if (mode) {
      CHECK_EQ(ossuary_remote_public_key(s, remote, 32), 0);
      CHECK(memcmp(remote, cp, 32) == 0);
    } else {
      CHECK_EQ(ossuary_remote_public_key(s, remote, 32), OSSUARY_ERR_NO_KEY);
    }
    /* Data both ways, copying and in place. */
    CHECK_EQ(transfer(c, s, "ping from client", out, 0), 16);
    CHECK(memcmp(out, "ping from client", 16) == 0);
    CHECK_EQ(transfer(s, c, "pong from server!", out, 1), 17);
    CHECK(memcmp(out, "pong from server!", 17) == 0);
    ossuary_destroy_connection(&c);
    ossuary_destroy_connection(&s);
  }
}

static void test_unauthorized_client(void) {
  uint8_t cs[32], cp[32], other_s[32], other_p[32];
  CHECK_EQ(ossuary_generate_auth_keypair(cs, 32, cp, 32), 0);
  CHECK_EQ(ossuary_generate_auth_keypair(other_s, 32, other_p, 32), 0);
  OssuaryConnection *c = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, cs);
  OssuaryConnection *s = ossuary_create_connection(OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER, NULL);
  CHECK_EQ(ossuary_add_authorized_key(s, other_p), 0);
  int r = handshake(c, s, 1);
  CHECK(r < 0);
  CHECK_EQ(ossuary_handshake_done(s), OSSUARY_ERR_UNAUTHORIZED_CLIENT);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);

  /* An anonymous client at an authenticating server. */
  c = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, NULL);
  s = ossuary_create_connection(OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER, NULL);
  CHECK(handshake(c, s, 1) < 0);
  /* The client finds out itself: the server asked for an identity. */
  CHECK_EQ(ossuary_handshake_done(c), OSSUARY_ERR_UNAUTHORIZED_CLIENT);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);
}

static void test_tofu(void) {
  /* Reject: the client fails with UNTRUSTED_SERVER, sticky. */
  OssuaryConnection *c = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, NULL);
  OssuaryConnection *s = ossuary_create_connection(OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, NULL);
  CHECK_EQ(handshake(c, s, 0), OSSUARY_ERR_UNTRUSTED_SERVER);
  CHECK_EQ(ossuary_handshake_done(c), OSSUARY_ERR_UNTRUSTED_SERVER);
  CHECK(ossuary_handshake_done(s) < 0);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);

  /* Accept with the typed function; the key is the server's. */
  uint8_t ss[32], sp[32], remote[32], buf[BUF];
  CHECK_EQ(ossuary_generate_auth_keypair(ss, 32, sp, 32), 0);
  c = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, NULL);
  s = ossuary_create_connection(OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, ss);
  uint16_t n = sizeof buf;
  CHECK(ossuary_send_handshake(c, buf, &n) > 0);
  CHECK(ossuary_recv_handshake(s, buf, &n) > 0);
  n = sizeof buf;
  CHECK(ossuary_send_handshake(s, buf, &n) > 0);
  CHECK(ossuary_recv_handshake(c, buf, &n) > 0);
  CHECK_EQ(ossuary_handshake_done(c), OSSUARY_ERR_UNTRUSTED_SERVER);
  CHECK_EQ(ossuary_conn_handshake_status(c), OSSUARY_ERR_UNTRUSTED_SERVER);
  CHECK_EQ(ossuary_remote_public_key(c, remote, 32), 0);
  CHECK(memcmp(remote, sp, 32) == 0);
  CHECK_EQ(ossuary_conn_trust_server(c), 0);
  CHECK_EQ(handshake(c, s, 1), 1);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);

  /* A pinned server key that differs is refused without a pause. */
  uint8_t os[32], op[32];
  CHECK_EQ(ossuary_generate_auth_keypair(os, 32, op, 32), 0);
  c = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, NULL);
  s = ossuary_create_connection(OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, ss);
  CHECK_EQ(ossuary_add_authorized_key(c, op), 0);
  CHECK_EQ(handshake(c, s, 1), OSSUARY_ERR_SERVER_KEY_CHANGED);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);
}

/* Partial frames, WOULDBLOCK, tamper detection, large data, flush, the
 * typed data functions, close. */
static void test_records(void) {
  OssuaryConnection *c = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, NULL);
  OssuaryConnection *s = ossuary_create_connection(OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, NULL);
  CHECK_EQ(handshake(c, s, 1), 1);
  uint8_t wire[BUF], out[BUF];
  uint16_t wire_len = sizeof wire, in_len, out_len;
  uint8_t msg[100];
  memset(msg, 'x', sizeof msg);
  int32_t r = ossuary_send_data(c, msg, sizeof msg, wire, &wire_len);
  CHECK_EQ(r, sizeof msg + 19);
  CHECK_EQ(wire_len, sizeof msg + 19);

  /* Byte by byte: WOULDBLOCK with the bytes consumed, then the data. */
  uint16_t total_out = 0;
  for (uint16_t i = 0; i < wire_len; i++) {
    in_len = 1;
    out_len = sizeof out;
    r = ossuary_recv_data(s, wire + i, &in_len, out, &out_len);
    CHECK_EQ(in_len, 1);
    if (i + 1 < wire_len) {
      CHECK_EQ(r, OSSUARY_ERR_WOULDBLOCK);
      CHECK_EQ(out_len, 0);
    } else {
      CHECK_EQ(r, 1);
      total_out = out_len;
    }
  }
  CHECK_EQ(total_out, sizeof msg);
  CHECK(memcmp(out, msg, sizeof msg) == 0);

  /* Output larger than the buffer: WOULDBLOCK, then ossuary_flush. */
  uint8_t big[1000];
  memset(big, 'y', sizeof big);
  uint8_t small[300];
  uint16_t small_len = sizeof small;
  CHECK_EQ(ossuary_send_data(s, big, sizeof big, small, &small_len), OSSUARY_ERR_WOULDBLOCK);
  CHECK_EQ(small_len, sizeof small);
  memcpy(wire, small, small_len);
  size_t have = small_len;
  for (;;) {
    r = ossuary_flush(s, small, sizeof small);
    if (r == OSSUARY_ERR_WOULDBLOCK) {
      memcpy(wire + have, small, sizeof small);
      have += sizeof small;
      continue;
    }
    CHECK(r >= 0);
    memcpy(wire + have, small, (size_t)r);
    have += (size_t)r;
    break;
  }
  CHECK_EQ(have, sizeof big + 19);
  CHECK_EQ(ossuary_flush(s, small, sizeof small), 0);
  /* Decrypt with a small output buffer: the rest waits inside. */
  in_len = (uint16_t)have;
  out_len = 600;
  r = ossuary_recv_data(c, wire, &in_len, out, &out_len);
  CHECK_EQ(in_len, have);
  CHECK_EQ(out_len, 600);
  in_len = 0;
  out_len = sizeof out;
  r = ossuary_recv_data(c, wire, &in_len, out + 600, &out_len);
  CHECK_EQ(r, 0);
  CHECK_EQ(out_len, 400);
  CHECK(memcmp(out, big, sizeof big) == 0);

  /* Typed functions: send, pending, take, recv (overlapping buffers). */
  size_t n = 0, m = 0, pending = 0;
  CHECK_EQ(ossuary_conn_send(c, (const uint8_t *)"typed", 5, &n), OSSUARY_ERR_OK);
  CHECK_EQ(n, 5);
  CHECK_EQ(ossuary_conn_pending_output(c, &pending), OSSUARY_ERR_OK);
  CHECK_EQ(pending, 5 + 19);
  CHECK_EQ(ossuary_conn_take_output(c, wire, sizeof wire, &n), OSSUARY_ERR_OK);
  CHECK_EQ(n, 24);
  CHECK_EQ(ossuary_conn_recv(s, wire, n, wire + 3, sizeof wire - 3, &n, &m), OSSUARY_ERR_OK);
  CHECK_EQ(n, 24);
  CHECK_EQ(m, 5);
  CHECK(memcmp(wire + 3, "typed", 5) == 0);

  /* A key update, then data under the new key. */
  CHECK_EQ(ossuary_conn_update_keys(c), OSSUARY_ERR_OK);
  CHECK_EQ(transfer(c, s, "after update", out, 0), 12);

  /* Tamper detection: one flipped bit fails the record, and it sticks. */
  wire_len = sizeof wire;
  r = ossuary_send_data(c, msg, 10, wire, &wire_len);
  CHECK_EQ(r, 29);
  wire[10] ^= 0x01;
  in_len = wire_len;
  out_len = sizeof out;
  CHECK_EQ(ossuary_recv_data(s, wire, &in_len, out, &out_len), OSSUARY_ERR_BAD_RECORD);
  CHECK_EQ(ossuary_handshake_done(s), OSSUARY_ERR_BAD_RECORD);
  in_len = 0;
  CHECK_EQ(ossuary_recv_data(s, wire, &in_len, out, &out_len), OSSUARY_ERR_BAD_RECORD);
  CHECK_EQ(ossuary_conn_end_of_input(s), OSSUARY_ERR_BAD_RECORD);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);
}

static void test_close(void) {
  OssuaryConnection *c = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, NULL);
  OssuaryConnection *s = ossuary_create_connection(OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, NULL);
  CHECK_EQ(handshake(c, s, 1), 1);
  uint8_t wire[BUF], out[BUF];
  size_t n = 0, m = 0;
  /* Truncation before the close is reported. */
  OssuaryConnection *c2 = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, NULL);
  CHECK_EQ(ossuary_conn_end_of_input(c2), OSSUARY_ERR_TRUNCATED);
  ossuary_destroy_connection(&c2);

  CHECK_EQ(ossuary_conn_close(c), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_close(c), OSSUARY_ERR_CLOSED);
  CHECK_EQ(ossuary_conn_send(c, (const uint8_t *)"x", 1, &n), OSSUARY_ERR_CLOSED);
  CHECK_EQ(ossuary_conn_take_output(c, wire, sizeof wire, &n), OSSUARY_ERR_OK);
  CHECK(n > 0);
  uint16_t in_len = (uint16_t)n, out_len = sizeof out;
  CHECK_EQ(ossuary_recv_data(s, wire, &in_len, out, &out_len), OSSUARY_ERR_CLOSED);
  CHECK_EQ(in_len, n);
  CHECK_EQ(ossuary_conn_peer_closed(s), 1);
  CHECK_EQ(ossuary_conn_end_of_input(s), OSSUARY_ERR_OK);
  /* No more data after the close. */
  CHECK_EQ(ossuary_conn_recv(s, wire, 0, out, sizeof out, &n, &m), OSSUARY_ERR_OK);
  CHECK_EQ(m, 0);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);
}

/* Moves waiting output from `a` to `b` with the better-typed API. */
static void move_handshake(OssuaryConnection *a, OssuaryConnection *b) {
  uint8_t buf[BUF];
  size_t n = 0, off = 0;
  if (ossuary_conn_take_output(a, buf, sizeof buf, &n) != OSSUARY_ERR_OK) return;
  while (off < n) {
    size_t k = 0;
    if (ossuary_conn_recv_handshake(b, buf + off, n - off, &k) < 0 || k == 0) return;
    off += k;
  }
}

/* A handshake through the better-typed API: 1 when both are done, else the
 * first status that is not "running" (a pause or an error). */
static int32_t typed_handshake(OssuaryConnection *c, OssuaryConnection *s) {
  for (int round = 0; round < 20; round++) {
    int32_t cs = ossuary_conn_handshake_status(c);
    int32_t ss = ossuary_conn_handshake_status(s);
    if (cs < 0) return cs;
    if (ss < 0) return ss;
    if (cs == 1 && ss == 1) return 1;
    move_handshake(c, s);
    move_handshake(s, c);
  }
  return OSSUARY_ERR_OTHER;
}

static void test_strict_constructors(void) {
  uint8_t ssec[32], spub[32], csec[32], cpub[32], local[32];
  CHECK_EQ(ossuary_generate_auth_keypair(ssec, 32, spub, 32), 0);
  CHECK_EQ(ossuary_generate_auth_keypair(csec, 32, cpub, 32), 0);
  OssuaryConnection *c = NULL, *s = NULL;
  /* Bad arguments: nothing is written to `out`. */
  CHECK_EQ(ossuary_conn_new_client(NULL, 0, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_new_client(NULL, 2, &c), OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK_EQ(ossuary_conn_new_client(csec, 0x80000000u, &c), OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK_EQ(ossuary_conn_new_server(1, ssec, 0, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_new_server(1, NULL, 0, &s), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_new_server(0, ssec, 0, &s), OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK_EQ(ossuary_conn_new_server(3, ssec, 0, &s), OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK_EQ(ossuary_conn_new_server(-1, ssec, 0, &s), OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK_EQ(ossuary_conn_new_server(1, ssec, OSSUARY_FLAG_TRUST_ON_FIRST_USE, &s),
           OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK(c == NULL);
  CHECK(s == NULL);
  CHECK_EQ(ossuary_conn_add_authorized_key(NULL, cpub), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_reset(NULL), OSSUARY_ERR_NULL_ARGUMENT);

  /* Strict by default: an anonymous client refuses an unknown server. */
  CHECK_EQ(ossuary_conn_new_client(NULL, 0, &c), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_new_server(2, ssec, 0, &s), OSSUARY_ERR_OK);
  CHECK(c != NULL && s != NULL);
  CHECK_EQ(ossuary_conn_local_public_key(c, local, 32), OSSUARY_ERR_NO_KEY);
  CHECK_EQ(ossuary_conn_add_authorized_key(s, cpub), OSSUARY_ERR_NOT_AUTHENTICATING_SERVER);
  CHECK_EQ(ossuary_conn_reset(c), OSSUARY_ERR_NOT_FAILED);
  CHECK_EQ(typed_handshake(c, s), OSSUARY_ERR_UNTRUSTED_SERVER);
  CHECK_EQ(ossuary_conn_handshake_status(c), OSSUARY_ERR_UNTRUSTED_SERVER);
  /* After the failure, a re-handshake may start (once). */
  CHECK_EQ(ossuary_conn_reset(c), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_reset(c), OSSUARY_ERR_NOT_FAILED);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);

  /* TOFU on request: the handshake pauses for the decision. */
  CHECK_EQ(ossuary_conn_new_client(NULL, OSSUARY_FLAG_TRUST_ON_FIRST_USE, &c), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_new_server(2, ssec, 0, &s), OSSUARY_ERR_OK);
  CHECK_EQ(typed_handshake(c, s), OSSUARY_ERR_UNTRUSTED_SERVER);
  CHECK_EQ(ossuary_conn_trust_server(c), OSSUARY_ERR_OK);
  CHECK_EQ(typed_handshake(c, s), 1);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);

  /* Pinned keys both ways: an identified client, an authenticating server. */
  CHECK_EQ(ossuary_conn_new_client(csec, 0, &c), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_new_server(1, ssec, 0, &s), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_local_public_key(c, local, 32), OSSUARY_ERR_OK);
  CHECK(memcmp(local, cpub, 32) == 0);
  CHECK_EQ(ossuary_conn_local_public_key(s, local, 32), OSSUARY_ERR_OK);
  CHECK(memcmp(local, spub, 32) == 0);
  uint8_t bad[32];
  memset(bad, 0xff, sizeof bad);
  CHECK_EQ(ossuary_conn_add_authorized_key(c, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_add_authorized_key(c, bad), OSSUARY_ERR_INVALID_KEY);
  CHECK_EQ(ossuary_conn_add_authorized_key(c, spub), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_add_authorized_key(s, cpub), OSSUARY_ERR_OK);
  CHECK_EQ(typed_handshake(c, s), 1);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);

  /* A pinned key the server does not prove is refused. */
  CHECK_EQ(ossuary_conn_new_client(NULL, OSSUARY_FLAG_TRUST_ON_FIRST_USE, &c), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_new_server(2, ssec, 0, &s), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_add_authorized_key(c, cpub), OSSUARY_ERR_OK);
  CHECK_EQ(typed_handshake(c, s), OSSUARY_ERR_SERVER_KEY_CHANGED);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);
}

/* A TOFU client and an open server through the strict constructors, with
 * the handshake done. */
static void strict_pair(OssuaryConnection **c, OssuaryConnection **s) {
  uint8_t sec[32], pub[32];
  CHECK_EQ(ossuary_generate_auth_keypair(sec, 32, pub, 32), 0);
  CHECK_EQ(ossuary_conn_new_client(NULL, OSSUARY_FLAG_TRUST_ON_FIRST_USE, c), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_new_server(2, sec, 0, s), OSSUARY_ERR_OK);
  CHECK_EQ(typed_handshake(*c, *s), OSSUARY_ERR_UNTRUSTED_SERVER);
  CHECK_EQ(ossuary_conn_trust_server(*c), OSSUARY_ERR_OK);
  CHECK_EQ(typed_handshake(*c, *s), 1);
}

static void test_in_place(void) {
  OssuaryConnection *c = NULL, *s = NULL;
  uint8_t buf[BUF], tmp[BUF];
  size_t flen = 7, off = 7, plen = 7, n = 0;
  int32_t kind = 7;
  const size_t H = OSSUARY_RECORD_HEADER_LEN;
  /* Before the handshake. */
  CHECK_EQ(ossuary_conn_new_client(NULL, 0, &c), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_seal_in_place(c, buf, sizeof buf, 5, &flen), OSSUARY_ERR_HANDSHAKE_NOT_DONE);
  memset(buf, 0, 64);
  CHECK_EQ(ossuary_conn_open_in_place(c, buf, 19, &off, &plen, &kind), OSSUARY_ERR_HANDSHAKE_NOT_DONE);
  ossuary_destroy_connection(&c);

  strict_pair(&c, &s);
  CHECK_EQ(ossuary_conn_pending_output(c, &n), OSSUARY_ERR_OK);
  CHECK_EQ(n, 0);
  /* Bad arguments: nothing written. */
  CHECK_EQ(ossuary_conn_seal_in_place(NULL, buf, sizeof buf, 5, &flen), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_seal_in_place(c, NULL, sizeof buf, 5, &flen), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_seal_in_place(c, buf, sizeof buf, 5, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_seal_in_place(c, buf, 5 + OSSUARY_SEAL_ROOM - 1, 5, &flen),
           OSSUARY_ERR_BUFFER_TOO_SMALL);
  CHECK_EQ(ossuary_conn_seal_in_place(c, buf, sizeof buf, 70000, &flen), OSSUARY_ERR_BUFFER_TOO_SMALL);
  CHECK_EQ(ossuary_conn_seal_in_place(c, buf, SIZE_MAX, 5, &flen), OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK_EQ(flen, 7);
  /* Data, client to server. */
  memcpy(buf + H, "hello", 5);
  CHECK_EQ(ossuary_conn_seal_in_place(c, buf, 5 + OSSUARY_SEAL_ROOM, 5, &flen), OSSUARY_ERR_OK);
  CHECK_EQ(flen, 5 + 19);
  CHECK_EQ(ossuary_conn_open_in_place(NULL, buf, flen, &off, &plen, &kind), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_open_in_place(s, NULL, flen, &off, &plen, &kind), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_open_in_place(s, buf, flen, NULL, &plen, &kind), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_open_in_place(s, buf, flen, &off, NULL, &kind), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_open_in_place(s, buf, flen, &off, &plen, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_conn_open_in_place(s, buf, flen - 1, &off, &plen, &kind), OSSUARY_ERR_NOT_ONE_FRAME);
  CHECK_EQ(ossuary_conn_open_in_place(s, buf, flen + 1, &off, &plen, &kind), OSSUARY_ERR_NOT_ONE_FRAME);
  CHECK_EQ(kind, 7);
  CHECK_EQ(ossuary_conn_open_in_place(s, buf, flen, &off, &plen, &kind), OSSUARY_ERR_OK);
  CHECK_EQ(kind, OSSUARY_RECORD_KIND_DATA);
  CHECK_EQ(plen, 5);
  CHECK(memcmp(buf + off, "hello", 5) == 0);
  /* An empty record, server to client. */
  CHECK_EQ(ossuary_conn_seal_in_place(s, buf, OSSUARY_SEAL_ROOM, 0, &flen), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_open_in_place(c, buf, flen, &off, &plen, &kind), OSSUARY_ERR_OK);
  CHECK_EQ(kind, OSSUARY_RECORD_KIND_DATA);
  CHECK_EQ(plen, 0);
  /* Output waiting inside: refused until taken; then a key update. */
  CHECK_EQ(ossuary_conn_update_keys(c), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_seal_in_place(c, buf, sizeof buf, 5, &flen), OSSUARY_ERR_BUFFERED_DATA);
  CHECK_EQ(ossuary_conn_take_output(c, tmp, sizeof tmp, &n), OSSUARY_ERR_OK);
  CHECK_EQ(n, 19);
  CHECK_EQ(ossuary_conn_open_in_place(s, tmp, n, &off, &plen, &kind), OSSUARY_ERR_OK);
  CHECK_EQ(kind, OSSUARY_RECORD_KIND_KEY_UPDATE);
  CHECK_EQ(plen, 0);
  memcpy(buf + H, "after", 5);
  CHECK_EQ(ossuary_conn_seal_in_place(c, buf, sizeof buf, 5, &flen), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_open_in_place(s, buf, flen, &off, &plen, &kind), OSSUARY_ERR_OK);
  CHECK(plen == 5 && memcmp(buf + off, "after", 5) == 0);
  /* Interop with the copying functions. */
  CHECK_EQ(ossuary_conn_send(s, (const uint8_t *)"copy", 4, &n), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_take_output(s, tmp, sizeof tmp, &n), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_open_in_place(c, tmp, n, &off, &plen, &kind), OSSUARY_ERR_OK);
  CHECK(plen == 4 && memcmp(tmp + off, "copy", 4) == 0);
  /* The client closes; the server sees it in place. */
  CHECK_EQ(ossuary_conn_close(c), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_take_output(c, tmp, sizeof tmp, &n), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_open_in_place(s, tmp, n, &off, &plen, &kind), OSSUARY_ERR_OK);
  CHECK_EQ(kind, OSSUARY_RECORD_KIND_CLOSE);
  CHECK_EQ(ossuary_conn_peer_closed(s), 1);
  CHECK_EQ(ossuary_conn_seal_in_place(c, buf, sizeof buf, 5, &flen), OSSUARY_ERR_CLOSED);
  /* A tampered record fails, and the failure is sticky. */
  memcpy(buf + H, "x", 1);
  CHECK_EQ(ossuary_conn_seal_in_place(s, buf, sizeof buf, 1, &flen), OSSUARY_ERR_OK);
  buf[H] ^= 1;
  CHECK_EQ(ossuary_conn_open_in_place(c, buf, flen, &off, &plen, &kind), OSSUARY_ERR_BAD_RECORD);
  buf[H] ^= 1;
  CHECK_EQ(ossuary_conn_open_in_place(c, buf, flen, &off, &plen, &kind), OSSUARY_ERR_BAD_RECORD);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);
}

static void test_key_text(void) {
  uint8_t sec[32], pub[32], other[32], revoked[32], got[32], bad[32];
  CHECK_EQ(ossuary_generate_auth_keypair(sec, 32, pub, 32), 0);
  CHECK_EQ(ossuary_generate_auth_keypair(sec, 32, other, 32), 0);
  CHECK_EQ(ossuary_generate_auth_keypair(sec, 32, revoked, 32), 0);
  memset(bad, 0xff, sizeof bad);
  char fp[64], line[128], line2[128], list[512];
  size_t n = 7, m = 7;

  /* Fingerprints: "SHA256:" and 43 characters, NUL-terminated. */
  CHECK_EQ(ossuary_key_fingerprint(NULL, fp, sizeof fp, &n), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_key_fingerprint(pub, NULL, sizeof fp, &n), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_key_fingerprint(pub, fp, sizeof fp, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_key_fingerprint(bad, fp, sizeof fp, &n), OSSUARY_ERR_INVALID_KEY);
  CHECK_EQ(ossuary_key_fingerprint(pub, fp, 50, &n), OSSUARY_ERR_BUFFER_TOO_SMALL);
  CHECK_EQ(n, 7);
  CHECK_EQ(ossuary_key_fingerprint(pub, fp, 51, &n), OSSUARY_ERR_OK);
  CHECK_EQ(n, 50);
  CHECK_EQ(strlen(fp), 50);
  CHECK(strncmp(fp, "SHA256:", 7) == 0);

  /* Public key lines: format, then parse back. */
  CHECK_EQ(ossuary_key_format_public(NULL, line, sizeof line, &n), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_key_format_public(pub, NULL, sizeof line, &n), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_key_format_public(pub, line, sizeof line, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_key_format_public(bad, line, sizeof line, &n), OSSUARY_ERR_INVALID_KEY);
  CHECK_EQ(ossuary_key_format_public(pub, line, sizeof line, &n), OSSUARY_ERR_OK);
  CHECK_EQ(n, 60);
  CHECK_EQ(n, strlen(line));
  CHECK(strncmp(line, "ossuary-ed25519 ", 16) == 0);
  CHECK_EQ(ossuary_key_format_public(pub, line2, n, &m), OSSUARY_ERR_BUFFER_TOO_SMALL);
  CHECK_EQ(m, 7);
  memset(got, 0, sizeof got);
  CHECK_EQ(ossuary_key_parse_public(NULL, n, got), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_key_parse_public(line, n, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_key_parse_public("garbage", 7, got), OSSUARY_ERR_KEY_PARSE);
  CHECK_EQ(ossuary_key_parse_public(line, 0, got), OSSUARY_ERR_KEY_PARSE);
  CHECK_EQ(ossuary_key_parse_public(line, n - 1, got), OSSUARY_ERR_KEY_PARSE);
  CHECK_EQ(got[0] | got[31], 0);
  CHECK_EQ(ossuary_key_parse_public(line, n, got), OSSUARY_ERR_OK);
  CHECK(memcmp(got, pub, 32) == 0);

  /* Authorized keys. */
  snprintf(list, sizeof list, "# the team\n\n%s alice\n", line);
  size_t len = strlen(list);
  CHECK_EQ(ossuary_authorized_keys_contains(list, len, pub), 1);
  CHECK_EQ(ossuary_authorized_keys_contains(list, len, other), 0);
  CHECK_EQ(ossuary_authorized_keys_contains(list, 0, pub), 0);
  CHECK_EQ(ossuary_authorized_keys_contains(NULL, len, pub), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_authorized_keys_contains(list, len, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_authorized_keys_contains(list, len, bad), OSSUARY_ERR_INVALID_KEY);
  CHECK_EQ(ossuary_authorized_keys_contains("garbage\n", 8, pub), OSSUARY_ERR_KEY_PARSE);

  /* Known hosts. */
  CHECK_EQ(ossuary_key_format_public(revoked, line2, sizeof line2, &m), OSSUARY_ERR_OK);
  snprintf(list, sizeof list, "example.com:4433,192.0.2.1:4433 %s\n@revoked %s\n", line, line2);
  len = strlen(list);
  CHECK_EQ(ossuary_known_hosts_lookup(list, len, "example.com", 4433, pub), OSSUARY_HOST_KEY_KNOWN);
  CHECK_EQ(ossuary_known_hosts_lookup(list, len, "192.0.2.1", 4433, pub), OSSUARY_HOST_KEY_KNOWN);
  CHECK_EQ(ossuary_known_hosts_lookup(list, len, "example.com", 4433, other), OSSUARY_HOST_KEY_CHANGED);
  CHECK_EQ(ossuary_known_hosts_lookup(list, len, "example.org", 4433, other), OSSUARY_HOST_KEY_UNKNOWN);
  CHECK_EQ(ossuary_known_hosts_lookup(list, len, "example.com", 4434, pub), OSSUARY_HOST_KEY_UNKNOWN);
  CHECK_EQ(ossuary_known_hosts_lookup(list, len, "example.com", 4433, revoked), OSSUARY_HOST_KEY_REVOKED);
  CHECK_EQ(ossuary_known_hosts_lookup(NULL, len, "example.com", 4433, pub), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_known_hosts_lookup(list, len, NULL, 4433, pub), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_known_hosts_lookup(list, len, "example.com", 4433, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_known_hosts_lookup(list, len, "example.com", 0, pub), OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK_EQ(ossuary_known_hosts_lookup(list, len, "\xff", 4433, pub), OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK_EQ(ossuary_known_hosts_lookup(list, len, "example.com", 4433, bad), OSSUARY_ERR_INVALID_KEY);
  CHECK_EQ(ossuary_known_hosts_lookup(list, len, "bad host!", 4433, pub), OSSUARY_ERR_KEY_PARSE);
  CHECK_EQ(ossuary_known_hosts_lookup("garbage\n", 8, "example.com", 4433, pub), OSSUARY_ERR_KEY_PARSE);

  CHECK(strcmp(ossuary_error_string(OSSUARY_ERR_KEY_PARSE), "unknown error code") != 0);
  CHECK(strcmp(ossuary_error_string(OSSUARY_ERR_KEY_PERMISSIONS), "unknown error code") != 0);
  CHECK(strcmp(ossuary_error_string(OSSUARY_ERR_KEY_EXISTS), "unknown error code") != 0);
  CHECK(strcmp(ossuary_error_string(OSSUARY_ERR_KEY_IO), "unknown error code") != 0);
}

static void test_key_files(void) {
  uint8_t sec[32], pub[32], got[32];
  CHECK_EQ(ossuary_generate_auth_keypair(sec, 32, pub, 32), 0);
  char dir[] = "/tmp/ossuary-c-test-XXXXXX";
  if (!mkdtemp(dir)) {
    CHECK(0);
    return;
  }
  char path[128], pub_path[128], missing[128], garbage[128], nodir[128];
  snprintf(path, sizeof path, "%s/id", dir);
  snprintf(pub_path, sizeof pub_path, "%s/id.pub", dir);
  snprintf(missing, sizeof missing, "%s/missing", dir);
  snprintf(garbage, sizeof garbage, "%s/garbage", dir);
  snprintf(nodir, sizeof nodir, "%s/no/such/dir", dir);

  CHECK_EQ(ossuary_key_pair_write(NULL, sec), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_key_pair_write(path, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_key_pair_write("\xff", sec), OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK_EQ(ossuary_key_pair_write(nodir, sec), OSSUARY_ERR_KEY_IO);
  CHECK_EQ(ossuary_key_pair_write(path, sec), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_key_pair_write(path, sec), OSSUARY_ERR_KEY_EXISTS);

  memset(got, 0, sizeof got);
  CHECK_EQ(ossuary_secret_key_read(NULL, got), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_secret_key_read(path, NULL), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK_EQ(ossuary_secret_key_read("\xff", got), OSSUARY_ERR_INVALID_ARGUMENT);
  CHECK_EQ(ossuary_secret_key_read(missing, got), OSSUARY_ERR_KEY_IO);
  CHECK_EQ(ossuary_secret_key_read(path, got), OSSUARY_ERR_OK);
  CHECK(memcmp(got, sec, 32) == 0);

  /* The .pub file holds the public key line. */
  char text[256];
  FILE *f = fopen(pub_path, "r");
  CHECK(f != NULL);
  if (f) {
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    CHECK_EQ(ossuary_key_parse_public(text, len, got), OSSUARY_ERR_OK);
    CHECK(memcmp(got, pub, 32) == 0);
  }

  /* Loose permissions are refused; nothing is written. */
  memset(got, 0, sizeof got);
  CHECK_EQ(chmod(path, 0644), 0);
  CHECK_EQ(ossuary_secret_key_read(path, got), OSSUARY_ERR_KEY_PERMISSIONS);
  CHECK_EQ(got[0] | got[31], 0);

  /* Not a key. */
  f = fopen(garbage, "w");
  CHECK(f != NULL);
  if (f) {
    fputs("not a key\n", f);
    fclose(f);
  }
  CHECK_EQ(chmod(garbage, 0600), 0);
  CHECK_EQ(ossuary_secret_key_read(garbage, got), OSSUARY_ERR_KEY_PARSE);

  unlink(path);
  unlink(pub_path);
  unlink(garbage);
  CHECK_EQ(rmdir(dir), 0);
}

/* ---- The signer callback, with a software "HSM" ---- */

/* What the HSM does when asked to sign. */
enum { HSM_SIGN, HSM_FAIL, HSM_FLIP, HSM_OTHER_KEY };

/* A software stand-in for an HSM, allocated for each connection and freed
 * by the library through `hsm_free` (ASan and valgrind report a free that
 * never comes, as a leak, or comes twice): a seed the library never sees,
 * its public key, what to do, and counters. */
struct hsm {
  uint8_t seed[32];
  uint8_t pub[32];
  int mode;
  int calls;
  size_t last_len;
  int *frees; /* counts hsm_free calls; outlives the hsm */
};

static struct hsm *hsm_new(uint8_t seed_byte, int mode, int *frees) {
  struct hsm *h = calloc(1, sizeof *h);
  if (h == NULL) abort();
  memset(h->seed, seed_byte, sizeof h->seed);
  t_ed25519_public(h->pub, h->seed);
  h->mode = mode;
  h->frees = frees;
  return h;
}

/* The signer callback. */
static int32_t hsm_sign(void *user_data, const uint8_t *msg, size_t msg_len,
                        uint8_t *signature_out) {
  struct hsm *h = user_data;
  h->calls++;
  h->last_len = msg_len;
  if (h->mode == HSM_FAIL) return -1;
  uint8_t seed[32];
  memcpy(seed, h->seed, sizeof seed);
  if (h->mode == HSM_OTHER_KEY) seed[0] ^= 1;
  t_ed25519_sign(signature_out, seed, msg, msg_len);
  if (h->mode == HSM_FLIP) signature_out[40] ^= 0x10;
  return 0;
}

/* The free_user_data callback. */
static void hsm_free(void *user_data) {
  struct hsm *h = user_data;
  (*h->frees)++;
  free(h);
}

static const uint8_t FIXED_SEED[32] = {
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};

/* A callback that needs no user_data: a fixed key, as a secure element with
 * one slot might be driven. */
static int32_t fixed_sign(void *user_data, const uint8_t *msg, size_t msg_len,
                          uint8_t *signature_out) {
  if (user_data != NULL) return -1;
  t_ed25519_sign(signature_out, FIXED_SEED, msg, msg_len);
  return 0;
}

/* The test signer itself, and that it agrees with the library's keys. */
static void test_signer_reference(void) {
  static const uint8_t abc_digest[64] = {
      0xdd, 0xaf, 0x35, 0xa1, 0x93, 0x61, 0x7a, 0xba, 0xcc, 0x41, 0x73, 0x49, 0xae,
      0x20, 0x41, 0x31, 0x12, 0xe6, 0xfa, 0x4e, 0x89, 0xa9, 0x7e, 0xa2, 0x0a, 0x9e,
      0xee, 0xe6, 0x4b, 0x55, 0xd3, 0x9a, 0x21, 0x92, 0x99, 0x2a, 0x27, 0x4f, 0xc1,
      0xa8, 0x36, 0xba, 0x3c, 0x23, 0xa3, 0xfe, 0xeb, 0xbd, 0x45, 0x4d, 0x44, 0x23,
      0x64, 0x3c, 0xe8, 0x0e, 0x2a, 0x9a, 0xc9, 0x4f, 0xa5, 0x4c, 0xa4, 0x9f};
  /* RFC 8032 section 7.1, test 1: seed, public key, signature of "". */
  static const uint8_t seed[32] = {
      0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
      0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
      0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
  static const uint8_t pub[32] = {
      0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
      0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
      0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
  static const uint8_t sig[64] = {
      0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86, 0xe2, 0xcc, 0x80,
      0x6e, 0x82, 0x8a, 0x84, 0x87, 0x7f, 0x1e, 0xb8, 0xe5, 0xd9, 0x74, 0xd8, 0x73,
      0xe0, 0x65, 0x22, 0x49, 0x01, 0x55, 0x5f, 0xb8, 0x82, 0x15, 0x90, 0xa3, 0x3b,
      0xac, 0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b, 0xd2, 0x5b, 0xf5, 0xf0,
      0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43, 0x8e, 0x7a, 0x10, 0x0b};
  uint8_t out[64];
  t_sha512(out, (const uint8_t *)"abc", 3);
  CHECK(memcmp(out, abc_digest, 64) == 0);
  CHECK(t_curve_check());
  t_ed25519_public(out, seed);
  CHECK(memcmp(out, pub, 32) == 0);
  t_ed25519_sign(out, seed, (const uint8_t *)"", 0);
  CHECK(memcmp(out, sig, 64) == 0);
  /* A seed from the library has the same public key here. */
  for (int i = 0; i < 3; i++) {
    uint8_t s[32], p[32];
    CHECK_EQ(ossuary_generate_auth_keypair(s, 32, p, 32), 0);
    t_ed25519_public(out, s);
    CHECK(memcmp(out, p, 32) == 0);
  }
}

/* Signers on both sides; one that fails or lies on either side (the peer
 * sees a RESET, never a signature to refuse: nothing unverified is sent);
 * Trust-On-First-Use; the original API. */
static void test_signer_handshakes(void) {
  int cf = 0, sf = 0;
  OssuaryConnection *c = NULL, *s = NULL;
  struct hsm *ch = hsm_new(1, HSM_SIGN, &cf), *sh = hsm_new(2, HSM_SIGN, &sf);
  uint8_t cpub[32], spub[32], remote[32], out[BUF], buf[BUF];
  memcpy(cpub, ch->pub, 32);
  memcpy(spub, sh->pub, 32);
  CHECK_EQ(ossuary_conn_new_client_with_signer(cpub, hsm_sign, ch, hsm_free, 0, &c), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_new_server_with_signer(OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER, spub, hsm_sign,
                                               sh, hsm_free, 0, &s),
           OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_local_public_key(c, remote, 32), OSSUARY_ERR_OK);
  CHECK(memcmp(remote, cpub, 32) == 0);
  CHECK_EQ(ossuary_conn_add_authorized_key(c, spub), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_add_authorized_key(s, cpub), OSSUARY_ERR_OK);
  CHECK_EQ(ch->calls + sh->calls, 0);
  CHECK_EQ(typed_handshake(c, s), 1);
  CHECK_EQ(ch->calls, 1);
  CHECK_EQ(sh->calls, 1);
  CHECK(ch->last_len > 32 && sh->last_len > 32);
  CHECK_EQ(ossuary_remote_public_key(s, remote, 32), 0);
  CHECK(memcmp(remote, cpub, 32) == 0);
  CHECK_EQ(ossuary_remote_public_key(c, remote, 32), 0);
  CHECK(memcmp(remote, spub, 32) == 0);
  CHECK_EQ(transfer(c, s, "signed by an hsm", out, 0), 16);
  CHECK(memcmp(out, "signed by an hsm", 16) == 0);
  CHECK_EQ(transfer(s, c, "so was this", out, 1), 11);
  CHECK(memcmp(out, "so was this", 11) == 0);
  CHECK_EQ(cf + sf, 0);
  ossuary_destroy_connection(&c);
  CHECK_EQ(cf, 1);
  CHECK_EQ(sf, 0);
  ossuary_destroy_connection(&s);
  ossuary_destroy_connection(&s);
  CHECK_EQ(sf, 1);

  for (int mode = HSM_FAIL; mode <= HSM_OTHER_KEY; mode++) {
    /* A server signer: the client gets the RESET. */
    int frees = 0;
    struct hsm *h = hsm_new(3, mode, &frees);
    CHECK_EQ(ossuary_conn_new_server_with_signer(OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, h->pub,
                                                 hsm_sign, h, hsm_free, 0, &s),
             OSSUARY_ERR_OK);
    CHECK_EQ(ossuary_conn_new_client(NULL, OSSUARY_FLAG_TRUST_ON_FIRST_USE, &c), OSSUARY_ERR_OK);
    CHECK_EQ(typed_handshake(c, s), OSSUARY_ERR_PEER_RESET);
    CHECK_EQ(ossuary_conn_handshake_status(s), OSSUARY_ERR_SIGNER);
    CHECK_EQ(h->calls, 1);
    ossuary_destroy_connection(&c);
    ossuary_destroy_connection(&s);
    CHECK_EQ(frees, 1);

    /* A client signer set on an original connection, the server key
     * pinned: the server gets the RESET. */
    uint8_t ssec[32], sp[32];
    CHECK_EQ(ossuary_generate_auth_keypair(ssec, 32, sp, 32), 0);
    frees = 0;
    h = hsm_new(4, mode, &frees);
    c = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, NULL);
    s = ossuary_create_connection(OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER, ssec);
    CHECK(c != NULL && s != NULL);
    CHECK_EQ(ossuary_conn_set_signer(c, h->pub, hsm_sign, h, hsm_free), OSSUARY_ERR_OK);
    CHECK_EQ(ossuary_add_authorized_key(c, sp), 0);
    CHECK_EQ(ossuary_add_authorized_key(s, h->pub), 0);
    CHECK_EQ(handshake(c, s, 1), OSSUARY_ERR_SIGNER);
    CHECK_EQ(ossuary_handshake_done(c), OSSUARY_ERR_SIGNER);
    uint16_t n = sizeof buf;
    CHECK(ossuary_send_handshake(c, buf, &n) >= 0);
    CHECK(n > 0);
    ossuary_recv_handshake(s, buf, &n);
    CHECK_EQ(ossuary_handshake_done(s), OSSUARY_ERR_PEER_RESET);
    ossuary_destroy_connection(&c);
    ossuary_destroy_connection(&s);
    CHECK_EQ(frees, 1);
  }

  /* Trust-On-First-Use, original API: the client signs inside the
   * ossuary_add_authorized_key that accepts the server. */
  int frees = 0;
  struct hsm *h = hsm_new(5, HSM_SIGN, &frees);
  c = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, NULL);
  s = ossuary_create_connection(OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER, NULL);
  CHECK_EQ(ossuary_conn_set_signer(c, h->pub, hsm_sign, h, hsm_free), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_add_authorized_key(s, h->pub), 0);
  CHECK_EQ(handshake(c, s, 1), 1);
  CHECK_EQ(h->calls, 1);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);
  CHECK_EQ(frees, 1);

  /* Trust-On-First-Use, typed API, a failing signer: the failure is
   * ossuary_conn_trust_server's result. */
  frees = 0;
  h = hsm_new(6, HSM_FAIL, &frees);
  uint8_t ssec[32], sp[32];
  CHECK_EQ(ossuary_generate_auth_keypair(ssec, 32, sp, 32), 0);
  CHECK_EQ(ossuary_conn_new_client_with_signer(h->pub, hsm_sign, h, hsm_free,
                                               OSSUARY_FLAG_TRUST_ON_FIRST_USE, &c),
           OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_new_server(OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, ssec, 0, &s), OSSUARY_ERR_OK);
  CHECK_EQ(typed_handshake(c, s), OSSUARY_ERR_UNTRUSTED_SERVER);
  CHECK_EQ(h->calls, 0);
  CHECK_EQ(ossuary_conn_trust_server(c), OSSUARY_ERR_SIGNER);
  CHECK_EQ(h->calls, 1);
  CHECK_EQ(ossuary_conn_handshake_status(c), OSSUARY_ERR_SIGNER);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);
  CHECK_EQ(frees, 1);

  /* No user_data at all. */
  uint8_t fixed_pub[32];
  t_ed25519_public(fixed_pub, FIXED_SEED);
  CHECK_EQ(ossuary_conn_new_server_with_signer(OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, fixed_pub,
                                               fixed_sign, NULL, NULL, 0, &s),
           OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_new_client(NULL, 0, &c), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_add_authorized_key(c, fixed_pub), OSSUARY_ERR_OK);
  CHECK_EQ(typed_handshake(c, s), 1);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);
}

/* Bad arguments: each call releases its user_data exactly once, before it
 * returns, and writes nothing to `out`; replacing an identity releases the
 * one it replaces. */
static void test_signer_arguments(void) {
  int frees = 0, want = 0;
  OssuaryConnection *none = NULL;
  uint8_t bad[32];
  memset(bad, 0xff, sizeof bad);
  struct hsm *h;
#define REFUSED(call, code)        \
  do {                             \
    h = hsm_new(7, HSM_SIGN, &frees); \
    CHECK_EQ(call, code);          \
    CHECK_EQ(frees, ++want);       \
  } while (0)
  REFUSED(ossuary_conn_new_client_with_signer(NULL, hsm_sign, h, hsm_free, 0, &none),
          OSSUARY_ERR_NULL_ARGUMENT);
  REFUSED(ossuary_conn_new_client_with_signer(h->pub, NULL, h, hsm_free, 0, &none),
          OSSUARY_ERR_NULL_ARGUMENT);
  REFUSED(ossuary_conn_new_client_with_signer(h->pub, hsm_sign, h, hsm_free, 0, NULL),
          OSSUARY_ERR_NULL_ARGUMENT);
  REFUSED(ossuary_conn_new_client_with_signer(bad, hsm_sign, h, hsm_free, 0, &none),
          OSSUARY_ERR_INVALID_KEY);
  REFUSED(ossuary_conn_new_client_with_signer(h->pub, hsm_sign, h, hsm_free, 2, &none),
          OSSUARY_ERR_INVALID_ARGUMENT);
  REFUSED(ossuary_conn_new_client_with_signer(h->pub, hsm_sign, h, hsm_free, 0x80000000u, &none),
          OSSUARY_ERR_INVALID_ARGUMENT);
  REFUSED(ossuary_conn_new_server_with_signer(OSSUARY_CONN_TYPE_CLIENT, h->pub, hsm_sign, h,
                                              hsm_free, 0, &none),
          OSSUARY_ERR_INVALID_ARGUMENT);
  REFUSED(ossuary_conn_new_server_with_signer(3, h->pub, hsm_sign, h, hsm_free, 0, &none),
          OSSUARY_ERR_INVALID_ARGUMENT);
  REFUSED(ossuary_conn_new_server_with_signer(-1, h->pub, hsm_sign, h, hsm_free, 0, &none),
          OSSUARY_ERR_INVALID_ARGUMENT);
  REFUSED(ossuary_conn_new_server_with_signer(1, h->pub, hsm_sign, h, hsm_free,
                                              OSSUARY_FLAG_TRUST_ON_FIRST_USE, &none),
          OSSUARY_ERR_INVALID_ARGUMENT);
  REFUSED(ossuary_conn_new_server_with_signer(1, NULL, hsm_sign, h, hsm_free, 0, &none),
          OSSUARY_ERR_NULL_ARGUMENT);
  REFUSED(ossuary_conn_new_server_with_signer(1, h->pub, NULL, h, hsm_free, 0, &none),
          OSSUARY_ERR_NULL_ARGUMENT);
  REFUSED(ossuary_conn_new_server_with_signer(1, bad, hsm_sign, h, hsm_free, 0, &none),
          OSSUARY_ERR_INVALID_KEY);
  REFUSED(ossuary_conn_new_server_with_signer(2, h->pub, hsm_sign, h, hsm_free, 0, NULL),
          OSSUARY_ERR_NULL_ARGUMENT);
  REFUSED(ossuary_conn_set_signer(NULL, h->pub, hsm_sign, h, hsm_free), OSSUARY_ERR_NULL_ARGUMENT);
  CHECK(none == NULL);

  /* Replacing identities. */
  OssuaryConnection *c = ossuary_create_connection(OSSUARY_CONN_TYPE_CLIENT, NULL);
  CHECK(c != NULL);
  REFUSED(ossuary_conn_set_signer(c, NULL, hsm_sign, h, hsm_free), OSSUARY_ERR_NULL_ARGUMENT);
  REFUSED(ossuary_conn_set_signer(c, h->pub, NULL, h, hsm_free), OSSUARY_ERR_NULL_ARGUMENT);
  REFUSED(ossuary_conn_set_signer(c, bad, hsm_sign, h, hsm_free), OSSUARY_ERR_INVALID_KEY);
  int f1 = 0, f2 = 0, f3 = 0;
  struct hsm *h1 = hsm_new(8, HSM_SIGN, &f1), *h2 = hsm_new(9, HSM_SIGN, &f2);
  CHECK_EQ(ossuary_conn_set_signer(c, h1->pub, hsm_sign, h1, hsm_free), OSSUARY_ERR_OK);
  CHECK_EQ(ossuary_conn_set_signer(c, h2->pub, hsm_sign, h2, hsm_free), OSSUARY_ERR_OK);
  CHECK_EQ(f1, 1);
  CHECK_EQ(f2, 0);
  CHECK_EQ(ossuary_set_secret_key(c, FIXED_SEED), 0);
  CHECK_EQ(f2, 1);
  /* Once the peer has spoken, the identity stays; the refused one is
   * released at once. */
  OssuaryConnection *s = ossuary_create_connection(OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, NULL);
  uint8_t buf[BUF];
  uint16_t n = sizeof buf;
  CHECK(ossuary_send_handshake(c, buf, &n) > 0);
  CHECK(ossuary_recv_handshake(s, buf, &n) > 0);
  n = sizeof buf;
  CHECK(ossuary_send_handshake(s, buf, &n) > 0);
  CHECK(ossuary_recv_handshake(c, buf, &n) > 0);
  struct hsm *h3 = hsm_new(10, HSM_SIGN, &f3);
  CHECK_EQ(ossuary_conn_set_signer(c, h3->pub, hsm_sign, h3, hsm_free), OSSUARY_ERR_HANDSHAKE_STARTED);
  CHECK_EQ(f3, 1);
  ossuary_destroy_connection(&c);
  ossuary_destroy_connection(&s);
#undef REFUSED

  CHECK_EQ(OSSUARY_ERR_SIGNER, -95);
  CHECK(strcmp(ossuary_error_string(OSSUARY_ERR_SIGNER), "unknown error code") != 0);
}

int main(void) {
  test_versions_and_strings();
  test_bad_arguments();
  test_keys();
  test_modes();
  test_unauthorized_client();
  test_tofu();
  test_records();
  test_close();
  test_strict_constructors();
  test_in_place();
  test_key_text();
  test_key_files();
  test_signer_reference();
  test_signer_handshakes();
  test_signer_arguments();
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
