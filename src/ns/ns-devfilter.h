/* ns-devfilter.h: which devices a container may use, and the cgroup v2 way to enforce it (a
 * BPF_PROG_TYPE_CGROUP_DEVICE program; v1 uses devices.allow, ns-cgroup.c). */
#pragma once

typedef struct {
    char type;      /* 'c' or 'b'; 0 ends a table */
    int major;
    int minor;      /* -1: any */
} ns_dev_rule;

/* The minimal /dev of ns-mount.c and ptys; everything else is denied. */
extern const ns_dev_rule ns_dev_allowed[];

/* Loads a program allowing exactly @rules (every access) and attaches it to the cgroup2
 * directory @dir (BPF_F_ALLOW_MULTI: programs the container attaches below only narrow it).
 * The attachment lives as long as the cgroup. 0 or -errno with @why. */
int ns_devfilter_attach(const char *dir, const ns_dev_rule *rules, char **why);
