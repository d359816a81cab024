/* ns-mount.h: the container's mount plan (pure: what goes where, in order) and carrying it out
 * in the child: binds, proc, sys, a minimal /dev, the console, the cgroup, pivot_root. */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "launch.h"

typedef enum {
    NS_MNT_BIND = 0,     /* bind source onto target, recursively */
    NS_MNT_FS,           /* mount a new filesystem of type fstype */
    NS_MNT_READONLY,     /* make the mount at target read-only (recursive: its submounts too) */
    NS_MNT_DIR,          /* make sure the directory target exists */
    NS_MNT_SYMLINK,      /* create the symlink target -> source */
} ns_mnt_kind;

typedef struct {
    ns_mnt_kind kind;
    char *source;        /* BIND: a host path, or a path inside the root when inside is set;
                          * FS: the device name shown in mountinfo; SYMLINK: the link text */
    char *target;        /* absolute, as the container sees it */
    char *fstype;        /* FS */
    char *data;          /* FS: options */
    unsigned long flags; /* FS: MS_* */
    bool inside;         /* BIND: the source is inside the new root */
    bool recursive;      /* READONLY */
    bool optional;       /* BIND: skipped when the target does not exist (masks of kernel
                          * files some kernels lack) */
} ns_mnt_step;

typedef struct {
    const char *console;      /* host path of the pty slave that becomes /dev/console, or NULL */
    const char *cgroup_dir;   /* host cgroup2 directory for /sys/fs/cgroup, or NULL */
    bool tty_gid_mapped;      /* whether gid 5 (tty) exists in the container (devpts gid=5) */
} ns_mount_env;

/* Pure: every step after the root is bound, in order. A GPtrArray of ns_mnt_step. */
GPtrArray *ns_mount_plan(const lite_launch *l, const ns_mount_env *env);
/* One line per step, for tests and debug logs. */
char *ns_mount_plan_format(const GPtrArray *plan);

/* In the child, in its new mount namespace: binds the root onto itself, runs @plan inside it
 * (every target resolved so that symlinks in the container image cannot lead outside), makes
 * the root read-only when asked, and pivots into it. 0 or -errno with @why. */
int ns_mount_enter(const char *root, bool root_readonly, const GPtrArray *plan, char **why);
