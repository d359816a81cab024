/* lite_api_lifecycle.c: the callbacks that start, stop and pause domains, and the console.
 * Each follows the same skeleton: look up, ACL, job, check state, act, state and event, end. */
#include <config.h>

#include "lite_api.h"
#include "lite_domain.h"
#include "lite_driver.h"
#include "lite_launcher.h"
#include "lite_process.h"

#include "datatypes.h"
#include "domain_event.h"
#include "viraccessapicheck.h"
#include "virerror.h"
#include "virlog.h"

#include "lite_i18n.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.api.lifecycle");

static void
liteQueueLifecycle(liteDriver *driver, virDomainObj *vm, int type, int detail)
{
    virObjectEventStateQueue(driver->domainEventState,
                             virDomainEventLifecycleNewFromObj(vm, type, detail));
}

int
liteDomainCreateWithFlags(virDomainPtr dom, unsigned int flags)
{
    liteDriver *driver = dom->conn->privateData;
    bool paused = flags & VIR_DOMAIN_START_PAUSED;
    virDomainObj *vm;
    int ret = -1;

    /* FORCE_BOOT means "ignore a managed save image": there never is one yet. */
    virCheckFlags(VIR_DOMAIN_START_PAUSED | VIR_DOMAIN_START_FORCE_BOOT, -1);
    if (!(vm = liteDomObjFromDomain(driver, dom)))
        return -1;
    if (virDomainCreateWithFlagsEnsureACL(dom->conn, vm->def) < 0)
        goto cleanup;
    if (virDomainObjBeginJob(vm, VIR_JOB_MODIFY) < 0)
        goto cleanup;

    if (virDomainObjIsActive(vm)) {
        virReportError(VIR_ERR_OPERATION_INVALID, _("domain '%s' is already running"),
                       vm->def->name);
        goto endjob;
    }
    if (liteProcessStart(driver, vm, VIR_DOMAIN_RUNNING_BOOTED, paused) < 0)
        goto endjob;
    liteQueueLifecycle(driver, vm, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
    if (paused)
        liteQueueLifecycle(driver, vm, VIR_DOMAIN_EVENT_SUSPENDED,
                           VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
    dom->id = vm->def->id;
    ret = 0;

 endjob:
    virDomainObjEndJob(vm);
 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

int
liteDomainCreate(virDomainPtr dom)
{
    return liteDomainCreateWithFlags(dom, 0);
}

virDomainPtr
liteDomainCreateXML(virConnectPtr conn, const char *xml, unsigned int flags)
{
    liteDriver *driver = conn->privateData;
    g_autoptr(virDomainDef) def = NULL;
    virDomainObj *vm = NULL;
    virDomainPtr dom = NULL;
    unsigned int parseFlags = VIR_DOMAIN_DEF_PARSE_INACTIVE;
    bool paused = flags & VIR_DOMAIN_START_PAUSED;

    virCheckFlags(VIR_DOMAIN_START_PAUSED | VIR_DOMAIN_START_VALIDATE, NULL);
    if (flags & VIR_DOMAIN_START_VALIDATE)
        parseFlags |= VIR_DOMAIN_DEF_PARSE_VALIDATE_SCHEMA;

    if (!(def = virDomainDefParseString(xml, driver->xmlopt, NULL, parseFlags)))
        return NULL;
    if (virDomainCreateXMLEnsureACL(conn, def) < 0)
        return NULL;
    if (!(vm = virDomainObjListAdd(driver->domains, &def, driver->xmlopt,
                                   VIR_DOMAIN_OBJ_LIST_ADD_LIVE |
                                   VIR_DOMAIN_OBJ_LIST_ADD_CHECK_LIVE, NULL)))
        return NULL;
    if (virDomainObjBeginJob(vm, VIR_JOB_MODIFY) < 0) {
        if (!vm->persistent)
            virDomainObjListRemove(driver->domains, vm);
        goto cleanup;
    }
    if (liteProcessStart(driver, vm, VIR_DOMAIN_RUNNING_BOOTED, paused) < 0) {
        virDomainObjEndJob(vm);
        if (!vm->persistent)
            virDomainObjListRemove(driver->domains, vm);
        goto cleanup;
    }
    liteQueueLifecycle(driver, vm, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED);
    if (paused)
        liteQueueLifecycle(driver, vm, VIR_DOMAIN_EVENT_SUSPENDED,
                           VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
    dom = virGetDomain(conn, vm->def->name, vm->def->uuid, vm->def->id);
    virDomainObjEndJob(vm);

 cleanup:
    virDomainObjEndAPI(&vm);
    return dom;
}

int
liteDomainDestroyFlags(virDomainPtr dom, unsigned int flags)
{
    liteDriver *driver = dom->conn->privateData;
    virDomainObj *vm;
    int ret = -1;

    /* GRACEFUL: give the launcher longer before it is killed. */
    virCheckFlags(VIR_DOMAIN_DESTROY_GRACEFUL, -1);
    if (!(vm = liteDomObjFromDomain(driver, dom)))
        return -1;
    if (virDomainDestroyFlagsEnsureACL(dom->conn, vm->def) < 0)
        goto cleanup;
    if (virDomainObjBeginJob(vm, VIR_JOB_DESTROY) < 0)
        goto cleanup;
    if (virDomainObjCheckActive(vm) < 0)
        goto endjob;

    liteProcessDestroy(driver, vm, VIR_DOMAIN_SHUTOFF_DESTROYED,
                       (flags & VIR_DOMAIN_DESTROY_GRACEFUL) ? 30000 : 5000);
    ret = 0;

 endjob:
    virDomainObjEndJob(vm);
    if (ret == 0 && !vm->persistent)
        virDomainObjListRemove(driver->domains, vm);
 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

int
liteDomainDestroy(virDomainPtr dom)
{
    return liteDomainDestroyFlags(dom, 0);
}

/* The shutdown/reboot modes a kind supports, as the launcher names them. */
static int
liteShutdownMode(virDomainObj *vm, unsigned int flags, const char **mode)
{
    bool vm_kind = vm->def->virtType == VIR_DOMAIN_VIRT_KVM;
    unsigned int vmModes = VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN;
    unsigned int ctModes = VIR_DOMAIN_SHUTDOWN_SIGNAL | VIR_DOMAIN_SHUTDOWN_INITCTL;

    *mode = NULL;
    if (flags & ~(vm_kind ? vmModes : ctModes)) {
        virReportError(VIR_ERR_ARGUMENT_UNSUPPORTED,
                       vm_kind ? _("lite VMs shut down and reboot through the ACPI power "
                                   "button only (--mode acpi)") :
                                 _("lite containers shut down and reboot with --mode "
                                   "initctl or --mode signal"));
        return -1;
    }
    if (flags & VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN)
        *mode = "acpi";
    else if (flags & VIR_DOMAIN_SHUTDOWN_INITCTL)
        *mode = "initctl";
    else if (flags & VIR_DOMAIN_SHUTDOWN_SIGNAL)
        *mode = "signal";
    return 0;
}

/* Shutdown and reboot: a request to the guest, which may take its time or ignore it. */
static int
liteDomainGuestRequest(virDomainPtr dom, const char *verb, unsigned int flags,
                       int (*acl)(virConnectPtr, virDomainDef *, unsigned int))
{
    liteDriver *driver = dom->conn->privateData;
    g_autoptr(lite_msg) req = lite_msg_new(verb);
    virDomainObj *vm;
    const char *mode;
    int ret = -1;

    if (!(vm = liteDomObjFromDomain(driver, dom)))
        return -1;
    if (acl(dom->conn, vm->def, flags) < 0)
        goto cleanup;
    if (virDomainObjBeginJob(vm, VIR_JOB_MODIFY) < 0)
        goto cleanup;
    if (virDomainObjCheckActive(vm) < 0 || liteShutdownMode(vm, flags, &mode) < 0)
        goto endjob;
    if (virDomainObjGetState(vm, NULL) != VIR_DOMAIN_RUNNING) {
        virReportError(VIR_ERR_OPERATION_INVALID, _("domain '%s' is not running (it is %s)"),
                       vm->def->name, virDomainStateTypeToString(virDomainObjGetState(vm, NULL)));
        goto endjob;
    }
    if (mode)
        lite_msg_set(req, "mode", mode);
    ret = liteLauncherCall(vm, req, NULL, LITE_LAUNCHER_TIMEOUT_MS);

 endjob:
    virDomainObjEndJob(vm);
 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

int
liteDomainShutdownFlags(virDomainPtr dom, unsigned int flags)
{
    virCheckFlags(VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN | VIR_DOMAIN_SHUTDOWN_INITCTL |
                  VIR_DOMAIN_SHUTDOWN_SIGNAL, -1);
    return liteDomainGuestRequest(dom, "shutdown", flags, virDomainShutdownFlagsEnsureACL);
}

int
liteDomainShutdown(virDomainPtr dom)
{
    return liteDomainShutdownFlags(dom, 0);
}

static int
liteDomainRebootACL(virConnectPtr conn, virDomainDef *def, unsigned int flags)
{
    return virDomainRebootEnsureACL(conn, def, flags);
}

int
liteDomainReboot(virDomainPtr dom, unsigned int flags)
{
    virCheckFlags(VIR_DOMAIN_REBOOT_ACPI_POWER_BTN | VIR_DOMAIN_REBOOT_INITCTL |
                  VIR_DOMAIN_REBOOT_SIGNAL, -1);
    return liteDomainGuestRequest(dom, "reboot", flags, liteDomainRebootACL);
}

/* Reset, suspend, resume: immediate actions on a running domain, answered by the launcher. */
static int
liteDomainAction(virDomainPtr dom, const char *verb, int (*acl)(virConnectPtr, virDomainDef *),
                 virDomainState need, int eventType, int eventDetail)
{
    liteDriver *driver = dom->conn->privateData;
    virDomainObj *vm;
    int ret = -1;

    if (!(vm = liteDomObjFromDomain(driver, dom)))
        return -1;
    if (acl(dom->conn, vm->def) < 0)
        goto cleanup;
    if (virDomainObjBeginJob(vm, VIR_JOB_MODIFY) < 0)
        goto cleanup;
    if (virDomainObjCheckActive(vm) < 0)
        goto endjob;
    if (need != VIR_DOMAIN_NOSTATE && virDomainObjGetState(vm, NULL) != need) {
        virReportError(VIR_ERR_OPERATION_INVALID, _("domain '%s' is %s, not %s"),
                       vm->def->name, virDomainStateTypeToString(virDomainObjGetState(vm, NULL)),
                       virDomainStateTypeToString(need));
        goto endjob;
    }
    if (liteLauncherRequest(vm, verb) < 0)
        goto endjob;
    /* The launcher's own event says the same a moment later; the state is set here so that
     * the caller sees it as soon as the call returns. */
    if (eventType == VIR_DOMAIN_EVENT_SUSPENDED &&
        virDomainObjGetState(vm, NULL) != VIR_DOMAIN_PAUSED) {
        virDomainObjSetState(vm, VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER);
        liteQueueLifecycle(driver, vm, eventType, eventDetail);
    } else if (eventType == VIR_DOMAIN_EVENT_RESUMED &&
               virDomainObjGetState(vm, NULL) != VIR_DOMAIN_RUNNING) {
        virDomainObjSetState(vm, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_UNPAUSED);
        liteQueueLifecycle(driver, vm, eventType, eventDetail);
    }
    if (virDomainObjSave(vm, driver->xmlopt, driver->config->stateDir) < 0)
        VIR_WARN("cannot save the status of domain %s", vm->def->name);
    ret = 0;

 endjob:
    virDomainObjEndJob(vm);
 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

static int
liteDomainResetACL(virConnectPtr conn, virDomainDef *def)
{
    return virDomainResetEnsureACL(conn, def);
}

int
liteDomainReset(virDomainPtr dom, unsigned int flags)
{
    virCheckFlags(0, -1);
    return liteDomainAction(dom, "reset", liteDomainResetACL, VIR_DOMAIN_NOSTATE, -1, -1);
}

int
liteDomainSuspend(virDomainPtr dom)
{
    return liteDomainAction(dom, "pause", virDomainSuspendEnsureACL, VIR_DOMAIN_RUNNING,
                            VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
}

int
liteDomainResume(virDomainPtr dom)
{
    return liteDomainAction(dom, "resume", virDomainResumeEnsureACL, VIR_DOMAIN_PAUSED,
                            VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_UNPAUSED);
}

int
liteDomainOpenConsole(virDomainPtr dom, const char *devname, virStreamPtr st,
                      unsigned int flags)
{
    liteDriver *driver = dom->conn->privateData;
    virDomainChrDef *chr = NULL;
    virDomainObj *vm;
    int ret = -1;

    virCheckFlags(VIR_DOMAIN_CONSOLE_SAFE | VIR_DOMAIN_CONSOLE_FORCE, -1);
    if (!(vm = liteDomObjFromDomain(driver, dom)))
        return -1;
    if (virDomainOpenConsoleEnsureACL(dom->conn, vm->def) < 0)
        goto cleanup;
    if (virDomainObjCheckActive(vm) < 0)
        goto cleanup;

    /* A VM's <console> is libvirt's stand-in for ttyS0: the pty itself is on serials[0]. */
    for (size_t i = 0; i < vm->def->nconsoles && !chr; i++) {
        virDomainChrDef *c = vm->def->consoles[i];

        if ((!devname || STREQ_NULLABLE(devname, c->info.alias)) &&
            c->source->type == VIR_DOMAIN_CHR_TYPE_PTY)
            chr = c;
    }
    for (size_t i = 0; i < vm->def->nserials && !chr; i++) {
        if (!devname || STREQ_NULLABLE(devname, vm->def->serials[i]->info.alias))
            chr = vm->def->serials[i];
    }
    if (!chr) {
        virReportError(VIR_ERR_INVALID_ARG,
                       devname ? _("domain '%s' has no console named '%s'") :
                                 _("domain '%s' has no console: add <console type='pty'/>"),
                       vm->def->name, devname);
        goto cleanup;
    }
    if (chr->source->type != VIR_DOMAIN_CHR_TYPE_PTY || !chr->source->data.file.path) {
        virReportError(VIR_ERR_OPERATION_FAILED, _("the console of domain '%s' has no pty"),
                       vm->def->name);
        goto cleanup;
    }
    ret = virChrdevOpen(LITE_DOMAIN_PRIVATE(vm)->chrdevs, chr->source, st,
                        (flags & VIR_DOMAIN_CONSOLE_FORCE) != 0);
    if (ret == 1) {
        virReportError(VIR_ERR_OPERATION_FAILED, "%s",
                       _("another console session is open for this domain (use --force)"));
        ret = -1;
    }

 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

int
liteDomainHasManagedSaveImage(virDomainPtr dom, unsigned int flags)
{
    virDomainObj *vm;
    int ret = -1;

    virCheckFlags(0, -1);
    if (!(vm = liteDomObjFromDomain(dom->conn->privateData, dom)))
        return -1;
    /* No managed save exists for lite domains yet: the truthful answer is "none". */
    if (virDomainHasManagedSaveImageEnsureACL(dom->conn, vm->def) == 0)
        ret = 0;
    virDomainObjEndAPI(&vm);
    return ret;
}
