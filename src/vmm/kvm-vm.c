/* kvm-vm.c: the VM-wide KVM objects: /dev/kvm and its capabilities, the VM, memory slots,
 * the in-kernel interrupt controllers and PIT, and KVM's CPUID. */
#include "vmm.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "control.h"
#include "layout.h"
#include "log.h"

static int
check_ext(vmm *vm, long cap)
{
    int r = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap);

    return r < 0 ? 0 : r;
}

static int
fetch_cpuid(vmm *vm, vmm_error *err)
{
    for (unsigned n = 128; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + n * sizeof(c->entries[0]));

        c->nent = n;
        if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            vm->supported_cpuid = c;
            return 0;
        }
        g_free(c);
        if (errno != E2BIG)
            break;
    }
    return vmm_fail(err, LITE_ECODE_FAILED, errno, "KVM_GET_SUPPORTED_CPUID failed");
}

int
vmm_kvm_open(vmm *vm, vmm_error *err)
{
    int version;
    int n;

    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0)
        return vmm_fail(err, LITE_ECODE_UNSUPPORTED, errno,
                        "cannot open /dev/kvm: this host offers no KVM to lite-vmm (load the "
                        "kvm module, or give the daemon access to /dev/kvm)");
    version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION)
        return vmm_fail(err, LITE_ECODE_UNSUPPORTED, EINVAL,
                        "/dev/kvm speaks API version %d, lite-vmm needs %d", version,
                        KVM_API_VERSION);
    if (!check_ext(vm, KVM_CAP_IRQCHIP) || !check_ext(vm, KVM_CAP_IMMEDIATE_EXIT) ||
        !check_ext(vm, KVM_CAP_USER_MEMORY))
        return vmm_fail(err, LITE_ECODE_UNSUPPORTED, ENOTSUP,
                        "/dev/kvm lacks an in-kernel irqchip, user memory or immediate_exit, "
                        "which lite-vmm needs");
    /* MAX_VCPUS is the hard limit; kernels without it document NR_VCPUS as the limit. */
    n = check_ext(vm, KVM_CAP_MAX_VCPUS);
    vm->max_vcpus = (unsigned)(n > 0 ? n : check_ext(vm, KVM_CAP_NR_VCPUS));
    if (vm->max_vcpus == 0)
        vm->max_vcpus = 4;
    vm->has_xcrs = check_ext(vm, KVM_CAP_XCRS) && check_ext(vm, KVM_CAP_XSAVE);
    vm->has_pit = check_ext(vm, KVM_CAP_PIT2);
    vm->has_tsc_deadline = check_ext(vm, KVM_CAP_TSC_DEADLINE_TIMER);
    n = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (n <= 0)
        return vmm_fail(err, LITE_ECODE_FAILED, errno, "KVM_GET_VCPU_MMAP_SIZE failed");
    vm->run_size = (size_t)n;
    return fetch_cpuid(vm, err);
}

static int
add_memslots(vmm *vm, vmm_error *err)
{
    for (unsigned i = 0; i < vm->mem.nr_regions; i++) {
        const vmm_mem_region *r = &vm->mem.regions[i];
        struct kvm_userspace_memory_region slot = {
            .slot = i, .guest_phys_addr = r->gpa, .memory_size = r->size,
            .userspace_addr = (uint64_t)(uintptr_t)r->host,
        };

        if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
            return vmm_fail(err, errno == ENOMEM || errno == EINVAL ? LITE_ECODE_UNSUPPORTED :
                            LITE_ECODE_FAILED, errno,
                            "KVM refused %" PRIu64 " MiB of guest RAM at 0x%" PRIx64,
                            r->size >> 20, r->gpa);
    }
    return 0;
}

/* The power-on state of the PIC, IOAPIC and PIT as KVM created them: a reset restores it. */
static int
save_reset_irqchip(vmm *vm)
{
    for (unsigned i = 0; i < 3; i++) {
        vm->reset_irqchip[i].chip_id = i;
        if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &vm->reset_irqchip[i]) < 0)
            return -errno;
    }
    if (vm->has_pit && ioctl(vm->vm_fd, KVM_GET_PIT2, &vm->reset_pit) < 0)
        return -errno;
    return 0;
}

int
vmm_kvm_reset_irqchip(vmm *vm)
{
    for (unsigned i = 0; i < 3; i++) {
        if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &vm->reset_irqchip[i]) < 0)
            return vmm_fail(NULL, LITE_ECODE_FAILED, errno, "cannot reset irqchip %u", i);
    }
    if (vm->has_pit && ioctl(vm->vm_fd, KVM_SET_PIT2, &vm->reset_pit) < 0)
        return vmm_fail(NULL, LITE_ECODE_FAILED, errno, "cannot reset the PIT");
    return 0;
}

int
vmm_kvm_create_vm(vmm *vm, vmm_error *err)
{
    struct kvm_pit_config pit = { .flags = 0 };
    int ret;

    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0)
        return vmm_fail(err, LITE_ECODE_FAILED, errno, "KVM_CREATE_VM failed");
    /* Needed by Intel VMX for real-mode emulation only; other hosts may refuse. */
    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VMM_GPA_KVM_TSS) < 0)
        lite_debug("KVM_SET_TSS_ADDR: %s", g_strerror(errno));
    if ((ret = add_memslots(vm, err)) < 0)
        return ret;
    if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        return vmm_fail(err, LITE_ECODE_FAILED, errno, "KVM_CREATE_IRQCHIP failed");
    /* Only a Linux bzImage boot gets a PIT (early boot may calibrate against it). PVH and
     * lite-cpl3 guests have the LAPIC timer and kvmclock; a lite-cpl3 guest would take PIT
     * IRQ 0 as vector 0 (#DE). And the PIT's kernel worker costs 20-30 ms at VM teardown. */
    if (vm->plan.protocol != VMM_BOOT_LINUX)
        vm->has_pit = false;
    if (vm->has_pit && ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
        return vmm_fail(err, LITE_ECODE_FAILED, errno, "KVM_CREATE_PIT2 failed");
    if ((ret = save_reset_irqchip(vm)) < 0)
        return vmm_fail(err, LITE_ECODE_FAILED, ret, "cannot read the irqchip state");
    return 0;
}

void
vmm_irq_line_set(void *opaque, unsigned gsi, int level)
{
    vmm *vm = opaque;
    struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

    if (vm->vm_fd >= 0 && ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
        lite_warn("KVM_IRQ_LINE %u=%d: %s", gsi, level, g_strerror(errno));
}
