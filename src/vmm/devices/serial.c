/* serial.c: the 16550A register model: divisor latch, FIFOs, interrupt identification.
 *
 * Transmission is instant (THR is always empty again after a write), so the guest never waits
 * on the UART; the receive FIFO holds VMM_SERIAL_FIFO bytes and the console stops reading the
 * pty while it is full, which is the flow control. The interrupt line is a level: high while
 * IIR has something to report, as the 8250 driver expects from an ISA UART behind an edge
 * IOAPIC pin (each new THR-empty condition drops and raises the line to make a new edge).
 */
#include "serial.h"

#include <errno.h>
#include <string.h>

#define UART_RBR_THR 0
#define UART_IER     1
#define UART_IIR_FCR 2
#define UART_LCR     3
#define UART_MCR     4
#define UART_LSR     5
#define UART_MSR     6
#define UART_SCR     7

#define IER_RDI      0x01
#define IER_THRI     0x02
#define IER_MSI      0x08
#define IIR_NO_INT   0x01
#define IIR_MSI      0x00
#define IIR_THRI     0x02
#define IIR_RDI      0x04
#define IIR_FIFO     0xc0
#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB     0x80
#define MCR_DTR      0x01
#define MCR_RTS      0x02
#define MCR_OUT1     0x04
#define MCR_OUT2     0x08
#define MCR_LOOP     0x10
#define LSR_DR       0x01
#define LSR_THRE     0x20
#define LSR_TEMT     0x40
#define MSR_DELTA    0x0f
#define MSR_CTS      0x10
#define MSR_DSR      0x20
#define MSR_RI       0x40
#define MSR_DCD      0x80

static uint8_t
iir(const vmm_serial_state *s)
{
    uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

    if ((s->ier & IER_RDI) && s->rx_count)
        return IIR_RDI | fifo;
    if ((s->ier & IER_THRI) && s->thr_ipending)
        return IIR_THRI | fifo;
    if ((s->ier & IER_MSI) && (s->msr & MSR_DELTA))
        return IIR_MSI | fifo;
    return IIR_NO_INT | fifo;
}

static void
update_irq(vmm_serial *d)
{
    uint8_t level = !(iir(&d->s) & IIR_NO_INT);

    if (level != d->s.irq_level) {
        d->s.irq_level = level;
        vmm_irq_set(&d->irq, level);
    }
}

/* The modem lines: a connected terminal, or in loopback the UART's own outputs. */
static void
update_msr(vmm_serial_state *s)
{
    uint8_t lines = MSR_DCD | MSR_DSR | MSR_CTS;
    uint8_t changed;

    if (s->mcr & MCR_LOOP) {
        lines = ((s->mcr & MCR_RTS) ? MSR_CTS : 0) | ((s->mcr & MCR_DTR) ? MSR_DSR : 0) |
                ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
    }
    changed = (s->msr ^ lines) & 0xf0;
    s->msr = (uint8_t)((s->msr & MSR_DELTA) | lines);
    if (changed & MSR_CTS)
        s->msr |= 0x01;
    if (changed & MSR_DSR)
        s->msr |= 0x02;
    if ((changed & MSR_RI) && !(lines & MSR_RI))
        s->msr |= 0x04;       /* trailing edge of ring indicator */
    if (changed & MSR_DCD)
        s->msr |= 0x08;
}

size_t
vmm_serial_rx_room(const vmm_serial *d)
{
    return VMM_SERIAL_FIFO - d->s.rx_count;
}

static size_t
rx_push(vmm_serial *d, const uint8_t *buf, size_t len)
{
    size_t n = MIN(len, vmm_serial_rx_room(d));

    for (size_t i = 0; i < n; i++) {
        d->s.rx[(d->s.rx_head + d->s.rx_count) % VMM_SERIAL_FIFO] = buf[i];
        d->s.rx_count++;
    }
    return n;
}

size_t
vmm_serial_rx(vmm_serial *d, const uint8_t *buf, size_t len)
{
    size_t n = (d->s.mcr & MCR_LOOP) ? 0 : rx_push(d, buf, len);

    update_irq(d);
    return n;
}

static uint8_t
rx_pop(vmm_serial_state *s)
{
    uint8_t c;

    if (!s->rx_count)
        return 0;
    c = s->rx[s->rx_head];
    s->rx_head = (uint8_t)((s->rx_head + 1) % VMM_SERIAL_FIFO);
    s->rx_count--;
    return c;
}

static uint8_t
reg_read(vmm_serial *d, unsigned reg)
{
    vmm_serial_state *s = &d->s;
    uint8_t v;

    switch (reg) {
    case UART_RBR_THR:
        return (s->lcr & LCR_DLAB) ? s->dll : rx_pop(s);
    case UART_IER:
        return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
    case UART_IIR_FCR:
        v = iir(s);
        if ((v & 0x0f) == IIR_THRI)
            s->thr_ipending = 0;
        return v;
    case UART_LCR:
        return s->lcr;
    case UART_MCR:
        return s->mcr;
    case UART_LSR:
        return LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
    case UART_MSR:
        v = s->msr;
        s->msr &= (uint8_t)~MSR_DELTA;
        return v;
    default:
        return s->scr;
    }
}

static void
transmit(vmm_serial *d, uint8_t c)
{
    vmm_serial_state *s = &d->s;

    /* Drop then raise the line so an edge-triggered pin sees every THR-empty event. */
    s->thr_ipending = 0;
    update_irq(d);
    if (s->mcr & MCR_LOOP)
        rx_push(d, &c, 1);
    else if (d->out)
        d->out(d->out_opaque, &c, 1);
    s->thr_ipending = 1;
}

static void
reg_write(vmm_serial *d, unsigned reg, uint8_t v)
{
    vmm_serial_state *s = &d->s;

    switch (reg) {
    case UART_RBR_THR:
        if (s->lcr & LCR_DLAB)
            s->dll = v;
        else
            transmit(d, v);
        break;
    case UART_IER:
        if (s->lcr & LCR_DLAB) {
            s->dlm = v;
            break;
        }
        /* Enabling the THR-empty interrupt while THR is empty reports it at once. */
        if (!(s->ier & IER_THRI) && (v & IER_THRI))
            s->thr_ipending = 1;
        s->ier = v & 0x0f;
        break;
    case UART_IIR_FCR:
        if (v & FCR_CLEAR_RX) {
            s->rx_head = 0;
            s->rx_count = 0;
        }
        s->fcr = v & 0xc9;
        break;
    case UART_LCR:
        s->lcr = v;
        break;
    case UART_MCR:
        s->mcr = v & 0x1f;
        update_msr(s);
        break;
    case UART_LSR:
    case UART_MSR:
        break;                /* read-only */
    default:
        s->scr = v;
    }
}

static void
serial_pio_read(void *dev, uint16_t port, unsigned size, uint32_t *data)
{
    vmm_serial *d = dev;

    /* Wider accesses read consecutive registers, as the ISA bus would split them. */
    *data = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned reg = (unsigned)(port - d->base) + i;
        *data |= (uint32_t)(reg < 8 ? reg_read(d, reg) : 0xff) << (8 * i);
    }
    update_irq(d);
}

static void
serial_pio_write(void *dev, uint16_t port, unsigned size, uint32_t data)
{
    vmm_serial *d = dev;

    for (unsigned i = 0; i < size; i++) {
        unsigned reg = (unsigned)(port - d->base) + i;
        if (reg < 8)
            reg_write(d, reg, (uint8_t)(data >> (8 * i)));
    }
    update_irq(d);
}

static void
serial_reset(void *dev)
{
    vmm_serial *d = dev;

    memset(&d->s, 0, sizeof(d->s));
    /* Divisor 1 (115200 baud) and a connected terminal, like firmware would leave it. */
    d->s.dll = 1;
    update_msr(&d->s);
    d->s.msr &= (uint8_t)~MSR_DELTA;
    vmm_irq_set(&d->irq, 0);
}

static void
serial_save(void *dev, GByteArray *out)
{
    vmm_serial *d = dev;

    vmm_device_save_state(out, VMM_SERIAL_STATE_VERSION, &d->s, sizeof(d->s));
}

static int
serial_restore(void *dev, const void *buf, size_t len)
{
    vmm_serial *d = dev;
    vmm_serial_state s;

    if (vmm_device_load_state(buf, len, VMM_SERIAL_STATE_VERSION, &s, sizeof(s)) < 0)
        return -EINVAL;
    if (s.rx_head >= VMM_SERIAL_FIFO || s.rx_count > VMM_SERIAL_FIFO || s.irq_level > 1 ||
        s.thr_ipending > 1)
        return -EINVAL;
    d->s = s;
    vmm_irq_set(&d->irq, s.irq_level);
    return 0;
}

const vmm_device_ops vmm_serial_ops = {
    .name = "serial",
    .pio_read = serial_pio_read,
    .pio_write = serial_pio_write,
    .reset = serial_reset,
    .save = serial_save,
    .restore = serial_restore,
    .free = g_free,
};

vmm_serial *
vmm_serial_new(uint16_t base, vmm_irq_line irq,
               void (*out)(void *opaque, const uint8_t *buf, size_t len), void *out_opaque)
{
    vmm_serial *d = g_new0(vmm_serial, 1);

    d->base = base;
    d->irq = irq;
    d->out = out;
    d->out_opaque = out_opaque;
    serial_reset(d);
    return d;
}
