/* cpuid.h: the CPUID a vCPU sees: KVM's supported set, filtered for this VMM's machine. */
#pragma once

#include <stdbool.h>

#include <linux/kvm.h>

/* Adjusts @c (from KVM_GET_SUPPORTED_CPUID) in place for vCPU @index of @nr_vcpus:
 * APIC IDs and topology, the hypervisor bit, no PMU, no MONITOR/MWAIT, no nested VMX/SVM,
 * no XSAVE at all when @xsave is false (a host without KVM_CAP_XSAVE/XCRS), and the
 * TSC-deadline timer exactly when @tsc_deadline (KVM_CAP_TSC_DEADLINE_TIMER). */
void vmm_cpuid_filter(struct kvm_cpuid2 *c, unsigned index, unsigned nr_vcpus, bool xsave,
                      bool tsc_deadline);
struct kvm_cpuid_entry2 *vmm_cpuid_find(struct kvm_cpuid2 *c, unsigned function,
                                        unsigned index);
