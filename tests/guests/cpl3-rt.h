/* cpl3-rt.h: the small runtime of the lite-cpl3 test guests: port I/O through the VMM's
 * trampoline, MMIO, the UART, the interrupt controllers. */
#pragma once

#include <stdint.h>

#include "lite-cpl3.h"

extern const struct lite_cpl3_info *rt_info;

static inline void
rt_out(unsigned op, uint16_t port, uint32_t value)
{
    __asm__ volatile("ud2" : : "a"(value), "d"(port), "c"(rt_info->io_stub[op]) : "memory");
}

static inline uint32_t
rt_in(unsigned op, uint16_t port)
{
    uint32_t value = 0;

    __asm__ volatile("ud2" : "+a"(value) : "d"(port), "c"(rt_info->io_stub[op]) : "memory");
    return value;
}

static inline void outb(uint16_t port, uint8_t v) { rt_out(LITE_CPL3_IO_OUTB, port, v); }
static inline void outw(uint16_t port, uint16_t v) { rt_out(LITE_CPL3_IO_OUTW, port, v); }
static inline uint8_t inb(uint16_t port) { return (uint8_t)rt_in(LITE_CPL3_IO_INB, port); }
static inline uint16_t inw(uint16_t port) { return (uint16_t)rt_in(LITE_CPL3_IO_INW, port); }

static inline void
mmio_write32(uint64_t addr, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)addr = v;
}

static inline uint32_t
mmio_read32(uint64_t addr)
{
    return *(volatile uint32_t *)(uintptr_t)addr;
}

static inline void
mmio_write64(uint64_t addr, uint64_t v)
{
    *(volatile uint64_t *)(uintptr_t)addr = v;
}

/* Halts this vCPU until an interrupt, at most LITE_CPL3_IDLE_MAX_US, unless *wake is set
 * (lite-cpl3.h). Returns at once where the VMM has no idle register (version 1). */
static inline void
rt_idle(volatile uint32_t *wake)
{
    if (rt_info->version >= 2)
        mmio_write64(rt_info->idle_paddr, (uint64_t)(uintptr_t)wake);
}

void rt_putc(char c);
void rt_puts(const char *s);
void rt_putu(uint64_t v);
/* Installs a CPL3 trap gate for @vector. */
void rt_set_gate(unsigned vector, void (*handler)(void *));
/* Routes IOAPIC pin @pin to @vector on APIC 0 (level or edge, active high), unmasked. */
void rt_ioapic_route(unsigned pin, unsigned vector, int level);
/* LAPIC on, the 8259 disconnected (LVT0 masked). */
void rt_lapic_init(void);
void rt_eoi(void);
int rt_has_word(const char *cmdline, const char *word);
