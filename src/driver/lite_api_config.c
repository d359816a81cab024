/* lite_api_config.c: the callbacks for domain definitions: list, look up, define, undefine,
 * XML, autostart and metadata. Each follows the same skeleton: look up, ACL, job, act,
 * event, end. */
#include <config.h>

#include <unistd.h>

#include "lite_api.h"
#include "lite_domain.h"
#include "lite_driver.h"

#include "datatypes.h"
#include "domain_event.h"
#include "viraccessapicheck.h"
#include "virdomainobjlist.h"
#include "virerror.h"
#include "virfile.h"
#include "virlog.h"

#include "lite_i18n.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.api.config");

#define LITE_DRIVER(conn) ((liteDriver *)(conn)->privateData)

int
liteConnectListDomains(virConnectPtr conn, int *ids, int nids)
{
    if (virConnectListDomainsEnsureACL(conn) < 0)
        return -1;
    return virDomainObjListGetActiveIDs(LITE_DRIVER(conn)->domains, ids, nids,
                                        virConnectListDomainsCheckACL, conn);
}

int
liteConnectNumOfDomains(virConnectPtr conn)
{
    if (virConnectNumOfDomainsEnsureACL(conn) < 0)
        return -1;
    return virDomainObjListNumOfDomains(LITE_DRIVER(conn)->domains, true,
                                        virConnectNumOfDomainsCheckACL, conn);
}

int
liteConnectListDefinedDomains(virConnectPtr conn, char **const names, int nnames)
{
    if (virConnectListDefinedDomainsEnsureACL(conn) < 0)
        return -1;
    return virDomainObjListGetInactiveNames(LITE_DRIVER(conn)->domains, names, nnames,
                                            virConnectListDefinedDomainsCheckACL, conn);
}

int
liteConnectNumOfDefinedDomains(virConnectPtr conn)
{
    if (virConnectNumOfDefinedDomainsEnsureACL(conn) < 0)
        return -1;
    return virDomainObjListNumOfDomains(LITE_DRIVER(conn)->domains, false,
                                        virConnectNumOfDefinedDomainsCheckACL, conn);
}

int
liteConnectListAllDomains(virConnectPtr conn, virDomainPtr **domains, unsigned int flags)
{
    virCheckFlags(VIR_CONNECT_LIST_DOMAINS_FILTERS_ALL, -1);
    if (virConnectListAllDomainsEnsureACL(conn) < 0)
        return -1;
    return virDomainObjListExport(LITE_DRIVER(conn)->domains, conn, domains,
                                  virConnectListAllDomainsCheckACL, flags);
}

virDomainPtr
liteDomainLookupByID(virConnectPtr conn, int id)
{
    virDomainObj *vm = virDomainObjListFindByID(LITE_DRIVER(conn)->domains, id);
    virDomainPtr dom = NULL;

    if (!vm) {
        virReportError(VIR_ERR_NO_DOMAIN, _("no domain with matching id %d"), id);
        return NULL;
    }
    if (virDomainLookupByIDEnsureACL(conn, vm->def) == 0)
        dom = virGetDomain(conn, vm->def->name, vm->def->uuid, vm->def->id);
    virDomainObjEndAPI(&vm);
    return dom;
}

virDomainPtr
liteDomainLookupByUUID(virConnectPtr conn, const unsigned char *uuid)
{
    virDomainObj *vm = virDomainObjListFindByUUID(LITE_DRIVER(conn)->domains, uuid);
    virDomainPtr dom = NULL;

    if (!vm) {
        char uuidstr[VIR_UUID_STRING_BUFLEN];

        virUUIDFormat(uuid, uuidstr);
        virReportError(VIR_ERR_NO_DOMAIN, _("no domain with matching uuid '%s'"), uuidstr);
        return NULL;
    }
    if (virDomainLookupByUUIDEnsureACL(conn, vm->def) == 0)
        dom = virGetDomain(conn, vm->def->name, vm->def->uuid, vm->def->id);
    virDomainObjEndAPI(&vm);
    return dom;
}

virDomainPtr
liteDomainLookupByName(virConnectPtr conn, const char *name)
{
    virDomainObj *vm = virDomainObjListFindByName(LITE_DRIVER(conn)->domains, name);
    virDomainPtr dom = NULL;

    if (!vm) {
        virReportError(VIR_ERR_NO_DOMAIN, _("no domain with matching name '%s'"), name);
        return NULL;
    }
    if (virDomainLookupByNameEnsureACL(conn, vm->def) == 0)
        dom = virGetDomain(conn, vm->def->name, vm->def->uuid, vm->def->id);
    virDomainObjEndAPI(&vm);
    return dom;
}

virDomainPtr
liteDomainDefineXMLFlags(virConnectPtr conn, const char *xml, unsigned int flags)
{
    liteDriver *driver = LITE_DRIVER(conn);
    g_autoptr(virDomainDef) def = NULL;
    g_autoptr(virDomainDef) oldDef = NULL;
    virDomainObj *vm = NULL;
    virObjectEvent *event = NULL;
    virDomainPtr dom = NULL;
    unsigned int parseFlags = VIR_DOMAIN_DEF_PARSE_INACTIVE;
    bool wasPersistent;

    virCheckFlags(VIR_DOMAIN_DEFINE_VALIDATE, NULL);
    if (flags & VIR_DOMAIN_DEFINE_VALIDATE)
        parseFlags |= VIR_DOMAIN_DEF_PARSE_VALIDATE_SCHEMA;

    /* Parsing runs liteDomainDefValidate: what the launchers cannot honour fails here,
     * before anything is stored. */
    if (!(def = virDomainDefParseString(xml, driver->xmlopt, NULL, parseFlags)))
        goto cleanup;
    if (virXMLCheckIllegalChars("name", def->name, "\n/") < 0)
        goto cleanup;
    if (virDomainDefineXMLFlagsEnsureACL(conn, def) < 0)
        goto cleanup;

    if (!(vm = virDomainObjListAdd(driver->domains, &def, driver->xmlopt, 0, &oldDef)))
        goto cleanup;
    wasPersistent = vm->persistent;
    vm->persistent = 1;

    if (virDomainDefSave(vm->newDef ? vm->newDef : vm->def, driver->xmlopt,
                         driver->config->configDir) < 0) {
        /* Nothing may change when the definition cannot be stored: put back what was. */
        if (oldDef) {
            if (virDomainObjIsActive(vm))
                g_clear_pointer(&vm->newDef, virDomainDefFree);
            if (virDomainObjIsActive(vm) && wasPersistent)
                vm->newDef = g_steal_pointer(&oldDef);
            else if (!virDomainObjIsActive(vm))
                vm->def = g_steal_pointer(&oldDef);
            vm->persistent = wasPersistent;
        } else {
            virDomainObjListRemove(driver->domains, vm);
        }
        goto cleanup;
    }

    event = virDomainEventLifecycleNewFromObj(vm, VIR_DOMAIN_EVENT_DEFINED,
                                              oldDef ? VIR_DOMAIN_EVENT_DEFINED_UPDATED :
                                                       VIR_DOMAIN_EVENT_DEFINED_ADDED);
    VIR_INFO("defined domain '%s'", vm->def->name);
    dom = virGetDomain(conn, vm->def->name, vm->def->uuid, vm->def->id);

 cleanup:
    virDomainObjEndAPI(&vm);
    virObjectEventStateQueue(driver->domainEventState, event);
    return dom;
}

virDomainPtr
liteDomainDefineXML(virConnectPtr conn, const char *xml)
{
    return liteDomainDefineXMLFlags(conn, xml, 0);
}

int
liteDomainUndefineFlags(virDomainPtr dom, unsigned int flags)
{
    liteDriver *driver = LITE_DRIVER(dom->conn);
    virDomainObj *vm;
    virObjectEvent *event = NULL;
    int ret = -1;

    /* Nothing of these exists yet for lite domains, so asking to remove it is harmless. */
    virCheckFlags(VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                  VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                  VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA |
                  VIR_DOMAIN_UNDEFINE_NVRAM |
                  VIR_DOMAIN_UNDEFINE_KEEP_NVRAM, -1);

    if (!(vm = liteDomObjFromDomain(driver, dom)))
        return -1;
    if (virDomainUndefineFlagsEnsureACL(dom->conn, vm->def) < 0)
        goto cleanup;
    if (virDomainObjBeginJob(vm, VIR_JOB_MODIFY) < 0)
        goto cleanup;

    if (!vm->persistent) {
        virReportError(VIR_ERR_OPERATION_INVALID, "%s",
                       _("cannot undefine a transient domain: destroy it instead"));
        goto endjob;
    }
    if (virDomainDeleteConfig(driver->config->configDir, driver->config->autostartDir, vm) < 0)
        goto endjob;

    event = virDomainEventLifecycleNewFromObj(vm, VIR_DOMAIN_EVENT_UNDEFINED,
                                              VIR_DOMAIN_EVENT_UNDEFINED_REMOVED);
    VIR_INFO("undefined domain '%s'", vm->def->name);
    ret = 0;
    /* A running domain lives on as a transient one until it stops. */
    vm->persistent = 0;
    vm->autostart = 0;

 endjob:
    virDomainObjEndJob(vm);
    if (ret == 0 && !virDomainObjIsActive(vm))
        virDomainObjListRemove(driver->domains, vm);

 cleanup:
    virDomainObjEndAPI(&vm);
    virObjectEventStateQueue(driver->domainEventState, event);
    return ret;
}

int
liteDomainUndefine(virDomainPtr dom)
{
    return liteDomainUndefineFlags(dom, 0);
}

int
liteDomainGetState(virDomainPtr dom, int *state, int *reason, unsigned int flags)
{
    virDomainObj *vm;
    int ret = -1;

    virCheckFlags(0, -1);
    if (!(vm = liteDomObjFromDomain(dom->conn->privateData, dom)))
        return -1;
    if (virDomainGetStateEnsureACL(dom->conn, vm->def) < 0)
        goto cleanup;
    *state = virDomainObjGetState(vm, reason);
    ret = 0;

 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

char *
liteDomainGetXMLDesc(virDomainPtr dom, unsigned int flags)
{
    liteDriver *driver = dom->conn->privateData;
    virDomainObj *vm;
    char *ret = NULL;

    virCheckFlags(VIR_DOMAIN_XML_COMMON_FLAGS, NULL);
    if (!(vm = liteDomObjFromDomain(driver, dom)))
        return NULL;
    if (virDomainGetXMLDescEnsureACL(dom->conn, vm->def, flags) < 0)
        goto cleanup;
    ret = virDomainDefFormat((flags & VIR_DOMAIN_XML_INACTIVE) && vm->newDef ? vm->newDef :
                             vm->def, driver->xmlopt,
                             virDomainDefFormatConvertXMLFlags(flags));

 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

char *
liteDomainGetOSType(virDomainPtr dom)
{
    virDomainObj *vm;
    char *ret = NULL;

    if (!(vm = liteDomObjFromDomain(dom->conn->privateData, dom)))
        return NULL;
    if (virDomainGetOSTypeEnsureACL(dom->conn, vm->def) == 0)
        ret = g_strdup(virDomainOSTypeToString(vm->def->os.type));
    virDomainObjEndAPI(&vm);
    return ret;
}

unsigned long long
liteDomainGetMaxMemory(virDomainPtr dom)
{
    virDomainObj *vm;
    unsigned long long ret = 0;

    if (!(vm = liteDomObjFromDomain(dom->conn->privateData, dom)))
        return 0;
    if (virDomainGetMaxMemoryEnsureACL(dom->conn, vm->def) == 0)
        ret = virDomainDefGetMemoryTotal(vm->def);
    virDomainObjEndAPI(&vm);
    return ret;
}

int
liteDomainGetVcpusFlags(virDomainPtr dom, unsigned int flags)
{
    virDomainObj *vm;
    virDomainDef *def;
    int ret = -1;

    virCheckFlags(VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_VCPU_MAXIMUM,
                  -1);
    if (!(vm = liteDomObjFromDomain(dom->conn->privateData, dom)))
        return -1;
    if (virDomainGetVcpusFlagsEnsureACL(dom->conn, vm->def, flags) < 0)
        goto cleanup;
    if (!(def = virDomainObjGetOneDef(vm, flags)))
        goto cleanup;
    ret = (flags & VIR_DOMAIN_VCPU_MAXIMUM) ? virDomainDefGetVcpusMax(def) :
                                              virDomainDefGetVcpus(def);

 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

int
liteDomainGetMaxVcpus(virDomainPtr dom)
{
    return liteDomainGetVcpusFlags(dom, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_VCPU_MAXIMUM);
}

/* The three Is* calls share one shape: look up, ACL, read a flag. */
static int
liteDomainTestFlag(virDomainPtr dom, int (*acl)(virConnectPtr, virDomainDef *),
                   int (*test)(virDomainObj *))
{
    virDomainObj *vm;
    int ret = -1;

    if (!(vm = liteDomObjFromDomain(dom->conn->privateData, dom)))
        return -1;
    if (acl(dom->conn, vm->def) == 0)
        ret = test(vm);
    virDomainObjEndAPI(&vm);
    return ret;
}

static int
testActive(virDomainObj *vm)
{
    return virDomainObjIsActive(vm);
}

static int
testPersistent(virDomainObj *vm)
{
    return vm->persistent;
}

static int
testUpdated(virDomainObj *vm)
{
    return vm->updated;
}

int
liteDomainIsActive(virDomainPtr dom)
{
    return liteDomainTestFlag(dom, virDomainIsActiveEnsureACL, testActive);
}

int
liteDomainIsPersistent(virDomainPtr dom)
{
    return liteDomainTestFlag(dom, virDomainIsPersistentEnsureACL, testPersistent);
}

int
liteDomainIsUpdated(virDomainPtr dom)
{
    return liteDomainTestFlag(dom, virDomainIsUpdatedEnsureACL, testUpdated);
}

int
liteDomainGetAutostart(virDomainPtr dom, int *autostart)
{
    virDomainObj *vm;
    int ret = -1;

    if (!(vm = liteDomObjFromDomain(dom->conn->privateData, dom)))
        return -1;
    if (virDomainGetAutostartEnsureACL(dom->conn, vm->def) == 0) {
        *autostart = vm->autostart;
        ret = 0;
    }
    virDomainObjEndAPI(&vm);
    return ret;
}

int
liteDomainSetAutostart(virDomainPtr dom, int autostart)
{
    liteDriver *driver = dom->conn->privateData;
    virDomainObj *vm;
    g_autofree char *configFile = NULL;
    g_autofree char *link = NULL;
    int ret = -1;

    if (!(vm = liteDomObjFromDomain(driver, dom)))
        return -1;
    if (virDomainSetAutostartEnsureACL(dom->conn, vm->def) < 0)
        goto cleanup;
    if (virDomainObjBeginJob(vm, VIR_JOB_MODIFY) < 0)
        goto cleanup;

    if (!vm->persistent) {
        virReportError(VIR_ERR_OPERATION_INVALID, "%s",
                       _("cannot set autostart for a transient domain: define it first"));
        goto endjob;
    }
    autostart = autostart != 0;
    if (vm->autostart != autostart) {
        configFile = virDomainConfigFile(driver->config->configDir, vm->def->name);
        link = virDomainConfigFile(driver->config->autostartDir, vm->def->name);
        /* The link is the persisted state, read back by the next daemon start. */
        if (autostart && symlink(configFile, link) < 0) {
            virReportSystemError(errno, _("cannot create autostart link %s"), link);
            goto endjob;
        }
        if (!autostart && unlink(link) < 0 && errno != ENOENT) {
            virReportSystemError(errno, _("cannot remove autostart link %s"), link);
            goto endjob;
        }
        vm->autostart = autostart;
    }
    ret = 0;

 endjob:
    virDomainObjEndJob(vm);
 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

int
liteDomainSetMetadata(virDomainPtr dom, int type, const char *metadata, const char *key,
                      const char *uri, unsigned int flags)
{
    liteDriver *driver = dom->conn->privateData;
    virDomainObj *vm;
    int ret = -1;

    virCheckFlags(VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG, -1);
    if (!(vm = liteDomObjFromDomain(driver, dom)))
        return -1;
    if (virDomainSetMetadataEnsureACL(dom->conn, vm->def, flags) < 0)
        goto cleanup;
    if (virDomainObjBeginJob(vm, VIR_JOB_MODIFY) < 0)
        goto cleanup;

    ret = virDomainObjSetMetadata(vm, type, metadata, key, uri, driver->xmlopt,
                                  driver->config->stateDir, driver->config->configDir, flags);
    if (ret == 0)
        virObjectEventStateQueue(driver->domainEventState,
                                 virDomainEventMetadataChangeNewFromObj(vm, type, uri));
    virDomainObjEndJob(vm);

 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

char *
liteDomainGetMetadata(virDomainPtr dom, int type, const char *uri, unsigned int flags)
{
    virDomainObj *vm;
    char *ret = NULL;

    virCheckFlags(VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG, NULL);
    if (!(vm = liteDomObjFromDomain(dom->conn->privateData, dom)))
        return NULL;
    if (virDomainGetMetadataEnsureACL(dom->conn, vm->def) == 0)
        ret = virDomainObjGetMetadata(vm, type, uri, flags);
    virDomainObjEndAPI(&vm);
    return ret;
}

int
liteDomainGetMessages(virDomainPtr dom, char ***msgs, unsigned int flags)
{
    virDomainObj *vm;
    int ret = -1;

    virCheckFlags(VIR_DOMAIN_MESSAGE_DEPRECATION | VIR_DOMAIN_MESSAGE_TAINTING, -1);
    if (!(vm = liteDomObjFromDomain(dom->conn->privateData, dom)))
        return -1;
    /* Lite domains are never tainted and use nothing deprecated: no messages. */
    if (virDomainGetMessagesEnsureACL(dom->conn, vm->def) == 0) {
        *msgs = NULL;
        ret = 0;
    }
    virDomainObjEndAPI(&vm);
    return ret;
}
