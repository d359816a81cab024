/* lite_host.c: sysinfo with a fallback for hosts without DMI, and the check that the
 * running libvirt is exactly the build this module was compiled against. */
#include <config.h>

#include <elf.h>
#include <link.h>

#include "lite_host.h"

#include "virfile.h"
#include "virlog.h"

#include "lite_i18n.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.host");

static char *
cpuinfoValue(const char *cpuinfo, const char *key)
{
    g_auto(GStrv) lines = g_strsplit(cpuinfo, "\n", -1);

    for (size_t i = 0; lines[i]; i++) {
        char *colon = strchr(lines[i], ':');

        if (colon && STREQLEN(lines[i], key, strlen(key)) &&
            strspn(lines[i] + strlen(key), " \t") == (size_t)(colon - lines[i] - strlen(key)))
            return g_strstrip(g_strdup(colon + 1));
    }
    return NULL;
}

virSysinfoDef *
liteHostSysinfoRead(void)
{
    virSysinfoDef *def;
    g_autofree char *cpuinfo = NULL;
    int sockets = 1;

    if ((def = virSysinfoRead()) &&
        (def->system || def->bios || def->nprocessor > 0))
        return def;
    virSysinfoDefFree(def);
    virResetLastError();

    if (virFileReadAll("/proc/cpuinfo", 1024 * 1024, &cpuinfo) < 0) {
        virResetLastError();
        return NULL;
    }
    def = g_new0(virSysinfoDef, 1);
    def->type = VIR_SYSINFO_SMBIOS;
    def->nprocessor = sockets;
    def->processor = g_new0(virSysinfoProcessorDef, sockets);
    def->processor[0].processor_socket_destination = g_strdup("CPU 0");
    def->processor[0].processor_type = g_strdup("Central Processor");
    def->processor[0].processor_manufacturer = cpuinfoValue(cpuinfo, "vendor_id");
    def->processor[0].processor_version = cpuinfoValue(cpuinfo, "model name");
    def->processor[0].processor_family = cpuinfoValue(cpuinfo, "cpu family");
    return def;
}

int
liteCheckLibvirtBuild(unsigned long builtVersion, const char *builtId,
                      unsigned long runningVersion, const char *runningId, char **msg)
{
    if (builtVersion == runningVersion &&
        (!builtId || !*builtId || !runningId || STREQ(builtId, runningId)))
        return 0;
    *msg = g_strdup_printf(_("libvirt_driver_lite.so was built against libvirt %lu.%lu.%lu "
                             "(build-id %s) but the running libvirt is %lu.%lu.%lu (build-id "
                             "%s): rebuild and reinstall virt-lite for this libvirt"),
                           builtVersion / 1000000, builtVersion / 1000 % 1000,
                           builtVersion % 1000, builtId && *builtId ? builtId : "unknown",
                           runningVersion / 1000000, runningVersion / 1000 % 1000,
                           runningVersion % 1000, runningId ? runningId : "unknown");
    return -1;
}

typedef struct {
    char *id;
} buildIdSearch;

static int
findLibvirtBuildId(struct dl_phdr_info *info, size_t size G_GNUC_UNUSED, void *opaque)
{
    buildIdSearch *search = opaque;

    if (!info->dlpi_name || !strstr(info->dlpi_name, "/libvirt.so.0"))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
        const char *end = p + ph->p_memsz;

        if (ph->p_type != PT_NOTE)
            continue;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const unsigned char *desc = (const unsigned char *)(p + sizeof(*nh) +
                                                                VIR_ROUND_UP(nh->n_namesz, 4));

            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                memcmp(p + sizeof(*nh), "GNU", 4) == 0) {
                search->id = g_malloc0(nh->n_descsz * 2 + 1);
                for (size_t j = 0; j < nh->n_descsz; j++)
                    sprintf(search->id + 2 * j, "%02x", desc[j]);
                return 1;
            }
            p += sizeof(*nh) + VIR_ROUND_UP(nh->n_namesz, 4) + VIR_ROUND_UP(nh->n_descsz, 4);
        }
    }
    return 0;
}

char *
liteRunningLibvirtBuildId(void)
{
    buildIdSearch search = { 0 };

    dl_iterate_phdr(findLibvirtBuildId, &search);
    return search.id;
}
