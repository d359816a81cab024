/* ns-fs.h: small file helpers for kernel interface files and paths inside a container root. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* Writes @value to @dir/@name (a cgroup or proc file) in one write. 0 or -errno; no logging:
 * the caller knows what the value meant. */
int ns_file_write(const char *dir, const char *name, const char *value);
/* Reads a whole file (kernel files report no size); 0 or -errno. */
int ns_file_read(const char *path, char **out);
/* Reads @dir/@name as a decimal number. 0 or -errno. */
int ns_file_read_u64(const char *dir, const char *name, uint64_t *out);
/* Opens @path relative to the root directory @rootfd the way the container would see it:
 * symlinks and ".." cannot leave the root. An fd or -errno. */
int ns_open_in_root(int rootfd, const char *path, int flags, mode_t mode);
