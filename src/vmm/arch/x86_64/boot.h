/* boot.h: loading a kernel into guest RAM with the protocol its file asks for, and the
 * register state each vCPU starts with. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "guest-mem.h"
#include "lite-cpl3.h"
#include "vmm-error.h"

typedef enum {
    VMM_BOOT_CPL3 = 0,        /* lite-cpl3 ELF: 64-bit, CPL3, every vCPU at once */
    VMM_BOOT_PVH,             /* Xen PVH ELF: 32-bit protected mode, BSP only */
    VMM_BOOT_LINUX,           /* bzImage, 64-bit boot protocol, BSP only */
} vmm_boot_protocol;

typedef struct {
    const uint8_t *kernel;
    size_t kernel_len;
    const uint8_t *initrd;    /* NULL: none */
    size_t initrd_len;
    const char *cmdline;      /* NULL: empty */
    unsigned nr_vcpus;
    bool host_is_pvm;         /* refuse what cannot run on a PVM /dev/kvm */
    bool xsave;               /* KVM_CAP_XCRS: CPL3 guests get CR4.OSXSAVE */
} vmm_boot_input;

typedef struct {
    vmm_boot_protocol protocol;
    uint64_t entry;
    uint64_t boot_info;       /* rdi (cpl3), ebx (PVH start_info), rsi (boot_params) */
    uint64_t rsdp;
    uint64_t initrd_gpa;
    bool xsave;
} vmm_boot_plan;

const char *vmm_boot_protocol_name(vmm_boot_protocol p);
/* Which protocol @img asks for: 0, or -ENOEXEC with @err naming what was found. */
int vmm_boot_detect(const uint8_t *img, size_t len, vmm_boot_protocol *out, vmm_error *err);
/* Loads kernel, initrd and command line and writes every boot structure (page tables, GDT,
 * e820, ACPI, the protocol's info block). RAM must be zero. */
int vmm_boot_load(vmm_mem *mem, const vmm_boot_input *in, vmm_boot_plan *plan,
                  vmm_error *err);
/* The registers vCPU @index starts with; @sregs holds the vCPU's reset state on entry.
 * Returns false when this vCPU does not start at the entry point (an AP waiting for
 * INIT/SIPI). */
bool vmm_boot_vcpu_regs(const vmm_boot_plan *plan, unsigned index, struct kvm_sregs *sregs,
                        struct kvm_regs *regs);

/* Pieces shared by the protocols (boot-common.c). */
#define VMM_E820_MAX 8
unsigned vmm_e820_build(const vmm_mem *mem, bool low_reserved,
                        struct lite_e820_entry out[VMM_E820_MAX]);
int vmm_boot_write_cpu_tables(vmm_mem *mem, unsigned nr_vcpus);
/* ACPI tables and CPU tables (paging, GDT, TSSs); the RSDP's address in @plan. */
int vmm_boot_write_machine(vmm_mem *mem, unsigned nr_vcpus, vmm_boot_plan *plan,
                           vmm_error *err);
int vmm_boot_write_cmdline(vmm_mem *mem, const char *cmdline, size_t max, vmm_error *err);
/* Where an initrd of @len bytes goes: the highest page-aligned address below @limit (and
 * the end of low RAM) that stays above @floor. */
int vmm_boot_place_initrd(const vmm_mem *mem, size_t len, uint64_t floor, uint64_t limit,
                          uint64_t *gpa, vmm_error *err);

/* The protocols (boot-cpl3.c, boot-pvh.c, boot-linux.c). */
int vmm_boot_cpl3(vmm_mem *mem, const vmm_boot_input *in, vmm_boot_plan *plan,
                  vmm_error *err);
int vmm_boot_pvh(vmm_mem *mem, const vmm_boot_input *in, vmm_boot_plan *plan,
                 vmm_error *err);
int vmm_boot_linux(vmm_mem *mem, const vmm_boot_input *in, vmm_boot_plan *plan,
                   vmm_error *err);

/* acpi.c: RSDP, XSDT, FADT, FACS, DSDT, MADT from VMM_GPA_ACPI; the RSDP address. */
int vmm_acpi_build(vmm_mem *mem, unsigned nr_vcpus, uint64_t *rsdp);
