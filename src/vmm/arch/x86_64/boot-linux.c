/* boot-linux.c: a bzImage through the x86 64-bit boot protocol (Documentation/arch/x86/
 * boot.rst): the protected-mode kernel at 1 MiB, boot_params (the zero page) with the setup
 * header copied from the image, e820, command line, initrd below initrd_addr_max, the RSDP
 * in boot_params.acpi_rsdp_addr; entry at load address + 0x200 in long mode, rsi = zero
 * page. Protocol 2.12+ (XLF_KERNEL_64) is required. */
#include "boot.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <glib.h>

#include "control.h"
#include "layout.h"

/* boot_params offsets. */
#define BP_ACPI_RSDP      0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_EXT_CMD_LINE_PTR  0x0c8
#define BP_E820_ENTRIES   0x1e8
#define BP_SETUP_SECTS    0x1f1
#define BP_HDR            0x1f1
#define BP_VID_MODE       0x1fa
#define BP_JUMP           0x200
#define BP_VERSION        0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS      0x211
#define BP_CODE32_START   0x214
#define BP_RAMDISK_IMAGE  0x218
#define BP_RAMDISK_SIZE   0x21c
#define BP_CMD_LINE_PTR   0x228
#define BP_INITRD_MAX     0x22c
#define BP_XLOADFLAGS     0x236
#define BP_CMDLINE_SIZE   0x238
#define BP_INIT_SIZE      0x260
#define BP_HDR_MAX_END    0x290
#define BP_E820_TABLE     0x2d0
#define BP_E820_MAX       128

#define XLF_KERNEL_64     0x0001
#define LOADED_HIGH       0x01

static uint32_t
get32(const uint8_t *p, size_t off)
{
    uint32_t v;

    memcpy(&v, p + off, 4);
    return v;
}

static uint16_t
get16(const uint8_t *p, size_t off)
{
    uint16_t v;

    memcpy(&v, p + off, 2);
    return v;
}

static void
put32(uint8_t *p, size_t off, uint32_t v)
{
    memcpy(p + off, &v, 4);
}

static int
bad(vmm_error *err, const char *what)
{
    return vmm_fail(err, LITE_ECODE_UNSUPPORTED, ENOEXEC, "bzImage is unusable: %s", what);
}

int
vmm_boot_linux(vmm_mem *mem, const vmm_boot_input *in, vmm_boot_plan *plan, vmm_error *err)
{
    g_autofree uint8_t *zp = g_malloc0(VMM_PAGE_SIZE);
    const uint8_t *img = in->kernel;
    struct lite_e820_entry e820[VMM_E820_MAX];
    uint64_t setup_size, pm_size, kernel_end, initrd_max;
    size_t hdr_end;
    uint32_t cmdline_max;
    uint16_t version;
    unsigned n;
    int ret;

    if (in->kernel_len < BP_HDR_MAX_END)
        return bad(err, "shorter than its setup header");
    version = get16(img, BP_VERSION);
    if (version < 0x020c || !(get16(img, BP_XLOADFLAGS) & XLF_KERNEL_64))
        return bad(err, "boot protocol older than 2.12 or no 64-bit entry (XLF_KERNEL_64)");
    if (!(img[BP_LOADFLAGS] & LOADED_HIGH))
        return bad(err, "a zImage (loaded low) is not supported");

    setup_size = ((uint64_t)(img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4) + 1) * 512;
    if (setup_size >= in->kernel_len)
        return bad(err, "the setup sectors cover the whole file");
    pm_size = in->kernel_len - setup_size;
    /* init_size is what the kernel needs from its load address while it decompresses; a
     * header that claims less than the file holds is lying, so take the larger. */
    kernel_end = VMM_GPA_KERNEL + MAX(pm_size, (uint64_t)get32(img, BP_INIT_SIZE));
    if (!vmm_mem_contains(mem, VMM_GPA_KERNEL, kernel_end - VMM_GPA_KERNEL))
        return vmm_fail(err, LITE_ECODE_UNSUPPORTED, EFBIG,
                        "the kernel needs %" PRIu64 " MiB of RAM above 1 MiB to "
                        "boot: give the domain more memory", (uint64_t)((kernel_end - VMM_GPA_KERNEL) >> 20));
    vmm_mem_write(mem, VMM_GPA_KERNEL, img + setup_size, pm_size);

    cmdline_max = get32(img, BP_CMDLINE_SIZE);
    if ((ret = vmm_boot_write_cmdline(mem, in->cmdline, (size_t)cmdline_max + 1, err)) < 0)
        return ret;

    /* The setup header runs from 0x1f1 to the end given by the jump at 0x200. */
    hdr_end = MIN((size_t)(0x202 + img[BP_JUMP + 1]), (size_t)BP_HDR_MAX_END);
    memcpy(zp + BP_HDR, img + BP_HDR, hdr_end - BP_HDR);
    zp[BP_TYPE_OF_LOADER] = 0xff;
    zp[BP_LOADFLAGS] = (uint8_t)(zp[BP_LOADFLAGS] & LOADED_HIGH);
    put32(zp, BP_CODE32_START, VMM_GPA_KERNEL);
    put32(zp, BP_CMD_LINE_PTR, VMM_GPA_CMDLINE);
    zp[BP_VID_MODE] = 0xff;
    zp[BP_VID_MODE + 1] = 0xff;

    if (in->initrd) {
        uint64_t gpa;

        initrd_max = (uint64_t)get32(img, BP_INITRD_MAX) + 1;
        if ((ret = vmm_boot_place_initrd(mem, in->initrd_len, kernel_end, initrd_max, &gpa,
                                         err)) < 0)
            return ret;
        vmm_mem_write(mem, gpa, in->initrd, in->initrd_len);
        put32(zp, BP_RAMDISK_IMAGE, (uint32_t)gpa);
        put32(zp, BP_RAMDISK_SIZE, (uint32_t)in->initrd_len);
        put32(zp, BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)in->initrd_len >> 32));
        plan->initrd_gpa = gpa;
    }

    if ((ret = vmm_boot_write_machine(mem, in->nr_vcpus, plan, err)) < 0)
        return ret;
    memcpy(zp + BP_ACPI_RSDP, &plan->rsdp, sizeof(plan->rsdp));
    n = vmm_e820_build(mem, false, e820);
    zp[BP_E820_ENTRIES] = (uint8_t)n;
    memcpy(zp + BP_E820_TABLE, e820, n * sizeof(e820[0]));
    vmm_mem_write(mem, VMM_GPA_ZERO_PAGE, zp, VMM_PAGE_SIZE);

    plan->protocol = VMM_BOOT_LINUX;
    plan->entry = VMM_GPA_KERNEL + 0x200;
    plan->boot_info = VMM_GPA_ZERO_PAGE;
    return 0;
}
