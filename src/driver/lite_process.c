/* lite_process.c: a domain's launcher from spawn to cleanup: the launch config, the status
 * pipe, the event connection, and what is left to clean when the launcher is gone. */
#include <config.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "lite_process.h"
#include "lite_cgroup.h"
#include "lite_domain.h"
#include "lite_launcher.h"
#include "lite_network.h"

#include "domain_event.h"
#include "virerror.h"
#include "virevent.h"
#include "virfile.h"
#include "virprocess.h"
#include "virutil.h"
#include "virlog.h"
#include "virnetdev.h"
#include "virnetdevveth.h"
#include "virtime.h"

#include "detach.h"
#include "file.h"
#include "sock.h"

#include "lite_i18n.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.process");

/* A launcher reports within this time or is considered failed: a container's init is
 * exec'd and a VM's vCPUs are started long before. */
#define LITE_START_TIMEOUT_MS 30000

static char *
liteLaunchPath(liteDriver *driver, virDomainObj *vm)
{
    return g_strdup_printf("%s/%s.launch", driver->config->stateDir, vm->def->name);
}

static char *
liteLogPath(liteDriver *driver, virDomainObj *vm)
{
    return g_strdup_printf("%s/%s.log", driver->config->logDir, vm->def->name);
}

/* ---- following a launcher: the watch connection ---- */

static void liteProcessWatchIO(int watch, int fd, int events, void *opaque);

static void
liteProcessUnwatch(virDomainObj *vm)
{
    liteDomainObjPrivate *priv = LITE_DOMAIN_PRIVATE(vm);

    if (priv->watchHandle >= 0)
        virEventRemoveHandle(priv->watchHandle);
    priv->watchHandle = -1;
    VIR_FORCE_CLOSE(priv->watchFd);
    g_clear_pointer(&priv->watchBuf, g_free);
}

/* Connects to the launcher's control socket and subscribes to its events. */
static int
liteProcessWatch(virDomainObj *vm)
{
    liteDomainObjPrivate *priv = LITE_DOMAIN_PRIVATE(vm);
    g_autoptr(lite_msg) req = lite_msg_new("watch");
    g_autoptr(lite_msg) reply = NULL;
    VIR_AUTOCLOSE fd = lite_unix_connect(priv->controlPath);
    int rc;

    if (fd < 0) {
        virReportSystemError(-fd, _("cannot connect to the launcher of domain '%s' at %s"),
                             vm->def->name, priv->controlPath);
        return -1;
    }
    if ((rc = lite_msg_send(fd, req)) < 0 ||
        (rc = lite_msg_recv(fd, &reply, LITE_LAUNCHER_TIMEOUT_MS)) < 0) {
        virReportSystemError(-rc, _("the launcher of domain '%s' does not answer"),
                             vm->def->name);
        return -1;
    }
    if (!lite_msg_is_ok(reply)) {
        liteLauncherReportError(_("cannot follow the launcher"), reply);
        return -1;
    }
    if (virSetNonBlock(fd) < 0) {
        virReportSystemError(errno, "%s", _("cannot make the event connection non-blocking"));
        return -1;
    }
    priv->watchBuf = g_new0(lite_linebuf, 1);
    priv->watchHandle = virEventAddHandle(fd, VIR_EVENT_HANDLE_READABLE |
                                              VIR_EVENT_HANDLE_HANGUP |
                                              VIR_EVENT_HANDLE_ERROR,
                                          liteProcessWatchIO, virObjectRef(vm),
                                          virObjectUnref);
    if (priv->watchHandle < 0) {
        virObjectUnref(vm);
        g_clear_pointer(&priv->watchBuf, g_free);
        virReportError(VIR_ERR_INTERNAL_ERROR, "%s", _("cannot watch the launcher"));
        return -1;
    }
    priv->watchFd = fd;
    fd = -1;
    return 0;
}

static virDomainShutoffReason
liteShutoffReason(const char *reason)
{
    if (g_strcmp0(reason, "shutdown") == 0)
        return VIR_DOMAIN_SHUTOFF_SHUTDOWN;
    if (g_strcmp0(reason, "destroyed") == 0)
        return VIR_DOMAIN_SHUTOFF_DESTROYED;
    if (g_strcmp0(reason, "failed") == 0)
        return VIR_DOMAIN_SHUTOFF_FAILED;
    /* A launcher that went without saying why (kill -9, a crash) crashed. */
    return VIR_DOMAIN_SHUTOFF_CRASHED;
}

/* One "event state=S reason=R" line from the launcher: new state, libvirt event. */
static void
liteProcessHandleEvent(liteDriver *driver, virDomainObj *vm, const lite_msg *msg)
{
    liteDomainObjPrivate *priv = LITE_DOMAIN_PRIVATE(vm);
    const char *state = lite_msg_get(msg, "state");
    const char *reason = lite_msg_get(msg, "reason");
    virObjectEvent *event = NULL;

    uint64_t initPid;

    VIR_DEBUG("domain %s: launcher event state=%s reason=%s", vm->def->name, NULLSTR(state),
              NULLSTR(reason));
    /* A container's reboot runs a new init: the status XML must name the new one. */
    if (lite_msg_get_u64(msg, "init-pid", &initPid) == 0 && initPid > 0 && initPid <= INT_MAX)
        priv->initPid = (pid_t)initPid;
    if (g_strcmp0(state, "running") == 0) {
        if (g_strcmp0(reason, "rebooted") == 0) {
            virDomainObjSetState(vm, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);
            event = virDomainEventRebootNewFromObj(vm);
        } else if (virDomainObjGetState(vm, NULL) != VIR_DOMAIN_RUNNING) {
            virDomainObjSetState(vm, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_UNPAUSED);
            event = virDomainEventLifecycleNewFromObj(vm, VIR_DOMAIN_EVENT_RESUMED,
                                                      VIR_DOMAIN_EVENT_RESUMED_UNPAUSED);
        }
    } else if (g_strcmp0(state, "paused") == 0) {
        if (virDomainObjGetState(vm, NULL) != VIR_DOMAIN_PAUSED) {
            virDomainObjSetState(vm, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER);
            event = virDomainEventLifecycleNewFromObj(vm, VIR_DOMAIN_EVENT_SUSPENDED,
                                                      VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
        }
    } else if (g_strcmp0(state, "shutdown") == 0) {
        virDomainObjSetState(vm, VIR_DOMAIN_SHUTDOWN, VIR_DOMAIN_SHUTDOWN_USER);
        event = virDomainEventLifecycleNewFromObj(vm, VIR_DOMAIN_EVENT_SHUTDOWN,
                                                  VIR_DOMAIN_EVENT_SHUTDOWN_FINISHED);
    } else if (g_strcmp0(state, "crashed") == 0) {
        virDomainObjSetState(vm, VIR_DOMAIN_CRASHED, VIR_DOMAIN_CRASHED_PANICKED);
        event = virDomainEventLifecycleNewFromObj(vm, VIR_DOMAIN_EVENT_CRASHED,
                                                  VIR_DOMAIN_EVENT_CRASHED_PANICKED);
    } else if (g_strcmp0(state, "shutoff") == 0) {
        /* The launcher is about to exit; its EOF completes the stop with this reason. */
        g_free(priv->stopReason);
        priv->stopReason = g_strdup(reason);
        return;
    }
    if (virDomainObjSave(vm, driver->xmlopt, driver->config->stateDir) < 0)
        VIR_WARN("cannot save the status of domain %s", vm->def->name);
    virObjectEventStateQueue(driver->domainEventState, event);
}

static void
liteProcessWatchIO(int watch G_GNUC_UNUSED, int fd, int events, void *opaque)
{
    virDomainObj *vm = opaque;
    liteDomainObjPrivate *priv;
    liteDriver *driver;
    bool gone = false;

    virObjectLock(vm);
    priv = LITE_DOMAIN_PRIVATE(vm);
    driver = priv->driver;
    if (priv->watchFd != fd)
        goto cleanup;

    if (events & VIR_EVENT_HANDLE_READABLE) {
        ssize_t n = lite_linebuf_fill(priv->watchBuf, fd);
        lite_msg *msg = NULL;
        int rc;

        gone = n == 0 || (n < 0 && n != -EAGAIN);
        while ((rc = lite_linebuf_next(priv->watchBuf, &msg)) > 0) {
            if (STREQ(lite_msg_verb(msg), "event"))
                liteProcessHandleEvent(driver, vm, msg);
            lite_msg_free(msg);
        }
        if (rc < 0) {
            VIR_WARN("domain %s: malformed event from its launcher", vm->def->name);
            gone = true;
        }
    }
    if (events & (VIR_EVENT_HANDLE_HANGUP | VIR_EVENT_HANDLE_ERROR))
        gone = true;
    if (!gone)
        goto cleanup;

    liteProcessUnwatch(vm);
    /* An API taking the domain down does its own cleanup once the launcher is gone. */
    if (priv->stopping || !virDomainObjIsActive(vm))
        goto cleanup;
    VIR_INFO("domain %s: launcher %lld is gone (%s)", vm->def->name,
             (long long)priv->launcherPid, NULLSTR(priv->stopReason));
    liteProcessStop(driver, vm, liteShutoffReason(priv->stopReason));
    if (!vm->persistent)
        virDomainObjListRemove(driver->domains, vm);

 cleanup:
    virObjectUnlock(vm);
}

/* ---- starting ---- */

static const char *
liteLauncherPath(liteDriver *driver, virDomainObj *vm)
{
    return vm->def->virtType == VIR_DOMAIN_VIRT_KVM ? driver->config->vmmPath :
                                                      driver->config->nsPath;
}

/* The pty the launcher owns becomes the console (and, for VMs, ttyS0's serial) in the live
 * XML, so virsh console and virDomainOpenConsole find it. */
static void
liteProcessSetConsole(virDomainDef *def, const char *path)
{
    virDomainChrDef *chrs[2] = {
        def->nconsoles ? def->consoles[0] : NULL,
        def->nserials ? def->serials[0] : NULL,
    };
    const char *aliases[2] = { "console0", "serial0" };

    for (size_t i = 0; i < G_N_ELEMENTS(chrs); i++) {
        if (!chrs[i] || chrs[i]->source->type != VIR_DOMAIN_CHR_TYPE_PTY)
            continue;
        g_free(chrs[i]->source->data.file.path);
        chrs[i]->source->data.file.path = g_strdup(path);
        if (!chrs[i]->info.alias)
            chrs[i]->info.alias = g_strdup(aliases[i]);
    }
}

/* The last line of the launcher's log: what it said before dying without a status line. */
static char *
liteLogTail(const char *logPath)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    size_t n;

    if (virFileReadAllQuiet(logPath, 1024 * 1024, &text) < 0)
        return g_strdup("");
    lines = g_strsplit(g_strstrip(text), "\n", -1);
    n = g_strv_length(lines);
    return g_strdup(n ? lines[n - 1] : "");
}

static int
liteWaitExit(pid_t pid, int timeoutMs)
{
    VIR_AUTOCLOSE pidfd = pidfd_open(pid, 0);
    struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

    if (pidfd < 0)
        return errno == ESRCH ? 0 : -1;
    while (poll(&pfd, 1, timeoutMs) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return pfd.revents & POLLIN ? 0 : -1;
}

/* Reads the one status line a launcher writes when it is up (or has failed). */
static lite_msg *
liteProcessReadStatus(int fd, const char *launcher, const char *logPath)
{
    g_autoptr(lite_msg) msg = NULL;
    int rc = lite_msg_recv(fd, &msg, LITE_START_TIMEOUT_MS);

    if (rc == -ETIMEDOUT) {
        virReportError(VIR_ERR_OPERATION_FAILED,
                       _("%s did not report within %d seconds; see %s"), launcher,
                       LITE_START_TIMEOUT_MS / 1000, logPath);
        return NULL;
    }
    if (rc < 0) {
        g_autofree char *tail = liteLogTail(logPath);

        virReportError(VIR_ERR_OPERATION_FAILED,
                       _("%s exited without reporting its status (%s): %s"), launcher,
                       logPath, tail);
        return NULL;
    }
    return g_steal_pointer(&msg);
}

/* The launcher's fds in the child: stdin /dev/null, stdout and stderr the domain log, the
 * status pipe as LITE_STATUS_FD, nothing else. */
#define LITE_STATUS_FD 3

/* Starts LAUNCHER --config LAUNCHPATH --status-fd 3 --detach in its own session and reaps
 * the parent it leaves (src/launch/detach.h). posix_spawn clones without copying this
 * daemon's page tables, where virCommandDaemonize's double fork copied them twice (3-9 ms of
 * a virsh start here, more the bigger the daemon); the launcher's own fork is of a process
 * of a few MiB. */
static int
liteProcessSpawn(const char *launcher, const char *launchPath, int logfd, int statusFd)
{
    g_autofree char *statusFdArg = g_strdup_printf("%d", LITE_STATUS_FD);
    char *argv[] = { (char *)launcher, (char *)"--config", (char *)launchPath,
                     (char *)"--status-fd", statusFdArg, (char *)LITE_DETACH_FLAG, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    VIR_AUTOCLOSE logCopy = -1;
    VIR_AUTOCLOSE statusCopy = -1;
    sigset_t none;
    sigset_t all;
    pid_t pid = -1;
    int status = 0;
    int rc;

    /* Above the fds the file actions write, so no dup2 overwrites another's source. */
    if ((logCopy = fcntl(logfd, F_DUPFD_CLOEXEC, 10)) < 0 ||
        (statusCopy = fcntl(statusFd, F_DUPFD_CLOEXEC, 10)) < 0) {
        virReportSystemError(errno, "%s", _("cannot prepare the launcher's descriptors"));
        return -1;
    }
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, logCopy, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, logCopy, STDERR_FILENO);
    posix_spawn_file_actions_adddup2(&fa, statusCopy, LITE_STATUS_FD);
    /* The daemon's own fds are close-on-exec as a rule; this makes it certain. */
    posix_spawn_file_actions_addclosefrom_np(&fa, LITE_STATUS_FD + 1);
    posix_spawn_file_actions_addchdir_np(&fa, "/");
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                             POSIX_SPAWN_SETSIGDEF);
    VIR_DEBUG("spawning %s --config %s", launcher, launchPath);
    rc = posix_spawn(&pid, launcher, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        virReportSystemError(rc, _("cannot run %s"), launcher);
        return -1;
    }
    /* The parent exits as soon as it has forked: this wait is the launcher's exec. */
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            virReportSystemError(errno, _("cannot wait for %s"), launcher);
            return -1;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        g_autofree char *how = virProcessTranslateStatus(status);

        /* The status pipe then says nothing more: the caller's read reports the log. */
        VIR_DEBUG("%s did not detach: %s", launcher, NULLSTR(how));
    }
    return 0;
}

int
liteProcessStart(liteDriver *driver, virDomainObj *vm, virDomainRunningReason reason,
                 bool paused)
{
    liteDomainObjPrivate *priv = LITE_DOMAIN_PRIVATE(vm);
    liteDriverConfig *cfg = driver->config;
    const char *launcher = liteLauncherPath(driver, vm);
    g_autoptr(lite_launch) launch = NULL;
    g_autoptr(lite_msg) status = NULL;
    g_autofree char *launchPath = liteLaunchPath(driver, vm);
    g_autofree char *logPath = liteLogPath(driver, vm);
    g_autofree char *text = NULL;
    g_autofree char *stamp = NULL;
    VIR_AUTOCLOSE logfd = -1;
    int pipefd[2] = { -1, -1 };
    lite_conf_ctx ctx = {
        .run_dir = cfg->stateDir,
        .network = liteNetworkBridge,
    };
    uint64_t pid = 0;
    uint64_t initPid = 0;
    int rc;

    if (!virFileIsExecutable(launcher)) {
        virReportError(VIR_ERR_OPERATION_FAILED,
                       _("cannot start domain '%s': %s is not installed"), vm->def->name,
                       launcher);
        return -1;
    }
    if (virDomainObjSetDefTransient(driver->xmlopt, vm, NULL) < 0)
        return -1;
    if (!(launch = liteDomainTranslate(driver, vm->def, &ctx)))
        goto error;

    text = lite_launch_format(launch);
    if ((rc = lite_file_write_atomic(launchPath, text, strlen(text), 0600,
                                     LITE_FILE_RUNTIME)) < 0) {
        virReportSystemError(-rc, _("cannot write launch config %s"), launchPath);
        goto error;
    }
    if ((logfd = open(logPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        virReportSystemError(errno, _("cannot open log file %s"), logPath);
        goto error;
    }
    stamp = virTimeStringNow();
    dprintf(logfd, "%s: starting %s for domain %s\n", NULLSTR(stamp), launcher, vm->def->name);

    if (virPipe(pipefd) < 0)
        goto error;
    /* Launchers outlive the daemon: they are reparented to init, in their own session. */
    if (liteProcessSpawn(launcher, launchPath, logfd, pipefd[1]) < 0)
        goto error;
    VIR_FORCE_CLOSE(pipefd[1]);

    if (!(status = liteProcessReadStatus(pipefd[0], launcher, logPath)))
        goto error;
    if (!lite_msg_is_ok(status)) {
        g_autofree char *what = g_strdup_printf(_("cannot start domain '%s'"), vm->def->name);

        liteLauncherReportError(what, status);
        goto error;
    }
    if (lite_msg_get_u64(status, "pid", &pid) < 0 || pid == 0 || pid > INT_MAX) {
        virReportError(VIR_ERR_INTERNAL_ERROR, _("%s reported no pid"), launcher);
        goto error;
    }
    priv->launcherPid = (pid_t)pid;
    vm->pid = (pid_t)pid;
    if (lite_msg_get_u64(status, "init-pid", &initPid) == 0 && initPid <= INT_MAX)
        priv->initPid = (pid_t)initPid;
    priv->cgroup = g_strdup(lite_msg_get(status, "cgroup"));
    priv->controlPath = g_strdup(launch->control_path);
    g_clear_pointer(&priv->stopReason, g_free);
    if (lite_msg_get(status, "console"))
        liteProcessSetConsole(vm->def, lite_msg_get(status, "console"));

    if (liteProcessWatch(vm) < 0)
        goto kill;
    vm->def->id = g_atomic_int_add(&driver->nextDomainId, 1);
    virDomainObjSetState(vm, VIR_DOMAIN_RUNNING, reason);
    if (paused) {
        if (liteLauncherRequest(vm, "pause") < 0)
            goto kill;
        virDomainObjSetState(vm, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER);
    }
    if (virDomainObjSave(vm, driver->xmlopt, cfg->stateDir) < 0)
        goto kill;
    VIR_FORCE_CLOSE(pipefd[0]);
    VIR_INFO("domain %s started: %s pid %lld", vm->def->name, launcher, (long long)pid);
    return 0;

 kill:
    {
        virErrorPtr saved = NULL;

        virErrorPreserveLast(&saved);
        liteProcessDestroy(driver, vm, VIR_DOMAIN_SHUTOFF_FAILED, 2000);
        virErrorRestore(&saved);
        VIR_FORCE_CLOSE(pipefd[0]);
        return -1;
    }
 error:
    VIR_FORCE_CLOSE(pipefd[0]);
    VIR_FORCE_CLOSE(pipefd[1]);
    unlink(launchPath);
    if (launch && launch->control_path)
        unlink(launch->control_path);
    virDomainObjRemoveTransientDef(vm);
    return -1;
}

/* ---- stopping ---- */

/* lite-ns keeps CONTROL.state (docs/containers.md): after a kill -9 it names the host ends
 * of the container's veth pairs, which the kernel removes with the network namespace but
 * asynchronously; delete the ones still there so a restart can reuse their names. */
static void
liteProcessCleanLauncherState(virDomainObj *vm, const char *controlPath)
{
    g_autofree char *statePath = g_strdup_printf("%s.state", controlPath);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_auto(GStrv) ifnames = NULL;

    if (!g_key_file_load_from_file(kf, statePath, G_KEY_FILE_NONE, NULL))
        return;
    ifnames = g_key_file_get_string_list(kf, "lite-ns", "host-ifnames", NULL, NULL);
    for (size_t i = 0; ifnames && ifnames[i]; i++) {
        if (*ifnames[i] && virNetDevExists(ifnames[i]) == 1 &&
            virNetDevVethDelete(ifnames[i]) < 0) {
            VIR_WARN("domain %s: cannot delete interface %s: %s", vm->def->name, ifnames[i],
                     virGetLastErrorMessage());
            virResetLastError();
        }
    }
    unlink(statePath);
}

void
liteProcessStop(liteDriver *driver, virDomainObj *vm, virDomainShutoffReason reason)
{
    liteDomainObjPrivate *priv = LITE_DOMAIN_PRIVATE(vm);
    g_autofree char *launchPath = liteLaunchPath(driver, vm);
    int detail;

    liteProcessUnwatch(vm);
    /* A supervisor that went without tearing its container down leaves it running in the
     * container's cgroup; end it there. */
    if (priv->cgroup && liteCgroupKillAndRemove(priv->cgroup) < 0)
        VIR_WARN("domain %s: processes of cgroup %s survived", vm->def->name, priv->cgroup);
    if (priv->controlPath) {
        liteProcessCleanLauncherState(vm, priv->controlPath);
        unlink(priv->controlPath);
    }
    unlink(launchPath);
    if (virDomainDeleteConfig(driver->config->stateDir, NULL, vm) < 0)
        virResetLastError();

    g_clear_pointer(&priv->controlPath, g_free);
    g_clear_pointer(&priv->cgroup, g_free);
    g_clear_pointer(&priv->stopReason, g_free);
    priv->launcherPid = 0;
    priv->initPid = 0;
    priv->stopping = false;
    vm->pid = 0;
    vm->def->id = -1;
    virDomainObjSetState(vm, VIR_DOMAIN_SHUTOFF, reason);

    switch (reason) {
    case VIR_DOMAIN_SHUTOFF_SHUTDOWN:
        detail = VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN;
        break;
    case VIR_DOMAIN_SHUTOFF_DESTROYED:
        detail = VIR_DOMAIN_EVENT_STOPPED_DESTROYED;
        break;
    case VIR_DOMAIN_SHUTOFF_CRASHED:
        detail = VIR_DOMAIN_EVENT_STOPPED_CRASHED;
        break;
    default:
        detail = VIR_DOMAIN_EVENT_STOPPED_FAILED;
        break;
    }
    virObjectEventStateQueue(driver->domainEventState,
                             virDomainEventLifecycleNewFromObj(vm, VIR_DOMAIN_EVENT_STOPPED,
                                                               detail));
    VIR_INFO("domain %s stopped (%s)", vm->def->name,
             virDomainStateReasonToString(VIR_DOMAIN_SHUTOFF, reason));
    virDomainObjRemoveTransientDef(vm);
}

void
liteProcessDestroy(liteDriver *driver, virDomainObj *vm, virDomainShutoffReason reason,
                   int timeoutMs)
{
    liteDomainObjPrivate *priv = LITE_DOMAIN_PRIVATE(vm);
    pid_t pid = priv->launcherPid;
    g_autofree char *path = g_strdup(priv->controlPath);

    priv->stopping = true;
    virObjectUnlock(vm);
    if (path) {
        g_autoptr(lite_msg) req = lite_msg_new("destroy");
        g_autoptr(lite_msg) reply = NULL;

        ignore_value(lite_control_call(path, req, &reply, timeoutMs));
    }
    if (pid > 0 && liteWaitExit(pid, timeoutMs) < 0) {
        VIR_WARN("launcher %lld did not exit, killing it", (long long)pid);
        kill(pid, SIGKILL);
        ignore_value(liteWaitExit(pid, 5000));
    }
    virObjectLock(vm);
    if (virDomainObjIsActive(vm))
        liteProcessStop(driver, vm, reason);
    priv->stopping = false;
}

/* ---- daemon start ---- */

static int
liteProcessReconnect(virDomainObj *vm, void *opaque)
{
    liteDriver *driver = opaque;
    liteDomainObjPrivate *priv;
    g_autoptr(lite_msg) hello = NULL;
    g_autoptr(lite_msg) reply = NULL;
    const char *state;

    virObjectLock(vm);
    priv = LITE_DOMAIN_PRIVATE(vm);
    if (!virDomainObjIsActive(vm))
        goto cleanup;
    if (vm->def->id >= g_atomic_int_get(&driver->nextDomainId))
        g_atomic_int_set(&driver->nextDomainId, vm->def->id + 1);

    hello = lite_msg_new("hello");
    if (!priv->controlPath || priv->launcherPid <= 0 ||
        lite_control_call(priv->controlPath, hello, &reply, LITE_LAUNCHER_TIMEOUT_MS) < 0 ||
        !lite_msg_is_ok(reply) || liteProcessWatch(vm) < 0) {
        /* Gone, or alive but unreachable: either way it can no longer be managed. */
        virResetLastError();
        VIR_WARN("domain %s: launcher %lld is gone or does not answer; cleaning up",
                 vm->def->name, (long long)priv->launcherPid);
        if (priv->launcherPid > 0 && kill(priv->launcherPid, 0) == 0) {
            kill(priv->launcherPid, SIGKILL);
            ignore_value(liteWaitExit(priv->launcherPid, 5000));
        }
        liteProcessStop(driver, vm, VIR_DOMAIN_SHUTOFF_CRASHED);
        if (!vm->persistent)
            virDomainObjListRemove(driver->domains, vm);
        goto cleanup;
    }
    state = lite_msg_get(reply, "state");
    if (g_strcmp0(state, "paused") == 0)
        virDomainObjSetState(vm, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER);
    else if (g_strcmp0(state, "crashed") == 0)
        virDomainObjSetState(vm, VIR_DOMAIN_CRASHED, VIR_DOMAIN_CRASHED_PANICKED);
    else if (virDomainObjGetState(vm, NULL) != VIR_DOMAIN_RUNNING)
        virDomainObjSetState(vm, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_UNPAUSED);
    VIR_INFO("domain %s: found launcher %lld again (%s)", vm->def->name,
             (long long)priv->launcherPid, NULLSTR(state));

 cleanup:
    virObjectUnlock(vm);
    return 0;
}

/* Runs @fn on every domain, without the list lock held: @fn may remove the domain. */
static void
liteProcessForEach(liteDriver *driver, int (*fn)(virDomainObj *vm, void *opaque))
{
    virDomainObj **vms = NULL;
    size_t nvms = 0;

    virDomainObjListCollectAll(driver->domains, &vms, &nvms);
    for (size_t i = 0; i < nvms; i++)
        fn(vms[i], driver);
    virObjectListFreeCount(vms, nvms);
}

void
liteProcessReconnectAll(liteDriver *driver)
{
    liteProcessForEach(driver, liteProcessReconnect);
}

static int
liteProcessAutostart(virDomainObj *vm, void *opaque)
{
    liteDriver *driver = opaque;

    virObjectLock(vm);
    if (vm->autostart && !virDomainObjIsActive(vm) &&
        virDomainObjBeginJob(vm, VIR_JOB_MODIFY) == 0) {
        if (liteProcessStart(driver, vm, VIR_DOMAIN_RUNNING_BOOTED, false) < 0) {
            VIR_ERROR(_("cannot autostart domain %s: %s"), vm->def->name,
                      virGetLastErrorMessage());
            virResetLastError();
        } else {
            virObjectEventStateQueue(driver->domainEventState,
                                     virDomainEventLifecycleNewFromObj(vm,
                                         VIR_DOMAIN_EVENT_STARTED,
                                         VIR_DOMAIN_EVENT_STARTED_BOOTED));
        }
        virDomainObjEndJob(vm);
    }
    virObjectUnlock(vm);
    return 0;
}

void
liteProcessAutostartAll(liteDriver *driver)
{
    liteProcessForEach(driver, liteProcessAutostart);
}
