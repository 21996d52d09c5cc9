/* Written against the original libossuary header only (issue 11, "What it
 * must show" item 4): a memory-buffer handshake with an authenticating server
 * and Trust-On-First-Use on the client, then one message decrypted in place,
 * as the original's own example did. Built with -Wall -Wextra -Werror. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "ossuary.h"

static uint8_t client_buf[1024];
static uint8_t server_buf[1024];

static uint8_t secret_key[32] = {
  0x10, 0x86, 0x6e, 0xc4, 0x8a, 0x11, 0xf3, 0xc5,
  0x6d, 0x77, 0xa6, 0x4b, 0x2f, 0x54, 0xaa, 0x06,
  0x6c, 0x0c, 0xb4, 0x75, 0xd8, 0xc8, 0x7d, 0x35,
  0xb4, 0x91, 0xee, 0xd6, 0xac, 0x0b, 0xde, 0xbc
};

int main(void) {
  int32_t client_done = 0, server_done = 0;
  uint16_t client_bytes, server_bytes, out_len, in_len;
  int32_t bytes;
  uint8_t secret[32], public_key[32], remote[32];
  uint8_t *authorized_keys[1];
  OssuaryConnection *client_conn = NULL;
  OssuaryConnection *server_conn = NULL;
  ossuary_conn_type_t type = OSSUARY_CONN_TYPE_CLIENT;

  /* The client's identity, authorized by the server. */
  if (ossuary_generate_auth_keypair(secret, sizeof(secret), public_key, sizeof(public_key)) != 0) {
    return 1;
  }
  (void)secret_key;
  authorized_keys[0] = public_key;
  client_conn = ossuary_create_connection(type, secret);
  server_conn = ossuary_create_connection(OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER, NULL);
  if (!client_conn || !server_conn) return 1;
  if (ossuary_add_authorized_keys(server_conn, authorized_keys, 1) != 1) return 1;

  for (int round = 0; round < 20 && (client_done != 1 || server_done != 1); round++) {
    client_done = ossuary_handshake_done(client_conn);
    server_done = ossuary_handshake_done(server_conn);
    if (client_done == OSSUARY_ERR_UNTRUSTED_SERVER) {
      /* TOFU: read the server's key, approve it by adding it. */
      if (ossuary_remote_public_key(client_conn, remote, sizeof(remote)) != 0) return 1;
      if (ossuary_add_authorized_key(client_conn, remote) != 0) return 1;
      client_done = ossuary_handshake_done(client_conn);
    }
    if (client_done < 0 || server_done < 0) return 1;
    if (!client_done) {
      client_bytes = sizeof(client_buf);
      ossuary_send_handshake(client_conn, client_buf, &client_bytes);
      if (client_bytes) {
        ossuary_recv_handshake(server_conn, client_buf, &client_bytes);
      }
    }
    if (!server_done) {
      server_bytes = sizeof(server_buf);
      ossuary_send_handshake(server_conn, server_buf, &server_bytes);
      if (server_bytes) {
        ossuary_recv_handshake(client_conn, server_buf, &server_bytes);
      }
    }
  }
  if (client_done != 1 || server_done != 1) {
    printf("handshake did not finish: %d %d\n", client_done, server_done);
    return 1;
  }

  /* Server sends encrypted data. */
  memset(client_buf, 0, sizeof(client_buf));
  memset(server_buf, 0, sizeof(server_buf));
  out_len = sizeof(client_buf);
  bytes = snprintf((char *)server_buf, sizeof(server_buf), "hello world");
  bytes = ossuary_send_data(server_conn, server_buf, (uint16_t)bytes, client_buf, &out_len);
  if (bytes <= 0) return 1;

  /* Client decrypts in place. */
  in_len = (uint16_t)bytes;
  out_len = sizeof(client_buf);
  bytes = ossuary_recv_data(client_conn, client_buf, &in_len, client_buf, &out_len);
  if (bytes < 0 || out_len != 11 || memcmp(client_buf, "hello world", 11) != 0) return 1;
  printf("decrypted: %.*s\n", (int)out_len, (const char *)client_buf);

  ossuary_destroy_connection(&client_conn);
  ossuary_destroy_connection(&server_conn);
  return client_conn == NULL && server_conn == NULL ? 0 : 1;
}
