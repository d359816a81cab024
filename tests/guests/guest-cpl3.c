/* guest-cpl3.c: the functional tests' guest. It prints a banner, echoes console input (taken
 * by interrupt: IRQ 4 through the IOAPIC), powers off when the ACPI power button is pressed
 * (SCI, IRQ 9), and obeys one-letter commands:
 *   c  print "count=N ap=M" (the counters)     i  print "irqs=N"
 *   p  power off (ACPI S5)                     r  reset through 0xcf9
 *   k  reset through the 8042 (0xfe to 0x64)   t  triple fault
 *   w  400 idle writes the VMM must not halt on (wake word set, misaligned, outside RAM,
 *      not RAM), then "bad-idle done"
 * Every vCPU idles through the idle register (lite-cpl3.h) and counts its wake-ups: an idle
 * guest counts about 100 a second (the idle deadline) plus one per interrupt, and burns next
 * to no host CPU. With "busy" on the command line the vCPUs spin and count instead (a whole
 * host core each). With "ignore-button", the power button is only reported. vCPU 0's counter
 * and the number of boots are also published at GPA 0x1ff000 (two u64) for tests. */
#include "cpl3-rt.h"

#define VEC_UART 0x24
#define VEC_SCI  0x29
#define PM1_PWRBTN 0x0100
#define RXQ 64
/* Where the guest publishes {idle counter, boots} for tests that read guest RAM. */
#define PUBLISHED 0x1ff000

struct published {
    volatile uint64_t counter;
    volatile uint64_t boots;
};

static volatile uint64_t counter;
static volatile uint64_t ap_counter;
static volatile uint64_t irqs;
static volatile int button;
/* vCPU 0's wake word: its interrupt handlers set it, so that an interrupt handled after the
 * main loop looked for work makes the next idle return at once. */
static volatile uint32_t wake;
static volatile uint32_t ap_wake;
static volatile uint8_t rxq[RXQ];
static volatile unsigned rx_head, rx_tail;

struct frame;

__attribute__((interrupt)) static void
uart_isr(struct frame *f)
{
    uint16_t port = rt_info->serial_port;

    (void)f;
    irqs++;
    while (inb(port + 5) & 1) {
        uint8_t c = inb(port);

        if (rx_tail - rx_head < RXQ) {
            rxq[rx_tail % RXQ] = c;
            rx_tail++;
        }
    }
    (void)inb(port + 2);
    wake = 1;
    rt_eoi();
}

__attribute__((interrupt)) static void
sci_isr(struct frame *f)
{
    uint16_t sts;

    (void)f;
    irqs++;
    sts = inw(rt_info->pm1_evt_port);
    if (sts & PM1_PWRBTN) {
        outw(rt_info->pm1_evt_port, PM1_PWRBTN);
        button = 1;
    }
    wake = 1;
    rt_eoi();
}

static void
poweroff(void)
{
    rt_puts("powering off\n");
    outw(rt_info->pm1_cnt_port, (uint16_t)((rt_info->slp_typ_s5 << 10) | (1u << 13)));
}

static void
triple_fault(void)
{
    volatile uint8_t *idt = (volatile uint8_t *)(uintptr_t)rt_info->idt_paddr;

    rt_puts("triple fault\n");
    /* With no gate present, #UD becomes #NP, then #DF, then a shutdown. */
    for (int i = 0; i < 256 * 16; i++)
        idt[i] = 0;
    __asm__ volatile("ud2");
}

/* Idle writes that must return at once: each one that halted would cost the deadline. */
static void
bad_idles(void)
{
    static volatile uint32_t set_word[2] = { 1, 0 };
    const uint64_t bad[] = {
        (uint64_t)(uintptr_t)&set_word[0],            /* the wake word is set */
        (uint64_t)(uintptr_t)&set_word[1] + 1,        /* misaligned */
        rt_info->ram_size + 4096,                     /* outside RAM */
        rt_info->lapic_paddr,                         /* MMIO, not RAM */
    };

    for (int i = 0; i < 400; i++)
        mmio_write64(rt_info->idle_paddr, bad[i % 4]);
    rt_puts("\nbad-idle done\n");
}

static void
command(uint8_t c)
{
    rt_putc((char)c);
    switch (c) {
    case 'c':
        rt_puts("\ncount=");
        rt_putu(counter);
        rt_puts(" ap=");
        rt_putu(ap_counter);
        rt_putc('\n');
        break;
    case 'i':
        rt_puts("\nirqs=");
        rt_putu(irqs);
        rt_putc('\n');
        break;
    case 'p':
        poweroff();
        break;
    case 'r':
        rt_puts("\nreset cf9\n");
        outb(rt_info->reset_port, (uint8_t)rt_info->reset_value);
        break;
    case 'k':
        rt_puts("\nreset 8042\n");
        outb(0x64, 0xfe);
        break;
    case 't':
        triple_fault();
        break;
    case 'w':
        bad_idles();
        break;
    default:
        break;
    }
}

void guest_main(const struct lite_cpl3_info *info, unsigned vcpu);

void
guest_main(const struct lite_cpl3_info *info, unsigned vcpu)
{
    const char *cmdline = (const char *)(uintptr_t)info->cmdline_paddr;
    int ignore_button = rt_has_word(cmdline, "ignore-button");
    int busy = rt_has_word(cmdline, "busy");
    uint16_t port = info->serial_port;

    if (vcpu != 0) {
        for (;;) {
            ap_counter++;
            if (!busy)
                rt_idle(&ap_wake);
        }
    }
    if (info->magic != LITE_CPL3_INFO_MAGIC)
        return;
    rt_set_gate(VEC_UART, (void (*)(void *))uart_isr);
    rt_set_gate(VEC_SCI, (void (*)(void *))sci_isr);
    rt_lapic_init();
    outb(port + 3, 0x03);                             /* 8N1 */
    outb(port + 2, 0x07);                             /* FIFO on, cleared */
    outb(port + 4, 0x0b);                             /* DTR, RTS, OUT2 */
    outb(port + 1, 0x01);                             /* receive interrupt */
    outw(info->pm1_evt_port + 2, PM1_PWRBTN);         /* power button enable */
    rt_ioapic_route(info->serial_irq, VEC_UART, 0);
    /* Edge, although the SCI is a level (the MADT says so, for Linux): on a PVM host a
     * level-triggered IOAPIC pin delivered to a CPL3 trap gate triple-faults. The PM block
     * raises the line once per press while the status bit is clear, which an edge sees. */
    rt_ioapic_route(info->sci_irq, VEC_SCI, 0);

    /* RAM survives only a snapshot restore: a fresh boot finds zero here. */
    ((struct published *)PUBLISHED)->boots++;
    rt_puts("lite-cpl3 guest up vcpus=");
    rt_putu(info->nr_vcpus);
    rt_puts(" cmdline=");
    rt_puts(cmdline);
    rt_putc('\n');

    for (;;) {
        counter++;
        ((struct published *)PUBLISHED)->counter = counter;
        /* Cleared before looking for work, set by every interrupt handler after. */
        wake = 0;
        while (rx_head != rx_tail) {
            uint8_t c = rxq[rx_head % RXQ];

            rx_head++;
            command(c);
        }
        if (button) {
            button = 0;
            rt_puts("power button\n");
            if (!ignore_button)
                poweroff();
        }
        if (!busy)
            rt_idle(&wake);
    }
}
