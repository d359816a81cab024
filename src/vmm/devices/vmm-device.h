/* vmm-device.h: what every emulated device offers (one ops table) and the port-I/O bus. */
#pragma once

#include <pthread.h>
#include <stdint.h>

#include <glib.h>

/* A device keeps all of its guest-visible state in one plain struct beside it, so that save
 * and restore (snapshots, migration) are a copy plus validation. Callbacks run with the bus
 * lock held; @port is the absolute port, @size 1, 2 or 4. */
typedef struct {
    const char *name;
    void (*pio_read)(void *dev, uint16_t port, unsigned size, uint32_t *data);
    void (*pio_write)(void *dev, uint16_t port, unsigned size, uint32_t data);
    /* Back to power-on state (a guest reset). */
    void (*reset)(void *dev);
    /* Appends the state to @out. */
    void (*save)(void *dev, GByteArray *out);
    /* Replaces the state from bytes that may come from an untrusted file: 0 or -EINVAL. */
    int (*restore)(void *dev, const void *buf, size_t len);
    void (*free)(void *dev);
} vmm_device_ops;

/* The usual save: a version byte, then the state struct as is. */
void vmm_device_save_state(GByteArray *out, uint8_t version, const void *state, size_t size);
/* The usual restore's first half: 0 and the struct copied to @state when @buf is exactly a
 * version byte equal to @version plus @size bytes, else -EINVAL. The device then validates
 * the fields (the bytes may come from an untrusted file) before using them. */
int vmm_device_load_state(const void *buf, size_t len, uint8_t version, void *state,
                          size_t size);

typedef struct {
    uint16_t base;
    uint16_t len;
    const vmm_device_ops *ops;
    void *dev;
} vmm_pio_range;

/* Port-I/O dispatch. One lock serializes every device access: vCPU threads and the main
 * loop (console input, power button) all go through it. */
typedef struct {
    GArray *ranges;           /* of vmm_pio_range, sorted by base */
    pthread_mutex_t lock;
} vmm_pio_bus;

void vmm_pio_bus_init(vmm_pio_bus *bus);
void vmm_pio_bus_destroy(vmm_pio_bus *bus);
/* 0, or -EEXIST when [base, base + len) overlaps a registered range. */
int vmm_pio_bus_add(vmm_pio_bus *bus, uint16_t base, uint16_t len,
                    const vmm_device_ops *ops, void *dev);
/* One guest access; unclaimed reads return all ones, unclaimed writes are dropped. */
void vmm_pio_bus_access(vmm_pio_bus *bus, uint16_t port, unsigned size, int is_write,
                        uint32_t *data);
/* Resets every registered device once. */
void vmm_pio_bus_reset(vmm_pio_bus *bus);
/* Every device's state, one GByteArray each in registration order (save), and back: 0 or
 * -EINVAL when the list does not match the devices or a device refuses its state. */
GPtrArray *vmm_pio_bus_save(vmm_pio_bus *bus);
int vmm_pio_bus_restore(vmm_pio_bus *bus, GPtrArray *states);

/* An interrupt line as the devices see it: the VMM wires it to KVM_IRQ_LINE. */
typedef struct {
    void (*set)(void *opaque, unsigned gsi, int level);
    void *opaque;
    unsigned gsi;
} vmm_irq_line;

static inline void
vmm_irq_set(const vmm_irq_line *irq, int level)
{
    if (irq->set)
        irq->set(irq->opaque, irq->gsi, level);
}
