/* sock.h: unix stream sockets: listen, connect, and messages carrying file descriptors. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#define LITE_SOCK_MAX_FDS 16

/* Binds @path (replacing a stale socket file) with mode 0600; returns the fd or -errno. */
int lite_unix_listen(const char *path);
/* Returns a connected fd or -errno (ENOENT/ECONNREFUSED: nobody listens). */
int lite_unix_connect(const char *path);

/* Sends @len bytes with @nfds descriptors attached to the first byte. 0 or -errno. */
int lite_send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds);
/* Receives up to @len bytes; descriptors that arrive are stored in @fds (close-on-exec) and
 * counted in *@nfds. Returns bytes read (0 at EOF) or -errno. */
ssize_t lite_recv_with_fds(int sock, void *buf, size_t len, int *fds, size_t *nfds);
