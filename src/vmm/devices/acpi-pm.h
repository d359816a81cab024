/* acpi-pm.h: the ACPI PM1a event/control block and PM timer: power button, SCI, S5. */
#pragma once

#include <stdint.h>

#include "vmm-device.h"

#define VMM_PM1_STS_TMR     0x0001
#define VMM_PM1_STS_PWRBTN  0x0100
#define VMM_PM1_STS_WAK     0x8000
#define VMM_PM1_CNT_SCI_EN  0x0001
#define VMM_PM1_CNT_SLP_EN  0x2000
#define VMM_PM1_CNT_SLP_TYP(v) (((v) >> 10) & 7)

typedef struct {
    uint16_t sts, en, cnt;
    uint8_t sci_level;
    int64_t timer_origin_ns;  /* host CLOCK_MONOTONIC at which the PM timer read 0 */
} vmm_acpi_pm_state;

#define VMM_ACPI_PM_STATE_VERSION 1

typedef struct {
    vmm_acpi_pm_state s;
    uint16_t evt_base, cnt_base, tmr_base;
    vmm_irq_line sci;
    /* Called (bus lock held) when the guest enters S5. */
    void (*poweroff)(void *opaque);
    void *opaque;
} vmm_acpi_pm;

extern const vmm_device_ops vmm_acpi_pm_ops;

vmm_acpi_pm *vmm_acpi_pm_new(vmm_irq_line sci, void (*poweroff)(void *opaque), void *opaque);
/* A press of the fixed-feature power button. Caller holds the bus lock. */
void vmm_acpi_pm_press_power_button(vmm_acpi_pm *pm);
/* The PM timer's 3.579545 MHz count after @ns nanoseconds. */
uint32_t vmm_acpi_pm_timer_ticks(int64_t ns);
