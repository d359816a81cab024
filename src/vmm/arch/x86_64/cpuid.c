/* cpuid.c: filtering KVM_GET_SUPPORTED_CPUID. KVM reports what it can virtualize; what a
 * guest should see also depends on what this VMM emulates (no PMU, no MWAIT, no nested
 * virtualization) and on the vCPU (APIC ID, topology). */
#include "cpuid.h"

#include <string.h>

#define L1_ECX_MONITOR     (1u << 3)
#define L1_ECX_VMX         (1u << 5)
#define L1_ECX_TSC_DEADLINE (1u << 24)
#define L1_ECX_XSAVE       (1u << 26)
#define L1_ECX_OSXSAVE     (1u << 27)
#define L1_ECX_AVX         (1u << 28)
#define L1_ECX_HYPERVISOR  (1u << 31)
#define L1_EDX_HTT         (1u << 28)
#define L7_EBX_AVX2        (1u << 5)
#define L7_EBX_AVX512_MASK 0xdc230000u
#define X1_ECX_SVM         (1u << 2)

struct kvm_cpuid_entry2 *
vmm_cpuid_find(struct kvm_cpuid2 *c, unsigned function, unsigned index)
{
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];

        if (e->function == function &&
            (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
            return e;
    }
    return NULL;
}

static void
drop_leaf(struct kvm_cpuid2 *c, unsigned function)
{
    unsigned o = 0;

    for (unsigned i = 0; i < c->nent; i++) {
        if (c->entries[i].function != function)
            c->entries[o++] = c->entries[i];
    }
    c->nent = o;
}

void
vmm_cpuid_filter(struct kvm_cpuid2 *c, unsigned index, unsigned nr_vcpus, bool xsave,
                 bool tsc_deadline)
{
    struct kvm_cpuid_entry2 *e;

    for (unsigned i = 0; i < c->nent; i++) {
        e = &c->entries[i];
        switch (e->function) {
        case 1:
            /* APIC ID in EBX[31:24], logical processor count in EBX[23:16]. */
            e->ebx = (e->ebx & 0x0000ffffu) | (index << 24) | ((nr_vcpus & 0xff) << 16);
            e->ecx &= ~(L1_ECX_MONITOR | L1_ECX_VMX);
            e->ecx |= L1_ECX_HYPERVISOR;
            /* KVM_GET_SUPPORTED_CPUID never reports the TSC-deadline timer: the in-kernel
             * LAPIC emulates it whenever KVM_CAP_TSC_DEADLINE_TIMER is there, and the VMM is
             * to say so (QEMU does). Without it Linux calibrates the LAPIC timer against the
             * PIT for 100 ms of busy-waiting at boot, and each timer event is a one-shot
             * count instead of an absolute TSC deadline. */
            if (tsc_deadline)
                e->ecx |= L1_ECX_TSC_DEADLINE;
            else
                e->ecx &= ~L1_ECX_TSC_DEADLINE;
            if (nr_vcpus > 1)
                e->edx |= L1_EDX_HTT;
            else
                e->edx &= ~L1_EDX_HTT;
            if (!xsave)
                e->ecx &= ~(L1_ECX_XSAVE | L1_ECX_OSXSAVE | L1_ECX_AVX);
            break;
        case 4:
            /* One core per package per vCPU count: EAX[31:26] = cores - 1. */
            e->eax = (e->eax & 0x03ffffffu) | (((nr_vcpus - 1) & 0x3f) << 26);
            break;
        case 5:
            e->eax = e->ebx = e->ecx = e->edx = 0;    /* MONITOR/MWAIT is not emulated */
            break;
        case 7:
            if (e->index == 0 && !xsave)
                e->ebx &= ~(L7_EBX_AVX2 | L7_EBX_AVX512_MASK);
            break;
        case 0xa:
            e->eax = e->ebx = e->ecx = e->edx = 0;    /* no PMU */
            break;
        case 0xb:
        case 0x1f:
            /* x2APIC topology: level 0 threads (1 each), level 1 cores (nr_vcpus). */
            e->edx = index;
            if (e->index == 0) {
                e->eax = 0;
                e->ebx = 1;
                e->ecx = 0x100;
            } else if (e->index == 1) {
                e->eax = 32 - (unsigned)__builtin_clz(nr_vcpus > 1 ? nr_vcpus - 1 : 1);
                e->ebx = nr_vcpus;
                e->ecx = 0x201;
            } else {
                e->eax = e->ebx = 0;
                e->ecx = e->index;
            }
            break;
        case 0x80000001:
            e->ecx &= ~X1_ECX_SVM;
            break;
        case 0x80000008:
            /* AMD: NC (cores per package - 1) in ECX[7:0], APIC ID size left to NC. */
            e->ecx = (e->ecx & ~0xf0ffu) | ((nr_vcpus - 1) & 0xff);
            break;
        case 0x8000001e:
            /* AMD extended APIC ID, one core per compute unit, node 0. */
            e->eax = index;
            e->ebx = index & 0xff;
            e->ecx = 0;
            break;
        default:
            break;
        }
    }
    if (!xsave)
        drop_leaf(c, 0xd);
}
