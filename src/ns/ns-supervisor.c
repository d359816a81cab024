/* ns-supervisor.c: the supervisor's event loop: control requests, watch events, PID 1's end,
 * the console relay, and the state file the driver can rebuild everything from.
 *
 * Life of a container:
 *
 *   preflight -> boot -> listen -> state file -> status "ok ..." -> loop
 *   loop: PID 1 ends (pidfd) -> unboot -> per on_poweroff/on_reboot/on_crash:
 *           destroy  -> "event state=shutoff ..." -> exit
 *           restart  -> boot again (same supervisor, same console) -> running/rebooted
 *           preserve -> stay, state crashed, until destroy
 *
 * State file (<control>.state, replaced atomically on every change): everything the driver
 * needs to find and clean up after this supervisor, even after a kill -9 (docs/containers.md).
 */
#include "ns-supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "fd.h"
#include "file.h"
#include "log.h"
#include "ns-boot.h"
#include "ns-net.h"
#include "sock.h"

typedef enum {
    NS_ST_RUNNING = 0,
    NS_ST_PAUSED,
    NS_ST_SHUTDOWN,
    NS_ST_SHUTOFF,
    NS_ST_CRASHED,
} ns_state;

static const char *const state_names[] = { "running", "paused", "shutdown", "shutoff",
                                           "crashed" };

typedef struct {
    int fd;
    lite_linebuf *lb;
    bool watch;
    bool destroy_waiter;    /* sent destroy: its "ok" comes when everything is gone */
} ns_conn;

typedef struct {
    ns_ct ct;
    char *config_path;
    char *state_path;
    int listen_fd;
    int signal_fd;
    GPtrArray *conns;       /* of ns_conn */
    ns_state state;
    const char *reason;
    bool destroying;
    bool done;
} ns_sup;

static int64_t
now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

static void
conn_free(gpointer p)
{
    ns_conn *c = p;

    lite_fd_cleanup(&c->fd);
    g_free(c->lb);
    g_free(c);
}

/* ---- state on disk ---- */

static void
save_state(ns_sup *s)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GPtrArray) dirs = g_ptr_array_new();
    g_autofree char *text = NULL;
    const char *g = "lite-ns";

    g_key_file_set_comment(kf, NULL, NULL, " lite-ns state: what to clean up if this supervisor "
                           "dies (docs/containers.md)", NULL);
    g_key_file_set_integer(kf, g, "pid", getpid());
    g_key_file_set_string(kf, g, "config", s->config_path);
    g_key_file_set_string(kf, g, "control", s->ct.cfg->control_path);
    g_key_file_set_string(kf, g, "state", state_names[s->state]);
    g_key_file_set_string(kf, g, "reason", s->reason);
    g_key_file_set_integer(kf, g, "init-pid", s->ct.init_pid);
    g_key_file_set_boolean(kf, g, "systemd", s->ct.systemd);
    if (s->ct.console) {
        g_key_file_set_string(kf, g, "console", ns_console_host_path(s->ct.console));
        g_key_file_set_string(kf, g, "console-container", ns_console_cont_path(s->ct.console));
    }
    g_key_file_set_string(kf, g, "cgroup", s->ct.cg->path);
    for (guint i = 0; i < s->ct.cg->hiers->len; i++)
        g_ptr_array_add(dirs, ((ns_cg_hier *)g_ptr_array_index(s->ct.cg->hiers, i))->dir);
    g_key_file_set_string_list(kf, g, "cgroup-dirs", (const char *const *)dirs->pdata,
                               dirs->len);
    g_key_file_set_string_list(kf, g, "host-ifnames",
                               (const char *const *)s->ct.host_ifnames->pdata,
                               s->ct.host_ifnames->len);
    text = g_key_file_to_data(kf, NULL, NULL);
    lite_file_write_atomic(s->state_path, text, strlen(text), 0600);
}

/* ---- events and replies ---- */

static void
send_or_drop(ns_sup *s, ns_conn *c, const lite_msg *m)
{
    if (lite_msg_send(c->fd, m) < 0) {
        lite_debug("dropping control connection %d", c->fd);
        g_ptr_array_remove(s->conns, c);
    }
}

static void
set_state(ns_sup *s, ns_state state, const char *reason)
{
    g_autoptr(lite_msg) ev = lite_msg_new("event");

    s->state = state;
    s->reason = reason;
    if (state != NS_ST_SHUTOFF)
        save_state(s);
    lite_info("state %s/%s", state_names[state], reason);
    lite_msg_set(ev, "state", state_names[state]);
    lite_msg_set(ev, "reason", reason);
    if (s->ct.init_pid > 0)
        lite_msg_setf(ev, "init-pid", "%d", (int)s->ct.init_pid);
    for (guint i = s->conns->len; i > 0; i--) {
        ns_conn *c = g_ptr_array_index(s->conns, i - 1);
        if (c->watch)
            send_or_drop(s, c, ev);
    }
}

/* The end: the socket and state file go first, so that a driver that starts the domain
 * again on seeing the event never has its new socket removed by us. */
static void
finish(ns_sup *s, const char *reason)
{
    g_autoptr(lite_msg) ok = lite_msg_new("ok");

    lite_fd_cleanup(&s->listen_fd);
    unlink(s->ct.cfg->control_path);
    unlink(s->state_path);
    for (guint i = s->conns->len; i > 0; i--) {
        ns_conn *c = g_ptr_array_index(s->conns, i - 1);
        if (c->destroy_waiter)
            send_or_drop(s, c, ok);
    }
    set_state(s, NS_ST_SHUTOFF, reason);
    s->done = true;
}

/* Interface counters as libvirt's domifstat shows them for lxc: from the guest's side for a
 * bridged veth (the host end's tx is what the guest received), the host end's own for
 * type=ethernet, whose host end the host configures and watches itself. */
static void
add_net_stats(ns_sup *s, lite_msg *m)
{
    for (guint i = 0; i < s->ct.host_ifnames->len; i++) {
        const char *name = g_ptr_array_index(s->ct.host_ifnames, i);
        const lite_net *n = g_ptr_array_index(s->ct.cfg->ct.nets, i);
        ns_link_stats host, st;

        if (ns_link_get_stats(name, &host) < 0)
            memset(&host, 0, sizeof(host));
        st = host;
        if (n->type == LITE_NET_BRIDGE) {
            st.rx = host.tx;
            st.tx = host.rx;
        }
        const struct { const char *key; uint64_t v; } f[] = {
            { "rx-bytes", st.rx.bytes }, { "rx-packets", st.rx.packets },
            { "rx-errs", st.rx.errs }, { "rx-drop", st.rx.drop },
            { "tx-bytes", st.tx.bytes }, { "tx-packets", st.tx.packets },
            { "tx-errs", st.tx.errs }, { "tx-drop", st.tx.drop },
        };
        g_autofree char *name_key = g_strdup_printf("net-%u-name", i);

        lite_msg_set(m, name_key, name);
        for (size_t j = 0; j < G_N_ELEMENTS(f); j++) {
            g_autofree char *key = g_strdup_printf("net-%u-%s", i, f[j].key);
            lite_msg_set_u64(m, key, f[j].v);
        }
    }
}

static void
add_identity(ns_sup *s, lite_msg *m)
{
    lite_msg_setf(m, "pid", "%d", (int)getpid());
    lite_msg_setf(m, "init-pid", "%d", (int)s->ct.init_pid);
    if (s->ct.console)
        lite_msg_set(m, "console", ns_console_host_path(s->ct.console));
    lite_msg_set(m, "cgroup", s->ct.cg->path);
    for (guint i = 0; i < s->ct.host_ifnames->len; i++) {
        g_autofree char *key = g_strdup_printf("net-%u-name", i);
        lite_msg_set(m, key, g_ptr_array_index(s->ct.host_ifnames, i));
    }
}

static lite_msg *
do_hello(ns_sup *s)
{
    lite_msg *m = lite_msg_new("ok");

    lite_msg_set(m, "kind", "container");
    add_identity(s, m);
    lite_msg_set(m, "state", state_names[s->state]);
    lite_msg_set(m, "reason", s->reason);
    return m;
}

static lite_msg *
do_query(ns_sup *s)
{
    lite_msg *m = lite_msg_new("ok");
    uint64_t cpu_ns, mem;

    ns_cg_stats(s->ct.cg, &cpu_ns, &mem);
    lite_msg_set(m, "state", state_names[s->state]);
    lite_msg_set(m, "reason", s->reason);
    lite_msg_set_u64(m, "cpu-time-ns", cpu_ns);
    lite_msg_set_u64(m, "memory-kib", s->ct.cfg->memory_kib);
    lite_msg_set_u64(m, "memory-used-kib", mem / 1024);
    add_net_stats(s, m);
    return m;
}

static bool
has_init(ns_sup *s)
{
    return s->ct.init_pid > 0 && !s->destroying;
}

static lite_msg *
wrong_state(ns_sup *s, const char *verb)
{
    return lite_msg_error(LITE_ECODE_INVALID, EINVAL, "cannot %s a container that is %s%s",
                          verb, state_names[s->state], s->destroying ? " (being destroyed)" : "");
}

static lite_msg *
do_pause(ns_sup *s, bool pause)
{
    int ret;

    if (!has_init(s) || (pause ? s->state == NS_ST_PAUSED : s->state != NS_ST_PAUSED))
        return wrong_state(s, pause ? "pause" : "resume");
    if ((ret = ns_cg_freeze(s->ct.cg, pause)) < 0)
        return lite_msg_error(LITE_ECODE_FAILED, ret, "cannot %s cgroup %s: %s",
                              pause ? "freeze" : "thaw", s->ct.cg->path, g_strerror(-ret));
    set_state(s, pause ? NS_ST_PAUSED : NS_ST_RUNNING, pause ? "user" : "unpaused");
    return lite_msg_new("ok");
}

static lite_msg *
do_stop_request(ns_sup *s, bool reboot)
{
    int ret;

    if (!has_init(s) || s->state == NS_ST_PAUSED)
        return wrong_state(s, reboot ? "reboot" : "shut down");
    if ((ret = ns_ask_stop(&s->ct, reboot)) < 0)
        return lite_msg_error(LITE_ECODE_FAILED, ret, "cannot signal init pid %d: %s",
                              (int)s->ct.init_pid, g_strerror(-ret));
    if (!reboot)
        set_state(s, NS_ST_SHUTDOWN, "requested");
    return lite_msg_new("ok");
}

/* 0 with the reply deferred until the container is gone, or a reply now. */
static lite_msg *
do_destroy(ns_sup *s, ns_conn *c)
{
    c->destroy_waiter = true;
    if (s->ct.init_pid == 0) {
        /* Preserved after a crash: nothing runs any more. */
        ns_unboot(&s->ct);
        finish(s, "destroyed");
        return NULL;
    }
    if (!s->destroying) {
        s->destroying = true;
        ns_kill(&s->ct);
    }
    return NULL;
}

static void
handle_request(ns_sup *s, ns_conn *c, const lite_msg *req)
{
    const char *verb = lite_msg_verb(req);
    g_autoptr(lite_msg) reply = NULL;

    lite_debug("request %s", verb);
    if (strcmp(verb, "hello") == 0) {
        reply = do_hello(s);
    } else if (strcmp(verb, "query") == 0) {
        reply = do_query(s);
    } else if (strcmp(verb, "watch") == 0) {
        /* The state as of now: the events that follow are changes from it (running/booted
         * happened before anyone could watch; it is the status line). */
        c->watch = true;
        reply = lite_msg_new("ok");
        lite_msg_set(reply, "state", state_names[s->state]);
        lite_msg_set(reply, "reason", s->reason);
        lite_msg_setf(reply, "init-pid", "%d", (int)s->ct.init_pid);
    } else if (strcmp(verb, "pause") == 0 || strcmp(verb, "resume") == 0) {
        reply = do_pause(s, strcmp(verb, "pause") == 0);
    } else if (strcmp(verb, "shutdown") == 0 || strcmp(verb, "reboot") == 0) {
        reply = do_stop_request(s, strcmp(verb, "reboot") == 0);
    } else if (strcmp(verb, "destroy") == 0) {
        reply = do_destroy(s, c);
    } else {
        reply = lite_msg_error(LITE_ECODE_NO_SUPPORT, EOPNOTSUPP,
                               "lite-ns does not implement '%s'", verb);
    }
    if (reply)
        send_or_drop(s, c, reply);
}

/* ---- PID 1's end ---- */

static lite_action
action_for(const ns_ct *ct, ns_end end)
{
    switch (end) {
    case NS_END_POWEROFF: return ct->cfg->on_poweroff;
    case NS_END_REBOOT: return ct->cfg->on_reboot;
    default: return ct->cfg->on_crash;
    }
}

static void
on_init_exit(ns_sup *s)
{
    static const char *const reasons[] = { "shutdown", "shutdown", "crashed", "failed" };
    siginfo_t info = { 0 };
    g_autofree char *why = NULL;
    ns_end end;

    if (waitid(P_PIDFD, (id_t)s->ct.pidfd, &info, WEXITED | WNOHANG) < 0 || info.si_pid == 0)
        return;
    end = ns_end_classify(info.si_code, info.si_status, s->ct.systemd);
    lite_info("init pid %d %s %d", (int)info.si_pid,
              info.si_code == CLD_EXITED ? "exited with" : "was killed by signal",
              info.si_status);
    ns_unboot(&s->ct);
    if (s->destroying) {
        finish(s, "destroyed");
        return;
    }
    switch (action_for(&s->ct, end)) {
    case LITE_ACTION_RESTART:
        if (ns_boot(&s->ct, &why) == 0) {
            set_state(s, NS_ST_RUNNING, "rebooted");
            return;
        }
        lite_err("cannot start the container again: %s", why);
        finish(s, "failed");
        return;
    case LITE_ACTION_PRESERVE:
        set_state(s, NS_ST_CRASHED, reasons[end]);
        return;
    case LITE_ACTION_DESTROY:
        finish(s, reasons[end]);
        return;
    }
}

/* ---- the loop ---- */

static void
accept_conn(ns_sup *s)
{
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    ns_conn *c;

    if (fd < 0)
        return;
    c = g_new0(ns_conn, 1);
    c->fd = fd;
    c->lb = g_new0(lite_linebuf, 1);
    g_ptr_array_add(s->conns, c);
}

static void
read_conn(ns_sup *s, ns_conn *c)
{
    ssize_t n = lite_linebuf_fill(c->lb, c->fd);
    lite_msg *req = NULL;
    int ret;

    if (n == -EAGAIN)
        return;
    if (n <= 0) {
        g_ptr_array_remove(s->conns, c);
        return;
    }
    while ((ret = lite_linebuf_next(c->lb, &req)) != 0) {
        g_autoptr(lite_msg) m = req;
        g_autoptr(lite_msg) err = NULL;

        if (ret < 0) {
            err = lite_msg_error(LITE_ECODE_PROTOCOL, EINVAL, "malformed request");
            send_or_drop(s, c, err);
            g_ptr_array_remove(s->conns, c);
            return;
        }
        handle_request(s, c, m);
        if (s->done || !g_ptr_array_find(s->conns, c, NULL))
            return;
        /* One request per connection, except watch and a destroy waiting for its reply. */
        if (!c->watch && !c->destroy_waiter) {
            g_ptr_array_remove(s->conns, c);
            return;
        }
    }
}

static void
handle_signals(ns_sup *s)
{
    struct signalfd_siginfo si;

    while (read(s->signal_fd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGCHLD)
            continue;
        lite_info("signal %u: destroying the container", si.ssi_signo);
        if (s->ct.init_pid == 0) {
            ns_unboot(&s->ct);
            finish(s, "destroyed");
        } else if (!s->destroying) {
            s->destroying = true;
            ns_kill(&s->ct);
        }
    }
}

static void
run_loop(ns_sup *s)
{
    while (!s->done) {
        guint nconn = s->conns->len;
        g_autofree struct pollfd *pfd = g_new0(struct pollfd, 3 + NS_CONSOLE_NFDS + nconn);
        g_autofree ns_conn **polled = g_new0(ns_conn *, nconn);
        int64_t now = now_ms();
        int timeout = -1;

        pfd[0] = (struct pollfd){ .fd = s->signal_fd, .events = POLLIN };
        pfd[1] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
        pfd[2] = (struct pollfd){ .fd = s->ct.init_pid > 0 ? s->ct.pidfd : -1, .events = POLLIN };
        if (s->ct.console)
            timeout = ns_console_poll_setup(s->ct.console, pfd + 3, now);
        else
            pfd[3].fd = pfd[4].fd = -1;
        for (guint i = 0; i < nconn; i++) {
            polled[i] = g_ptr_array_index(s->conns, i);
            pfd[3 + NS_CONSOLE_NFDS + i] = (struct pollfd){ .fd = polled[i]->fd, .events = POLLIN };
        }
        if (poll(pfd, 3 + NS_CONSOLE_NFDS + nconn, timeout) < 0 && errno != EINTR) {
            lite_err("poll: %s", g_strerror(errno));
            break;
        }
        now = now_ms();
        if (s->ct.console)
            ns_console_poll_done(s->ct.console, pfd + 3, now);
        if (pfd[0].revents)
            handle_signals(s);
        if (!s->done && pfd[2].fd >= 0 && pfd[2].revents)
            on_init_exit(s);
        for (guint i = 0; i < nconn && !s->done; i++) {
            if (pfd[3 + NS_CONSOLE_NFDS + i].revents && g_ptr_array_find(s->conns, polled[i], NULL))
                read_conn(s, polled[i]);
        }
        if (!s->done && pfd[1].revents)
            accept_conn(s);
    }
}

/* ---- start-up ---- */

static void
report_status(int *status_fd, const lite_msg *m)
{
    g_autofree char *line = lite_msg_format(m);

    if (*status_fd < 0)
        return;
    lite_write_full(*status_fd, line, strlen(line));
    if (*status_fd == STDOUT_FILENO) {
        /* stdout stays a valid fd for the rest of our life: the log. */
        dup2(STDERR_FILENO, STDOUT_FILENO);
    } else {
        close(*status_fd);
    }
    *status_fd = -1;
}

static int
setup_signals(ns_sup *s)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -errno;
    s->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return s->signal_fd < 0 ? -errno : 0;
}

static void
sup_free(ns_sup *s)
{
    lite_fd_cleanup(&s->listen_fd);
    lite_fd_cleanup(&s->signal_fd);
    lite_fd_cleanup(&s->ct.pidfd);
    g_ptr_array_unref(s->conns);
    ns_console_free(s->ct.console);
    ns_cgroups_free(s->ct.cg);
    g_ptr_array_unref(s->ct.host_ifnames);
    lite_launch_free(s->ct.cfg);
    free(s->ct.root);
    g_free(s->config_path);
    g_free(s->state_path);
}

int
ns_supervisor_main(const char *config_path, int status_fd)
{
    ns_sup s = {
        .listen_fd = -1, .signal_fd = -1,
        .ct = { .pidfd = -1 },
        .reason = "booted",
    };
    g_autoptr(GError) err = NULL;
    g_autoptr(lite_msg) status = NULL;
    g_autofree char *why = NULL;
    const char *code = LITE_ECODE_UNSUPPORTED;
    int ret;

    s.conns = g_ptr_array_new_with_free_func(conn_free);
    s.ct.host_ifnames = g_ptr_array_new_with_free_func(g_free);
    s.config_path = g_strdup(config_path);
    /* Init must not inherit the driver's end of the status pipe. */
    if (status_fd != STDOUT_FILENO)
        lite_fd_set_cloexec(status_fd, true);

    if ((ret = lite_launch_load(config_path, &s.ct.cfg, &err)) < 0) {
        why = g_strdup(err->message);
        goto fail;
    }
    if ((ret = ns_preflight(&s.ct, &why, &code)) < 0)
        goto fail;
    code = LITE_ECODE_FAILED;
    s.state_path = g_strconcat(s.ct.cfg->control_path, ".state", NULL);
    if ((ret = setup_signals(&s)) < 0) {
        why = g_strdup_printf("cannot set up signal handling: %s", g_strerror(-ret));
        goto fail;
    }
    if (s.ct.cfg->console == LITE_CONSOLE_PTY && (ret = ns_console_new(&s.ct.console)) < 0) {
        why = g_strdup_printf("cannot create the console ptys: %s", g_strerror(-ret));
        goto fail;
    }
    if ((ret = ns_boot(&s.ct, &why)) < 0)
        goto fail;
    if ((s.listen_fd = lite_unix_listen(s.ct.cfg->control_path)) < 0) {
        ret = s.listen_fd;
        why = g_strdup_printf("cannot listen on %s: %s", s.ct.cfg->control_path,
                              g_strerror(-ret));
        ns_kill(&s.ct);
        waitid(P_PIDFD, (id_t)s.ct.pidfd, NULL, WEXITED);
        ns_unboot(&s.ct);
        goto fail;
    }
    save_state(&s);
    status = lite_msg_new("ok");
    add_identity(&s, status);
    report_status(&status_fd, status);
    lite_info("container %s running, cgroup %s (%s)", s.ct.cfg->name, s.ct.cg->path,
              ns_cg_mode_name(s.ct.cg->mode));

    run_loop(&s);
    sup_free(&s);
    return 0;

 fail:
    lite_err("cannot start the container: %s", why);
    status = lite_msg_error(code, ret, "%s", why);
    report_status(&status_fd, status);
    sup_free(&s);
    return 1;
}
