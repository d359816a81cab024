/* ns-mount.c: the container's mounts, planned as data and then carried out inside the root.
 *
 * Every target is opened inside the root with openat2(RESOLVE_IN_ROOT) and mounted on through
 * /proc/self/fd/N, so an image whose /proc or /dev is a symlink to a host path cannot make us
 * mount over the host. */
#include "ns-mount.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd.h"
#include "log.h"
#include "ns-fs.h"

/* Device nodes bound from the host's /dev: what a system container needs and no more. */
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty",
                                         NULL };

static void
step_free(gpointer p)
{
    ns_mnt_step *s = p;

    g_free(s->source);
    g_free(s->target);
    g_free(s->fstype);
    g_free(s->data);
    g_free(s);
}

static ns_mnt_step *
add(GPtrArray *plan, ns_mnt_kind kind, const char *source, const char *target)
{
    ns_mnt_step *s = g_new0(ns_mnt_step, 1);

    s->kind = kind;
    s->source = g_strdup(source);
    s->target = g_strdup(target);
    g_ptr_array_add(plan, s);
    return s;
}

static void
add_fs(GPtrArray *plan, const char *fstype, const char *target, unsigned long flags,
       const char *data)
{
    ns_mnt_step *s = add(plan, NS_MNT_FS, fstype, target);

    s->fstype = g_strdup(fstype);
    s->flags = flags;
    s->data = g_strdup(data);
}

static void
add_readonly(GPtrArray *plan, const char *target, bool recursive)
{
    add(plan, NS_MNT_READONLY, NULL, target)->recursive = recursive;
}

GPtrArray *
ns_mount_plan(const lite_launch *l, const ns_mount_env *env)
{
    GPtrArray *plan = g_ptr_array_new_with_free_func(step_free);
    const unsigned long hard = MS_NOSUID | MS_NODEV | MS_NOEXEC;

    for (guint i = 0; i < l->ct.mounts->len; i++) {
        const lite_mount *m = g_ptr_array_index(l->ct.mounts, i);

        if (strcmp(m->target, "/") == 0)
            continue;
        add(plan, NS_MNT_BIND, m->source, m->target);
        if (m->readonly)
            add_readonly(plan, m->target, true);
    }

    /* The container's own pids; the kernel knobs read-only except its own network's, and
     * no sysrq from inside. */
    add_fs(plan, "proc", "/proc", hard, NULL);
    add(plan, NS_MNT_BIND, "/proc/sys/net", "/proc/sys/net")->inside = true;
    add(plan, NS_MNT_BIND, "/proc/sys", "/proc/sys")->inside = true;
    add_readonly(plan, "/proc/sys", false);
    add(plan, NS_MNT_BIND, "/dev/null", "/proc/sysrq-trigger")->optional = true;

    /* systemd and udev decide from a read-only /sys that they run in a container. */
    add_fs(plan, "sysfs", "/sys", hard | MS_RDONLY, NULL);
    if (env->cgroup_dir)
        add(plan, NS_MNT_BIND, env->cgroup_dir, "/sys/fs/cgroup");

    /* Never leave /dev empty: systemd would mount devtmpfs, the host's only instance. */
    add_fs(plan, "tmpfs", "/dev", MS_NOSUID | MS_NOEXEC, "mode=755,size=512k");
    for (size_t i = 0; dev_nodes[i]; i++) {
        g_autofree char *path = g_strconcat("/dev/", dev_nodes[i], NULL);
        add(plan, NS_MNT_BIND, path, path);
    }
    add(plan, NS_MNT_DIR, NULL, "/dev/pts");
    add_fs(plan, "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
           env->tty_gid_mapped ? "newinstance,ptmxmode=0666,mode=0620,gid=5"
                               : "newinstance,ptmxmode=0666,mode=0620");
    add(plan, NS_MNT_SYMLINK, "pts/ptmx", "/dev/ptmx");
    add(plan, NS_MNT_SYMLINK, "/proc/self/fd", "/dev/fd");
    add(plan, NS_MNT_SYMLINK, "/proc/self/fd/0", "/dev/stdin");
    add(plan, NS_MNT_SYMLINK, "/proc/self/fd/1", "/dev/stdout");
    add(plan, NS_MNT_SYMLINK, "/proc/self/fd/2", "/dev/stderr");
    if (env->console)
        add(plan, NS_MNT_BIND, env->console, "/dev/console");
    add(plan, NS_MNT_DIR, NULL, "/dev/shm");
    add_fs(plan, "tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV, "mode=1777");
    return plan;
}

char *
ns_mount_plan_format(const GPtrArray *plan)
{
    static const char *const kinds[] = { "bind", "fs", "readonly", "dir", "symlink" };
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < plan->len; i++) {
        const ns_mnt_step *m = g_ptr_array_index(plan, i);

        g_string_append_printf(s, "%s %s", kinds[m->kind], m->target);
        if (m->source)
            g_string_append_printf(s, " from %s%s", m->inside ? "inside:" : "", m->source);
        if (m->data)
            g_string_append_printf(s, " (%s)", m->data);
        if (m->kind == NS_MNT_FS && (m->flags & MS_RDONLY))
            g_string_append(s, " ro");
        if (m->recursive)
            g_string_append(s, " recursive");
        if (m->optional)
            g_string_append(s, " optional");
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

/* ---- carrying the plan out, in the child ---- */

static char *
fd_path(int fd)
{
    return g_strdup_printf("/proc/self/fd/%d", fd);
}

/* Opens @target inside the root, creating it (a directory, or an empty file when @file) if
 * it is missing. An O_PATH fd or -errno. */
static int
open_target(int rootfd, const char *target, bool create, bool file)
{
    g_autofree char *dir = g_path_get_dirname(target);
    g_autofree char *base = g_path_get_basename(target);
    lite_autofd parent = -1;
    int fd = ns_open_in_root(rootfd, target, O_PATH, 0);

    if (fd >= 0 || fd != -ENOENT || !create)
        return fd;
    parent = ns_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, 0);
    if (parent < 0)
        return parent;
    if (file) {
        /* O_NOFOLLOW|O_EXCL: a dangling symlink planted here must not create a host file. */
        lite_autofd f = openat(parent, base, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY |
                               O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST)
            return -errno;
    } else if (mkdirat(parent, base, 0755) < 0 && errno != EEXIST) {
        return -errno;
    }
    return ns_open_in_root(rootfd, target, O_PATH, 0);
}

static int
do_bind(int rootfd, const ns_mnt_step *m)
{
    lite_autofd src = -1;
    lite_autofd dst = -1;
    g_autofree char *src_path = NULL;
    g_autofree char *dst_path = NULL;
    struct stat st;

    src = m->inside ? ns_open_in_root(rootfd, m->source, O_PATH, 0)
                    : open(m->source, O_PATH | O_CLOEXEC);
    if (src < 0)
        return m->inside ? src : -errno;
    if (fstat(src, &st) < 0)
        return -errno;
    dst = open_target(rootfd, m->target, !m->optional, !S_ISDIR(st.st_mode));
    if (dst == -ENOENT && m->optional)
        return 0;
    if (dst < 0)
        return dst;
    src_path = fd_path(src);
    dst_path = fd_path(dst);
    if (mount(src_path, dst_path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return -errno;
    return 0;
}

static int
do_fs(int rootfd, const ns_mnt_step *m)
{
    lite_autofd dst = open_target(rootfd, m->target, true, false);
    g_autofree char *dst_path = NULL;

    if (dst < 0)
        return dst;
    dst_path = fd_path(dst);
    if (mount(m->source, dst_path, m->fstype, m->flags, m->data) < 0)
        return -errno;
    return 0;
}

/* mount_setattr changes only the read-only bit: a plain MS_REMOUNT|MS_RDONLY would have to
 * repeat every locked flag (nosuid, nodev, noexec, atime) of the mount in a user namespace,
 * and would leave submounts writable. */
static int
do_readonly(int rootfd, const char *target, bool recursive)
{
    lite_autofd fd = ns_open_in_root(rootfd, target, O_PATH, 0);
    struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

    if (fd < 0)
        return fd;
    if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                      sizeof(attr)) < 0)
        return -errno;
    return 0;
}

static int
do_symlink(int rootfd, const ns_mnt_step *m)
{
    g_autofree char *dir = g_path_get_dirname(m->target);
    g_autofree char *base = g_path_get_basename(m->target);
    lite_autofd parent = ns_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, 0);

    if (parent < 0)
        return parent;
    if (symlinkat(m->source, parent, base) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int
run_step(int rootfd, const ns_mnt_step *m)
{
    lite_autofd fd = -1;

    switch (m->kind) {
    case NS_MNT_BIND:
        return do_bind(rootfd, m);
    case NS_MNT_FS:
        return do_fs(rootfd, m);
    case NS_MNT_READONLY:
        return do_readonly(rootfd, m->target, m->recursive);
    case NS_MNT_DIR:
        fd = open_target(rootfd, m->target, true, false);
        return fd < 0 ? fd : 0;
    case NS_MNT_SYMLINK:
        return do_symlink(rootfd, m);
    }
    return -EINVAL;
}

int
ns_mount_enter(const char *root, bool root_readonly, const GPtrArray *plan, char **why)
{
    lite_autofd rootfd = -1;
    int ret;

    /* Nothing we mount may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        ret = -errno;
        *why = g_strdup_printf("cannot make / private: %s", g_strerror(-ret));
        return ret;
    }
    /* pivot_root needs the new root to be a mount point. */
    if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0) {
        ret = -errno;
        *why = g_strdup_printf("cannot bind the root %s: %s", root, g_strerror(-ret));
        return ret;
    }
    rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        ret = -errno;
        *why = g_strdup_printf("cannot open the root %s: %s", root, g_strerror(-ret));
        return ret;
    }
    /* Read-only from the start: not even our mount points may be written into such a root
     * (a missing one is an error); the mounts on top keep their own flags. */
    if (root_readonly && (ret = do_readonly(rootfd, "/", false)) < 0) {
        *why = g_strdup_printf("cannot make the root %s read-only: %s", root, g_strerror(-ret));
        return ret;
    }
    for (guint i = 0; i < plan->len; i++) {
        const ns_mnt_step *m = g_ptr_array_index(plan, i);

        if ((ret = run_step(rootfd, m)) < 0) {
            *why = g_strdup_printf("cannot mount %s%s%s: %s", m->target,
                                   m->source ? " from " : "", m->source ? m->source : "",
                                   g_strerror(-ret));
            return ret;
        }
    }
    /* pivot_root(".", ".") stacks the old root under the new one; detaching it leaves the
     * container with nothing of the host's mount tree. */
    if (fchdir(rootfd) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
        umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
        ret = -errno;
        *why = g_strdup_printf("cannot pivot into %s: %s", root, g_strerror(-ret));
        return ret;
    }
    return 0;
}
