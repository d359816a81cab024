/* sysreset.h: the ways a PC guest asks for a reset: 0xcf9 (FADT reset register) and 0x64. */
#pragma once

#include <stdint.h>

#include "vmm-device.h"

typedef struct {
    uint8_t cf9;              /* last value written to the reset control register */
} vmm_sysreset_state;

#define VMM_SYSRESET_STATE_VERSION 1

typedef struct {
    vmm_sysreset_state s;
    /* Called (bus lock held) when the guest resets the machine. */
    void (*reset)(void *opaque);
    void *opaque;
} vmm_sysreset;

extern const vmm_device_ops vmm_sysreset_ops;

vmm_sysreset *vmm_sysreset_new(void (*reset)(void *opaque), void *opaque);
