/* fd.c: file-descriptor helpers that retry on EINTR and report -errno. */
#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

void
lite_fd_cleanup(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
        *fd = -1;
    }
}

int
lite_read_full(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EPIPE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int
lite_write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int
fd_update_flag(int fd, int get, int set, int flag, bool on)
{
    int flags = fcntl(fd, get);

    if (flags < 0)
        return -errno;
    flags = on ? (flags | flag) : (flags & ~flag);
    if (fcntl(fd, set, flags) < 0)
        return -errno;
    return 0;
}

int
lite_fd_set_cloexec(int fd, bool on)
{
    return fd_update_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

int
lite_fd_set_nonblock(int fd, bool on)
{
    return fd_update_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}
