/* ns-fs.c: kernel interface files and root-confined opens (openat2 RESOLVE_IN_ROOT). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include <glib.h>

#include "fd.h"
#include "ns-fs.h"

int
ns_file_write(const char *dir, const char *name, const char *value)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
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
    g_autoptr(GString) s = g_string_new(NULL);
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
        if (s->len + (size_t)n > 4 * 1024 * 1024)
            return -EFBIG;
        g_string_append_len(s, buf, n);
    }
    *out = g_string_free(g_steal_pointer(&s), FALSE);
    return 0;
}

int
ns_file_read_u64(const char *dir, const char *name, uint64_t *out)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *text = NULL;
    guint64 v;
    int ret;

    if ((ret = ns_file_read(path, &text)) < 0)
        return ret;
    g_strstrip(text);
    if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &v, NULL))
        return -EINVAL;
    *out = v;
    return 0;
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
