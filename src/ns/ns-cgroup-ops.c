/* ns-cgroup-ops.c: running a container's cgroups once they exist: finding the hierarchy
 * of a controller, freezing, killing, statistics and removal. No glib: the static
 * lite-ns-monitor links this file (ns-monitor.c). */
#include "ns-cgroup.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "fd.h"
#include "log.h"
#include "ns-fs.h"
#include "text.h"

void
ns_cgroups_free(ns_cgroups *cg)
{
    if (!cg)
        return;
    for (size_t i = 0; i < cg->n; i++) {
        ns_cg_hier *h = &cg->hiers[i];

        lite_fd_cleanup(&h->join_fd);
        free(h->controllers);
        free(h->mount);
        free(h->dir);
    }
    free(cg->hiers);
    free(cg->path);
    free(cg);
}

const char *
ns_cg_mode_name(ns_cg_mode mode)
{
    static const char *const names[] = { "legacy", "hybrid", "unified" };

    return names[mode];
}

/* Whether @item is one of the items of @list, separated by @sep. */
static bool
list_has(const char *list, char sep, const char *item, size_t len)
{
    for (const char *p = list; *p;) {
        const char *end = strchr(p, sep);
        size_t n = end ? (size_t)(end - p) : strlen(p);

        if (n == len && strncmp(p, item, len) == 0)
            return true;
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

bool
ns_cg_has_all(const char *have, const char *want)
{
    for (const char *p = want; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);

        if (n > 0 && !list_has(have, ',', p, n))
            return false;
        if (!end)
            break;
        p = end + 1;
    }
    return true;
}

const ns_cg_hier *
ns_cg_find(const ns_cgroups *cg, const char *controller)
{
    for (size_t i = 0; i < cg->n; i++) {
        if (!cg->hiers[i].v2 && ns_cg_has_all(cg->hiers[i].controllers, controller))
            return &cg->hiers[i];
    }
    for (size_t i = 0; i < cg->n; i++) {
        if (cg->hiers[i].v2 && list_has(cg->hiers[i].controllers, ' ', controller,
                                        strlen(controller)))
            return &cg->hiers[i];
    }
    return NULL;
}

const ns_cg_hier *
ns_cg_find_v2(const ns_cgroups *cg)
{
    for (size_t i = 0; i < cg->n; i++) {
        if (cg->hiers[i].v2)
            return &cg->hiers[i];
    }
    return NULL;
}

const char *
ns_cg_unified_dir(const ns_cgroups *cg)
{
    const ns_cg_hier *h = ns_cg_find_v2(cg);

    return h ? h->dir : NULL;
}

static int
rmdir_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    if (type == FTW_DP && rmdir(path) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}

int
ns_cg_rmtree(const char *dir)
{
    return nftw(dir, rmdir_cb, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void
sleep_ms(long ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int
ns_cg_freeze(const ns_cgroups *cg, bool frozen)
{
    const ns_cg_hier *h = ns_cg_find(cg, "freezer");
    const ns_cg_hier *v2 = ns_cg_find_v2(cg);
    const char *file, *value, *done;
    int ret;

    if (h) {
        file = "freezer.state";
        value = frozen ? "FROZEN" : "THAWED";
        done = value;
    } else if (v2) {
        h = v2;
        file = "cgroup.freeze";
        value = frozen ? "1" : "0";
        done = frozen ? "frozen 1" : "frozen 0";
    } else {
        lite_err("this host has no freezer");
        return -EOPNOTSUPP;
    }
    if ((ret = ns_file_write(h->dir, file, value)) < 0) {
        lite_err("cannot write %s=%s in %s: %s", file, value, h->dir, strerror(-ret));
        return ret;
    }
    /* Freezing is asynchronous: a paused domain must really have stopped when we say so. */
    for (int i = 0; i < 500; i++) {
        lite_autofree char *path = lite_printf("%s/%s", h->dir, h->v2 ? "cgroup.events" : file);
        lite_autofree char *state = NULL;

        if (ns_file_read(path, &state) == 0 && strstr(state, done))
            return 0;
        if (frozen && !h->v2)
            ns_file_write(h->dir, file, value);
        sleep_ms(10);
    }
    lite_err("%s did not reach %s in 5 s", h->dir, done);
    return -ETIMEDOUT;
}

static int
kill_tree_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    lite_autofree char *file = NULL;
    lite_autofree char *procs = NULL;
    char *save = NULL;

    if (type != FTW_D && type != FTW_DP)
        return 0;
    file = lite_printf("%s/cgroup.procs", path);
    if (ns_file_read(file, &procs) < 0)
        return 0;
    for (char *line = strtok_r(procs, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        uint64_t pid;

        if (lite_parse_u64(line, &pid) == 0 && pid > 0 && pid <= INT32_MAX)
            kill((pid_t)pid, SIGKILL);
    }
    return 0;
}

int
ns_cg_kill(const ns_cgroups *cg)
{
    for (size_t i = 0; i < cg->n; i++) {
        const ns_cg_hier *h = &cg->hiers[i];

        /* cgroup.kill (5.14+) also catches tasks forking while we walk. */
        if (h->v2 && ns_file_write(h->dir, "cgroup.kill", "1") == 0)
            continue;
        nftw(h->dir, kill_tree_cb, 16, FTW_PHYS | FTW_MOUNT);
    }
    /* Frozen tasks handle their SIGKILL only once thawed. */
    if (ns_cg_find(cg, "freezer") || ns_cg_find_v2(cg))
        ns_cg_freeze(cg, false);
    return 0;
}

int
ns_cg_remove(ns_cgroups *cg)
{
    int ret = 0;

    for (size_t i = 0; i < cg->n; i++) {
        ns_cg_hier *h = &cg->hiers[i];
        const char *slash;
        int r = 0;

        /* Never another instance's: only what this supervisor made (or took over). */
        if (!h->dir || !h->created)
            continue;
        h->created = false;
        /* Tasks that just exited can keep a cgroup busy for a moment. */
        for (int tries = 0; tries < 200; tries++) {
            r = ns_cg_rmtree(h->dir);
            if (r == 0 || access(h->dir, F_OK) < 0)
                break;
            sleep_ms(10);
        }
        if (access(h->dir, F_OK) == 0) {
            lite_err("cannot remove cgroup %s: %s", h->dir, strerror(r < 0 ? -r : EBUSY));
            ret = -EBUSY;
            continue;
        }
        /* The shared parent goes when the last container leaves it (EBUSY/ENOTEMPTY: not). */
        slash = strrchr(h->dir, '/');
        if (slash && h->mount && (size_t)(slash - h->dir) > strlen(h->mount)) {
            lite_autofree char *parent = lite_strndup(h->dir, (size_t)(slash - h->dir));

            rmdir(parent);
        }
    }
    return ret;
}

void
ns_cg_stats(const ns_cgroups *cg, uint64_t *cpu_ns, uint64_t *mem_bytes)
{
    const ns_cg_hier *cpu = ns_cg_find(cg, "cpuacct");
    const ns_cg_hier *mem = ns_cg_find(cg, "memory");

    *cpu_ns = 0;
    *mem_bytes = 0;
    if (cpu && !cpu->v2) {
        ns_file_read_u64(cpu->dir, "cpuacct.usage", cpu_ns);
    } else if ((cpu = ns_cg_find_v2(cg))) {
        /* cpu.stat's usage_usec exists in every v2 cgroup, cpu controller or not. */
        lite_autofree char *path = lite_printf("%s/cpu.stat", cpu->dir);
        lite_autofree char *text = NULL;
        const char *p;

        if (ns_file_read(path, &text) == 0 && (p = strstr(text, "usage_usec ")))
            *cpu_ns = strtoull(p + strlen("usage_usec "), NULL, 10) * 1000;
    }
    if (mem)
        ns_file_read_u64(mem->dir, mem->v2 ? "memory.current" : "memory.usage_in_bytes",
                         mem_bytes);
}
