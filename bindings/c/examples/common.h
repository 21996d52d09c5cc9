/* common.h: helpers the examples share. None of this is Ossuary's API:
 * option parsing, the monotonic clock, files, keys as people read them, and
 * the demo's application protocol (`exchange`), which session.c carries.
 *
 * Copy what you need; the part worth studying is session.c. */
#ifndef OSSUARY_EXAMPLE_COMMON_H
#define OSSUARY_EXAMPLE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "ossuary.h"
#include "session.h"

/* Exit status of a command-line mistake (1 is any other failure). */
#define EXIT_USAGE 2

/* The largest message line the demo protocol carries. */
#define MESSAGE_MAX 1024

/* A fingerprint as ossuary_key_fingerprint writes it: "SHA256:" and 43
 * characters of base64, NUL-terminated. */
typedef struct {
  char text[64];
} fingerprint;

/* Milliseconds on the monotonic clock, which never jumps when the wall
 * clock is set: deadlines are measured on it. */
int64_t now_ms(void);

/* Option values. Each returns 0, or prints to stderr what is wrong, naming
 * the program and the option, and returns -1. */
int parse_seconds(const char *prog, const char *opt, const char *text,
                  int64_t *ms);
int parse_port(const char *prog, const char *opt, const char *text,
               int allow_zero, uint16_t *port);
int parse_size(const char *prog, const char *opt, const char *text,
               uint64_t *bytes);
int parse_count(const char *prog, const char *opt, const char *text,
                unsigned min, unsigned max, unsigned *count);
int parse_message(const char *prog, const char *opt, const char *text);
/* "HOST:PORT", or "[IPV6]:PORT": `host` gets the host without brackets. */
int parse_host_port(const char *prog, const char *opt, const char *text,
                    char *host, size_t host_len, uint16_t *port);

/* Reads the whole file at `path` (at most `max` bytes) into a new buffer,
 * NUL-terminated, which the caller frees. Returns 0, or -1 with errno set
 * (EFBIG when the file is larger than `max`). */
int read_file(const char *path, size_t max, char **text, size_t *len);

/* Writes the fingerprint of `key` (a key the library handed out or
 * accepted, so this cannot fail). */
void key_fingerprint(const uint8_t key[32], fingerprint *out);

/* Reads the secret key file at `path` into `key` with
 * ossuary_secret_key_read. On failure prints what is wrong with the file
 * and what to do, and returns -1. Wipe `key` when done with it. */
int load_secret_key(const char *prog, const char *path, uint8_t key[32]);

/* Overwrites `len` bytes at `p` with zeros in a way the compiler does not
 * remove (secret keys are wiped once the library has its copy). */
void wipe(void *p, size_t len);

/* Copies `len` bytes of `data` to `out` (capacity `cap`, NUL-terminated)
 * with control characters and non-ASCII bytes replaced by '?': text from
 * the peer never reaches the terminal raw (escape sequences). */
void printable(const uint8_t *data, size_t len, char *out, size_t cap);

/* The demo's application protocol, the same both ways: a message line
 * ("...\n", at most MESSAGE_MAX bytes), an 8-byte big-endian count N, then
 * N bytes of a pattern that depends on the direction and on each byte's
 * offset, so that a lost, repeated, reordered or reflected byte is found.
 * Each side sends its part, then closes; each checks the other's. */
typedef struct {
  /* What this side sends. */
  uint8_t head[MESSAGE_MAX + 1 + 8];
  size_t head_len, head_sent;
  uint64_t send_total, sent, send_seed;
  uint8_t chunk[16 * 1024];
  size_t chunk_len, chunk_off;
  /* What the peer sends. */
  char message[MESSAGE_MAX + 1];
  size_t message_len;
  int have_message;
  uint8_t count[8];
  size_t count_len;
  uint64_t recv_total, received, recv_seed;
} exchange;

/* Prepares the client's (`is_client` 1) or the server's side. */
void exchange_init(exchange *x, int is_client, const char *message,
                   uint64_t bytes);

/* The session callbacks that carry `x` (its `trust` is left NULL). */
session_app exchange_app(exchange *x);

#endif
