/* ossuary.h: the C API of Ossuary (libossuary.a, libossuary.so).
 *
 * GENERATED FILE, DO NOT EDIT: written by `cargo xtask headers` from the
 * Rust definitions in crates/ossuary-ffi; `cargo xtask headers --check`
 * fails when this file differs from what they produce.
 */

#ifndef OSSUARY_H
#define OSSUARY_H
#ifdef __cplusplus
extern "C" {
#endif


#include <stddef.h>
#include <stdint.h>

/** \brief
 *  Flag for `ossuary_conn_new_client`: when the server proves a key that
 *  was not pinned with `ossuary_conn_add_authorized_key`, pause the
 *  handshake (`OSSUARY_ERR_UNTRUSTED_SERVER` from
 *  `ossuary_conn_handshake_status`) for the application to decide with
 *  `ossuary_conn_trust_server` or `ossuary_conn_reject_server`
 *  (Trust-On-First-Use). Without it such a server is refused. A server key
 *  that differs from a pinned one is refused either way. Servers take no
 *  flags yet.
 */
#define OSSUARY_FLAG_TRUST_ON_FIRST_USE 1

/** \brief
 *  Length of a frame header (`type:u8 || length:u16`, big-endian): the
 *  plaintext to seal in place starts this many bytes into the buffer, and a
 *  frame is this many bytes plus the length in its header.
 */
#define OSSUARY_RECORD_HEADER_LEN 3

/** \brief
 *  The room `ossuary_conn_seal_in_place` needs beside the plaintext: a
 *  buffer for `len` plaintext bytes holds `len + OSSUARY_SEAL_ROOM` (38):
 *  the header, the tag, and a key-update frame when one is due.
 */
#define OSSUARY_SEAL_ROOM 38

/** \brief
 *  The major version of the library this header belongs to.
 */
#define OSSUARY_VERSION_MAJOR 0

/** \brief
 *  The minor version of the library this header belongs to.
 */
#define OSSUARY_VERSION_MINOR 1

/** \brief
 *  The patch version of the library this header belongs to.
 */
#define OSSUARY_VERSION_PATCH 0

/** \brief
 *  The role of a connection, as `ossuary_create_connection` takes it. The
 *  values are the original libossuary's. Functions take it as a plain
 *  integer and refuse any other value.
 */
/** \remark Has the same ABI as `int32_t` **/
#ifdef DOXYGEN
typedef
#endif
enum OssuaryConnType {
    /** \brief
     *  A client: starts the handshake and authenticates the server.
     */
    OSSUARY_CONN_TYPE_CLIENT = 0,
    /** \brief
     *  A server that accepts only clients whose keys were added with
     *  `ossuary_add_authorized_key(s)`.
     */
    OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER = 1,
    /** \brief
     *  A server that accepts anonymous clients and any client identity.
     */
    OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER = 2,
}
#ifndef DOXYGEN
; typedef int32_t
#endif
ossuary_conn_type_t;

/** \brief
 *  Status codes. Every function that returns `int32_t` returns one of these
 *  when it fails; success is `OSSUARY_ERR_OK` (0) or a non-negative count. The
 *  values are stable: the original libossuary's three keep their values and
 *  new codes are only ever added. `ossuary_error_string` describes each.
 */
/** \remark Has the same ABI as `int32_t` **/
#ifdef DOXYGEN
typedef
#endif
enum OssuaryErr {
    /** \brief
     *  Success (functions of the better-typed API).
     */
    OSSUARY_ERR_OK = 0,
    /** \brief
     *  An error none of the other codes describes (the original catch-all).
     */
    OSSUARY_ERR_OTHER = -1,
    /** \brief
     *  A required pointer argument was NULL.
     */
    OSSUARY_ERR_NULL_ARGUMENT = -2,
    /** \brief
     *  An argument is out of range: an unknown connection type, a length
     *  larger than the address space.
     */
    OSSUARY_ERR_INVALID_ARGUMENT = -3,
    /** \brief
     *  The library panicked (a bug); the connection may be unusable
     *  (`OSSUARY_ERR_POISONED` from then on). The process was not aborted.
     */
    OSSUARY_ERR_PANIC = -4,
    /** \brief
     *  A caller's buffer is too small; nothing changed.
     */
    OSSUARY_ERR_BUFFER_TOO_SMALL = -5,
    /** \brief
     *  The connection has no such key: no remote key (the server has not
     *  proven its key yet, the client is anonymous), or no identity of its
     *  own (an anonymous client).
     */
    OSSUARY_ERR_NO_KEY = -6,
    /** \brief
     *  No progress without more input (a partial frame was taken), or more
     *  output is waiting than fitted the buffer. Not a failure: the length
     *  arguments say what was consumed or written.
     */
    OSSUARY_ERR_WOULDBLOCK = -64,
    /** \brief
     *  The handshake is paused: the server proved a key this client does not
     *  know. Read it with `ossuary_remote_public_key`; accept it with
     *  `ossuary_add_authorized_key` or `ossuary_conn_trust_server`, refuse it
     *  with `ossuary_conn_reject_server`. After a refusal, the final error.
     */
    OSSUARY_ERR_UNTRUSTED_SERVER = -65,
    /** \brief
     *  The peer sent bytes that are not a valid frame or message.
     */
    OSSUARY_ERR_DECODE = -66,
    /** \brief
     *  A well-formed frame arrived where it is not allowed (or the peer is
     *  not an Ossuary endpoint).
     */
    OSSUARY_ERR_UNEXPECTED_FRAME = -67,
    /** \brief
     *  The handshake failed: the peer's signature or key share is bad, or
     *  the peer broke the protocol.
     */
    OSSUARY_ERR_HANDSHAKE = -68,
    /** \brief
     *  The server refused this client (anonymous, or its key is not
     *  authorized), or, on a server, the client was refused.
     */
    OSSUARY_ERR_UNAUTHORIZED_CLIENT = -69,
    /** \brief
     *  A record failed to authenticate: altered, replayed, reordered,
     *  dropped or forged.
     */
    OSSUARY_ERR_BAD_RECORD = -70,
    /** \brief
     *  The peer abandoned the session with a RESET.
     */
    OSSUARY_ERR_PEER_RESET = -71,
    /** \brief
     *  The handshake did not finish within its deadline.
     */
    OSSUARY_ERR_HANDSHAKE_TIMEOUT = -72,
    /** \brief
     *  The server proved a key other than the one pinned for it.
     */
    OSSUARY_ERR_SERVER_KEY_CHANGED = -73,
    /** \brief
     *  A re-handshake authenticated a different client.
     */
    OSSUARY_ERR_CLIENT_IDENTITY_CHANGED = -74,
    /** \brief
     *  The transport ended without the peer's authenticated close: data may
     *  be missing.
     */
    OSSUARY_ERR_TRUNCATED = -75,
    /** \brief
     *  The session was closed: by this side for sending, by the peer's
     *  authenticated close for receiving.
     */
    OSSUARY_ERR_CLOSED = -76,
    /** \brief
     *  The record counter of a key would wrap.
     */
    OSSUARY_ERR_COUNTER_EXHAUSTED = -77,
    /** \brief
     *  No re-handshakes are left.
     */
    OSSUARY_ERR_RESET_LIMIT = -78,
    /** \brief
     *  The operating system's random number generator failed.
     */
    OSSUARY_ERR_ENTROPY = -79,
    /** \brief
     *  Key bytes given by the caller are not a valid key.
     */
    OSSUARY_ERR_INVALID_KEY = -80,
    /** \brief
     *  A cryptographic operation failed in another way.
     */
    OSSUARY_ERR_CRYPTO = -81,
    /** \brief
     *  An earlier call was interrupted by a panic; the connection cannot be
     *  used.
     */
    OSSUARY_ERR_POISONED = -82,
    /** \brief
     *  Records cannot flow before the handshake is done.
     */
    OSSUARY_ERR_HANDSHAKE_NOT_DONE = -83,
    /** \brief
     *  The identity can only change before the peer's first byte.
     */
    OSSUARY_ERR_HANDSHAKE_STARTED = -84,
    /** \brief
     *  The handshake is not paused on an untrusted server key.
     */
    OSSUARY_ERR_NOT_AWAITING_TRUST = -85,
    /** \brief
     *  Buffered data must be drained before this call.
     */
    OSSUARY_ERR_BUFFERED_DATA = -86,
    /** \brief
     *  The connection has not failed.
     */
    OSSUARY_ERR_NOT_FAILED = -87,
    /** \brief
     *  A buffer is not exactly one whole frame.
     */
    OSSUARY_ERR_NOT_ONE_FRAME = -88,
    /** \brief
     *  The call needs an authenticating server or a client (an
     *  unauthenticated server has no authorized keys).
     */
    OSSUARY_ERR_NOT_AUTHENTICATING_SERVER = -89,
    /** \brief
     *  The call is not valid in the connection's current state (a reason
     *  none of the codes above names).
     */
    OSSUARY_ERR_API_MISUSE = -90,
    /** \brief
     *  Key text (a public key, authorized-keys or known-hosts text, a key
     *  file's contents, a host name) is not in the expected form.
     */
    OSSUARY_ERR_KEY_PARSE = -91,
    /** \brief
     *  A secret key file can be read, written or run by its group or by
     *  others; it was not read (make it `chmod 600`).
     */
    OSSUARY_ERR_KEY_PERMISSIONS = -92,
    /** \brief
     *  A key file to be created already exists; nothing was written.
     */
    OSSUARY_ERR_KEY_EXISTS = -93,
    /** \brief
     *  Reading or writing a key file failed (missing, no permission to
     *  open, disk full).
     */
    OSSUARY_ERR_KEY_IO = -94,
    /** \brief
     *  This side's identity could not sign: the signer callback
     *  (`ossuary_conn_new_client_with_signer` and the like) returned
     *  non-zero, or a signature that does not verify under the public key
     *  it was given. The signature was not sent; the peer gets a RESET.
     */
    OSSUARY_ERR_SIGNER = -95,
}
#ifndef DOXYGEN
; typedef int32_t
#endif
ossuary_error_t;

/** \brief
 *  What `ossuary_known_hosts_lookup` says about a host and key (a
 *  non-negative value; errors are negative `ossuary_error_t` codes).
 */
/** \remark Has the same ABI as `int32_t` **/
#ifdef DOXYGEN
typedef
#endif
enum OssuaryHostKey {
    /** \brief
     *  The key is on record for the host.
     */
    OSSUARY_HOST_KEY_KNOWN = 0,
    /** \brief
     *  Nothing is on record for the host: ask the user, or refuse.
     */
    OSSUARY_HOST_KEY_UNKNOWN = 1,
    /** \brief
     *  Other keys are on record for the host: refuse (a possible
     *  impostor), unless the user knows the key was replaced.
     */
    OSSUARY_HOST_KEY_CHANGED = 2,
    /** \brief
     *  The key is marked `@revoked`: refuse.
     */
    OSSUARY_HOST_KEY_REVOKED = 3,
}
#ifndef DOXYGEN
; typedef int32_t
#endif
OssuaryHostKey_t;

/** \brief
 *  What `ossuary_conn_open_in_place` found in a frame.
 */
/** \remark Has the same ABI as `int32_t` **/
#ifdef DOXYGEN
typedef
#endif
enum OssuaryRecordKind {
    /** \brief
     *  Application data: the plaintext is at `frame + *plain_off`,
     *  `*plain_len` bytes (possibly 0).
     */
    OSSUARY_RECORD_KIND_DATA = 0,
    /** \brief
     *  The peer switched to its next key; nothing for the application.
     */
    OSSUARY_RECORD_KIND_KEY_UPDATE = 1,
    /** \brief
     *  The peer closed the session cleanly: no more data will come.
     */
    OSSUARY_RECORD_KIND_CLOSE = 2,
}
#ifndef DOXYGEN
; typedef int32_t
#endif
OssuaryRecordKind_t;

/** \brief
 *  An Ossuary connection: one end of an encrypted channel over a byte stream
 *  the application moves itself. Create it with `ossuary_create_connection`,
 *  free it with `ossuary_destroy_connection`. Not thread-safe: one call at a
 *  time per connection, though it may move between threads from one call to
 *  the next (different connections are independent).
 */
typedef struct OssuaryConnection OssuaryConnection;

/** \brief
 *  Adds the 32-byte Ed25519 public key at `key`: for an authenticating
 *  server, a client it accepts; for a client, the server key it expects.
 *  While a client's handshake is paused on an untrusted server
 *  (`OSSUARY_ERR_UNTRUSTED_SERVER`), adding that server's key accepts it and
 *  the handshake goes on (Trust-On-First-Use, as in the original).
 *
 *  Returns 0, or `OSSUARY_ERR_NULL_ARGUMENT`, `OSSUARY_ERR_INVALID_KEY`,
 *  `OSSUARY_ERR_NOT_AUTHENTICATING_SERVER` (an unauthenticated server).
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_add_authorized_key (
    OssuaryConnection * conn,
    uint8_t const * key);

/** \brief
 *  Adds `count` 32-byte public keys, as `ossuary_add_authorized_key` does;
 *  NULL entries of `key` are skipped. All keys are checked before any is
 *  added.
 *
 *  Returns the number of keys added, or `OSSUARY_ERR_NULL_ARGUMENT` (`key`
 *  NULL), `OSSUARY_ERR_INVALID_KEY`, `OSSUARY_ERR_NOT_AUTHENTICATING_SERVER`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_add_authorized_keys (
    OssuaryConnection * conn,
    uint8_t * * key,
    uint8_t count);

/** \brief
 *  Whether the 32-byte public key at `key` is in authorized-keys text
 *  (`text_len` bytes at `text`, no NUL needed; one public key line per
 *  line, `#` comments and blank lines allowed): 1 or 0.
 *
 *  Returns 1, 0, or `OSSUARY_ERR_NULL_ARGUMENT`, `OSSUARY_ERR_INVALID_KEY`,
 *  `OSSUARY_ERR_KEY_PARSE`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above.
 */
int32_t
ossuary_authorized_keys_contains (
    char const * text,
    size_t text_len,
    uint8_t const * key);

/** \brief
 *  Adds the 32-byte Ed25519 public key at `key`: for an authenticating
 *  server, a client it accepts; for a client, the server key it expects
 *  (pinned: a server proving another key is refused with
 *  `OSSUARY_ERR_SERVER_KEY_CHANGED`). Unlike the original
 *  `ossuary_add_authorized_key`, this never accepts a server the handshake
 *  is paused on: call `ossuary_conn_trust_server` for that.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_INVALID_KEY`, `OSSUARY_ERR_NOT_AUTHENTICATING_SERVER` (an
 *  unauthenticated server, which accepts any client).
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above. A connection
 *  argument came from `ossuary_create_connection` or an
 *  `ossuary_conn_new_*` function, is not destroyed, and no other call uses
 *  it at the same time.
 */
int32_t
ossuary_conn_add_authorized_key (
    OssuaryConnection * conn,
    uint8_t const * key);

/** \brief
 *  Queues an authenticated close: the peer learns no more data comes.
 *  Take the output afterwards.
 *
 *  Returns `OSSUARY_ERR_OK`, `OSSUARY_ERR_HANDSHAKE_NOT_DONE`, `OSSUARY_ERR_CLOSED`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_close (
    OssuaryConnection * conn);

/** \brief
 *  Tells the connection the transport ended (a read returned 0 bytes).
 *
 *  Returns `OSSUARY_ERR_OK` only after the peer's authenticated close;
 *  otherwise `OSSUARY_ERR_TRUNCATED` (data may be missing) or the
 *  connection's earlier error.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_end_of_input (
    OssuaryConnection * conn);

/** \brief
 *  Where the handshake stands: 0 running, 1 done, `OSSUARY_ERR_UNTRUSTED_SERVER`
 *  paused for a trust decision (`ossuary_conn_trust_server` or
 *  `ossuary_conn_reject_server`), or the connection's error code.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_handshake_status (
    OssuaryConnection * conn);

/** \brief
 *  Copies this side's 32-byte identity public key to `key_buf` (`len` >= 32).
 *
 *  Returns `OSSUARY_ERR_OK`, `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_BUFFER_TOO_SMALL`, or `OSSUARY_ERR_NO_KEY` (an anonymous
 *  client).
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_local_public_key (
    OssuaryConnection * conn,
    uint8_t * key_buf,
    size_t len);

/** \brief
 *  Creates a client connection and stores it in `*out` (only on success).
 *
 *  `secret_key` is NULL (an anonymous client) or points to the client's
 *  32-byte Ed25519 secret key (the RFC 8032 seed), which an authenticating
 *  server checks; it is copied. `flags` is 0 or `OSSUARY_FLAG_TRUST_ON_FIRST_USE`:
 *  without it the client refuses any server whose key was not pinned
 *  beforehand with `ossuary_conn_add_authorized_key`.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT` (`out` NULL),
 *  `OSSUARY_ERR_INVALID_ARGUMENT` (an unknown flag bit),
 *  `OSSUARY_ERR_ENTROPY`. Free the connection with
 *  `ossuary_destroy_connection`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code, except as
 *  allowed above) or valid, for the duration of the call, for the bytes
 *  described above; `out` is writable.
 */
int32_t
ossuary_conn_new_client (
    uint8_t const * secret_key,
    uint32_t flags,
    OssuaryConnection * * out);

/** \brief
 *  Creates a client whose identity key is held elsewhere (an HSM, a TPM, a
 *  secure element) and stores it in `*out` (only on success): as
 *  `ossuary_conn_new_client` with a secret key, except that the handshake
 *  asks `sign` for the client's signature.
 *
 *  `public_key` points to the identity's 32-byte Ed25519 public key (copied).
 *  `sign` is called as `sign(user_data, msg, msg_len, signature_out)`: it
 *  must write the 64-byte Ed25519 signature (pure Ed25519, RFC 8032) of the
 *  `msg_len` bytes at `msg` by that key's secret key to `signature_out` and
 *  return 0; any other value is a failure. `msg` (a role label and the
 *  transcript hash, 60 bytes today) and `signature_out` are valid only
 *  during the call. The library verifies the signature, strictly, under
 *  `public_key` before using it: a failure, or a signature that does not
 *  verify, fails the handshake with `OSSUARY_ERR_SIGNER`, and nothing signed
 *  is sent. `user_data` is passed to `sign` as it is (it may be NULL).
 *  `flags` is 0 or `OSSUARY_FLAG_TRUST_ON_FIRST_USE`, as for
 *  `ossuary_conn_new_client`.
 *
 *  `free_user_data` may be NULL. Otherwise it is called exactly once with
 *  `user_data`, when the library no longer needs it: when the connection is
 *  destroyed, when its identity is replaced (`ossuary_conn_set_signer`,
 *  `ossuary_set_secret_key`), or before this function returns if it fails,
 *  for any reason (so never free `user_data` yourself after this call).
 *
 *  Thread safety: `sign` runs only inside calls on this connection that take
 *  the peer's bytes or accept a paused server's key (such as
 *  `ossuary_recv_handshake`, `ossuary_conn_recv_handshake`,
 *  `ossuary_conn_trust_server`, `ossuary_add_authorized_key`), synchronously,
 *  on the thread making that call, once per handshake; `free_user_data` runs
 *  inside the call that releases `user_data`. Neither runs in the
 *  background or after the connection is destroyed. Since a connection may
 *  move between threads from one call to the next, `sign`, `free_user_data`
 *  and `user_data` must work on any thread the application calls the
 *  connection from. Several connections may share one `user_data` (and give
 *  a NULL `free_user_data`); if they are used from different threads,
 *  `sign` may run on them at the same time and must then be thread-safe.
 *  `sign` must not call any function on the same connection.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT` (`public_key`,
 *  `sign` or `out` NULL), `OSSUARY_ERR_INVALID_ARGUMENT` (an unknown flag
 *  bit), `OSSUARY_ERR_INVALID_KEY`, `OSSUARY_ERR_ENTROPY`. Free the
 *  connection with `ossuary_destroy_connection`.
 *
 *  # Safety
 *  `public_key` is NULL (refused) or valid for reads of 32 bytes, `out` NULL
 *  (refused) or writable, for the duration of the call; `sign`,
 *  `free_user_data` and `user_data` behave as described above.
 */
int32_t
ossuary_conn_new_client_with_signer (
    uint8_t const * public_key,
    int32_t (*sign)(void *, uint8_t const *, size_t, uint8_t *),
    void * user_data,
    void (*free_user_data)(void *),
    uint32_t flags,
    OssuaryConnection * * out);

/** \brief
 *  Creates a server connection and stores it in `*out` (only on success).
 *
 *  `role` is `OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER` (1: only clients
 *  whose keys were added with `ossuary_conn_add_authorized_key`) or
 *  `OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER` (2: any client, anonymous
 *  ones included). `secret_key` points to the server's 32-byte Ed25519
 *  secret key (the RFC 8032 seed), required (a server's identity never
 *  changes by accident); it is copied. `flags` must be 0.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_INVALID_ARGUMENT` (another `role`, a flag bit),
 *  `OSSUARY_ERR_ENTROPY`. Free the connection with
 *  `ossuary_destroy_connection`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; `out` is
 *  writable.
 */
int32_t
ossuary_conn_new_server (
    int32_t role,
    uint8_t const * secret_key,
    uint32_t flags,
    OssuaryConnection * * out);

/** \brief
 *  Creates a server whose identity key is held elsewhere and stores it in
 *  `*out` (only on success): as `ossuary_conn_new_server`, except that the
 *  handshake asks `sign` for the server's signature. `role` is
 *  `OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER` (1) or
 *  `OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER` (2); `flags` must be 0.
 *
 *  `public_key`, `sign`, `user_data` and `free_user_data` are as for
 *  `ossuary_conn_new_client_with_signer`, with the same rules: the library
 *  verifies every signature before it sends it (`OSSUARY_ERR_SIGNER`
 *  otherwise), and a non-NULL `free_user_data` is called exactly once, when
 *  the connection is destroyed or its identity replaced, or before this
 *  function returns if it fails, for any reason.
 *
 *  Thread safety: as for `ossuary_conn_new_client_with_signer`: `sign` runs
 *  only inside calls on this connection that take the client's bytes, on
 *  the thread making the call; the callbacks and `user_data` must work on
 *  any thread the connection is used from, and `sign` must be thread-safe
 *  if connections used from different threads share `user_data`. A server
 *  that serves many connections with one key typically passes the same
 *  `user_data` to each, with a NULL `free_user_data`, and frees it after
 *  the last connection is destroyed.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_INVALID_ARGUMENT` (another `role`, a flag bit),
 *  `OSSUARY_ERR_INVALID_KEY`, `OSSUARY_ERR_ENTROPY`. Free the connection
 *  with `ossuary_destroy_connection`.
 *
 *  # Safety
 *  `public_key` is NULL (refused) or valid for reads of 32 bytes, `out` NULL
 *  (refused) or writable, for the duration of the call; `sign`,
 *  `free_user_data` and `user_data` behave as described for
 *  `ossuary_conn_new_client_with_signer`.
 */
int32_t
ossuary_conn_new_server_with_signer (
    int32_t role,
    uint8_t const * public_key,
    int32_t (*sign)(void *, uint8_t const *, size_t, uint8_t *),
    void * user_data,
    void (*free_user_data)(void *),
    uint32_t flags,
    OssuaryConnection * * out);

/** \brief
 *  Opens one whole frame in place: `frame` holds exactly one frame,
 *  `frame_len` bytes (`OSSUARY_RECORD_HEADER_LEN` plus the big-endian
 *  length at `frame + 1`). Sets `*kind` to an `OssuaryRecordKind` value and,
 *  for data, `*plain_off` and `*plain_len` to where the plaintext now is in
 *  `frame` (both 0 for the other kinds). Nothing must be waiting inside the
 *  connection (input taken by `ossuary_conn_recv` and not yet returned).
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_NOT_ONE_FRAME` (the buffer is not exactly one frame: nothing
 *  changed), `OSSUARY_ERR_BUFFERED_DATA`, `OSSUARY_ERR_HANDSHAKE_NOT_DONE`,
 *  `OSSUARY_ERR_BAD_RECORD`, `OSSUARY_ERR_PEER_RESET`, `OSSUARY_ERR_CLOSED`,
 *  the connection's error.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above (`frame` for
 *  reads and writes of `frame_len` bytes); buffers do not overlap the
 *  connection or each other. A connection argument came from
 *  `ossuary_create_connection` or an `ossuary_conn_new_*` function, is not
 *  destroyed, and no other call uses it at the same time.
 */
int32_t
ossuary_conn_open_in_place (
    OssuaryConnection * conn,
    uint8_t * frame,
    size_t frame_len,
    size_t * plain_off,
    size_t * plain_len,
    int32_t * kind);

/** \brief
 *  Whether the peer closed the session cleanly (authenticated close): 1 or 0,
 *  or `OSSUARY_ERR_NULL_ARGUMENT`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_peer_closed (
    OssuaryConnection * conn);

/** \brief
 *  Sets `*len` to the number of bytes waiting to be sent to the peer
 *  (handshake messages, records, key updates, close).
 *
 *  Returns `OSSUARY_ERR_OK` or `OSSUARY_ERR_NULL_ARGUMENT`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_pending_output (
    OssuaryConnection * conn,
    size_t * len);

/** \brief
 *  Feeds records from `in_buf` (`in_len` bytes) and writes plaintext to
 *  `out_buf` (`out_len` bytes); sets `*consumed` and `*produced`. The
 *  buffers may overlap: then all the input is consumed. Plaintext that did not fit waits inside; call again
 *  while a call makes progress, read the transport when one makes none.
 *
 *  After the peer's clean close (`ossuary_conn_peer_closed`) no more
 *  plaintext comes. A failure met after some input was consumed is
 *  returned by the next call.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_HANDSHAKE_NOT_DONE`,
 *  `OSSUARY_ERR_BAD_RECORD`, `OSSUARY_ERR_PEER_RESET`, `OSSUARY_ERR_CLOSED`
 *  (frames after the peer's close), the connection's error.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_recv (
    OssuaryConnection * conn,
    uint8_t const * in_buf,
    size_t in_len,
    uint8_t * out_buf,
    size_t out_len,
    size_t * consumed,
    size_t * produced);

/** \brief
 *  Feeds handshake bytes from `buf` (`len` bytes; 0 only checks the
 *  deadline) and sets `*consumed`. Stops after the message that completes
 *  the handshake; later bytes are records, for `ossuary_conn_recv`.
 *
 *  Returns `OSSUARY_ERR_OK` or an error code. A connection that failed while
 *  plaintext from before the failure still waits for `ossuary_recv_data`
 *  returns `OSSUARY_ERR_OK` with `*consumed` 0 until that plaintext is out:
 *  the failure comes after it.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_recv_handshake (
    OssuaryConnection * conn,
    uint8_t const * buf,
    size_t len,
    size_t * consumed);

/** \brief
 *  Refuses the untrusted server key the handshake paused on: the connection
 *  fails with `OSSUARY_ERR_UNTRUSTED_SERVER` and queues a RESET for the
 *  peer (take the output).
 *
 *  Returns `OSSUARY_ERR_UNTRUSTED_SERVER` (the refusal took effect), or
 *  `OSSUARY_ERR_NOT_AWAITING_TRUST`, the connection's earlier error.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_reject_server (
    OssuaryConnection * conn);

/** \brief
 *  After an error, starts over with a new handshake on the same stream: at
 *  once if the peer's RESET was seen, otherwise once it arrives. Take the
 *  output afterwards. Allowed a few times per connection (3).
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_NOT_FAILED` (the connection has not failed),
 *  `OSSUARY_ERR_RESET_LIMIT`, `OSSUARY_ERR_ENTROPY`.
 *
 *  # Safety
 *  A connection argument is NULL (refused with an error code) or came from
 *  `ossuary_create_connection` or an `ossuary_conn_new_*` function, is not
 *  destroyed, and no other call uses it at the same time.
 */
int32_t
ossuary_conn_reset (
    OssuaryConnection * conn);

/** \brief
 *  Seals `len` plaintext bytes, which the caller placed at
 *  `buf + OSSUARY_RECORD_HEADER_LEN`, as one record in place: writes its
 *  header before them and its tag after them, and sets `*frame_len` to the
 *  bytes at `buf` to send: the record (`len + 19`), followed by a key-update
 *  frame (19 more) when one is due. `buf_len` must be at least
 *  `len + OSSUARY_SEAL_ROOM` (38), always. Nothing must be waiting to be
 *  sent (`ossuary_conn_pending_output` 0).
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_BUFFER_TOO_SMALL` (also for `len` above the largest record,
 *  65519), `OSSUARY_ERR_BUFFERED_DATA`, `OSSUARY_ERR_HANDSHAKE_NOT_DONE`,
 *  `OSSUARY_ERR_CLOSED`, the connection's error.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above (`buf` for
 *  reads and writes of `buf_len` bytes); buffers do not overlap the
 *  connection or each other. A connection argument came from
 *  `ossuary_create_connection` or an `ossuary_conn_new_*` function, is not
 *  destroyed, and no other call uses it at the same time.
 */
int32_t
ossuary_conn_seal_in_place (
    OssuaryConnection * conn,
    uint8_t * buf,
    size_t buf_len,
    size_t len,
    size_t * frame_len);

/** \brief
 *  Encrypts plaintext from `buf` (`len` bytes) into records waiting for
 *  `ossuary_conn_take_output`, and sets `*consumed` to how much was taken:
 *  less than `len` (maybe 0) when output is waiting; take it and call again.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_HANDSHAKE_NOT_DONE`, `OSSUARY_ERR_CLOSED`, the connection's
 *  error.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_send (
    OssuaryConnection * conn,
    uint8_t const * buf,
    size_t len,
    size_t * consumed);

/** \brief
 *  Replaces the connection's identity with one held elsewhere: `public_key`,
 *  `sign`, `user_data` and `free_user_data` as for
 *  `ossuary_conn_new_client_with_signer`. Allowed, as
 *  `ossuary_set_secret_key` is, until the peer's first byte has arrived;
 *  works on connections from `ossuary_create_connection` too. The identity
 *  it replaces is released now (its `free_user_data`, if it had one, runs
 *  in this call).
 *
 *  A non-NULL `free_user_data` is called exactly once: when the connection
 *  is destroyed or this identity is replaced in turn, or before this
 *  function returns if it fails, for any reason.
 *
 *  Thread safety: as for `ossuary_conn_new_client_with_signer`.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT` (`conn`,
 *  `public_key` or `sign` NULL), `OSSUARY_ERR_INVALID_KEY`,
 *  `OSSUARY_ERR_HANDSHAKE_STARTED`.
 *
 *  # Safety
 *  `public_key` is NULL (refused) or valid for reads of 32 bytes for the
 *  duration of the call; `sign`, `free_user_data` and `user_data` behave as
 *  described for `ossuary_conn_new_client_with_signer`. A connection
 *  argument is NULL (refused) or came from `ossuary_create_connection` or an
 *  `ossuary_conn_new_*` function, is not destroyed, and no other call uses
 *  it at the same time.
 */
int32_t
ossuary_conn_set_signer (
    OssuaryConnection * conn,
    uint8_t const * public_key,
    int32_t (*sign)(void *, uint8_t const *, size_t, uint8_t *),
    void * user_data,
    void (*free_user_data)(void *));

/** \brief
 *  Copies up to `len` waiting output bytes to `buf` and sets `*written` to
 *  how many: send exactly those to the peer. The only way output leaves.
 *
 *  Returns `OSSUARY_ERR_OK` or `OSSUARY_ERR_NULL_ARGUMENT`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_take_output (
    OssuaryConnection * conn,
    uint8_t * buf,
    size_t len,
    size_t * written);

/** \brief
 *  Accepts the untrusted server key the handshake paused on (record it,
 *  for instance in a known-hosts file); the handshake goes on.
 *
 *  Returns `OSSUARY_ERR_OK`, `OSSUARY_ERR_NOT_AWAITING_TRUST`, the connection's error.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_trust_server (
    OssuaryConnection * conn);

/** \brief
 *  Queues a key update now and switches to the next sending key (they also
 *  happen automatically).
 *
 *  Returns `OSSUARY_ERR_OK`, `OSSUARY_ERR_HANDSHAKE_NOT_DONE`, `OSSUARY_ERR_CLOSED`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_conn_update_keys (
    OssuaryConnection * conn);

/** \brief
 *  Creates a connection of type `conn_type` (an `ossuary_conn_type_t` value).
 *
 *  `auth_key` is NULL or points to a 32-byte Ed25519 secret key (the RFC 8032
 *  seed): the connection's identity. Without it a server gets a random
 *  identity and a client is anonymous. A client pauses the handshake on a
 *  server it does not know (`OSSUARY_ERR_UNTRUSTED_SERVER` from
 *  `ossuary_handshake_done`) until the application accepts or refuses it.
 *
 *  Returns NULL on an unknown `type` or when the random number generator
 *  fails. Free the connection with `ossuary_destroy_connection`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
OssuaryConnection *
ossuary_create_connection (
    int32_t conn_type,
    uint8_t const * auth_key);

/** \brief
 *  Frees the connection `*conn` and sets `*conn` to NULL, so that a second
 *  call, or any later call through the same variable, is a harmless no-op or
 *  `OSSUARY_ERR_NULL_ARGUMENT`. `conn` NULL or `*conn` NULL: nothing happens.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
void
ossuary_destroy_connection (
    OssuaryConnection * * conn);

/** \brief
 *  Describes a status code: a static, NUL-terminated string that the caller
 *  must not free. Unknown codes get a generic description; never NULL.
 */
char const *
ossuary_error_string (
    int32_t code);

/** \brief
 *  Copies output still waiting (records that did not fit `ossuary_send_data`'s
 *  buffer, key updates, a close) to `out_buf` (`out_buf_len` bytes).
 *
 *  Returns the bytes written (0: nothing waits); `OSSUARY_ERR_WOULDBLOCK`
 *  when more waits than fitted (the buffer is full: send it, call again).
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_flush (
    OssuaryConnection * conn,
    uint8_t * out_buf,
    uint16_t out_buf_len);

/** \brief
 *  Generates an identity: writes the 32-byte Ed25519 secret key (RFC 8032
 *  seed) to `secret_buf` and its public key to `public_buf` (each at least 32
 *  bytes). Keep the secret key secret.
 *
 *  Returns 0, or `OSSUARY_ERR_NULL_ARGUMENT`, `OSSUARY_ERR_BUFFER_TOO_SMALL`,
 *  `OSSUARY_ERR_ENTROPY`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_generate_auth_keypair (
    uint8_t * secret_buf,
    uint16_t secret_buf_len,
    uint8_t * public_buf,
    uint16_t public_buf_len);

/** \brief
 *  Whether the handshake is done: 1 when it is and its last message has been
 *  taken with `ossuary_send_handshake`, 0 while it runs,
 *  `OSSUARY_ERR_UNTRUSTED_SERVER` while a client waits for the application
 *  to accept (`ossuary_add_authorized_key`) or refuse the server's key, or
 *  the connection's error code.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_handshake_done (
    OssuaryConnection * conn);

/** \brief
 *  Writes the fingerprint of the 32-byte public key at `key` to `out`
 *  (`out_len` bytes) as NUL-terminated text, `SHA256:` and 43 characters of
 *  base64 (50 bytes; 51 with the NUL), and sets `*written` to its length
 *  without the NUL.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_INVALID_KEY`, `OSSUARY_ERR_BUFFER_TOO_SMALL` (nothing
 *  written).
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap.
 */
int32_t
ossuary_key_fingerprint (
    uint8_t const * key,
    char * out,
    size_t out_len,
    size_t * written);

/** \brief
 *  Writes the 32-byte public key at `key` as a public key line,
 *  `ossuary-ed25519 <base64>` (60 bytes; 61 with the NUL), NUL-terminated,
 *  to `out` (`out_len` bytes), and sets `*written` to its length without
 *  the NUL. The line is what a `.pub` file, an authorized-keys file and
 *  (after the host) a known-hosts file hold.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_INVALID_KEY`, `OSSUARY_ERR_BUFFER_TOO_SMALL` (nothing
 *  written).
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap.
 */
int32_t
ossuary_key_format_public (
    uint8_t const * key,
    char * out,
    size_t out_len,
    size_t * written);

/** \brief
 *  Writes a new key pair: the 32-byte secret key at `secret` to a new file
 *  at `path` (mode 0600 on Unix), and its public key line to `path` with
 *  `.pub` appended. Never overwrites: if either file exists nothing is
 *  written. The copies of the secret made here are wiped.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_INVALID_ARGUMENT` (a path that is not UTF-8),
 *  `OSSUARY_ERR_KEY_EXISTS`, `OSSUARY_ERR_KEY_IO`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call: `path` NUL-terminated, `secret` readable for
 *  32 bytes.
 */
int32_t
ossuary_key_pair_write (
    char const * path,
    uint8_t const * secret);

/** \brief
 *  Parses one public key line (`ossuary-ed25519 <base64> [comment]`, a
 *  line ending allowed) from the `text_len` bytes at `text` (no NUL needed)
 *  and writes the 32-byte key to `key_out`.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_KEY_PARSE` (nothing written).
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above (`key_out` for
 *  writes of 32 bytes); buffers do not overlap.
 */
int32_t
ossuary_key_parse_public (
    char const * text,
    size_t text_len,
    uint8_t * key_out);

/** \brief
 *  Looks up `host` (a NUL-terminated host name, IPv4 or IPv6 address) at
 *  `port` presenting the 32-byte public key at `key` in known-hosts text
 *  (`text_len` bytes at `text`, no NUL needed; lines
 *  `host:port[,host:port...] ossuary-ed25519 <base64> [comment]` and
 *  `@revoked ossuary-ed25519 <base64>`).
 *
 *  Returns an `OssuaryHostKey` value (`OSSUARY_HOST_KEY_KNOWN`,
 *  `_UNKNOWN`, `_CHANGED`, `_REVOKED`: 0 to 3), or
 *  `OSSUARY_ERR_NULL_ARGUMENT`, `OSSUARY_ERR_INVALID_ARGUMENT` (port 0, a
 *  host that is not UTF-8), `OSSUARY_ERR_INVALID_KEY`,
 *  `OSSUARY_ERR_KEY_PARSE` (the text, or the host name).
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; `host` is
 *  NUL-terminated.
 */
int32_t
ossuary_known_hosts_lookup (
    char const * text,
    size_t text_len,
    char const * host,
    uint16_t port,
    uint8_t const * key);

/** \brief
 *  Decrypts records from `in_buf` (`*in_buf_len` bytes) into `out_buf`
 *  (capacity `*out_buf_len`); sets `*in_buf_len` to the bytes consumed (drop
 *  them) and `*out_buf_len` to the plaintext bytes written. `in_buf` and
 *  `out_buf` may be the same buffer, or overlap: then all the input is
 *  consumed, so the plaintext never lands on bytes still to be offered
 *  again. Plaintext that did not fit
 *  waits inside: call again (with no new input) to get it.
 *
 *  Returns the bytes consumed (plaintext in `*out_buf_len`);
 *  `OSSUARY_ERR_WOULDBLOCK` when no plaintext came out (a partial record was
 *  taken, or a key update: read more and call again; or plaintext waits
 *  inside and `*out_buf_len` was 0); `OSSUARY_ERR_CLOSED` after the peer's
 *  clean close; or an error code (also when the bytes consumed, reported in
 *  `*in_buf_len`, held a record that failed). The close or the error comes
 *  only once the plaintext before it is out, and then on every call.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_recv_data (
    OssuaryConnection * conn,
    uint8_t * in_buf,
    uint16_t * in_buf_len,
    uint8_t * out_buf,
    uint16_t * out_buf_len);

/** \brief
 *  Feeds `*in_buf_len` handshake bytes from `in_buf` and sets `*in_buf_len`
 *  to the bytes consumed (drop those; offer the rest again with more). Stops
 *  after the message that completes the handshake: bytes after it are
 *  records, for `ossuary_recv_data`.
 *
 *  Returns the bytes consumed; `OSSUARY_ERR_WOULDBLOCK` when they held only
 *  part of a message (read more and call again), or when the connection
 *  failed while plaintext from before the failure still waits for
 *  `ossuary_recv_data` (nothing consumed: the failure comes after it); or
 *  an error code.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_recv_handshake (
    OssuaryConnection * conn,
    uint8_t * in_buf,
    uint16_t * in_buf_len);

/** \brief
 *  Copies the peer's verified 32-byte public key to `key_buf` (at least 32
 *  bytes, `key_buf_len`): the server's once proven (also while the
 *  handshake is paused for trust), the client's when it sent one.
 *
 *  Returns 0, or `OSSUARY_ERR_NULL_ARGUMENT`, `OSSUARY_ERR_BUFFER_TOO_SMALL`,
 *  `OSSUARY_ERR_NO_KEY`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_remote_public_key (
    OssuaryConnection * conn,
    uint8_t * key_buf,
    uint16_t key_buf_len);

/** \brief
 *  Reads the secret key file at `path` (NUL-terminated, UTF-8) and writes
 *  the 32-byte secret key (the RFC 8032 seed) to `key_out`. On Unix a file
 *  its group or others may access is refused unread. The copies made here
 *  are wiped; wipe `key_out` when done with it.
 *
 *  Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
 *  `OSSUARY_ERR_INVALID_ARGUMENT` (a path that is not UTF-8),
 *  `OSSUARY_ERR_KEY_IO`, `OSSUARY_ERR_KEY_PERMISSIONS`,
 *  `OSSUARY_ERR_KEY_PARSE` (nothing written).
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call: `path` NUL-terminated, `key_out` writable for
 *  32 bytes.
 */
int32_t
ossuary_secret_key_read (
    char const * path,
    uint8_t * key_out);

/** \brief
 *  Encrypts all `in_buf_len` bytes of `in_buf` and copies the records to
 *  `out_buf` (capacity `*out_buf_len`, set to the bytes written). Each record
 *  adds 19 bytes; what does not fit waits for `ossuary_flush`.
 *
 *  Returns the bytes written; `OSSUARY_ERR_WOULDBLOCK` when more output
 *  waits (all plaintext was taken: call `ossuary_flush`); or an error code
 *  (`OSSUARY_ERR_HANDSHAKE_NOT_DONE`, `OSSUARY_ERR_CLOSED`, ...).
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_send_data (
    OssuaryConnection * conn,
    uint8_t * in_buf,
    uint16_t in_buf_len,
    uint8_t * out_buf,
    uint16_t * out_buf_len);

/** \brief
 *  Copies waiting handshake bytes to `out_buf` (capacity `*out_buf_len`) and
 *  sets `*out_buf_len` to the bytes written; send them to the peer.
 *
 *  Returns the bytes written (0: nothing to send now);
 *  `OSSUARY_ERR_WOULDBLOCK` when more is waiting than fitted (call again);
 *  or an error code.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_send_handshake (
    OssuaryConnection * conn,
    uint8_t * out_buf,
    uint16_t * out_buf_len);

/** \brief
 *  Sets the connection's identity to the 32-byte Ed25519 secret key (RFC 8032
 *  seed) at `key`. Allowed until the peer's first byte has arrived. An
 *  identity it replaces that was given with a signer callback
 *  (`ossuary_conn_set_signer`, ...) is released in this call (its
 *  `free_user_data` runs).
 *
 *  Returns 0, or `OSSUARY_ERR_NULL_ARGUMENT`, `OSSUARY_ERR_HANDSHAKE_STARTED`.
 *
 *  # Safety
 *  Each pointer argument is NULL (refused with an error code) or valid, for
 *  the duration of the call, for the bytes described above; buffers do not
 *  overlap the connection. A connection argument came from
 *  `ossuary_create_connection`, is not destroyed, and no other call uses it
 *  at the same time.
 */
int32_t
ossuary_set_secret_key (
    OssuaryConnection * conn,
    uint8_t const * key);

/** \brief
 *  The version of the library: a static, NUL-terminated string such as
 *  "0.1.0" (compare with the `OSSUARY_VERSION_*` macros of the header).
 */
char const *
ossuary_version (void);


#ifdef __cplusplus
} /* extern \"C\" */
#endif

#endif /* OSSUARY_H */
