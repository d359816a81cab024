/* test-acpi.c: the ACPI tables checksum, point at each other, describe the machine (N CPUs,
 * the PM block, the fixed power button, S5, the reset register), and parse: each is
 * disassembled with iasl -d (Debian's acpica-tools). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "boot.h"
#include "layout.h"

#define MiB (1024ULL * 1024)

static uint8_t
sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;

    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

static const uint8_t *
table(vmm_mem *m, uint64_t gpa, const char *sig, uint32_t *len)
{
    const uint8_t *h = vmm_mem_ptr(m, gpa, 36);

    g_assert_nonnull(h);
    g_assert_cmpmem(h, 4, sig, 4);
    memcpy(len, h + 4, 4);
    h = vmm_mem_ptr(m, gpa, *len);
    g_assert_nonnull(h);
    g_assert_cmpuint(sum(h, *len), ==, 0);
    return h;
}

static uint64_t
u64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return v;
}

static uint32_t
u32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

/* Writes @len bytes to DIR/NAME.dat, runs iasl -d on it, returns the .dsl text. */
static char *
disassemble(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
    g_autofree char *dat = g_strdup_printf("%s/%s.dat", dir, name);
    g_autofree char *dsl = g_strdup_printf("%s/%s.dsl", dir, name);
    g_autofree char *out = NULL;
    g_autofree char *errout = NULL;
    const char *argv[] = { "iasl", "-d", dat, NULL };
    char *text = NULL;
    int status = -1;

    g_assert_true(g_file_set_contents(dat, (const char *)buf, (gssize)len, NULL));
    g_assert_true(g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               &errout, &status, NULL));
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("iasl -d %s failed:\n%s%s", name, out, errout);
    g_assert_true(g_file_get_contents(dsl, &text, NULL, NULL));
    unlink(dat);
    unlink(dsl);
    return text;
}

static void
test_tables(void)
{
    g_autofree char *iasl = g_find_program_in_path("iasl");
    g_autofree char *dir = NULL;
    const uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt, *facs;
    uint32_t xsdt_len, fadt_len, madt_len, dsdt_len;
    uint64_t rsdp_gpa = 0;
    unsigned lapics = 0;
    vmm_mem m;

    g_assert_cmpint(vmm_mem_init(&m, 16 * MiB, VMM_MMIO_HOLE_START, VMM_MMIO_HOLE_END), ==, 0);
    g_assert_cmpint(vmm_acpi_build(&m, 3, &rsdp_gpa), ==, 0);
    g_assert_cmpuint(rsdp_gpa, ==, VMM_GPA_ACPI);
    g_assert_cmpint(vmm_acpi_build(&m, 0, &rsdp_gpa), ==, -EINVAL);
    g_assert_cmpint(vmm_acpi_build(&m, 256, &rsdp_gpa), ==, -EINVAL);

    rsdp = vmm_mem_ptr(&m, rsdp_gpa, 36);
    g_assert_cmpmem(rsdp, 8, "RSD PTR ", 8);
    g_assert_cmpuint(sum(rsdp, 20), ==, 0);
    g_assert_cmpuint(sum(rsdp, 36), ==, 0);
    g_assert_cmpuint(rsdp[15], ==, 2);
    xsdt = table(&m, u64(rsdp + 24), "XSDT", &xsdt_len);
    g_assert_cmpuint(xsdt_len, ==, 36 + 16);
    fadt = table(&m, u64(xsdt + 36), "FACP", &fadt_len);
    madt = table(&m, u64(xsdt + 44), "APIC", &madt_len);
    g_assert_cmpuint(fadt_len, ==, 276);
    dsdt = table(&m, u64(fadt + 140), "DSDT", &dsdt_len);
    g_assert_cmpuint(u32(fadt + 40), ==, u64(fadt + 140));
    facs = vmm_mem_ptr(&m, u64(fadt + 132), 64);
    g_assert_cmpmem(facs, 4, "FACS", 4);
    g_assert_cmpuint(u64(fadt + 132) % 64, ==, 0);
    /* PM blocks, SCI, fixed power button (flag bit 4 clear), reset register. */
    g_assert_cmpuint(fadt[46] | (fadt[47] << 8), ==, VMM_IRQ_SCI);
    g_assert_cmpuint(u32(fadt + 56), ==, VMM_PORT_PM1_EVT);
    g_assert_cmpuint(u32(fadt + 64), ==, VMM_PORT_PM1_CNT);
    g_assert_cmpuint(u32(fadt + 76), ==, VMM_PORT_PM_TMR);
    g_assert_cmpuint(u32(fadt + 112) & (1u << 4), ==, 0);
    g_assert_cmpuint(u32(fadt + 112) & (1u << 10), !=, 0);
    g_assert_cmpuint(u64(fadt + 120), ==, VMM_PORT_RESET);
    g_assert_cmpuint(fadt[128], ==, VMM_RESET_VALUE);
    /* MADT: three CPUs, one IOAPIC, the SCI override level/active-high. */
    for (uint32_t off = 44; off < madt_len; off += madt[off + 1]) {
        g_assert_cmpuint(madt[off + 1], >=, 2);
        if (madt[off] == 0) {
            g_assert_cmpuint(madt[off + 3], ==, lapics);
            lapics++;
        }
        if (madt[off] == 2 && madt[off + 3] == VMM_IRQ_SCI)
            g_assert_cmpuint(madt[off + 8], ==, 0x0d);
    }
    g_assert_cmpuint(lapics, ==, 3);
    g_assert_nonnull(memmem(dsdt, dsdt_len, "_S5_", 4));

    if (!iasl) {
        g_test_skip("iasl (acpica-tools) is not installed: tables not disassembled");
        vmm_mem_destroy(&m);
        return;
    }
    dir = g_dir_make_tmp("lite-acpi-XXXXXX", NULL);
    {
        /* What iasl must say about each table (and never "Invalid"/"Unknown"). */
        const struct {
            const char *name;
            const uint8_t *buf;
            uint32_t len;
            const char *expect[4];
        } tables[] = {
            { "facp", fadt, fadt_len, { "Signature : \"FACP\"",
                                        "PM1A Event Block Address : 00000600",
                                        "Control Method Power Button (V1) : 0",
                                        "Reset Register Supported (V2) : 1" } },
            { "apic", madt, madt_len, { "Local Apic ID : 02", "I/O APIC",
                                        "Interrupt Source Override", "Trigger Mode : 3" } },
            { "dsdt", dsdt, dsdt_len, { "Name (_S5, Package (0x04)" } },
            { "xsdt", xsdt, xsdt_len, { "ACPI Table Address   1" } },
        };

        for (guint i = 0; i < G_N_ELEMENTS(tables); i++) {
            g_autofree char *t = disassemble(dir, tables[i].name, tables[i].buf, tables[i].len);

            for (guint j = 0; j < G_N_ELEMENTS(tables[i].expect) && tables[i].expect[j]; j++) {
                if (!strstr(t, tables[i].expect[j]))
                    g_error("iasl -d %s lacks '%s':\n%s", tables[i].name, tables[i].expect[j], t);
            }
            g_assert_null(strstr(t, "Invalid"));
            g_assert_null(strstr(t, "Unknown"));
        }
    }
    rmdir(dir);
    vmm_mem_destroy(&m);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vmm/acpi/tables", test_tables);
    return g_test_run();
}
