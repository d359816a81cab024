/* guest-mem.h: guest RAM and the one bounds-checked accessor every VMM part uses to touch it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_PAGE_SIZE 4096ULL
/* Where guest RAM starts in the host's address space: a huge page boundary (guest-mem.c). */
#define VMM_RAM_ALIGN (2ULL << 20)
#define VMM_MEM_MAX_REGIONS 2

/* A guest-physical range backed by host memory (one KVM memslot each). */
typedef struct {
    uint64_t gpa;
    uint64_t size;
    uint8_t *host;
} vmm_mem_region;

typedef struct {
    uint8_t *map;             /* one anonymous mapping holding all RAM */
    uint64_t ram_size;
    vmm_mem_region regions[VMM_MEM_MAX_REGIONS];
    unsigned nr_regions;
    /* Pages the VMM itself wrote (a snapshot's dirty set is KVM's log OR this). Indexed by
     * the page's offset in @map. */
    unsigned long *dirty;
} vmm_mem;

/* Maps @ram_size bytes (a multiple of 4 KiB) laid out around the MMIO hole [@hole_start,
 * @hole_end). 0, -EINVAL for an unusable size, -ENOMEM when the host cannot provide it. */
int vmm_mem_init(vmm_mem *m, uint64_t ram_size, uint64_t hole_start, uint64_t hole_end);
void vmm_mem_destroy(vmm_mem *m);
/* Drops every page (the guest sees zeroes, the host gets the memory back). */
int vmm_mem_discard(vmm_mem *m);

/* The host address of [gpa, gpa + len) if it lies entirely inside one RAM region, else NULL.
 * Reading only; use vmm_mem_ptr_w to write through the pointer. */
const void *vmm_mem_ptr(const vmm_mem *m, uint64_t gpa, uint64_t len);
void *vmm_mem_ptr_w(vmm_mem *m, uint64_t gpa, uint64_t len);
/* Copies; 0 or -EFAULT when any byte is outside RAM. */
int vmm_mem_read(const vmm_mem *m, uint64_t gpa, void *buf, uint64_t len);
int vmm_mem_write(vmm_mem *m, uint64_t gpa, const void *buf, uint64_t len);
int vmm_mem_fill(vmm_mem *m, uint64_t gpa, int byte, uint64_t len);
/* True when [gpa, gpa + len) is RAM (in one region). */
bool vmm_mem_contains(const vmm_mem *m, uint64_t gpa, uint64_t len);

bool vmm_mem_page_dirty(const vmm_mem *m, uint64_t gpa);
void vmm_mem_clear_dirty(vmm_mem *m);
