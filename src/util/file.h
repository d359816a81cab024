/* file.h: durable file writes: state on disk is replaced atomically or not at all. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Writes a temporary file beside @path, fsyncs it, renames it over @path and fsyncs the
 * directory, so a crash leaves either the old or the new contents. Returns 0 or -errno. */
int lite_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
