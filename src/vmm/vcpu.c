/* vcpu.c: vCPU threads. Each runs KVM_RUN and handles its exits (one switch on the exit
 * reason). Pausing: the main loop sets pause_requested, sets immediate_exit in every kvm_run
 * and sends VMM_SIG_KICK; a vCPU in the guest (or about to enter it, or halted in KVM by an
 * idle write) comes back with EINTR and parks on run_cond. immediate_exit closes the race of
 * a signal arriving just before KVM_RUN (the kick handler sets it too, for the idle timer's
 * signal); it is cleared under run_lock only when no pause is pending. */
#include "vmm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "control.h"
#include "cpuid.h"
#include "layout.h"
#include "log.h"
#include "vcpu-state.h"

/* The vCPU this thread runs (NULL in other threads). */
static __thread vmm_vcpu *this_vcpu;

static void
kick_handler(int sig)
{
    (void)sig;
    if (this_vcpu)
        this_vcpu->run->immediate_exit = 1;
}

static int
vcpu_create(vmm *vm, vmm_vcpu *v, unsigned index, vmm_error *err)
{
    size_t cpuid_size = sizeof(*vm->supported_cpuid) +
                        vm->supported_cpuid->nent * sizeof(vm->supported_cpuid->entries[0]);
    void *run;

    v->vm = vm;
    v->index = index;
    v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
    if (v->fd < 0)
        return vmm_fail(err, LITE_ECODE_FAILED, errno, "cannot create vCPU %u", index);
    run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (run == MAP_FAILED)
        return vmm_fail(err, LITE_ECODE_FAILED, errno, "cannot map vCPU %u's kvm_run", index);
    v->run = run;

    v->cpuid = g_memdup2(vm->supported_cpuid, cpuid_size);
    vmm_cpuid_filter(v->cpuid, index, vm->nr_vcpus, vm->has_xcrs, vm->has_tsc_deadline);
    if (ioctl(v->fd, KVM_SET_CPUID2, v->cpuid) < 0)
        return vmm_fail(err, LITE_ECODE_FAILED, errno, "KVM_SET_CPUID2 failed on vCPU %u",
                        index);
    if (ioctl(v->fd, KVM_GET_SREGS, &v->reset_sregs) < 0 ||
        ioctl(v->fd, KVM_GET_FPU, &v->reset_fpu) < 0 ||
        ioctl(v->fd, KVM_GET_LAPIC, &v->reset_lapic) < 0 ||
        ioctl(v->fd, KVM_GET_MP_STATE, &v->reset_mp) < 0 ||
        ioctl(v->fd, KVM_GET_VCPU_EVENTS, &v->reset_events) < 0)
        return vmm_fail(err, LITE_ECODE_FAILED, errno, "cannot read vCPU %u's reset state",
                        index);
    v->reset_msrs = vmm_vcpu_reset_msrs(vm, index);
    if (!v->reset_msrs)
        return vmm_error_set(err, LITE_ECODE_FAILED, EIO, "cannot read vCPU %u's MSRs", index);
    return 0;
}

int
vmm_vcpus_create(vmm *vm, vmm_error *err)
{
    int ret;

    vm->vcpus = g_new0(vmm_vcpu, vm->nr_vcpus);
    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        vm->vcpus[i].fd = -1;
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        if ((ret = vcpu_create(vm, &vm->vcpus[i], i, err)) < 0)
            return ret;
    }
    if ((ret = vmm_vcpus_load_boot_state(vm)) < 0)
        return vmm_error_set(err, LITE_ECODE_FAILED, ret, "cannot load the vCPUs' start state");
    return 0;
}

/* XCR0 for a lite-cpl3 guest: x87, SSE and AVX as far as KVM supports them (CPL3 code cannot
 * run xsetbv itself). */
static int
set_xcr0(vmm_vcpu *v)
{
    struct kvm_cpuid_entry2 *leaf = vmm_cpuid_find(v->cpuid, 0xd, 0);
    struct kvm_xcrs xcrs = { .nr_xcrs = 1 };

    xcrs.xcrs[0].xcr = 0;
    xcrs.xcrs[0].value = leaf ? (leaf->eax & 0x7) | 1 : 1;
    return ioctl(v->fd, KVM_SET_XCRS, &xcrs) < 0 ? -errno : 0;
}

#define APIC_LVT0 0x350
#define APIC_LVT_MASKED (1u << 16)

static int
load_boot_state(vmm_vcpu *v)
{
    vmm *vm = v->vm;
    struct kvm_sregs sregs = v->reset_sregs;
    struct kvm_regs regs;
    struct kvm_mp_state mp = v->reset_mp;
    struct kvm_lapic_state lapic = v->reset_lapic;

    /* A lite-cpl3 guest starts with the 8259 disconnected (LVT0 masked): its vector base 0
     * would land interrupts, spurious IRQ 7 included, on exception vectors before the guest
     * could do anything about it. */
    if (vm->plan.protocol == VMM_BOOT_CPL3) {
        uint32_t lvt0;

        memcpy(&lvt0, lapic.regs + APIC_LVT0, sizeof(lvt0));
        lvt0 |= APIC_LVT_MASKED;
        memcpy(lapic.regs + APIC_LVT0, &lvt0, sizeof(lvt0));
    }
    /* An AP waits for INIT/SIPI in the state KVM created it in; the others start at the
     * entry point. */
    if (!vmm_boot_vcpu_regs(&vm->plan, v->index, &sregs, &regs))
        sregs = v->reset_sregs;
    else
        mp.mp_state = KVM_MP_STATE_RUNNABLE;
    /* The order matters. Segment state first: it carries the APIC base, and the LAPIC state
     * is read in the mode that base selects (a guest that switched to x2APIC would otherwise
     * get its xAPIC ID mangled and never hear an INIT/SIPI again). MSRs back to their
     * creation values: kvmclock, steal time, async PF and PV EOI of the previous boot must
     * not keep KVM writing into the new boot's RAM. Events too: an exception or interrupt
     * being delivered at the reset must not be delivered into the fresh boot. */
    if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
        return -errno;
    if (ioctl(v->fd, KVM_SET_MSRS, v->reset_msrs) != (int)v->reset_msrs->nmsrs)
        return -EIO;
    if (ioctl(v->fd, KVM_SET_FPU, &v->reset_fpu) < 0 ||
        ioctl(v->fd, KVM_SET_LAPIC, &lapic) < 0 ||
        ioctl(v->fd, KVM_SET_VCPU_EVENTS, &v->reset_events) < 0 ||
        (mp.mp_state == KVM_MP_STATE_RUNNABLE && ioctl(v->fd, KVM_SET_REGS, &regs) < 0) ||
        ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
        return -errno;
    if (vm->plan.protocol == VMM_BOOT_CPL3 && vm->plan.xsave)
        return set_xcr0(v);
    return 0;
}

int
vmm_vcpus_load_boot_state(vmm *vm)
{
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        int ret = load_boot_state(&vm->vcpus[i]);

        if (ret < 0) {
            lite_err("cannot load vCPU %u's start state: %s", i, g_strerror(-ret));
            return ret;
        }
        vm->vcpus[i].stopped = false;
        vm->vcpus[i].idle_until_ns = 0;
    }
    return 0;
}

/* Port I/O: the data lives inside kvm_run at data_offset; KVM provides it, but its extent is
 * checked anyway before any byte is touched. */
static void
handle_io(vmm_vcpu *v)
{
    struct kvm_run *r = v->run;
    unsigned size = r->io.size;
    uint64_t extent = (uint64_t)size * r->io.count;
    uint8_t *data = (uint8_t *)r + r->io.data_offset;

    if (r->io.data_offset > v->vm->run_size || extent > v->vm->run_size - r->io.data_offset)
        return;
    for (uint32_t i = 0; i < r->io.count; i++) {
        uint32_t value = 0;

        if (r->io.direction == KVM_EXIT_IO_OUT)
            memcpy(&value, data + i * size, MIN(size, 4u));
        vmm_pio_bus_access(&v->vm->pio, r->io.port, size, r->io.direction == KVM_EXIT_IO_OUT,
                           &value);
        if (r->io.direction == KVM_EXIT_IO_IN)
            memcpy(data + i * size, &value, MIN(size, 4u));
    }
}

/* No MMIO device lives in user space: reads see all ones, writes vanish. The one register
 * is lite-cpl3's idle register (vcpu-idle.c), for lite-cpl3 guests only. */
static void
handle_mmio(vmm_vcpu *v)
{
    struct kvm_run *r = v->run;

    if (r->mmio.is_write && r->mmio.phys_addr == VMM_GPA_CPL3_IDLE &&
        v->vm->plan.protocol == VMM_BOOT_CPL3 && (r->mmio.len == 4 || r->mmio.len == 8)) {
        uint64_t wake = 0;

        memcpy(&wake, r->mmio.data, r->mmio.len);
        vmm_vcpu_idle(v, wake);
    } else if (!r->mmio.is_write) {
        memset(r->mmio.data, 0xff, sizeof(r->mmio.data));
    }
}

static void
report_crash(vmm_vcpu *v, const char *what)
{
    struct kvm_regs regs;
    struct kvm_vcpu_events ev;

    if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) == 0)
        lite_debug("vCPU %u events: exception %u injected %u pending %u nr %u, interrupt %u "
                   "nr %u", v->index, ev.exception.nr, ev.exception.injected,
                   ev.exception.pending, ev.exception.nr, ev.interrupt.injected,
                   ev.interrupt.nr);
    if (ioctl(v->fd, KVM_GET_REGS, &regs) == 0)
        lite_warn("vCPU %u: %s at rip=0x%llx rsp=0x%llx", v->index, what, regs.rip, regs.rsp);
    else
        lite_warn("vCPU %u: %s", v->index, what);
    vmm_request(v->vm, VMM_REQ_CRASH);
}

/* Returns false when the vCPU must stop entering the guest. */
static bool
handle_exit(vmm_vcpu *v)
{
    struct kvm_run *r = v->run;

    switch (r->exit_reason) {
    case KVM_EXIT_IO:
        handle_io(v);
        break;
    case KVM_EXIT_MMIO:
        handle_mmio(v);
        break;
    case KVM_EXIT_INTR:
    case KVM_EXIT_IRQ_WINDOW_OPEN:
        break;
    case KVM_EXIT_HLT:
        /* Only without an in-kernel LAPIC; treat as a spin. */
        break;
    case KVM_EXIT_SHUTDOWN:
        report_crash(v, "triple fault");
        return false;
    case KVM_EXIT_INTERNAL_ERROR:
        lite_warn("vCPU %u: KVM internal error, suberror %u", v->index, r->internal.suberror);
        report_crash(v, "KVM internal error");
        return false;
    case KVM_EXIT_FAIL_ENTRY:
        lite_warn("vCPU %u: entry failed, reason 0x%llx", v->index,
                  (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
        report_crash(v, "failed VM entry");
        return false;
    case KVM_EXIT_SYSTEM_EVENT:
        if (r->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
            vmm_request(v->vm, VMM_REQ_POWEROFF);
        else if (r->system_event.type == KVM_SYSTEM_EVENT_RESET)
            vmm_request(v->vm, VMM_REQ_REBOOT);
        else
            report_crash(v, "system crash event");
        return false;
    default:
        lite_warn("vCPU %u: unexpected exit reason %u", v->index, r->exit_reason);
        report_crash(v, "unexpected exit");
        return false;
    }
    /* A device callback may have asked for power off or reset: stop at once rather than run
     * guest code past that point. */
    return !(atomic_load(&v->vm->requests) & (VMM_REQ_POWEROFF | VMM_REQ_REBOOT));
}

/* Waits while a pause is requested or this vCPU stopped itself. False: quit. */
static bool
wait_runnable(vmm_vcpu *v)
{
    vmm *vm = v->vm;
    bool quit;

    pthread_mutex_lock(&vm->run_lock);
    while (!vm->quit && (vm->pause_requested || v->stopped)) {
        if (!v->parked) {
            /* A parked vCPU is never halted by an idle: its whole state is in KVM, and a
             * resumed guest sees an early return from its idle write. */
            vmm_vcpu_idle_end(v);
            v->parked = true;
            vm->parked++;
            pthread_cond_broadcast(&vm->run_cond);
        }
        pthread_cond_wait(&vm->run_cond, &vm->run_lock);
    }
    if (v->parked) {
        v->parked = false;
        vm->parked--;
    }
    quit = vm->quit;
    if (!quit)
        v->run->immediate_exit = 0;
    pthread_mutex_unlock(&vm->run_lock);
    return !quit;
}

static void
stop_self(vmm_vcpu *v)
{
    pthread_mutex_lock(&v->vm->run_lock);
    v->stopped = true;
    pthread_mutex_unlock(&v->vm->run_lock);
}

static void *
vcpu_thread(void *opaque)
{
    vmm_vcpu *v = opaque;
    sigset_t kick;

    this_vcpu = v;
    sigemptyset(&kick);
    sigaddset(&kick, VMM_SIG_KICK);
    pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

    while (wait_runnable(v)) {
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                vmm_vcpu_idle_expire(v);
                continue;
            }
            lite_err("vCPU %u: KVM_RUN failed: %s", v->index, g_strerror(errno));
            vmm_request(v->vm, VMM_REQ_FAILED);
            stop_self(v);
            continue;
        }
        if (!handle_exit(v))
            stop_self(v);
    }
    vmm_vcpu_idle_free(v);
    this_vcpu = NULL;
    return NULL;
}

int
vmm_vcpus_start(vmm *vm, vmm_error *err)
{
    struct sigaction sa = { .sa_handler = kick_handler };
    char name[16];
    int ret;

    /* No SA_RESTART: the point of the signal is to make KVM_RUN return. */
    sigemptyset(&sa.sa_mask);
    if (sigaction(VMM_SIG_KICK, &sa, NULL) < 0)
        return vmm_fail(err, LITE_ECODE_FAILED, errno, "cannot install the vCPU kick handler");
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        vmm_vcpu *v = &vm->vcpus[i];

        if ((ret = pthread_create(&v->thread, NULL, vcpu_thread, v)) != 0)
            return vmm_fail(err, LITE_ECODE_FAILED, ret, "cannot start vCPU thread %u", i);
        v->started = true;
        snprintf(name, sizeof(name), "vcpu%u", i);
        pthread_setname_np(v->thread, name);
        if (pthread_getcpuclockid(v->thread, &v->clock) != 0)
            v->clock = (clockid_t)-1;
    }
    return 0;
}

static unsigned
started_count(vmm *vm)
{
    unsigned n = 0;

    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        n += vm->vcpus[i].started;
    return n;
}

static void
kick_all(vmm *vm)
{
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        vmm_vcpu *v = &vm->vcpus[i];

        if (!v->started)
            continue;
        v->run->immediate_exit = 1;
        pthread_kill(v->thread, VMM_SIG_KICK);
    }
}

void
vmm_vcpus_pause(vmm *vm)
{
    unsigned n = started_count(vm);

    pthread_mutex_lock(&vm->run_lock);
    vm->pause_requested = true;
    kick_all(vm);
    while (vm->parked < n)
        pthread_cond_wait(&vm->run_cond, &vm->run_lock);
    pthread_mutex_unlock(&vm->run_lock);
}

void
vmm_vcpus_resume(vmm *vm)
{
    pthread_mutex_lock(&vm->run_lock);
    vm->pause_requested = false;
    pthread_cond_broadcast(&vm->run_cond);
    pthread_mutex_unlock(&vm->run_lock);
}

void
vmm_vcpus_quit(vmm *vm)
{
    if (!vm->vcpus)
        return;
    pthread_mutex_lock(&vm->run_lock);
    vm->quit = true;
    kick_all(vm);
    pthread_cond_broadcast(&vm->run_cond);
    pthread_mutex_unlock(&vm->run_lock);
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        if (vm->vcpus[i].started)
            pthread_join(vm->vcpus[i].thread, NULL);
        vm->vcpus[i].started = false;
    }
}

uint64_t
vmm_vcpu_time_ns(const vmm_vcpu *v)
{
    struct timespec ts;

    if (!v->started || v->clock == (clockid_t)-1 || clock_gettime(v->clock, &ts) < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
