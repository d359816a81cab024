/* vmm-server.c: serving the control protocol (control.c in src/launch) to several clients.
 * A client is untrusted: lines are bounded (LITE_MSG_MAX), a malformed line gets
 * "error code=protocol" and the connection is closed, at most VMM_SERVER_MAX_CLIENTS are
 * served at once (more are closed on accept), and writes never block: a client that does
 * not read its replies or events is disconnected instead of stalling the VMM. */
#include "vmm-server.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd.h"
#include "log.h"
#include "sock.h"

typedef struct {
    int fd;
    bool watch;
    bool dead;                /* closed at the next vmm_server_add_pollfds */
    lite_linebuf *in;
} client;

struct vmm_server {
    char *path;
    int listen_fd;
    GPtrArray *clients;       /* of client */
    vmm_server_handler handler;
    void *opaque;
    bool ever_watched;
};

static void
client_free(gpointer p)
{
    client *c = p;

    lite_fd_cleanup(&c->fd);
    g_free(c->in);
    g_free(c);
}

int
vmm_server_new(const char *path, vmm_server_handler handler, void *opaque, vmm_server **out)
{
    int fd = lite_unix_listen(path);
    vmm_server *s;

    if (fd < 0)
        return fd;
    lite_fd_set_nonblock(fd, true);
    s = g_new0(vmm_server, 1);
    s->path = g_strdup(path);
    s->listen_fd = fd;
    s->clients = g_ptr_array_new_with_free_func(client_free);
    s->handler = handler;
    s->opaque = opaque;
    *out = s;
    return 0;
}

void
vmm_server_free(vmm_server *s)
{
    if (!s)
        return;
    g_ptr_array_unref(s->clients);
    lite_fd_cleanup(&s->listen_fd);
    if (unlink(s->path) < 0 && errno != ENOENT)
        lite_warn("cannot remove %s: %s", s->path, g_strerror(errno));
    g_free(s->path);
    g_free(s);
}

/* Clients are only removed here, between polls: a handler or a broadcast that gives up on
 * a client must not free it under the feet of whoever is iterating. */
static void
reap(vmm_server *s)
{
    for (guint i = 0; i < s->clients->len;) {
        client *c = g_ptr_array_index(s->clients, i);

        if (c->dead)
            g_ptr_array_remove_index(s->clients, i);
        else
            i++;
    }
}

unsigned
vmm_server_add_pollfds(vmm_server *s, GArray *pfds)
{
    struct pollfd p = { .fd = s->listen_fd, .events = POLLIN };

    reap(s);
    g_array_append_val(pfds, p);
    for (guint i = 0; i < s->clients->len; i++) {
        client *c = g_ptr_array_index(s->clients, i);

        p.fd = c->fd;
        /* Watchers only send "watch"; what else they send is read and answered too. */
        g_array_append_val(pfds, p);
    }
    return 1 + s->clients->len;
}

static int
send_msg(client *c, const lite_msg *m)
{
    g_autofree char *line = lite_msg_format(m);
    size_t len = strlen(line);
    ssize_t n = send(c->fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);

    /* A line is tiny next to a socket buffer: a partial send means the peer stopped
     * reading. */
    return n == (ssize_t)len ? 0 : -EAGAIN;
}

/* Idle connections must not lock the driver out: the oldest non-watcher makes room. */
static bool
evict_idle(vmm_server *s)
{
    for (guint i = 0; i < s->clients->len; i++) {
        client *c = g_ptr_array_index(s->clients, i);

        if (!c->watch && !c->dead) {
            c->dead = true;
            lite_fd_cleanup(&c->fd);
            return true;
        }
    }
    return false;
}

static void
accept_clients(vmm_server *s)
{
    for (;;) {
        lite_autofd fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        client *c;

        if (fd < 0)
            return;
        if (s->clients->len >= VMM_SERVER_MAX_CLIENTS && !evict_idle(s)) {
            lite_warn("control socket: %d watchers already, refusing another client",
                      VMM_SERVER_MAX_CLIENTS);
            continue;
        }
        c = g_new0(client, 1);
        c->fd = lite_steal_fd(&fd);
        c->in = g_new0(lite_linebuf, 1);
        g_ptr_array_add(s->clients, c);
    }
}

/* False when the client must be closed. */
static bool
serve_client(vmm_server *s, client *c)
{
    ssize_t n = lite_linebuf_fill(c->in, c->fd);
    int r;

    if (n == 0 || (n < 0 && n != -EAGAIN))
        return false;
    for (;;) {
        g_autoptr(lite_msg) req = NULL;
        g_autoptr(lite_msg) reply = NULL;
        bool watch = false;

        r = lite_linebuf_next(c->in, &req);
        if (r == 0)
            return true;
        if (r < 0) {
            g_autoptr(lite_msg) e = lite_msg_error(LITE_ECODE_PROTOCOL, EINVAL,
                                                   "malformed or over-long request line");
            send_msg(c, e);
            return false;
        }
        reply = s->handler(s->opaque, req, &watch);
        if (c->dead || send_msg(c, reply) < 0)
            return false;
        if (watch && lite_msg_is_ok(reply)) {
            c->watch = true;
            s->ever_watched = true;
        }
    }
}

void
vmm_server_dispatch(vmm_server *s, const struct pollfd *pfds, unsigned count)
{
    for (unsigned i = 1; i < count && i - 1 < s->clients->len; i++) {
        client *c = g_ptr_array_index(s->clients, i - 1);

        if (c->dead || pfds[i].fd != c->fd || !pfds[i].revents)
            continue;
        if (!serve_client(s, c))
            c->dead = true;
    }
    if (count > 0 && (pfds[0].revents & POLLIN))
        accept_clients(s);
}

void
vmm_server_broadcast(vmm_server *s, const lite_msg *event)
{
    for (guint i = 0; s && i < s->clients->len; i++) {
        client *c = g_ptr_array_index(s->clients, i);

        if (c->watch && !c->dead && send_msg(c, event) < 0) {
            lite_warn("dropping a watcher that does not read its events");
            c->dead = true;
        }
    }
}

bool
vmm_server_ever_watched(const vmm_server *s)
{
    return s && s->ever_watched;
}
