/* client: connects to the server example over TCP, checks the server's key
 * against a known-hosts file (as ssh does), then exchanges a message and
 * --bytes of checked data each way and closes cleanly.
 *
 *   client --connect HOST:PORT --known-hosts FILE [--accept-new] [--key FILE]
 *          [--message TEXT] [--bytes N] [--handshake-timeout SECS]
 *          [--io-timeout SECS]
 *
 * Trust, decided by the known-hosts file and the library together:
 * - keys on record for HOST:PORT are pinned (ossuary_conn_add_authorized_key):
 *   a server that proves another key is refused by the library
 *   (OSSUARY_ERR_SERVER_KEY_CHANGED) and this program names both
 *   fingerprints, with or without --accept-new;
 * - a host with nothing on record: the client is created with
 *   OSSUARY_FLAG_TRUST_ON_FIRST_USE, so the handshake pauses on the server's
 *   key; it is refused (with the line to add) unless --accept-new is given,
 *   which records it in the file and goes on;
 * - a key marked @revoked is refused.
 *
 * --key authenticates the client (for a server with an authorized keys
 * file); without it the client is anonymous.
 *
 * Exit status: 0 when everything was sent, received, checked and closed
 * cleanly; 1 on any failure; 2 on a command-line mistake. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "ossuary.h"
#include "session.h"

static const char usage[] =
    "usage: client --connect HOST:PORT --known-hosts FILE [options]\n"
    "  --connect HOST:PORT       the server (HOST a name, an IPv4 address or\n"
    "                            [IPV6])\n"
    "  --known-hosts FILE        server keys by HOST:PORT; a missing file is\n"
    "                            empty (created by --accept-new)\n"
    "  --accept-new              record and trust the key of a server that is\n"
    "                            not in FILE (a changed key is still refused)\n"
    "  --key FILE                authenticate with this secret key (default:\n"
    "                            anonymous; see keygen)\n"
    "  --message TEXT            the line to send (default: hello from the "
    "client)\n"
    "  --bytes N                 also send N bytes of checked data, such as\n"
    "                            64K or 8M (default 0)\n"
    "  --handshake-timeout SECS  give up when the handshake takes longer, the\n"
    "                            TCP connection included (default 10)\n"
    "  --io-timeout SECS         give up when no byte moves either way this\n"
    "                            long after the handshake (default 30)\n";

/* Known-hosts files larger than this are refused. */
#define KNOWN_HOSTS_MAX (4 * 1024 * 1024)
/* Keys on record for one host that are pinned. */
#define PINNED_MAX 16

/* What the known-hosts file says about the server, and what was done. */
typedef struct {
  const char *path;
  char *text; /* the file ("" when it does not exist) */
  size_t len;
  const char *host;
  uint16_t port;
  int accept_new;
  /* Keys on record for HOST:PORT, not revoked, and their line numbers. */
  uint8_t pinned[PINNED_MAX][32];
  unsigned pinned_line[PINNED_MAX];
  size_t pinned_count;
  size_t revoked_count; /* keys on record for the host but revoked */
  int recorded;         /* --accept-new recorded the server */
} known_hosts;

/* Reads the known-hosts file. A missing file is an empty list. */
static int load_known_hosts(known_hosts *kh) {
  if (read_file(kh->path, KNOWN_HOSTS_MAX, &kh->text, &kh->len) == 0) {
    return 0;
  }
  if (errno == ENOENT) {
    kh->text = calloc(1, 1);
    kh->len = 0;
    return kh->text != NULL ? 0 : -1;
  }
  fprintf(stderr, "client: cannot read the known-hosts file %s: %s\n",
          kh->path, errno == EFBIG ? "larger than 4 MiB" : strerror(errno));
  return -1;
}

/* Finds the keys on record for the server, one line at a time: the library
 * parses each line and says whether it names HOST:PORT
 * (ossuary_known_hosts_lookup with the line's own key answers
 * OSSUARY_HOST_KEY_KNOWN exactly when the line is for this host). */
static int scan_known_hosts(known_hosts *kh) {
  const char *p = kh->text, *end = kh->text + kh->len;
  unsigned lineno = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *line = p, *line_end = nl != NULL ? nl : end;
    p = nl != NULL ? nl + 1 : end;
    lineno++;
    const char *q = line;
    while (q < line_end && (*q == ' ' || *q == '\t')) {
      q++;
    }
    if (q == line_end || *q == '#' || (*q == '\r' && q + 1 == line_end)) {
      continue; /* blank line or comment */
    }
    /* "HOST:PORT[,...] ossuary-ed25519 <base64> [comment]", or
     * "@revoked ossuary-ed25519 <base64> [comment]". */
    const char *rest = q;
    while (rest < line_end && *rest != ' ' && *rest != '\t') {
      rest++;
    }
    while (rest < line_end && (*rest == ' ' || *rest == '\t')) {
      rest++;
    }
    uint8_t key[32];
    int32_t rc = ossuary_key_parse_public(rest, (size_t)(line_end - rest), key);
    if (rc == OSSUARY_ERR_OK) {
      rc = ossuary_known_hosts_lookup(line, (size_t)(line_end - line),
                                      kh->host, kh->port, key);
    }
    if (rc < 0) {
      fprintf(stderr,
              "client: %s line %u is not a known-hosts entry (expected "
              "'HOST:PORT ossuary-ed25519 <base64>' or '@revoked "
              "ossuary-ed25519 <base64>'); fix or delete that line\n",
              kh->path, lineno);
      return -1;
    }
    if (rc != OSSUARY_HOST_KEY_KNOWN) {
      continue; /* another host, or a @revoked line */
    }
    /* A key on record for this host: pinned, unless the file also revokes
     * it. */
    if (ossuary_known_hosts_lookup(kh->text, kh->len, kh->host, kh->port,
                                   key) == OSSUARY_HOST_KEY_REVOKED) {
      kh->revoked_count++;
      continue;
    }
    if (kh->pinned_count == PINNED_MAX) {
      fprintf(stderr,
              "client: %s has more than %d keys for %s port %u; remove old "
              "ones\n",
              kh->path, PINNED_MAX, kh->host, (unsigned)kh->port);
      return -1;
    }
    memcpy(kh->pinned[kh->pinned_count], key, 32);
    kh->pinned_line[kh->pinned_count] = lineno;
    kh->pinned_count++;
  }
  return 0;
}

/* The known-hosts line for `key` at HOST:PORT (IPv6 in brackets, names in
 * lower case, as the library compares them). */
static int host_line(const known_hosts *kh, const uint8_t key[32], char *out,
                     size_t cap) {
  char key_line[128];
  size_t written = 0;
  if (ossuary_key_format_public(key, key_line, sizeof key_line, &written) !=
      OSSUARY_ERR_OK) {
    return -1;
  }
  char host[300];
  size_t n = strlen(kh->host);
  if (n + 3 > sizeof host) {
    return -1;
  }
  if (strchr(kh->host, ':') != NULL) {
    snprintf(host, sizeof host, "[%s]", kh->host);
  } else {
    for (size_t i = 0; i <= n; i++) {
      char c = kh->host[i];
      host[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
  }
  int len = snprintf(out, cap, "%s:%u %s", host, (unsigned)kh->port, key_line);
  if (len < 0 || (size_t)len >= cap) {
    return -1;
  }
  /* The library is the judge of the format: the line must name this host
   * with this key. */
  if (ossuary_known_hosts_lookup(out, (size_t)len, kh->host, kh->port, key) !=
      OSSUARY_HOST_KEY_KNOWN) {
    return -1;
  }
  return 0;
}

/* Appends `line` to the known-hosts file, creating it if needed. */
static int record_host(known_hosts *kh, const char *line, char *why,
                       size_t why_len) {
  FILE *f = fopen(kh->path, "a");
  if (f == NULL) {
    snprintf(why, why_len,
             "cannot record the server's key in %s: %s; nothing was sent",
             kh->path, strerror(errno));
    return -1;
  }
  /* Start on a new line if the file does not end with one. */
  int sep = kh->len > 0 && kh->text[kh->len - 1] != '\n';
  int ok = fprintf(f, "%s%s\n", sep ? "\n" : "", line) > 0;
  ok = (fclose(f) == 0) && ok;
  if (!ok) {
    snprintf(why, why_len,
             "cannot record the server's key in %s: %s; nothing was sent",
             kh->path, strerror(errno));
    return -1;
  }
  kh->recorded = 1;
  return 0;
}

/* The Trust-On-First-Use decision (only for a host with nothing pinned):
 * the handshake is paused on the key the server proved. */
static int trust_server(void *ctx, const uint8_t key[32], char *why,
                        size_t why_len) {
  known_hosts *kh = ctx;
  fingerprint fp;
  key_fingerprint(key, &fp);
  int32_t status =
      ossuary_known_hosts_lookup(kh->text, kh->len, kh->host, kh->port, key);
  switch (status) {
  case OSSUARY_HOST_KEY_KNOWN:
    return 1;
  case OSSUARY_HOST_KEY_REVOKED:
    snprintf(why, why_len, "the server's key %s is marked @revoked in %s",
             fp.text, kh->path);
    return 0;
  case OSSUARY_HOST_KEY_CHANGED:
    /* Keys appeared in the file since it was read. */
    snprintf(why, why_len,
             "%s now records other keys for %s port %u than the server's %s; "
             "refusing (run again to compare the fingerprints)",
             kh->path, kh->host, (unsigned)kh->port, fp.text);
    return 0;
  case OSSUARY_HOST_KEY_UNKNOWN:
    break;
  default:
    snprintf(why, why_len, "looking the server up in %s failed: %s", kh->path,
             ossuary_error_string(status));
    return 0;
  }
  char line[512];
  if (host_line(kh, key, line, sizeof line) != 0) {
    snprintf(why, why_len, "cannot write a known-hosts line for host '%s'",
             kh->host);
    return 0;
  }
  if (!kh->accept_new) {
    snprintf(why, why_len,
             "the server %s port %u is not in %s; its key is %s.\n"
             "If that is the server's fingerprint (ask its operator), run "
             "again with --accept-new to record it, or add this line to %s:\n"
             "  %s",
             kh->host, (unsigned)kh->port, kh->path, fp.text, kh->path, line);
    return 0;
  }
  return record_host(kh, line, why, why_len) == 0;
}

/* Connects a non-blocking TCP socket to HOST:PORT before `deadline`. */
static int connect_to(const char *host, uint16_t port, int64_t deadline,
                      char *why, size_t why_len) {
  char service[8];
  snprintf(service, sizeof service, "%u", (unsigned)port);
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  struct addrinfo *list = NULL;
  int gai = getaddrinfo(host, service, &hints, &list);
  if (gai != 0) {
    snprintf(why, why_len, "cannot resolve '%s': %s", host, gai_strerror(gai));
    return -1;
  }
  snprintf(why, why_len, "no address for '%s'", host);
  int fd = -1;
  for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) {
      snprintf(why, why_len, "socket: %s", strerror(errno));
      continue;
    }
    int flags = fcntl(fd, F_GETFL);
    int err = 0;
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
      err = errno;
    } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      err = errno;
      /* A non-blocking connect completes later: wait for writability,
       * then read its result. */
      while (err == EINPROGRESS || err == EINTR) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
          err = ETIMEDOUT;
          break;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT, .revents = 0};
        int r = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
        if (r < 0 && errno != EINTR) {
          err = errno;
        } else if (r > 0) {
          socklen_t len = sizeof err;
          if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
          }
        }
      }
    }
    if (err != 0) {
      snprintf(why, why_len, "cannot connect to %s port %u: %s", host,
               (unsigned)port, strerror(err));
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(list);
  if (fd >= 0) {
    /* Handshake messages are small and each waits for the peer's answer:
     * do not let Nagle's algorithm hold them back. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

/* Explains a failed session, with what to do about it. `received_any`:
 * whether any data came from the server. */
static void report_failure(const session *s, const known_hosts *kh,
                           const char *key_path, int received_any) {
  uint8_t key[32];
  fingerprint fp;
  switch (s->err) {
  case OSSUARY_ERR_SERVER_KEY_CHANGED:
    /* After this failure the library still names the key it refused. */
    if (ossuary_remote_public_key(s->conn, key, sizeof key) == OSSUARY_ERR_OK) {
      key_fingerprint(key, &fp);
    } else {
      snprintf(fp.text, sizeof fp.text, "(unknown)");
    }
    fprintf(stderr,
            "client: @@@ WARNING: THE KEY OF SERVER %s PORT %u HAS CHANGED "
            "@@@\n"
            "client: the server proved %s, but %s records:\n",
            kh->host, (unsigned)kh->port, fp.text, kh->path);
    for (size_t i = 0; i < kh->pinned_count; i++) {
      fingerprint rec;
      key_fingerprint(kh->pinned[i], &rec);
      fprintf(stderr, "client:   %s (line %u)\n", rec.text,
              kh->pinned_line[i]);
    }
    fprintf(stderr,
            "client: someone may be intercepting the connection "
            "(man-in-the-middle), or the server's key was replaced. Refused; "
            "nothing was sent.\n"
            "client: if you know the key was replaced, delete those lines "
            "from %s and connect again with --accept-new.\n",
            kh->path);
    return;
  case OSSUARY_ERR_UNTRUSTED_SERVER:
    fprintf(stderr, "client: %s\n", s->why); /* written by trust_server */
    return;
  case OSSUARY_ERR_UNAUTHORIZED_CLIENT:
    if (key_path == NULL) {
      fprintf(stderr,
              "client: the server refused this anonymous client: it serves "
              "only clients whose keys it lists. Create a key (keygen FILE), "
              "give it with --key FILE, and ask the server's operator to add "
              "the line of FILE.pub to its authorized keys.\n");
    } else {
      fprintf(stderr,
              "client: the server refused this client's key (%s): it is not "
              "in the server's authorized keys. Ask the server's operator to "
              "add the line of %s.pub.\n",
              key_path, key_path);
    }
    return;
  case OSSUARY_ERR_PEER_RESET:
    if (!received_any && key_path != NULL) {
      /* A server checks the client's key on the handshake's last message,
       * which the client does not wait to hear about: a refusal arrives
       * as a RESET before any data. */
      fprintf(stderr,
              "client: %s port %u ended the session before sending any data "
              "(%s): most likely it does not accept this client's key (%s). "
              "Ask the server's operator to add the line of %s.pub to its "
              "authorized keys, or look at the server's log.\n",
              kh->host, (unsigned)kh->port, s->why, key_path, key_path);
      return;
    }
    break;
  default:
    break;
  }
  fprintf(stderr, "client: %s port %u: %s\n", kh->host, (unsigned)kh->port,
          s->why);
}

/* The value of option argv[*i]: advances *i, or says it is missing. */
static const char *value_of(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) {
    fprintf(stderr, "client: %s needs a value\n", argv[*i]);
    return NULL;
  }
  *i += 1;
  return argv[*i];
}

/* Prints the usage after a command-line mistake; the exit status. */
static int usage_error(void) {
  fputs(usage, stderr);
  return EXIT_USAGE;
}

int main(int argc, char **argv) {
  const char *connect_arg = NULL, *known_hosts_path = NULL, *key_path = NULL;
  const char *message = "hello from the client";
  int accept_new = 0;
  uint64_t bytes = 0;
  int64_t handshake_ms = 10000, io_ms = 30000;
  char host[256];
  uint16_t port = 0;

  for (int i = 1; i < argc; i++) {
    const char *opt = argv[i], *v = NULL;
    if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
      fputs(usage, stdout);
      return 0;
    } else if (strcmp(opt, "--accept-new") == 0) {
      accept_new = 1;
    } else if (strcmp(opt, "--connect") == 0) {
      if ((v = value_of(argc, argv, &i)) == NULL ||
          parse_host_port("client", opt, v, host, sizeof host, &port) != 0) {
        return usage_error();
      }
      connect_arg = v;
    } else if (strcmp(opt, "--known-hosts") == 0) {
      if ((known_hosts_path = value_of(argc, argv, &i)) == NULL) {
        return usage_error();
      }
    } else if (strcmp(opt, "--key") == 0) {
      if ((key_path = value_of(argc, argv, &i)) == NULL) {
        return usage_error();
      }
    } else if (strcmp(opt, "--message") == 0) {
      if ((message = value_of(argc, argv, &i)) == NULL ||
          parse_message("client", opt, message) != 0) {
        return usage_error();
      }
    } else if (strcmp(opt, "--bytes") == 0) {
      if ((v = value_of(argc, argv, &i)) == NULL ||
          parse_size("client", opt, v, &bytes) != 0) {
        return usage_error();
      }
    } else if (strcmp(opt, "--handshake-timeout") == 0) {
      if ((v = value_of(argc, argv, &i)) == NULL ||
          parse_seconds("client", opt, v, &handshake_ms) != 0) {
        return usage_error();
      }
    } else if (strcmp(opt, "--io-timeout") == 0) {
      if ((v = value_of(argc, argv, &i)) == NULL ||
          parse_seconds("client", opt, v, &io_ms) != 0) {
        return usage_error();
      }
    } else {
      fprintf(stderr, "client: unknown option '%s'\n", opt);
      return usage_error();
    }
  }
  if (connect_arg == NULL || known_hosts_path == NULL) {
    fprintf(stderr, "client: %s is required\n",
            connect_arg == NULL ? "--connect HOST:PORT" : "--known-hosts FILE");
    return usage_error();
  }

  /* A write to a socket the peer closed raises SIGPIPE, which kills the
   * process by default; session.c passes MSG_NOSIGNAL, and this covers any
   * other write. */
  signal(SIGPIPE, SIG_IGN);

  int64_t start = now_ms();
  known_hosts kh;
  memset(&kh, 0, sizeof kh);
  kh.path = known_hosts_path;
  kh.host = host;
  kh.port = port;
  kh.accept_new = accept_new;
  uint8_t secret[32];
  int have_key = 0;
  if (key_path != NULL) {
    if (load_secret_key("client", key_path, secret) != 0) {
      return 1;
    }
    have_key = 1;
  }
  if (load_known_hosts(&kh) != 0 || scan_known_hosts(&kh) != 0) {
    wipe(secret, sizeof secret);
    free(kh.text);
    return 1;
  }
  if (kh.pinned_count == 0 && kh.revoked_count > 0) {
    fprintf(stderr,
            "client: every key %s records for %s port %u is marked @revoked; "
            "refusing to connect (once you have the server's new key, remove "
            "its old lines)\n",
            kh.path, host, (unsigned)port);
    wipe(secret, sizeof secret);
    free(kh.text);
    return 1;
  }

  char why[SESSION_WHY];
  int fd = connect_to(host, port, start + handshake_ms, why, sizeof why);
  if (fd < 0) {
    fprintf(stderr, "client: %s\n", why);
    wipe(secret, sizeof secret);
    free(kh.text);
    return 1;
  }

  /* The connection is created once TCP is up: the library's own handshake
   * deadline starts now. Pinned keys make it strict; with none on record
   * it pauses for our decision (Trust-On-First-Use). */
  OssuaryConnection *conn = NULL;
  uint32_t flags = kh.pinned_count > 0 ? 0 : OSSUARY_FLAG_TRUST_ON_FIRST_USE;
  int32_t rc = ossuary_conn_new_client(have_key ? secret : NULL, flags, &conn);
  wipe(secret, sizeof secret); /* the library keeps its own copy */
  for (size_t i = 0; rc == OSSUARY_ERR_OK && i < kh.pinned_count; i++) {
    rc = ossuary_conn_add_authorized_key(conn, kh.pinned[i]);
  }
  if (rc != OSSUARY_ERR_OK) {
    fprintf(stderr, "client: creating the connection failed: %s\n",
            ossuary_error_string(rc));
    ossuary_destroy_connection(&conn);
    close(fd);
    free(kh.text);
    return 1;
  }

  exchange *x = malloc(sizeof *x);
  session *s = malloc(sizeof *s);
  if (x == NULL || s == NULL) {
    fprintf(stderr, "client: out of memory\n");
    free(x);
    free(s);
    ossuary_destroy_connection(&conn);
    close(fd);
    free(kh.text);
    return 1;
  }
  exchange_init(x, 1, message, bytes);
  session_app app = exchange_app(x);
  app.trust = trust_server;
  app.trust_ctx = &kh;
  session_start(s, fd, conn, app, start, handshake_ms, io_ms);

  /* The event loop: one socket here; the server runs the same steps for
   * many. */
  session_step(s, now_ms());
  while (!session_over(s)) {
    struct pollfd p = {.fd = s->fd, .events = session_events(s), .revents = 0};
    if (poll(&p, 1, session_timeout(s, now_ms())) < 0 && errno != EINTR) {
      snprintf(s->why, sizeof s->why, "poll: %s", strerror(errno));
      s->phase = SESSION_FAILED;
      break;
    }
    session_step(s, now_ms());
  }

  int status = 0;
  if (s->phase == SESSION_DONE) {
    uint8_t key[32];
    fingerprint fp;
    snprintf(fp.text, sizeof fp.text, "(unknown)");
    if (ossuary_remote_public_key(s->conn, key, sizeof key) == OSSUARY_ERR_OK) {
      key_fingerprint(key, &fp);
    }
    char shown[MESSAGE_MAX + 1];
    printable((const uint8_t *)x->message, x->message_len, shown, sizeof shown);
    printf("server %s port %u: key %s (%s)\n", host, (unsigned)port, fp.text,
           kh.recorded ? "new: recorded in the known-hosts file"
                       : "known: pinned from the known-hosts file");
    printf("server says: %s\n", shown);
    printf("received %" PRIu64 " bytes of data, all as expected\n",
           x->received);
    printf("sent %" PRIu64 " bytes of data; both sides closed cleanly\n",
           x->sent);
  } else {
    report_failure(s, &kh, key_path, x->have_message || x->message_len > 0);
    status = 1;
  }
  session_end(s);
  free(s);
  free(x);
  free(kh.text);
  return status;
}
