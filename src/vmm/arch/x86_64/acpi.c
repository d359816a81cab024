/* acpi.c: the ACPI tables every guest sees, written from VMM_GPA_ACPI (0xe0000, where a
 * kernel scanning the BIOS area finds the RSDP): RSDP (revision 2) -> XSDT -> FADT, MADT;
 * FADT -> FACS, DSDT.
 * - FADT: PM1a event block 0x600 (4 bytes), PM1a control 0x604 (2), PM timer 0x608 (4,
 *   32-bit), SCI on IRQ 9, SMI_CMD 0 (always in ACPI mode), fixed-feature power button
 *   (PWR_BUTTON flag clear) and no sleep button, reset register 0xcf9 value 6; IA-PC boot
 *   flags say there is no 8042, no VGA and no CMOS RTC, so a kernel does not probe them
 *   (each probe is a trapped port access).
 * - DSDT: only \_S5 (SLP_TYP 5), the sleep state acpi-pm.c turns into power off.
 * - MADT: one enabled local APIC per vCPU (APIC ID = index), the IOAPIC (ID 0, GSI base 0),
 *   overrides IRQ0 -> GSI2 and IRQ9 (SCI) level/active-high, LINT1 as NMI on every CPU.
 */
#include "boot.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "layout.h"

struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
    char signature[8];
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt;
    uint32_t length;
    uint64_t xsdt;
    uint8_t ext_checksum;
    uint8_t reserved[3];
} __attribute__((packed));

struct acpi_gas {
    uint8_t space_id;         /* 1: system I/O */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;      /* 1 byte, 2 word, 3 dword */
    uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
    struct acpi_header h;
    uint32_t facs, dsdt;
    uint8_t reserved0, preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
    uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk, pm2_cnt_blk, pm_tmr_blk;
    uint32_t gpe0_blk, gpe1_blk;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len, gpe0_blk_len, gpe1_blk_len;
    uint8_t gpe1_base, cst_cnt;
    uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
    uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_facs, x_dsdt;
    struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
    struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
    struct acpi_gas sleep_control, sleep_status;
    uint64_t hypervisor_vendor_id;
} __attribute__((packed));

G_STATIC_ASSERT(sizeof(struct acpi_fadt) == 276);
G_STATIC_ASSERT(sizeof(struct acpi_rsdp) == 36);

#define FADT_WBINVD          (1u << 0)
#define FADT_PROC_C1         (1u << 2)
#define FADT_SLP_BUTTON      (1u << 5)
#define FADT_TMR_VAL_EXT     (1u << 8)
#define FADT_RESET_REG_SUP   (1u << 10)
#define IAPC_VGA_NOT_PRESENT (1u << 2)
#define IAPC_CMOS_RTC_ABSENT (1u << 5)

#define MADT_PCAT_COMPAT 1
#define MADT_CPU_ENABLED 1

/* Name (_S5, Package (0x04) { 0x05, 0x05, Zero, Zero }) */
static const uint8_t dsdt_aml[] = {
    0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, VMM_SLP_TYP_S5, 0x0a, VMM_SLP_TYP_S5,
    0x00, 0x00,
};

static uint8_t
checksum(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)(0 - sum);
}

static void
header(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(h->signature, sig, 4);
    h->length = len;
    h->revision = rev;
    memcpy(h->oem_id, "LITE  ", 6);
    memcpy(h->oem_table_id, "LITEVMM ", 8);
    h->oem_revision = 1;
    memcpy(h->creator_id, "LITE", 4);
    h->creator_revision = 1;
}

/* Sets the checksum of a table of @len bytes in @buf and writes it at *@at, which moves on
 * to the next 16-byte boundary. */
static int
emit(vmm_mem *mem, uint64_t *at, void *buf, size_t len, uint64_t *gpa)
{
    struct acpi_header *h = buf;

    h->checksum = 0;
    h->checksum = checksum(buf, len);
    *gpa = *at;
    *at = (*at + len + 15) & ~15ULL;
    if (*at > VMM_GPA_ACPI + VMM_ACPI_MAX)
        return -ENOSPC;
    return vmm_mem_write(mem, *gpa, buf, len);
}

static struct acpi_gas
gas_io(uint16_t port, uint8_t bytes)
{
    return (struct acpi_gas){ .space_id = 1, .bit_width = (uint8_t)(8 * bytes),
                              .access_size = bytes == 4 ? 3 : bytes == 2 ? 2 : 1,
                              .address = port };
}

static size_t
build_madt(uint8_t *buf, unsigned nr_vcpus)
{
    size_t len = sizeof(struct acpi_header) + 8;
    uint32_t lapic = (uint32_t)VMM_GPA_LAPIC, flags = MADT_PCAT_COMPAT;
    uint32_t ioapic = (uint32_t)VMM_GPA_IOAPIC, gsi_base = 0;
    struct { uint8_t src; uint32_t gsi; uint16_t flags; } isos[] = {
        { 0, 2, 0 },
        { VMM_IRQ_SCI, VMM_IRQ_SCI, 0x000d },     /* level, active high */
    };

    memcpy(buf + sizeof(struct acpi_header), &lapic, 4);
    memcpy(buf + sizeof(struct acpi_header) + 4, &flags, 4);
    for (unsigned i = 0; i < nr_vcpus; i++) {
        uint32_t enabled = MADT_CPU_ENABLED;

        buf[len] = 0;                                 /* processor local APIC */
        buf[len + 1] = 8;
        buf[len + 2] = (uint8_t)i;                    /* ACPI processor UID */
        buf[len + 3] = (uint8_t)i;                    /* APIC ID */
        memcpy(buf + len + 4, &enabled, 4);
        len += 8;
    }
    buf[len] = 1;                                     /* I/O APIC */
    buf[len + 1] = 12;
    buf[len + 2] = 0;
    buf[len + 3] = 0;
    memcpy(buf + len + 4, &ioapic, 4);
    memcpy(buf + len + 8, &gsi_base, 4);
    len += 12;
    for (size_t i = 0; i < G_N_ELEMENTS(isos); i++) {
        buf[len] = 2;                                 /* interrupt source override */
        buf[len + 1] = 10;
        buf[len + 2] = 0;                             /* ISA */
        buf[len + 3] = isos[i].src;
        memcpy(buf + len + 4, &isos[i].gsi, 4);
        memcpy(buf + len + 8, &isos[i].flags, 2);
        len += 10;
    }
    buf[len] = 4;                                     /* local APIC NMI */
    buf[len + 1] = 6;
    buf[len + 2] = 0xff;                              /* all processors */
    buf[len + 3] = 0;
    buf[len + 4] = 0;
    buf[len + 5] = 1;                                 /* LINT1 */
    len += 6;
    header((struct acpi_header *)buf, "APIC", (uint32_t)len, 4);
    return len;
}

int
vmm_acpi_build(vmm_mem *mem, unsigned nr_vcpus, uint64_t *rsdp_gpa)
{
    g_autofree uint8_t *madt = g_malloc0(128 + 8 * (size_t)nr_vcpus);
    uint8_t dsdt[sizeof(struct acpi_header) + sizeof(dsdt_aml)] = { 0 };
    uint8_t facs[64] = { 0 };
    struct acpi_fadt fadt = { 0 };
    struct acpi_rsdp rsdp = { 0 };
    struct {
        struct acpi_header h;
        uint64_t entries[2];
    } __attribute__((packed)) xsdt = { 0 };
    uint64_t at = VMM_GPA_ACPI + 64, facs_gpa, dsdt_gpa, fadt_gpa, madt_gpa, xsdt_gpa;
    uint32_t facs_len = sizeof(facs);
    size_t madt_len;
    int ret = 0;

    if (nr_vcpus == 0 || nr_vcpus > 255)
        return -EINVAL;
    /* The FACS has no checksum and must be 64-byte aligned. */
    at = (at + 63) & ~63ULL;
    memcpy(facs, "FACS", 4);
    memcpy(facs + 4, &facs_len, 4);
    facs[32] = 2;                                     /* version */
    facs_gpa = at;
    at += sizeof(facs);
    ret |= vmm_mem_write(mem, facs_gpa, facs, sizeof(facs));

    header((struct acpi_header *)dsdt, "DSDT", sizeof(dsdt), 2);
    memcpy(dsdt + sizeof(struct acpi_header), dsdt_aml, sizeof(dsdt_aml));
    ret |= emit(mem, &at, dsdt, sizeof(dsdt), &dsdt_gpa);

    header(&fadt.h, "FACP", sizeof(fadt), 6);
    fadt.facs = (uint32_t)facs_gpa;
    fadt.dsdt = (uint32_t)dsdt_gpa;
    fadt.x_facs = facs_gpa;
    fadt.x_dsdt = dsdt_gpa;
    fadt.sci_int = VMM_IRQ_SCI;
    fadt.pm1a_evt_blk = VMM_PORT_PM1_EVT;
    fadt.pm1a_cnt_blk = VMM_PORT_PM1_CNT;
    fadt.pm_tmr_blk = VMM_PORT_PM_TMR;
    fadt.pm1_evt_len = 4;
    fadt.pm1_cnt_len = 2;
    fadt.pm_tmr_len = 4;
    fadt.x_pm1a_evt_blk = gas_io(VMM_PORT_PM1_EVT, 4);
    fadt.x_pm1a_evt_blk.access_size = 2;
    fadt.x_pm1a_cnt_blk = gas_io(VMM_PORT_PM1_CNT, 2);
    fadt.x_pm_tmr_blk = gas_io(VMM_PORT_PM_TMR, 4);
    fadt.p_lvl2_lat = 101;                            /* > 100: no C2 */
    fadt.p_lvl3_lat = 1001;                           /* > 1000: no C3 */
    fadt.iapc_boot_arch = IAPC_VGA_NOT_PRESENT | IAPC_CMOS_RTC_ABSENT;
    fadt.flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_TMR_VAL_EXT |
                 FADT_RESET_REG_SUP;
    fadt.reset_reg = gas_io(VMM_PORT_RESET, 1);
    fadt.reset_value = VMM_RESET_VALUE;
    fadt.minor_version = 0;
    ret |= emit(mem, &at, &fadt, sizeof(fadt), &fadt_gpa);

    madt_len = build_madt(madt, nr_vcpus);
    ret |= emit(mem, &at, madt, madt_len, &madt_gpa);

    header(&xsdt.h, "XSDT", sizeof(xsdt), 1);
    xsdt.entries[0] = fadt_gpa;
    xsdt.entries[1] = madt_gpa;
    ret |= emit(mem, &at, &xsdt, sizeof(xsdt), &xsdt_gpa);

    memcpy(rsdp.signature, "RSD PTR ", 8);
    memcpy(rsdp.oem_id, "LITE  ", 6);
    rsdp.revision = 2;
    rsdp.length = sizeof(rsdp);
    rsdp.xsdt = xsdt_gpa;
    rsdp.checksum = checksum(&rsdp, 20);
    rsdp.ext_checksum = checksum(&rsdp, sizeof(rsdp));
    ret |= vmm_mem_write(mem, VMM_GPA_ACPI, &rsdp, sizeof(rsdp));
    if (ret)
        return -EFAULT;
    *rsdp_gpa = VMM_GPA_ACPI;
    return 0;
}
