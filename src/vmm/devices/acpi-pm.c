/* acpi-pm.c: PM1a status/enable (0x600), PM1a control (0x604) and the PM timer (0x608).
 *
 * The layout the FADT advertises (acpi.c): PM1_EVT_BLK 4 bytes (status then enable),
 * PM1_CNT_BLK 2 bytes, PM_TMR_BLK 4 bytes (32-bit, TMR_VAL_EXT). SMI_CMD is 0, so the
 * machine is always in ACPI mode: SCI_EN reads 1 from reset. Registers are byte-addressable,
 * because the CPL3 test guests reach them through a byte-wide trampoline as often as not.
 * The SCI is a level on GSI 9: status & enable for the power button. The PM timer overflow
 * interrupt (TMR_EN) is not generated.
 */
#include "acpi-pm.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "layout.h"

#define PM_TIMER_HZ 3579545ULL

static int64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

uint32_t
vmm_acpi_pm_timer_ticks(int64_t ns)
{
    uint64_t u = ns < 0 ? 0 : (uint64_t)ns;

    /* Split so that the product cannot overflow for centuries of uptime. */
    return (uint32_t)((u / 1000000000ULL) * PM_TIMER_HZ +
                      (u % 1000000000ULL) * PM_TIMER_HZ / 1000000000ULL);
}

static void
update_sci(vmm_acpi_pm *pm)
{
    uint8_t level = (pm->s.sts & pm->s.en & VMM_PM1_STS_PWRBTN) &&
                    (pm->s.cnt & VMM_PM1_CNT_SCI_EN);

    if (level != pm->s.sci_level) {
        pm->s.sci_level = level;
        vmm_irq_set(&pm->sci, level);
    }
}

void
vmm_acpi_pm_press_power_button(vmm_acpi_pm *pm)
{
    pm->s.sts |= VMM_PM1_STS_PWRBTN;
    update_sci(pm);
}

/* The byte at @off of the 12-byte register file starting at the event block. */
static uint8_t
read_byte(vmm_acpi_pm *pm, unsigned off)
{
    uint32_t tmr;

    switch (off) {
    case 0: case 1:
        return (uint8_t)(pm->s.sts >> (8 * off));
    case 2: case 3:
        return (uint8_t)(pm->s.en >> (8 * (off - 2)));
    case 4: case 5:
        /* SLP_EN is write-only. */
        return (uint8_t)((pm->s.cnt & ~VMM_PM1_CNT_SLP_EN) >> (8 * (off - 4)));
    case 8: case 9: case 10: case 11:
        tmr = vmm_acpi_pm_timer_ticks(now_ns() - pm->s.timer_origin_ns);
        return (uint8_t)(tmr >> (8 * (off - 8)));
    default:
        return 0;
    }
}

static void
write_byte(vmm_acpi_pm *pm, unsigned off, uint8_t v)
{
    switch (off) {
    case 0: case 1:
        /* Status bits are cleared by writing 1. */
        pm->s.sts &= (uint16_t)~((uint16_t)v << (8 * off));
        break;
    case 2: case 3:
        pm->s.en = (uint16_t)((pm->s.en & ~(0xff << (8 * (off - 2)))) | (v << (8 * (off - 2))));
        break;
    case 4: case 5:
        pm->s.cnt = (uint16_t)((pm->s.cnt & ~(0xff << (8 * (off - 4)))) | (v << (8 * (off - 4))));
        /* No SMI handler could take the machine out of ACPI mode. */
        pm->s.cnt |= VMM_PM1_CNT_SCI_EN;
        break;
    default:
        break;
    }
}

static unsigned
reg_offset(const vmm_acpi_pm *pm, uint16_t port)
{
    return (unsigned)(port - pm->evt_base);
}

static void
pm_pio_read(void *dev, uint16_t port, unsigned size, uint32_t *data)
{
    vmm_acpi_pm *pm = dev;
    unsigned off = reg_offset(pm, port);

    *data = 0;
    for (unsigned i = 0; i < size; i++)
        *data |= (uint32_t)read_byte(pm, off + i) << (8 * i);
}

static void
pm_pio_write(void *dev, uint16_t port, unsigned size, uint32_t data)
{
    vmm_acpi_pm *pm = dev;
    unsigned off = reg_offset(pm, port);

    for (unsigned i = 0; i < size; i++)
        write_byte(pm, off + i, (uint8_t)(data >> (8 * i)));
    if ((pm->s.cnt & VMM_PM1_CNT_SLP_EN)) {
        unsigned typ = VMM_PM1_CNT_SLP_TYP(pm->s.cnt);

        pm->s.cnt &= (uint16_t)~VMM_PM1_CNT_SLP_EN;
        /* Only S5 exists; a request for another sleep state does nothing, as on a machine
         * whose DSDT does not list it. */
        if (typ == VMM_SLP_TYP_S5 && pm->poweroff)
            pm->poweroff(pm->opaque);
    }
    update_sci(pm);
}

static void
pm_reset(void *dev)
{
    vmm_acpi_pm *pm = dev;

    memset(&pm->s, 0, sizeof(pm->s));
    pm->s.cnt = VMM_PM1_CNT_SCI_EN;
    pm->s.timer_origin_ns = now_ns();
    vmm_irq_set(&pm->sci, 0);
}

static void
pm_save(void *dev, GByteArray *out)
{
    vmm_acpi_pm *pm = dev;
    vmm_acpi_pm_state s = pm->s;

    /* The timer travels as its current count, not as a host clock reading. */
    s.timer_origin_ns = now_ns() - s.timer_origin_ns;
    vmm_device_save_state(out, VMM_ACPI_PM_STATE_VERSION, &s, sizeof(s));
}

static int
pm_restore(void *dev, const void *buf, size_t len)
{
    vmm_acpi_pm *pm = dev;
    vmm_acpi_pm_state s;

    if (vmm_device_load_state(buf, len, VMM_ACPI_PM_STATE_VERSION, &s, sizeof(s)) < 0)
        return -EINVAL;
    if (s.sci_level > 1 || s.timer_origin_ns < 0)
        return -EINVAL;
    s.timer_origin_ns = now_ns() - s.timer_origin_ns;
    pm->s = s;
    vmm_irq_set(&pm->sci, s.sci_level);
    return 0;
}

const vmm_device_ops vmm_acpi_pm_ops = {
    .name = "acpi-pm",
    .pio_read = pm_pio_read,
    .pio_write = pm_pio_write,
    .reset = pm_reset,
    .save = pm_save,
    .restore = pm_restore,
    .free = g_free,
};

vmm_acpi_pm *
vmm_acpi_pm_new(vmm_irq_line sci, void (*poweroff)(void *opaque), void *opaque)
{
    vmm_acpi_pm *pm = g_new0(vmm_acpi_pm, 1);

    pm->evt_base = VMM_PORT_PM1_EVT;
    pm->cnt_base = VMM_PORT_PM1_CNT;
    pm->tmr_base = VMM_PORT_PM_TMR;
    pm->sci = sci;
    pm->poweroff = poweroff;
    pm->opaque = opaque;
    pm_reset(pm);
    return pm;
}
