/* ct-init.c: the test containers' PID 1 (static): prints a marker, runs commands sent on the
 * console, and powers off or reboots the way a real init does (reboot(2)).
 *
 * Console protocol, one line each way:
 *   ping                 -> pong
 *   run ID SHELL-CMD     -> the command's output, then "done ID rc=N"
 *   bg SHELL-CMD         -> "bg pid=N" (left running)
 *   alloc ID MIB         -> a child touches MIB MiB; "done ID rc=N" (137: OOM-killed)
 *   poweroff | reboot    -> reboot(2) POWER_OFF / RESTART (killed by SIGINT / SIGHUP)
 *   exit N               -> init exits with N
 * SIGTERM powers off and SIGHUP reboots, like sysvinit's runlevels 0 and 6.
 * With --marker-exit it prints the marker and exits 0 at once (start-up benchmarks).
 * With --marker-file PATH it also writes the marker line to PATH (a fifo the benchmark reads:
 * a start through libvirt has no launcher stdout to watch and opens the console too late).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define MARKER "LITE-CT-READY"

static void
on_signal(int sig)
{
    sync();
    reboot(sig == SIGHUP ? RB_AUTOBOOT : RB_POWER_OFF);
}

static int
status_rc(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
wait_for(pid_t pid)
{
    int status = 0;

    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status_rc(status);
}

static void
run(const char *id, const char *cmd)
{
    pid_t pid = fork();

    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    printf("done %s rc=%d\n", id, pid < 0 ? 126 : wait_for(pid));
}

static void
alloc(const char *id, long mib)
{
    pid_t pid = fork();

    if (pid == 0) {
        size_t len = (size_t)mib << 20;
        char *p = malloc(len);

        if (!p)
            _exit(12);
        for (size_t i = 0; i < len; i += 4096)
            p[i] = 1;
        _exit(0);
    }
    printf("done %s rc=%d\n", id, wait_for(pid));
}

/* The marker on stdout and, when asked, in @path. */
static void
marker(const char *host, const char *path)
{
    printf(MARKER " host=%s pid=%d\n", host, (int)getpid());
    if (path) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd >= 0) {
            dprintf(fd, MARKER " host=%s pid=%d\n", host, (int)getpid());
            close(fd);
        }
    }
}

static int
read_line(char *buf, size_t size)
{
    size_t len = 0;

    for (;;) {
        char c;
        ssize_t n = read(0, &c, 1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* A hung-up or not yet opened console: wait for it to come back. */
            usleep(100000);
            continue;
        }
        if (c == '\r' || c == '\n') {
            if (len == 0)
                continue;
            buf[len] = '\0';
            return 0;
        }
        if (len + 1 < size)
            buf[len++] = c;
    }
}

int
main(int argc, char **argv)
{
    struct sigaction sa = { .sa_handler = on_signal };
    struct termios tio;
    char host[256] = "";
    const char *marker_file = NULL;
    bool marker_exit = false;
    char line[4096];

    gethostname(host, sizeof(host) - 1);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--marker-exit") == 0)
            marker_exit = true;
        else if (strcmp(argv[i], "--marker-file") == 0 && i + 1 < argc)
            marker_file = argv[++i];
    }
    if (marker_exit) {
        marker(host, marker_file);
        return 0;
    }
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGCHLD, SIG_DFL);
    /* No echo: the test reads only what we answer. */
    if (tcgetattr(0, &tio) == 0) {
        tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        tio.c_oflag |= OPOST | ONLCR;
        tcsetattr(0, TCSANOW, &tio);
    }
    marker(host, marker_file);
    for (;;) {
        char id[64];
        long n;
        int off = 0;

        read_line(line, sizeof(line));
        /* Orphans that the container's processes left behind are ours to reap. */
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (strcmp(line, "ping") == 0) {
            printf("pong\n");
        } else if (sscanf(line, "run %63s %n", id, &off) == 1 && off > 0) {
            run(id, line + off);
        } else if (strncmp(line, "bg ", 3) == 0) {
            pid_t pid = fork();
            if (pid == 0) {
                setsid();
                execl("/bin/sh", "sh", "-c", line + 3, (char *)NULL);
                _exit(127);
            }
            printf("bg pid=%d\n", (int)pid);
        } else if (sscanf(line, "alloc %63s %ld", id, &n) == 2) {
            alloc(id, n);
        } else if (strcmp(line, "poweroff") == 0 || strcmp(line, "reboot") == 0) {
            sync();
            reboot(strcmp(line, "reboot") == 0 ? RB_AUTOBOOT : RB_POWER_OFF);
            printf("reboot failed: %s\n", strerror(errno));
        } else if (sscanf(line, "exit %ld", &n) == 1) {
            exit((int)n);
        } else {
            printf("unknown command: %s\n", line);
        }
    }
}
