/* lite_conf.c: driver paths, host capabilities and domain capabilities. */
#include <config.h>

#include "lite_conf.h"

#include "configmake.h"
#include "cpu/cpu.h"
#include "virarch.h"
#include "virlog.h"
#include "virutil.h"

#include "lite-config.h"

#include "lite_i18n.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.conf");

static virClass *liteDriverConfigClass;

static void
liteDriverConfigDispose(void *obj)
{
    liteDriverConfig *cfg = obj;

    g_free(cfg->root);
    g_free(cfg->configDir);
    g_free(cfg->autostartDir);
    g_free(cfg->stateDir);
    g_free(cfg->libDir);
    g_free(cfg->logDir);
    g_free(cfg->vmmPath);
    g_free(cfg->nsPath);
}

static int
liteConfigOnceInit(void)
{
    if (!VIR_CLASS_NEW(liteDriverConfig, virClassForObject()))
        return -1;
    return 0;
}

VIR_ONCE_GLOBAL_INIT(liteConfig);

liteDriverConfig *
liteDriverConfigNew(void)
{
    g_autoptr(liteDriverConfig) cfg = NULL;
    const char *root = g_getenv("VIRT_LITE_ROOT");
    const char *launchers = g_getenv("VIRT_LITE_LAUNCHER_DIR");

    if (liteConfigInitialize() < 0)
        return NULL;
    if (!(cfg = virObjectNew(liteDriverConfigClass)))
        return NULL;

    if (root && !g_path_is_absolute(root)) {
        virReportError(VIR_ERR_CONFIG_UNSUPPORTED,
                       _("VIRT_LITE_ROOT must be an absolute path, not '%s'"), root);
        return NULL;
    }
    cfg->root = g_strdup(root ? root : "");
    cfg->configDir = g_strdup_printf("%s%s/libvirt/lite", cfg->root, LITE_SYSCONFDIR);
    cfg->autostartDir = g_strdup_printf("%s/autostart", cfg->configDir);
    cfg->stateDir = g_strdup_printf("%s%s/libvirt/lite", cfg->root, LITE_RUNSTATEDIR);
    cfg->libDir = g_strdup_printf("%s%s/lib/libvirt/lite", cfg->root, LITE_LOCALSTATEDIR);
    cfg->logDir = g_strdup_printf("%s%s/log/libvirt/lite", cfg->root, LITE_LOCALSTATEDIR);
    if (!launchers)
        launchers = LITE_LIBEXECDIR;
    cfg->vmmPath = g_strdup_printf("%s/lite-vmm", launchers);
    cfg->nsPath = g_strdup_printf("%s/lite-ns", launchers);
    return g_steal_pointer(&cfg);
}

virCaps *
liteBuildCapabilities(liteDriverConfig *cfg, const liteHostProbe *probe)
{
    g_autoptr(virCaps) caps = NULL;
    virCapsGuest *guest;

    if (!(caps = virCapabilitiesNew(virArchFromHost(), false, false)))
        return NULL;
    if (!(caps->host.numa = virCapabilitiesHostNUMANewHost()))
        return NULL;
    if (virCapabilitiesInitCaches(caps) < 0)
        VIR_WARN("cannot read the host's CPU cache layout");
    if (!(caps->host.cpu = virCPUProbeHost(caps->host.arch)))
        VIR_WARN("cannot describe the host CPU");

    /* Guests are listed even when a launcher is missing: `virsh start` then says why, and
     * a client that hides what capabilities lack would not show the domains at all. */
    guest = virCapabilitiesAddGuest(caps, VIR_DOMAIN_OSTYPE_HVM, VIR_ARCH_X86_64,
                                    cfg->vmmPath, NULL, 0, NULL);
    virCapabilitiesAddGuestDomain(guest, VIR_DOMAIN_VIRT_KVM, NULL, NULL, 0, NULL);
    /* default='on': virt-install writes <acpi/> only for features the capabilities say
     * are on by default, and without ACPI there is no power button for `virsh shutdown`. */
    virCapabilitiesAddGuestFeatureWithToggle(guest, VIR_CAPS_GUEST_FEATURE_TYPE_ACPI, true, true);
    virCapabilitiesAddGuestFeatureWithToggle(guest, VIR_CAPS_GUEST_FEATURE_TYPE_APIC, true, false);

    guest = virCapabilitiesAddGuest(caps, VIR_DOMAIN_OSTYPE_EXE, caps->host.arch,
                                    cfg->nsPath, NULL, 0, NULL);
    virCapabilitiesAddGuestDomain(guest, VIR_DOMAIN_VIRT_LXC, NULL, NULL, 0, NULL);

    (void)probe;
    return g_steal_pointer(&caps);
}

/* What a VM can carry today: a serial console on a pty, direct kernel boot, nothing that
 * needs a display, and no devices lite-vmm does not implement. virt-install 4.1 takes none
 * of its defaults from here (it decides by URI scheme; define refuses what it adds), but
 * virsh users and virt-manager's Add Hardware dialog read it, so every "no" is the truth. */
static void
liteDomainCapsFillVM(virDomainCaps *caps, const liteHostProbe *probe)
{
    caps->maxvcpus = probe->vmMaxVcpus;
    caps->os.supported = probe->vmOk ? VIR_TRISTATE_BOOL_YES : VIR_TRISTATE_BOOL_NO;
    caps->os.loader.supported = VIR_TRISTATE_BOOL_NO;
    caps->cpu.hostPassthrough = true;
    caps->cpu.maximum = false;
    caps->disk.supported = VIR_TRISTATE_BOOL_NO;
    caps->graphics.supported = VIR_TRISTATE_BOOL_NO;
    caps->video.supported = VIR_TRISTATE_BOOL_NO;
    caps->hostdev.supported = VIR_TRISTATE_BOOL_NO;
    caps->rng.supported = VIR_TRISTATE_BOOL_NO;
    caps->filesystem.supported = VIR_TRISTATE_BOOL_NO;
    caps->tpm.supported = VIR_TRISTATE_BOOL_NO;
    caps->redirdev.supported = VIR_TRISTATE_BOOL_NO;
    caps->channel.supported = VIR_TRISTATE_BOOL_NO;
}

static void
liteDomainCapsFillContainer(virDomainCaps *caps, const liteHostProbe *probe)
{
    caps->maxvcpus = virHostCPUGetCount() > 0 ? virHostCPUGetCount() : 1;
    caps->os.supported = probe->ctOk ? VIR_TRISTATE_BOOL_YES : VIR_TRISTATE_BOOL_NO;
    caps->os.loader.supported = VIR_TRISTATE_BOOL_NO;
    caps->disk.supported = VIR_TRISTATE_BOOL_NO;
    caps->graphics.supported = VIR_TRISTATE_BOOL_NO;
    caps->video.supported = VIR_TRISTATE_BOOL_NO;
    caps->hostdev.supported = VIR_TRISTATE_BOOL_NO;
    caps->rng.supported = VIR_TRISTATE_BOOL_NO;
    caps->filesystem.supported = VIR_TRISTATE_BOOL_YES;
    VIR_DOMAIN_CAPS_ENUM_SET(caps->filesystem.driverType, VIR_DOMAIN_FS_DRIVER_TYPE_DEFAULT);
    caps->tpm.supported = VIR_TRISTATE_BOOL_NO;
    caps->redirdev.supported = VIR_TRISTATE_BOOL_NO;
    caps->channel.supported = VIR_TRISTATE_BOOL_NO;
}

virDomainCaps *
liteBuildDomainCaps(liteDriverConfig *cfg, const liteHostProbe *probe,
                    virDomainVirtType virttype, virArch arch)
{
    bool vm = virttype == VIR_DOMAIN_VIRT_KVM;
    g_autoptr(virDomainCaps) caps = NULL;

    if (!(caps = virDomainCapsNew(vm ? cfg->vmmPath : cfg->nsPath, NULL, arch, virttype)))
        return NULL;
    if (vm)
        liteDomainCapsFillVM(caps, probe);
    else
        liteDomainCapsFillContainer(caps, probe);
    return g_steal_pointer(&caps);
}
