/* pio-bus.c: routes each guest port access to the one device that claims the port; the
 * helpers devices share for their save/restore. */
#include "vmm-device.h"

#include <errno.h>
#include <string.h>

void
vmm_pio_bus_init(vmm_pio_bus *bus)
{
    bus->ranges = g_array_new(FALSE, TRUE, sizeof(vmm_pio_range));
    pthread_mutex_init(&bus->lock, NULL);
}

/* Devices may claim several ranges; per-device actions run at the first one only. */
static gboolean
first_range_of_device(const vmm_pio_bus *bus, guint i)
{
    const void *dev = g_array_index(bus->ranges, vmm_pio_range, i).dev;

    for (guint j = 0; j < i; j++) {
        if (g_array_index(bus->ranges, vmm_pio_range, j).dev == dev)
            return FALSE;
    }
    return TRUE;
}

void
vmm_pio_bus_destroy(vmm_pio_bus *bus)
{
    if (!bus->ranges)
        return;
    for (guint i = 0; i < bus->ranges->len; i++) {
        vmm_pio_range *r = &g_array_index(bus->ranges, vmm_pio_range, i);

        if (first_range_of_device(bus, i) && r->ops->free)
            r->ops->free(r->dev);
    }
    g_array_unref(bus->ranges);
    bus->ranges = NULL;
    pthread_mutex_destroy(&bus->lock);
}

int
vmm_pio_bus_add(vmm_pio_bus *bus, uint16_t base, uint16_t len, const vmm_device_ops *ops,
                void *dev)
{
    vmm_pio_range nr = { .base = base, .len = len, .ops = ops, .dev = dev };
    guint pos = 0;

    if (len == 0 || (uint32_t)base + len > 0x10000)
        return -EINVAL;
    for (guint i = 0; i < bus->ranges->len; i++) {
        const vmm_pio_range *r = &g_array_index(bus->ranges, vmm_pio_range, i);

        if (base < r->base + r->len && r->base < base + len)
            return -EEXIST;
        if (r->base < base)
            pos = i + 1;
    }
    g_array_insert_val(bus->ranges, pos, nr);
    return 0;
}

static const vmm_pio_range *
find(const vmm_pio_bus *bus, uint16_t port, unsigned size)
{
    guint lo = 0, hi = bus->ranges->len;

    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        const vmm_pio_range *r = &g_array_index(bus->ranges, vmm_pio_range, mid);

        if (port < r->base)
            hi = mid;
        else if (port >= r->base + r->len)
            lo = mid + 1;
        else
            /* An access straddling the range's end is not the device's. */
            return (uint32_t)port + size <= (uint32_t)r->base + r->len ? r : NULL;
    }
    return NULL;
}

void
vmm_pio_bus_access(vmm_pio_bus *bus, uint16_t port, unsigned size, int is_write,
                   uint32_t *data)
{
    const vmm_pio_range *r;

    if (size != 1 && size != 2 && size != 4) {
        if (!is_write)
            *data = 0xffffffff;
        return;
    }
    pthread_mutex_lock(&bus->lock);
    r = find(bus, port, size);
    if (!r) {
        if (!is_write)
            *data = size == 4 ? 0xffffffff : (1U << (8 * size)) - 1;
    } else if (is_write) {
        if (r->ops->pio_write)
            r->ops->pio_write(r->dev, port, size, *data & (size == 4 ? 0xffffffff :
                                                           (1U << (8 * size)) - 1));
    } else {
        *data = 0;
        if (r->ops->pio_read)
            r->ops->pio_read(r->dev, port, size, data);
        else
            *data = 0xffffffff;
    }
    pthread_mutex_unlock(&bus->lock);
}

void
vmm_pio_bus_reset(vmm_pio_bus *bus)
{
    pthread_mutex_lock(&bus->lock);
    for (guint i = 0; i < bus->ranges->len; i++) {
        vmm_pio_range *r = &g_array_index(bus->ranges, vmm_pio_range, i);

        if (first_range_of_device(bus, i) && r->ops->reset)
            r->ops->reset(r->dev);
    }
    pthread_mutex_unlock(&bus->lock);
}

GPtrArray *
vmm_pio_bus_save(vmm_pio_bus *bus)
{
    GPtrArray *states = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);

    pthread_mutex_lock(&bus->lock);
    for (guint i = 0; i < bus->ranges->len; i++) {
        vmm_pio_range *r = &g_array_index(bus->ranges, vmm_pio_range, i);
        GByteArray *b = g_byte_array_new();

        if (first_range_of_device(bus, i) && r->ops->save)
            r->ops->save(r->dev, b);
        g_ptr_array_add(states, b);
    }
    pthread_mutex_unlock(&bus->lock);
    return states;
}

int
vmm_pio_bus_restore(vmm_pio_bus *bus, GPtrArray *states)
{
    int ret = 0;

    if (states->len != bus->ranges->len)
        return -EINVAL;
    pthread_mutex_lock(&bus->lock);
    for (guint i = 0; i < bus->ranges->len && ret == 0; i++) {
        vmm_pio_range *r = &g_array_index(bus->ranges, vmm_pio_range, i);
        GByteArray *b = g_ptr_array_index(states, i);

        if (first_range_of_device(bus, i) && r->ops->restore)
            ret = r->ops->restore(r->dev, b->data, b->len);
    }
    pthread_mutex_unlock(&bus->lock);
    return ret;
}

void
vmm_device_save_state(GByteArray *out, uint8_t version, const void *state, size_t size)
{
    g_byte_array_append(out, &version, 1);
    g_byte_array_append(out, state, (guint)size);
}

int
vmm_device_load_state(const void *buf, size_t len, uint8_t version, void *state, size_t size)
{
    const uint8_t *p = buf;

    if (len != 1 + size || p[0] != version)
        return -EINVAL;
    memcpy(state, p + 1, size);
    return 0;
}
