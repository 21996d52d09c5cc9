/* session.c: drives one Ossuary connection over one non-blocking socket.
 *
 * The loop in session_step is the pattern to copy. Three rules make it
 * correct; each is where C programs using a sans-IO library usually go
 * wrong:
 *
 * 1. Drain both sides until they say "nothing more". poll() only says a
 *    socket is ready; read and write until it returns EAGAIN. The library
 *    holds bytes too: after feeding it, call it again while it makes
 *    progress (plaintext that did not fit the buffer waits inside it), and
 *    after any call, take its output: handshake replies, key updates, the
 *    close and a RESET appear without the application sending anything.
 *    Stop only when a whole pass moved no byte, then go back to poll().
 *
 * 2. Never block on one direction. Both peers may send megabytes at once:
 *    a program that writes everything before it reads fills both TCP
 *    buffers and deadlocks with its peer. Ask poll() for POLLIN whenever
 *    there is room to read and for POLLOUT whenever output waits, and do
 *    whichever is ready.
 *
 * 3. Offer unconsumed input again. The library reports how many bytes it
 *    consumed; keep the rest and put them first next time.
 *
 * Timeouts are the application's: the library checks its own handshake
 * deadline only when it is called, and never waits for anything. */
#define _POSIX_C_SOURCE 200809L

#include "session.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Marks the session failed with `code` (0: not the library's) and a
 * description. The first failure is the one reported. */
static void fail(session *s, int32_t code, const char *fmt, ...) {
  if (s->phase == SESSION_FAILED) {
    return;
  }
  s->failed_in = s->phase;
  s->phase = SESSION_FAILED;
  s->err = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->why, sizeof s->why, fmt, ap);
  va_end(ap);
}

/* A library call failed while `doing`. */
static void fail_lib(session *s, int32_t code, const char *doing) {
  fail(s, code, "%s: %s", doing, ossuary_error_string(code));
}

void session_start(session *s, int fd, OssuaryConnection *conn,
                   session_app app, int64_t deadline_from,
                   int64_t handshake_ms, int64_t io_ms) {
  /* The buffers are large: clear only the state. */
  s->fd = fd;
  s->conn = conn;
  s->app = app;
  s->phase = SESSION_HANDSHAKE;
  s->err = 0;
  s->why[0] = '\0';
  s->failed_in = SESSION_HANDSHAKE;
  s->handshake_ms = handshake_ms;
  s->handshake_deadline = deadline_from + handshake_ms;
  s->io_timeout = io_ms;
  s->last_io = deadline_from;
  s->eof = 0;
  s->peer_done = 0;
  s->close_queued = 0;
  s->shut_wr = 0;
  s->in_len = 0;
  s->out_off = 0;
  s->out_len = 0;
}

int session_over(const session *s) {
  return s->phase == SESSION_DONE || s->phase == SESSION_FAILED;
}

short session_events(const session *s) {
  short events = 0;
  if (!s->eof && s->in_len < sizeof s->in) {
    events |= POLLIN;
  }
  size_t pending = 0;
  if (s->out_off < s->out_len ||
      (ossuary_conn_pending_output(s->conn, &pending) == OSSUARY_ERR_OK &&
       pending > 0)) {
    events |= POLLOUT;
  }
  return events;
}

int session_timeout(const session *s, int64_t now) {
  int64_t deadline = s->phase == SESSION_HANDSHAKE
                         ? s->handshake_deadline
                         : s->last_io + s->io_timeout;
  int64_t left = deadline - now;
  if (left < 0) {
    return 0;
  }
  return left > INT_MAX ? INT_MAX : (int)left;
}

/* Writes the library's output to the socket until the socket is full
 * (EAGAIN) or the library has nothing more. Returns 1 if a byte moved. */
static int write_output(session *s, int64_t now) {
  int moved = 0;
  for (;;) {
    if (s->out_off == s->out_len) {
      /* Our buffer is empty: take the next bytes the library has. Once
       * taken they are ours to deliver. */
      size_t n = 0;
      int32_t rc = ossuary_conn_take_output(s->conn, s->out, sizeof s->out, &n);
      s->out_off = 0;
      s->out_len = 0;
      if (rc != OSSUARY_ERR_OK) {
        fail_lib(s, rc, "taking output");
        return moved;
      }
      if (n == 0) {
        return moved;
      }
      s->out_len = n;
    }
    /* MSG_NOSIGNAL: a peer that went away gives EPIPE here instead of a
     * SIGPIPE that would kill the whole process. */
    ssize_t w = send(s->fd, s->out + s->out_off, s->out_len - s->out_off,
                     MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return moved; /* poll() for POLLOUT, then come back */
      }
      fail(s, 0, "sending to the peer failed: %s", strerror(errno));
      return moved;
    }
    s->out_off += (size_t)w;
    s->last_io = now;
    moved = 1;
  }
}

/* Reads from the socket until it has nothing more (EAGAIN), it ended, or
 * our input buffer is full. Returns 1 if anything happened. */
static int read_input(session *s, int64_t now) {
  int moved = 0;
  while (!s->eof && s->in_len < sizeof s->in) {
    ssize_t r = recv(s->fd, s->in + s->in_len, sizeof s->in - s->in_len, 0);
    if (r > 0) {
      s->in_len += (size_t)r;
      s->last_io = now;
      moved = 1;
    } else if (r == 0) {
      s->eof = 1; /* handled after what was read before it is fed */
      moved = 1;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else {
      fail(s, 0, "receiving from the peer failed: %s", strerror(errno));
      break;
    }
  }
  return moved;
}

/* Drops the first `n` bytes of the input buffer (the library consumed
 * them) and keeps the rest for the next call. */
static void drop_input(session *s, size_t n) {
  memmove(s->in, s->in + n, s->in_len - n);
  s->in_len -= n;
}

/* The client's Trust-On-First-Use decision: the handshake is paused on a
 * server key the client did not pin. */
static void decide_trust(session *s) {
  uint8_t key[32];
  int32_t rc = ossuary_remote_public_key(s->conn, key, sizeof key);
  if (rc != OSSUARY_ERR_OK) {
    fail_lib(s, rc, "reading the server's key");
    return;
  }
  char why[SESSION_WHY] = "the server's key is not trusted";
  if (s->app.trust != NULL && s->app.trust(s->app.trust_ctx, key, why, sizeof why)) {
    rc = ossuary_conn_trust_server(s->conn);
    if (rc != OSSUARY_ERR_OK) {
      fail_lib(s, rc, "accepting the server's key");
    }
    return;
  }
  /* Refusing queues a RESET that tells the server why we leave; it goes
   * out with the best-effort write after the failure. */
  ossuary_conn_reject_server(s->conn);
  fail(s, OSSUARY_ERR_UNTRUSTED_SERVER, "%s", why);
}

/* Feeds handshake bytes. Returns 1 if anything changed. */
static int feed_handshake(session *s) {
  int moved = 0;
  for (;;) {
    /* Also with no input: the call then checks the library's own
     * handshake deadline. */
    size_t used = 0;
    int32_t rc = ossuary_conn_recv_handshake(s->conn, s->in, s->in_len, &used);
    if (rc != OSSUARY_ERR_OK) {
      fail_lib(s, rc, "handshake failed");
      return 1;
    }
    if (used > 0) {
      drop_input(s, used);
      moved = 1;
    }
    int32_t status = ossuary_conn_handshake_status(s->conn);
    if (status == 1) {
      /* Done. Bytes after the last handshake message are records: they
       * stay in `in` for ossuary_conn_recv. */
      s->phase = SESSION_OPEN;
      return 1;
    }
    if (status == OSSUARY_ERR_UNTRUSTED_SERVER) {
      decide_trust(s);
      if (s->phase == SESSION_FAILED) {
        return 1;
      }
      moved = 1;
      continue; /* trusted: the handshake is done, or goes on */
    }
    if (status < 0) {
      fail_lib(s, status, "handshake failed");
      return 1;
    }
    return moved; /* running: more input needed */
  }
}

/* Decrypts records and hands the plaintext to the application. Returns 1
 * if anything changed. */
static int feed_records(session *s) {
  int moved = 0;
  for (;;) {
    size_t used = 0, got = 0;
    int32_t rc = ossuary_conn_recv(s->conn, s->in, s->in_len, s->plain,
                                   sizeof s->plain, &used, &got);
    if (rc != OSSUARY_ERR_OK) {
      fail_lib(s, rc, "receiving");
      return 1;
    }
    drop_input(s, used);
    if (got > 0) {
      char why[SESSION_WHY];
      if (s->app.received(s->app.ctx, s->plain, got, why, sizeof why) != 0) {
        fail(s, 0, "%s", why);
        return 1;
      }
    }
    /* Call again while a call makes progress: plaintext that did not fit
     * `plain` is still inside the library, even with no new input. */
    if (used == 0 && got == 0) {
      break;
    }
    moved = 1;
  }
  if (!s->peer_done && ossuary_conn_peer_closed(s->conn) == 1) {
    s->peer_done = 1;
    char why[SESSION_WHY];
    if (s->app.peer_closed(s->app.ctx, why, sizeof why) != 0) {
      fail(s, 0, "%s", why);
    }
    moved = 1;
  }
  return moved;
}

/* Gives the library the application's plaintext while it takes it, then
 * the authenticated close. Returns 1 if anything changed. */
static int produce(session *s) {
  int moved = 0;
  while (!s->close_queued) {
    const uint8_t *data = NULL;
    size_t n = s->app.pending(s->app.ctx, &data);
    if (n == 0) {
      /* Everything was sent: an authenticated close lets the peer tell a
       * clean end from a cut connection. */
      int32_t rc = ossuary_conn_close(s->conn);
      if (rc != OSSUARY_ERR_OK) {
        fail_lib(s, rc, "closing");
      }
      s->close_queued = 1;
      return 1;
    }
    size_t used = 0;
    int32_t rc = ossuary_conn_send(s->conn, data, n, &used);
    if (rc != OSSUARY_ERR_OK) {
      fail_lib(s, rc, "sending");
      return 1;
    }
    if (used == 0) {
      /* The library holds about a record of output already: it takes more
       * once the socket has taken that (write_output). This is where a
       * slow peer slows the sender down, with bounded memory. */
      break;
    }
    s->app.consumed(s->app.ctx, used);
    moved = 1;
  }
  return moved;
}

/* Ends the TCP stream once our close is written, and acts on the end of
 * the peer's. Returns 1 if anything changed. */
static int finish(session *s) {
  int moved = 0;
  size_t pending = 0;
  if (s->close_queued && !s->shut_wr && s->out_off == s->out_len &&
      ossuary_conn_pending_output(s->conn, &pending) == OSSUARY_ERR_OK &&
      pending == 0) {
    /* Everything, our close included, is in the socket: send FIN. Keep
     * reading until the peer's FIN, so that closing the socket never
     * discards bytes the peer still has to read (a close() with unread
     * input sends a TCP RST). */
    shutdown(s->fd, SHUT_WR);
    s->shut_wr = 1;
    moved = 1;
  }
  if (s->eof && s->in_len == 0) {
    /* The library tells a clean end (after the peer's authenticated close)
     * from a truncation. */
    int32_t rc = ossuary_conn_end_of_input(s->conn);
    if (rc != OSSUARY_ERR_OK) {
      if (s->phase == SESSION_HANDSHAKE) {
        fail(s, rc, "the peer closed the connection during the handshake");
      } else {
        fail(s, rc,
             "the connection ended without the peer's authenticated close: "
             "data may be missing");
      }
      return 1;
    }
    if (s->shut_wr) {
      s->phase = SESSION_DONE;
      return 1;
    }
  }
  return moved;
}

void session_step(session *s, int64_t now) {
  while (!session_over(s)) {
    int moved = 0;
    moved |= write_output(s, now);
    moved |= read_input(s, now);
    if (s->phase == SESSION_HANDSHAKE) {
      moved |= feed_handshake(s);
    }
    if (s->phase == SESSION_OPEN) {
      moved |= feed_records(s);
    }
    if (s->phase == SESSION_OPEN) {
      moved |= produce(s);
    }
    if (!session_over(s)) {
      moved |= finish(s);
    }
    if (!moved) {
      break; /* nothing more without waiting: back to poll() */
    }
  }
  if (s->phase == SESSION_HANDSHAKE && now >= s->handshake_deadline) {
    fail(s, 0, "the handshake did not finish within %.1f s",
         (double)s->handshake_ms / 1000.0);
  }
  if (s->phase == SESSION_OPEN && now - s->last_io >= s->io_timeout) {
    fail(s, 0, "no data moved either way for %.1f s",
         (double)s->io_timeout / 1000.0);
  }
  if (s->phase == SESSION_FAILED) {
    /* Best effort, without waiting: the library may have queued a RESET
     * that tells the peer why the session ends. */
    write_output(s, now);
  }
}

void session_end(session *s) {
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
  ossuary_destroy_connection(&s->conn); /* sets s->conn to NULL */
}
