/* layout.h: the x86_64 guest-physical memory map every boot protocol of lite-vmm shares. */
#pragma once

/*
 * GPA                       what
 * 0x00000000 - 0x00000fff   unused (real-mode IVT area; left zero)
 * 0x00001000                boot info: lite_cpl3_info or PVH hvm_start_info (+ its memmap)
 * 0x00002000                GDT (layout below), one page
 * 0x00003000 - 0x00004fff   64-bit TSS per vCPU, VMM_TSS_STRIDE bytes each
 * 0x00005000                IDT, 256 gates
 * 0x00006000                CPL0 port-I/O trampoline (lite-cpl3 guests)
 * 0x00007000                Linux boot_params (the zero page)
 * 0x00008000                PML4, 0x9000 PDPT, 0xa000-0xdfff four PDs: 2 MiB identity map of
 *                           the first 4 GiB; 3-4 GiB uncached (LAPIC, IOAPIC)
 * 0x00020000 - 0x0002ffff   kernel command line
 * 0x00040000 - 0x0004ffff   per-vCPU CPL0 stacks (TSS.rsp0), VMM_RSP0_STACK bytes each
 * 0x00050000 - 0x0008ffff   per-vCPU initial stacks of lite-cpl3 guests
 * 0x0009fc00 - 0x000fffff   reserved (EBDA, BIOS); ACPI tables from 0xe0000 (RSDP first, so a
 *                           kernel scanning the BIOS area finds it too)
 * 0x00100000 -              kernel image (bzImage protected-mode part, or ELF segments)
 * RAM above 3 GiB is moved to 4 GiB: [3 GiB, 4 GiB) is the MMIO hole (IOAPIC, LAPIC, the
 * lite-cpl3 idle register).
 */
#define VMM_GPA_BOOT_INFO     0x1000ULL
#define VMM_GPA_GDT           0x2000ULL
#define VMM_GPA_TSS           0x3000ULL
#define VMM_TSS_STRIDE        0x80ULL
#define VMM_GPA_IDT           0x5000ULL
#define VMM_GPA_TRAMPOLINE    0x6000ULL
#define VMM_GPA_ZERO_PAGE     0x7000ULL
#define VMM_GPA_PML4          0x8000ULL
#define VMM_GPA_PDPT          0x9000ULL
#define VMM_GPA_PD            0xa000ULL
#define VMM_GPA_CMDLINE       0x20000ULL
#define VMM_CMDLINE_MAX       0x10000ULL
#define VMM_GPA_RSP0_STACKS   0x40000ULL
#define VMM_RSP0_STACK        0x800ULL
#define VMM_GPA_USER_STACKS   0x50000ULL
#define VMM_USER_STACK        0x2000ULL
#define VMM_GPA_EBDA          0x9fc00ULL
#define VMM_GPA_ACPI          0xe0000ULL
#define VMM_ACPI_MAX          0x20000ULL
#define VMM_GPA_HIGH          0x100000ULL
#define VMM_GPA_KERNEL        0x100000ULL

#define VMM_MMIO_HOLE_START   0xc0000000ULL
#define VMM_MMIO_HOLE_END     0x100000000ULL
#define VMM_GPA_IOAPIC        0xfec00000ULL
#define VMM_GPA_LAPIC         0xfee00000ULL
/* The lite-cpl3 idle register (lite-cpl3.h): no RAM and no in-kernel device behind it, so a
 * write is an MMIO exit to lite-vmm. Only lite-cpl3 guests are told of it. */
#define VMM_GPA_CPL3_IDLE     0xfeb00000ULL

/* Only for Intel VMX hosts (real mode emulation needs them); placed in the MMIO hole. */
#define VMM_GPA_KVM_TSS       0xfffbd000ULL

/* lite-cpl3 guests get one TSS and one pair of stacks per vCPU below 1 MiB. */
#define VMM_CPL3_MAX_VCPUS    32

/* GDT selectors. The order (kernel CS64, kernel DS, user DS, user CS64) is the one SYSCALL and
 * SYSRET expect with STAR[47:32] = 0x10 and STAR[63:48] = 0x18; 0x10/0x18 are also Linux's
 * __BOOT_CS/__BOOT_DS. */
#define VMM_SEL_CODE32        0x08
#define VMM_SEL_CODE64        0x10
#define VMM_SEL_DATA          0x18
#define VMM_SEL_USER_DATA     0x20
#define VMM_SEL_USER_CODE64   0x28
#define VMM_SEL_TSS(i)        (0x30 + 16 * (i))

/* Legacy I/O ports and interrupts. */
#define VMM_PORT_COM1         0x3f8
#define VMM_IRQ_COM1          4
#define VMM_PORT_PM1_EVT      0x600   /* PM1a status (2 bytes) + enable (2 bytes) */
#define VMM_PORT_PM1_CNT      0x604   /* PM1a control, 2 bytes */
#define VMM_PORT_PM_TMR       0x608   /* ACPI PM timer, 4 bytes */
#define VMM_PM_LEN            0x0c
#define VMM_IRQ_SCI           9
#define VMM_PORT_RESET        0xcf9   /* also the FADT reset register */
#define VMM_RESET_VALUE       0x06
#define VMM_PORT_I8042_CMD    0x64
#define VMM_SLP_TYP_S5        5
