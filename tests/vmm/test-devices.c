/* test-devices.c: the 16550 register model, the ACPI PM block, the reset ports and the
 * port-I/O bus, driven as a guest would drive them. */
#include <errno.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "acpi-pm.h"
#include "layout.h"
#include "serial.h"
#include "sysreset.h"
#include "vmm-console.h"

typedef struct {
    int level[16];
    int changes;
    GString *out;
    int poweroffs;
    int resets;
} sink;

static void
irq_set(void *opaque, unsigned gsi, int level)
{
    sink *s = opaque;

    if (s->level[gsi] != level)
        s->changes++;
    s->level[gsi] = level;
}

static void
out(void *opaque, const uint8_t *buf, size_t len)
{
    g_string_append_len(((sink *)opaque)->out, (const char *)buf, (gssize)len);
}

static void
count_poweroff(void *opaque)
{
    ((sink *)opaque)->poweroffs++;
}

static void
count_reset(void *opaque)
{
    ((sink *)opaque)->resets++;
}

static uint32_t
rd(vmm_pio_bus *bus, uint16_t port, unsigned size)
{
    uint32_t v = 0;

    vmm_pio_bus_access(bus, port, size, 0, &v);
    return v;
}

static void
wr(vmm_pio_bus *bus, uint16_t port, unsigned size, uint32_t v)
{
    vmm_pio_bus_access(bus, port, size, 1, &v);
}

#define COM VMM_PORT_COM1

static void
test_serial_registers(void)
{
    sink s = { .out = g_string_new(NULL) };
    vmm_irq_line irq = { irq_set, &s, 4 };
    vmm_pio_bus bus;
    vmm_serial *d;

    vmm_pio_bus_init(&bus);
    d = vmm_serial_new(COM, irq, out, &s);
    g_assert_cmpint(vmm_pio_bus_add(&bus, COM, 8, &vmm_serial_ops, d), ==, 0);

    /* Divisor latch behind DLAB; scratch register; LCR reads back. */
    wr(&bus, COM + 3, 1, 0x80);
    wr(&bus, COM, 1, 0x0c);
    wr(&bus, COM + 1, 1, 0x00);
    g_assert_cmpuint(rd(&bus, COM, 1), ==, 0x0c);
    wr(&bus, COM + 3, 1, 0x03);
    g_assert_cmpuint(rd(&bus, COM + 3, 1), ==, 0x03);
    wr(&bus, COM + 7, 1, 0x5a);
    g_assert_cmpuint(rd(&bus, COM + 7, 1), ==, 0x5a);

    /* Transmit is immediate; LSR always says THR empty. */
    wr(&bus, COM, 1, 'h');
    wr(&bus, COM, 1, 'i');
    g_assert_cmpstr(s.out->str, ==, "hi");
    g_assert_cmpuint(rd(&bus, COM + 5, 1) & 0x60, ==, 0x60);
    g_assert_cmpuint(rd(&bus, COM + 2, 1), ==, 0x01);         /* no interrupt */
    g_assert_cmpint(s.level[4], ==, 0);

    /* THR-empty interrupt: reported on enable, cleared by reading IIR, back after a write. */
    wr(&bus, COM + 1, 1, 0x02);
    g_assert_cmpint(s.level[4], ==, 1);
    g_assert_cmpuint(rd(&bus, COM + 2, 1), ==, 0x02);
    g_assert_cmpint(s.level[4], ==, 0);
    g_assert_cmpuint(rd(&bus, COM + 2, 1), ==, 0x01);
    s.changes = 0;
    wr(&bus, COM, 1, '!');
    g_assert_cmpint(s.level[4], ==, 1);
    wr(&bus, COM, 1, '!');
    g_assert_cmpint(s.changes, >=, 3);                       /* a new edge per byte */
    wr(&bus, COM + 1, 1, 0x00);
    g_assert_cmpint(s.level[4], ==, 0);

    /* Receive: data-ready, the receive interrupt has priority, the FIFO holds 16. */
    wr(&bus, COM + 1, 1, 0x03);
    rd(&bus, COM + 2, 1);
    pthread_mutex_lock(&bus.lock);
    g_assert_cmpuint(vmm_serial_rx(d, (const uint8_t *)"0123456789abcdefXYZ", 19), ==, 16);
    g_assert_cmpuint(vmm_serial_rx_room(d), ==, 0);
    pthread_mutex_unlock(&bus.lock);
    g_assert_cmpint(s.level[4], ==, 1);
    g_assert_cmpuint(rd(&bus, COM + 2, 1) & 0x0f, ==, 0x04);
    g_assert_cmpuint(rd(&bus, COM + 5, 1) & 0x01, ==, 0x01);
    for (int i = 0; i < 16; i++)
        g_assert_cmpuint(rd(&bus, COM, 1), ==, (uint32_t)"0123456789abcdef"[i]);
    g_assert_cmpuint(rd(&bus, COM + 5, 1) & 0x01, ==, 0);
    g_assert_cmpuint(rd(&bus, COM, 1), ==, 0);                /* empty FIFO reads 0 */
    /* FIFO control: enabled shows in IIR, clear drops pending input. */
    wr(&bus, COM + 2, 1, 0x01);
    g_assert_cmpuint(rd(&bus, COM + 2, 1) & 0xc0, ==, 0xc0);
    pthread_mutex_lock(&bus.lock);
    vmm_serial_rx(d, (const uint8_t *)"q", 1);
    pthread_mutex_unlock(&bus.lock);
    wr(&bus, COM + 2, 1, 0x03);
    g_assert_cmpuint(rd(&bus, COM + 5, 1) & 0x01, ==, 0);

    /* Loopback: output comes back as input and MCR drives MSR. */
    g_string_truncate(s.out, 0);
    wr(&bus, COM + 4, 1, 0x10 | 0x02);
    g_assert_cmpuint(rd(&bus, COM + 6, 1) & 0xf0, ==, 0x10);  /* CTS from RTS */
    wr(&bus, COM, 1, 'L');
    g_assert_cmpstr(s.out->str, ==, "");
    g_assert_cmpuint(rd(&bus, COM, 1), ==, 'L');
    wr(&bus, COM + 4, 1, 0x0b);
    g_assert_cmpuint(rd(&bus, COM + 6, 1) & 0xf0, ==, 0xb0);  /* a terminal again */

    /* Wider and out-of-range accesses do not escape the register file. */
    g_assert_cmpuint(rd(&bus, COM + 6, 4), ==, 0xffffffff);   /* straddles the end */
    vmm_pio_bus_destroy(&bus);
    g_string_free(s.out, TRUE);
}

static void
test_serial_save_restore(void)
{
    sink s = { .out = g_string_new(NULL) };
    vmm_irq_line irq = { irq_set, &s, 4 };
    vmm_serial *a = vmm_serial_new(COM, irq, out, &s);
    vmm_serial *b = vmm_serial_new(COM, irq, out, &s);
    g_autoptr(GByteArray) state = g_byte_array_new();
    g_autofree uint8_t *bad = NULL;

    vmm_serial_rx(a, (const uint8_t *)"abc", 3);
    vmm_serial_ops.pio_write(a, COM + 7, 1, 0x42);
    vmm_serial_ops.save(a, state);
    g_assert_cmpint(vmm_serial_ops.restore(b, state->data, state->len), ==, 0);
    g_assert_cmpmem(&a->s, sizeof(a->s), &b->s, sizeof(b->s));
    /* Untrusted state: truncated, wrong version, impossible FIFO indices. */
    g_assert_cmpint(vmm_serial_ops.restore(b, state->data, state->len - 1), ==, -EINVAL);
    bad = g_memdup2(state->data, state->len);
    bad[0] = 99;
    g_assert_cmpint(vmm_serial_ops.restore(b, bad, state->len), ==, -EINVAL);
    bad[0] = VMM_SERIAL_STATE_VERSION;
    bad[1 + G_STRUCT_OFFSET(vmm_serial_state, rx_count)] = 17;
    g_assert_cmpint(vmm_serial_ops.restore(b, bad, state->len), ==, -EINVAL);
    g_free(a);
    g_free(b);
    g_string_free(s.out, TRUE);
}

static void
test_acpi_pm_button_and_s5(void)
{
    sink s = { 0 };
    vmm_irq_line sci = { irq_set, &s, VMM_IRQ_SCI };
    vmm_acpi_pm *pm = vmm_acpi_pm_new(sci, count_poweroff, &s);
    vmm_pio_bus bus;
    uint32_t t1, t2;

    vmm_pio_bus_init(&bus);
    g_assert_cmpint(vmm_pio_bus_add(&bus, VMM_PORT_PM1_EVT, VMM_PM_LEN, &vmm_acpi_pm_ops, pm),
                    ==, 0);
    /* Always in ACPI mode. */
    g_assert_cmpuint(rd(&bus, VMM_PORT_PM1_CNT, 2) & 1, ==, 1);
    /* A press with the enable bit clear sets status but raises no SCI. */
    vmm_acpi_pm_press_power_button(pm);
    g_assert_cmpuint(rd(&bus, VMM_PORT_PM1_EVT, 2), ==, VMM_PM1_STS_PWRBTN);
    g_assert_cmpint(s.level[VMM_IRQ_SCI], ==, 0);
    /* Enabling it raises the SCI; writing 1 to the status bit (byte-wise) clears it. */
    wr(&bus, VMM_PORT_PM1_EVT + 3, 1, 0x01);
    g_assert_cmpint(s.level[VMM_IRQ_SCI], ==, 1);
    wr(&bus, VMM_PORT_PM1_EVT + 1, 1, 0x01);
    g_assert_cmpuint(rd(&bus, VMM_PORT_PM1_EVT, 2), ==, 0);
    g_assert_cmpint(s.level[VMM_IRQ_SCI], ==, 0);
    /* Writing 0 clears nothing. */
    vmm_acpi_pm_press_power_button(pm);
    wr(&bus, VMM_PORT_PM1_EVT, 2, 0);
    g_assert_cmpuint(rd(&bus, VMM_PORT_PM1_EVT, 2), ==, VMM_PM1_STS_PWRBTN);

    /* Sleep types other than S5 do nothing; S5 + SLP_EN powers off, by word or by byte. */
    wr(&bus, VMM_PORT_PM1_CNT, 2, (3 << 10) | (1 << 13));
    g_assert_cmpint(s.poweroffs, ==, 0);
    wr(&bus, VMM_PORT_PM1_CNT, 2, (VMM_SLP_TYP_S5 << 10));
    g_assert_cmpint(s.poweroffs, ==, 0);
    wr(&bus, VMM_PORT_PM1_CNT, 2, (VMM_SLP_TYP_S5 << 10) | (1 << 13));
    g_assert_cmpint(s.poweroffs, ==, 1);
    g_assert_cmpuint(rd(&bus, VMM_PORT_PM1_CNT, 2) & (1 << 13), ==, 0);  /* write-only */
    wr(&bus, VMM_PORT_PM1_CNT + 1, 1, ((VMM_SLP_TYP_S5 << 10) | (1 << 13)) >> 8);
    g_assert_cmpint(s.poweroffs, ==, 2);

    /* The PM timer runs at 3.579545 MHz. */
    t1 = rd(&bus, VMM_PORT_PM_TMR, 4);
    g_usleep(10000);
    t2 = rd(&bus, VMM_PORT_PM_TMR, 4);
    g_assert_cmpuint(t2 - t1, >=, 35000);
    g_assert_cmpuint(vmm_acpi_pm_timer_ticks(1000000000LL), ==, 3579545);
    g_assert_cmpuint(vmm_acpi_pm_timer_ticks(-5), ==, 0);
    vmm_pio_bus_destroy(&bus);
}

static void
test_reset_ports(void)
{
    sink s = { 0 };
    vmm_sysreset *d = vmm_sysreset_new(count_reset, &s);
    vmm_pio_bus bus;

    vmm_pio_bus_init(&bus);
    g_assert_cmpint(vmm_pio_bus_add(&bus, VMM_PORT_RESET, 1, &vmm_sysreset_ops, d), ==, 0);
    g_assert_cmpint(vmm_pio_bus_add(&bus, VMM_PORT_I8042_CMD, 1, &vmm_sysreset_ops, d), ==, 0);
    wr(&bus, VMM_PORT_RESET, 1, 0x02);                        /* SYS_RST only: no reset */
    g_assert_cmpint(s.resets, ==, 0);
    g_assert_cmpuint(rd(&bus, VMM_PORT_RESET, 1), ==, 0x02);
    wr(&bus, VMM_PORT_RESET, 1, VMM_RESET_VALUE);
    g_assert_cmpint(s.resets, ==, 1);
    wr(&bus, VMM_PORT_I8042_CMD, 1, 0xd1);                    /* other 8042 commands */
    g_assert_cmpint(s.resets, ==, 1);
    g_assert_cmpuint(rd(&bus, VMM_PORT_I8042_CMD, 1), ==, 0);  /* input buffer empty */
    wr(&bus, VMM_PORT_I8042_CMD, 1, 0xfe);
    g_assert_cmpint(s.resets, ==, 2);
    /* One device on two ranges is freed once (no double free under ASan/valgrind). */
    vmm_pio_bus_destroy(&bus);
}

static void
test_bus_dispatch(void)
{
    vmm_pio_bus bus;
    sink s = { .out = g_string_new(NULL) };
    vmm_irq_line irq = { irq_set, &s, 4 };
    vmm_serial *d = vmm_serial_new(COM, irq, out, &s);

    vmm_pio_bus_init(&bus);
    g_assert_cmpint(vmm_pio_bus_add(&bus, COM, 8, &vmm_serial_ops, d), ==, 0);
    g_assert_cmpint(vmm_pio_bus_add(&bus, COM + 7, 2, &vmm_serial_ops, d), ==, -EEXIST);
    g_assert_cmpint(vmm_pio_bus_add(&bus, COM - 1, 2, &vmm_serial_ops, d), ==, -EEXIST);
    g_assert_cmpint(vmm_pio_bus_add(&bus, 0xffff, 2, &vmm_serial_ops, d), ==, -EINVAL);
    /* Nobody's ports read as all ones; odd sizes too. */
    g_assert_cmpuint(rd(&bus, 0x80, 1), ==, 0xff);
    g_assert_cmpuint(rd(&bus, 0x80, 2), ==, 0xffff);
    g_assert_cmpuint(rd(&bus, 0x80, 4), ==, 0xffffffff);
    g_assert_cmpuint(rd(&bus, COM, 3), ==, 0xffffffff);
    wr(&bus, 0x80, 1, 0x12);
    vmm_pio_bus_destroy(&bus);
    g_string_free(s.out, TRUE);
}

/* Without a pty the console goes to the log a whole line at a time, and only so much of it. */
static void
test_console_to_log(void)
{
    vmm_console c;
    int p[2];
    char buf[64] = { 0 };
    g_autofree uint8_t *flood = g_malloc(VMM_CONSOLE_LOG_MAX);
    ssize_t n, total = 0;

    g_assert_cmpint(pipe2(p, O_NONBLOCK), ==, 0);
    vmm_console_init(&c, p[1]);
    vmm_console_write(&c, (const uint8_t *)"ab", 2);
    g_assert_cmpint(read(p[0], buf, sizeof(buf)), ==, -1);    /* nothing before the newline */
    vmm_console_write(&c, (const uint8_t *)"c\nd", 3);
    g_assert_cmpint(read(p[0], buf, sizeof(buf)), ==, 4);
    g_assert_cmpmem(buf, 4, "abc\n", 4);
    vmm_console_close(&c);                                    /* flushes the partial line */
    g_assert_cmpint(read(p[0], buf, sizeof(buf)), ==, 1);
    g_assert_cmpint(buf[0], ==, 'd');

    /* A flood stops at the cap (read concurrently in chunks: the pipe is small). */
    vmm_console_init(&c, p[1]);
    memset(flood, 'x', VMM_CONSOLE_LOG_MAX);
    for (size_t off = 0; off < 2 * (size_t)VMM_CONSOLE_LOG_MAX; off += 4096) {
        vmm_console_write(&c, flood, 4096);
        while ((n = read(p[0], flood, 4096)) > 0)
            total += n;
        memset(flood, 'x', 4096);
    }
    vmm_console_close(&c);
    while ((n = read(p[0], flood, 4096)) > 0)
        total += n;
    g_assert_cmpint(total, <=, VMM_CONSOLE_LOG_MAX);
    g_assert_cmpint(total, >, VMM_CONSOLE_LOG_MAX - 4096);
    close(p[0]);
    close(p[1]);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vmm/devices/serial-registers", test_serial_registers);
    g_test_add_func("/vmm/devices/serial-save-restore", test_serial_save_restore);
    g_test_add_func("/vmm/devices/acpi-pm-button-and-s5", test_acpi_pm_button_and_s5);
    g_test_add_func("/vmm/devices/reset-ports", test_reset_ports);
    g_test_add_func("/vmm/devices/bus-dispatch", test_bus_dispatch);
    g_test_add_func("/vmm/devices/console-to-log", test_console_to_log);
    return g_test_run();
}
