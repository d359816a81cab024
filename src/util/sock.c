/* sock.c: unix socket plumbing shared by the driver's launcher client and the launchers. */
#include "sock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd.h"
#include "log.h"

static int
unix_addr(const char *path, struct sockaddr_un *addr)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr->sun_path))
        return -ENAMETOOLONG;
    strcpy(addr->sun_path, path);
    return 0;
}

int
lite_unix_listen(const char *path)
{
    struct sockaddr_un addr;
    lite_autofd fd = -1;
    int ret;

    if ((ret = unix_addr(path, &addr)) < 0)
        goto fail;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ret = -errno;
        goto fail;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        ret = -errno;
        goto fail;
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        chmod(path, 0600) < 0 ||
        listen(fd, 16) < 0) {
        ret = -errno;
        goto fail;
    }
    return lite_steal_fd(&fd);

 fail:
    lite_err("cannot listen on %s: %s", path, strerror(-ret));
    return ret;
}

int
lite_unix_connect(const char *path)
{
    struct sockaddr_un addr;
    lite_autofd fd = -1;
    int ret;

    if ((ret = unix_addr(path, &addr)) < 0)
        return ret;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    return lite_steal_fd(&fd);
}

int
lite_send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * LITE_SOCK_MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    const char *p = buf;

    if (nfds > LITE_SOCK_MAX_FDS || len == 0)
        return -EINVAL;
    if (nfds > 0) {
        struct cmsghdr *cmsg;

        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
    }

    while (len > 0) {
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        /* The descriptors travel with the first chunk only. */
        p += n;
        len -= (size_t)n;
        iov.iov_base = (void *)p;
        iov.iov_len = len;
        msg.msg_control = NULL;
        msg.msg_controllen = 0;
    }
    return 0;
}

ssize_t
lite_recv_with_fds(int sock, void *buf, size_t len, int *fds, size_t *nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * LITE_SOCK_MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = control.buf, .msg_controllen = sizeof(control.buf),
    };
    ssize_t n;

    *nfds = 0;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;

    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        size_t count;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;

            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (*nfds < LITE_SOCK_MAX_FDS)
                fds[(*nfds)++] = fd;
            else
                close(fd);
        }
    }
    return n;
}
