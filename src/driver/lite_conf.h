/* lite_conf.h: the driver's configuration: where state lives, which launchers run domains. */
#pragma once

#include "internal.h"
#include "capabilities.h"
#include "domain_capabilities.h"
#include "virobject.h"

#include "lite_probe.h"

typedef struct _liteDriverConfig liteDriverConfig;
struct _liteDriverConfig {
    virObject parent;

    char *root;           /* "" for the system instance; a prefix for private instances */
    char *configDir;      /* persistent domain XML */
    char *autostartDir;
    char *stateDir;       /* status XML, launch configs, control sockets */
    char *libDir;         /* snapshots, save images */
    char *logDir;         /* one log per domain: the launcher's stderr */
    char *vmmPath;        /* lite-vmm */
    char *nsPath;         /* lite-ns */
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC(liteDriverConfig, virObjectUnref);

/* Paths come from the build's prefix; VIRT_LITE_ROOT relocates every state directory (a
 * private test instance) and VIRT_LITE_LAUNCHER_DIR points at launchers in a build tree. */
liteDriverConfig *liteDriverConfigNew(void);

virCaps *liteBuildCapabilities(liteDriverConfig *cfg, const liteHostProbe *probe);
virDomainCaps *liteBuildDomainCaps(liteDriverConfig *cfg, const liteHostProbe *probe,
                                   virDomainVirtType virttype, virArch arch);
