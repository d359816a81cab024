/* file.c: atomic replace-by-rename for every piece of state written to disk (file.h). */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "fd.h"
#include "log.h"

int
lite_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                       lite_file_life life)
{
    lite_autofree char *tmp = lite_printf("%s.new-XXXXXX", path);
    const char *slash = strrchr(path, '/');
    lite_autofree char *dir = slash ? lite_strndup(path, slash == path ? 1 : (size_t)(slash - path))
                                    : lite_strdup(".");
    lite_autofd fd = -1;
    lite_autofd dirfd = -1;
    int ret;

    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        ret = -errno;
        lite_err("cannot create %s: %s", tmp, strerror(-ret));
        return ret;
    }
    if ((ret = lite_write_full(fd, data, len)) < 0 ||
        (fchmod(fd, mode) < 0 && (ret = -errno)) ||
        (life == LITE_FILE_DURABLE && fsync(fd) < 0 && (ret = -errno)))
        goto fail;
    if (close(lite_steal_fd(&fd)) < 0) {
        ret = -errno;
        goto fail;
    }
    if (rename(tmp, path) < 0) {
        ret = -errno;
        goto fail;
    }
    if (life == LITE_FILE_RUNTIME)
        return 0;
    /* The rename itself must reach the disk, or a crash could bring the old file back. */
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd >= 0)
        fsync(dirfd);
    return 0;

 fail:
    lite_err("cannot write %s: %s", path, strerror(-ret));
    unlink(tmp);
    return ret;
}
