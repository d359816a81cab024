/* ns-console.c: console relay between the container's pty and the host's pty.
 *
 * Two ptys, as in libvirt's lxc controller: the container's /dev/console is a slave whose
 * master we read, and clients (virsh console, tests) open the slave of a second pty whose
 * master we write. We keep that host slave open ourselves, in raw mode, so that its master
 * never reads EIO while no client is attached and the first output waits there for the first
 * client. The container must never block on its console: output that nobody takes is dropped,
 * oldest first.
 *
 * agetty calls vhangup() on its tty: the container master then reads EIO until the slave is
 * opened again, so on EIO we back off 50 ms and retry instead of closing.
 */
#include "ns-console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "alloc.h"
#include "fd.h"
#include "log.h"

#define RETRY_MS 50

#define MIN(a, b) ((a) < (b) ? (a) : (b))

typedef struct {
    char buf[16384];
    size_t start;
    size_t len;
} ring;

struct ns_console {
    int cont_master;
    int host_master;
    int host_slave;          /* ours, only to keep the host side attached */
    char *cont_path;
    char *host_path;
    ring to_host;
    ring to_cont;
    int64_t cont_retry_at;   /* 0, or when to look at the container side again after EIO */
};

/* Appends, dropping the oldest bytes when full (the container must not wait for us). */
static void
ring_put(ring *r, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (r->len == sizeof(r->buf)) {
            r->start = (r->start + 1) % sizeof(r->buf);
            r->len--;
        }
        r->buf[(r->start + r->len) % sizeof(r->buf)] = data[i];
        r->len++;
    }
}

/* Writes from the ring to @fd; EAGAIN leaves the data for later. */
static int
ring_flush(ring *r, int fd)
{
    while (r->len > 0) {
        size_t chunk = MIN(r->len, sizeof(r->buf) - r->start);
        ssize_t n = write(fd, r->buf + r->start, chunk);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? 0 : -errno;
        r->start = (r->start + (size_t)n) % sizeof(r->buf);
        r->len -= (size_t)n;
    }
    return 0;
}

static int
open_pty(int *master, char **slave_path)
{
    lite_autofd fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    char name[64];

    if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0 || ptsname_r(fd, name, sizeof(name)) != 0)
        return -errno;
    *slave_path = lite_strdup(name);
    *master = lite_steal_fd(&fd);
    return 0;
}

int
ns_console_new(ns_console **out)
{
    ns_console *c = lite_calloc(1, sizeof(*c));
    struct winsize ws = { .ws_row = 24, .ws_col = 80 };
    struct termios tio;
    int ret;

    c->cont_master = c->host_master = c->host_slave = -1;
    if ((ret = open_pty(&c->cont_master, &c->cont_path)) < 0 ||
        (ret = open_pty(&c->host_master, &c->host_path)) < 0)
        goto fail;
    c->host_slave = open(c->host_path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (c->host_slave < 0) {
        ret = -errno;
        goto fail;
    }
    /* Raw: an echoing host slave would hand the container's output back to it as input. */
    if (tcgetattr(c->host_slave, &tio) < 0) {
        ret = -errno;
        goto fail;
    }
    cfmakeraw(&tio);
    if (tcsetattr(c->host_slave, TCSANOW, &tio) < 0) {
        ret = -errno;
        goto fail;
    }
    ioctl(c->cont_master, TIOCSWINSZ, &ws);
    ioctl(c->host_master, TIOCSWINSZ, &ws);
    *out = c;
    return 0;

 fail:
    lite_err("cannot set up the console ptys: %s", strerror(-ret));
    ns_console_free(c);
    return ret;
}

void
ns_console_free(ns_console *c)
{
    if (!c)
        return;
    lite_fd_cleanup(&c->cont_master);
    lite_fd_cleanup(&c->host_master);
    lite_fd_cleanup(&c->host_slave);
    free(c->cont_path);
    free(c->host_path);
    free(c);
}

int
ns_console_adopt(const int fds[NS_CONSOLE_HANDOVER_FDS], const char *cont_path,
                 const char *host_path, ns_console **out)
{
    ns_console *c = lite_calloc(1, sizeof(*c));

    c->cont_master = fds[0];
    c->host_master = fds[1];
    c->host_slave = fds[2];
    c->cont_path = lite_strdup(cont_path);
    c->host_path = lite_strdup(host_path);
    *out = c;
    return 0;
}

void
ns_console_handover_fds(const ns_console *c, int fds[NS_CONSOLE_HANDOVER_FDS])
{
    fds[0] = c->cont_master;
    fds[1] = c->host_master;
    fds[2] = c->host_slave;
}

const char *
ns_console_host_path(const ns_console *c)
{
    return c->host_path;
}

const char *
ns_console_cont_path(const ns_console *c)
{
    return c->cont_path;
}

int
ns_console_chown(const ns_console *c, uid_t uid, gid_t gid)
{
    if (chown(c->cont_path, uid, gid) < 0) {
        int ret = -errno;
        lite_err("cannot give %s to uid %u: %s", c->cont_path, (unsigned)uid, strerror(-ret));
        return ret;
    }
    return 0;
}

int
ns_console_poll_setup(ns_console *c, struct pollfd *pfd, int64_t now_ms)
{
    bool cont_ok = c->cont_retry_at == 0 || now_ms >= c->cont_retry_at;

    if (cont_ok)
        c->cont_retry_at = 0;
    pfd[0] = (struct pollfd){ .fd = cont_ok ? c->cont_master : -1, .events = POLLIN };
    if (c->to_cont.len > 0)
        pfd[0].events |= POLLOUT;
    pfd[1] = (struct pollfd){ .fd = c->host_master, .events = 0 };
    if (c->to_cont.len < sizeof(c->to_cont.buf))
        pfd[1].events |= POLLIN;
    if (c->to_host.len > 0)
        pfd[1].events |= POLLOUT;
    return cont_ok ? -1 : (int)(c->cont_retry_at - now_ms);
}

/* Reads what is there into @r; 0, or -EIO when the other side is closed (vhangup). */
static int
drain(int fd, ring *r, size_t limit)
{
    char buf[4096];

    while (limit > 0) {
        ssize_t n = read(fd, buf, MIN(sizeof(buf), limit));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? 0 : -errno;
        if (n == 0)
            return -EIO;
        ring_put(r, buf, (size_t)n);
        limit -= (size_t)n;
    }
    return 0;
}

void
ns_console_poll_done(ns_console *c, const struct pollfd *pfd, int64_t now_ms)
{
    if (pfd[0].fd >= 0 && pfd[0].revents) {
        int ret = 0;

        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
            ret = drain(c->cont_master, &c->to_host, SIZE_MAX);
        if (ret == 0 && (pfd[0].revents & POLLOUT))
            ret = ring_flush(&c->to_cont, c->cont_master);
        if (ret < 0 || (pfd[0].revents & (POLLHUP | POLLERR)))
            c->cont_retry_at = now_ms + RETRY_MS;
    }
    if (pfd[1].revents & POLLIN)
        drain(c->host_master, &c->to_cont, sizeof(c->to_cont.buf) - c->to_cont.len);
    /* Flush eagerly: the host side is writable almost always. */
    if (c->to_host.len > 0)
        ring_flush(&c->to_host, c->host_master);
    if (c->to_cont.len > 0 && c->cont_retry_at == 0)
        ring_flush(&c->to_cont, c->cont_master);
}
