/* fd.h: file-descriptor helpers: scoped close, full reads and writes, flags. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

void lite_fd_cleanup(int *fd);
/* An int fd closed when it leaves scope; take ownership out with lite_steal_fd(). */
#define lite_autofd __attribute__((cleanup(lite_fd_cleanup))) int

static inline int
lite_steal_fd(int *fd)
{
    int ret = *fd;
    *fd = -1;
    return ret;
}

/* Both return 0 or -errno; a short read (EOF before len bytes) is -EPIPE. */
int lite_read_full(int fd, void *buf, size_t len);
int lite_write_full(int fd, const void *buf, size_t len);

int lite_fd_set_cloexec(int fd, bool on);
int lite_fd_set_nonblock(int fd, bool on);
