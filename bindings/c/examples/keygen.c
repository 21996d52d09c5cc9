/* keygen: creates an Ed25519 identity for the client or the server example.
 *
 *   keygen FILE
 *
 * Writes the secret key to FILE (mode 0600) and its public key line to
 * FILE.pub, never overwriting either, and prints the key's fingerprint and
 * public key line. A client's FILE.pub line goes into the server's
 * authorized keys file; a client records a server's key in its known-hosts
 * file (client --accept-new, or by hand after comparing fingerprints). */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>

#include "common.h"
#include "ossuary.h"

static const char usage[] =
    "usage: keygen FILE\n"
    "  writes a new secret key to FILE (mode 0600) and its public key line\n"
    "  to FILE.pub; never overwrites an existing file\n";

int main(int argc, char **argv) {
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "keygen: unknown option '%s'\n%s", argv[i], usage);
      return EXIT_USAGE;
    }
    if (path != NULL) {
      fprintf(stderr, "keygen: one FILE only ('%s' is extra)\n%s", argv[i],
              usage);
      return EXIT_USAGE;
    }
    path = argv[i];
  }
  if (path == NULL) {
    fprintf(stderr, "keygen: the secret key FILE to create is required\n%s",
            usage);
    return EXIT_USAGE;
  }

  uint8_t secret[32], public_key[32];
  int32_t rc = ossuary_generate_auth_keypair(secret, sizeof secret, public_key,
                                             sizeof public_key);
  if (rc != 0) {
    fprintf(stderr, "keygen: generating a key failed: %s\n",
            ossuary_error_string(rc));
    return 1;
  }
  rc = ossuary_key_pair_write(path, secret);
  wipe(secret, sizeof secret);
  if (rc == OSSUARY_ERR_KEY_EXISTS) {
    fprintf(stderr,
            "keygen: %s or %s.pub exists already; nothing was written (choose "
            "another name, or remove the old key if it is no longer used)\n",
            path, path);
    return 1;
  }
  if (rc != OSSUARY_ERR_OK) {
    fprintf(stderr,
            "keygen: writing %s and %s.pub failed: %s (check that the "
            "directory exists and is writable)\n",
            path, path, ossuary_error_string(rc));
    return 1;
  }

  fingerprint fp;
  key_fingerprint(public_key, &fp);
  char line[128];
  size_t written = 0;
  if (ossuary_key_format_public(public_key, line, sizeof line, &written) !=
      OSSUARY_ERR_OK) {
    line[0] = '\0';
  }
  printf("secret key: %s\n", path);
  printf("public key: %s.pub\n", path);
  printf("fingerprint: %s\n", fp.text);
  printf("%s\n", line);
  return 0;
}
