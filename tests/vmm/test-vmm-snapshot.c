/* test-vmm-snapshot.c: vCPU and VM state, in-process on this host's /dev/kvm (root, else
 * exit 77). The state a snapshot will carry is complete: a running lite-cpl3 guest is paused,
 * its RAM, device, VM and vCPU state saved; the machine is then reset (a fresh boot) and the
 * saved state restored: the guest must go on from where it was (its boot count unchanged, its
 * counter continuing from the saved value), not boot again. A pause freezes the counter the
 * guest publishes in RAM. And a reset forgets the previous boot: paravirtual MSRs and an
 * x2APIC switch do not survive it. */
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <glib.h>

#include "vcpu-state.h"
#include "vmm.h"

#define PUBLISHED 0x1ff000

typedef struct {
    uint64_t counter;
    uint64_t boots;
} published;

static published
peek(vmm *vm)
{
    published p = { 0 };

    g_assert_cmpint(vmm_mem_read(&vm->mem, PUBLISHED, &p, sizeof(p)), ==, 0);
    return p;
}

/* The test guest with 2 vCPUs and 32 MiB, no console, no control socket. */
static lite_launch *
guest_config(void)
{
    lite_launch *cfg = lite_launch_new(LITE_KIND_VM);

    cfg->name = g_strdup("snap");
    cfg->uuid = g_strdup("c7a5fdbd-edaf-9455-926a-d65c16db1809");
    cfg->memory_kib = 32768;
    cfg->vcpus = 2;
    cfg->boot.kernel = g_strdup(g_getenv("LITE_GUEST_CPL3"));
    return cfg;
}

static vmm *
start(lite_launch *cfg)
{
    g_auto(vmm_error) err = { 0 };
    vmm *vm = vmm_new(cfg);

    if (vmm_start(vm, &err) < 0)
        g_error("%s", err.message);
    return vm;
}

static published
run_for(vmm *vm, unsigned ms)
{
    vmm_vcpus_resume(vm);
    g_usleep(ms * 1000);
    vmm_vcpus_pause(vm);
    return peek(vm);
}

static void
test_reset_then_restore_continues(void)
{
    g_autoptr(lite_launch) cfg = guest_config();
    vmm_vcpu_state vcpu[2];
    vmm_vm_state vms;
    g_autoptr(GPtrArray) devices = NULL;
    g_autofree uint8_t *ram = NULL;
    published saved, after_reset, p;
    vmm *vm = start(cfg);

    /* Booted once and counting. */
    g_usleep(300 * 1000);
    vmm_vcpus_pause(vm);
    saved = peek(vm);
    g_assert_cmpuint(saved.boots, ==, 1);
    g_assert_cmpuint(saved.counter, >, 0);
    ram = g_memdup2(vm->mem.map, vm->mem.ram_size);
    devices = vmm_pio_bus_save(&vm->pio);
    g_assert_cmpint(vmm_vm_state_save(vm, &vms), ==, 0);
    for (unsigned i = 0; i < 2; i++)
        g_assert_cmpint(vmm_vcpu_state_save(vm, i, &vcpu[i]), ==, 0);
    g_assert_cmpuint(vcpu[0].regs.rip, !=, 0);
    g_assert_nonnull(vcpu[0].msrs);
    g_assert_cmpuint(vcpu[0].msrs->nmsrs, >, 0);

    /* A reset is a fresh boot: RAM cleared, the guest starts over. */
    g_assert_cmpint(vmm_reset(vm), ==, 0);
    after_reset = run_for(vm, 300);
    g_assert_cmpuint(after_reset.boots, ==, 1);
    g_assert_cmpuint(after_reset.counter, >, 0);

    /* Restore: the guest continues the saved run. */
    memcpy(vm->mem.map, ram, vm->mem.ram_size);
    g_assert_cmpint(vmm_pio_bus_restore(&vm->pio, devices), ==, 0);
    g_assert_cmpint(vmm_vm_state_restore(vm, &vms), ==, 0);
    for (unsigned i = 0; i < 2; i++)
        g_assert_cmpint(vmm_vcpu_state_restore(vm, i, &vcpu[i]), ==, 0);
    g_assert_cmpuint(peek(vm).counter, ==, saved.counter);
    /* KVM now holds exactly the saved vCPU state (after 300 ms of another boot, nothing of
     * it could match by chance). */
    for (unsigned i = 0; i < 2; i++) {
        vmm_vcpu_state again;

        g_assert_cmpint(vmm_vcpu_state_save(vm, i, &again), ==, 0);
        g_assert_cmpmem(&again.regs, sizeof(again.regs), &vcpu[i].regs, sizeof(vcpu[i].regs));
        g_assert_cmpmem(&again.sregs, sizeof(again.sregs), &vcpu[i].sregs,
                        sizeof(vcpu[i].sregs));
        g_assert_cmpmem(again.lapic.regs + 0x80, 0x300, vcpu[i].lapic.regs + 0x80, 0x300);
        g_assert_cmpuint(again.msrs->nmsrs, ==, vcpu[i].msrs->nmsrs);
        vmm_vcpu_state_clear(&again);
    }
    p = run_for(vm, 200);
    g_assert_cmpuint(p.boots, ==, 1);              /* not booted again */
    g_assert_cmpuint(p.counter, >, saved.counter);  /* went on from the saved value */
    /* A state list that does not match the devices is refused. */
    g_ptr_array_set_size(devices, 1);
    g_assert_cmpint(vmm_pio_bus_restore(&vm->pio, devices), <, 0);

    for (unsigned i = 0; i < 2; i++)
        vmm_vcpu_state_clear(&vcpu[i]);
    vmm_free(vm);
}

#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVMCLOCK_GPA 0x1fe000
#define APIC_BASE_ENABLE (1ULL << 11)
#define APIC_BASE_X2APIC (1ULL << 10)

static bool
page_is_zero(vmm *vm, uint64_t gpa)
{
    const uint8_t *p = vmm_mem_ptr(&vm->mem, gpa, 4096);

    for (int i = 0; i < 4096; i++) {
        if (p[i])
            return false;
    }
    return true;
}

static void
test_reset_forgets_the_previous_boot(void)
{
    g_autoptr(lite_launch) cfg = guest_config();
    struct {
        struct kvm_msrs h;
        struct kvm_msr_entry e;
    } msr = { .h.nmsrs = 1, .e.index = MSR_KVM_SYSTEM_TIME_NEW };
    struct kvm_sregs sregs;
    struct kvm_lapic_state lapic;
    uint32_t id;
    vmm *vm = start(cfg);
    g_usleep(100 * 1000);
    vmm_vcpus_pause(vm);

    /* What a Linux guest does: kvmclock at a page of its RAM, vCPU 1 in x2APIC mode. KVM
     * writes the clock page as soon as the vCPU runs. */
    msr.e.data = KVMCLOCK_GPA | 1;
    g_assert_cmpint(ioctl(vm->vcpus[0].fd, KVM_SET_MSRS, &msr), ==, 1);
    g_assert_cmpint(ioctl(vm->vcpus[1].fd, KVM_GET_SREGS, &sregs), ==, 0);
    sregs.apic_base |= APIC_BASE_ENABLE | APIC_BASE_X2APIC;
    g_assert_cmpint(ioctl(vm->vcpus[1].fd, KVM_SET_SREGS, &sregs), ==, 0);
    run_for(vm, 100);
    g_assert_false(page_is_zero(vm, KVMCLOCK_GPA));

    g_assert_cmpint(vmm_reset(vm), ==, 0);
    run_for(vm, 200);
    /* The fresh boot's RAM is not written by the old boot's kvmclock... */
    g_assert_true(page_is_zero(vm, KVMCLOCK_GPA));
    msr.e.data = 0xdead;
    g_assert_cmpint(ioctl(vm->vcpus[0].fd, KVM_GET_MSRS, &msr), ==, 1);
    g_assert_cmpuint(msr.e.data, ==, 0);
    /* ...and vCPU 1 is back in xAPIC mode with its own APIC ID (1 in bits 31:24). */
    g_assert_cmpint(ioctl(vm->vcpus[1].fd, KVM_GET_SREGS, &sregs), ==, 0);
    g_assert_cmpuint(sregs.apic_base & APIC_BASE_X2APIC, ==, 0);
    g_assert_cmpint(ioctl(vm->vcpus[1].fd, KVM_GET_LAPIC, &lapic), ==, 0);
    memcpy(&id, lapic.regs + 0x20, sizeof(id));
    g_assert_cmpuint(id, ==, 1u << 24);
    g_assert_cmpuint(peek(vm).boots, ==, 1);
    vmm_free(vm);
}

/* The counter the guest publishes in RAM stands still while the vCPUs are paused (vCPU 0
 * publishes its wake-ups, about 100 a second from the idle deadline alone), and moves again
 * after resume. */
static void
test_pause_freezes_guest_ram(void)
{
    g_autoptr(lite_launch) cfg = guest_config();
    vmm *vm = start(cfg);
    published a, b, c;

    g_usleep(100 * 1000);
    vmm_vcpus_pause(vm);
    a = peek(vm);
    g_usleep(300 * 1000);
    b = peek(vm);
    g_assert_cmpuint(a.counter, >, 0);
    g_assert_cmpuint(b.counter, ==, a.counter);
    c = run_for(vm, 100);
    g_assert_cmpuint(c.counter, >, b.counter);
    vmm_free(vm);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (geteuid() != 0 || access("/dev/kvm", R_OK | W_OK) != 0 || !g_getenv("LITE_GUEST_CPL3")) {
        g_print("SKIP: needs root, /dev/kvm and LITE_GUEST_CPL3\n");
        return 77;
    }
    g_test_add_func("/vmm/snapshot/reset-then-restore-continues",
                    test_reset_then_restore_continues);
    g_test_add_func("/vmm/snapshot/pause-freezes-guest-ram", test_pause_freezes_guest_ram);
    g_test_add_func("/vmm/snapshot/reset-forgets-the-previous-boot",
                    test_reset_forgets_the_previous_boot);
    return g_test_run();
}
