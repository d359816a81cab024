/* ns-cgroup.c: making a container's cgroups, on cgroup v1, v2 or both (hybrid): the layout,
 * the directories, the limits and PID 1's way in (running them: ns-cgroup-ops.c).
 *
 * The layout is read at run time from /proc/self/cgroup (which hierarchies this process is
 * in) and /proc/self/mountinfo (where each is mounted). The container's cgroup is the same
 * path, /machine/<name>.lite, in every hierarchy. Limits live on whichever hierarchy carries
 * the controller: a v1 controller when the host mounts one, else the cgroup2 hierarchy.
 */
#include "ns-cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "fd.h"
#include "log.h"
#include "ns-devfilter.h"
#include "ns-fs.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *
unescape_octal(const char *s)
{
    GString *out = g_string_new(NULL);

    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            g_string_append_c(out, (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0')));
            s += 3;
        } else {
            g_string_append_c(out, *s);
        }
    }
    return g_string_free(out, FALSE);
}

/* The mount point of the hierarchy with @controllers (v1) or of cgroup2 (@v2), or NULL. */
static char *
find_mount(const char *mountinfo, bool v2, const char *controllers)
{
    g_auto(GStrv) lines = g_strsplit(mountinfo, "\n", -1);

    for (size_t i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], " ", -1);
        size_t n = g_strv_length(f);
        size_t sep;

        /* id parent dev root mountpoint options [optional...] - fstype source superoptions */
        for (sep = 6; sep < n && strcmp(f[sep], "-") != 0; sep++)
            ;
        if (sep + 3 >= n)
            continue;
        if (v2 && strcmp(f[sep + 1], "cgroup2") == 0)
            return unescape_octal(f[4]);
        if (!v2 && strcmp(f[sep + 1], "cgroup") == 0 &&
            ns_cg_has_all(f[sep + 3], controllers))
            return unescape_octal(f[4]);
    }
    return NULL;
}

int
ns_cg_detect(const char *self_cgroup, const char *mountinfo, ns_cgroups **out)
{
    g_autoptr(ns_cgroups) cg = g_new0(ns_cgroups, 1);
    g_auto(GStrv) lines = g_strsplit(self_cgroup, "\n", -1);
    bool have_v1 = false;
    bool have_v2 = false;

    for (size_t i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], ":", 3);
        ns_cg_hier *h;
        char *mount;
        bool v2;

        if (g_strv_length(f) != 3)
            continue;
        v2 = strcmp(f[0], "0") == 0 && f[1][0] == '\0';
        mount = find_mount(mountinfo, v2, f[1]);
        if (!mount)
            continue;
        cg->hiers = lite_realloc(cg->hiers, cg->n + 1, sizeof(*cg->hiers));
        h = &cg->hiers[cg->n++];
        *h = (ns_cg_hier){ .join_fd = -1 };
        h->v2 = v2;
        h->controllers = g_strdup(v2 ? "" : f[1]);
        h->mount = mount;
        have_v1 |= !v2;
        have_v2 |= v2;
    }
    if (cg->n == 0)
        return -ENOENT;
    cg->mode = have_v1 ? (have_v2 ? NS_CG_HYBRID : NS_CG_LEGACY) : NS_CG_UNIFIED;
    *out = g_steal_pointer(&cg);
    return 0;
}

int
ns_cg_detect_host(ns_cgroups **out)
{
    g_autofree char *self = NULL;
    g_autofree char *mountinfo = NULL;
    int ret;

    if ((ret = ns_file_read("/proc/self/cgroup", &self)) < 0 ||
        (ret = ns_file_read("/proc/self/mountinfo", &mountinfo)) < 0)
        return ret;
    return ns_cg_detect(self, mountinfo, out);
}

int
ns_cg_path_for(const char *parent, const char *name, char **out)
{
    if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0 || strlen(name) > 200)
        return -EINVAL;
    *out = g_strdup_printf("/%s/%s.lite", parent, name);
    return 0;
}

void
ns_cg_place(ns_cgroups *cg, const char *path)
{
    g_free(cg->path);
    cg->path = g_strdup(path);
    for (size_t i = 0; i < cg->n; i++) {
        ns_cg_hier *h = &cg->hiers[i];

        g_free(h->dir);
        h->dir = g_strconcat(h->mount, path, NULL);
    }
}

/* v1 cpuset starts empty in a new cgroup and takes no task until it has cpus and mems. */
static int
cpuset_inherit(const char *dir)
{
    g_autofree char *parent = g_path_get_dirname(dir);
    const char *files[] = { "cpuset.cpus", "cpuset.mems" };

    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *mine_path = g_build_filename(dir, files[i], NULL);
        g_autofree char *parent_path = g_build_filename(parent, files[i], NULL);
        g_autofree char *mine = NULL;
        g_autofree char *theirs = NULL;
        int ret;

        if ((ret = ns_file_read(mine_path, &mine)) < 0 ||
            (ret = ns_file_read(parent_path, &theirs)) < 0)
            return ret;
        if (*g_strstrip(mine))
            continue;
        if ((ret = ns_file_write(dir, files[i], g_strstrip(theirs))) < 0)
            return ret;
    }
    return 0;
}

/* v2 gives a child a controller only when each ancestor enables it for its children. */
static void
v2_enable_controllers(const ns_cg_hier *h, const char *dir)
{
    static const char *const wanted[] = { "cpu", "cpuset", "memory", "pids", "io", NULL };
    g_autofree char *path = g_build_filename(dir, "cgroup.controllers", NULL);
    g_autofree char *have = NULL;
    g_auto(GStrv) list = NULL;

    if (ns_file_read(path, &have) < 0)
        return;
    list = g_strsplit(g_strstrip(have), " ", -1);
    for (size_t i = 0; wanted[i]; i++) {
        g_autofree char *plus = g_strconcat("+", wanted[i], NULL);

        if (g_strv_contains((const char *const *)list, wanted[i]) &&
            ns_file_write(dir, "cgroup.subtree_control", plus) < 0)
            lite_warn("cannot enable %s below %s: %s", wanted[i], dir, g_strerror(errno));
    }
}

/* nftw callback: 1 (stop) at the first directory whose cgroup.procs lists a task. */
static int
has_tasks_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    g_autofree char *file = NULL;
    g_autofree char *procs = NULL;

    if (type != FTW_D)
        return 0;
    file = g_build_filename(path, "cgroup.procs", NULL);
    return ns_file_read(file, &procs) == 0 && *g_strstrip(procs) ? 1 : 0;
}

/* The container's own directory. One that exists already was left by a supervisor killed
 * before anyone cleaned up: it is taken over when empty, refused while tasks are in it (the
 * domain is running under another supervisor). */
static int
make_leaf(const char *dir)
{
    g_autofree char *parent = g_path_get_dirname(dir);

    for (int tries = 0; tries < 5; tries++) {
        if (mkdir(dir, 0755) == 0)
            return 0;
        if (errno == ENOENT) {
            /* The shared parent went with another container's teardown: make it again. */
            if (mkdir(parent, 0755) < 0 && errno != EEXIST)
                return -errno;
            continue;
        }
        if (errno != EEXIST)
            return -errno;
        if (nftw(dir, has_tasks_cb, 16, FTW_PHYS | FTW_MOUNT) == 1)
            return -EBUSY;
        lite_warn("taking over the stale cgroup %s", dir);
        if (ns_cg_rmtree(dir) != 0)
            return -EBUSY;
    }
    return -EAGAIN;
}

/* mkdir -p from the hierarchy's mount down to the container's directory; the parents (an
 * existing /machine) are shared with other containers. */
static int
make_dir(ns_cg_hier *h)
{
    g_autofree char *rel = g_strdup(h->dir + strlen(h->mount));
    g_autoptr(GString) cur = g_string_new(h->mount);
    g_auto(GStrv) parts = g_strsplit(rel, "/", -1);
    size_t n = g_strv_length(parts);
    int ret;

    for (size_t i = 0; i < n; i++) {
        bool leaf = i + 1 == n;

        if (!*parts[i])
            continue;
        if (h->v2)
            v2_enable_controllers(h, cur->str);
        g_string_append_printf(cur, "/%s", parts[i]);
        if (leaf && (ret = make_leaf(cur->str)) < 0)
            return ret;
        if (!leaf && mkdir(cur->str, 0755) < 0 && errno != EEXIST)
            return -errno;
        h->created |= leaf;
        if (!h->v2 && strstr(h->controllers, "cpuset") && (ret = cpuset_inherit(cur->str)) < 0)
            return ret;
    }
    return 0;
}

/* One limit; on refusal @why names the file, the value and the cgroup. */
static int
write_limit(const char *dir, const char *file, const char *value, char **why)
{
    int ret = ns_file_write(dir, file, value);

    if (ret < 0)
        *why = g_strdup_printf("the kernel refuses %s=%s in %s: %s", file, value, dir,
                               g_strerror(-ret));
    return ret;
}

/* Writes a limit and reads it back: the v1 memory controller silently clamps or wraps values
 * it cannot hold, which must not pass for the limit the domain asked for. */
static int
write_checked(const char *dir, const char *file, uint64_t value, uint64_t expect, char **why)
{
    g_autofree char *text = g_strdup_printf("%" PRIu64, value);
    uint64_t back = 0;
    int ret;

    if ((ret = write_limit(dir, file, text, why)) < 0)
        return ret;
    if (ns_file_read_u64(dir, file, &back) == 0 && back != expect) {
        *why = g_strdup_printf("the kernel stores %s=%" PRIu64 " in %s instead of %s", file,
                               back, dir, text);
        return -ERANGE;
    }
    return 0;
}

static int
apply_memory(const ns_cgroups *cg, const lite_launch *l, char **why)
{
    const ns_cg_hier *h = ns_cg_find(cg, "memory");
    long page = sysconf(_SC_PAGESIZE);
    uint64_t bytes;

    if (l->memory_kib == 0)
        return 0;
    if (!h) {
        *why = g_strdup("memory-kib is set but this host has no memory cgroup controller");
        return -EOPNOTSUPP;
    }
    if (l->memory_kib > UINT64_MAX / 1024) {
        *why = g_strdup_printf("memory-kib=%" PRIu64 " overflows a byte count", l->memory_kib);
        return -ERANGE;
    }
    bytes = l->memory_kib * 1024;
    return write_checked(h->dir, h->v2 ? "memory.max" : "memory.limit_in_bytes", bytes,
                         bytes / (uint64_t)page * (uint64_t)page, why);
}

static int
apply_cpu_v1(const char *dir, const lite_ct *ct, char **why)
{
    g_autofree char *shares = g_strdup_printf("%" PRIu64, ct->cpu_shares);
    g_autofree char *period = g_strdup_printf("%" PRIu64, ct->cpu_period_us);
    g_autofree char *quota = g_strdup_printf("%" PRId64, MAX(ct->cpu_quota_us, -1));
    int ret = 0;

    if (ct->cpu_shares)
        ret = write_limit(dir, "cpu.shares", shares, why);
    if (ret == 0 && ct->cpu_period_us)
        ret = write_limit(dir, "cpu.cfs_period_us", period, why);
    if (ret == 0 && ct->cpu_quota_us)
        ret = write_limit(dir, "cpu.cfs_quota_us", quota, why);
    return ret;
}

static int
apply_cpu_v2(const char *dir, const lite_ct *ct, char **why)
{
    /* The mapping systemd and runc use: shares 2..262144 onto weight 1..10000. */
    uint64_t shares = CLAMP(ct->cpu_shares, 2, 262144);
    uint64_t period = ct->cpu_period_us ? ct->cpu_period_us : 100000;
    g_autofree char *weight = g_strdup_printf("%" PRIu64, 1 + (shares - 2) * 9999 / 262142);
    g_autofree char *max = ct->cpu_quota_us > 0
        ? g_strdup_printf("%" PRId64 " %" PRIu64, ct->cpu_quota_us, period)
        : g_strdup_printf("max %" PRIu64, period);
    int ret = 0;

    if (ct->cpu_shares)
        ret = write_limit(dir, "cpu.weight", weight, why);
    if (ret == 0 && (ct->cpu_period_us || ct->cpu_quota_us))
        ret = write_limit(dir, "cpu.max", max, why);
    return ret;
}

static int
apply_cpu(const ns_cgroups *cg, const lite_ct *ct, char **why)
{
    const ns_cg_hier *h = ns_cg_find(cg, "cpu");

    if (!ct->cpu_shares && !ct->cpu_period_us && !ct->cpu_quota_us)
        return 0;
    if (!h) {
        *why = g_strdup("cpu limits are set but this host has no cpu cgroup controller");
        return -EOPNOTSUPP;
    }
    return h->v2 ? apply_cpu_v2(h->dir, ct, why) : apply_cpu_v1(h->dir, ct, why);
}

static int
apply_cpuset(const ns_cgroups *cg, const lite_ct *ct, char **why)
{
    const ns_cg_hier *h = ns_cg_find(cg, "cpuset");

    if (!ct->cpuset)
        return 0;
    if (!h) {
        *why = g_strdup("cpuset is set but this host has no cpuset cgroup controller");
        return -EOPNOTSUPP;
    }
    return write_limit(h->dir, "cpuset.cpus", ct->cpuset, why);
}

/* v1: the devices controller's list. cgroup2 (pure v2, or hybrid's unified hierarchy): a BPF
 * program on the container's directory; in hybrid mode both apply. */
static int
apply_devices(const ns_cgroups *cg, char **why)
{
    const ns_cg_hier *h = ns_cg_find(cg, "devices");
    const ns_cg_hier *v2 = ns_cg_find_v2(cg);
    int ret;

    if (v2 && (ret = ns_devfilter_attach(v2->dir, ns_dev_allowed, why)) < 0)
        return ret;
    if (!h || h->v2)
        return 0;
    if ((ret = ns_file_write(h->dir, "devices.deny", "a")) < 0) {
        *why = g_strdup_printf("cannot deny devices in %s: %s", h->dir, g_strerror(-ret));
        return ret;
    }
    for (const ns_dev_rule *r = ns_dev_allowed; r->type; r++) {
        g_autofree char *rule = r->minor < 0
            ? g_strdup_printf("%c %d:* rwm", r->type, r->major)
            : g_strdup_printf("%c %d:%d rwm", r->type, r->major, r->minor);

        if ((ret = ns_file_write(h->dir, "devices.allow", rule)) < 0) {
            *why = g_strdup_printf("cannot allow device %s in %s: %s", rule, h->dir,
                                   g_strerror(-ret));
            return ret;
        }
    }
    return 0;
}

static void
read_v2_controllers(ns_cgroups *cg)
{
    for (size_t i = 0; i < cg->n; i++) {
        ns_cg_hier *h = &cg->hiers[i];
        g_autofree char *path = NULL;
        g_autofree char *text = NULL;

        if (!h->v2)
            continue;
        path = g_build_filename(h->dir, "cgroup.controllers", NULL);
        if (ns_file_read(path, &text) == 0) {
            g_free(h->controllers);
            h->controllers = g_strdup(g_strstrip(text));
        }
    }
}

int
ns_cg_create(ns_cgroups *cg, const lite_launch *l, char **why)
{
    int ret = 0;

    for (size_t i = 0; i < cg->n && ret == 0; i++) {
        ns_cg_hier *h = &cg->hiers[i];

        if ((ret = make_dir(h)) == -EBUSY)
            *why = g_strdup_printf("cgroup %s is in use: is %s running already?", h->dir,
                                   l->name);
        else if (ret < 0)
            *why = g_strdup_printf("cannot create cgroup %s: %s", h->dir, g_strerror(-ret));
    }
    if (ret == 0) {
        read_v2_controllers(cg);
        if ((ret = apply_memory(cg, l, why)) == 0 &&
            (ret = apply_cpu(cg, &l->ct, why)) == 0 &&
            (ret = apply_cpuset(cg, &l->ct, why)) == 0)
            ret = apply_devices(cg, why);
    }
    if (ret < 0)
        ns_cg_remove(cg);
    return ret;
}

int
ns_cg_join_open(ns_cgroups *cg)
{
    for (size_t i = 0; i < cg->n; i++) {
        ns_cg_hier *h = &cg->hiers[i];
        g_autofree char *tasks = g_build_filename(h->dir, "tasks", NULL);

        h->join_fd = h->v2 ? open(h->dir, O_PATH | O_DIRECTORY | O_CLOEXEC)
                           : open(tasks, O_WRONLY | O_CLOEXEC);
        if (h->join_fd < 0) {
            int ret = -errno;
            lite_err("cannot open %s for the container's init: %s", h->v2 ? h->dir : tasks,
                     g_strerror(-ret));
            ns_cg_join_close(cg);
            return ret;
        }
    }
    return 0;
}

int
ns_cg_join_v2_fd(const ns_cgroups *cg)
{
    const ns_cg_hier *h = ns_cg_find_v2(cg);

    return h ? h->join_fd : -1;
}

int
ns_cg_join_self(const ns_cgroups *cg, const char **failed)
{
    for (size_t i = 0; i < cg->n; i++) {
        const ns_cg_hier *h = &cg->hiers[i];

        if (!h->v2 && write(h->join_fd, "0", 1) != 1) {
            *failed = h->dir;
            return -errno;
        }
    }
    return 0;
}

void
ns_cg_join_close(ns_cgroups *cg)
{
    for (size_t i = 0; i < cg->n; i++)
        lite_fd_cleanup(&cg->hiers[i].join_fd);
}

int
ns_cg_chown(const ns_cgroups *cg, uid_t uid, gid_t gid)
{
    static const char *const files[] = { "", "cgroup.procs", "cgroup.subtree_control",
                                         "cgroup.threads", NULL };
    const char *dir = ns_cg_unified_dir(cg);

    for (size_t i = 0; dir && files[i]; i++) {
        g_autofree char *path = g_build_filename(dir, files[i], NULL);

        if (chown(path, uid, gid) < 0 && errno != ENOENT) {
            int ret = -errno;
            lite_err("cannot hand %s to uid %u: %s", path, (unsigned)uid, g_strerror(-ret));
            return ret;
        }
    }
    return 0;
}
