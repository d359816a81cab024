/* main.c: lite-ns command line: lite-ns --config PATH [--status-fd N] [--detach], lite-ns --reap
 * (from lite-ns-monitor only, ns-sup.h), or lite-ns --probe:
 * "ok cgroup=MODE userns=0|1" on stdout when this host can run containers, else
 * "error code=... message=..." (the driver's capabilities report it). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "control.h"
#include "detach.h"
#include "log.h"
#include "ns-cgroup.h"
#include "ns-supervisor.h"

/* Namespaces are probed by making them, in a child: the way a start would meet them. */
static int
probe(void)
{
    static const int kinds[] = { CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, CLONE_NEWIPC,
                                 CLONE_NEWNET, CLONE_NEWCGROUP };
    g_autoptr(ns_cgroups) cg = NULL;
    g_autoptr(lite_msg) m = NULL;
    int status = 0;
    pid_t pid;
    int rc;

    pid = fork();
    if (pid == 0) {
        int flags = 0;

        for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++)
            flags |= kinds[i];
        _exit(unshare(flags) == 0 ? 0 : 1);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        m = lite_msg_error(LITE_ECODE_UNSUPPORTED, EPERM, "this host cannot create the mount, "
                           "pid, uts, ipc, net and cgroup namespaces containers need (run the "
                           "daemon as root on a kernel with namespaces)");
    } else if ((rc = ns_cg_detect_host(&cg)) < 0) {
        m = lite_msg_error(LITE_ECODE_UNSUPPORTED, rc, "no usable cgroup hierarchy is mounted "
                           "under /sys/fs/cgroup");
    } else {
        g_autofree char *userns = NULL;

        m = lite_msg_new("ok");
        lite_msg_set(m, "cgroup", ns_cg_mode_name(cg->mode));
        g_file_get_contents("/proc/sys/user/max_user_namespaces", &userns, NULL, NULL);
        lite_msg_set(m, "userns", userns && g_ascii_strtoull(userns, NULL, 10) > 0 ? "1" : "0");
    }
    {
        g_autofree char *line = lite_msg_format(m);

        fputs(line, stdout);
    }
    return lite_msg_is_ok(m) ? 0 : 1;
}

static void
usage(void)
{
    fprintf(stderr, "usage: lite-ns --config PATH [--status-fd N] [--detach] | lite-ns --probe\n");
}

int
main(int argc, char **argv)
{
    const char *config = NULL;
    gint64 status_fd = 1;
    bool detach = false;

    lite_log_init("lite-ns");
    if (argc == 2 && strcmp(argv[1], "--probe") == 0)
        return probe();
    /* Only lite-ns-monitor runs this, by exec (ns-sup.h). */
    if (argc >= 2 && strcmp(argv[1], "--reap") == 0)
        return ns_supervisor_reap(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], LITE_DETACH_FLAG) == 0) {
            detach = true;
        } else if (strcmp(argv[i], "--status-fd") == 0 && i + 1 < argc) {
            if (!g_ascii_string_to_signed(argv[++i], 10, 0, G_MAXINT, &status_fd, NULL)) {
                usage();
                return 2;
            }
        } else {
            usage();
            return 2;
        }
    }
    if (!config) {
        usage();
        return 2;
    }
    if (detach && lite_launch_detach() < 0)
        return 1;
    return ns_supervisor_start(config, (int)status_fd);
}
