/* vmm-console.c: the console pty. The launcher owns the master; virsh console (through
 * libvirt's pty stream) opens the slave. A master whose slave nobody holds reports POLLHUP and
 * EIO: the guest must keep running then, so output is dropped and the main loop looks again
 * from time to time instead of spinning on the hang-up. */
#include "vmm-console.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <glib.h>

#include "fd.h"
#include "log.h"

void
vmm_console_init(vmm_console *c, int log_fd)
{
    c->master = -1;
    c->log_fd = log_fd;
    c->line_len = 0;
    atomic_store(&c->logged, 0);
    c->slave_path = NULL;
    atomic_store(&c->connected, true);
}

int
vmm_console_open_pty(vmm_console *c)
{
    lite_autofd fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    struct termios tio;
    const char *name;
    int err;

    if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0 || !(name = ptsname(fd)))
        goto fail;
    /* Raw: the guest's own tty layer does line editing and echo. */
    if (tcgetattr(fd, &tio) < 0)
        goto fail;
    cfmakeraw(&tio);
    if (tcsetattr(fd, TCSANOW, &tio) < 0)
        goto fail;
    c->slave_path = g_strdup(name);
    c->master = lite_steal_fd(&fd);
    return 0;

 fail:
    err = errno;
    lite_err("cannot open the console pty: %s", g_strerror(err));
    return -err;
}

static void
log_flush(vmm_console *c)
{
    if (c->log_fd >= 0 && c->line_len &&
        atomic_fetch_add(&c->logged, c->line_len) + c->line_len <= VMM_CONSOLE_LOG_MAX &&
        lite_write_full(c->log_fd, c->line, c->line_len) < 0)
        c->log_fd = -1;
    c->line_len = 0;
}

static void
log_write(vmm_console *c, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        c->line[c->line_len++] = (char)buf[i];
        if (buf[i] == '\n' || c->line_len == sizeof(c->line))
            log_flush(c);
    }
}

void
vmm_console_close(vmm_console *c)
{
    log_flush(c);
    lite_fd_cleanup(&c->master);
    g_clear_pointer(&c->slave_path, g_free);
}

void
vmm_console_write(vmm_console *c, const uint8_t *buf, size_t len)
{
    ssize_t n;

    if (c->master < 0) {
        log_write(c, buf, len);
        return;
    }
    if (!atomic_load(&c->connected))
        return;
    do {
        n = write(c->master, buf, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EIO)
        atomic_store(&c->connected, false);
}

ssize_t
vmm_console_read(vmm_console *c, uint8_t *buf, size_t len)
{
    ssize_t n;

    do {
        n = read(c->master, buf, len);
    } while (n < 0 && errno == EINTR);
    if (n >= 0)
        return n;
    if (errno == EAGAIN)
        return 0;
    if (errno == EIO) {
        atomic_store(&c->connected, false);
        return 0;
    }
    return -errno;
}

bool
vmm_console_check(vmm_console *c)
{
    struct pollfd pfd = { .fd = c->master, .events = POLLIN };

    if (c->master < 0)
        return false;
    if (poll(&pfd, 1, 0) >= 0 && !(pfd.revents & POLLHUP))
        atomic_store(&c->connected, true);
    else
        atomic_store(&c->connected, false);
    return atomic_load(&c->connected);
}

#define DRAIN_STALL_MS 50
#define DRAIN_EMPTY_MS 20
#define DRAIN_STEP_MS 5

void
vmm_console_drain(vmm_console *c, int max_ms)
{
    lite_autofd slave = -1;
    int left = -1, stalled = 0, empty = 0;

    if (c->master < 0 || !vmm_console_check(c))
        return;
    /* FIONREAD on the slave counts what its reader has not taken yet. Bytes still in the
     * pty's flip buffer are not counted, so "empty" must hold for a while. */
    slave = open(c->slave_path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (slave < 0)
        return;
    for (int waited = 0; waited < max_ms && stalled < DRAIN_STALL_MS && empty < DRAIN_EMPTY_MS;
         waited += DRAIN_STEP_MS) {
        int n = 0;

        if (ioctl(slave, FIONREAD, &n) < 0)
            return;
        empty = n == 0 ? empty + DRAIN_STEP_MS : 0;
        stalled = (n > 0 && left >= 0 && n >= left) ? stalled + DRAIN_STEP_MS : 0;
        left = n;
        g_usleep(DRAIN_STEP_MS * 1000);
    }
}
