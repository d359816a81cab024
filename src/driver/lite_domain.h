/* lite_domain.h: per-domain private state, XML options, and the lookups every API starts with. */
#pragma once

#include "internal.h"
#include "domain_conf.h"
#include "virchrdev.h"

#include "lite_driver.h"
#include "conf.h"
#include "control.h"
#include "launch.h"

typedef struct _liteDomainObjPrivate liteDomainObjPrivate;
struct _liteDomainObjPrivate {
    liteDriver *driver;

    /* Saved in the status XML: what a restarted daemon needs to find the launcher again and
     * to clean up after it if it is gone. */
    pid_t launcherPid;        /* 0 while inactive */
    char *controlPath;        /* the launcher's control socket */
    pid_t initPid;            /* containers: PID 1 of the container, as the host sees it */
    char *cgroup;             /* containers: cgroup path below each hierarchy's root */

    /* Runtime only. */
    int watchFd;              /* the launcher's event connection, -1 when none */
    int watchHandle;          /* its handle in libvirt's event loop, -1 when none */
    lite_linebuf *watchBuf;
    char *stopReason;         /* from the launcher's last shutoff event */
    bool stopping;            /* an API call is taking the domain down itself */
    virChrdevs *chrdevs;      /* one console stream at a time */
};

#define LITE_DOMAIN_PRIVATE(vm) ((liteDomainObjPrivate *)(vm)->privateData)

virDomainXMLOption *liteDomainXMLConfInit(liteDriver *driver);

/* Locked and referenced domain object for @dom, or NULL with VIR_ERR_NO_DOMAIN reported.
 * Release with virDomainObjEndAPI(). */
virDomainObj *liteDomObjFromDomain(liteDriver *driver, virDomainPtr dom);

/* @def translated into a launch config (src/conf) with errors reported the libvirt way;
 * @ctx NULL only checks (no paths, networks not resolved). */
lite_launch *liteDomainTranslate(liteDriver *driver, const virDomainDef *def,
                                 const lite_conf_ctx *ctx);
