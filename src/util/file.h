/* file.h: state on disk is replaced atomically or not at all. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

typedef enum {
    /* Must survive a crash of the host: fsync of the file and of its directory. */
    LITE_FILE_DURABLE = 0,
    /* Describes running processes (under /run): a host crash ends what it describes, and a
     * process crash loses nothing that reached the page cache, so no fsync. On a host
     * whose /run is on disk those fsyncs cost 1-5 ms per container start. */
    LITE_FILE_RUNTIME,
} lite_file_life;

/* Writes a temporary file beside @path and renames it over @path, so that a reader or a
 * crash sees either the old or the new contents, never a part. Returns 0 or -errno. */
int lite_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           lite_file_life life);
