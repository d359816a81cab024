/* control.h: messages between the driver and a launcher (protocol at the top of control.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* A line longer than this is a protocol error (a launcher must not make the daemon buffer
 * without bound). */
#define LITE_MSG_MAX 65536

typedef struct lite_msg lite_msg;

lite_msg *lite_msg_new(const char *verb);
void lite_msg_free(lite_msg *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(lite_msg, lite_msg_free)

const char *lite_msg_verb(const lite_msg *m);
/* Setting a key again replaces its value; keys must be [a-z0-9-]+. */
void lite_msg_set(lite_msg *m, const char *key, const char *value);
void lite_msg_setf(lite_msg *m, const char *key, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void lite_msg_set_u64(lite_msg *m, const char *key, uint64_t value);
const char *lite_msg_get(const lite_msg *m, const char *key);
/* 0, -ENOENT when absent, -EINVAL when not a number. */
int lite_msg_get_u64(const lite_msg *m, const char *key, uint64_t *out);
size_t lite_msg_count(const lite_msg *m);
/* The i-th key and value in insertion order. */
void lite_msg_nth(const lite_msg *m, size_t i, const char **key, const char **value);

/* The line, newline included. */
char *lite_msg_format(const lite_msg *m);
/* Parses one line (without its newline). 0 or -EINVAL. */
int lite_msg_parse(const char *line, size_t len, lite_msg **out);

/* Replies: "ok" or "error code=... errno=... message=...". */
lite_msg *lite_msg_error(const char *code, int err, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
bool lite_msg_is_ok(const lite_msg *m);

/* Buffered line reader over a stream fd, for the event loops on either side. */
typedef struct {
    char buf[LITE_MSG_MAX];
    size_t len;
} lite_linebuf;

/* Reads what is available: bytes read, 0 at EOF, or -errno (-EAGAIN when non-blocking). */
ssize_t lite_linebuf_fill(lite_linebuf *lb, int fd);
/* 1 and a message when a whole line is buffered, 0 when not yet, -EINVAL on a malformed or
 * over-long line. */
int lite_linebuf_next(lite_linebuf *lb, lite_msg **out);

/* Blocking helpers with a deadline (timeout_ms < 0: none). 0 or -errno (-ETIMEDOUT, -EPIPE
 * at EOF). */
int lite_msg_send(int fd, const lite_msg *m);
int lite_msg_recv(int fd, lite_msg **out, int timeout_ms);

/* One request on a fresh connection to @path, one reply. 0 or -errno. */
int lite_control_call(const char *path, const lite_msg *req, lite_msg **reply, int timeout_ms);

/* Error codes carried in "error code=..." replies; the driver maps each to a libvirt code. */
#define LITE_ECODE_INVALID      "operation-invalid"   /* wrong state for the request */
#define LITE_ECODE_UNSUPPORTED  "config-unsupported"  /* this host cannot run what was asked */
#define LITE_ECODE_NO_SUPPORT   "no-support"          /* request not implemented by this launcher */
#define LITE_ECODE_FAILED       "operation-failed"    /* a host resource or syscall failed */
#define LITE_ECODE_PROTOCOL     "protocol"            /* malformed request */
