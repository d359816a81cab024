/* ns-cgroup.h: the container's cgroups: finding the hierarchies (v1, v2, hybrid), limits,
 * freezing, killing and statistics (making them: ns-cgroup.c; running them: ns-cgroup-ops.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

#include "launch.h"

/* What systemd inside the container would pick from the host's layout (v1 = legacy). */
typedef enum {
    NS_CG_LEGACY = 0,     /* v1 controllers only */
    NS_CG_HYBRID,         /* v1 controllers plus a cgroup2 hierarchy beside them */
    NS_CG_UNIFIED,        /* cgroup2 only */
} ns_cg_mode;

typedef struct {
    bool v2;
    char *controllers;    /* v1: the /proc/self/cgroup list ("cpu,cpuacct", "name=systemd");
                           * v2: space-separated cgroup.controllers, filled in by ns_cg_create */
    char *mount;          /* where the hierarchy is mounted on the host */
    char *dir;            /* the container's cgroup: mount + path */
    bool created;         /* dir is ours to remove */
    int join_fd;          /* while PID 1 joins: v1 its tasks file, v2 the directory; -1 */
} ns_cg_hier;

typedef struct {
    ns_cg_mode mode;
    ns_cg_hier *hiers;    /* in /proc/self/cgroup order */
    size_t n;
    char *path;           /* "/machine/<name>.lite", the same in every hierarchy */
} ns_cgroups;

/* Strings and the array are malloc'd: ns-cgroup-ops.c frees them without glib. */
void ns_cgroups_free(ns_cgroups *cg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ns_cgroups, ns_cgroups_free)

/* Pure: the hierarchies of a process from the text of its /proc/self/cgroup and
 * /proc/self/mountinfo. Hierarchies that are not mounted are left out. 0 or -ENOENT (no
 * usable hierarchy). */
int ns_cg_detect(const char *self_cgroup, const char *mountinfo, ns_cgroups **out);
/* The same from this process's own files; -errno when they cannot be read. */
int ns_cg_detect_host(ns_cgroups **out);

/* Pure: "/<parent>/<name>.lite" for a domain name, or -EINVAL for a name that cannot be a
 * directory name. */
int ns_cg_path_for(const char *parent, const char *name, char **out);
/* Sets cg->path and each hierarchy's dir. */
void ns_cg_place(ns_cgroups *cg, const char *path);

/* Creates the cgroup in every hierarchy and applies the limits of @l (memory, cpu, cpuset,
 * devices). An empty directory left by a killed supervisor is taken over; one with tasks in
 * it is -EBUSY. 0 or -errno, with every directory it made removed again; @why says what the
 * kernel refused. */
int ns_cg_create(ns_cgroups *cg, const lite_launch *l, char **why);
/* How the container's PID 1 (and only it) gets into its cgroups without the supervisor
 * writing its pid anywhere. A pid written to cgroup.procs makes the kernel take its global
 * threadgroup lock for writing, which waits for an RCU grace period: 6-18 ms for the ten
 * hierarchies of this host, most of a start. A task moving itself through a v1 tasks file
 * ("0") does not take that lock (~1 ms for all), and clone3's CLONE_INTO_CGROUP starts it
 * in its cgroup2 directory. The supervisor opens the files (the kernel checks the opener's
 * credentials, so this works from inside a user namespace too) before the clone:
 * ns_cg_join_open, then clone with CLONE_INTO_CGROUP of ns_cg_join_v2_fd (if not -1); the
 * child calls ns_cg_join_self; the supervisor closes with ns_cg_join_close. 0 or -errno. */
int ns_cg_join_open(ns_cgroups *cg);
int ns_cg_join_v2_fd(const ns_cgroups *cg);
/* In the child: joins every v1 hierarchy; 0, or -errno with @failed the directory. */
int ns_cg_join_self(const ns_cgroups *cg, const char **failed);
void ns_cg_join_close(ns_cgroups *cg);
/* Hands the cgroup2 directory to the container's root user (a user namespace's systemd must
 * create its own subtree). */
int ns_cg_chown(const ns_cgroups *cg, uid_t uid, gid_t gid);
/* Freezes or thaws every task, waiting until the kernel reports the new state. */
int ns_cg_freeze(const ns_cgroups *cg, bool frozen);
/* SIGKILL to every task in the cgroup (subtrees included), then thaw so frozen tasks die. */
int ns_cg_kill(const ns_cgroups *cg);
/* Removes the container's directories, deepest first (systemd's own subtree too), retrying
 * while the kernel still holds exiting tasks; also removes an empty parent. */
int ns_cg_remove(ns_cgroups *cg);
/* CPU time in ns and memory in use in bytes; a missing controller gives 0. */
void ns_cg_stats(const ns_cgroups *cg, uint64_t *cpu_ns, uint64_t *mem_bytes);
/* The cgroup2 directory bound onto the container's /sys/fs/cgroup, or NULL (legacy). */
const char *ns_cg_unified_dir(const ns_cgroups *cg);

const char *ns_cg_mode_name(ns_cg_mode mode);

/* Whether every comma-separated item of @want is among the comma-separated @have. */
bool ns_cg_has_all(const char *have, const char *want);
/* The hierarchy carrying @controller: a v1 one first, else cgroup2 when it offers it. */
const ns_cg_hier *ns_cg_find(const ns_cgroups *cg, const char *controller);
const ns_cg_hier *ns_cg_find_v2(const ns_cgroups *cg);
/* rmdir of @dir and everything below it, deepest first; 0 or what nftw returned. */
int ns_cg_rmtree(const char *dir);
