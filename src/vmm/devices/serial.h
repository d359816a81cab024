/* serial.h: a 16550A UART (ttyS0 at 0x3f8, IRQ 4) with its output and input hooks. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vmm-device.h"

#define VMM_SERIAL_FIFO 16

/* Guest-visible state, saved and restored as is (version VMM_SERIAL_STATE_VERSION). */
typedef struct {
    uint8_t ier, lcr, mcr, msr, scr, dll, dlm, fcr;
    uint8_t rx[VMM_SERIAL_FIFO];
    uint8_t rx_head, rx_count;
    uint8_t thr_ipending;     /* THR-empty interrupt pending until IIR is read or THR written */
    uint8_t irq_level;        /* what the interrupt line was last set to */
} vmm_serial_state;

#define VMM_SERIAL_STATE_VERSION 1

typedef struct {
    vmm_serial_state s;
    uint16_t base;
    vmm_irq_line irq;
    /* Transmitted bytes; called with the bus lock held, must not block. */
    void (*out)(void *opaque, const uint8_t *buf, size_t len);
    void *out_opaque;
} vmm_serial;

extern const vmm_device_ops vmm_serial_ops;

vmm_serial *vmm_serial_new(uint16_t base, vmm_irq_line irq,
                           void (*out)(void *opaque, const uint8_t *buf, size_t len),
                           void *out_opaque);
/* Bytes the receive FIFO can take now. Caller holds the bus lock. */
size_t vmm_serial_rx_room(const vmm_serial *s);
/* Queues received bytes (at most the room); returns how many were taken. Caller holds the
 * bus lock. */
size_t vmm_serial_rx(vmm_serial *s, const uint8_t *buf, size_t len);
