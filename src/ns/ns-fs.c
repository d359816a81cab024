/* ns-fs.c: kernel interface files and root-confined opens (openat2 RESOLVE_IN_ROOT). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "alloc.h"
#include "fd.h"
#include "ns-fs.h"
#include "text.h"

int
ns_file_write(const char *dir, const char *name, const char *value)
{
    lite_autofree char *path = lite_printf("%s/%s", dir, name);
    lite_autofd fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    ssize_t n;

    if (fd < 0)
        return -errno;
    /* Kernel files take a value in one write; a short write is the kernel refusing part. */
    do {
        n = write(fd, value, strlen(value));
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return (size_t)n == strlen(value) ? 0 : -EIO;
}

int
ns_file_read(const char *path, char **out)
{
    lite_autofd fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    lite_autofree char *s = NULL;
    size_t len = 0;
    char buf[4096];

    if (fd < 0)
        return -errno;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        if (len + (size_t)n > 4 * 1024 * 1024)
            return -EFBIG;
        s = lite_realloc(s, len + (size_t)n + 1, 1);
        memcpy(s + len, buf, (size_t)n);
        len += (size_t)n;
    }
    if (!s)
        s = lite_calloc(1, 1);
    s[len] = '\0';
    *out = s;
    s = NULL;
    return 0;
}

int
ns_file_read_u64(const char *dir, const char *name, uint64_t *out)
{
    lite_autofree char *path = lite_printf("%s/%s", dir, name);
    lite_autofree char *text = NULL;
    int ret;

    if ((ret = ns_file_read(path, &text)) < 0)
        return ret;
    return lite_parse_u64(lite_strstrip(text), out);
}

int
ns_open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    long fd;

    while (*path == '/')
        path++;
    do {
        fd = syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
    } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : (int)fd;
}
