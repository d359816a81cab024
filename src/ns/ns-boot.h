/* ns-boot.h: one container and its life: checks before anything is made, a boot (cgroups,
 * namespaces, ids, network, init) and the teardown after its PID 1 is gone. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

#include "launch.h"
#include "ns-cgroup.h"
#include "ns-console.h"

typedef struct {
    lite_launch *cfg;
    char *root;               /* host path of the root mount */
    bool root_readonly;
    bool userns;
    bool systemd;             /* init resolves to systemd: it gets systemd's signals */
    ns_console *console;      /* NULL for console=none */
    ns_cgroups *cg;
    GPtrArray *host_ifnames;  /* host ends of this boot's veths, [net N] order */
    pid_t init_pid;           /* 0 while no init runs */
    int pidfd;                /* of init_pid, -1 */
} ns_ct;

/* Everything that can be refused before anything exists: the name, the root, the init, bind
 * sources, id maps against /etc/subuid and /etc/subgid, bridges and interface names, the
 * cgroup layout. 0 or -errno with @why and @code (a LITE_ECODE_*). */
int ns_preflight(ns_ct *ct, char **why, const char **code);

/* Starts the container: cgroups with limits, clone into new namespaces (and the cgroup2
 * directory), id maps, veths, go, PID 1 joins its v1 cgroups, and waits until init is exec'd. On failure nothing of
 * the boot is left and @why says what failed. */
int ns_boot(ns_ct *ct, char **why);

/* After PID 1 has been reaped: removes the host ends of the veths and the cgroups. */
void ns_unboot(ns_ct *ct);

/* Pure: how PID 1 ended, from waitid's si_code and si_status. */
typedef enum {
    NS_END_POWEROFF = 0,   /* exit 0, or killed by SIGINT (reboot(2) POWER_OFF/HALT) */
    NS_END_REBOOT,         /* killed by SIGHUP (reboot(2) RESTART) */
    NS_END_CRASH,          /* any other exit or signal */
    NS_END_FAILED,         /* systemd exited 255: it could not start */
} ns_end;
ns_end ns_end_classify(int how, int status, bool systemd);
