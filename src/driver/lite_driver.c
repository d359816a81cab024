/* lite_driver.c: the lite:/// connection driver: state start-up, the connection and host
 * calls, domain events, and the driver table libvirt dispatches through. */
#include <config.h>

#include <unistd.h>

#include "lite_driver.h"
#include "lite_domain.h"
#include "lite_api.h"
#include "lite_host.h"
#include "lite_process.h"

#include "datatypes.h"
#include "domain_event.h"
#include "driver.h"
#include "viraccessapicheck.h"
#include "virhostcpu.h"
#include "virhostmem.h"
#include "virlog.h"
#include "virpidfile.h"
#include "virerror.h"
#include "viruri.h"
#include "virutil.h"

#include "lite-config.h"

#include "lite_i18n.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.driver");

static liteDriver *lite_driver;

virCaps *
liteDriverGetCapabilities(liteDriver *driver)
{
    VIR_LOCK_GUARD lock = virLockGuardLock(&driver->lock);

    return virObjectRef(driver->caps);
}

static int
liteStateCleanup(void)
{
    if (!lite_driver)
        return -1;
    virObjectUnref(lite_driver->domains);
    virObjectUnref(lite_driver->domainEventState);
    virObjectUnref(lite_driver->xmlopt);
    virObjectUnref(lite_driver->caps);
    virSysinfoDefFree(lite_driver->hostsysinfo);
    liteHostProbeClear(&lite_driver->probe);
    if (lite_driver->lockFD != -1)
        virPidFileRelease(lite_driver->config->stateDir, "driver", lite_driver->lockFD);
    virObjectUnref(lite_driver->config);
    virMutexDestroy(&lite_driver->lock);
    g_clear_pointer(&lite_driver, g_free);
    return 0;
}

static int
liteMakeDirs(liteDriverConfig *cfg)
{
    const char *dirs[] = { cfg->configDir, cfg->autostartDir, cfg->stateDir, cfg->libDir,
                           cfg->logDir };

    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
        if (g_mkdir_with_parents(dirs[i], 0755) < 0) {
            virReportSystemError(errno, _("cannot create directory %s"), dirs[i]);
            return -1;
        }
    }
    return 0;
}

static int
liteStateInitialize(bool privileged, const char *root, bool monolithic G_GNUC_UNUSED,
                    virStateInhibitCallback callback G_GNUC_UNUSED, void *opaque G_GNUC_UNUSED)
{
    liteDriverConfig *cfg;
    bool autostart = true;

    if (root) {
        virReportError(VIR_ERR_INVALID_ARG, "%s",
                       _("the lite driver has no embedded mode; set VIRT_LITE_ROOT for a "
                         "private instance"));
        return VIR_DRV_STATE_INIT_ERROR;
    }
    /* VMs need /dev/kvm and containers need every namespace: only root has both. */
    if (!privileged) {
        VIR_INFO("not running as root, the lite driver is disabled");
        return VIR_DRV_STATE_INIT_SKIPPED;
    }

    lite_driver = g_new0(liteDriver, 1);
    lite_driver->lockFD = -1;
    if (virMutexInit(&lite_driver->lock) < 0) {
        g_clear_pointer(&lite_driver, g_free);
        return VIR_DRV_STATE_INIT_ERROR;
    }
    if (!(lite_driver->config = cfg = liteDriverConfigNew()) ||
        liteMakeDirs(cfg) < 0)
        goto error;
    if ((lite_driver->lockFD = virPidFileAcquire(cfg->stateDir, "driver", false, getpid())) < 0)
        goto error;
    if (!(lite_driver->domains = virDomainObjListNew()) ||
        !(lite_driver->domainEventState = virObjectEventStateNew()))
        goto error;
    lite_driver->hostsysinfo = liteHostSysinfoRead();
    liteHostProbeRun(&lite_driver->probe, cfg->vmmPath, cfg->nsPath);
    if (!(lite_driver->caps = liteBuildCapabilities(cfg, &lite_driver->probe)) ||
        !(lite_driver->xmlopt = liteDomainXMLConfInit(lite_driver)))
        goto error;

    /* Running domains first (their status XML), then the persistent definitions, which
     * attach to the running ones by UUID. */
    lite_driver->nextDomainId = 1;
    if (virDomainObjListLoadAllConfigs(lite_driver->domains, cfg->stateDir, NULL, true,
                                       lite_driver->xmlopt, NULL, NULL) < 0)
        goto error;
    liteProcessReconnectAll(lite_driver);
    if (virDomainObjListLoadAllConfigs(lite_driver->domains, cfg->configDir, cfg->autostartDir,
                                       false, lite_driver->xmlopt, NULL, NULL) < 0)
        goto error;
    if (virDriverShouldAutostart(cfg->stateDir, &autostart) < 0)
        goto error;
    if (autostart)
        liteProcessAutostartAll(lite_driver);
    return VIR_DRV_STATE_INIT_COMPLETE;

 error:
    liteStateCleanup();
    return VIR_DRV_STATE_INIT_ERROR;
}

static int
liteStateReload(void)
{
    if (!lite_driver)
        return 0;
    return virDomainObjListLoadAllConfigs(lite_driver->domains, lite_driver->config->configDir,
                                          lite_driver->config->autostartDir, false,
                                          lite_driver->xmlopt, NULL, NULL);
}

static int
liteConnectURIProbe(char **uri)
{
    if (!lite_driver)
        return 0;
    *uri = g_strdup("lite:///system");
    return 1;
}

static virDrvOpenStatus
liteConnectOpen(virConnectPtr conn, virConnectAuthPtr auth G_GNUC_UNUSED,
                virConf *conf G_GNUC_UNUSED, unsigned int flags)
{
    virCheckFlags(VIR_CONNECT_RO, VIR_DRV_OPEN_ERROR);

    if (STRNEQ_NULLABLE(conn->uri->path, "/system") && STRNEQ_NULLABLE(conn->uri->path, "/")) {
        virReportError(VIR_ERR_INVALID_ARG,
                       _("unexpected lite URI path '%s': use lite:///system"),
                       NULLSTR(conn->uri->path));
        return VIR_DRV_OPEN_ERROR;
    }
    if (!lite_driver) {
        virReportError(VIR_ERR_OPERATION_INVALID, "%s",
                       _("the lite driver is not running: virtlited must run as root"));
        return VIR_DRV_OPEN_ERROR;
    }
    if (virConnectOpenEnsureACL(conn) < 0)
        return VIR_DRV_OPEN_ERROR;
    conn->privateData = lite_driver;
    return VIR_DRV_OPEN_SUCCESS;
}

static int
liteConnectClose(virConnectPtr conn)
{
    conn->privateData = NULL;
    return 0;
}

static int
liteConnectIsSecure(virConnectPtr conn G_GNUC_UNUSED)
{
    return 1;   /* a local unix socket */
}

static int
liteConnectIsEncrypted(virConnectPtr conn G_GNUC_UNUSED)
{
    return 0;
}

static int
liteConnectIsAlive(virConnectPtr conn G_GNUC_UNUSED)
{
    return 1;
}

static int
liteConnectSupportsFeature(virConnectPtr conn, int feature)
{
    int supported;

    if (virConnectSupportsFeatureEnsureACL(conn) < 0)
        return -1;
    if (virDriverFeatureIsGlobal(feature, &supported))
        return supported;
    return 0;
}

static const char *
liteConnectGetType(virConnectPtr conn)
{
    if (virConnectGetTypeEnsureACL(conn) < 0)
        return NULL;
    return "LITE";
}

static int
liteConnectGetVersion(virConnectPtr conn, unsigned long *version)
{
    if (virConnectGetVersionEnsureACL(conn) < 0)
        return -1;
    *version = LITE_VERSION_NUMBER;
    return 0;
}

static char *
liteConnectGetHostname(virConnectPtr conn)
{
    if (virConnectGetHostnameEnsureACL(conn) < 0)
        return NULL;
    return virGetHostname();
}

static char *
liteConnectGetSysinfo(virConnectPtr conn, unsigned int flags)
{
    liteDriver *driver = conn->privateData;
    g_auto(virBuffer) buf = VIR_BUFFER_INITIALIZER;

    virCheckFlags(0, NULL);
    if (virConnectGetSysinfoEnsureACL(conn) < 0)
        return NULL;
    if (!driver->hostsysinfo) {
        virReportError(VIR_ERR_OPERATION_FAILED, "%s",
                       _("host sysinfo is not available: neither dmidecode nor /proc/cpuinfo "
                         "could be read"));
        return NULL;
    }
    if (virSysinfoFormat(&buf, driver->hostsysinfo) < 0)
        return NULL;
    return virBufferContentAndReset(&buf);
}

static char *
liteConnectGetCapabilities(virConnectPtr conn)
{
    liteDriver *driver = conn->privateData;
    g_autoptr(virCaps) caps = NULL;

    if (virConnectGetCapabilitiesEnsureACL(conn) < 0)
        return NULL;
    if (!(caps = liteDriverGetCapabilities(driver)))
        return NULL;
    return virCapabilitiesFormatXML(caps);
}

static char *
liteConnectGetDomainCapabilities(virConnectPtr conn, const char *emulatorbin,
                                 const char *archStr, const char *machine,
                                 const char *virttypeStr, unsigned int flags)
{
    liteDriver *driver = conn->privateData;
    g_autoptr(virDomainCaps) domCaps = NULL;
    int virttype = VIR_DOMAIN_VIRT_KVM;
    virArch arch = VIR_ARCH_X86_64;

    virCheckFlags(0, NULL);
    if (virConnectGetDomainCapabilitiesEnsureACL(conn) < 0)
        return NULL;

    if (virttypeStr && (virttype = virDomainVirtTypeFromString(virttypeStr)) < 0) {
        virReportError(VIR_ERR_INVALID_ARG, _("unknown virttype '%s': use kvm or lxc"),
                       virttypeStr);
        return NULL;
    }
    /* An emulator path alone says which kind is meant: virt-manager passes the one it found
     * in the capabilities. */
    if (!virttypeStr && emulatorbin && STREQ(emulatorbin, driver->config->nsPath))
        virttype = VIR_DOMAIN_VIRT_LXC;
    if (virttype != VIR_DOMAIN_VIRT_KVM && virttype != VIR_DOMAIN_VIRT_LXC) {
        virReportError(VIR_ERR_INVALID_ARG,
                       _("virttype '%s' is not supported: use kvm (VMs) or lxc (containers)"),
                       virDomainVirtTypeToString(virttype));
        return NULL;
    }
    if (archStr && (arch = virArchFromString(archStr)) != VIR_ARCH_X86_64) {
        virReportError(VIR_ERR_INVALID_ARG,
                       _("architecture '%s' is not supported: lite guests are x86_64"),
                       archStr);
        return NULL;
    }
    if (emulatorbin && STRNEQ(emulatorbin, virttype == VIR_DOMAIN_VIRT_KVM ?
                              driver->config->vmmPath : driver->config->nsPath)) {
        virReportError(VIR_ERR_INVALID_ARG, _("emulator '%s' is not a lite launcher: use %s"),
                       emulatorbin, virttype == VIR_DOMAIN_VIRT_KVM ?
                       driver->config->vmmPath : driver->config->nsPath);
        return NULL;
    }
    if (machine) {
        virReportError(VIR_ERR_INVALID_ARG,
                       _("machine type '%s' is not supported: lite guests have no machine types"),
                       machine);
        return NULL;
    }
    VIR_WITH_MUTEX_LOCK_GUARD(&driver->lock) {
        domCaps = liteBuildDomainCaps(driver->config, &driver->probe, virttype, arch);
    }
    if (!domCaps)
        return NULL;
    return virDomainCapsFormat(domCaps);
}

static int
liteConnectGetMaxVcpus(virConnectPtr conn, const char *type)
{
    liteDriver *driver = conn->privateData;
    VIR_LOCK_GUARD lock = { NULL };

    if (virConnectGetMaxVcpusEnsureACL(conn) < 0)
        return -1;
    if (type && STRCASEEQ(type, "lxc"))
        return virHostCPUGetCount();
    if (type && STRCASENEQ(type, "kvm")) {
        virReportError(VIR_ERR_INVALID_ARG, _("unknown type '%s': use kvm or lxc"), type);
        return -1;
    }
    lock = virLockGuardLock(&driver->lock);
    return driver->probe.vmMaxVcpus;
}

/* ---- host ---- */

static int
liteNodeGetInfo(virConnectPtr conn, virNodeInfoPtr nodeinfo)
{
    if (virNodeGetInfoEnsureACL(conn) < 0)
        return -1;
    return virCapabilitiesGetNodeInfo(nodeinfo);
}

static int
liteNodeGetCPUStats(virConnectPtr conn, int cpuNum, virNodeCPUStatsPtr params, int *nparams,
                    unsigned int flags)
{
    if (virNodeGetCPUStatsEnsureACL(conn) < 0)
        return -1;
    return virHostCPUGetStats(cpuNum, params, nparams, flags);
}

static int
liteNodeGetMemoryStats(virConnectPtr conn, int cellNum, virNodeMemoryStatsPtr params,
                       int *nparams, unsigned int flags)
{
    if (virNodeGetMemoryStatsEnsureACL(conn) < 0)
        return -1;
    return virHostMemGetStats(cellNum, params, nparams, flags);
}

static int
liteNodeGetCellsFreeMemory(virConnectPtr conn, unsigned long long *freeMems, int startCell,
                           int maxCells)
{
    if (virNodeGetCellsFreeMemoryEnsureACL(conn) < 0)
        return -1;
    return virHostMemGetCellsFree(freeMems, startCell, maxCells);
}

static unsigned long long
liteNodeGetFreeMemory(virConnectPtr conn)
{
    unsigned long long freeMem;

    if (virNodeGetFreeMemoryEnsureACL(conn) < 0)
        return 0;
    if (virHostMemGetInfo(NULL, &freeMem) < 0)
        return 0;
    return freeMem;
}

static int
liteNodeGetCPUMap(virConnectPtr conn, unsigned char **cpumap, unsigned int *online,
                  unsigned int flags)
{
    if (virNodeGetCPUMapEnsureACL(conn) < 0)
        return -1;
    return virHostCPUGetMap(cpumap, online, flags);
}

static int
liteNodeGetMemoryParameters(virConnectPtr conn, virTypedParameterPtr params, int *nparams,
                            unsigned int flags)
{
    if (virNodeGetMemoryParametersEnsureACL(conn) < 0)
        return -1;
    return virHostMemGetParameters(params, nparams, flags);
}

static int
liteNodeGetSecurityModel(virConnectPtr conn, virSecurityModelPtr secmodel)
{
    if (virNodeGetSecurityModelEnsureACL(conn) < 0)
        return -1;
    /* No security driver: an empty model, as libvirt reports with security_driver="none". */
    memset(secmodel, 0, sizeof(*secmodel));
    return 0;
}

/* ---- events ---- */

static int
liteConnectDomainEventRegister(virConnectPtr conn, virConnectDomainEventCallback callback,
                               void *opaque, virFreeCallback freecb)
{
    liteDriver *driver = conn->privateData;

    if (virConnectDomainEventRegisterEnsureACL(conn) < 0)
        return -1;
    if (virDomainEventStateRegister(conn, driver->domainEventState, callback, opaque,
                                    freecb) < 0)
        return -1;
    return 0;
}

static int
liteConnectDomainEventDeregister(virConnectPtr conn, virConnectDomainEventCallback callback)
{
    liteDriver *driver = conn->privateData;

    if (virConnectDomainEventDeregisterEnsureACL(conn) < 0)
        return -1;
    if (virDomainEventStateDeregister(conn, driver->domainEventState, callback) < 0)
        return -1;
    return 0;
}

static int
liteConnectDomainEventRegisterAny(virConnectPtr conn, virDomainPtr dom, int eventID,
                                  virConnectDomainEventGenericCallback callback, void *opaque,
                                  virFreeCallback freecb)
{
    liteDriver *driver = conn->privateData;
    int ret;

    if (virConnectDomainEventRegisterAnyEnsureACL(conn) < 0)
        return -1;
    if (virDomainEventStateRegisterID(conn, driver->domainEventState, dom, eventID, callback,
                                      opaque, freecb, &ret) < 0)
        return -1;
    return ret;
}

static int
liteConnectDomainEventDeregisterAny(virConnectPtr conn, int callbackID)
{
    liteDriver *driver = conn->privateData;

    if (virConnectDomainEventDeregisterAnyEnsureACL(conn) < 0)
        return -1;
    if (virObjectEventStateDeregisterID(conn, driver->domainEventState, callbackID, true) < 0)
        return -1;
    return 0;
}

/* ---- the driver table ---- */

static virHypervisorDriver liteHypervisorDriver = {
    .name = "LITE",
    .connectURIProbe = liteConnectURIProbe,
    .connectOpen = liteConnectOpen, /* 0.1.0 */
    .connectClose = liteConnectClose, /* 0.1.0 */
    .connectIsSecure = liteConnectIsSecure, /* 0.1.0 */
    .connectIsEncrypted = liteConnectIsEncrypted, /* 0.1.0 */
    .connectIsAlive = liteConnectIsAlive, /* 0.1.0 */
    .connectSupportsFeature = liteConnectSupportsFeature, /* 0.1.0 */
    .connectGetType = liteConnectGetType, /* 0.1.0 */
    .connectGetVersion = liteConnectGetVersion, /* 0.1.0 */
    .connectGetHostname = liteConnectGetHostname, /* 0.1.0 */
    .connectGetSysinfo = liteConnectGetSysinfo, /* 0.1.0 */
    .connectGetCapabilities = liteConnectGetCapabilities, /* 0.1.0 */
    .connectGetDomainCapabilities = liteConnectGetDomainCapabilities, /* 0.1.0 */
    .connectGetMaxVcpus = liteConnectGetMaxVcpus, /* 0.1.0 */
    .nodeGetInfo = liteNodeGetInfo, /* 0.1.0 */
    .nodeGetCPUStats = liteNodeGetCPUStats, /* 0.1.0 */
    .nodeGetMemoryStats = liteNodeGetMemoryStats, /* 0.1.0 */
    .nodeGetCellsFreeMemory = liteNodeGetCellsFreeMemory, /* 0.1.0 */
    .nodeGetFreeMemory = liteNodeGetFreeMemory, /* 0.1.0 */
    .nodeGetCPUMap = liteNodeGetCPUMap, /* 0.1.0 */
    .nodeGetMemoryParameters = liteNodeGetMemoryParameters, /* 0.1.0 */
    .nodeGetSecurityModel = liteNodeGetSecurityModel, /* 0.1.0 */
    .connectDomainEventRegister = liteConnectDomainEventRegister, /* 0.1.0 */
    .connectDomainEventDeregister = liteConnectDomainEventDeregister, /* 0.1.0 */
    .connectDomainEventRegisterAny = liteConnectDomainEventRegisterAny, /* 0.1.0 */
    .connectDomainEventDeregisterAny = liteConnectDomainEventDeregisterAny, /* 0.1.0 */
    .connectListDomains = liteConnectListDomains, /* 0.1.0 */
    .connectNumOfDomains = liteConnectNumOfDomains, /* 0.1.0 */
    .connectListDefinedDomains = liteConnectListDefinedDomains, /* 0.1.0 */
    .connectNumOfDefinedDomains = liteConnectNumOfDefinedDomains, /* 0.1.0 */
    .connectListAllDomains = liteConnectListAllDomains, /* 0.1.0 */
    .domainLookupByID = liteDomainLookupByID, /* 0.1.0 */
    .domainLookupByUUID = liteDomainLookupByUUID, /* 0.1.0 */
    .domainLookupByName = liteDomainLookupByName, /* 0.1.0 */
    .domainDefineXML = liteDomainDefineXML, /* 0.1.0 */
    .domainDefineXMLFlags = liteDomainDefineXMLFlags, /* 0.1.0 */
    .domainUndefine = liteDomainUndefine, /* 0.1.0 */
    .domainUndefineFlags = liteDomainUndefineFlags, /* 0.1.0 */
    .domainGetInfo = liteDomainGetInfo, /* 0.1.0 */
    .domainGetState = liteDomainGetState, /* 0.1.0 */
    .domainGetXMLDesc = liteDomainGetXMLDesc, /* 0.1.0 */
    .domainGetOSType = liteDomainGetOSType, /* 0.1.0 */
    .domainGetMaxMemory = liteDomainGetMaxMemory, /* 0.1.0 */
    .domainGetVcpusFlags = liteDomainGetVcpusFlags, /* 0.1.0 */
    .domainGetMaxVcpus = liteDomainGetMaxVcpus, /* 0.1.0 */
    .domainIsActive = liteDomainIsActive, /* 0.1.0 */
    .domainIsPersistent = liteDomainIsPersistent, /* 0.1.0 */
    .domainIsUpdated = liteDomainIsUpdated, /* 0.1.0 */
    .domainGetAutostart = liteDomainGetAutostart, /* 0.1.0 */
    .domainSetAutostart = liteDomainSetAutostart, /* 0.1.0 */
    .domainSetMetadata = liteDomainSetMetadata, /* 0.1.0 */
    .domainGetMetadata = liteDomainGetMetadata, /* 0.1.0 */
    .domainGetMessages = liteDomainGetMessages, /* 0.1.0 */
    .domainCreate = liteDomainCreate, /* 0.1.0 */
    .domainCreateWithFlags = liteDomainCreateWithFlags, /* 0.1.0 */
    .domainCreateXML = liteDomainCreateXML, /* 0.1.0 */
    .domainDestroy = liteDomainDestroy, /* 0.1.0 */
    .domainDestroyFlags = liteDomainDestroyFlags, /* 0.1.0 */
    .domainShutdown = liteDomainShutdown, /* 0.1.0 */
    .domainShutdownFlags = liteDomainShutdownFlags, /* 0.1.0 */
    .domainReboot = liteDomainReboot, /* 0.1.0 */
    .domainReset = liteDomainReset, /* 0.1.0 */
    .domainSuspend = liteDomainSuspend, /* 0.1.0 */
    .domainResume = liteDomainResume, /* 0.1.0 */
    .domainOpenConsole = liteDomainOpenConsole, /* 0.1.0 */
    .domainHasManagedSaveImage = liteDomainHasManagedSaveImage, /* 0.1.0 */
    .domainMemoryStats = liteDomainMemoryStats, /* 0.1.0 */
    .domainInterfaceStats = liteDomainInterfaceStats, /* 0.1.0 */
    .connectGetAllDomainStats = liteConnectGetAllDomainStats, /* 0.1.0 */
};

static virConnectDriver liteConnectDriver = {
    .localOnly = true,
    .uriSchemes = (const char *[]){ "lite", NULL },
    .hypervisorDriver = &liteHypervisorDriver,
};

static virStateDriver liteStateDriver = {
    .name = "LITE",
    .stateInitialize = liteStateInitialize,
    .stateCleanup = liteStateCleanup,
    .stateReload = liteStateReload,
};

int
liteDriverRegisterAll(void)
{
    if (virRegisterConnectDriver(&liteConnectDriver, true) < 0 ||
        virRegisterStateDriver(&liteStateDriver) < 0)
        return -1;
    return 0;
}
