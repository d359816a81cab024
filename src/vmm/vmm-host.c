/* vmm-host.c: recognizing a PVM host, where guest ring 0 is emulated and a stock kernel cannot
 * boot. Both signs are required, so real hardware (svm/vmx present) is never mistaken for
 * it, whatever modules are loaded. */
#include "vmm-host.h"

#include <string.h>
#include <unistd.h>

#include <glib.h>

static bool
cpu_has_hw_virt(const char *cpuinfo)
{
    g_auto(GStrv) lines = g_strsplit(cpuinfo, "\n", -1);

    for (size_t i = 0; lines[i]; i++) {
        g_auto(GStrv) words = NULL;

        if (!g_str_has_prefix(lines[i], "flags"))
            continue;
        words = g_strsplit_set(lines[i], " \t", -1);
        for (size_t j = 0; words[j]; j++) {
            if (strcmp(words[j], "svm") == 0 || strcmp(words[j], "vmx") == 0)
                return true;
        }
    }
    return false;
}

bool
vmm_host_is_pvm(const char *root)
{
    g_autofree char *cpuinfo_path = g_strdup_printf("%s/proc/cpuinfo", root);
    g_autofree char *module_path = g_strdup_printf("%s/sys/module/kvm_pvm", root);
    g_autofree char *cpuinfo = NULL;

    if (access(module_path, F_OK) != 0)
        return false;
    if (!g_file_get_contents(cpuinfo_path, &cpuinfo, NULL, NULL))
        return true;
    return !cpu_has_hw_virt(cpuinfo);
}
