/* lite_domain.c: domain private data, the parser configuration, and translation into a
 * launch config with errors in libvirt's terms. */
#include <config.h>

#include "lite_domain.h"

#include "datatypes.h"
#include "virlog.h"
#include "virerror.h"


#include "lite_i18n.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.domain");

static void *
liteDomainObjPrivateAlloc(void *opaque)
{
    liteDomainObjPrivate *priv = g_new0(liteDomainObjPrivate, 1);

    priv->driver = opaque;
    priv->watchFd = -1;
    priv->watchHandle = -1;
    if (!(priv->chrdevs = virChrdevAlloc())) {
        g_free(priv);
        return NULL;
    }
    return priv;
}

static void
liteDomainObjPrivateFree(void *data)
{
    liteDomainObjPrivate *priv = data;

    g_free(priv->controlPath);
    g_free(priv->cgroup);
    g_free(priv->stopReason);
    g_free(priv->watchBuf);
    virChrdevFree(priv->chrdevs);
    g_free(priv);
}

/* Status XML: enough to find a running launcher again after the daemon restarts. */
static int
liteDomainObjPrivateXMLFormat(virBuffer *buf, virDomainObj *vm)
{
    liteDomainObjPrivate *priv = LITE_DOMAIN_PRIVATE(vm);

    if (priv->launcherPid <= 0)
        return 0;
    virBufferAsprintf(buf, "<launcher pid='%lld'", (long long)priv->launcherPid);
    virBufferEscapeString(buf, " control='%s'", priv->controlPath);
    if (priv->initPid > 0)
        virBufferAsprintf(buf, " init-pid='%lld'", (long long)priv->initPid);
    virBufferEscapeString(buf, " cgroup='%s'", priv->cgroup);
    virBufferAddLit(buf, "/>\n");
    return 0;
}

static int
liteDomainObjPrivateXMLParse(xmlXPathContextPtr ctxt, virDomainObj *vm,
                             virDomainDefParserConfig *config G_GNUC_UNUSED)
{
    liteDomainObjPrivate *priv = LITE_DOMAIN_PRIVATE(vm);
    long long pid = 0;
    long long initPid = 0;

    if (virXPathLongLong("string(./launcher/@pid)", ctxt, &pid) == -2 ||
        virXPathLongLong("string(./launcher/@init-pid)", ctxt, &initPid) == -2) {
        virReportError(VIR_ERR_INTERNAL_ERROR, "%s", _("invalid launcher pid in status XML"));
        return -1;
    }
    priv->launcherPid = (pid_t)pid;
    priv->initPid = (pid_t)initPid;
    priv->controlPath = virXPathString("string(./launcher/@control)", ctxt);
    priv->cgroup = virXPathString("string(./launcher/@cgroup)", ctxt);
    return 0;
}

static virDomainXMLPrivateDataCallbacks liteDomainPrivateDataCallbacks = {
    .alloc = liteDomainObjPrivateAlloc,
    .free = liteDomainObjPrivateFree,
    .format = liteDomainObjPrivateXMLFormat,
    .parse = liteDomainObjPrivateXMLParse,
};

static int
liteDomainDefPostParse(virDomainDef *def, unsigned int parseFlags G_GNUC_UNUSED,
                       void *opaque, void *parseOpaque G_GNUC_UNUSED)
{
    liteDriver *driver = opaque;
    g_autoptr(virCaps) caps = liteDriverGetCapabilities(driver);

    if (!caps)
        return -1;
    /* Names the pairs that work, so a user who wrote type='qemu' or <type>xen</type>
     * learns what to write instead. */
    if (!((def->virtType == VIR_DOMAIN_VIRT_KVM && def->os.type == VIR_DOMAIN_OSTYPE_HVM) ||
          (def->virtType == VIR_DOMAIN_VIRT_LXC && def->os.type == VIR_DOMAIN_OSTYPE_EXE))) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                       _("<domain type='%s'> with <os><type>%s</type> is not supported: use "
                         "<domain type='kvm'> with <type>hvm</type> for a virtual machine, or "
                         "<domain type='lxc'> with <type>exe</type> for a container"),
                       virDomainVirtTypeToString(def->virtType),
                       virDomainOSTypeToString(def->os.type));
        return -1;
    }
    if (!virCapabilitiesDomainSupported(caps, def->os.type, def->os.arch, def->virtType))
        return -1;
    if (!def->emulator && !(def->emulator = virDomainDefGetDefaultEmulator(def, caps)))
        return -1;
    return 0;
}

static int
liteDomainDeviceDefPostParse(virDomainDeviceDef *dev, const virDomainDef *def,
                             unsigned int parseFlags G_GNUC_UNUSED,
                             void *opaque G_GNUC_UNUSED, void *parseOpaque G_GNUC_UNUSED)
{
    /* A container's console is the lxc kind, as in libvirt's lxc driver: XML written for
     * lxc:/// works here unchanged. */
    if (def->os.type == VIR_DOMAIN_OSTYPE_EXE &&
        dev->type == VIR_DOMAIN_DEVICE_CHR &&
        dev->data.chr->deviceType == VIR_DOMAIN_CHR_DEVICE_TYPE_CONSOLE &&
        dev->data.chr->targetType == VIR_DOMAIN_CHR_CONSOLE_TARGET_TYPE_NONE)
        dev->data.chr->targetType = VIR_DOMAIN_CHR_CONSOLE_TARGET_TYPE_LXC;
    return 0;
}

/* Every define and create passes through here: what src/conf cannot translate is refused
 * before anything is stored or started. */
static int
liteDomainDefValidate(const virDomainDef *def, void *opaque, void *parseOpaque G_GNUC_UNUSED)
{
    g_autoptr(lite_launch) launch = liteDomainTranslate(opaque, def, NULL);

    return launch ? 0 : -1;
}

static virDomainDefParserConfig liteDomainDefParserConfig = {
    .domainPostParseCallback = liteDomainDefPostParse,
    .devicesPostParseCallback = liteDomainDeviceDefPostParse,
    .domainValidateCallback = liteDomainDefValidate,
    /* Lite VMs boot a kernel directly: no implicit <boot dev='hd'/>. */
    .features = VIR_DOMAIN_DEF_FEATURE_NO_BOOT_ORDER,
};

virDomainXMLOption *
liteDomainXMLConfInit(liteDriver *driver)
{
    liteDomainDefParserConfig.priv = driver;
    return virDomainXMLOptionNew(&liteDomainDefParserConfig, &liteDomainPrivateDataCallbacks,
                                 NULL, NULL, NULL, NULL);
}

virDomainObj *
liteDomObjFromDomain(liteDriver *driver, virDomainPtr dom)
{
    virDomainObj *vm = virDomainObjListFindByUUID(driver->domains, dom->uuid);

    if (!vm) {
        char uuidstr[VIR_UUID_STRING_BUFLEN];

        virUUIDFormat(dom->uuid, uuidstr);
        virReportError(VIR_ERR_NO_DOMAIN, _("no domain with matching uuid '%s' (%s)"),
                       uuidstr, dom->name);
    }
    return vm;
}

static int
liteConfErrorCode(const GError *err)
{
    switch ((lite_conf_err)err->code) {
    case LITE_CONF_ERR_XML:
        return VIR_ERR_XML_ERROR;
    case LITE_CONF_ERR_INVALID:
        return VIR_ERR_XML_DETAIL;
    case LITE_CONF_ERR_NO_NETWORK:
        return VIR_ERR_NO_NETWORK;
    case LITE_CONF_ERR_HOST:
        return VIR_ERR_OPERATION_FAILED;
    case LITE_CONF_ERR_UNSUPPORTED:
        break;
    }
    return VIR_ERR_CONFIG_UNSUPPORTED;
}

lite_launch *
liteDomainTranslate(liteDriver *driver, const virDomainDef *def, const lite_conf_ctx *ctx)
{
    static const lite_conf_ctx checkOnly = { 0 };
    g_autofree char *xml = NULL;
    g_autoptr(GError) err = NULL;
    lite_launch *launch = NULL;

    xml = virDomainDefFormat((virDomainDef *)def, driver->xmlopt,
                             VIR_DOMAIN_DEF_FORMAT_SECURE | VIR_DOMAIN_DEF_FORMAT_INACTIVE);
    if (!xml)
        return NULL;
    if (lite_conf_translate(xml, ctx ? ctx : &checkOnly, &launch, &err) < 0) {
        /* The message names the element and what to use instead; libvirt's code prefix
         * ("unsupported configuration: ") says which kind of problem it is. */
        virReportError(liteConfErrorCode(err), "%s", err->message);
        return NULL;
    }
    return launch;
}
