/* cpl3-rt.c: the test guests' runtime: entry from the VMM, console output, interrupt set-up. */
#include "cpl3-rt.h"

const struct lite_cpl3_info *rt_info;

/* The boot note lite-vmm looks for (lite-cpl3.h). */
__attribute__((section(".note.lite"), used, aligned(4)))
static const struct {
    uint32_t namesz, descsz, type;
    char name[8];
    struct lite_cpl3_note desc;
} note = {
    sizeof(LITE_CPL3_NOTE_NAME), sizeof(struct lite_cpl3_note), LITE_CPL3_NOTE_TYPE,
    LITE_CPL3_NOTE_NAME, { LITE_CPL3_VERSION, 0, 0 },
};

void guest_main(const struct lite_cpl3_info *info, unsigned vcpu);

/* rdi = info, rsi = vCPU index, rsp = a 16-byte aligned stack top: enter C as if called. */
__asm__(".section .text.start, \"ax\"\n"
        ".globl _start\n"
        "_start:\n"
        "    sub $8, %rsp\n"
        "    call guest_entry\n"
        "1:  jmp 1b\n"
        ".previous\n");

void guest_entry(const struct lite_cpl3_info *info, unsigned vcpu);

void
guest_entry(const struct lite_cpl3_info *info, unsigned vcpu)
{
    rt_info = info;
    guest_main(info, vcpu);
    for (;;)
        ;
}

void
rt_putc(char c)
{
    outb(rt_info->serial_port, (uint8_t)c);
}

void
rt_puts(const char *s)
{
    while (*s)
        rt_putc(*s++);
}

void
rt_putu(uint64_t v)
{
    char buf[21];
    int i = 20;

    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    rt_puts(buf + i);
}

void
rt_set_gate(unsigned vector, void (*handler)(void *))
{
    volatile uint8_t *g = (volatile uint8_t *)(uintptr_t)(rt_info->idt_paddr + vector * 16);
    uint64_t target = (uint64_t)(uintptr_t)handler;

    for (int i = 0; i < 16; i++)
        g[i] = 0;
    g[0] = (uint8_t)target;
    g[1] = (uint8_t)(target >> 8);
    g[2] = 0x2b;                          /* user CS64 */
    g[5] = 0x80 | (3 << 5) | 0xf;         /* present, DPL 3, trap gate */
    g[6] = (uint8_t)(target >> 16);
    g[7] = (uint8_t)(target >> 24);
    for (int i = 0; i < 4; i++)
        g[8 + i] = (uint8_t)(target >> (32 + 8 * i));
}

void
rt_ioapic_route(unsigned pin, unsigned vector, int level)
{
    uint64_t base = rt_info->ioapic_paddr;

    mmio_write32(base, 0x10 + 2 * pin + 1);
    mmio_write32(base + 0x10, 0);                     /* destination APIC 0 */
    mmio_write32(base, 0x10 + 2 * pin);
    mmio_write32(base + 0x10, vector | (level ? 1u << 15 : 0));
}

void
rt_lapic_init(void)
{
    uint64_t base = rt_info->lapic_paddr;

    mmio_write32(base + 0xf0, 0x1ff);                 /* software enable, spurious 0xff */
    mmio_write32(base + 0x350, 1u << 16);             /* LVT0 (8259 ExtINT) masked */
    mmio_write32(base + 0x80, 0);                     /* task priority: accept all */
}

void
rt_eoi(void)
{
    mmio_write32(rt_info->lapic_paddr + 0xb0, 0);
}

int
rt_has_word(const char *cmdline, const char *word)
{
    for (const char *p = cmdline; *p;) {
        const char *w = word;
        const char *q = p;

        while (*w && *q == *w) {
            q++;
            w++;
        }
        if (!*w && (*q == ' ' || *q == 0))
            return 1;
        while (*p && *p != ' ')
            p++;
        while (*p == ' ')
            p++;
    }
    return 0;
}
