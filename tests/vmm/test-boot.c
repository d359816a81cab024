/* test-boot.c: the three boot protocols lay out what their specifications say, and the
 * loaders refuse malformed kernels (truncated, lying headers, overlapping or out-of-RAM
 * segments, huge sizes, initrds that do not fit) with an error instead of a crash. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "boot.h"
#include "control.h"
#include "elf-load.h"
#include "layout.h"
#include "vmm.h"

#define MiB (1024ULL * 1024)

typedef struct {
    uint64_t paddr;
    uint64_t filesz;
    uint64_t memsz;
} seg;

/* An ELF64 x86_64 executable: a PT_NOTE (lite-cpl3 or Xen PVH entry) and @n PT_LOADs, each
 * filled with 0xab. */
static GByteArray *
make_elf(const seg *segs, unsigned n, const char *note_kind)
{
    GByteArray *b = g_byte_array_new();
    Elf64_Ehdr eh = { 0 };
    Elf64_Phdr ph[8] = { 0 };
    uint8_t note[64] = { 0 };
    size_t note_len = 0;
    uint64_t off;

    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
    eh.e_entry = segs[0].paddr;
    eh.e_phoff = sizeof(eh);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = (uint16_t)(n + 1);
    if (strcmp(note_kind, "cpl3") == 0) {
        uint32_t hdr[3] = { 8, sizeof(struct lite_cpl3_note), LITE_CPL3_NOTE_TYPE };
        struct lite_cpl3_note d = { LITE_CPL3_VERSION, 0, 0 };

        memcpy(note, hdr, 12);
        memcpy(note + 12, LITE_CPL3_NOTE_NAME, 8);
        memcpy(note + 20, &d, sizeof(d));
        note_len = 20 + sizeof(d);
    } else if (strcmp(note_kind, "pvh") == 0) {
        uint32_t hdr[3] = { 4, 4, VMM_XEN_ELFNOTE_PHYS32_ENTRY };
        uint32_t entry = (uint32_t)segs[0].paddr + 0x10;

        memcpy(note, hdr, 12);
        memcpy(note + 12, "Xen", 4);
        memcpy(note + 16, &entry, 4);
        note_len = 20;
    }
    off = sizeof(eh) + (n + 1) * sizeof(Elf64_Phdr);
    ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = off, .p_filesz = note_len,
                          .p_align = 4 };
    off += sizeof(note);
    for (unsigned i = 0; i < n; i++) {
        ph[i + 1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = off, .p_paddr = segs[i].paddr,
                                  .p_vaddr = segs[i].paddr, .p_filesz = segs[i].filesz,
                                  .p_memsz = segs[i].memsz, .p_align = 4096 };
        off += segs[i].filesz;
    }
    g_byte_array_append(b, (const guint8 *)&eh, sizeof(eh));
    g_byte_array_append(b, (const guint8 *)ph, (n + 1) * sizeof(Elf64_Phdr));
    g_byte_array_append(b, note, sizeof(note));
    for (unsigned i = 0; i < n; i++) {
        g_autofree uint8_t *fill = g_malloc(segs[i].filesz);

        memset(fill, 0xab, segs[i].filesz);
        g_byte_array_append(b, fill, (guint)segs[i].filesz);
    }
    return b;
}

static void
mem_setup(vmm_mem *m, uint64_t size)
{
    g_assert_cmpint(vmm_mem_init(m, size, VMM_MMIO_HOLE_START, VMM_MMIO_HOLE_END), ==, 0);
}

static int
load(vmm_mem *m, const GByteArray *k, const char *cmdline, const GByteArray *initrd,
     vmm_boot_plan *plan, vmm_error *err)
{
    vmm_boot_input in = {
        .kernel = k->data, .kernel_len = k->len, .cmdline = cmdline, .nr_vcpus = 2,
        .initrd = initrd ? initrd->data : NULL, .initrd_len = initrd ? initrd->len : 0,
    };

    return vmm_boot_load(m, &in, plan, err);
}

static void
test_cpl3_layout(void)
{
    seg s[] = { { 2 * MiB, 0x1000, 0x3000 } };
    g_autoptr(GByteArray) k = make_elf(s, 1, "cpl3");
    g_auto(vmm_error) err = { 0 };
    struct lite_cpl3_info info;
    struct lite_e820_entry e820[4];
    struct kvm_sregs sregs = { 0 };
    struct kvm_regs regs;
    vmm_boot_plan plan;
    uint64_t pml4, pde;
    uint8_t byte;
    vmm_mem m;

    mem_setup(&m, 64 * MiB);
    g_assert_cmpint(load(&m, k, "a b", NULL, &plan, &err), ==, 0);
    g_assert_cmpint(plan.protocol, ==, VMM_BOOT_CPL3);
    g_assert_cmpuint(plan.entry, ==, 2 * MiB);
    g_assert_cmpint(vmm_mem_read(&m, VMM_GPA_BOOT_INFO, &info, sizeof(info)), ==, 0);
    g_assert_cmpuint(info.magic, ==, LITE_CPL3_INFO_MAGIC);
    g_assert_cmpuint(info.nr_vcpus, ==, 2);
    g_assert_cmpuint(info.ram_size, ==, 64 * MiB);
    g_assert_cmpstr(vmm_mem_ptr(&m, info.cmdline_paddr, 4), ==, "a b");
    g_assert_cmpuint(info.serial_port, ==, 0x3f8);
    g_assert_cmpuint(info.rsdp_paddr, ==, VMM_GPA_ACPI);
    /* e820: the VMM's low megabyte reserved, the rest RAM. */
    g_assert_cmpuint(info.e820_entries, ==, 2);
    g_assert_cmpint(vmm_mem_read(&m, info.e820_paddr, e820, 2 * sizeof(e820[0])), ==, 0);
    g_assert_cmpuint(e820[0].type, ==, 2);
    g_assert_cmpuint(e820[1].addr, ==, 1 * MiB);
    g_assert_cmpuint(e820[1].size, ==, 63 * MiB);
    g_assert_cmpuint(e820[1].type, ==, 1);
    /* The segment is loaded and its bss zeroed. */
    g_assert_cmpint(vmm_mem_read(&m, 2 * MiB + 0xfff, &byte, 1), ==, 0);
    g_assert_cmpuint(byte, ==, 0xab);
    g_assert_cmpint(vmm_mem_read(&m, 2 * MiB + 0x1000, &byte, 1), ==, 0);
    g_assert_cmpuint(byte, ==, 0);
    /* Paging: user-accessible, the MMIO hole uncached. */
    vmm_mem_read(&m, VMM_GPA_PML4, &pml4, 8);
    g_assert_cmpuint(pml4 & 0x7, ==, 0x7);
    vmm_mem_read(&m, VMM_GPA_PD + 3 * 4096 + 8 * 503, &pde, 8);   /* 0xfee00000 */
    g_assert_cmpuint(pde & ~0xfffULL, ==, 0xfee00000ULL & ~0x1fffffULL);
    g_assert_cmpuint(pde & 0x9f, ==, 0x9f);
    /* The #UD gate enters the trampoline at CPL0; the stubs exist. */
    vmm_mem_read(&m, VMM_GPA_IDT + 6 * 16 + 5, &byte, 1);
    g_assert_cmpuint(byte, ==, 0x8e);
    g_assert_cmpuint(info.io_stub[LITE_CPL3_IO_OUTB], >, VMM_GPA_TRAMPOLINE);
    vmm_mem_read(&m, info.io_stub[LITE_CPL3_IO_OUTB], &byte, 1);
    g_assert_cmpuint(byte, ==, 0xee);
    /* Both vCPUs start at CPL3, each with its own TSS and stack. */
    g_assert_true(vmm_boot_vcpu_regs(&plan, 1, &sregs, &regs));
    g_assert_cmpuint(sregs.cs.selector, ==, 0x2b);
    g_assert_cmpuint(sregs.cs.dpl, ==, 3);
    g_assert_cmpuint(sregs.ss.selector, ==, 0x23);
    g_assert_cmpuint(sregs.tr.selector, ==, VMM_SEL_TSS(1));
    g_assert_cmpuint(regs.rsi, ==, 1);
    g_assert_cmpuint(regs.rdi, ==, VMM_GPA_BOOT_INFO);
    g_assert_cmpuint(regs.rsp, ==, VMM_GPA_USER_STACKS + 2 * VMM_USER_STACK);
    g_assert_cmpuint(regs.rflags, ==, 0x202);
    vmm_mem_destroy(&m);
}

static void
test_pvh_layout(void)
{
    seg s[] = { { 1 * MiB, 0x200, 0x200 } };
    g_autoptr(GByteArray) k = make_elf(s, 1, "pvh");
    g_autoptr(GByteArray) initrd = g_byte_array_new();
    g_auto(vmm_error) err = { 0 };
    struct kvm_sregs sregs = { 0 };
    struct kvm_regs regs;
    vmm_boot_plan plan;
    uint32_t si[14];
    uint64_t mod[4];
    vmm_mem m;

    g_byte_array_set_size(initrd, 5000);
    mem_setup(&m, 32 * MiB);
    g_assert_cmpint(load(&m, k, "console=ttyS0", initrd, &plan, &err), ==, 0);
    g_assert_cmpint(plan.protocol, ==, VMM_BOOT_PVH);
    g_assert_cmpuint(plan.entry, ==, 1 * MiB + 0x10);
    vmm_mem_read(&m, VMM_GPA_BOOT_INFO, si, sizeof(si));
    g_assert_cmpuint(si[0], ==, 0x336ec578);          /* magic */
    g_assert_cmpuint(si[1], ==, 1);                   /* version */
    g_assert_cmpuint(si[3], ==, 1);                   /* nr_modules */
    g_assert_cmpuint(si[6], ==, VMM_GPA_CMDLINE);     /* cmdline_paddr (low half) */
    g_assert_cmpuint(si[8], ==, VMM_GPA_ACPI);        /* rsdp_paddr */
    g_assert_cmpuint(si[12], ==, 3);                  /* memmap_entries */
    vmm_mem_read(&m, (uint64_t)si[4] | ((uint64_t)si[5] << 32), mod, sizeof(mod));
    g_assert_cmpuint(mod[1], ==, 5000);
    g_assert_cmpuint(mod[0] % 4096, ==, 0);
    g_assert_cmpuint(mod[0] + mod[1], <=, 32 * MiB);
    g_assert_cmpuint(mod[0], >=, 1 * MiB + 0x200);
    /* 32-bit protected mode, paging off, ebx = start_info; the second vCPU waits. */
    g_assert_true(vmm_boot_vcpu_regs(&plan, 0, &sregs, &regs));
    g_assert_cmpuint(sregs.cr0 & 0x80000001, ==, 1);
    g_assert_cmpuint(sregs.cs.db, ==, 1);
    g_assert_cmpuint(sregs.cs.l, ==, 0);
    g_assert_cmpuint(regs.rbx, ==, VMM_GPA_BOOT_INFO);
    g_assert_false(vmm_boot_vcpu_regs(&plan, 1, &sregs, &regs));
    vmm_mem_destroy(&m);
}

/* A bzImage header with protocol 2.15, XLF_KERNEL_64, and @pm bytes of kernel. */
static GByteArray *
make_bzimage(size_t pm, uint32_t init_size)
{
    GByteArray *b = g_byte_array_new();
    uint32_t v;

    g_byte_array_set_size(b, 5 * 512 + pm);
    memset(b->data, 0, b->len);
    b->data[0x1f1] = 4;                               /* setup_sects */
    b->data[0x1fe] = 0x55;
    b->data[0x1ff] = 0xaa;
    b->data[0x201] = 0x66;                            /* header ends at 0x268 */
    memcpy(b->data + 0x202, "HdrS", 4);
    b->data[0x206] = 0x0f;
    b->data[0x207] = 0x02;
    b->data[0x211] = 0x01;                            /* LOADED_HIGH */
    v = 0x7fffffff;
    memcpy(b->data + 0x22c, &v, 4);                   /* initrd_addr_max */
    b->data[0x236] = 0x01;                            /* XLF_KERNEL_64 */
    v = 2047;
    memcpy(b->data + 0x238, &v, 4);                   /* cmdline_size */
    memcpy(b->data + 0x260, &init_size, 4);
    memset(b->data + 5 * 512, 0xcd, pm);
    return b;
}

static void
test_linux_boot_params(void)
{
    g_autoptr(GByteArray) k = make_bzimage(64 * 1024, 4 * MiB);
    g_autoptr(GByteArray) initrd = g_byte_array_new();
    g_auto(vmm_error) err = { 0 };
    struct kvm_sregs sregs = { 0 };
    struct kvm_regs regs;
    const uint8_t *zp;
    vmm_boot_plan plan;
    uint32_t v32;
    uint64_t v64;
    uint8_t byte;
    vmm_mem m;

    g_byte_array_set_size(initrd, 3 * MiB + 5);
    mem_setup(&m, 128 * MiB);
    g_assert_cmpint(load(&m, k, "console=ttyS0 quiet", initrd, &plan, &err), ==, 0);
    g_assert_cmpint(plan.protocol, ==, VMM_BOOT_LINUX);
    g_assert_cmpuint(plan.entry, ==, VMM_GPA_KERNEL + 0x200);
    zp = vmm_mem_ptr(&m, VMM_GPA_ZERO_PAGE, 4096);
    g_assert_cmpuint(zp[0x210], ==, 0xff);            /* type_of_loader */
    memcpy(&v32, zp + 0x202, 4);
    g_assert_cmpmem(&v32, 4, "HdrS", 4);              /* the header was copied */
    memcpy(&v32, zp + 0x228, 4);
    g_assert_cmpuint(v32, ==, VMM_GPA_CMDLINE);
    g_assert_cmpstr(vmm_mem_ptr(&m, v32, 20), ==, "console=ttyS0 quiet");
    memcpy(&v32, zp + 0x218, 4);                      /* ramdisk_image */
    g_assert_cmpuint(v32 % 4096, ==, 0);
    g_assert_cmpuint(v32, >=, VMM_GPA_KERNEL + 4 * MiB);
    g_assert_cmpuint((uint64_t)v32 + initrd->len, <=, 128 * MiB);
    g_assert_cmpuint(v32, ==, plan.initrd_gpa);
    memcpy(&v32, zp + 0x21c, 4);
    g_assert_cmpuint(v32, ==, 3 * MiB + 5);
    memcpy(&v64, zp + 0x070, 8);                      /* acpi_rsdp_addr */
    g_assert_cmpuint(v64, ==, VMM_GPA_ACPI);
    g_assert_cmpuint(zp[0x1e8], ==, 3);               /* e820 entries */
    memcpy(&v64, zp + 0x2d0 + 2 * 20, 8);
    g_assert_cmpuint(v64, ==, 1 * MiB);
    memcpy(&v64, zp + 0x2d0 + 2 * 20 + 8, 8);
    g_assert_cmpuint(v64, ==, 127 * MiB);
    vmm_mem_read(&m, VMM_GPA_KERNEL, &byte, 1);
    g_assert_cmpuint(byte, ==, 0xcd);
    g_assert_true(vmm_boot_vcpu_regs(&plan, 0, &sregs, &regs));
    g_assert_cmpuint(sregs.cs.selector, ==, 0x10);
    g_assert_cmpuint(sregs.cs.l, ==, 1);
    g_assert_cmpuint(sregs.ds.selector, ==, 0x18);
    g_assert_cmpuint(sregs.efer & 0x500, ==, 0x500);
    g_assert_cmpuint(regs.rsi, ==, VMM_GPA_ZERO_PAGE);
    g_assert_false(vmm_boot_vcpu_regs(&plan, 1, &sregs, &regs));
    vmm_mem_destroy(&m);
}

static void
test_linux_refused_on_pvm(void)
{
    g_autoptr(GByteArray) k = make_bzimage(4096, 4096);
    g_auto(vmm_error) err = { 0 };
    vmm_boot_input in = { .kernel = k->data, .kernel_len = k->len, .nr_vcpus = 1,
                          .host_is_pvm = true };
    vmm_boot_plan plan;
    vmm_mem m;

    mem_setup(&m, 16 * MiB);
    g_assert_cmpint(vmm_boot_load(&m, &in, &plan, &err), ==, -ENOTSUP);
    g_assert_cmpstr(err.code, ==, LITE_ECODE_UNSUPPORTED);
    g_assert_nonnull(strstr(err.message, "PVM"));
    vmm_mem_destroy(&m);
}

static void
assert_refused(vmm_mem *m, GByteArray *k, const char *cmdline, GByteArray *initrd,
               const char *words)
{
    g_auto(vmm_error) err = { 0 };
    vmm_boot_plan plan;

    vmm_mem_discard(m);
    if (load(m, k, cmdline, initrd, &plan, &err) == 0)
        g_error("a malformed kernel was accepted (expected: %s)", words);
    g_assert_cmpstr(err.code, !=, NULL);
    if (!strstr(err.message, words))
        g_error("'%s' lacks '%s'", err.message, words);
}

static void
test_malformed_elf(void)
{
    seg one[] = { { 2 * MiB, 0x100, 0x100 } };
    seg overlap[] = { { 2 * MiB, 0x100, 0x2000 }, { 2 * MiB + 0x1000, 0x100, 0x100 } };
    seg low[] = { { 0x8000, 0x100, 0x100 } };
    seg beyond[] = { { 15 * MiB, 0x100, 2 * MiB } };
    seg wrap[] = { { 2 * MiB, 0x100, UINT64_MAX - 0x1000 } };
    g_autoptr(GByteArray) good = make_elf(one, 1, "cpl3");
    g_autoptr(GByteArray) k = NULL;
    Elf64_Ehdr *eh;
    Elf64_Phdr *ph;
    vmm_mem m;

    mem_setup(&m, 16 * MiB);
    /* Truncated anywhere: header, program headers, segment data. */
    for (guint len = 0; len < good->len; len += 7) {
        g_autoptr(GByteArray) t = g_byte_array_new();

        g_byte_array_append(t, good->data, len);
        if (len >= SELFMAG)
            assert_refused(&m, t, NULL, NULL, len < sizeof(Elf64_Ehdr) ? "ELF header" : "");
    }
    /* Lying headers. */
    k = make_elf(one, 1, "cpl3");
    eh = (Elf64_Ehdr *)k->data;
    eh->e_phnum = 60;
    assert_refused(&m, k, NULL, NULL, "beyond the end");
    eh->e_phnum = 2;
    eh->e_phoff = UINT64_MAX - 8;
    assert_refused(&m, k, NULL, NULL, "beyond the end");
    eh->e_phoff = sizeof(*eh);
    eh->e_phentsize = 32;
    assert_refused(&m, k, NULL, NULL, "program header");
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_machine = EM_386;
    assert_refused(&m, k, NULL, NULL, "x86_64");
    eh->e_machine = EM_X86_64;
    ph = (Elf64_Phdr *)(k->data + sizeof(*eh));
    ph[1].p_memsz = 0x80;
    assert_refused(&m, k, NULL, NULL, "file size exceeds");
    ph[1].p_memsz = 0x100;
    ph[1].p_offset = UINT64_MAX - 0x10;
    assert_refused(&m, k, NULL, NULL, "beyond the end");
    ph[1].p_offset = k->len - 0x100;
    ph[0].p_filesz = 1000;                            /* the note segment */
    assert_refused(&m, k, NULL, NULL, "beyond the end");
    ph[0].p_filesz = 20 + sizeof(struct lite_cpl3_note);
    memset(k->data + ph[0].p_offset, 0xff, 4);        /* namesz 4 GiB */
    assert_refused(&m, k, NULL, NULL, "note");
    g_clear_pointer(&k, g_byte_array_unref);

    {
        const struct {
            const seg *segs;
            unsigned n;
            const char *note;
            const char *words;
        } cases[] = {
            { overlap, 2, "cpl3", "overlap" },
            { low, 1, "cpl3", "does not fit" },
            { beyond, 1, "cpl3", "does not fit" },
            { wrap, 1, "pvh", "wraps" },
            { one, 1, "none", "PVH entry note" },
        };

        for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
            g_autoptr(GByteArray) c = make_elf(cases[i].segs, cases[i].n, cases[i].note);

            assert_refused(&m, c, NULL, NULL, cases[i].words);
        }
    }
    /* A command line longer than the protocol takes; an initrd for a lite-cpl3 guest. */
    {
        g_autofree char *big = g_strnfill(VMM_CMDLINE_MAX, 'x');
        g_autoptr(GByteArray) initrd = g_byte_array_new();

        g_byte_array_set_size(initrd, 10);
        assert_refused(&m, good, big, NULL, "command line");
        assert_refused(&m, good, NULL, initrd, "initrd");
    }
    vmm_mem_destroy(&m);
}

/* lite-cpl3 version 2 only adds the idle register: version-1 guests still boot (and are
 * told of it, which they ignore); versions this lite-vmm does not know are refused. */
static void
test_cpl3_versions(void)
{
    seg one[] = { { 2 * MiB, 0x100, 0x100 } };
    g_autoptr(GByteArray) k = make_elf(one, 1, "cpl3");
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(k->data + sizeof(Elf64_Ehdr));
    uint32_t *version = (uint32_t *)(k->data + ph[0].p_offset + 20);
    struct lite_cpl3_info info;
    vmm_mem m;

    mem_setup(&m, 16 * MiB);
    for (uint32_t v = 1; v <= 2; v++) {
        g_auto(vmm_error) err = { 0 };
        vmm_boot_plan plan;

        *version = v;
        vmm_mem_discard(&m);
        g_assert_cmpint(load(&m, k, NULL, NULL, &plan, &err), ==, 0);
        g_assert_cmpint(vmm_mem_read(&m, VMM_GPA_BOOT_INFO, &info, sizeof(info)), ==, 0);
        g_assert_cmpuint(info.version, ==, 2);
        g_assert_cmpuint(info.idle_paddr, ==, VMM_GPA_CPL3_IDLE);
        /* In the MMIO hole, clear of the LAPIC and IOAPIC: no RAM, no in-kernel device. */
        g_assert_cmpuint(info.idle_paddr, >=, VMM_MMIO_HOLE_START);
        g_assert_cmpuint(info.idle_paddr, <, VMM_GPA_IOAPIC);
        g_assert_false(vmm_mem_contains(&m, info.idle_paddr, 8));
    }
    *version = 0;
    assert_refused(&m, k, NULL, NULL, "version 0");
    *version = 3;
    assert_refused(&m, k, NULL, NULL, "version 3");
    vmm_mem_destroy(&m);
}

/* What an idle write names as its wake word is the guest's to choose: only a zero word in
 * RAM lets the vCPU halt; anything else returns at once. */
static void
test_cpl3_idle_wake_word(void)
{
    uint32_t one = 1;
    vmm_mem m;

    mem_setup(&m, 16 * MiB);
    g_assert_true(vmm_idle_may_halt(&m, 0));                       /* no wake word */
    g_assert_true(vmm_idle_may_halt(&m, 2 * MiB));                 /* zero */
    g_assert_true(vmm_idle_may_halt(&m, 16 * MiB - 4));            /* last word of RAM */
    g_assert_cmpint(vmm_mem_write(&m, 2 * MiB, &one, 4), ==, 0);
    g_assert_false(vmm_idle_may_halt(&m, 2 * MiB));                /* set */
    g_assert_false(vmm_idle_may_halt(&m, 2 * MiB + 6));            /* misaligned */
    g_assert_false(vmm_idle_may_halt(&m, 16 * MiB));               /* past RAM */
    g_assert_false(vmm_idle_may_halt(&m, 16 * MiB - 2));           /* straddles the end */
    g_assert_false(vmm_idle_may_halt(&m, VMM_GPA_LAPIC));          /* MMIO */
    g_assert_false(vmm_idle_may_halt(&m, UINT64_MAX - 3));         /* wraps */
    vmm_mem_destroy(&m);
}

static void
test_malformed_bzimage(void)
{
    g_autoptr(GByteArray) k = make_bzimage(8192, 64 * 1024);
    g_autoptr(GByteArray) initrd = g_byte_array_new();
    g_autofree char *long_cmdline = g_strnfill(3000, 'y');
    uint32_t v;
    vmm_mem m;

    mem_setup(&m, 16 * MiB);
    /* Truncated setup header. */
    {
        g_autoptr(GByteArray) t = g_byte_array_new();

        g_byte_array_append(t, k->data, 0x230);
        assert_refused(&m, t, NULL, NULL, "setup header");
    }
    /* Old protocol / no 64-bit entry. */
    k->data[0x236] = 0;
    assert_refused(&m, k, NULL, NULL, "2.12");
    k->data[0x236] = 1;
    k->data[0x206] = 0x0a;
    assert_refused(&m, k, NULL, NULL, "2.12");
    k->data[0x206] = 0x0f;
    /* setup_sects pointing past the file. */
    k->data[0x1f1] = 200;
    assert_refused(&m, k, NULL, NULL, "setup sectors");
    k->data[0x1f1] = 4;
    /* init_size larger than RAM. */
    v = 0xfff00000;
    memcpy(k->data + 0x260, &v, 4);
    assert_refused(&m, k, NULL, NULL, "more memory");
    v = 64 * 1024;
    memcpy(k->data + 0x260, &v, 4);
    /* A command line longer than cmdline_size. */
    assert_refused(&m, k, long_cmdline, NULL, "at most 2047");
    /* An initrd that does not fit between the kernel and the end of RAM, or below
     * initrd_addr_max. */
    g_byte_array_set_size(initrd, 15 * MiB);
    assert_refused(&m, k, NULL, initrd, "initrd");
    g_byte_array_set_size(initrd, 2 * MiB);
    v = 2 * MiB;
    memcpy(k->data + 0x22c, &v, 4);
    assert_refused(&m, k, NULL, initrd, "initrd");
    vmm_mem_destroy(&m);
}

static void
test_detect(void)
{
    g_auto(vmm_error) err = { 0 };
    vmm_boot_protocol p;
    const uint8_t junk[] = "#!/bin/sh\necho not a kernel\n";

    g_assert_cmpint(vmm_boot_detect(junk, sizeof(junk), &p, &err), ==, -ENOEXEC);
    g_assert_cmpstr(err.code, ==, LITE_ECODE_UNSUPPORTED);
    g_assert_cmpint(vmm_boot_detect(junk, 0, &p, NULL), ==, -ENOEXEC);
}

/* With LITE_TEST_BZIMAGE (and optionally LITE_TEST_INITRD) pointing at a real kernel, e.g.
 * a Debian vmlinuz: it must load, with its own header fields carried into boot_params.
 * Booting it is the nested KVM tier's job. */
static void
test_real_bzimage(void)
{
    const char *path = g_getenv("LITE_TEST_BZIMAGE");
    const char *initrd_path = g_getenv("LITE_TEST_INITRD");
    g_autoptr(GByteArray) k = g_byte_array_new();
    g_autoptr(GByteArray) initrd = NULL;
    g_auto(vmm_error) err = { 0 };
    g_autofree char *data = NULL;
    const uint8_t *zp;
    vmm_boot_plan plan;
    gsize len;
    vmm_mem m;

    if (!path) {
        g_test_skip("LITE_TEST_BZIMAGE is not set");
        return;
    }
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_byte_array_append(k, (const guint8 *)data, (guint)len);
    if (initrd_path) {
        g_clear_pointer(&data, g_free);
        g_assert_true(g_file_get_contents(initrd_path, &data, &len, NULL));
        initrd = g_byte_array_new();
        g_byte_array_append(initrd, (const guint8 *)data, (guint)len);
    }
    mem_setup(&m, 512 * MiB);
    if (load(&m, k, "console=ttyS0 panic=-1", initrd, &plan, &err) < 0)
        g_error("%s", err.message);
    zp = vmm_mem_ptr(&m, VMM_GPA_ZERO_PAGE, 4096);
    g_assert_cmpmem(zp + 0x202, 4, "HdrS", 4);
    g_assert_cmpuint(zp[0x207] << 8 | zp[0x206], >=, 0x020c);
    g_assert_cmpuint(zp[0x1e8], ==, 3);
    g_test_message("protocol %x, setup_sects %u, initrd at 0x%" G_GINT64_MODIFIER "x",
                   zp[0x207] << 8 | zp[0x206], zp[0x1f1], plan.initrd_gpa);
    vmm_mem_destroy(&m);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vmm/boot/cpl3-layout", test_cpl3_layout);
    g_test_add_func("/vmm/boot/pvh-layout", test_pvh_layout);
    g_test_add_func("/vmm/boot/linux-boot-params", test_linux_boot_params);
    g_test_add_func("/vmm/boot/linux-refused-on-pvm", test_linux_refused_on_pvm);
    g_test_add_func("/vmm/boot/malformed-elf", test_malformed_elf);
    g_test_add_func("/vmm/boot/malformed-bzimage", test_malformed_bzimage);
    g_test_add_func("/vmm/boot/cpl3-versions", test_cpl3_versions);
    g_test_add_func("/vmm/boot/cpl3-idle-wake-word", test_cpl3_idle_wake_word);
    g_test_add_func("/vmm/boot/detect", test_detect);
    g_test_add_func("/vmm/boot/real-bzimage", test_real_bzimage);
    return g_test_run();
}
