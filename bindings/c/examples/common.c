/* common.c: helpers the examples share (see common.h). */
#define _POSIX_C_SOURCE 200809L

#include "common.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int parse_seconds(const char *prog, const char *opt, const char *text,
                  int64_t *ms) {
  char *end = NULL;
  errno = 0;
  double secs = strtod(text, &end);
  /* `secs == secs` is false for NaN. */
  if (errno != 0 || end == text || *end != '\0' || !(secs == secs) ||
      secs <= 0.0 || secs > 86400.0) {
    fprintf(stderr, "%s: %s wants seconds (more than 0, at most 86400), not '%s'\n",
            prog, opt, text);
    return -1;
  }
  *ms = (int64_t)(secs * 1000.0 + 0.5);
  if (*ms == 0) {
    *ms = 1;
  }
  return 0;
}

/* An unsigned decimal number, digits only, at most `max`. */
static int parse_unsigned(const char *text, uint64_t max, uint64_t *value,
                          const char **rest) {
  uint64_t v = 0;
  const char *p = text;
  if (*p < '0' || *p > '9') {
    return -1;
  }
  for (; *p >= '0' && *p <= '9'; p++) {
    unsigned digit = (unsigned)(*p - '0');
    if (v > (max - digit) / 10) {
      return -1;
    }
    v = v * 10 + digit;
  }
  *value = v;
  if (rest != NULL) {
    *rest = p;
  } else if (*p != '\0') {
    return -1;
  }
  return 0;
}

int parse_port(const char *prog, const char *opt, const char *text,
               int allow_zero, uint16_t *port) {
  uint64_t v = 0;
  if (parse_unsigned(text, 65535, &v, NULL) != 0 || (v == 0 && !allow_zero)) {
    fprintf(stderr, "%s: %s: bad port '%s' (a number from %d to 65535)\n",
            prog, opt, text, allow_zero ? 0 : 1);
    return -1;
  }
  *port = (uint16_t)v;
  return 0;
}

int parse_size(const char *prog, const char *opt, const char *text,
               uint64_t *bytes) {
  uint64_t v = 0, unit = 1;
  const char *rest = NULL;
  if (parse_unsigned(text, UINT64_MAX, &v, &rest) == 0) {
    if (strcmp(rest, "K") == 0) {
      unit = 1024;
    } else if (strcmp(rest, "M") == 0) {
      unit = 1024 * 1024;
    } else if (strcmp(rest, "G") == 0) {
      unit = 1024 * 1024 * 1024;
    } else if (*rest != '\0') {
      unit = 0;
    }
  } else {
    unit = 0;
  }
  /* At most 1 TiB: the count must fit the protocol and a sane run. */
  const uint64_t max = (uint64_t)1 << 40;
  if (unit == 0 || v > max / unit) {
    fprintf(stderr,
            "%s: %s wants a byte count such as 4096, 64K, 8M or 1G (at most "
            "1024G), not '%s'\n",
            prog, opt, text);
    return -1;
  }
  *bytes = v * unit;
  return 0;
}

int parse_count(const char *prog, const char *opt, const char *text,
                unsigned min, unsigned max, unsigned *count) {
  uint64_t v = 0;
  if (parse_unsigned(text, max, &v, NULL) != 0 || v < min) {
    fprintf(stderr, "%s: %s wants a number from %u to %u, not '%s'\n", prog,
            opt, min, max, text);
    return -1;
  }
  *count = (unsigned)v;
  return 0;
}

int parse_message(const char *prog, const char *opt, const char *text) {
  size_t len = strlen(text);
  if (len > MESSAGE_MAX) {
    fprintf(stderr, "%s: %s is longer than %d bytes\n", prog, opt,
            MESSAGE_MAX);
    return -1;
  }
  for (size_t i = 0; i < len; i++) {
    if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
      fprintf(stderr, "%s: %s must be one line of text (no control characters)\n",
              prog, opt);
      return -1;
    }
  }
  return 0;
}

int parse_host_port(const char *prog, const char *opt, const char *text,
                    char *host, size_t host_len, uint16_t *port) {
  const char *host_start = text, *host_end = NULL, *port_text = NULL;
  if (text[0] == '[') {
    /* [IPV6]:PORT */
    host_start = text + 1;
    host_end = strchr(host_start, ']');
    if (host_end != NULL && host_end[1] == ':') {
      port_text = host_end + 2;
    }
  } else {
    host_end = strrchr(text, ':');
    if (host_end != NULL && memchr(text, ':', (size_t)(host_end - text)) == NULL) {
      port_text = host_end + 1;
    }
  }
  if (port_text == NULL || host_end == host_start) {
    fprintf(stderr,
            "%s: %s wants HOST:PORT (or [IPV6]:PORT), such as 127.0.0.1:7000, "
            "not '%s'\n",
            prog, opt, text);
    return -1;
  }
  size_t n = (size_t)(host_end - host_start);
  if (n >= host_len) {
    fprintf(stderr, "%s: %s: the host name is too long\n", prog, opt);
    return -1;
  }
  memcpy(host, host_start, n);
  host[n] = '\0';
  return parse_port(prog, opt, port_text, 0, port);
}

int read_file(const char *path, size_t max, char **text, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    return -1;
  }
  char *buf = malloc(max + 1);
  if (buf == NULL) {
    fclose(f);
    errno = ENOMEM;
    return -1;
  }
  size_t n = fread(buf, 1, max + 1, f);
  int failed = ferror(f);
  int saved = errno;
  fclose(f);
  if (failed) {
    free(buf);
    errno = saved != 0 ? saved : EIO;
    return -1;
  }
  if (n > max) {
    free(buf);
    errno = EFBIG;
    return -1;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return 0;
}

void key_fingerprint(const uint8_t key[32], fingerprint *out) {
  size_t written = 0;
  if (ossuary_key_fingerprint(key, out->text, sizeof out->text, &written) !=
      OSSUARY_ERR_OK) {
    snprintf(out->text, sizeof out->text, "(not a valid key)");
  }
}

int load_secret_key(const char *prog, const char *path, uint8_t key[32]) {
  int32_t rc = ossuary_secret_key_read(path, key);
  switch (rc) {
  case OSSUARY_ERR_OK:
    return 0;
  case OSSUARY_ERR_KEY_IO:
    fprintf(stderr,
            "%s: cannot read the secret key file %s (check the path; create "
            "a key with `keygen %s`)\n",
            prog, path, path);
    break;
  case OSSUARY_ERR_KEY_PERMISSIONS:
    fprintf(stderr,
            "%s: the secret key file %s can be accessed by other users; not "
            "reading it (run `chmod 600 %s`)\n",
            prog, path, path);
    break;
  case OSSUARY_ERR_KEY_PARSE:
    fprintf(stderr,
            "%s: %s is not an Ossuary secret key file (did you give the .pub "
            "file? create a key with `keygen`)\n",
            prog, path);
    break;
  default:
    fprintf(stderr, "%s: reading the secret key file %s: %s\n", prog, path,
            ossuary_error_string(rc));
    break;
  }
  return -1;
}

void wipe(void *p, size_t len) {
  /* Stores through a volatile pointer are not optimised away. */
  volatile uint8_t *v = p;
  while (len-- > 0) {
    *v++ = 0;
  }
}

void printable(const uint8_t *data, size_t len, char *out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < len && n + 1 < cap; i++) {
    out[n++] = (data[i] >= 0x20 && data[i] < 0x7f) ? (char)data[i] : '?';
  }
  out[n] = '\0';
}

/* ---- the demo's application protocol ---- */

/* Seeds of the two directions' patterns: a byte stream sent back to its
 * sender does not pass as the peer's. */
#define SEED_CLIENT_TO_SERVER UINT64_C(0x6f73737561727931)
#define SEED_SERVER_TO_CLIENT UINT64_C(0x6f73737561727932)

/* splitmix64's output function. */
static uint64_t mix(uint64_t z) {
  z += UINT64_C(0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* The pattern's bytes at offsets [off, off + len). */
static void pattern(uint64_t seed, uint64_t off, uint8_t *out, size_t len) {
  uint64_t word = mix(seed ^ (off / 8));
  for (size_t i = 0; i < len; i++, off++) {
    if (i > 0 && off % 8 == 0) {
      word = mix(seed ^ (off / 8));
    }
    out[i] = (uint8_t)(word >> (8 * (off % 8)));
  }
}

void exchange_init(exchange *x, int is_client, const char *message,
                   uint64_t bytes) {
  memset(x, 0, sizeof *x);
  size_t len = strlen(message);
  if (len > MESSAGE_MAX) {
    len = MESSAGE_MAX;
  }
  memcpy(x->head, message, len);
  x->head[len] = '\n';
  for (int i = 0; i < 8; i++) {
    x->head[len + 1 + (size_t)i] = (uint8_t)(bytes >> (56 - 8 * i));
  }
  x->head_len = len + 1 + 8;
  x->send_total = bytes;
  x->send_seed = is_client ? SEED_CLIENT_TO_SERVER : SEED_SERVER_TO_CLIENT;
  x->recv_seed = is_client ? SEED_SERVER_TO_CLIENT : SEED_CLIENT_TO_SERVER;
}

static size_t exchange_pending(void *ctx, const uint8_t **data) {
  exchange *x = ctx;
  if (x->head_sent < x->head_len) {
    *data = x->head + x->head_sent;
    return x->head_len - x->head_sent;
  }
  if (x->chunk_off == x->chunk_len && x->sent < x->send_total) {
    uint64_t left = x->send_total - x->sent;
    x->chunk_len = left < sizeof x->chunk ? (size_t)left : sizeof x->chunk;
    x->chunk_off = 0;
    pattern(x->send_seed, x->sent, x->chunk, x->chunk_len);
  }
  *data = x->chunk + x->chunk_off;
  return x->chunk_len - x->chunk_off;
}

static void exchange_consumed(void *ctx, size_t n) {
  exchange *x = ctx;
  if (x->head_sent < x->head_len) {
    x->head_sent += n;
  } else {
    x->chunk_off += n;
    x->sent += n;
  }
}

static int exchange_received(void *ctx, const uint8_t *data, size_t len,
                             char *why, size_t why_len) {
  exchange *x = ctx;
  while (len > 0) {
    if (!x->have_message) {
      const uint8_t *nl = memchr(data, '\n', len);
      size_t take = nl != NULL ? (size_t)(nl - data) : len;
      if (x->message_len + take > MESSAGE_MAX) {
        snprintf(why, why_len, "the peer's message is longer than %d bytes",
                 MESSAGE_MAX);
        return -1;
      }
      memcpy(x->message + x->message_len, data, take);
      x->message_len += take;
      if (nl != NULL) {
        x->message[x->message_len] = '\0';
        x->have_message = 1;
        take++;
      }
      data += take;
      len -= take;
    } else if (x->count_len < 8) {
      size_t take = 8 - x->count_len < len ? 8 - x->count_len : len;
      memcpy(x->count + x->count_len, data, take);
      x->count_len += take;
      data += take;
      len -= take;
      if (x->count_len == 8) {
        for (int i = 0; i < 8; i++) {
          x->recv_total = x->recv_total << 8 | x->count[i];
        }
      }
    } else {
      if (len > x->recv_total - x->received) {
        snprintf(why, why_len,
                 "the peer sent more than the %" PRIu64 " bytes it announced",
                 x->recv_total);
        return -1;
      }
      uint8_t want[4096];
      while (len > 0) {
        size_t n = len < sizeof want ? len : sizeof want;
        pattern(x->recv_seed, x->received, want, n);
        for (size_t i = 0; i < n; i++) {
          if (data[i] != want[i]) {
            snprintf(why, why_len,
                     "byte %" PRIu64 " of the peer's data is 0x%02x, not 0x%02x: "
                     "the stream was corrupted",
                     x->received + i, data[i], want[i]);
            return -1;
          }
        }
        x->received += n;
        data += n;
        len -= n;
      }
    }
  }
  return 0;
}

static int exchange_peer_closed(void *ctx, char *why, size_t why_len) {
  exchange *x = ctx;
  if (!x->have_message || x->count_len < 8 || x->received != x->recv_total) {
    snprintf(why, why_len,
             "the peer closed after %" PRIu64 " of the %" PRIu64
             " bytes it announced",
             x->received, x->recv_total);
    return -1;
  }
  return 0;
}

session_app exchange_app(exchange *x) {
  session_app app = {
      .ctx = x,
      .pending = exchange_pending,
      .consumed = exchange_consumed,
      .received = exchange_received,
      .peer_closed = exchange_peer_closed,
      .trust = NULL,
      .trust_ctx = NULL,
  };
  return app;
}
