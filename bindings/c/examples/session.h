/* session.h: one Ossuary connection over one non-blocking socket, driven
 * from the caller's poll() loop. The client runs one session; the server
 * runs one per accepted socket in a single loop.
 *
 * The library never touches the socket: bytes read from it go into the
 * connection, and the connection's output is written to it. session.c is
 * the part of the examples to copy: it shows where each call goes and why
 * every read and write is drained until the socket says EAGAIN and the
 * library says it has nothing more. */
#ifndef OSSUARY_EXAMPLE_SESSION_H
#define OSSUARY_EXAMPLE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "ossuary.h"

/* Bytes moved through one read(), one write(), one decryption. */
#define SESSION_BUF (64 * 1024)

/* Room for a failure's description. */
#define SESSION_WHY 1024

typedef enum {
  SESSION_HANDSHAKE, /* agreeing keys; no application data yet */
  SESSION_OPEN,      /* data flows both ways */
  SESSION_DONE,      /* both sides sent everything and closed cleanly */
  SESSION_FAILED,    /* see `err` and `why` */
} session_phase;

/* The application behind a session. The callbacks but `trust` get `ctx`. */
typedef struct {
  void *ctx;
  /* The plaintext to send next: sets `*data` and returns its length, or
   * returns 0 when everything was sent (the session then sends an
   * authenticated close). Called once the handshake is done. */
  size_t (*pending)(void *ctx, const uint8_t **data);
  /* The library took the first `n` bytes of what `pending` offered. */
  void (*consumed)(void *ctx, size_t n);
  /* Plaintext from the peer. Returns 0, or -1 after writing to `why`
   * (`why_len` bytes) what is wrong: the session then fails. */
  int (*received)(void *ctx, const uint8_t *data, size_t len, char *why,
                  size_t why_len);
  /* The peer's authenticated close arrived: no more data comes. Returns 0
   * when everything the application expected came, or -1 after writing why
   * not. */
  int (*peer_closed)(void *ctx, char *why, size_t why_len);
  /* Clients only, and only with OSSUARY_FLAG_TRUST_ON_FIRST_USE: the server
   * proved `key`, which the client did not pin. Returns 1 to go on, or 0
   * after writing to `why` the reason it is refused. Gets `trust_ctx`. */
  int (*trust)(void *trust_ctx, const uint8_t key[32], char *why,
               size_t why_len);
  void *trust_ctx;
} session_app;

typedef struct {
  int fd;
  OssuaryConnection *conn;
  session_app app;
  session_phase phase;
  /* When failed: the library's code, or 0 for a failure of the socket, a
   * timeout or the application; `why` says what happened. */
  int32_t err;
  char why[SESSION_WHY];
  /* When failed: the phase it failed in. */
  session_phase failed_in;
  /* Monotonic milliseconds (now_ms()). */
  int64_t handshake_ms;
  int64_t handshake_deadline;
  int64_t io_timeout;
  int64_t last_io;
  int eof;          /* the socket's read side ended (read() returned 0) */
  int peer_done;    /* the peer's authenticated close arrived */
  int close_queued; /* our authenticated close was queued */
  int shut_wr;      /* our side of the TCP stream was shut down */
  /* Bytes read from the socket that the library has not consumed yet. */
  size_t in_len;
  /* Bytes taken from the library, not yet written to the socket. */
  size_t out_off, out_len;
  uint8_t in[SESSION_BUF];
  uint8_t out[SESSION_BUF];
  uint8_t plain[SESSION_BUF];
} session;

/* Starts a session on the connected, non-blocking socket `fd` with the new
 * connection `conn`; the session owns both from now on (session_end frees
 * them). The handshake must finish within `handshake_ms` of `deadline_from`
 * (a now_ms() value); after it, the session fails when no byte moves
 * either way for `io_ms`. Call session_step once right away: a client's
 * first message is waiting. */
void session_start(session *s, int fd, OssuaryConnection *conn,
                   session_app app, int64_t deadline_from,
                   int64_t handshake_ms, int64_t io_ms);

/* The poll() events the session waits for (POLLIN, POLLOUT). */
short session_events(const session *s);

/* Milliseconds until the session's next deadline, for poll()'s timeout. */
int session_timeout(const session *s, int64_t now);

/* Does everything that can be done without waiting: writes, reads, feeds
 * the library, hands plaintext to the application, checks deadlines. Call
 * it whenever poll() reports the socket, or when session_timeout reaches 0.
 * Afterwards `phase` says whether the session goes on. */
void session_step(session *s, int64_t now);

/* Whether the session is over (SESSION_DONE or SESSION_FAILED). */
int session_over(const session *s);

/* Closes the socket and destroys the connection. */
void session_end(session *s);

#endif
