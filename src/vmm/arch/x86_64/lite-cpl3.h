/* lite-cpl3.h: the lite-cpl3 boot contract: how lite-vmm starts a 64-bit ELF guest directly at
 * CPL3 (freestanding test guests, unikernels). Freestanding: guests include it too.
 *
 * The guest ELF64 (ET_EXEC, x86_64) carries a note in a PT_NOTE segment:
 *   name "LiteVMM" (namesz 8), type LITE_CPL3_NOTE_TYPE, desc struct lite_cpl3_note.
 * PT_LOAD segments are loaded at p_paddr (>= 1 MiB, inside RAM, not overlapping), the rest
 * of each segment up to p_memsz is zero.
 *
 * What the VMM sets up (addresses in layout.h, all inside guest RAM and writable by the guest):
 * - identity paging of [0, 4 GiB) with 2 MiB pages, user-accessible at every level, the
 *   [3 GiB, 4 GiB) MMIO hole uncached (LAPIC 0xfee00000, IOAPIC 0xfec00000);
 * - GDT: 0x10 kernel CS64, 0x18 kernel DS, 0x23 user DS, 0x2b user CS64, 0x30 + 16*i the
 *   busy 64-bit TSS of vCPU i (rsp0 = a private 2 KiB stack);
 * - IDT at info->idt_paddr: only vector 6 (#UD) is present; it enters the CPL0 trampoline.
 *   The guest adds its own gates (trap gates, type 0xF, selector 0x2b, DPL 3: with interrupt
 *   gates IF could never be set again at CPL3). Any other exception is a triple fault, which
 *   the VMM handles per on_crash.
 * - port I/O: in/out/hlt/cli/sti fault at CPL3 (and on PVM hosts always). To do port I/O, load
 *   rcx = info->io_stub[LITE_CPL3_IO_*], edx = port, eax = value (for out), execute ud2: the
 *   trampoline skips the ud2, does the access at CPL0 and returns; "in" results land in
 *   al/ax/eax, no other register changes.
 * - interrupts: in-kernel LAPIC (software-disabled until the guest sets SVR) and IOAPIC (all
 *   pins masked). The 8259 is disconnected: LAPIC LVT0 starts masked (its vector base 0
 *   would hit exception vectors). On PVM hosts route IOAPIC pins edge-triggered: a
 *   level-triggered pin delivered to a CPL3 trap gate triple-faults there.
 * - every vCPU starts at the entry point at once (there is no INIT/SIPI at CPL3), with
 *   rdi = GPA of struct lite_cpl3_info, rsi = vCPU index, rsp = top of a private 8 KiB stack
 *   (16-byte aligned), rflags = 0x202, cs = 0x2b, ss/ds/es/fs/gs = 0x23, CR4.OSXSAVE and
 *   XCR0 (x87|SSE|AVX as far as supported) only when the host has KVM_CAP_XCRS.
 * - idle (version 2): hlt faults at CPL3, so a vCPU idles by writing its wake word's GPA to
 *   the idle register (see "Idle" below) instead of spinning.
 * - the devices are the ones every boot protocol sees: 16550 at 0x3f8 (IRQ 4), ACPI PM1 event
 *   block at 0x600 (fixed power button, SCI on IRQ 9, level, active high), PM1 control at
 *   0x604 (SLP_TYP 5 + SLP_EN = power off), reset register 0xcf9 (value 6).
 *
 * Idle (info->version >= 2; the VMM accepts notes of version 1 and 2):
 * - info->idle_paddr is the idle register, in the MMIO hole, reachable at CPL3 with a plain
 *   4- or 8-byte mov (an MMIO exit, no trampoline, interrupts stay enabled). The value
 *   written is the GPA of the vCPU's wake word (a 4-byte aligned uint32_t in RAM; under the
 *   VMM's identity map its address), or 0.
 * - If the wake word is not zero, or is not 4-byte aligned RAM, the write returns at once.
 *   Otherwise the vCPU halts as `sti; hlt` would at CPL0: KVM sleeps it in the kernel (no
 *   host CPU) until an interrupt is delivered to it (LAPIC timer, IPI, IOAPIC: the VMM's own
 *   devices), whose handler runs first and returns after the write; or until
 *   LITE_CPL3_IDLE_MAX_US have passed, so that a guest that polls still makes progress.
 * - The VMM may end an idle early at any time (pause, snapshot, reset): a write returning
 *   says nothing; the guest looks for work and idles again.
 * - The wake word closes the race that `sti; hlt` closes on hardware (an interrupt handled
 *   between looking for work and halting would otherwise sleep until the deadline): clear
 *   it, look for work, idle; every interrupt handler sets it. An interrupt that arrives
 *   after the write stays pending in the LAPIC and ends the halt at once. Reads of the
 *   register return all ones. Other guest protocols (Linux, PVH) do not have it: they hlt.
 */
#pragma once

#include <stdint.h>

#define LITE_CPL3_NOTE_NAME   "LiteVMM"
#define LITE_CPL3_NOTE_TYPE   0x4c330001u
#define LITE_CPL3_VERSION     2   /* 2 added the idle register */
/* The longest one idle write halts a vCPU. */
#define LITE_CPL3_IDLE_MAX_US 10000

struct lite_cpl3_note {
    uint32_t version;         /* 1 or 2: the contract the guest was built for */
    uint32_t flags;           /* 0 */
    uint64_t entry;           /* 0: the ELF e_entry */
} __attribute__((packed));

enum {
    LITE_CPL3_IO_OUTB = 0,
    LITE_CPL3_IO_INB,
    LITE_CPL3_IO_OUTW,
    LITE_CPL3_IO_INW,
    LITE_CPL3_IO_OUTL,
    LITE_CPL3_IO_INL,
    LITE_CPL3_IO_COUNT,
};

#define LITE_CPL3_INFO_MAGIC  0x49334c4cu     /* "LL3I" */

/* One e820-style range (the layout Linux's boot_params uses). */
struct lite_e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;            /* 1 RAM, 2 reserved, 3 ACPI */
} __attribute__((packed));

struct lite_cpl3_info {
    uint32_t magic;           /* LITE_CPL3_INFO_MAGIC */
    uint32_t version;         /* LITE_CPL3_VERSION */
    uint32_t nr_vcpus;
    uint32_t e820_entries;
    uint64_t ram_size;        /* bytes of guest RAM */
    uint64_t e820_paddr;      /* struct lite_e820_entry[e820_entries] */
    uint64_t cmdline_paddr;   /* NUL-terminated */
    uint64_t rsdp_paddr;      /* ACPI RSDP (the tables describe the same machine) */
    uint64_t idt_paddr;       /* 256 16-byte gates */
    uint64_t io_stub[LITE_CPL3_IO_COUNT];
    uint16_t serial_port, serial_irq;
    uint16_t pm1_evt_port, pm1_cnt_port;
    uint16_t sci_irq, slp_typ_s5;
    uint16_t reset_port, reset_value;
    uint64_t lapic_paddr, ioapic_paddr;
    /* version >= 2 */
    uint64_t idle_paddr;      /* the idle register (MMIO) */
} __attribute__((packed));
