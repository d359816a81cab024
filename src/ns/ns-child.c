/* ns-child.c: the container's PID 1 from clone to exec, read top to bottom (like libvirt's
 * lxcContainerChild).
 *
 * The supervisor has cloned us into new pid, mount, uts, ipc, net (and user) namespaces and
 * our cgroup2 directory and, before saying go on the sync socket, written our id maps and put
 * our network interfaces into our network namespace. We join our v1 cgroups ourselves (see
 * ns-cgroup.h for why). From here everything happens inside.
 * Success is the exec itself: the sync socket is close-on-exec, so the supervisor reads EOF.
 */
#include "ns-child.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <linux/capability.h>

#include "control.h"
#include "fd.h"
#include "ns-mount.h"

/* Dropped from the bounding set, as libvirt's lxc driver does by default (module loading,
 * raw I/O, the clock, LSM policy, the audit configuration). CAP_SYS_BOOT stays: reboot(2) in
 * a pid namespace is how a container reboots or powers off. CAP_MKNOD and CAP_SYS_ADMIN stay
 * for systemd; the devices cgroup decides which nodes can be opened. */
static const int dropped_caps[] = {
    CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYS_TIME, CAP_MAC_ADMIN, CAP_MAC_OVERRIDE,
    CAP_AUDIT_CONTROL,
};

G_GNUC_NORETURN static void
child_fail(int fd, int err, const char *why)
{
    g_autoptr(lite_msg) m = lite_msg_error(LITE_ECODE_FAILED, err, "%s", why);

    /* The supervisor logs it and puts it on the status line. */
    lite_msg_send(fd, m);
    _exit(127);
}

/* Whether the supervisor is gone (its end of the socket closed). */
static bool
supervisor_gone(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };

    return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

static int
loopback_up(void)
{
    lite_autofd s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = { .ifr_name = "lo" };

    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        return -errno;
    ifr.ifr_flags |= IFF_UP;
    return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

static int
drop_capabilities(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(dropped_caps); i++) {
        if (prctl(PR_CAPBSET_DROP, dropped_caps[i], 0, 0, 0) < 0 && errno != EINVAL)
            return -errno;
    }
    return 0;
}

/* A new session whose controlling terminal is the console, on stdin, stdout and stderr. */
static int
console_stdio(bool console)
{
    lite_autofd fd = -1;

    if (setsid() < 0)
        return -errno;
    fd = open(console ? "/dev/console" : "/dev/null", O_RDWR);
    if (fd < 0)
        return -errno;
    if (console)
        ioctl(fd, TIOCSCTTY, 0);
    for (int i = 0; i < 3; i++) {
        if (dup2(fd, i) < 0)
            return -errno;
    }
    return 0;
}

/* The supervisor's signal mask and ignored signals would survive the exec. */
static void
reset_signals(void)
{
    sigset_t none;

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    }
}

static bool
env_has(GPtrArray *env, const char *name)
{
    size_t n = strlen(name);

    for (guint i = 0; i < env->len; i++) {
        const char *e = g_ptr_array_index(env, i);
        if (e && strncmp(e, name, n) == 0 && e[n] == '=')
            return true;
    }
    return false;
}

char **
ns_child_env(const lite_launch *cfg)
{
    GPtrArray *env = g_ptr_array_new();
    const char *defaults[][2] = {
        { "container", "virt-lite" },
        { "container_uuid", cfg->uuid },
        { "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
        { "TERM", "linux" },
    };

    for (size_t i = 0; cfg->ct.initenv && cfg->ct.initenv[i]; i++)
        g_ptr_array_add(env, g_strdup(cfg->ct.initenv[i]));
    for (size_t i = 0; i < G_N_ELEMENTS(defaults); i++) {
        if (!env_has(env, defaults[i][0]))
            g_ptr_array_add(env, g_strdup_printf("%s=%s", defaults[i][0], defaults[i][1]));
    }
    g_ptr_array_add(env, NULL);
    return (char **)g_ptr_array_free(env, FALSE);
}

static char **
init_argv(const lite_ct *ct)
{
    GPtrArray *argv = g_ptr_array_new();

    g_ptr_array_add(argv, g_strdup(ct->init));
    for (size_t i = 0; ct->initargs && ct->initargs[i]; i++)
        g_ptr_array_add(argv, g_strdup(ct->initargs[i]));
    g_ptr_array_add(argv, NULL);
    return (char **)g_ptr_array_free(argv, FALSE);
}

void
ns_child_run(const ns_child_args *a)
{
    const lite_launch *cfg = a->cfg;
    g_autofree char *why = NULL;
    const char *failed = NULL;
    char go;
    int ret;

    /* 1. Wait until the supervisor has set up what only it can: id maps, veths. */
    if (lite_read_full(a->sync_fd, &go, 1) < 0)
        _exit(127);

    /* 1b. Into our cgroup of every v1 hierarchy, through the tasks files the supervisor
     * opened (cgroup2: clone put us there). */
    if ((ret = ns_cg_join_self(a->cg, &failed)) < 0) {
        why = g_strdup_printf("cannot join cgroup %s", failed);
        child_fail(a->sync_fd, -ret, why);
    }

    /* 2. Become root of our user namespace (the ids exist now). */
    if (a->userns && (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
                      setresuid(0, 0, 0) < 0))
        child_fail(a->sync_fd, errno, "cannot become root in the user namespace");

    /* 3. Die with the supervisor. Set after the id change, which clears it; a supervisor
     * that died before this shows as a closed socket. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || supervisor_gone(a->sync_fd))
        _exit(127);

    /* 4. Our cgroup (we are in it now) becomes the root of our cgroup namespace. */
    if (unshare(CLONE_NEWCGROUP) < 0)
        child_fail(a->sync_fd, errno, "cannot create a cgroup namespace");

    /* 5. The mount tree: binds, proc, sys, /dev, console, cgroup; then pivot_root. */
    if ((ret = ns_mount_enter(a->root, a->root_readonly, a->plan, &why)) < 0)
        child_fail(a->sync_fd, -ret, why);

    /* 6. Identity and the loopback interface of our network namespace. */
    if (sethostname(cfg->name, MIN(strlen(cfg->name), 64)) < 0)
        child_fail(a->sync_fd, errno, "cannot set the hostname");
    if ((ret = loopback_up()) < 0)
        child_fail(a->sync_fd, -ret, "cannot bring up lo");

    /* 7. What even the container's root may not do. */
    if ((ret = drop_capabilities()) < 0)
        child_fail(a->sync_fd, -ret, "cannot drop capabilities from the bounding set");

    /* 8. The console as controlling terminal and stdio; no fd of the supervisor leaks. */
    if ((ret = console_stdio(a->console)) < 0)
        child_fail(a->sync_fd, -ret, "cannot open /dev/console");
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);

    /* 9. Init. */
    if (chdir(cfg->ct.initdir ? cfg->ct.initdir : "/") < 0) {
        why = g_strdup_printf("cannot enter init's directory %s", cfg->ct.initdir);
        child_fail(a->sync_fd, errno, why);
    }
    reset_signals();
    execve(cfg->ct.init, init_argv(&cfg->ct), ns_child_env(cfg));
    why = g_strdup_printf("cannot execute init %s", cfg->ct.init);
    child_fail(a->sync_fd, errno, why);
}
