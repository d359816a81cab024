/* control.c: the control protocol spoken on a launcher's socket and its start-up status pipe.
 *
 * A message is one line of UTF-8 text:   VERB [KEY=VALUE]...\n
 * VERB and KEY are [a-z0-9-]+. VALUE is escaped so that it holds no space, '=', '\\' or
 * control character: each such byte (and any byte >= 0x7f) is written \xHH. At most
 * LITE_MSG_MAX bytes per line.
 *
 *   driver                                    launcher (lite-vmm / lite-ns)
 *     | spawn with --status-fd N                 |
 *     |<---- ok pid=P console=/dev/pts/3 --------|  on fd N, once, then N is closed;
 *     |      (or: error code=C errno=E message=M)|  on error the launcher exits
 *     | connect(control socket)                  |
 *     |----- watch ----------------------------->|  this connection now receives events:
 *     |<---- ok ---------------------------------|
 *     |<---- event state=S reason=R -------------|  on every state change, and
 *     |                                          |  EOF when the launcher is gone
 *     | connect(control socket)                  |  requests: one per connection
 *     |----- query ----------------------------->|
 *     |<---- ok state=running reason=booted ...--|
 *
 * Requests: hello (kind, pid, state, console), query (state and statistics), pause, resume,
 * shutdown (ask the guest to power off), reboot (ask the guest to reboot), reset, destroy
 * (tear down and exit). Each gets "ok [KEY=VALUE]..." or
 * "error code=C errno=E message=M" with C one of the LITE_ECODE_* names.
 * States: running, paused, shutdown (in progress), shutoff, crashed. An event that reports
 * shutoff or crashed is the last thing a launcher sends before it exits.
 */
#include "control.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "fd.h"
#include "log.h"
#include "sock.h"
#include "text.h"

struct lite_msg {
    char *verb;
    char **keys;
    char **values;
    size_t n;
};

lite_msg *
lite_msg_new(const char *verb)
{
    lite_msg *m = lite_calloc(1, sizeof(*m));

    m->verb = lite_strdup(verb);
    return m;
}

void
lite_msg_free(lite_msg *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->keys[i]);
        free(m->values[i]);
    }
    free(m->keys);
    free(m->values);
    free(m->verb);
    free(m);
}

const char *
lite_msg_verb(const lite_msg *m)
{
    return m->verb;
}

static bool
is_word(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    }
    return true;
}

void
lite_msg_set(lite_msg *m, const char *key, const char *value)
{
    if (!is_word(key, strlen(key))) {
        lite_err("invalid message key '%s'", key);
        return;
    }
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->keys[i], key) == 0) {
            free(m->values[i]);
            m->values[i] = lite_strdup(value ? value : "");
            return;
        }
    }
    m->keys = lite_realloc(m->keys, m->n + 1, sizeof(char *));
    m->values = lite_realloc(m->values, m->n + 1, sizeof(char *));
    m->keys[m->n] = lite_strdup(key);
    m->values[m->n] = lite_strdup(value ? value : "");
    m->n++;
}

void
lite_msg_setf(lite_msg *m, const char *key, const char *fmt, ...)
{
    lite_autofree char *value = NULL;
    va_list ap;

    va_start(ap, fmt);
    value = lite_vprintf(fmt, ap);
    va_end(ap);
    lite_msg_set(m, key, value);
}

void
lite_msg_set_u64(lite_msg *m, const char *key, uint64_t value)
{
    lite_msg_setf(m, key, "%" PRIu64, value);
}

const char *
lite_msg_get(const lite_msg *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->keys[i], key) == 0)
            return m->values[i];
    }
    return NULL;
}

int
lite_msg_get_u64(const lite_msg *m, const char *key, uint64_t *out)
{
    const char *text = lite_msg_get(m, key);

    if (!text)
        return -ENOENT;
    return lite_parse_u64(text, out);
}

size_t
lite_msg_count(const lite_msg *m)
{
    return m->n;
}

void
lite_msg_nth(const lite_msg *m, size_t i, const char **key, const char **value)
{
    *key = m->keys[i];
    *value = m->values[i];
}

static bool
needs_escape(unsigned char c)
{
    return c <= 0x20 || c >= 0x7f || c == '=' || c == '\\';
}

char *
lite_msg_format(const lite_msg *m)
{
    size_t len = strlen(m->verb) + 2;
    char *out, *o;

    for (size_t i = 0; i < m->n; i++)
        len += strlen(m->keys[i]) + 2 + 4 * strlen(m->values[i]);
    o = out = lite_calloc(len, 1);
    o = stpcpy(o, m->verb);
    for (size_t i = 0; i < m->n; i++) {
        *o++ = ' ';
        o = stpcpy(o, m->keys[i]);
        *o++ = '=';
        for (const unsigned char *v = (const unsigned char *)m->values[i]; *v; v++) {
            if (needs_escape(*v))
                o += sprintf(o, "\\x%02x", *v);
            else
                *o++ = (char)*v;
        }
    }
    *o++ = '\n';
    *o = '\0';
    return out;
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int
unescape(const char *s, size_t len, char **out)
{
    lite_autofree char *buf = lite_calloc(len + 1, 1);
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\') {
            if (needs_escape((unsigned char)s[i]))
                return -EINVAL;
            buf[o++] = s[i];
            continue;
        }
        if (i + 3 >= len || s[i + 1] != 'x' || hex_value(s[i + 2]) < 0 || hex_value(s[i + 3]) < 0)
            return -EINVAL;
        buf[o] = (char)(hex_value(s[i + 2]) * 16 + hex_value(s[i + 3]));
        /* An embedded NUL would silently truncate the value. */
        if (buf[o] == '\0')
            return -EINVAL;
        o++;
        i += 3;
    }
    buf[o] = '\0';
    *out = buf;
    buf = NULL;
    return 0;
}

int
lite_msg_parse(const char *line, size_t len, lite_msg **out)
{
    lite_msg *m = NULL;
    size_t pos = 0;
    size_t end;

    for (end = 0; end < len && line[end] != ' '; end++)
        ;
    if (!is_word(line, end))
        return -EINVAL;
    m = lite_msg_new(NULL);
    m->verb = lite_strndup(line, end);
    pos = end;

    while (pos < len) {
        const char *key;
        const char *eq;
        lite_autofree char *value = NULL;
        lite_autofree char *k = NULL;

        if (line[pos] != ' ')
            goto bad;
        key = line + ++pos;
        for (end = pos; end < len && line[end] != ' '; end++)
            ;
        eq = memchr(key, '=', end - pos);
        if (!eq || !is_word(key, (size_t)(eq - key)))
            goto bad;
        if (unescape(eq + 1, (size_t)(line + end - (eq + 1)), &value) < 0)
            goto bad;
        k = lite_strndup(key, (size_t)(eq - key));
        if (lite_msg_get(m, k))
            goto bad;
        lite_msg_set(m, k, value);
        pos = end;
    }
    *out = m;
    return 0;

 bad:
    lite_msg_free(m);
    return -EINVAL;
}

lite_msg *
lite_msg_error(const char *code, int err, const char *fmt, ...)
{
    lite_msg *m = lite_msg_new("error");
    lite_autofree char *message = NULL;
    va_list ap;

    va_start(ap, fmt);
    message = lite_vprintf(fmt, ap);
    va_end(ap);
    lite_msg_set(m, "code", code);
    lite_msg_setf(m, "errno", "%d", err < 0 ? -err : err);
    lite_msg_set(m, "message", message);
    return m;
}

bool
lite_msg_is_ok(const lite_msg *m)
{
    return strcmp(m->verb, "ok") == 0;
}

ssize_t
lite_linebuf_fill(lite_linebuf *lb, int fd)
{
    ssize_t n;

    if (lb->len == sizeof(lb->buf))
        return -EMSGSIZE;
    do {
        n = read(fd, lb->buf + lb->len, sizeof(lb->buf) - lb->len);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    lb->len += (size_t)n;
    return n;
}

int
lite_linebuf_next(lite_linebuf *lb, lite_msg **out)
{
    char *nl = memchr(lb->buf, '\n', lb->len);
    size_t used;
    int ret;

    if (!nl)
        return lb->len == sizeof(lb->buf) ? -EINVAL : 0;
    used = (size_t)(nl - lb->buf) + 1;
    ret = lite_msg_parse(lb->buf, used - 1, out);
    memmove(lb->buf, lb->buf + used, lb->len - used);
    lb->len -= used;
    return ret < 0 ? ret : 1;
}

int
lite_msg_send(int fd, const lite_msg *m)
{
    lite_autofree char *line = lite_msg_format(m);

    if (strlen(line) > LITE_MSG_MAX)
        return -EMSGSIZE;
    return lite_send_with_fds(fd, line, strlen(line), NULL, 0);
}

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
lite_msg_recv(int fd, lite_msg **out, int timeout_ms)
{
    /* On a socket, exactly one line is consumed (peeked first, then read up to its
     * newline): a watch connection's next message belongs to whoever reads it next. A
     * pipe cannot be peeked; the only one here carries one status line and is closed. */
    lite_autofree char *buf = lite_calloc(LITE_MSG_MAX + 1, 1);
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    bool is_socket = true;
    size_t len = 0;

    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int wait = -1;
        ssize_t n;
        char *nl;

        if (deadline >= 0) {
            int64_t left = deadline - now_ms();

            wait = left > 0 ? (int)left : 0;
        }
        n = poll(&pfd, 1, wait);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -ETIMEDOUT;
        n = -1;
        if (is_socket) {
            n = recv(fd, buf + len, LITE_MSG_MAX - len, MSG_PEEK | MSG_DONTWAIT);
            if (n < 0 && errno == ENOTSOCK)
                is_socket = false;
            else if (n > 0 && (nl = memchr(buf + len, '\n', (size_t)n)))
                n = nl - (buf + len) + 1;
        }
        if (n > 0 || !is_socket)
            n = read(fd, buf + len, n > 0 ? (size_t)n : LITE_MSG_MAX - len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EPIPE;
        if ((nl = memchr(buf + len, '\n', (size_t)n)))
            return lite_msg_parse(buf, (size_t)(nl - buf), out);
        len += (size_t)n;
        if (len == LITE_MSG_MAX)
            return -EMSGSIZE;
    }
}

int
lite_control_call(const char *path, const lite_msg *req, lite_msg **reply, int timeout_ms)
{
    lite_autofd fd = lite_unix_connect(path);
    int ret;

    if (fd < 0)
        return fd;
    if ((ret = lite_msg_send(fd, req)) < 0)
        return ret;
    return lite_msg_recv(fd, reply, timeout_ms);
}
