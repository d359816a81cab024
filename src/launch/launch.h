/* launch.h: the launch config, the only thing the driver tells a launcher about a domain. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#define LITE_LAUNCH_FORMAT 1

typedef enum {
    LITE_KIND_VM = 0,         /* lite-vmm: a KVM virtual machine */
    LITE_KIND_CONTAINER,      /* lite-ns: a system container */
} lite_kind;

/* What the launcher does when the guest powers off, reboots or crashes (libvirt's
 * <on_poweroff>, <on_reboot>, <on_crash>, restricted to what launchers can do). */
typedef enum {
    LITE_ACTION_DESTROY = 0,  /* tear the domain down; it is shut off */
    LITE_ACTION_RESTART,      /* start it again inside the same launcher (same id) */
    LITE_ACTION_PRESERVE,     /* keep the launcher, vCPUs/processes stopped, for inspection */
} lite_action;

typedef enum {
    LITE_CONSOLE_NONE = 0,
    LITE_CONSOLE_PTY,         /* the launcher owns a pty master; the slave path is reported */
} lite_console;

/* A VM's boot payload; the launcher tells bzImage, PVH ELF and test guests apart itself. */
typedef struct {
    char *kernel;
    char *initrd;             /* NULL: none */
    char *cmdline;            /* NULL: empty */
} lite_vm_boot;

typedef struct {
    char *source;             /* host path */
    char *target;             /* path inside the container; "/" is the root */
    bool readonly;
} lite_mount;

/* One line of /proc/<pid>/{uid,gid}_map: container ids [start, start+count) map to host
 * ids [target, target+count). */
typedef struct {
    uint32_t start;
    uint32_t target;
    uint32_t count;
} lite_idmap;

typedef enum {
    LITE_NET_BRIDGE = 0,      /* host end enslaved to an existing bridge */
    LITE_NET_ETHERNET,        /* host end left unattached (the host configures it) */
} lite_net_type;

typedef struct {
    lite_net_type type;
    char *bridge;             /* LITE_NET_BRIDGE only */
    char *host_ifname;        /* host end; NULL lets the launcher pick a free vnetN */
    char *guest_ifname;       /* name inside the guest, e.g. eth0 */
    char *mac;                /* aa:bb:cc:dd:ee:ff, as seen by the guest */
} lite_net;

typedef struct {
    char *init;               /* absolute path inside the container */
    char **initargs;          /* NULL-terminated, may be NULL */
    char **initenv;           /* "NAME=value", NULL-terminated, may be NULL */
    char *initdir;            /* NULL: "/" */
    GPtrArray *mounts;        /* of lite_mount; the root (target "/") first */
    GArray *uidmap;           /* of lite_idmap; empty: no user namespace */
    GArray *gidmap;
    GPtrArray *nets;          /* of lite_net */
    uint64_t cpu_shares;      /* 0: unset */
    uint64_t cpu_period_us;   /* 0: unset */
    int64_t cpu_quota_us;     /* 0: unset, <0: unlimited */
    char *cpuset;             /* host CPU list ("0-1,3"), NULL: all */
} lite_ct;

typedef struct {
    lite_kind kind;
    char *name;
    char *uuid;               /* canonical 36-character form */
    char *control_path;       /* unix socket the launcher serves (control.h) */
    uint64_t memory_kib;      /* VM: guest RAM; container: memory limit */
    uint32_t vcpus;
    lite_action on_poweroff;
    lite_action on_reboot;
    lite_action on_crash;
    lite_console console;
    lite_vm_boot boot;        /* LITE_KIND_VM only */
    lite_ct ct;               /* LITE_KIND_CONTAINER only */
} lite_launch;

lite_launch *lite_launch_new(lite_kind kind);
void lite_launch_free(lite_launch *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(lite_launch, lite_launch_free)

lite_mount *lite_mount_new(const char *source, const char *target, bool readonly);
lite_net *lite_net_new(lite_net_type type);

/* The text form (format at the top of launch.c): the file a launcher reads and the output of
 * the golden tests. format never fails; parse returns 0 or -EINVAL and sets @err. */
char *lite_launch_format(const lite_launch *l);
int lite_launch_parse(const char *text, lite_launch **out, GError **err);
int lite_launch_load(const char *path, lite_launch **out, GError **err);

const char *lite_kind_name(lite_kind kind);
const char *lite_action_name(lite_action action);
const char *lite_net_type_name(lite_net_type type);
int lite_action_from_name(const char *name, lite_action *out);

/* The container's root mount (target "/"), or NULL. */
const lite_mount *lite_ct_root(const lite_ct *ct);

#define LITE_LAUNCH_ERROR (lite_launch_error_quark())
GQuark lite_launch_error_quark(void);
