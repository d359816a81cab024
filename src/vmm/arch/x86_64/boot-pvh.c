/* boot-pvh.c: the Xen PVH direct boot ABI (HVM start_info version 1): the ELF's
 * XEN_ELFNOTE_PHYS32_ENTRY is entered in 32-bit protected mode, paging off, ebx = start_info.
 * Layout of the info page at VMM_GPA_BOOT_INFO: start_info at +0, the initrd's module entry
 * at +0x40, the memory map from +0x80. */
#include "boot.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "control.h"
#include "elf-load.h"
#include "layout.h"

#define PVH_START_MAGIC 0x336ec578u

struct pvh_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr;
    uint32_t memmap_entries;
    uint32_t reserved;
} __attribute__((packed));

struct pvh_module {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
} __attribute__((packed));

struct pvh_memmap_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
} __attribute__((packed));

#define PVH_MODULE_OFF 0x40
#define PVH_MEMMAP_OFF 0x80

int
vmm_boot_pvh(vmm_mem *mem, const vmm_boot_input *in, vmm_boot_plan *plan, vmm_error *err)
{
    struct pvh_start_info si = { 0 };
    struct lite_e820_entry e820[VMM_E820_MAX];
    vmm_elf_info elf;
    unsigned n;
    int ret;

    if ((ret = vmm_elf_probe(in->kernel, in->kernel_len, &elf, err)) < 0)
        return ret;
    if (elf.pvh_entry >= 0x100000000ULL)
        return vmm_fail(err, LITE_ECODE_UNSUPPORTED, ENOEXEC,
                        "the PVH entry point is above 4 GiB, unreachable in 32-bit mode");
    if ((ret = vmm_elf_load(mem, in->kernel, in->kernel_len, VMM_GPA_HIGH, err)) < 0)
        return ret;
    if ((ret = vmm_boot_write_cmdline(mem, in->cmdline, VMM_CMDLINE_MAX, err)) < 0)
        return ret;
    if (in->initrd) {
        struct pvh_module mod = { .size = in->initrd_len };
        uint64_t gpa;

        if ((ret = vmm_boot_place_initrd(mem, in->initrd_len, elf.load_end, VMM_MMIO_HOLE_START,
                                         &gpa, err)) < 0)
            return ret;
        mod.paddr = gpa;
        vmm_mem_write(mem, mod.paddr, in->initrd, in->initrd_len);
        vmm_mem_write(mem, VMM_GPA_BOOT_INFO + PVH_MODULE_OFF, &mod, sizeof(mod));
        si.nr_modules = 1;
        si.modlist_paddr = VMM_GPA_BOOT_INFO + PVH_MODULE_OFF;
        plan->initrd_gpa = mod.paddr;
    }
    if ((ret = vmm_boot_write_machine(mem, in->nr_vcpus, plan, err)) < 0)
        return ret;

    n = vmm_e820_build(mem, false, e820);
    for (unsigned i = 0; i < n; i++) {
        struct pvh_memmap_entry e = { e820[i].addr, e820[i].size, e820[i].type, 0 };

        vmm_mem_write(mem, VMM_GPA_BOOT_INFO + PVH_MEMMAP_OFF + i * sizeof(e), &e, sizeof(e));
    }
    si.magic = PVH_START_MAGIC;
    si.version = 1;
    si.cmdline_paddr = VMM_GPA_CMDLINE;
    si.rsdp_paddr = plan->rsdp;
    si.memmap_paddr = VMM_GPA_BOOT_INFO + PVH_MEMMAP_OFF;
    si.memmap_entries = n;
    vmm_mem_write(mem, VMM_GPA_BOOT_INFO, &si, sizeof(si));

    plan->protocol = VMM_BOOT_PVH;
    plan->entry = elf.pvh_entry;
    plan->boot_info = VMM_GPA_BOOT_INFO;
    return 0;
}
