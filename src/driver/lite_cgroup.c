/* lite_cgroup.c: when lite-ns is killed, its container lives on in its cgroups; this finds
 * and ends it through every cgroup hierarchy mounted on the host (v1 and v2). */
#include <config.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "lite_cgroup.h"

#include "virfile.h"
#include "virstring.h"
#include "virlog.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.cgroup");

/* Mount points of cgroup and cgroup2 filesystems, from /proc/self/mountinfo. */
static GPtrArray *
liteCgroupMounts(void)
{
    GPtrArray *mounts = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *info = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents("/proc/self/mountinfo", &info, NULL, NULL))
        return mounts;
    lines = g_strsplit(info, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(lines[i], " ", -1);
        size_t n = g_strv_length(f);

        /* "... mountpoint ... - fstype source options": the type follows the separator. */
        for (size_t j = 6; j + 1 < n; j++) {
            if (STREQ(f[j], "-") && (STREQ(f[j + 1], "cgroup") || STREQ(f[j + 1], "cgroup2"))) {
                g_ptr_array_add(mounts, g_strcompress(f[4]));
                break;
            }
        }
    }
    return mounts;
}

/* SIGKILLs every task listed in DIR/cgroup.procs and below; returns how many were seen. */
static int
liteCgroupKillTree(const char *dir)
{
    g_autofree char *procsPath = g_build_filename(dir, "cgroup.procs", NULL);
    g_autofree char *procs = NULL;
    g_autoptr(DIR) d = NULL;
    struct dirent *ent;
    int seen = 0;

    if (g_file_get_contents(procsPath, &procs, NULL, NULL)) {
        g_auto(GStrv) pids = g_strsplit(procs, "\n", -1);

        for (size_t i = 0; pids[i]; i++) {
            long long pid;

            if (virStrToLong_ll(pids[i], NULL, 10, &pid) == 0 && pid > 0) {
                kill((pid_t)pid, SIGKILL);
                seen++;
            }
        }
    }
    if (!(d = opendir(dir)))
        return seen;
    while ((ent = readdir(d))) {
        if (ent->d_type == DT_DIR && ent->d_name[0] != '.') {
            g_autofree char *child = g_build_filename(dir, ent->d_name, NULL);
            seen += liteCgroupKillTree(child);
        }
    }
    return seen;
}

static void
liteCgroupRemoveTree(const char *dir)
{
    g_autoptr(DIR) d = opendir(dir);
    struct dirent *ent;

    while (d && (ent = readdir(d))) {
        if (ent->d_type == DT_DIR && ent->d_name[0] != '.') {
            g_autofree char *child = g_build_filename(dir, ent->d_name, NULL);
            liteCgroupRemoveTree(child);
        }
    }
    if (rmdir(dir) < 0 && errno != ENOENT)
        VIR_WARN("cannot remove cgroup %s: %s", dir, g_strerror(errno));
}

int
liteCgroupKillAndRemove(const char *rel)
{
    g_autoptr(GPtrArray) mounts = liteCgroupMounts();
    int ret = 0;

    if (!rel || !*rel || strstr(rel, ".."))
        return 0;
    for (guint i = 0; i < mounts->len; i++) {
        g_autofree char *dir = g_build_filename(mounts->pdata[i], rel, NULL);
        g_autofree char *killFile = g_build_filename(dir, "cgroup.kill", NULL);
        int round;

        g_autofree char *freezerV1 = g_build_filename(dir, "freezer.state", NULL);
        g_autofree char *freezerV2 = g_build_filename(dir, "cgroup.freeze", NULL);

        if (!virFileIsDir(dir))
            continue;
        /* A paused container's tasks are frozen, and a frozen task does not die. */
        if (virFileExists(freezerV1))
            ignore_value(virFileWriteStr(freezerV1, "THAWED", 0));
        if (virFileExists(freezerV2))
            ignore_value(virFileWriteStr(freezerV2, "0", 0));
        /* cgroup v2's cgroup.kill ends the whole subtree atomically, even forking tasks. */
        if (virFileExists(killFile))
            ignore_value(virFileWriteStr(killFile, "1", 0));
        /* Elsewhere kill what is listed until nothing is: a task may fork meanwhile. */
        for (round = 0; round < 50 && liteCgroupKillTree(dir) > 0; round++)
            g_usleep(20 * 1000);
        if (round == 50) {
            VIR_WARN("processes in cgroup %s survived SIGKILL", dir);
            ret = -1;
        }
        liteCgroupRemoveTree(dir);
    }
    return ret;
}
