/* file.c: atomic replace-by-rename for every piece of state written to disk. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "fd.h"
#include "log.h"

int
lite_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    g_autofree char *tmp = g_strdup_printf("%s.new-XXXXXX", path);
    g_autofree char *dir = g_path_get_dirname(path);
    lite_autofd fd = -1;
    lite_autofd dirfd = -1;
    int ret;

    fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, mode);
    if (fd < 0) {
        ret = -errno;
        lite_err("cannot create %s: %s", tmp, g_strerror(-ret));
        return ret;
    }
    if ((ret = lite_write_full(fd, data, len)) < 0 ||
        (fchmod(fd, mode) < 0 && (ret = -errno)) ||
        (fsync(fd) < 0 && (ret = -errno)))
        goto fail;
    if (close(lite_steal_fd(&fd)) < 0) {
        ret = -errno;
        goto fail;
    }
    if (rename(tmp, path) < 0) {
        ret = -errno;
        goto fail;
    }
    /* The rename itself must reach the disk, or a crash could bring the old file back. */
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd >= 0)
        fsync(dirfd);
    return 0;

 fail:
    lite_err("cannot write %s: %s", path, g_strerror(-ret));
    unlink(tmp);
    return ret;
}
