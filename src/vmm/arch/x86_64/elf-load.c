/* elf-load.c: ELF64 kernels. The file is hostile input: every header field is checked
 * against the file size and guest RAM before anything is copied. */
#include "elf-load.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <glib.h>

#include "control.h"

#define ELF_MAX_PHDRS 64

bool
vmm_elf_is_elf(const uint8_t *img, size_t len)
{
    return len >= SELFMAG && memcmp(img, ELFMAG, SELFMAG) == 0;
}

static int
bad(vmm_error *err, const char *what)
{
    return vmm_fail(err, LITE_ECODE_UNSUPPORTED, ENOEXEC, "kernel ELF is malformed: %s", what);
}

/* True when [off, off + size) is inside a file of @len bytes, without overflow. */
static bool
in_file(uint64_t off, uint64_t size, size_t len)
{
    return off <= len && size <= len - off;
}

static int
read_phdrs(const uint8_t *img, size_t len, Elf64_Ehdr *eh, Elf64_Phdr *ph, vmm_error *err)
{
    if (len < sizeof(*eh))
        return bad(err, "shorter than an ELF header");
    memcpy(eh, img, sizeof(*eh));
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return bad(err, "not a little-endian ELF64 file");
    if (eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC)
        return bad(err, "not an x86_64 executable");
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
        eh->e_phnum > ELF_MAX_PHDRS)
        return bad(err, "unusable program header table");
    if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len))
        return bad(err, "program headers beyond the end of the file");
    memcpy(ph, img + eh->e_phoff, (size_t)eh->e_phnum * sizeof(Elf64_Phdr));
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if ((ph[i].p_type == PT_LOAD || ph[i].p_type == PT_NOTE) &&
            !in_file(ph[i].p_offset, ph[i].p_filesz, len))
            return bad(err, "a segment lies beyond the end of the file");
        if (ph[i].p_type == PT_LOAD && ph[i].p_filesz > ph[i].p_memsz)
            return bad(err, "a segment's file size exceeds its memory size");
    }
    return 0;
}

static void
read_note(vmm_elf_info *info, const char *name, uint32_t namesz, uint32_t type,
          const uint8_t *desc, uint32_t descsz)
{
    if (namesz == sizeof(LITE_CPL3_NOTE_NAME) &&
        memcmp(name, LITE_CPL3_NOTE_NAME, namesz) == 0 && type == LITE_CPL3_NOTE_TYPE &&
        descsz >= sizeof(info->cpl3)) {
        memcpy(&info->cpl3, desc, sizeof(info->cpl3));
        info->has_cpl3 = true;
    } else if (namesz == 4 && memcmp(name, "Xen", 4) == 0 &&
               type == VMM_XEN_ELFNOTE_PHYS32_ENTRY && (descsz == 4 || descsz == 8)) {
        uint64_t entry = 0;

        memcpy(&entry, desc, descsz);
        info->pvh_entry = entry;
        info->has_pvh = true;
    }
}

static int
read_notes(const uint8_t *seg, uint64_t size, uint64_t align, vmm_elf_info *info,
           vmm_error *err)
{
    uint64_t a = align == 8 ? 8 : 4;
    uint64_t pos = 0;

    while (size - pos >= 12) {
        uint32_t namesz, descsz, type;
        uint64_t name_off, desc_off;

        memcpy(&namesz, seg + pos, 4);
        memcpy(&descsz, seg + pos + 4, 4);
        memcpy(&type, seg + pos + 8, 4);
        name_off = pos + 12;
        desc_off = name_off + ((namesz + a - 1) & ~(a - 1));
        if (desc_off > size || descsz > size - desc_off || namesz > size - name_off)
            return bad(err, "an ELF note runs past its segment");
        read_note(info, (const char *)seg + name_off, namesz, type, seg + desc_off, descsz);
        pos = desc_off + ((descsz + a - 1) & ~(a - 1));
        if (pos > size)
            break;
    }
    return 0;
}

int
vmm_elf_probe(const uint8_t *img, size_t len, vmm_elf_info *info, vmm_error *err)
{
    Elf64_Ehdr eh;
    Elf64_Phdr ph[ELF_MAX_PHDRS];
    int ret;

    memset(info, 0, sizeof(*info));
    if ((ret = read_phdrs(img, len, &eh, ph, err)) < 0)
        return ret;
    info->entry = eh.e_entry;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type == PT_NOTE &&
            (ret = read_notes(img + ph[i].p_offset, ph[i].p_filesz, ph[i].p_align, info,
                              err)) < 0)
            return ret;
        if (ph[i].p_type == PT_LOAD) {
            if (ph[i].p_memsz > UINT64_MAX - ph[i].p_paddr)
                return bad(err, "a segment wraps around the address space");
            info->load_end = MAX(info->load_end, ph[i].p_paddr + ph[i].p_memsz);
        }
    }
    return 0;
}

int
vmm_elf_load(vmm_mem *mem, const uint8_t *img, size_t len, uint64_t min_gpa, vmm_error *err)
{
    Elf64_Ehdr eh;
    Elf64_Phdr ph[ELF_MAX_PHDRS];
    int ret;

    if ((ret = read_phdrs(img, len, &eh, ph, err)) < 0)
        return ret;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        const Elf64_Phdr *p = &ph[i];

        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        if (p->p_paddr < min_gpa || !vmm_mem_contains(mem, p->p_paddr, p->p_memsz))
            return vmm_fail(err, LITE_ECODE_UNSUPPORTED, EFBIG,
                            "kernel segment at 0x%" PRIx64 " (%" PRIu64
                            " bytes) does not fit in guest RAM above 0x%" PRIx64
                            "x: give the domain more memory or relink the kernel",
                            (guint64)p->p_paddr, (guint64)p->p_memsz, (guint64)min_gpa);
        for (unsigned j = 0; j < i; j++) {
            const Elf64_Phdr *q = &ph[j];

            if (q->p_type == PT_LOAD && q->p_memsz && p->p_paddr < q->p_paddr + q->p_memsz &&
                q->p_paddr < p->p_paddr + p->p_memsz)
                return bad(err, "two loadable segments overlap");
        }
        vmm_mem_write(mem, p->p_paddr, img + p->p_offset, p->p_filesz);
        vmm_mem_fill(mem, p->p_paddr + p->p_filesz, 0, p->p_memsz - p->p_filesz);
    }
    return 0;
}
