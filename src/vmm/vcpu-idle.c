/* vcpu-idle.c: the lite-cpl3 idle register (contract in lite-cpl3.h). A CPL3 guest cannot
 * hlt, so it writes its wake word's address to an MMIO register instead; lite-vmm then puts
 * the vCPU in the state hlt would (KVM_MP_STATE_HALTED) and KVM sleeps it in the kernel until
 * an interrupt is deliverable, exactly as for a guest that can hlt. lite-vmm only adds the
 * bound: a per-vCPU timer signals the vCPU thread at the deadline, KVM_RUN returns EINTR and
 * the halt is ended by hand.
 *
 * Why the halt happens in KVM and not in a wait here: KVM knows of every interrupt source
 * (LAPIC timer, IPIs, the IOAPIC lines our devices raise), lite-vmm only of its own devices.
 * Why an MMIO register and not a port behind the CPL0 trampoline: the write happens at CPL3
 * with interrupts enabled, so the halted vCPU can take an interrupt; in the trampoline IF is
 * clear and the guest's handlers (CPL3 gates) cannot be entered from CPL0.
 *
 * Hostile guests: the deadline is fixed by lite-vmm (a guest cannot sleep longer), every
 * write costs the guest an exit of its own, and one write arms one timer: the only wake-ups
 * are the guest's own (one per write) and its interrupts. */
#include "vmm.h"

#include <errno.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lite-cpl3.h"
#include "log.h"

bool
vmm_idle_may_halt(const vmm_mem *mem, uint64_t wake_gpa)
{
    const uint32_t *word;

    if (wake_gpa == 0)
        return true;
    if (wake_gpa & 3)
        return false;
    word = vmm_mem_ptr(mem, wake_gpa, sizeof(*word));
    /* Other vCPUs may be writing the word right now: one atomic read. */
    return word && __atomic_load_n(word, __ATOMIC_ACQUIRE) == 0;
}

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The timer signals this thread (not any thread of the process) with the kick signal, whose
 * handler sets immediate_exit: a deadline that passes while the thread is outside KVM_RUN
 * still makes the next KVM_RUN return. */
static int
create_timer(vmm_vcpu *v)
{
    struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = VMM_SIG_KICK };

    /* glibc 2.36 names the field only through its internal union. */
    sev._sigev_un._tid = gettid();
    if (timer_create(CLOCK_MONOTONIC, &sev, &v->idle_timer) < 0)
        return -errno;
    v->has_idle_timer = true;
    return 0;
}

int
vmm_vcpu_idle(vmm_vcpu *v, uint64_t wake_gpa)
{
    struct kvm_mp_state halted = { .mp_state = KVM_MP_STATE_HALTED };
    struct itimerspec at = { 0 };
    uint64_t until;
    int ret = 0;

    if (!vmm_idle_may_halt(&v->vm->mem, wake_gpa))
        return 0;
    if (!v->has_idle_timer && (ret = create_timer(v)) < 0)
        goto fail;
    /* An absolute deadline, taken before arming: when the signal comes, the deadline has
     * passed by the same clock, so vmm_vcpu_idle_expire always ends the halt. */
    until = now_ns() + LITE_CPL3_IDLE_MAX_US * 1000ULL;
    at.it_value.tv_sec = (time_t)(until / 1000000000ULL);
    at.it_value.tv_nsec = (long)(until % 1000000000ULL);
    if (timer_settime(v->idle_timer, TIMER_ABSTIME, &at, NULL) < 0) {
        ret = -errno;
        goto fail;
    }
    if (ioctl(v->fd, KVM_SET_MP_STATE, &halted) < 0) {
        ret = -errno;
        goto fail;
    }
    v->idle_until_ns = until;
    return 0;

fail:
    /* The guest then spins through its idle loop: slower for the host, still correct. */
    if (!v->idle_warned)
        lite_warn("vCPU %u: cannot halt for an idle write, the guest will spin: %s",
                  v->index, g_strerror(-ret));
    v->idle_warned = true;
    return ret;
}

void
vmm_vcpu_idle_end(vmm_vcpu *v)
{
    struct kvm_mp_state runnable = { .mp_state = KVM_MP_STATE_RUNNABLE };

    if (!v->idle_until_ns)
        return;
    v->idle_until_ns = 0;
    /* If an interrupt already woke the vCPU, KVM made it runnable itself: no change. */
    if (ioctl(v->fd, KVM_SET_MP_STATE, &runnable) < 0)
        lite_warn("vCPU %u: cannot end an idle halt: %s", v->index, g_strerror(errno));
}

void
vmm_vcpu_idle_expire(vmm_vcpu *v)
{
    if (v->idle_until_ns && now_ns() >= v->idle_until_ns)
        vmm_vcpu_idle_end(v);
}

void
vmm_vcpu_idle_free(vmm_vcpu *v)
{
    if (v->has_idle_timer)
        timer_delete(v->idle_timer);
    v->has_idle_timer = false;
    v->idle_until_ns = 0;
}
