/* vcpu-state.h: everything KVM keeps for a vCPU and for the VM, as plain data that a
 * snapshot or a migration stream can carry (the stream format comes with them). */
#pragma once

#include <stdbool.h>

#include <linux/kvm.h>

typedef struct vmm vmm;

typedef struct {
    struct kvm_mp_state mp;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    struct kvm_xsave *xsave;  /* NULL without KVM_CAP_XSAVE: then fpu carries x87/SSE */
    struct kvm_xcrs xcrs;
    bool has_xcrs;
    struct kvm_debugregs debugregs;
    struct kvm_lapic_state lapic;
    struct kvm_msrs *msrs;    /* the MSRs of KVM_GET_MSR_INDEX_LIST that KVM returns */
    struct kvm_vcpu_events events;
} vmm_vcpu_state;

typedef struct {
    struct kvm_irqchip irqchip[3];    /* PIC master, PIC slave, IOAPIC */
    struct kvm_pit_state2 pit;
    bool has_pit;
    struct kvm_clock_data clock;
} vmm_vm_state;

/* The MSRs KVM saves and restores (KVM_GET_MSR_INDEX_LIST) with their current values on
 * vCPU @index; NULL on failure (logged). Read at creation, they are what a reset writes back,
 * so that no paravirtual MSR of the previous boot (kvmclock, steal time, async PF, PV EOI)
 * keeps KVM writing into the new boot's RAM. */
struct kvm_msrs *vmm_vcpu_msrs_read(vmm *vm, unsigned index);
/* The same without IA32_TSC (a reset need not move the guest's clock backwards). */
struct kvm_msrs *vmm_vcpu_reset_msrs(vmm *vm, unsigned index);

/* vCPUs must be parked (or not started). 0 or -errno, logged. */
int vmm_vcpu_state_save(vmm *vm, unsigned index, vmm_vcpu_state *s);
int vmm_vcpu_state_restore(vmm *vm, unsigned index, const vmm_vcpu_state *s);
void vmm_vcpu_state_clear(vmm_vcpu_state *s);
int vmm_vm_state_save(vmm *vm, vmm_vm_state *s);
int vmm_vm_state_restore(vmm *vm, const vmm_vm_state *s);
