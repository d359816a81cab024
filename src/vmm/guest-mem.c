/* guest-mem.c: guest RAM: one anonymous mapping split around the MMIO hole, checked access. */
#include "guest-mem.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include <glib.h>

#include "log.h"

#define BITS_PER_LONG (8 * sizeof(unsigned long))

/* Guest RAM starts on a 2 MiB boundary of the host address space, and is offered to
 * transparent huge pages. Why: KVM maps a guest range with one 2 MiB EPT/NPT entry only when
 * the host address has the same offset in its 2 MiB page as the guest address, and the host
 * page is a huge page. An mmap() of its own is only page-aligned (Linux before 6.7), so every
 * guest page then costs a nested page fault of its own on first touch: in the nested tier
 * that was seconds of a stock kernel's boot (docs/vmm.md, "Boot time"). QEMU does the same
 * (qemu_ram_mmap aligns, MADV_HUGEPAGE).
 * The reservation is PROT_NONE and MAP_NORESERVE, so it is not charged; the RAM mapping
 * placed into it is not MAP_NORESERVE: the kernel's overcommit check then still refuses
 * sizes the host can never back, at start instead of with an OOM kill later. */
static void *
map_ram(uint64_t ram_size)
{
    uint64_t span = ram_size + VMM_RAM_ALIGN;
    uint8_t *res, *map;
    uintptr_t start;

    res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (res == MAP_FAILED)
        return MAP_FAILED;
    start = ((uintptr_t)res + VMM_RAM_ALIGN - 1) & ~(uintptr_t)(VMM_RAM_ALIGN - 1);
    map = mmap((void *)start, ram_size, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (map == MAP_FAILED) {
        int err = errno;

        munmap(res, span);
        errno = err;
        return MAP_FAILED;
    }
    /* The unused head and tail of the reservation go back. */
    if (map > res)
        munmap(res, (size_t)(map - res));
    if (res + span > map + ram_size)
        munmap(map + ram_size, (size_t)(res + span - (map + ram_size)));
    /* Only a hint: a host without THP (EINVAL) runs the same, with 4 KiB pages. */
    if (madvise(map, ram_size, MADV_HUGEPAGE) < 0)
        lite_debug("MADV_HUGEPAGE on guest RAM: %s", g_strerror(errno));
    return map;
}

int
vmm_mem_init(vmm_mem *m, uint64_t ram_size, uint64_t hole_start, uint64_t hole_end)
{
    uint64_t low = MIN(ram_size, hole_start);
    uint64_t pages = ram_size / VMM_PAGE_SIZE;
    void *map;

    memset(m, 0, sizeof(*m));
    if (ram_size == 0 || ram_size % VMM_PAGE_SIZE || hole_start > hole_end ||
        ram_size > (1ULL << 46)) {
        lite_err("guest RAM size %" PRIu64 " bytes is not usable", ram_size);
        return -EINVAL;
    }
    map = map_ram(ram_size);
    if (map == MAP_FAILED) {
        int err = errno;
        lite_err("cannot map %" PRIu64 " MiB of guest RAM: %s", ram_size >> 20,
                 g_strerror(err));
        return -err;
    }
    m->map = map;
    m->ram_size = ram_size;
    m->regions[0] = (vmm_mem_region){ .gpa = 0, .size = low, .host = m->map };
    m->nr_regions = 1;
    if (ram_size > low) {
        m->regions[1] = (vmm_mem_region){ .gpa = hole_end, .size = ram_size - low,
                                          .host = m->map + low };
        m->nr_regions = 2;
    }
    m->dirty = g_new0(unsigned long, (pages + BITS_PER_LONG - 1) / BITS_PER_LONG);
    return 0;
}

void
vmm_mem_destroy(vmm_mem *m)
{
    if (m->map)
        munmap(m->map, m->ram_size);
    g_free(m->dirty);
    memset(m, 0, sizeof(*m));
}

int
vmm_mem_discard(vmm_mem *m)
{
    if (madvise(m->map, m->ram_size, MADV_DONTNEED) < 0) {
        int err = errno;
        lite_err("cannot discard guest RAM: %s", g_strerror(err));
        return -err;
    }
    vmm_mem_clear_dirty(m);
    return 0;
}

static uint8_t *
translate(const vmm_mem *m, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < m->nr_regions; i++) {
        const vmm_mem_region *r = &m->regions[i];

        /* Written so that no sum can wrap: gpa and len are guest-controlled. */
        if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
            return r->host + (gpa - r->gpa);
    }
    return NULL;
}

static void
mark_dirty(vmm_mem *m, const uint8_t *host, uint64_t len)
{
    uint64_t first = (uint64_t)(host - m->map) / VMM_PAGE_SIZE;
    uint64_t last = len ? ((uint64_t)(host - m->map) + len - 1) / VMM_PAGE_SIZE : first;

    for (uint64_t p = first; len && p <= last; p++)
        m->dirty[p / BITS_PER_LONG] |= 1UL << (p % BITS_PER_LONG);
}

bool
vmm_mem_contains(const vmm_mem *m, uint64_t gpa, uint64_t len)
{
    return translate(m, gpa, len) != NULL;
}

const void *
vmm_mem_ptr(const vmm_mem *m, uint64_t gpa, uint64_t len)
{
    return translate(m, gpa, len);
}

void *
vmm_mem_ptr_w(vmm_mem *m, uint64_t gpa, uint64_t len)
{
    uint8_t *p = translate(m, gpa, len);

    if (p)
        mark_dirty(m, p, len);
    return p;
}

int
vmm_mem_read(const vmm_mem *m, uint64_t gpa, void *buf, uint64_t len)
{
    const void *p = vmm_mem_ptr(m, gpa, len);

    if (!p)
        return -EFAULT;
    memcpy(buf, p, len);
    return 0;
}

int
vmm_mem_write(vmm_mem *m, uint64_t gpa, const void *buf, uint64_t len)
{
    void *p = vmm_mem_ptr_w(m, gpa, len);

    if (!p)
        return -EFAULT;
    memcpy(p, buf, len);
    return 0;
}

int
vmm_mem_fill(vmm_mem *m, uint64_t gpa, int byte, uint64_t len)
{
    void *p = vmm_mem_ptr_w(m, gpa, len);

    if (!p)
        return -EFAULT;
    memset(p, byte, len);
    return 0;
}

bool
vmm_mem_page_dirty(const vmm_mem *m, uint64_t gpa)
{
    const uint8_t *p = translate(m, gpa, 1);
    uint64_t page;

    if (!p)
        return false;
    page = (uint64_t)(p - m->map) / VMM_PAGE_SIZE;
    return m->dirty[page / BITS_PER_LONG] & (1UL << (page % BITS_PER_LONG));
}

void
vmm_mem_clear_dirty(vmm_mem *m)
{
    memset(m->dirty, 0, ((m->ram_size / VMM_PAGE_SIZE + BITS_PER_LONG - 1) / BITS_PER_LONG) *
           sizeof(unsigned long));
}
