/* lite_domain.h: per-domain private state, XML options, and the lookups every API starts with. */
#pragma once

#include "internal.h"
#include "domain_conf.h"

#include "lite_driver.h"
#include "conf.h"
#include "launch.h"

typedef struct _liteDomainObjPrivate liteDomainObjPrivate;
struct _liteDomainObjPrivate {
    liteDriver *driver;
    pid_t launcherPid;        /* 0 while inactive */
    char *controlPath;        /* the launcher's control socket */
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
