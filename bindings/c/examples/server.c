/* server: accepts the client example over TCP, many clients at once in one
 * poll() loop, and with each exchanges a message and --bytes of checked
 * data each way, then closes cleanly.
 *
 *   server --key FILE (--authorized-keys FILE | --allow-any-client)
 *          [--listen ADDR] [--port N] [--connections N] [--max-clients N]
 *          [--message TEXT] [--bytes N] [--handshake-timeout SECS]
 *          [--io-timeout SECS]
 *
 * The first line on standard output is the port it listens on, alone, so a
 * script can read it (with --port 0, the default, the system picks a free
 * one); then one line per client served. Failures go to standard error.
 *
 * With --authorized-keys only the client keys listed there are served (an
 * authenticating server); --allow-any-client serves any client, anonymous
 * ones included. One of the two is required: opening the server to
 * everyone is a choice to write down, not a default.
 *
 * With --connections N it exits after N clients: 0 if each was served
 * completely, 1 otherwise. Without it, it serves until it is killed. */
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
    "usage: server --key FILE (--authorized-keys FILE | --allow-any-client)\n"
    "              [options]\n"
    "  --key FILE                the server's secret key (see keygen)\n"
    "  --authorized-keys FILE    serve only the client keys in FILE (lines\n"
    "                            'ossuary-ed25519 <base64> [comment]')\n"
    "  --allow-any-client        serve any client, anonymous ones included\n"
    "  --listen ADDR             the address to listen on (default 127.0.0.1;\n"
    "                            :: for every IPv6 and IPv4 address)\n"
    "  --port N                  the port (default 0: any free port; the\n"
    "                            port is printed on the first line)\n"
    "  --connections N           exit after N clients (default: serve until\n"
    "                            killed)\n"
    "  --max-clients N           clients served at once (default 16)\n"
    "  --message TEXT            the line to send each client (default: hello\n"
    "                            from the server)\n"
    "  --bytes N                 also send N bytes of checked data, such as\n"
    "                            64K or 8M (default 0)\n"
    "  --handshake-timeout SECS  drop a client whose handshake takes longer\n"
    "                            (default 10)\n"
    "  --io-timeout SECS         drop a client when no byte moves either way\n"
    "                            this long after the handshake (default 30)\n";

/* Authorized keys files larger than this are refused. */
#define AUTHORIZED_MAX_BYTES (4 * 1024 * 1024)
#define MAX_CLIENTS_LIMIT 1024

/* The client keys served. */
typedef struct {
  uint8_t (*keys)[32];
  size_t count;
} authorized;

/* One client being served. */
typedef struct {
  session s;
  exchange x;
  char peer[96]; /* "ADDRESS port PORT" */
} slot;

/* Reads the authorized keys file: one public key line per line, '#'
 * comments and blank lines allowed. Each line is parsed by the library. */
static int load_authorized(const char *path, authorized *a) {
  char *text = NULL;
  size_t len = 0;
  if (read_file(path, AUTHORIZED_MAX_BYTES, &text, &len) != 0) {
    fprintf(stderr,
            "server: cannot read the authorized keys file %s: %s (give the "
            "file that lists client public keys, or --allow-any-client)\n",
            path, errno == EFBIG ? "larger than 4 MiB" : strerror(errno));
    return -1;
  }
  a->keys = NULL;
  a->count = 0;
  const char *p = text, *end = text + len;
  unsigned lineno = 0;
  int status = 0;
  while (p < end && status == 0) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *line = p, *line_end = nl != NULL ? nl : end;
    p = nl != NULL ? nl + 1 : end;
    lineno++;
    const char *q = line;
    while (q < line_end && (*q == ' ' || *q == '\t' || *q == '\r')) {
      q++;
    }
    if (q == line_end || *q == '#') {
      continue;
    }
    uint8_t key[32];
    if (ossuary_key_parse_public(q, (size_t)(line_end - q), key) !=
        OSSUARY_ERR_OK) {
      fprintf(stderr,
              "server: %s line %u is not a public key line (expected "
              "'ossuary-ed25519 <base64> [comment]', the line of a client's "
              ".pub file from keygen); fix or delete that line\n",
              path, lineno);
      status = -1;
      break;
    }
    uint8_t(*grown)[32] = realloc(a->keys, (a->count + 1) * sizeof *a->keys);
    if (grown == NULL) {
      fprintf(stderr, "server: out of memory reading %s\n", path);
      status = -1;
      break;
    }
    a->keys = grown;
    memcpy(a->keys[a->count++], key, 32);
  }
  if (status == 0 && a->count == 0) {
    fprintf(stderr,
            "server: %s lists no keys, so every client would be refused; add "
            "the line of each client's .pub file\n",
            path);
    status = -1;
  }
  /* The library reads the whole file the same way. */
  if (status == 0 &&
      ossuary_authorized_keys_contains(text, len, a->keys[0]) != 1) {
    fprintf(stderr, "server: %s is not an authorized keys file\n", path);
    status = -1;
  }
  free(text);
  if (status != 0) {
    free(a->keys);
    a->keys = NULL;
    a->count = 0;
  }
  return status;
}

/* A non-blocking listening socket on ADDR:PORT; `*bound` gets the port. */
static int listen_on(const char *addr, uint16_t port, uint16_t *bound) {
  char service[8];
  snprintf(service, sizeof service, "%u", (unsigned)port);
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  struct addrinfo *ai = NULL;
  int gai = getaddrinfo(addr, service, &hints, &ai);
  if (gai != 0) {
    fprintf(stderr, "server: --listen: '%s' is not an IP address (%s)\n", addr,
            gai_strerror(gai));
    return -1;
  }
  int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
  int one = 1;
  const char *doing = "socket";
  if (fd >= 0) {
    /* Restarting the server must not wait for old connections' TIME_WAIT. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int flags = fcntl(fd, F_GETFL);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      doing = "bind";
    } else if (listen(fd, 128) != 0) {
      doing = "listen";
    } else if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
      doing = "fcntl";
    } else {
      doing = NULL;
    }
  }
  if (doing != NULL) {
    fprintf(stderr, "server: cannot listen on %s port %u: %s: %s\n", addr,
            (unsigned)port, doing, strerror(errno));
    if (fd >= 0) {
      close(fd);
    }
    freeaddrinfo(ai);
    return -1;
  }
  freeaddrinfo(ai);
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  char host[INET6_ADDRSTRLEN + 16], serv[16];
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
      getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, serv,
                  sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    fprintf(stderr, "server: cannot read the port listened on: %s\n",
            strerror(errno));
    close(fd);
    return -1;
  }
  *bound = (uint16_t)atoi(serv);
  return fd;
}

/* Reports how the session with a client ended; returns 1 if it failed. */
static int report(slot *c, const char *authorized_path,
                  const char *server_fp) {
  uint8_t key[32];
  fingerprint fp;
  int has_key =
      ossuary_remote_public_key(c->s.conn, key, sizeof key) == OSSUARY_ERR_OK;
  if (has_key) {
    key_fingerprint(key, &fp);
  } else {
    snprintf(fp.text, sizeof fp.text, "anonymous");
  }
  if (c->s.phase == SESSION_DONE) {
    char shown[MESSAGE_MAX + 1];
    printable((const uint8_t *)c->x.message, c->x.message_len, shown,
              sizeof shown);
    printf("client %s (%s) says: %s; received %" PRIu64
           " bytes of data, all as expected; sent %" PRIu64
           "; both sides closed cleanly\n",
           c->peer, fp.text, shown, c->x.received, c->x.sent);
    return 0;
  }
  if (c->s.err == OSSUARY_ERR_UNAUTHORIZED_CLIENT && has_key) {
    fprintf(stderr,
            "server: client %s refused: its key %s is not in %s (to admit "
            "it, add the line of its .pub file there)\n",
            c->peer, fp.text, authorized_path);
  } else if (c->s.err == OSSUARY_ERR_UNAUTHORIZED_CLIENT) {
    fprintf(stderr,
            "server: client %s refused: it is anonymous (gave no key), and "
            "only the keys in %s are served\n",
            c->peer, authorized_path);
  } else if (c->s.err == OSSUARY_ERR_PEER_RESET &&
             c->s.failed_in == SESSION_HANDSHAKE) {
    /* The client gave up before proving who it is. */
    fprintf(stderr,
            "server: client %s ended the handshake (%s): it may not trust "
            "this server's key (it should expect %s), or it has no key of "
            "its own and this server requires one\n",
            c->peer, c->s.why, server_fp);
  } else {
    fprintf(stderr, "server: client %s (%s): %s\n", c->peer, fp.text,
            c->s.why);
  }
  return 1;
}

/* The value of option argv[*i]: advances *i, or says it is missing. */
static const char *value_of(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) {
    fprintf(stderr, "server: %s needs a value\n", argv[*i]);
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
  const char *key_path = NULL, *authorized_path = NULL;
  const char *listen_addr = "127.0.0.1";
  const char *message = "hello from the server";
  int allow_any = 0;
  uint16_t port = 0;
  unsigned connections = 0, max_clients = 16;
  uint64_t bytes = 0;
  int64_t handshake_ms = 10000, io_ms = 30000;

  for (int i = 1; i < argc; i++) {
    const char *opt = argv[i], *v = NULL;
    if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
      fputs(usage, stdout);
      return 0;
    } else if (strcmp(opt, "--allow-any-client") == 0) {
      allow_any = 1;
    } else if (strcmp(opt, "--key") == 0) {
      if ((key_path = value_of(argc, argv, &i)) == NULL) {
        return usage_error();
      }
    } else if (strcmp(opt, "--authorized-keys") == 0) {
      if ((authorized_path = value_of(argc, argv, &i)) == NULL) {
        return usage_error();
      }
    } else if (strcmp(opt, "--listen") == 0) {
      if ((listen_addr = value_of(argc, argv, &i)) == NULL) {
        return usage_error();
      }
    } else if (strcmp(opt, "--port") == 0) {
      if ((v = value_of(argc, argv, &i)) == NULL ||
          parse_port("server", opt, v, 1, &port) != 0) {
        return usage_error();
      }
    } else if (strcmp(opt, "--connections") == 0) {
      if ((v = value_of(argc, argv, &i)) == NULL ||
          parse_count("server", opt, v, 1, 1000000000, &connections) != 0) {
        return usage_error();
      }
    } else if (strcmp(opt, "--max-clients") == 0) {
      if ((v = value_of(argc, argv, &i)) == NULL ||
          parse_count("server", opt, v, 1, MAX_CLIENTS_LIMIT, &max_clients) !=
              0) {
        return usage_error();
      }
    } else if (strcmp(opt, "--message") == 0) {
      if ((message = value_of(argc, argv, &i)) == NULL ||
          parse_message("server", opt, message) != 0) {
        return usage_error();
      }
    } else if (strcmp(opt, "--bytes") == 0) {
      if ((v = value_of(argc, argv, &i)) == NULL ||
          parse_size("server", opt, v, &bytes) != 0) {
        return usage_error();
      }
    } else if (strcmp(opt, "--handshake-timeout") == 0) {
      if ((v = value_of(argc, argv, &i)) == NULL ||
          parse_seconds("server", opt, v, &handshake_ms) != 0) {
        return usage_error();
      }
    } else if (strcmp(opt, "--io-timeout") == 0) {
      if ((v = value_of(argc, argv, &i)) == NULL ||
          parse_seconds("server", opt, v, &io_ms) != 0) {
        return usage_error();
      }
    } else {
      fprintf(stderr, "server: unknown option '%s'\n", opt);
      return usage_error();
    }
  }
  if (key_path == NULL) {
    fprintf(stderr, "server: --key FILE is required\n");
    return usage_error();
  }
  if ((authorized_path == NULL) == !allow_any) {
    fprintf(stderr,
            "server: give exactly one of --authorized-keys FILE and "
            "--allow-any-client\n");
    return usage_error();
  }

  signal(SIGPIPE, SIG_IGN); /* see client.c */
  /* The port line must reach a script reading a pipe at once. */
  setvbuf(stdout, NULL, _IOLBF, 0);

  uint8_t secret[32];
  if (load_secret_key("server", key_path, secret) != 0) {
    return 1;
  }
  authorized auth = {NULL, 0};
  if (authorized_path != NULL && load_authorized(authorized_path, &auth) != 0) {
    wipe(secret, sizeof secret);
    return 1;
  }
  uint16_t bound = 0;
  int lfd = listen_on(listen_addr, port, &bound);
  slot **slots = calloc(max_clients, sizeof *slots);
  struct pollfd *fds = calloc(max_clients + 1, sizeof *fds);
  if (lfd < 0 || slots == NULL || fds == NULL) {
    if (lfd >= 0) {
      fprintf(stderr, "server: out of memory\n");
      close(lfd);
    }
    free(slots);
    free(fds);
    free(auth.keys);
    wipe(secret, sizeof secret);
    return 1;
  }
  printf("%u\n", (unsigned)bound);
  /* Everything else for people goes after the port line. The server key's
   * fingerprint: a connection is how the C API derives a public key. */
  uint8_t server_key[32];
  fingerprint server_fp;
  OssuaryConnection *probe = NULL;
  if (ossuary_conn_new_server(OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER, secret,
                              0, &probe) == OSSUARY_ERR_OK &&
      ossuary_conn_local_public_key(probe, server_key, sizeof server_key) ==
          OSSUARY_ERR_OK) {
    key_fingerprint(server_key, &server_fp);
  } else {
    snprintf(server_fp.text, sizeof server_fp.text, "(unknown)");
  }
  ossuary_destroy_connection(&probe);
  if (authorized_path != NULL) {
    fprintf(stderr, "server: key %s; serving the %zu client key(s) in %s\n",
            server_fp.text, auth.count, authorized_path);
  } else {
    fprintf(stderr, "server: key %s; serving any client\n", server_fp.text);
  }

  int32_t role = authorized_path != NULL
                     ? OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER
                     : OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER;
  unsigned accepted = 0, active = 0, failures = 0;
  int accept_paused = 0; /* out of file descriptors: wait for a client to end */
  while (connections == 0 || accepted < connections || active > 0) {
    int can_accept = !accept_paused && active < max_clients &&
                     (connections == 0 || accepted < connections);
    fds[0].fd = can_accept ? lfd : -1; /* poll() skips negative fds */
    fds[0].events = POLLIN;
    fds[0].revents = 0;
    int timeout = -1;
    int64_t now = now_ms();
    for (unsigned i = 0; i < max_clients; i++) {
      fds[i + 1].fd = slots[i] != NULL ? slots[i]->s.fd : -1;
      fds[i + 1].events = slots[i] != NULL ? session_events(&slots[i]->s) : 0;
      fds[i + 1].revents = 0;
      if (slots[i] != NULL) {
        int t = session_timeout(&slots[i]->s, now);
        if (timeout < 0 || t < timeout) {
          timeout = t;
        }
      }
    }
    if (poll(fds, max_clients + 1, timeout) < 0 && errno != EINTR) {
      fprintf(stderr, "server: poll: %s\n", strerror(errno));
      break;
    }
    now = now_ms();

    /* Each client whose socket is ready, or whose deadline came. */
    for (unsigned i = 0; i < max_clients; i++) {
      slot *c = slots[i];
      if (c == NULL ||
          (fds[i + 1].revents == 0 && session_timeout(&c->s, now) > 0)) {
        continue;
      }
      session_step(&c->s, now);
      if (session_over(&c->s)) {
        failures += (unsigned)report(c, authorized_path, server_fp.text);
        session_end(&c->s);
        free(c);
        slots[i] = NULL;
        active--;
        accept_paused = 0;
      }
    }

    /* Accept every waiting connection (drain until EAGAIN), as far as the
     * limits allow. */
    while ((fds[0].revents & POLLIN) && active < max_clients &&
           (connections == 0 || accepted < connections)) {
      struct sockaddr_storage ss;
      socklen_t sl = sizeof ss;
      int fd = accept(lfd, (struct sockaddr *)&ss, &sl);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) {
          continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          fprintf(stderr, "server: accept: %s\n", strerror(errno));
          accept_paused = errno == EMFILE || errno == ENFILE;
        }
        break;
      }
      accepted++;
      slot *c = malloc(sizeof *c);
      unsigned free_slot = 0;
      while (free_slot < max_clients && slots[free_slot] != NULL) {
        free_slot++;
      }
      char host[INET6_ADDRSTRLEN + 16], serv[16];
      if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, serv,
                      sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(host, sizeof host, "?");
        snprintf(serv, sizeof serv, "?");
      }
      int flags = fcntl(fd, F_GETFL);
      int one = 1;
      OssuaryConnection *conn = NULL;
      int32_t rc = OSSUARY_ERR_OTHER;
      if (c != NULL && flags >= 0 &&
          fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        /* One connection per accepted socket: its handshake deadline
         * starts now. */
        rc = ossuary_conn_new_server(role, secret, 0, &conn);
        for (size_t k = 0; rc == OSSUARY_ERR_OK && k < auth.count; k++) {
          rc = ossuary_conn_add_authorized_key(conn, auth.keys[k]);
        }
      }
      if (rc != OSSUARY_ERR_OK) {
        fprintf(stderr, "server: client %s port %s dropped: %s\n", host, serv,
                c == NULL ? "out of memory" : ossuary_error_string(rc));
        ossuary_destroy_connection(&conn);
        close(fd);
        free(c);
        failures++;
        continue;
      }
      snprintf(c->peer, sizeof c->peer, "%s port %s", host, serv);
      exchange_init(&c->x, 0, message, bytes);
      session_start(&c->s, fd, conn, exchange_app(&c->x), now, handshake_ms,
                    io_ms);
      slots[free_slot] = c;
      active++;
      session_step(&c->s, now);
      if (session_over(&c->s)) {
        failures += (unsigned)report(c, authorized_path, server_fp.text);
        session_end(&c->s);
        free(c);
        slots[free_slot] = NULL;
        active--;
      }
    }
  }

  for (unsigned i = 0; i < max_clients; i++) {
    if (slots[i] != NULL) {
      session_end(&slots[i]->s);
      free(slots[i]);
    }
  }
  close(lfd);
  free(slots);
  free(fds);
  free(auth.keys);
  wipe(secret, sizeof secret);
  return failures == 0 ? 0 : 1;
}
