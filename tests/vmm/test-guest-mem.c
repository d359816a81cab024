/* test-guest-mem.c: the guest-memory accessor refuses every range that is not RAM, however
 * the guest spells it, and records the VMM's own writes as dirty. */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include <glib.h>

#include "guest-mem.h"

#define MiB (1024ULL * 1024)

static void
test_bounds(void)
{
    vmm_mem m;
    uint8_t buf[16] = { 0 };

    g_assert_cmpint(vmm_mem_init(&m, 16 * MiB, 8 * MiB, 12 * MiB), ==, 0);
    g_assert_cmpuint(m.nr_regions, ==, 2);
    g_assert_cmpuint(m.regions[1].gpa, ==, 12 * MiB);
    g_assert_cmpuint(m.regions[1].size, ==, 8 * MiB);
    g_assert_nonnull(vmm_mem_ptr(&m, 0, 8 * MiB));
    g_assert_nonnull(vmm_mem_ptr(&m, 8 * MiB - 1, 1));
    g_assert_null(vmm_mem_ptr(&m, 8 * MiB - 1, 2));           /* into the hole */
    g_assert_null(vmm_mem_ptr(&m, 8 * MiB, 1));               /* the hole */
    g_assert_nonnull(vmm_mem_ptr(&m, 12 * MiB, 8 * MiB));
    g_assert_null(vmm_mem_ptr(&m, 12 * MiB, 8 * MiB + 1));    /* past the end */
    g_assert_null(vmm_mem_ptr(&m, 20 * MiB, 0 + 1));
    g_assert_null(vmm_mem_ptr(&m, UINT64_MAX, 2));            /* wraps */
    g_assert_null(vmm_mem_ptr(&m, 4096, UINT64_MAX));         /* wraps */
    g_assert_null(vmm_mem_ptr(&m, UINT64_MAX - 4095, 4096));
    g_assert_nonnull(vmm_mem_ptr(&m, 4096, 0));               /* empty but inside */
    g_assert_cmpint(vmm_mem_read(&m, 8 * MiB - 8, buf, 16), ==, -EFAULT);
    g_assert_cmpint(vmm_mem_write(&m, 12 * MiB - 8, buf, 16), ==, -EFAULT);
    g_assert_cmpint(vmm_mem_fill(&m, 20 * MiB - 8, 0, 16), ==, -EFAULT);
    g_assert_true(vmm_mem_contains(&m, 0, 16));
    g_assert_false(vmm_mem_contains(&m, 10 * MiB, 16));
    vmm_mem_destroy(&m);
}

static void
test_writes_land_and_mark_dirty(void)
{
    vmm_mem m;
    uint32_t v = 0xdeadbeef, back = 0;

    g_assert_cmpint(vmm_mem_init(&m, 16 * MiB, 8 * MiB, 12 * MiB), ==, 0);
    g_assert_false(vmm_mem_page_dirty(&m, 12 * MiB + 4096));
    g_assert_cmpint(vmm_mem_write(&m, 12 * MiB + 4096 + 4094, &v, sizeof(v)), ==, 0);
    g_assert_true(vmm_mem_page_dirty(&m, 12 * MiB + 4096));
    g_assert_true(vmm_mem_page_dirty(&m, 12 * MiB + 8192));  /* the write spans two pages */
    g_assert_false(vmm_mem_page_dirty(&m, 12 * MiB));
    /* The high region is backed right after the low one in the host mapping. */
    g_assert_cmpint(vmm_mem_read(&m, 12 * MiB + 4096 + 4094, &back, sizeof(back)), ==, 0);
    g_assert_cmpuint(back, ==, v);
    g_assert_true(m.map + 8 * MiB + 4096 + 4094 == vmm_mem_ptr(&m, 12 * MiB + 4096 + 4094, 4));
    /* Reading does not dirty. */
    g_assert_nonnull(vmm_mem_ptr(&m, 0, 4096));
    g_assert_false(vmm_mem_page_dirty(&m, 0));
    vmm_mem_clear_dirty(&m);
    g_assert_false(vmm_mem_page_dirty(&m, 12 * MiB + 4096));
    /* Discarding gives zeroes back. */
    g_assert_cmpint(vmm_mem_discard(&m), ==, 0);
    g_assert_cmpint(vmm_mem_read(&m, 12 * MiB + 4096 + 4094, &back, sizeof(back)), ==, 0);
    g_assert_cmpuint(back, ==, 0);
    vmm_mem_destroy(&m);
}

static void
test_refuses_unusable_sizes(void)
{
    vmm_mem m;

    g_assert_cmpint(vmm_mem_init(&m, 0, 8 * MiB, 12 * MiB), ==, -EINVAL);
    g_assert_cmpint(vmm_mem_init(&m, 4097, 8 * MiB, 12 * MiB), ==, -EINVAL);
    g_assert_cmpint(vmm_mem_init(&m, 1ULL << 50, 8 * MiB, 12 * MiB), ==, -EINVAL);
    /* Small RAM below the hole is one region. */
    g_assert_cmpint(vmm_mem_init(&m, 4 * MiB, 8 * MiB, 12 * MiB), ==, 0);
    g_assert_cmpuint(m.nr_regions, ==, 1);
    vmm_mem_destroy(&m);
}

/* KVM maps 2 MiB of guest RAM with one EPT/NPT entry only when host and guest addresses
 * agree modulo 2 MiB: every region's host address must keep its GPA's offset in a huge page,
 * whatever the size (odd sizes too), and the mapping must be exactly as large as RAM (nothing
 * of the alignment slack left mapped). */
static void
test_huge_page_aligned(void)
{
    static const uint64_t sizes[] = { 4 * MiB, 16 * MiB, 16 * MiB + 4096, 2 * MiB + 8192 };

    for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
        vmm_mem m;

        g_assert_cmpint(vmm_mem_init(&m, sizes[i], 8 * MiB, 12 * MiB), ==, 0);
        g_assert_cmpuint((uintptr_t)m.map % VMM_RAM_ALIGN, ==, 0);
        for (unsigned r = 0; r < m.nr_regions; r++)
            g_assert_cmpuint(((uintptr_t)m.regions[r].host - m.regions[r].gpa) % VMM_RAM_ALIGN,
                             ==, 0);
        /* The byte after RAM is not mapped: msync on an unmapped page fails with ENOMEM. */
        g_assert_cmpint(msync(m.map + sizes[i], 4096, MS_ASYNC), ==, -1);
        g_assert_cmpint(errno, ==, ENOMEM);
        g_assert_cmpint(msync(m.map + sizes[i] - 4096, 4096, MS_ASYNC), ==, 0);
        vmm_mem_destroy(&m);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vmm/mem/bounds", test_bounds);
    g_test_add_func("/vmm/mem/writes-land-and-mark-dirty", test_writes_land_and_mark_dirty);
    g_test_add_func("/vmm/mem/refuses-unusable-sizes", test_refuses_unusable_sizes);
    g_test_add_func("/vmm/mem/huge-page-aligned", test_huge_page_aligned);
    return g_test_run();
}
