/* vcpu-state.c: reading and writing the whole KVM state of a vCPU and of the VM.
 * Save order: MP state first (reading it settles pending INIT/SIPI work in KVM), then the
 * registers, FPU/XSAVE, XCRs, debug registers, LAPIC, MSRs, events. Restore order: registers
 * and segment state before XSAVE/XCRs (XCR0 checks CR4.OSXSAVE), the LAPIC before MP state
 * and events (events may carry a pending interrupt the LAPIC must accept). */
#include "vcpu-state.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "log.h"
#include "vmm.h"

#define MAX_MSRS 256

static int
fail(unsigned index, const char *what)
{
    int err = errno;

    lite_err("vCPU %u: %s: %s", index, what, g_strerror(err));
    return -err;
}

/* The MSR indices KVM saves and restores (KVM_GET_MSR_INDEX_LIST). */
static struct kvm_msrs *
msr_list(vmm *vm)
{
    g_autofree struct kvm_msr_list *list = g_malloc0(sizeof(*list) + MAX_MSRS * sizeof(__u32));
    struct kvm_msrs *m;

    list->nmsrs = MAX_MSRS;
    if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0)
        return NULL;
    m = g_malloc0(sizeof(*m) + list->nmsrs * sizeof(struct kvm_msr_entry));
    m->nmsrs = list->nmsrs;
    for (unsigned i = 0; i < list->nmsrs; i++)
        m->entries[i].index = list->indices[i];
    return m;
}

#define MSR_IA32_TSC 0x10

struct kvm_msrs *
vmm_vcpu_msrs_read(vmm *vm, unsigned index)
{
    struct kvm_msrs *m = msr_list(vm);
    int n;

    if (!m) {
        fail(index, "KVM_GET_MSR_INDEX_LIST");
        return NULL;
    }
    n = ioctl(vm->vcpus[index].fd, KVM_GET_MSRS, m);
    if (n < 0) {
        fail(index, "KVM_GET_MSRS");
        g_free(m);
        return NULL;
    }
    /* KVM_GET_MSRS stops at the first MSR it cannot read: keep what it read. */
    m->nmsrs = (__u32)n;
    return m;
}

/* Without the TSC: a reset need not move the guest's clock backwards. */
static void
drop_tsc(struct kvm_msrs *m)
{
    unsigned o = 0;

    for (unsigned i = 0; i < m->nmsrs; i++) {
        if (m->entries[i].index != MSR_IA32_TSC)
            m->entries[o++] = m->entries[i];
    }
    m->nmsrs = o;
}

struct kvm_msrs *
vmm_vcpu_reset_msrs(vmm *vm, unsigned index)
{
    struct kvm_msrs *m = vmm_vcpu_msrs_read(vm, index);

    if (m)
        drop_tsc(m);
    return m;
}

void
vmm_vcpu_state_clear(vmm_vcpu_state *s)
{
    g_free(s->xsave);
    g_free(s->msrs);
    memset(s, 0, sizeof(*s));
}

int
vmm_vcpu_state_save(vmm *vm, unsigned index, vmm_vcpu_state *s)
{
    int fd = vm->vcpus[index].fd;

    memset(s, 0, sizeof(*s));
    if (ioctl(fd, KVM_GET_MP_STATE, &s->mp) < 0)
        return fail(index, "KVM_GET_MP_STATE");
    if (ioctl(fd, KVM_GET_REGS, &s->regs) < 0 || ioctl(fd, KVM_GET_SREGS, &s->sregs) < 0)
        return fail(index, "KVM_GET_REGS/SREGS");
    if (ioctl(fd, KVM_GET_FPU, &s->fpu) < 0)
        return fail(index, "KVM_GET_FPU");
    if (vm->has_xcrs) {
        s->xsave = g_malloc0(sizeof(*s->xsave));
        if (ioctl(fd, KVM_GET_XSAVE, s->xsave) < 0)
            return fail(index, "KVM_GET_XSAVE");
        if (ioctl(fd, KVM_GET_XCRS, &s->xcrs) < 0)
            return fail(index, "KVM_GET_XCRS");
        s->has_xcrs = true;
    }
    if (ioctl(fd, KVM_GET_DEBUGREGS, &s->debugregs) < 0)
        return fail(index, "KVM_GET_DEBUGREGS");
    if (ioctl(fd, KVM_GET_LAPIC, &s->lapic) < 0)
        return fail(index, "KVM_GET_LAPIC");
    s->msrs = vmm_vcpu_msrs_read(vm, index);
    if (!s->msrs)
        return -EIO;
    if (ioctl(fd, KVM_GET_VCPU_EVENTS, &s->events) < 0)
        return fail(index, "KVM_GET_VCPU_EVENTS");
    return 0;
}

int
vmm_vcpu_state_restore(vmm *vm, unsigned index, const vmm_vcpu_state *s)
{
    int fd = vm->vcpus[index].fd;
    int n;

    if (ioctl(fd, KVM_SET_SREGS, &s->sregs) < 0 || ioctl(fd, KVM_SET_REGS, &s->regs) < 0)
        return fail(index, "KVM_SET_SREGS/REGS");
    if (s->msrs) {
        n = ioctl(fd, KVM_SET_MSRS, s->msrs);
        if (n < 0 || (unsigned)n != s->msrs->nmsrs) {
            if (n >= 0)
                errno = EINVAL;
            return fail(index, "KVM_SET_MSRS");
        }
    }
    if (s->xsave) {
        if (ioctl(fd, KVM_SET_XSAVE, s->xsave) < 0)
            return fail(index, "KVM_SET_XSAVE");
    } else if (ioctl(fd, KVM_SET_FPU, &s->fpu) < 0) {
        return fail(index, "KVM_SET_FPU");
    }
    if (s->has_xcrs && ioctl(fd, KVM_SET_XCRS, &s->xcrs) < 0)
        return fail(index, "KVM_SET_XCRS");
    if (ioctl(fd, KVM_SET_DEBUGREGS, &s->debugregs) < 0)
        return fail(index, "KVM_SET_DEBUGREGS");
    if (ioctl(fd, KVM_SET_LAPIC, &s->lapic) < 0)
        return fail(index, "KVM_SET_LAPIC");
    if (ioctl(fd, KVM_SET_MP_STATE, &s->mp) < 0)
        return fail(index, "KVM_SET_MP_STATE");
    if (ioctl(fd, KVM_SET_VCPU_EVENTS, &s->events) < 0)
        return fail(index, "KVM_SET_VCPU_EVENTS");
    vm->vcpus[index].stopped = false;
    return 0;
}

int
vmm_vm_state_save(vmm *vm, vmm_vm_state *s)
{
    memset(s, 0, sizeof(*s));
    for (unsigned i = 0; i < 3; i++) {
        s->irqchip[i].chip_id = i;
        if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &s->irqchip[i]) < 0)
            return fail(0, "KVM_GET_IRQCHIP");
    }
    s->has_pit = vm->has_pit;
    if (s->has_pit && ioctl(vm->vm_fd, KVM_GET_PIT2, &s->pit) < 0)
        return fail(0, "KVM_GET_PIT2");
    if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &s->clock) < 0)
        return fail(0, "KVM_GET_CLOCK");
    return 0;
}

int
vmm_vm_state_restore(vmm *vm, const vmm_vm_state *s)
{
    struct kvm_clock_data clock = { .clock = s->clock.clock };

    for (unsigned i = 0; i < 3; i++) {
        if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &s->irqchip[i]) < 0)
            return fail(0, "KVM_SET_IRQCHIP");
    }
    if (s->has_pit && vm->has_pit && ioctl(vm->vm_fd, KVM_SET_PIT2, &s->pit) < 0)
        return fail(0, "KVM_SET_PIT2");
    /* Only the guest clock value: the host-side fields describe the old host. */
    if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock) < 0)
        return fail(0, "KVM_SET_CLOCK");
    return 0;
}
