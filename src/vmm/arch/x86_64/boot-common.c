/* boot-common.c: what every boot protocol shares: detection, e820, page tables, GDT and TSSs,
 * command line and initrd placement, and the vCPU start registers. */
#include "boot.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <glib.h>

#include "control.h"
#include "elf-load.h"
#include "layout.h"

#define PTE_P    0x001ULL
#define PTE_RW   0x002ULL
#define PTE_US   0x004ULL
#define PTE_PWT  0x008ULL
#define PTE_PCD  0x010ULL
#define PTE_PS   0x080ULL

#define CR0_PE   0x00000001ULL
#define CR0_MP   0x00000002ULL
#define CR0_ET   0x00000010ULL
#define CR0_NE   0x00000020ULL
#define CR0_WP   0x00010000ULL
#define CR0_AM   0x00040000ULL
#define CR0_PG   0x80000000ULL
#define CR4_PAE  0x00000020ULL
#define CR4_OSFXSR 0x00000200ULL
#define CR4_OSXMMEXCPT 0x00000400ULL
#define CR4_OSXSAVE 0x00040000ULL
#define EFER_SCE 0x001ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

const char *
vmm_boot_protocol_name(vmm_boot_protocol p)
{
    static const char *const names[] = { "lite-cpl3", "pvh", "linux" };

    return names[p];
}

int
vmm_boot_detect(const uint8_t *img, size_t len, vmm_boot_protocol *out, vmm_error *err)
{
    vmm_elf_info info;
    int ret;

    if (vmm_elf_is_elf(img, len)) {
        if ((ret = vmm_elf_probe(img, len, &info, err)) < 0)
            return ret;
        if (info.has_cpl3)
            *out = VMM_BOOT_CPL3;
        else if (info.has_pvh)
            *out = VMM_BOOT_PVH;
        else
            return vmm_fail(err, LITE_ECODE_UNSUPPORTED, ENOEXEC,
                            "the kernel is an ELF file without a PVH entry note "
                            "(XEN_ELFNOTE_PHYS32_ENTRY) or a lite-cpl3 note: use a bzImage, "
                            "a kernel built with PVH support, or a lite-cpl3 guest");
        return 0;
    }
    /* A bzImage: the boot sector signature and the setup header magic "HdrS". */
    if (len >= 0x206 && img[0x1fe] == 0x55 && img[0x1ff] == 0xaa &&
        memcmp(img + 0x202, "HdrS", 4) == 0) {
        *out = VMM_BOOT_LINUX;
        return 0;
    }
    return vmm_fail(err, LITE_ECODE_UNSUPPORTED, ENOEXEC,
                    "the kernel is neither a bzImage nor an ELF file (PVH or lite-cpl3)");
}

int
vmm_boot_load(vmm_mem *mem, const vmm_boot_input *in, vmm_boot_plan *plan, vmm_error *err)
{
    vmm_boot_protocol p;
    int ret;

    memset(plan, 0, sizeof(*plan));
    if ((ret = vmm_boot_detect(in->kernel, in->kernel_len, &p, err)) < 0)
        return ret;
    switch (p) {
    case VMM_BOOT_CPL3:
        return vmm_boot_cpl3(mem, in, plan, err);
    case VMM_BOOT_PVH:
        return vmm_boot_pvh(mem, in, plan, err);
    default:
        if (in->host_is_pvm)
            return vmm_fail(err, LITE_ECODE_UNSUPPORTED, ENOTSUP,
                            "this host's /dev/kvm is PVM (kvm_pvm, no svm/vmx CPU flags): it "
                            "runs guest ring 0 only by slow emulation that a Linux kernel "
                            "(bzImage) cannot boot under; run this domain on a host with "
                            "hardware virtualization (or nested SVM/VMX), or boot a PVH or "
                            "lite-cpl3 ELF guest here");
        return vmm_boot_linux(mem, in, plan, err);
    }
}

unsigned
vmm_e820_build(const vmm_mem *mem, bool low_reserved, struct lite_e820_entry out[VMM_E820_MAX])
{
    unsigned n = 0;

    if (low_reserved) {
        out[n++] = (struct lite_e820_entry){ 0, VMM_GPA_HIGH, 2 };
    } else {
        out[n++] = (struct lite_e820_entry){ 0, VMM_GPA_EBDA, 1 };
        out[n++] = (struct lite_e820_entry){ VMM_GPA_EBDA, VMM_GPA_HIGH - VMM_GPA_EBDA, 2 };
    }
    for (unsigned i = 0; i < mem->nr_regions; i++) {
        const vmm_mem_region *r = &mem->regions[i];
        uint64_t start = MAX(r->gpa, VMM_GPA_HIGH);

        if (r->gpa + r->size > start)
            out[n++] = (struct lite_e820_entry){ start, r->gpa + r->size - start, 1 };
    }
    return n;
}

static uint64_t
gdt_entry(uint32_t base, uint32_t limit, uint16_t flags)
{
    /* flags: bits 0-7 access byte, bits 12-15 granularity nibble (G, D/B, L, AVL). */
    return ((uint64_t)(base & 0xff000000) << 32) | ((uint64_t)(flags & 0xf0ff) << 40) |
           ((uint64_t)(limit & 0xf0000) << 32) | ((uint64_t)(base & 0x00ffffff) << 16) |
           (limit & 0xffff);
}

int
vmm_boot_write_cpu_tables(vmm_mem *mem, unsigned nr_vcpus)
{
    uint64_t gdt[6 + 2 * VMM_CPL3_MAX_VCPUS] = { 0 };
    uint64_t pml4 = VMM_GPA_PDPT | PTE_P | PTE_RW | PTE_US;
    uint64_t pdpt[4];
    int ret = 0;

    nr_vcpus = MIN(nr_vcpus, VMM_CPL3_MAX_VCPUS);
    /* Identity map of 4 GiB: user-accessible everywhere (lite-cpl3 guests run at CPL3),
     * uncached in the MMIO hole. */
    for (unsigned i = 0; i < 4; i++) {
        uint64_t pd[512];

        pdpt[i] = (VMM_GPA_PD + i * VMM_PAGE_SIZE) | PTE_P | PTE_RW | PTE_US;
        for (unsigned j = 0; j < 512; j++) {
            uint64_t addr = ((uint64_t)i << 30) | ((uint64_t)j << 21);

            pd[j] = addr | PTE_P | PTE_RW | PTE_US | PTE_PS |
                    (addr >= VMM_MMIO_HOLE_START ? PTE_PCD | PTE_PWT : 0);
        }
        ret |= vmm_mem_write(mem, VMM_GPA_PD + i * VMM_PAGE_SIZE, pd, sizeof(pd));
    }
    ret |= vmm_mem_write(mem, VMM_GPA_PML4, &pml4, sizeof(pml4));
    ret |= vmm_mem_write(mem, VMM_GPA_PDPT, pdpt, sizeof(pdpt));

    gdt[VMM_SEL_CODE32 / 8] = gdt_entry(0, 0xfffff, 0xc09b);
    gdt[VMM_SEL_CODE64 / 8] = gdt_entry(0, 0xfffff, 0xa09b);
    gdt[VMM_SEL_DATA / 8] = gdt_entry(0, 0xfffff, 0xc093);
    gdt[VMM_SEL_USER_DATA / 8] = gdt_entry(0, 0xfffff, 0xc0f3);
    gdt[VMM_SEL_USER_CODE64 / 8] = gdt_entry(0, 0xfffff, 0xa0fb);
    for (unsigned i = 0; i < nr_vcpus; i++) {
        uint64_t tss_gpa = VMM_GPA_TSS + i * VMM_TSS_STRIDE;
        uint64_t rsp0 = VMM_GPA_RSP0_STACKS + (i + 1) * VMM_RSP0_STACK;
        uint8_t tss[104] = { 0 };
        uint16_t iomap = sizeof(tss);

        /* A busy 64-bit TSS (type 0xb); the upper half of the descriptor holds base 63:32. */
        gdt[VMM_SEL_TSS(i) / 8] = gdt_entry((uint32_t)tss_gpa, sizeof(tss) - 1, 0x008b);
        gdt[VMM_SEL_TSS(i) / 8 + 1] = tss_gpa >> 32;
        memcpy(tss + 4, &rsp0, sizeof(rsp0));
        memcpy(tss + 102, &iomap, sizeof(iomap));
        ret |= vmm_mem_write(mem, tss_gpa, tss, sizeof(tss));
    }
    ret |= vmm_mem_write(mem, VMM_GPA_GDT, gdt, sizeof(gdt));
    return ret ? -EFAULT : 0;
}

int
vmm_boot_write_machine(vmm_mem *mem, unsigned nr_vcpus, vmm_boot_plan *plan, vmm_error *err)
{
    if (vmm_acpi_build(mem, nr_vcpus, &plan->rsdp) < 0 ||
        vmm_boot_write_cpu_tables(mem, nr_vcpus) < 0)
        return vmm_fail(err, LITE_ECODE_FAILED, EFAULT,
                        "guest RAM is too small for the boot structures");
    return 0;
}

int
vmm_boot_write_cmdline(vmm_mem *mem, const char *cmdline, size_t max, vmm_error *err)
{
    size_t len = cmdline ? strlen(cmdline) : 0;

    if (len + 1 > MIN(max, VMM_CMDLINE_MAX))
        return vmm_fail(err, LITE_ECODE_UNSUPPORTED, E2BIG,
                        "the kernel command line is %zu bytes; this kernel takes at most %zu",
                        len, (size_t)MIN(max, VMM_CMDLINE_MAX) - 1);
    vmm_mem_write(mem, VMM_GPA_CMDLINE, cmdline ? cmdline : "", len);
    vmm_mem_fill(mem, VMM_GPA_CMDLINE + len, 0, 1);
    return 0;
}

int
vmm_boot_place_initrd(const vmm_mem *mem, size_t len, uint64_t floor, uint64_t limit,
                      uint64_t *gpa, vmm_error *err)
{
    uint64_t top = MIN(limit, mem->regions[0].size);
    uint64_t addr;

    if (len > top || ((top - len) & ~(VMM_PAGE_SIZE - 1)) < floor)
        return vmm_fail(err, LITE_ECODE_UNSUPPORTED, EFBIG,
                        "the initrd (%zu bytes) does not fit in guest RAM between the kernel "
                        "(ends at 0x%" PRIx64 ") and 0x%" PRIx64 ": "
                        "give the domain more memory", len, (guint64)floor, (guint64)top);
    addr = (top - len) & ~(VMM_PAGE_SIZE - 1);
    *gpa = addr;
    return 0;
}

static struct kvm_segment
segment(uint16_t sel, uint8_t type, uint8_t dpl, bool code64, bool db)
{
    return (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type, .present = 1,
        .dpl = dpl, .db = db, .s = 1, .l = code64, .g = 1,
    };
}

static void
set_tables(struct kvm_sregs *s, unsigned index)
{
    unsigned tss_index = MIN(index, VMM_CPL3_MAX_VCPUS - 1);

    s->gdt.base = VMM_GPA_GDT;
    s->gdt.limit = (uint16_t)(VMM_SEL_TSS(VMM_CPL3_MAX_VCPUS) - 1);
    s->idt.base = VMM_GPA_IDT;
    s->idt.limit = 0;
    /* Type 11: a busy TSS, 64-bit in long mode, 32-bit (what PVH asks for) otherwise. */
    s->tr = (struct kvm_segment){
        .base = VMM_GPA_TSS + tss_index * VMM_TSS_STRIDE, .limit = 103,
        .selector = (uint16_t)VMM_SEL_TSS(tss_index), .type = 11, .present = 1,
    };
    s->ldt = (struct kvm_segment){ .type = 2, .present = 1, .limit = 0xffff };
    memset(s->interrupt_bitmap, 0, sizeof(s->interrupt_bitmap));
}

bool
vmm_boot_vcpu_regs(const vmm_boot_plan *plan, unsigned index, struct kvm_sregs *s,
                   struct kvm_regs *r)
{
    memset(r, 0, sizeof(*r));
    r->rflags = 0x2;
    r->rip = plan->entry;

    switch (plan->protocol) {
    case VMM_BOOT_CPL3:
        set_tables(s, index);
        s->idt.limit = 256 * 16 - 1;
        s->cs = segment(VMM_SEL_USER_CODE64 | 3, 11, 3, true, false);
        s->ss = s->ds = s->es = s->fs = s->gs = segment(VMM_SEL_USER_DATA | 3, 3, 3, false, true);
        s->cr0 = CR0_PG | CR0_AM | CR0_WP | CR0_NE | CR0_ET | CR0_MP | CR0_PE;
        s->cr3 = VMM_GPA_PML4;
        s->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | (plan->xsave ? CR4_OSXSAVE : 0);
        s->efer = EFER_LME | EFER_LMA | EFER_SCE;
        r->rflags = 0x202;
        r->rdi = plan->boot_info;
        r->rsi = index;
        r->rsp = VMM_GPA_USER_STACKS + (index + 1) * VMM_USER_STACK;
        return true;
    case VMM_BOOT_PVH:
        if (index)
            return false;
        set_tables(s, index);
        s->cs = segment(VMM_SEL_CODE32, 11, 0, false, true);
        s->ss = s->ds = s->es = s->fs = s->gs = segment(VMM_SEL_DATA, 3, 0, false, true);
        s->cr0 = CR0_ET | CR0_PE;
        s->cr3 = 0;
        s->cr4 = 0;
        s->efer = 0;
        r->rbx = plan->boot_info;
        return true;
    default:
        if (index)
            return false;
        set_tables(s, index);
        s->cs = segment(VMM_SEL_CODE64, 11, 0, true, false);
        s->ss = s->ds = s->es = s->fs = s->gs = segment(VMM_SEL_DATA, 3, 0, false, true);
        s->cr0 = CR0_PG | CR0_ET | CR0_PE;
        s->cr3 = VMM_GPA_PML4;
        s->cr4 = CR4_PAE;
        s->efer = EFER_LME | EFER_LMA;
        r->rsi = plan->boot_info;
        return true;
    }
}
