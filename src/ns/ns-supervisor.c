/* ns-supervisor.c: lite-ns's two turns as a container's supervisor (ns-sup.h has the
 * picture): the start (preflight, boot, control socket, state file, status line) and the
 * reap after PID 1 has ended (teardown, then restart, preserve or the end). Between and
 * after them the supervisor is lite-ns-monitor, the same process after an exec.
 *
 * Life of a container:
 *
 *   start: preflight -> boot -> listen -> state file -> status "ok ..." -> exec monitor
 *   reap:  unboot -> per on_poweroff/on_reboot/on_crash:
 *            destroy  -> "event state=shutoff ..." -> exit
 *            restart  -> boot again (same supervisor, same console) -> running/rebooted
 *            preserve -> state crashed, no processes, until destroy
 *          -> exec monitor, unless it ended
 */
#include "ns-supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "fd.h"
#include "log.h"
#include "ns-boot.h"
#include "ns-stop.h"
#include "ns-sup.h"
#include "sock.h"

#define MONITOR "lite-ns-monitor"

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

/* This boot's host ends and their kinds, into the supervisor's state. */
static void
take_nets(ns_sup *s, const ns_ct *ct)
{
    s->nnet = ct->host_ifnames->len;
    s->ifnames = g_new0(char *, s->nnet + 1);
    s->bridged = g_new0(bool, s->nnet + 1);
    for (size_t i = 0; i < s->nnet; i++) {
        const lite_net *n = g_ptr_array_index(ct->cfg->ct.nets, i);

        s->ifnames[i] = g_strdup(g_ptr_array_index(ct->host_ifnames, i));
        s->bridged[i] = n->type == LITE_NET_BRIDGE;
    }
}

static void
take_init(ns_sup *s, ns_ct *ct)
{
    s->init_pid = ct->init_pid;
    s->pidfd = lite_steal_fd(&ct->pidfd);
    s->systemd = ct->systemd;
    take_nets(s, ct);
}

/* The monitor must be there before anything is made: after the status line there is no
 * way left to refuse the start. */
static int
check_monitor(char **why)
{
    g_autofree char *path = NULL;
    int ret = ns_sup_sibling(MONITOR, &path);

    if (ret == 0 && access(path, X_OK) < 0)
        ret = -errno;
    if (ret < 0) {
        *why = g_strdup_printf("%s is missing beside lite-ns (%s): reinstall virt-lite",
                               MONITOR, path ? path : g_strerror(-ret));
        return ret;
    }
    return 0;
}

int
ns_supervisor_start(const char *config_path, int status_fd)
{
    ns_ct ct = { .pidfd = -1 };
    ns_sup s;
    g_autoptr(GError) err = NULL;
    g_autoptr(lite_msg) status = NULL;
    g_autofree char *why = NULL;
    const char *code = LITE_ECODE_UNSUPPORTED;
    int ret;

    ns_sup_init(&s);
    ct.host_ifnames = g_ptr_array_new_with_free_func(g_free);
    /* Init must not inherit the driver's end of the status pipe. */
    if (status_fd != STDOUT_FILENO)
        lite_fd_set_cloexec(status_fd, true);

    if ((ret = lite_launch_load(config_path, &ct.cfg, &err)) < 0) {
        why = g_strdup(err->message);
        goto fail;
    }
    if ((ret = check_monitor(&why)) < 0 || (ret = ns_preflight(&ct, &why, &code)) < 0)
        goto fail;
    code = LITE_ECODE_FAILED;
    if ((ret = ns_sup_block_signals(false)) < 0) {
        why = g_strdup_printf("cannot block signals: %s", g_strerror(-ret));
        goto fail;
    }
    if (ct.cfg->console == LITE_CONSOLE_PTY && (ret = ns_console_new(&ct.console)) < 0) {
        why = g_strdup_printf("cannot create the console ptys: %s", g_strerror(-ret));
        goto fail;
    }
    if ((ret = ns_boot(&ct, &why)) < 0)
        goto fail;
    if ((s.listen_fd = lite_unix_listen(ct.cfg->control_path)) < 0) {
        ret = s.listen_fd;
        why = g_strdup_printf("cannot listen on %s: %s", ct.cfg->control_path,
                              g_strerror(-ret));
        ns_kill(ct.pidfd, ct.cg);
        waitid(P_PIDFD, (id_t)ct.pidfd, NULL, WEXITED);
        ns_unboot(&ct);
        goto fail;
    }
    s.name = g_strdup(ct.cfg->name);
    s.config_path = g_strdup(config_path);
    s.control_path = g_strdup(ct.cfg->control_path);
    s.state_path = g_strconcat(ct.cfg->control_path, ".state", NULL);
    s.memory_kib = ct.cfg->memory_kib;
    s.cg = g_steal_pointer(&ct.cg);
    s.console = g_steal_pointer(&ct.console);
    take_init(&s, &ct);
    ns_sup_save(&s);
    status = lite_msg_new("ok");
    ns_sup_identity(&s, status);
    report_status(&status_fd, status);
    lite_info("container %s running, cgroup %s (%s)", s.name, s.cg->path,
              ns_cg_mode_name(s.cg->mode));
    ns_sup_exec(&s, MONITOR, NULL);

    /* Checked before the boot, so hardly ever: nobody would supervise it, so it goes. */
    ns_kill(s.pidfd, s.cg);
    waitid(P_PIDFD, (id_t)s.pidfd, NULL, WEXITED);
    ct.cg = s.cg;
    ns_unboot(&ct);
    ct.cg = NULL;
    ns_sup_finish(&s, "failed");
    ret = 1;
    goto out;

 fail:
    lite_err("cannot start the container: %s", why);
    status = lite_msg_error(code, ret, "%s", why);
    report_status(&status_fd, status);
    ret = 1;
 out:
    ns_console_free(ct.console);
    ns_cgroups_free(ct.cg);
    lite_fd_cleanup(&ct.pidfd);
    g_ptr_array_unref(ct.host_ifnames);
    lite_launch_free(ct.cfg);
    free(ct.root);
    ns_sup_clear(&s);
    return ret;
}

static lite_action
action_for(const lite_launch *cfg, ns_end end)
{
    switch (end) {
    case NS_END_POWEROFF: return cfg->on_poweroff;
    case NS_END_REBOOT: return cfg->on_reboot;
    default: return cfg->on_crash;
    }
}

/* The same boot again, in the same cgroups (ns_preflight keeps ct->cg). */
static int
restart(ns_sup *s, ns_ct *ct)
{
    g_autofree char *why = NULL;
    const char *code = NULL;
    int ret;

    if ((ret = ns_preflight(ct, &why, &code)) < 0 || (ret = ns_boot(ct, &why)) < 0) {
        lite_err("cannot start the container again: %s", why);
        return ret;
    }
    take_init(s, ct);
    return 0;
}

int
ns_supervisor_reap(int argc, char **argv)
{
    static const char *const reasons[] = { "shutdown", "shutdown", "crashed", "failed" };
    ns_ct ct = { .pidfd = -1 };
    ns_sup s;
    g_autoptr(GError) err = NULL;
    siginfo_t info = { 0 };
    lite_action action = LITE_ACTION_DESTROY;
    ns_end end;
    int ret;

    ns_sup_init(&s);
    if ((ret = ns_sup_adopt(&s, argc, argv, "--reap")) < 0) {
        lite_err("cannot take the container over: %s", g_strerror(-ret));
        ns_sup_clear(&s);
        return 1;
    }
    if (s.pidfd < 0 ||
        waitid(P_PIDFD, (id_t)s.pidfd, &info, WEXITED | WNOHANG) < 0 || info.si_pid == 0) {
        lite_warn("init pid %d has not ended: back to the monitor", (int)s.init_pid);
        ns_sup_exec(&s, MONITOR, NULL);
        ns_sup_clear(&s);
        return 1;
    }
    end = ns_end_classify(info.si_code, info.si_status, s.systemd);
    lite_info("init pid %d %s %d", (int)info.si_pid,
              info.si_code == CLD_EXITED ? "exited with" : "was killed by signal",
              info.si_status);

    ct.host_ifnames = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < s.nnet; i++)
        g_ptr_array_add(ct.host_ifnames, g_strdup(s.ifnames[i]));
    ct.cg = s.cg;
    ct.console = s.console;
    ct.pidfd = lite_steal_fd(&s.pidfd);
    ct.init_pid = s.init_pid;
    ns_unboot(&ct);
    s.init_pid = 0;
    for (size_t i = 0; i < s.nnet; i++)
        g_clear_pointer(&s.ifnames[i], g_free);
    s.nnet = 0;

    if (lite_launch_load(s.config_path, &ct.cfg, &err) < 0)
        lite_err("cannot read %s again, so the container ends: %s", s.config_path, err->message);
    else if (!s.destroying)
        action = action_for(ct.cfg, end);

    if (action == LITE_ACTION_RESTART && restart(&s, &ct) == 0) {
        ns_sup_set_state(&s, NS_ST_RUNNING, "rebooted");
        ns_sup_exec(&s, MONITOR, NULL);
        ns_kill(s.pidfd, s.cg);
        action = LITE_ACTION_DESTROY;
        end = NS_END_FAILED;
    } else if (action == LITE_ACTION_RESTART) {
        action = LITE_ACTION_DESTROY;
        end = NS_END_FAILED;
    }
    if (action == LITE_ACTION_PRESERVE) {
        ns_sup_set_state(&s, NS_ST_CRASHED, reasons[end]);
        ns_sup_exec(&s, MONITOR, NULL);
    }
    if (s.pidfd >= 0) {
        waitid(P_PIDFD, (id_t)s.pidfd, NULL, WEXITED);
        ns_unboot(&ct);
    }
    ns_sup_finish(&s, s.destroying ? "destroyed" : reasons[end]);

    lite_fd_cleanup(&ct.pidfd);
    g_ptr_array_unref(ct.host_ifnames);
    lite_launch_free(ct.cfg);
    free(ct.root);
    ns_sup_clear(&s);
    return 0;
}
