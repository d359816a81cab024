/* vmm.h: one virtual machine: its KVM handles, RAM, vCPUs, devices and lifecycle state. */
#pragma once

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <linux/kvm.h>

#include "acpi-pm.h"
#include "boot.h"
#include "guest-mem.h"
#include "launch.h"
#include "serial.h"
#include "vmm-console.h"
#include "vmm-device.h"
#include "vmm-error.h"

typedef struct vmm vmm;
typedef struct vmm_server vmm_server;

/* Makes a vCPU thread leave KVM_RUN (pause, quit, an idle deadline). Its handler sets the
 * thread's immediate_exit, so a signal that lands just before KVM_RUN is not lost. */
#define VMM_SIG_KICK SIGUSR1

/* What vCPU threads and device callbacks ask the main loop to do (bits of vmm.requests). */
#define VMM_REQ_POWEROFF  (1u << 0)   /* ACPI S5 */
#define VMM_REQ_REBOOT    (1u << 1)   /* reset register, 0xcf9, 8042 pulse, PSCI-like event */
#define VMM_REQ_CRASH     (1u << 2)   /* triple fault, KVM internal error, failed entry */
#define VMM_REQ_FAILED    (1u << 3)   /* our own error: the VM cannot go on */

typedef struct {
    vmm *vm;
    unsigned index;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    bool started;
    bool parked;              /* under vm->run_lock */
    bool stopped;             /* stopped itself after a request; waits for reset or quit */
    clockid_t clock;
    /* A lite-cpl3 idle (vcpu-idle.c), owned by the vCPU thread: when the halt KVM holds the
     * vCPU in must end (CLOCK_MONOTONIC ns; 0: not idle), and the timer that kicks the
     * thread then. */
    uint64_t idle_until_ns;
    timer_t idle_timer;
    bool has_idle_timer;
    bool idle_warned;
    /* The state KVM gave the vCPU at creation: what a reset goes back to. */
    struct kvm_sregs reset_sregs;
    struct kvm_fpu reset_fpu;
    struct kvm_lapic_state reset_lapic;
    struct kvm_mp_state reset_mp;
    struct kvm_vcpu_events reset_events;
    struct kvm_msrs *reset_msrs;
    struct kvm_cpuid2 *cpuid;
} vmm_vcpu;

struct vmm {
    lite_launch *cfg;
    int kvm_fd;
    int vm_fd;
    size_t run_size;
    unsigned max_vcpus;
    bool host_is_pvm;
    bool has_xcrs;
    bool has_pit;
    bool has_tsc_deadline;    /* KVM_CAP_TSC_DEADLINE_TIMER: CPUID may announce it */
    struct kvm_cpuid2 *supported_cpuid;
    vmm_mem mem;
    GBytes *kernel;
    GBytes *initrd;
    vmm_boot_plan plan;

    vmm_pio_bus pio;
    vmm_serial *serial;
    vmm_acpi_pm *pm;
    struct kvm_irqchip reset_irqchip[3];
    struct kvm_pit_state2 reset_pit;

    vmm_vcpu *vcpus;
    unsigned nr_vcpus;
    pthread_mutex_t run_lock;
    pthread_cond_t run_cond;
    bool pause_requested;
    bool quit;
    unsigned parked;

    int notify_fd;            /* eventfd: requests for the main loop */
    atomic_uint requests;

    const char *state;        /* running, paused, shutdown, shutoff, crashed */
    const char *reason;
    bool fake_reboot;         /* a "reboot" request is waiting for the guest's power off */
    bool destroy_requested;
    int exit_status;

    vmm_console console;
    vmm_server *server;
    /* Set by whoever reported "ok" to a supervisor (the driver): until then + LATE_WATCH_MS
     * a domain that ends before its supervisor watched it still tells it how (vmm.c). */
    int64_t reported_at_us;
};

/* vmm.c */
vmm *vmm_new(lite_launch *cfg);
void vmm_free(vmm *vm);
/* Everything up to running vCPUs; on failure nothing is left behind but @vm to free. */
int vmm_start(vmm *vm, vmm_error *err);
/* Serves the control socket and the console until the VM is gone; returns the exit status. */
int vmm_main_loop(vmm *vm);
/* Back to power-on: RAM, boot structures, devices, interrupt controllers, vCPUs. The vCPUs
 * must be parked (vmm_vcpus_pause). 0 or -EIO (logged). */
int vmm_reset(vmm *vm);
/* For vCPU threads and devices: ask the main loop for @req. */
void vmm_request(vmm *vm, unsigned req);
void vmm_irq_line_set(void *opaque, unsigned gsi, int level);

/* kvm-vm.c: the VM-wide KVM objects. */
int vmm_kvm_open(vmm *vm, vmm_error *err);
int vmm_kvm_create_vm(vmm *vm, vmm_error *err);
int vmm_kvm_reset_irqchip(vmm *vm);

/* vcpu.c */
int vmm_vcpus_create(vmm *vm, vmm_error *err);
int vmm_vcpus_start(vmm *vm, vmm_error *err);
/* Loads the boot plan's start state into every vCPU (at creation and on reset); vCPUs must
 * be parked or not started. */
int vmm_vcpus_load_boot_state(vmm *vm);
void vmm_vcpus_pause(vmm *vm);
void vmm_vcpus_resume(vmm *vm);
void vmm_vcpus_quit(vmm *vm);
uint64_t vmm_vcpu_time_ns(const vmm_vcpu *vcpu);

/* vcpu-idle.c: the lite-cpl3 idle register. All but the first run on the vCPU's thread. */
/* Whether an idle write of @wake_gpa may halt: its wake word is zero (or there is none).
 * A word outside RAM or misaligned never halts. */
bool vmm_idle_may_halt(const vmm_mem *mem, uint64_t wake_gpa);
/* An idle write: halts the vCPU in KVM for at most LITE_CPL3_IDLE_MAX_US. 0, or -errno
 * (logged once per vCPU) when it cannot: the write then returns at once. */
int vmm_vcpu_idle(vmm_vcpu *vcpu, uint64_t wake_gpa);
/* After KVM_RUN returned EINTR: ends the halt if its deadline passed. */
void vmm_vcpu_idle_expire(vmm_vcpu *vcpu);
/* Ends the halt now (before parking: a paused vCPU is never left halted). */
void vmm_vcpu_idle_end(vmm_vcpu *vcpu);
void vmm_vcpu_idle_free(vmm_vcpu *vcpu);
