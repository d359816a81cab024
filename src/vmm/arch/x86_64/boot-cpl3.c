/* boot-cpl3.c: the lite-cpl3 protocol (contract in lite-cpl3.h): paging, GDT, TSSs, an IDT
 * whose #UD gate enters the CPL0 port-I/O trampoline, and the info block. */
#include "boot.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "control.h"
#include "elf-load.h"
#include "layout.h"

/* The trampoline, entered through the #UD gate at CPL0 on TSS.rsp0 with the iretq frame on
 * the stack. It may only use instructions that PVM's ring-0 emulation handles (push/pop, mov,
 * add, jmp, in/out, iretq): skip the 2-byte ud2, jump to the stub the guest chose in rcx. */
static const uint8_t tramp_entry[] = {
    0x48, 0x83, 0x04, 0x24, 0x02,   /* addq $2, (%rsp) */
    0xff, 0xe1,                     /* jmp *%rcx */
};
/* Each stub does one access and returns to CPL3. */
static const struct {
    uint8_t len;
    uint8_t code[4];
} tramp_stubs[LITE_CPL3_IO_COUNT] = {
    [LITE_CPL3_IO_OUTB] = { 3, { 0xee, 0x48, 0xcf } },         /* out %al,%dx; iretq */
    [LITE_CPL3_IO_INB] = { 3, { 0xec, 0x48, 0xcf } },          /* in %dx,%al; iretq */
    [LITE_CPL3_IO_OUTW] = { 4, { 0x66, 0xef, 0x48, 0xcf } },
    [LITE_CPL3_IO_INW] = { 4, { 0x66, 0xed, 0x48, 0xcf } },
    [LITE_CPL3_IO_OUTL] = { 3, { 0xef, 0x48, 0xcf } },
    [LITE_CPL3_IO_INL] = { 3, { 0xed, 0x48, 0xcf } },
};

static void
idt_gate(uint8_t gate[16], uint64_t target, uint16_t sel, uint8_t type, uint8_t dpl)
{
    memset(gate, 0, 16);
    gate[0] = (uint8_t)target;
    gate[1] = (uint8_t)(target >> 8);
    gate[2] = (uint8_t)sel;
    gate[3] = (uint8_t)(sel >> 8);
    gate[5] = (uint8_t)(0x80 | (dpl << 5) | type);
    gate[6] = (uint8_t)(target >> 16);
    gate[7] = (uint8_t)(target >> 24);
    memcpy(gate + 8, (const uint8_t[4]){ (uint8_t)(target >> 32), (uint8_t)(target >> 40),
                                         (uint8_t)(target >> 48), (uint8_t)(target >> 56) }, 4);
}

static int
write_trampoline(vmm_mem *mem, struct lite_cpl3_info *info)
{
    uint8_t idt[256 * 16] = { 0 };
    uint64_t at = VMM_GPA_TRAMPOLINE;
    int ret = 0;

    ret |= vmm_mem_write(mem, at, tramp_entry, sizeof(tramp_entry));
    at += 16;
    for (unsigned i = 0; i < LITE_CPL3_IO_COUNT; i++) {
        info->io_stub[i] = at;
        ret |= vmm_mem_write(mem, at, tramp_stubs[i].code, tramp_stubs[i].len);
        at += 8;
    }
    /* An interrupt gate: IF stays clear for the few CPL0 instructions, iretq restores it. */
    idt_gate(idt + 6 * 16, VMM_GPA_TRAMPOLINE, VMM_SEL_CODE64, 0xe, 0);
    ret |= vmm_mem_write(mem, VMM_GPA_IDT, idt, sizeof(idt));
    return ret ? -EFAULT : 0;
}

int
vmm_boot_cpl3(vmm_mem *mem, const vmm_boot_input *in, vmm_boot_plan *plan, vmm_error *err)
{
    struct lite_cpl3_info info = { 0 };
    struct lite_e820_entry e820[VMM_E820_MAX];
    uint64_t e820_gpa = VMM_GPA_BOOT_INFO + ((sizeof(info) + 15) & ~15ULL);
    vmm_elf_info elf;
    int ret;

    if ((ret = vmm_elf_probe(in->kernel, in->kernel_len, &elf, err)) < 0)
        return ret;
    /* Version 2 only added to the info block: a version-1 guest never looks at the rest. */
    if (elf.cpl3.version < 1 || elf.cpl3.version > LITE_CPL3_VERSION)
        return vmm_fail(err, LITE_ECODE_UNSUPPORTED, ENOEXEC,
                        "the guest asks for lite-cpl3 version %u; this lite-vmm provides 1 "
                        "to %d", elf.cpl3.version, LITE_CPL3_VERSION);
    if (in->nr_vcpus > VMM_CPL3_MAX_VCPUS)
        return vmm_fail(err, LITE_ECODE_UNSUPPORTED, EINVAL,
                        "a lite-cpl3 guest can have at most %d vCPUs, not %u",
                        VMM_CPL3_MAX_VCPUS, in->nr_vcpus);
    if (in->initrd)
        return vmm_fail(err, LITE_ECODE_UNSUPPORTED, EINVAL,
                        "a lite-cpl3 guest takes no initrd");
    if ((ret = vmm_elf_load(mem, in->kernel, in->kernel_len, VMM_GPA_HIGH, err)) < 0)
        return ret;
    if ((ret = vmm_boot_write_cmdline(mem, in->cmdline, VMM_CMDLINE_MAX, err)) < 0)
        return ret;

    info.magic = LITE_CPL3_INFO_MAGIC;
    info.version = LITE_CPL3_VERSION;
    info.nr_vcpus = in->nr_vcpus;
    info.ram_size = mem->ram_size;
    info.e820_entries = vmm_e820_build(mem, true, e820);
    info.e820_paddr = e820_gpa;
    info.cmdline_paddr = VMM_GPA_CMDLINE;
    info.idt_paddr = VMM_GPA_IDT;
    info.serial_port = VMM_PORT_COM1;
    info.serial_irq = VMM_IRQ_COM1;
    info.pm1_evt_port = VMM_PORT_PM1_EVT;
    info.pm1_cnt_port = VMM_PORT_PM1_CNT;
    info.sci_irq = VMM_IRQ_SCI;
    info.slp_typ_s5 = VMM_SLP_TYP_S5;
    info.reset_port = VMM_PORT_RESET;
    info.reset_value = VMM_RESET_VALUE;
    info.lapic_paddr = VMM_GPA_LAPIC;
    info.ioapic_paddr = VMM_GPA_IOAPIC;
    info.idle_paddr = VMM_GPA_CPL3_IDLE;

    if ((ret = vmm_boot_write_machine(mem, in->nr_vcpus, plan, err)) < 0)
        return ret;
    if (write_trampoline(mem, &info) < 0)
        return vmm_fail(err, LITE_ECODE_FAILED, EFAULT, "cannot write the trampoline");
    info.rsdp_paddr = plan->rsdp;
    vmm_mem_write(mem, e820_gpa, e820, info.e820_entries * sizeof(e820[0]));
    vmm_mem_write(mem, VMM_GPA_BOOT_INFO, &info, sizeof(info));

    plan->protocol = VMM_BOOT_CPL3;
    plan->entry = elf.cpl3.entry ? elf.cpl3.entry : elf.entry;
    plan->boot_info = VMM_GPA_BOOT_INFO;
    plan->xsave = in->xsave;
    return 0;
}
