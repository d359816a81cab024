/* sysreset.c: reset requests through the PCI reset control register (0xcf9, the FADT reset
 * register, value 6) and the keyboard controller's pulse-reset command (0xfe to port 0x64).
 * Only the reset line of the 8042 exists: status reads 0 (input buffer empty), so a guest's
 * reboot path that waits for the controller goes straight to the pulse. */
#include "sysreset.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "layout.h"

#define CF9_SYS_RST  0x02
#define CF9_RST_CPU  0x04
#define I8042_PULSE_RESET 0xfe

static void
sysreset_pio_read(void *dev, uint16_t port, unsigned size, uint32_t *data)
{
    vmm_sysreset *d = dev;

    *data = port == VMM_PORT_RESET ? (d->s.cf9 & CF9_SYS_RST) : 0;
}

static void
sysreset_pio_write(void *dev, uint16_t port, unsigned size, uint32_t data)
{
    vmm_sysreset *d = dev;
    bool reset;

    if (port == VMM_PORT_RESET) {
        /* The reset happens on the RST_CPU transition, with SYS_RST choosing hard or soft:
         * both mean "reboot" to us. */
        reset = (data & CF9_RST_CPU) && !(d->s.cf9 & CF9_RST_CPU);
        d->s.cf9 = (uint8_t)(data & CF9_SYS_RST);
    } else {
        reset = (data & 0xff) == I8042_PULSE_RESET;
    }
    if (reset && d->reset)
        d->reset(d->opaque);
}

static void
sysreset_reset(void *dev)
{
    vmm_sysreset *d = dev;

    memset(&d->s, 0, sizeof(d->s));
}

static void
sysreset_save(void *dev, GByteArray *out)
{
    vmm_sysreset *d = dev;

    vmm_device_save_state(out, VMM_SYSRESET_STATE_VERSION, &d->s, sizeof(d->s));
}

static int
sysreset_restore(void *dev, const void *buf, size_t len)
{
    vmm_sysreset *d = dev;
    vmm_sysreset_state s;

    if (vmm_device_load_state(buf, len, VMM_SYSRESET_STATE_VERSION, &s, sizeof(s)) < 0)
        return -EINVAL;
    d->s = s;
    d->s.cf9 &= CF9_SYS_RST;
    return 0;
}

const vmm_device_ops vmm_sysreset_ops = {
    .name = "sysreset",
    .pio_read = sysreset_pio_read,
    .pio_write = sysreset_pio_write,
    .reset = sysreset_reset,
    .save = sysreset_save,
    .restore = sysreset_restore,
    .free = g_free,
};

vmm_sysreset *
vmm_sysreset_new(void (*reset)(void *opaque), void *opaque)
{
    vmm_sysreset *d = g_new0(vmm_sysreset, 1);

    d->reset = reset;
    d->opaque = opaque;
    return d;
}
