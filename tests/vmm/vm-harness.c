/* vm-harness.c: spawning lite-vmm the way the driver does (status fd, pty, control socket),
 * with a deadline on every wait so that no test can hang. */
#include "vm-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "fd.h"
#include "sock.h"

lite_launch *
vm_config(const char *kernel, const char *cmdline)
{
    lite_launch *l = lite_launch_new(LITE_KIND_VM);

    l->name = g_strdup("test");
    l->uuid = g_strdup("c7a5fdbd-edaf-9455-926a-d65c16db1809");
    l->memory_kib = 65536;
    l->vcpus = 1;
    l->console = LITE_CONSOLE_PTY;
    l->on_poweroff = LITE_ACTION_DESTROY;
    l->on_reboot = LITE_ACTION_RESTART;
    l->on_crash = LITE_ACTION_DESTROY;
    l->boot.kernel = g_strdup(kernel);
    l->boot.cmdline = g_strdup(cmdline);
    return l;
}

static int64_t
now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

static int
open_pty(const char *path)
{
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    struct termios tio;

    if (fd < 0)
        return -1;
    if (tcgetattr(fd, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(fd, TCSANOW, &tio);
    }
    return fd;
}

vm_run *
vm_start(lite_launch *cfg)
{
    vm_run *r = g_new0(vm_run, 1);
    g_autofree char *conf = NULL;
    g_autofree char *text = NULL;
    int pipefd[2];
    const char *vmm = g_getenv("LITE_VMM");

    r->pty = -1;
    r->console = g_string_new(NULL);
    r->dir = g_dir_make_tmp("lite-vmm-test-XXXXXX", NULL);
    g_assert_nonnull(r->dir);
    r->ctl = g_build_filename(r->dir, "vm.ctl", NULL);
    r->log = g_build_filename(r->dir, "vm.log", NULL);
    conf = g_build_filename(r->dir, "vm.conf", NULL);
    g_free(cfg->control_path);
    cfg->control_path = g_strdup(r->ctl);
    text = lite_launch_format(cfg);
    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    g_assert_nonnull(vmm);
    g_assert_cmpint(pipe2(pipefd, O_CLOEXEC), ==, 0);

    r->pid = fork();
    g_assert_cmpint(r->pid, >=, 0);
    if (r->pid == 0) {
        int log = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int nul = open("/dev/null", O_RDWR);

        dup2(nul, 0);
        dup2(log, 1);
        dup2(log, 2);
        dup2(pipefd[1], 3);
        setsid();
        /* A test that aborts must not leave a spinning guest behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        execl(vmm, vmm, "--config", conf, "--status-fd", "3", (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    {
        lite_autofd rd = pipefd[0];
        int ret = lite_msg_recv(rd, &r->status, 10000);

        if (ret < 0)
            g_printerr("no status line from lite-vmm: %s\n", g_strerror(-ret));
    }
    if (r->status && lite_msg_get(r->status, "console"))
        r->pty = open_pty(lite_msg_get(r->status, "console"));
    return r;
}

int
vm_reopen_console(vm_run *r)
{
    return open_pty(lite_msg_get(r->status, "console"));
}

bool
vm_status_ok(const vm_run *r)
{
    return r->status && lite_msg_is_ok(r->status);
}

void
vm_run_free(vm_run *r)
{
    if (!r)
        return;
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
    }
    if (g_test_failed() || g_getenv("LITE_TEST_KEEP_LOG")) {
        g_autofree char *log = NULL;

        if (g_file_get_contents(r->log, &log, NULL, NULL))
            g_printerr("--- lite-vmm log ---\n%s--- console ---\n%s\n", log, r->console->str);
    }
    lite_fd_cleanup(&r->pty);
    unlink(r->ctl);
    unlink(r->log);
    {
        g_autofree char *conf = g_build_filename(r->dir, "vm.conf", NULL);
        unlink(conf);
    }
    rmdir(r->dir);
    g_free(r->dir);
    g_free(r->ctl);
    g_free(r->log);
    lite_msg_free(r->status);
    g_string_free(r->console, TRUE);
    g_free(r);
}

static void
console_read(vm_run *r, int wait_ms)
{
    struct pollfd p = { .fd = r->pty, .events = POLLIN };
    char buf[4096];
    ssize_t n;

    if (r->pty < 0 || poll(&p, 1, wait_ms) <= 0)
        return;
    while ((n = read(r->pty, buf, sizeof(buf))) > 0)
        g_string_append_len(r->console, buf, n);
}

gssize
vm_console_wait(vm_run *r, gsize from, const char *needle, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;

    for (;;) {
        const char *hit = from <= r->console->len ? strstr(r->console->str + from, needle) : NULL;

        if (hit)
            return (hit - r->console->str) + (gssize)strlen(needle);
        if (now_ms() >= deadline)
            return -1;
        console_read(r, (int)MIN(deadline - now_ms(), 50));
    }
}

void
vm_console_drain(vm_run *r, int ms)
{
    int64_t deadline = now_ms() + ms;

    while (now_ms() < deadline)
        console_read(r, (int)MAX(deadline - now_ms(), 1));
}

void
vm_console_send(vm_run *r, const char *text)
{
    g_assert_cmpint(lite_write_full(r->pty, text, strlen(text)), ==, 0);
}

lite_msg *
vm_ctl(vm_run *r, const char *verb)
{
    g_autoptr(lite_msg) req = lite_msg_new(verb);
    lite_msg *reply = NULL;

    if (lite_control_call(r->ctl, req, &reply, 10000) < 0)
        return NULL;
    return reply;
}

int
vm_watch(vm_run *r)
{
    lite_autofd fd = lite_unix_connect(r->ctl);
    g_autoptr(lite_msg) req = lite_msg_new("watch");
    g_autoptr(lite_msg) reply = NULL;

    if (fd < 0 || lite_msg_send(fd, req) < 0 || lite_msg_recv(fd, &reply, 5000) < 0 ||
        !lite_msg_is_ok(reply))
        return -1;
    return lite_steal_fd(&fd);
}

char *
vm_next_event(int fd, int timeout_ms)
{
    g_autoptr(lite_msg) ev = NULL;

    if (lite_msg_recv(fd, &ev, timeout_ms) < 0 || strcmp(lite_msg_verb(ev), "event") != 0)
        return NULL;
    return g_strdup_printf("%s/%s", lite_msg_get(ev, "state"), lite_msg_get(ev, "reason"));
}

bool
vm_wait_exit(vm_run *r, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    int status;

    while (r->pid > 0) {
        pid_t p = waitpid(r->pid, &status, WNOHANG);

        if (p == r->pid) {
            r->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            r->pid = 0;
            return true;
        }
        if (now_ms() >= deadline) {
            kill(r->pid, SIGKILL);
            waitpid(r->pid, NULL, 0);
            r->pid = 0;
            r->exit_status = -1;
            return false;
        }
        g_usleep(5000);
    }
    return true;
}

gint64
vm_console_number(vm_run *r, gsize from, const char *key)
{
    g_autofree char *pat = g_strdup_printf("%s=", key);
    const char *last = NULL;

    for (const char *p = r->console->str + MIN(from, r->console->len);
         (p = strstr(p, pat)); p += strlen(pat))
        last = p;
    return last ? g_ascii_strtoll(last + strlen(pat), NULL, 10) : -1;
}

uint64_t
vm_process_cpu_ns(vm_run *r)
{
    g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int)r->pid);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *tid;
    uint64_t total = 0;

    g_assert_nonnull(d);
    /* schedstat's first field: time on a CPU, in ns (utime/stime tick at 10 ms). */
    while ((tid = g_dir_read_name(d))) {
        g_autofree char *path = g_strdup_printf("%s/%s/schedstat", dir, tid);
        g_autofree char *text = NULL;

        if (g_file_get_contents(path, &text, NULL, NULL))
            total += g_ascii_strtoull(text, NULL, 10);
    }
    return total;
}
