/* ns-stop.c: asking a container's init to stop the way it understands, and killing it. */
#include "ns-stop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "fd.h"
#include "log.h"
#include "ns-fs.h"

/* sysvinit's /run/initctl request, 384 bytes (initreq.h). */
#define INITCTL_MAGIC 0x03091969
#define INITCTL_CMD_RUNLVL 1
struct initctl_request {
    int magic;
    int cmd;
    int runlevel;
    int sleeptime;
    char data[368];
};

/* 1 when an initctl fifo inside the container took the request, 0 when there is none. */
static int
initctl_runlevel(pid_t pid, char level)
{
    static const char *const fifos[] = { "/run/initctl", "/dev/initctl", "/etc/.initctl" };
    lite_autofree char *rootpath = lite_printf("/proc/%d/root", (int)pid);
    lite_autofd rootfd = open(rootpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct initctl_request req = {
        .magic = INITCTL_MAGIC, .cmd = INITCTL_CMD_RUNLVL, .runlevel = level,
    };

    if (rootfd < 0)
        return -errno;
    for (size_t i = 0; i < LITE_N_ELEMENTS(fifos); i++) {
        /* Resolved inside the container's root: its symlinks must not reach host fifos. */
        lite_autofd fd = ns_open_in_root(rootfd, fifos[i], O_WRONLY | O_NONBLOCK | O_NOCTTY, 0);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
            continue;
        if (lite_write_full(fd, &req, sizeof(req)) == 0)
            return 1;
    }
    return 0;
}

int
ns_ask_stop(int pidfd, pid_t init_pid, bool systemd, bool reboot)
{
    int sig;

    if (pidfd < 0)
        return -ESRCH;
    if (systemd) {
        /* SIGINT is systemd's reboot (ctrl-alt-del); SIGTERM would only re-execute it. */
        sig = reboot ? SIGINT : SIGRTMIN + 4;
    } else {
        if (initctl_runlevel(init_pid, reboot ? '6' : '0') > 0)
            return 0;
        sig = reboot ? SIGHUP : SIGTERM;
    }
    if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0) {
        int ret = -errno;
        lite_err("cannot send signal %d to init pid %d: %s", sig, (int)init_pid,
                 strerror(-ret));
        return ret;
    }
    return 0;
}

void
ns_kill(int pidfd, const ns_cgroups *cg)
{
    if (pidfd >= 0)
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    /* PID 1's death ends its pid namespace; this catches anything else in the cgroup and
     * thaws a paused container so that its tasks can die. */
    ns_cg_kill(cg);
}
