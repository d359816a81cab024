/* ns-child.h: what runs in the container's PID 1 between clone and the exec of its init. */
#pragma once

#include <stdbool.h>

#include <glib.h>

#include "launch.h"
#include "ns-cgroup.h"

typedef struct {
    const lite_launch *cfg;
    const char *root;          /* host path of the root mount */
    bool root_readonly;
    const GPtrArray *plan;     /* ns_mount_plan() */
    bool userns;               /* ids come from [idmap]: become root inside */
    bool console;              /* /dev/console is the console pty (else stdio is /dev/null) */
    int sync_fd;               /* our end of the supervisor's socketpair */
    const ns_cgroups *cg;      /* with join fds open (ns_cg_join_open) */
} ns_child_args;

/* The recipe, top to bottom. Waits for the supervisor's go, sets the container up and execs
 * its init; on failure reports "error ..." on @sync_fd and exits. Never returns. */
G_GNUC_NORETURN void ns_child_run(const ns_child_args *a);

/* The environment init gets: the config's, then container=virt-lite, container_uuid, PATH and
 * TERM where the config sets none. */
char **ns_child_env(const lite_launch *cfg);
