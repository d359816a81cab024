/* elf-load.h: checked parsing of ELF64 guest kernels: entry notes and PT_LOAD segments. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest-mem.h"
#include "lite-cpl3.h"
#include "vmm-error.h"

#define VMM_XEN_ELFNOTE_PHYS32_ENTRY 18

typedef struct {
    uint64_t entry;           /* e_entry */
    bool has_cpl3;
    struct lite_cpl3_note cpl3;
    bool has_pvh;
    uint64_t pvh_entry;       /* XEN_ELFNOTE_PHYS32_ENTRY */
    uint64_t load_end;        /* highest p_paddr + p_memsz */
} vmm_elf_info;

bool vmm_elf_is_elf(const uint8_t *img, size_t len);
/* Validates the headers (every offset and size against the file) and reads the entry notes.
 * 0 or -ENOEXEC with @err set. */
int vmm_elf_probe(const uint8_t *img, size_t len, vmm_elf_info *info, vmm_error *err);
/* Copies each PT_LOAD segment to its p_paddr and zeroes the rest up to p_memsz. Segments
 * must lie in RAM at or above @min_gpa and must not overlap. 0 or -ENOEXEC/-EFBIG. */
int vmm_elf_load(vmm_mem *mem, const uint8_t *img, size_t len, uint64_t min_gpa,
                 vmm_error *err);
