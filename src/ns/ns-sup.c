/* ns-sup.c: the supervisor's state in memory and on disk, its connections, and the handover
 * between lite-ns and lite-ns-monitor (ns-sup.h has the picture).
 *
 * State file, <control>.state, replaced atomically on every change; a key file that
 * GKeyFile reads (the driver does), group [lite-ns]:
 *
 *   pid=<supervisor>  name=  config=  control=  state=  reason=  init-pid=  systemd=true|false
 *   memory-kib=  [console=<host slave>  console-container=<container slave>]  cgroup=<path>
 *   cgroup-dirs=D;...   cgroup-mounts=M;...   cgroup-controllers=v1:<list>|v2:<list>;...
 *   host-ifnames=N;...  host-bridged=true|false;...
 *
 * The three cgroup lists and the two host lists are parallel. Values are escaped as
 * GKeyFile does (\s for a leading space, \n \t \r \\, and \; inside list items).
 *
 * Handover command line, after the program and its mode:
 *   --state PATH [--listen FD] [--pidfd FD] [--console FD,FD,FD] [--conn FD:[w][d]]...
 *   [--destroying]
 * Every handed-over fd is close-on-exec except across that one exec, so that a container's
 * init never inherits the supervisor's sockets.
 */
#include "ns-sup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "alloc.h"
#include "fd.h"
#include "file.h"
#include "log.h"
#include "ns-fs.h"
#include "text.h"

#define GROUP "lite-ns"

static const char *const state_names[] = { "running", "paused", "shutdown", "shutoff",
                                           "crashed" };

const char *
ns_state_name(ns_state state)
{
    return state_names[state];
}

void
ns_sup_init(ns_sup *s)
{
    *s = (ns_sup){ .pidfd = -1, .listen_fd = -1 };
    snprintf(s->reason, sizeof(s->reason), "booted");
}

static void
conn_free(ns_conn *c)
{
    lite_fd_cleanup(&c->fd);
    free(c->lb);
    free(c);
}

static void
free_nets(ns_sup *s)
{
    for (size_t i = 0; i < s->nnet; i++)
        free(s->ifnames[i]);
    free(s->ifnames);
    free(s->bridged);
    s->ifnames = NULL;
    s->bridged = NULL;
    s->nnet = 0;
}

void
ns_sup_clear(ns_sup *s)
{
    for (size_t i = 0; i < s->nconns; i++)
        conn_free(s->conns[i]);
    free(s->conns);
    lite_fd_cleanup(&s->listen_fd);
    lite_fd_cleanup(&s->pidfd);
    ns_console_free(s->console);
    ns_cgroups_free(s->cg);
    free_nets(s);
    free(s->name);
    free(s->config_path);
    free(s->control_path);
    free(s->state_path);
    free(s->console_paths[0]);
    free(s->console_paths[1]);
    ns_sup_init(s);
}

/* ---- the state file ---- */

typedef struct {
    char *buf;
    size_t len;
} strbuf;

static void
put(strbuf *t, const char *s, size_t n)
{
    t->buf = lite_realloc(t->buf, t->len + n + 1, 1);
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void
put_escaped(strbuf *t, const char *v, bool item)
{
    for (const char *p = v; *p; p++) {
        const char *esc = NULL;

        switch (*p) {
        case '\n': esc = "\\n"; break;
        case '\t': esc = "\\t"; break;
        case '\r': esc = "\\r"; break;
        case '\\': esc = "\\\\"; break;
        case ';': esc = item ? "\\;" : NULL; break;
        case ' ': esc = p == v ? "\\s" : NULL; break;
        }
        if (esc)
            put(t, esc, strlen(esc));
        else
            put(t, p, 1);
    }
}

static void
put_key(strbuf *t, const char *key, const char *value)
{
    put(t, key, strlen(key));
    put(t, "=", 1);
    put_escaped(t, value, false);
    put(t, "\n", 1);
}

static void
put_list(strbuf *t, const char *key, const char *const *items, size_t n)
{
    put(t, key, strlen(key));
    put(t, "=", 1);
    for (size_t i = 0; i < n; i++) {
        put_escaped(t, items[i], true);
        put(t, ";", 1);
    }
    put(t, "\n", 1);
}

int
ns_sup_save(const ns_sup *s)
{
    static const char header[] = "# lite-ns state: what to clean up if this supervisor dies "
                                 "(docs/containers.md)\n[" GROUP "]\n";
    strbuf t = { 0 };
    lite_autofree char *num = NULL;
    const char **dirs = lite_calloc(s->cg->n, sizeof(char *));
    const char **mounts = lite_calloc(s->cg->n, sizeof(char *));
    char **ctls = lite_calloc(s->cg->n, sizeof(char *));
    const char **bridged = lite_calloc(s->nnet, sizeof(char *));
    int ret;

    put(&t, header, strlen(header));
    num = lite_printf("%d", (int)getpid());
    put_key(&t, "pid", num);
    put_key(&t, "name", s->name);
    put_key(&t, "config", s->config_path);
    put_key(&t, "control", s->control_path);
    put_key(&t, "state", state_names[s->state]);
    put_key(&t, "reason", s->reason);
    free(num);
    num = lite_printf("%d", (int)s->init_pid);
    put_key(&t, "init-pid", num);
    put_key(&t, "systemd", s->systemd ? "true" : "false");
    free(num);
    num = lite_printf("%llu", (unsigned long long)s->memory_kib);
    put_key(&t, "memory-kib", num);
    if (s->console) {
        put_key(&t, "console", ns_console_host_path(s->console));
        put_key(&t, "console-container", ns_console_cont_path(s->console));
    }
    put_key(&t, "cgroup", s->cg->path);
    for (size_t i = 0; i < s->cg->n; i++) {
        const ns_cg_hier *h = &s->cg->hiers[i];

        dirs[i] = h->dir;
        mounts[i] = h->mount;
        ctls[i] = lite_printf("%s:%s", h->v2 ? "v2" : "v1", h->controllers ? h->controllers : "");
    }
    put_list(&t, "cgroup-dirs", dirs, s->cg->n);
    put_list(&t, "cgroup-mounts", mounts, s->cg->n);
    put_list(&t, "cgroup-controllers", (const char *const *)ctls, s->cg->n);
    put_list(&t, "host-ifnames", (const char *const *)s->ifnames, s->nnet);
    for (size_t i = 0; i < s->nnet; i++)
        bridged[i] = s->bridged[i] ? "true" : "false";
    put_list(&t, "host-bridged", bridged, s->nnet);

    ret = lite_file_write_atomic(s->state_path, t.buf, t.len, 0600, LITE_FILE_RUNTIME);
    for (size_t i = 0; i < s->cg->n; i++)
        free(ctls[i]);
    free(ctls);
    free(dirs);
    free(mounts);
    free(bridged);
    free(t.buf);
    return ret;
}

/* Unescapes @v in place; with @items, splits it at unescaped ';' into a NULL-terminated
 * array (of pointers into @v). */
static char **
unescape(char *v, bool items, size_t *n)
{
    char **out = lite_calloc(1, sizeof(char *));
    char *o = v;
    char *start = v;

    *n = 0;
    for (char *p = v; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            *o++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'r' ? '\r' : *p == 's' ? ' ' : *p;
        } else if (*p == ';' && items) {
            *o++ = '\0';
            out = lite_realloc(out, *n + 2, sizeof(char *));
            out[(*n)++] = start;
            start = o;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    if (!items || *start) {
        out = lite_realloc(out, *n + 2, sizeof(char *));
        out[(*n)++] = start;
    }
    out[*n] = NULL;
    return out;
}

static int
load_u64(const char *key, const char *v, uint64_t max, uint64_t *out)
{
    if (lite_parse_u64(v, out) < 0 || *out > max) {
        lite_err("state file: %s=%s is not a number", key, v);
        return -EINVAL;
    }
    return 0;
}

/* One key of the state file into @s; unknown keys are ignored (a newer lite-ns may add). */
static int
load_key(ns_sup *s, const char *key, char *value, char ***cg_lists)
{
    static const char *const lists[] = { "cgroup-dirs", "cgroup-mounts", "cgroup-controllers" };
    lite_autofree char **items = NULL;
    size_t n;
    uint64_t u;

    for (size_t i = 0; i < LITE_N_ELEMENTS(lists); i++) {
        if (strcmp(key, lists[i]) == 0) {
            items = unescape(value, true, &n);
            free(cg_lists[i]);
            cg_lists[i] = items;
            items = NULL;
            return (int)n;
        }
    }
    if (strcmp(key, "host-ifnames") == 0 || strcmp(key, "host-bridged") == 0) {
        bool names = strcmp(key, "host-ifnames") == 0;

        items = unescape(value, true, &n);
        if (s->nnet != 0 && s->nnet != n) {
            lite_err("state file: host-ifnames and host-bridged differ in length");
            return -EINVAL;
        }
        if (!s->ifnames) {
            s->nnet = n;
            s->ifnames = lite_calloc(n + 1, sizeof(char *));
            s->bridged = lite_calloc(n + 1, sizeof(bool));
        }
        for (size_t i = 0; i < n; i++) {
            if (names)
                s->ifnames[i] = lite_strdup(items[i]);
            else
                s->bridged[i] = strcmp(items[i], "true") == 0;
        }
        return 0;
    }
    items = unescape(value, false, &n);
    if (strcmp(key, "name") == 0) {
        s->name = lite_strdup(value);
    } else if (strcmp(key, "config") == 0) {
        s->config_path = lite_strdup(value);
    } else if (strcmp(key, "control") == 0) {
        s->control_path = lite_strdup(value);
    } else if (strcmp(key, "state") == 0) {
        for (size_t i = 0; i < LITE_N_ELEMENTS(state_names); i++) {
            if (strcmp(value, state_names[i]) == 0)
                s->state = (ns_state)i;
        }
    } else if (strcmp(key, "reason") == 0) {
        snprintf(s->reason, sizeof(s->reason), "%s", value);
    } else if (strcmp(key, "init-pid") == 0) {
        if (load_u64(key, value, INT_MAX, &u) < 0)
            return -EINVAL;
        s->init_pid = (pid_t)u;
    } else if (strcmp(key, "systemd") == 0) {
        s->systemd = strcmp(value, "true") == 0;
    } else if (strcmp(key, "memory-kib") == 0) {
        if (load_u64(key, value, UINT64_MAX, &s->memory_kib) < 0)
            return -EINVAL;
    } else if (strcmp(key, "cgroup") == 0) {
        s->cg->path = lite_strdup(value);
    } else if (strcmp(key, "console") == 0 || strcmp(key, "console-container") == 0) {
        char **slot = &s->console_paths[strcmp(key, "console") == 0 ? 0 : 1];

        free(*slot);
        *slot = lite_strdup(value);
    }
    return 0;
}

/* The parallel cgroup lists into s->cg; every directory is ours to remove. */
static int
load_cgroups(ns_sup *s, char ***lists)
{
    size_t n = 0;

    for (char **p = lists[0]; p && *p; p++)
        n++;
    for (size_t i = 1; i < 3; i++) {
        size_t m = 0;

        for (char **p = lists[i]; p && *p; p++)
            m++;
        if (m != n) {
            lite_err("state file: the cgroup lists differ in length");
            return -EINVAL;
        }
    }
    if (n == 0 || !s->cg->path) {
        lite_err("state file: no cgroup");
        return -EINVAL;
    }
    s->cg->hiers = lite_calloc(n, sizeof(ns_cg_hier));
    s->cg->n = n;
    for (size_t i = 0; i < n; i++) {
        ns_cg_hier *h = &s->cg->hiers[i];
        const char *c = lists[2][i];

        if (strncmp(c, "v1:", 3) != 0 && strncmp(c, "v2:", 3) != 0) {
            lite_err("state file: cgroup controllers '%s' lack v1: or v2:", c);
            return -EINVAL;
        }
        *h = (ns_cg_hier){
            .v2 = c[1] == '2', .controllers = lite_strdup(c + 3),
            .mount = lite_strdup(lists[1][i]), .dir = lite_strdup(lists[0][i]),
            .created = true, .join_fd = -1,
        };
    }
    return 0;
}

int
ns_sup_load(ns_sup *s, const char *state_path)
{
    lite_autofree char *content = NULL;
    char **cg_lists[3] = { NULL, NULL, NULL };
    char *save = NULL;
    int ret;

    if ((ret = ns_file_read(state_path, &content)) < 0) {
        lite_err("cannot read %s: %s", state_path, strerror(-ret));
        return ret;
    }
    s->state_path = lite_strdup(state_path);
    s->cg = lite_calloc(1, sizeof(*s->cg));
    for (char *line = strtok_r(content, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');

        if (line[0] == '#' || line[0] == '[' || !eq)
            continue;
        *eq = '\0';
        if ((ret = load_key(s, line, eq + 1, cg_lists)) < 0)
            goto out;
    }
    if (!s->name || !s->config_path || !s->control_path) {
        lite_err("state file %s lacks name, config or control", state_path);
        ret = -EINVAL;
        goto out;
    }
    ret = load_cgroups(s, cg_lists);
 out:
    for (size_t i = 0; i < 3; i++)
        free(cg_lists[i]);
    return ret;
}

/* ---- connections and events ---- */

ns_conn *
ns_sup_add_conn(ns_sup *s, int fd)
{
    ns_conn *c = lite_calloc(1, sizeof(*c));

    c->fd = fd;
    c->lb = lite_calloc(1, sizeof(*c->lb));
    s->conns = lite_realloc(s->conns, s->nconns + 1, sizeof(ns_conn *));
    s->conns[s->nconns++] = c;
    return c;
}

bool
ns_sup_has_conn(const ns_sup *s, const ns_conn *c)
{
    for (size_t i = 0; i < s->nconns; i++) {
        if (s->conns[i] == c)
            return true;
    }
    return false;
}

void
ns_sup_drop_conn(ns_sup *s, ns_conn *c)
{
    for (size_t i = 0; i < s->nconns; i++) {
        if (s->conns[i] == c) {
            memmove(s->conns + i, s->conns + i + 1, (s->nconns - i - 1) * sizeof(ns_conn *));
            s->nconns--;
            conn_free(c);
            return;
        }
    }
}

void
ns_sup_send(ns_sup *s, ns_conn *c, const lite_msg *m)
{
    if (lite_msg_send(c->fd, m) < 0) {
        lite_debug("dropping control connection %d", c->fd);
        ns_sup_drop_conn(s, c);
    }
}

void
ns_sup_set_state(ns_sup *s, ns_state state, const char *reason)
{
    lite_msg *ev = lite_msg_new("event");

    s->state = state;
    snprintf(s->reason, sizeof(s->reason), "%s", reason);
    if (state != NS_ST_SHUTOFF)
        ns_sup_save(s);
    lite_info("state %s/%s", state_names[state], reason);
    lite_msg_set(ev, "state", state_names[state]);
    lite_msg_set(ev, "reason", reason);
    if (s->init_pid > 0)
        lite_msg_setf(ev, "init-pid", "%d", (int)s->init_pid);
    for (size_t i = s->nconns; i > 0; i--) {
        if (s->conns[i - 1]->watch)
            ns_sup_send(s, s->conns[i - 1], ev);
    }
    lite_msg_free(ev);
}

/* The socket and state file go first, so that a driver that starts the domain again on
 * seeing the event never has its new socket removed by us. */
void
ns_sup_finish(ns_sup *s, const char *reason)
{
    lite_msg *ok = lite_msg_new("ok");

    lite_fd_cleanup(&s->listen_fd);
    unlink(s->control_path);
    unlink(s->state_path);
    for (size_t i = s->nconns; i > 0; i--) {
        if (s->conns[i - 1]->destroy_waiter)
            ns_sup_send(s, s->conns[i - 1], ok);
    }
    lite_msg_free(ok);
    ns_sup_set_state(s, NS_ST_SHUTOFF, reason);
    s->done = true;
}

void
ns_sup_identity(const ns_sup *s, lite_msg *m)
{
    lite_msg_setf(m, "pid", "%d", (int)getpid());
    lite_msg_setf(m, "init-pid", "%d", (int)s->init_pid);
    if (s->console)
        lite_msg_set(m, "console", ns_console_host_path(s->console));
    lite_msg_set(m, "cgroup", s->cg->path);
    for (size_t i = 0; i < s->nnet; i++) {
        lite_autofree char *key = lite_printf("net-%zu-name", i);

        lite_msg_set(m, key, s->ifnames[i]);
    }
}

/* ---- handover ---- */

int
ns_sup_block_signals(bool as_fd)
{
    static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD };
    sigset_t set;
    int fd;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    for (size_t i = 0; i < LITE_N_ELEMENTS(sigs); i++)
        sigaddset(&set, sigs[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -errno;
    if (!as_fd)
        return 0;
    fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

static void
handover_cloexec(ns_sup *s, bool on)
{
    int fds[NS_CONSOLE_HANDOVER_FDS];

    if (s->listen_fd >= 0)
        lite_fd_set_cloexec(s->listen_fd, on);
    if (s->pidfd >= 0)
        lite_fd_set_cloexec(s->pidfd, on);
    if (s->console) {
        ns_console_handover_fds(s->console, fds);
        for (size_t i = 0; i < NS_CONSOLE_HANDOVER_FDS; i++)
            lite_fd_set_cloexec(fds[i], on);
    }
    for (size_t i = 0; i < s->nconns; i++)
        lite_fd_set_cloexec(s->conns[i]->fd, on);
}

int
ns_sup_sibling(const char *prog, char **path)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (len < 0 || !memchr(self, '/', (size_t)len))
        return len < 0 ? -errno : -ENOENT;
    self[len] = '\0';
    *strrchr(self, '/') = '\0';
    *path = lite_printf("%s/%s", self, prog);
    return 0;
}

int
ns_sup_exec(ns_sup *s, const char *prog, const char *mode)
{
    lite_autofree char *path = NULL;
    char **argv;
    size_t n = 0;
    int ret;

    if ((ret = ns_sup_sibling(prog, &path)) < 0) {
        lite_err("cannot find this program's directory: %s", strerror(-ret));
        return ret;
    }
    argv = lite_calloc(12 + 2 * s->nconns, sizeof(char *));
    argv[n++] = lite_strdup(prog);
    if (mode)
        argv[n++] = lite_strdup(mode);
    argv[n++] = lite_strdup("--state");
    argv[n++] = lite_strdup(s->state_path);
    if (s->listen_fd >= 0) {
        argv[n++] = lite_strdup("--listen");
        argv[n++] = lite_printf("%d", s->listen_fd);
    }
    if (s->pidfd >= 0) {
        argv[n++] = lite_strdup("--pidfd");
        argv[n++] = lite_printf("%d", s->pidfd);
    }
    if (s->console) {
        int fds[NS_CONSOLE_HANDOVER_FDS];

        ns_console_handover_fds(s->console, fds);
        argv[n++] = lite_strdup("--console");
        argv[n++] = lite_printf("%d,%d,%d", fds[0], fds[1], fds[2]);
    }
    for (size_t i = 0; i < s->nconns; i++) {
        argv[n++] = lite_strdup("--conn");
        argv[n++] = lite_printf("%d:%s%s", s->conns[i]->fd, s->conns[i]->watch ? "w" : "",
                                s->conns[i]->destroy_waiter ? "d" : "");
    }
    if (s->destroying)
        argv[n++] = lite_strdup("--destroying");
    argv[n] = NULL;

    lite_debug("handing over to %s", path);
    handover_cloexec(s, false);
    execv(path, argv);
    ret = -errno;
    handover_cloexec(s, true);
    lite_err("cannot execute %s: %s", path, strerror(-ret));
    for (size_t i = 0; i < n; i++)
        free(argv[i]);
    free(argv);
    return ret;
}

static int
parse_fd(const char *text, char stop, const char **end)
{
    char *e = NULL;
    long v;

    errno = 0;
    v = strtol(text, &e, 10);
    if (errno || e == text || v < 3 || v > INT_MAX || *e != stop)
        return -1;
    if (end)
        *end = e;
    /* Ours from now on, and nobody else's: a container's init must never inherit it. */
    if (lite_fd_set_cloexec((int)v, true) < 0)
        return -1;
    return (int)v;
}

int
ns_sup_adopt(ns_sup *s, int argc, char **argv, const char *mode)
{
    const char *state_path = NULL;
    int console[NS_CONSOLE_HANDOVER_FDS] = { -1, -1, -1 };
    int ret;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char *end;

        if (mode && strcmp(a, mode) == 0) {
            continue;
        } else if (strcmp(a, "--destroying") == 0) {
            s->destroying = true;
            continue;
        } else if (!v) {
            return -EINVAL;
        }
        i++;
        if (strcmp(a, "--state") == 0) {
            state_path = v;
        } else if (strcmp(a, "--listen") == 0) {
            if ((s->listen_fd = parse_fd(v, '\0', NULL)) < 0)
                return -EINVAL;
        } else if (strcmp(a, "--pidfd") == 0) {
            if ((s->pidfd = parse_fd(v, '\0', NULL)) < 0)
                return -EINVAL;
        } else if (strcmp(a, "--console") == 0) {
            if ((console[0] = parse_fd(v, ',', &end)) < 0 ||
                (console[1] = parse_fd(end + 1, ',', &end)) < 0 ||
                (console[2] = parse_fd(end + 1, '\0', NULL)) < 0)
                return -EINVAL;
        } else if (strcmp(a, "--conn") == 0) {
            int fd = parse_fd(v, ':', &end);
            ns_conn *c;

            if (fd < 0 || strspn(end + 1, "wd") != strlen(end + 1))
                return -EINVAL;
            c = ns_sup_add_conn(s, fd);
            c->watch = strchr(end + 1, 'w') != NULL;
            c->destroy_waiter = strchr(end + 1, 'd') != NULL;
        } else {
            return -EINVAL;
        }
    }
    if (!state_path)
        return -EINVAL;
    if ((ret = ns_sup_load(s, state_path)) < 0)
        return ret;
    if (console[0] >= 0) {
        if (!s->console_paths[0] || !s->console_paths[1]) {
            lite_err("state file %s names no console for the console fds", state_path);
            return -EINVAL;
        }
        ns_console_adopt(console, s->console_paths[1], s->console_paths[0], &s->console);
    }
    return 0;
}
