/* ns-boot.c: bringing a container up and down, from the supervisor's side of the clone. */
#include "ns-boot.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sched.h>

#include "control.h"
#include "fd.h"
#include "log.h"
#include "ns-child.h"
#include "ns-fs.h"
#include "ns-idmap.h"
#include "ns-mount.h"
#include "ns-net.h"
#include "ns-stop.h"

#define EXEC_TIMEOUT_MS 30000

ns_end
ns_end_classify(int how, int status, bool systemd)
{
    if (how == CLD_EXITED) {
        if (status == 0)
            return NS_END_POWEROFF;
        return systemd && status == 255 ? NS_END_FAILED : NS_END_CRASH;
    }
    /* In a pid namespace the kernel ends PID 1 with SIGINT for reboot(2)'s power-off and
     * halt, and with SIGHUP for its restart. */
    if (how == CLD_KILLED && status == SIGINT)
        return NS_END_POWEROFF;
    if (how == CLD_KILLED && status == SIGHUP)
        return NS_END_REBOOT;
    return NS_END_CRASH;
}

static int
check_init(ns_ct *ct, char **why)
{
    const char *init = ct->cfg->ct.init;
    lite_autofd rootfd = open(ct->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    lite_autofd fd = -1;
    g_autofree char *link = NULL;
    g_autofree char *real = NULL;
    struct stat st;

    if (rootfd < 0) {
        *why = g_strdup_printf("cannot open root %s: %s", ct->root, g_strerror(errno));
        return -errno;
    }
    if (init[0] != '/') {
        *why = g_strdup_printf("init %s is not an absolute path", init);
        return -EINVAL;
    }
    fd = ns_open_in_root(rootfd, init, O_PATH, 0);
    if (fd < 0) {
        *why = g_strdup_printf("init %s does not exist in root %s", init, ct->root);
        return fd;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
        *why = g_strdup_printf("init %s in root %s is not an executable file", init, ct->root);
        return -EACCES;
    }
    /* /sbin/init is usually a symlink; what it resolves to decides how to ask it to stop. */
    link = g_strdup_printf("/proc/self/fd/%d", fd);
    real = g_file_read_link(link, NULL);
    ct->systemd = real && g_str_has_suffix(real, "/systemd");
    return 0;
}

static int
check_root(ns_ct *ct, char **why)
{
    const lite_mount *root = lite_ct_root(&ct->cfg->ct);
    struct stat st;

    ct->root = realpath(root->source, NULL);
    if (!ct->root || stat(ct->root, &st) < 0) {
        *why = g_strdup_printf("root %s does not exist", root->source);
        return -ENOENT;
    }
    if (!S_ISDIR(st.st_mode)) {
        *why = g_strdup_printf("root %s is not a directory", root->source);
        return -ENOTDIR;
    }
    ct->root_readonly = root->readonly;
    for (guint i = 0; i < ct->cfg->ct.mounts->len; i++) {
        const lite_mount *m = g_ptr_array_index(ct->cfg->ct.mounts, i);

        if (m->target[0] != '/') {
            *why = g_strdup_printf("mount target %s is not an absolute path", m->target);
            return -EINVAL;
        }
        if (access(m->source, F_OK) < 0) {
            *why = g_strdup_printf("mount source %s does not exist", m->source);
            return -ENOENT;
        }
    }
    return 0;
}

int
ns_preflight(ns_ct *ct, char **why, const char **code)
{
    const lite_launch *l = ct->cfg;
    g_autofree char *cgpath = NULL;
    int ret;

    *code = LITE_ECODE_UNSUPPORTED;
    if (l->kind != LITE_KIND_CONTAINER) {
        *why = g_strdup_printf("lite-ns runs containers, not a %s", lite_kind_name(l->kind));
        return -EINVAL;
    }
    if (!l->control_path) {
        *why = g_strdup("[domain] lacks control, the socket lite-ns serves");
        return -EINVAL;
    }
    if (ns_cg_path_for("machine", l->name, &cgpath) < 0) {
        *why = g_strdup_printf("domain name '%s' cannot name a cgroup", l->name);
        return -EINVAL;
    }
    if ((ret = check_root(ct, why)) < 0 || (ret = check_init(ct, why)) < 0)
        return ret;
    ct->userns = l->ct.uidmap->len > 0 || l->ct.gidmap->len > 0;
    if (ct->userns && (ret = ns_idmap_check_host(l->ct.uidmap, l->ct.gidmap, why)) < 0)
        return ret;
    if ((ret = ns_net_check(l, why)) < 0)
        return ret;
    *code = LITE_ECODE_FAILED;
    /* A restart keeps the hierarchies of the first boot (ns-sup.c's state file). */
    if (ct->cg)
        return 0;
    if ((ret = ns_cg_detect_host(&ct->cg)) < 0) {
        *why = g_strdup_printf("this host has no usable cgroup hierarchy: %s", g_strerror(-ret));
        return ret;
    }
    ns_cg_place(ct->cg, cgpath);
    return 0;
}

/* Into new namespaces and, with @cgroup2_fd, straight into the container's cgroup2
 * directory (CLONE_INTO_CGROUP, Linux 5.7). */
static pid_t
clone_into_namespaces(int flags, int cgroup2_fd, int *pidfd)
{
    struct clone_args args = {
        .flags = (uint64_t)flags | CLONE_PIDFD | (cgroup2_fd >= 0 ? CLONE_INTO_CGROUP : 0),
        .pidfd = (uint64_t)(uintptr_t)pidfd,
        .exit_signal = SIGCHLD,
        .cgroup = cgroup2_fd >= 0 ? (uint64_t)cgroup2_fd : 0,
    };

    return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/* What only the supervisor can do for the new PID 1 before it goes on. */
static int
prepare_child(ns_ct *ct, pid_t pid, char **why)
{
    const lite_ct *c = &ct->cfg->ct;
    int ret;

    if (ct->userns && (ret = ns_idmap_write(pid, c->uidmap, c->gidmap)) < 0) {
        *why = g_strdup_printf("cannot write the id maps of pid %d: %s", (int)pid,
                               g_strerror(-ret));
        return ret;
    }
    if (ct->userns && (ret = ns_cg_chown(ct->cg, ns_idmap_to_host(c->uidmap, 0),
                                         ns_idmap_to_host(c->gidmap, 0))) < 0) {
        *why = g_strdup_printf("cannot hand cgroup %s to the container's root", ct->cg->path);
        return ret;
    }
    return ns_net_setup(ct->cfg, pid, ct->host_ifnames, why);
}

/* The child says nothing and closes the socket by exec'ing, or sends one error line. */
static int
wait_for_exec(int fd, char **why)
{
    g_autoptr(lite_msg) m = NULL;
    uint64_t err = EIO;
    int ret = lite_msg_recv(fd, &m, EXEC_TIMEOUT_MS);

    if (ret == -EPIPE)
        return 0;
    if (ret < 0) {
        *why = g_strdup_printf("no word from the container's init: %s", g_strerror(-ret));
        return ret;
    }
    lite_msg_get_u64(m, "errno", &err);
    *why = g_strdup(lite_msg_get(m, "message") ? lite_msg_get(m, "message") : "init failed");
    return -(int)err;
}

int
ns_boot(ns_ct *ct, char **why)
{
    const lite_launch *l = ct->cfg;
    ns_mount_env env = {
        .console = ct->console ? ns_console_cont_path(ct->console) : NULL,
        .cgroup_dir = ns_cg_unified_dir(ct->cg),
        .tty_gid_mapped = !ct->userns || ns_idmap_has(l->ct.gidmap, 5),
    };
    g_autoptr(GPtrArray) plan = ns_mount_plan(l, &env);
    int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                (ct->userns ? CLONE_NEWUSER : 0);
    lite_autofd mine = -1;
    lite_autofd theirs = -1;
    lite_autofd pidfd = -1;
    int sv[2];
    pid_t pid;
    int ret;

    if ((ret = ns_cg_create(ct->cg, l, why)) < 0)
        return ret;
    /* Only PID 1 goes in, by itself (ns-cgroup.h): a supervisor left there would make
     * systemd fail to move "remaining userspace processes". Its children inherit it. */
    if ((ret = ns_cg_join_open(ct->cg)) < 0) {
        *why = g_strdup_printf("cannot open cgroup %s for the container's init: %s",
                               ct->cg->path, g_strerror(-ret));
        goto fail;
    }
    if (ct->userns && ct->console &&
        (ret = ns_console_chown(ct->console, ns_idmap_to_host(l->ct.uidmap, 0),
                                ns_idmap_to_host(l->ct.gidmap, env.tty_gid_mapped ? 5 : 0))) < 0) {
        *why = g_strdup_printf("cannot give the console %s to the container's root",
                               ns_console_cont_path(ct->console));
        goto fail;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        ret = -errno;
        *why = g_strdup_printf("cannot create a socketpair: %s", g_strerror(-ret));
        goto fail;
    }
    mine = sv[0];
    theirs = sv[1];
    pid = clone_into_namespaces(flags, ns_cg_join_v2_fd(ct->cg), &pidfd);
    if (pid < 0) {
        ret = -errno;
        *why = g_strdup_printf("cannot clone into new namespaces: %s", g_strerror(-ret));
        goto fail;
    }
    if (pid == 0) {
        ns_child_args args = {
            .cfg = l, .root = ct->root, .root_readonly = ct->root_readonly, .plan = plan,
            .userns = ct->userns, .console = ct->console != NULL, .sync_fd = theirs,
            .cg = ct->cg,
        };
        close(mine);
        ns_child_run(&args);
    }
    ct->init_pid = pid;
    ct->pidfd = lite_steal_fd(&pidfd);
    lite_fd_cleanup(&theirs);
    if ((ret = prepare_child(ct, pid, why)) < 0)
        goto fail;
    if ((ret = lite_write_full(mine, "g", 1)) < 0 || (ret = wait_for_exec(mine, why)) < 0) {
        if (!*why)
            *why = g_strdup_printf("the container's init went away: %s", g_strerror(-ret));
        goto fail;
    }
    ns_cg_join_close(ct->cg);
    lite_info("container %s: init %s is pid %d", l->name, l->ct.init, (int)pid);
    return 0;

 fail:
    ns_cg_join_close(ct->cg);
    if (ct->init_pid > 0) {
        siginfo_t info;

        ns_kill(ct->pidfd, ct->cg);
        waitid(P_PIDFD, (id_t)ct->pidfd, &info, WEXITED);
    }
    ns_unboot(ct);
    return ret;
}

void
ns_unboot(ns_ct *ct)
{
    ns_net_teardown(ct->host_ifnames);
    g_ptr_array_set_size(ct->host_ifnames, 0);
    ns_cg_remove(ct->cg);
    lite_fd_cleanup(&ct->pidfd);
    ct->init_pid = 0;
}
