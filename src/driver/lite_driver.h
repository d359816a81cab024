/* lite_driver.h: the driver's global state and the entry point libvirt's daemon calls. */
#pragma once

#include "internal.h"
#include "capabilities.h"
#include "domain_conf.h"
#include "object_event.h"
#include "virdomainobjlist.h"
#include "virsysinfo.h"
#include "virthread.h"

#include "lite_conf.h"
#include "lite_probe.h"

typedef struct _liteDriver liteDriver;
struct _liteDriver {
    virMutex lock;

    /* Immutable once the state driver is initialized. */
    liteDriverConfig *config;
    virDomainXMLOption *xmlopt;
    virSysinfoDef *hostsysinfo;
    int lockFD;               /* pid file in stateDir: one daemon per state directory */

    /* Under lock. */
    liteHostProbe probe;
    virCaps *caps;

    /* Self-locking. */
    virDomainObjList *domains;
    virObjectEventState *domainEventState;

    /* Atomic. */
    int nextDomainId;
};

/* The daemon's module loader calls this: virDriverLoadModule("lite", "liteRegister"). It
 * checks the running libvirt (lite_register.c), then calls liteDriverRegisterAll(). */
int liteRegister(void);
int liteDriverRegisterAll(void);

virCaps *liteDriverGetCapabilities(liteDriver *driver);
