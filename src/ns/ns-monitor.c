/* ns-monitor.c: the supervisor's steady state, lite-ns-monitor: control requests, watch
 * events, the console relay, and noticing that PID 1 has ended (which lite-ns --reap then
 * handles: ns-sup.h). No glib, linked statically: this is the one process that stays for
 * each container, and its memory is what a container costs beyond itself. */
#include "ns-monitor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "fd.h"
#include "log.h"
#include "ns-fs.h"
#include "ns-stop.h"
#include "text.h"

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A host link's counters from sysfs (the supervisor is in the host's network namespace). */
static void
link_counters(const char *ifname, uint64_t v[8])
{
    static const char *const files[] = { "rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
                                         "tx_bytes", "tx_packets", "tx_errors", "tx_dropped" };
    lite_autofree char *dir = lite_printf("/sys/class/net/%s/statistics", ifname);

    for (size_t i = 0; i < 8; i++) {
        v[i] = 0;
        ns_file_read_u64(dir, files[i], &v[i]);
    }
}

/* Interface counters as libvirt's domifstat shows them for lxc: from the guest's side for a
 * bridged veth (the host end's tx is what the guest received), the host end's own for
 * type=ethernet, whose host end the host configures and watches itself. */
static void
add_net_stats(const ns_sup *s, lite_msg *m)
{
    static const char *const keys[] = { "rx-bytes", "rx-packets", "rx-errs", "rx-drop",
                                        "tx-bytes", "tx-packets", "tx-errs", "tx-drop" };

    for (size_t i = 0; i < s->nnet; i++) {
        uint64_t v[8];
        lite_autofree char *name_key = lite_printf("net-%zu-name", i);

        link_counters(s->ifnames[i], v);
        lite_msg_set(m, name_key, s->ifnames[i]);
        for (size_t j = 0; j < 8; j++) {
            /* For a bridged veth, rx (j < 4) is the host end's tx (j + 4), and back. */
            size_t from = s->bridged[i] ? (j + 4) % 8 : j;
            lite_autofree char *key = lite_printf("net-%zu-%s", i, keys[j]);

            lite_msg_set_u64(m, key, v[from]);
        }
    }
}

static lite_msg *
do_hello(ns_sup *s)
{
    lite_msg *m = lite_msg_new("ok");

    lite_msg_set(m, "kind", "container");
    ns_sup_identity(s, m);
    lite_msg_set(m, "state", ns_state_name(s->state));
    lite_msg_set(m, "reason", s->reason);
    return m;
}

static lite_msg *
do_query(ns_sup *s)
{
    lite_msg *m = lite_msg_new("ok");
    uint64_t cpu_ns, mem;

    ns_cg_stats(s->cg, &cpu_ns, &mem);
    lite_msg_set(m, "state", ns_state_name(s->state));
    lite_msg_set(m, "reason", s->reason);
    lite_msg_set_u64(m, "cpu-time-ns", cpu_ns);
    lite_msg_set_u64(m, "memory-kib", s->memory_kib);
    lite_msg_set_u64(m, "memory-used-kib", mem / 1024);
    add_net_stats(s, m);
    return m;
}

static bool
has_init(const ns_sup *s)
{
    return s->init_pid > 0 && !s->destroying;
}

static lite_msg *
wrong_state(const ns_sup *s, const char *verb)
{
    return lite_msg_error(LITE_ECODE_INVALID, EINVAL, "cannot %s a container that is %s%s",
                          verb, ns_state_name(s->state),
                          s->destroying ? " (being destroyed)" : "");
}

static lite_msg *
do_pause(ns_sup *s, bool pause)
{
    int ret;

    if (!has_init(s) || (pause ? s->state == NS_ST_PAUSED : s->state != NS_ST_PAUSED))
        return wrong_state(s, pause ? "pause" : "resume");
    if ((ret = ns_cg_freeze(s->cg, pause)) < 0)
        return lite_msg_error(LITE_ECODE_FAILED, ret, "cannot %s cgroup %s: %s",
                              pause ? "freeze" : "thaw", s->cg->path, strerror(-ret));
    ns_sup_set_state(s, pause ? NS_ST_PAUSED : NS_ST_RUNNING, pause ? "user" : "unpaused");
    return lite_msg_new("ok");
}

static lite_msg *
do_stop_request(ns_sup *s, bool reboot)
{
    int ret;

    if (!has_init(s) || s->state == NS_ST_PAUSED)
        return wrong_state(s, reboot ? "reboot" : "shut down");
    if ((ret = ns_ask_stop(s->pidfd, s->init_pid, s->systemd, reboot)) < 0)
        return lite_msg_error(LITE_ECODE_FAILED, ret, "cannot signal init pid %d: %s",
                              (int)s->init_pid, strerror(-ret));
    if (!reboot)
        ns_sup_set_state(s, NS_ST_SHUTDOWN, "requested");
    return lite_msg_new("ok");
}

/* Everything is killed; init's end (the pidfd) finishes the destroy. Without an init (a
 * crash preserved, already torn down by lite-ns --reap) there is nothing left but to end. */
static void
destroy(ns_sup *s)
{
    if (s->init_pid == 0) {
        ns_sup_finish(s, "destroyed");
    } else if (!s->destroying) {
        s->destroying = true;
        ns_kill(s->pidfd, s->cg);
    }
}

static void
handle_request(ns_sup *s, ns_conn *c, const lite_msg *req)
{
    const char *verb = lite_msg_verb(req);
    lite_msg *reply = NULL;

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
        lite_msg_set(reply, "state", ns_state_name(s->state));
        lite_msg_set(reply, "reason", s->reason);
        lite_msg_setf(reply, "init-pid", "%d", (int)s->init_pid);
    } else if (strcmp(verb, "pause") == 0 || strcmp(verb, "resume") == 0) {
        reply = do_pause(s, strcmp(verb, "pause") == 0);
    } else if (strcmp(verb, "shutdown") == 0 || strcmp(verb, "reboot") == 0) {
        reply = do_stop_request(s, strcmp(verb, "reboot") == 0);
    } else if (strcmp(verb, "destroy") == 0) {
        /* Its "ok" comes when everything is gone. */
        c->destroy_waiter = true;
        destroy(s);
    } else {
        reply = lite_msg_error(LITE_ECODE_NO_SUPPORT, EOPNOTSUPP,
                               "lite-ns does not implement '%s'", verb);
    }
    if (reply)
        ns_sup_send(s, c, reply);
    lite_msg_free(reply);
}

static void
accept_conn(ns_sup *s)
{
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd >= 0)
        ns_sup_add_conn(s, fd);
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
        ns_sup_drop_conn(s, c);
        return;
    }
    while ((ret = lite_linebuf_next(c->lb, &req)) != 0) {
        if (ret < 0) {
            lite_msg *err = lite_msg_error(LITE_ECODE_PROTOCOL, EINVAL, "malformed request");

            ns_sup_send(s, c, err);
            lite_msg_free(err);
            if (ns_sup_has_conn(s, c))
                ns_sup_drop_conn(s, c);
            return;
        }
        handle_request(s, c, req);
        lite_msg_free(req);
        if (s->done || !ns_sup_has_conn(s, c))
            return;
        /* One request per connection, except watch and a destroy waiting for its reply. */
        if (!c->watch && !c->destroy_waiter) {
            ns_sup_drop_conn(s, c);
            return;
        }
    }
}

static void
handle_signals(ns_sup *s, int signal_fd)
{
    struct signalfd_siginfo si;

    while (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGCHLD)
            continue;
        lite_info("signal %u: destroying the container", si.ssi_signo);
        destroy(s);
    }
}

int
ns_monitor_run(ns_sup *s)
{
    enum { P_SIGNAL, P_LISTEN, P_INIT, P_CONSOLE, P_CONNS = P_CONSOLE + NS_CONSOLE_NFDS };
    lite_autofd signal_fd = ns_sup_block_signals(true);
    struct pollfd *pfd = NULL;
    ns_conn **polled = NULL;

    if (signal_fd < 0) {
        lite_err("cannot set up signal handling: %s", strerror(-signal_fd));
        return signal_fd;
    }
    while (!s->done) {
        size_t nconn = s->nconns;
        int64_t now = now_ms();
        int timeout = -1;

        pfd = lite_realloc(pfd, P_CONNS + nconn, sizeof(*pfd));
        polled = lite_realloc(polled, nconn + 1, sizeof(*polled));
        pfd[P_SIGNAL] = (struct pollfd){ .fd = signal_fd, .events = POLLIN };
        pfd[P_LISTEN] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
        pfd[P_INIT] = (struct pollfd){ .fd = s->init_pid > 0 ? s->pidfd : -1, .events = POLLIN };
        if (s->console)
            timeout = ns_console_poll_setup(s->console, pfd + P_CONSOLE, now);
        else
            pfd[P_CONSOLE].fd = pfd[P_CONSOLE + 1].fd = -1;
        for (size_t i = 0; i < nconn; i++) {
            polled[i] = s->conns[i];
            pfd[P_CONNS + i] = (struct pollfd){ .fd = polled[i]->fd, .events = POLLIN };
        }
        if (poll(pfd, P_CONNS + nconn, timeout) < 0 && errno != EINTR) {
            lite_err("poll: %s", strerror(errno));
            break;
        }
        now = now_ms();
        if (s->console)
            ns_console_poll_done(s->console, pfd + P_CONSOLE, now);
        if (pfd[P_SIGNAL].revents)
            handle_signals(s, signal_fd);
        if (!s->done && pfd[P_INIT].fd >= 0 && pfd[P_INIT].revents) {
            /* PID 1 has ended: lite-ns reaps it and tears down or restarts (ns-sup.h).
             * Requests already read have been answered; those not yet read wait in the
             * sockets for it. */
            free(pfd);
            free(polled);
            return ns_sup_exec(s, "lite-ns", "--reap");
        }
        for (size_t i = 0; i < nconn && !s->done; i++) {
            if (pfd[P_CONNS + i].revents && ns_sup_has_conn(s, polled[i]))
                read_conn(s, polled[i]);
        }
        if (!s->done && pfd[P_LISTEN].revents)
            accept_conn(s);
    }
    free(pfd);
    free(polled);
    return 0;
}
