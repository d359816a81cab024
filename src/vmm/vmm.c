/* vmm.c: a VM's life: start-up in dependency order, the main loop (control socket, console,
 * signals, requests from vCPUs), the lifecycle actions (pause, power button, reset, the
 * on_poweroff/on_reboot/on_crash policies) and teardown.
 *
 * Threads: the main thread owns every state change; vCPU threads only run the guest, touch
 * devices under the bus lock and post VMM_REQ_* bits through an eventfd. */
#include "vmm.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "acpi-pm.h"
#include "control.h"
#include "fd.h"
#include "layout.h"
#include "log.h"
#include "serial.h"
#include "sysreset.h"
#include "vmm-host.h"
#include "vmm-server.h"

/* How often a hung-up console is checked for a new reader, and a full receive FIFO for
 * room. */
#define CONSOLE_RECHECK_MS 200
#define RX_RECHECK_MS 10
/* How long a console reader may take over the guest's last words before lite-vmm exits. */
#define CONSOLE_DRAIN_MS 500
/* How long after the status line a supervisor may take to connect its watch. */
#define LATE_WATCH_MS 2000

vmm *
vmm_new(lite_launch *cfg)
{
    vmm *vm = g_new0(vmm, 1);

    vm->cfg = cfg;
    vm->kvm_fd = -1;
    vm->vm_fd = -1;
    vm->notify_fd = -1;
    vm->nr_vcpus = cfg->vcpus;
    vm->state = "shutoff";
    vm->reason = "unknown";
    pthread_mutex_init(&vm->run_lock, NULL);
    pthread_cond_init(&vm->run_cond, NULL);
    vmm_pio_bus_init(&vm->pio);
    vmm_console_init(&vm->console, STDERR_FILENO);
    return vm;
}

void
vmm_free(vmm *vm)
{
    if (!vm)
        return;
    vmm_vcpus_quit(vm);
    for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
        vmm_vcpu *v = &vm->vcpus[i];

        if (v->run)
            munmap(v->run, vm->run_size);
        lite_fd_cleanup(&v->fd);
        g_free(v->cpuid);
        g_free(v->reset_msrs);
    }
    g_free(vm->vcpus);
    vmm_server_free(vm->server);
    vmm_pio_bus_destroy(&vm->pio);
    vmm_console_close(&vm->console);
    lite_fd_cleanup(&vm->vm_fd);
    lite_fd_cleanup(&vm->kvm_fd);
    lite_fd_cleanup(&vm->notify_fd);
    vmm_mem_destroy(&vm->mem);
    g_clear_pointer(&vm->kernel, g_bytes_unref);
    g_clear_pointer(&vm->initrd, g_bytes_unref);
    g_free(vm->supported_cpuid);
    pthread_mutex_destroy(&vm->run_lock);
    pthread_cond_destroy(&vm->run_cond);
    g_free(vm);
}

void
vmm_request(vmm *vm, unsigned req)
{
    uint64_t one = 1;

    atomic_fetch_or(&vm->requests, req);
    if (write(vm->notify_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        lite_warn("cannot notify the main loop: %s", g_strerror(errno));
}

static void
console_out(void *opaque, const uint8_t *buf, size_t len)
{
    vmm_console_write(opaque, buf, len);
}

static void
pm_poweroff(void *opaque)
{
    vmm_request(opaque, VMM_REQ_POWEROFF);
}

static void
sys_reset(void *opaque)
{
    vmm_request(opaque, VMM_REQ_REBOOT);
}

static int
add_devices(vmm *vm, vmm_error *err)
{
    vmm_irq_line com1 = { vmm_irq_line_set, vm, VMM_IRQ_COM1 };
    vmm_irq_line sci = { vmm_irq_line_set, vm, VMM_IRQ_SCI };
    vmm_sysreset *rst = vmm_sysreset_new(sys_reset, vm);
    vmm_acpi_pm *pm = vmm_acpi_pm_new(sci, pm_poweroff, vm);

    vm->serial = vmm_serial_new(VMM_PORT_COM1, com1, console_out, &vm->console);
    vm->pm = pm;
    if (vmm_pio_bus_add(&vm->pio, VMM_PORT_COM1, 8, &vmm_serial_ops, vm->serial) < 0 ||
        vmm_pio_bus_add(&vm->pio, VMM_PORT_PM1_EVT, VMM_PM_LEN, &vmm_acpi_pm_ops, pm) < 0 ||
        vmm_pio_bus_add(&vm->pio, VMM_PORT_RESET, 1, &vmm_sysreset_ops, rst) < 0 ||
        vmm_pio_bus_add(&vm->pio, VMM_PORT_I8042_CMD, 1, &vmm_sysreset_ops, rst) < 0)
        return vmm_fail(err, LITE_ECODE_FAILED, EEXIST, "device ports overlap");
    return 0;
}

static int
read_file(const char *what, const char *path, GBytes **out, vmm_error *err)
{
    g_autoptr(GError) gerr = NULL;
    gchar *data;
    gsize len;

    if (!g_file_get_contents(path, &data, &len, &gerr))
        return vmm_fail(err, LITE_ECODE_FAILED, gerr->code == G_FILE_ERROR_NOENT ? ENOENT : EIO,
                        "cannot read the %s %s: %s", what, path, gerr->message);
    *out = g_bytes_new_take(data, len);
    return 0;
}

static int
load_guest(vmm *vm, vmm_error *err)
{
    vmm_boot_input in = {
        .kernel = g_bytes_get_data(vm->kernel, &in.kernel_len),
        .initrd = vm->initrd ? g_bytes_get_data(vm->initrd, &in.initrd_len) : NULL,
        .cmdline = vm->cfg->boot.cmdline,
        .nr_vcpus = vm->nr_vcpus,
        .host_is_pvm = vm->host_is_pvm,
        .xsave = vm->has_xcrs,
    };

    return vmm_boot_load(&vm->mem, &in, &vm->plan, err);
}

static int
check_machine(vmm *vm, uint64_t *ram, vmm_error *err)
{
    const lite_launch *cfg = vm->cfg;

    if (vm->nr_vcpus == 0 || vm->nr_vcpus > vm->max_vcpus || vm->nr_vcpus > 255)
        return vmm_fail(err, LITE_ECODE_UNSUPPORTED, EINVAL,
                        "%u vCPUs asked for; this host's KVM allows at most %u (and lite-vmm "
                        "255)", vm->nr_vcpus, vm->max_vcpus);
    if (cfg->memory_kib < 2048 || cfg->memory_kib > (G_MAXUINT64 >> 10))
        return vmm_fail(err, LITE_ECODE_UNSUPPORTED, EINVAL,
                        "%" PRIu64 " KiB of memory asked for; lite-vmm needs at "
                        "least 2048", cfg->memory_kib);
    *ram = (cfg->memory_kib << 10) & ~(VMM_PAGE_SIZE - 1);
    return 0;
}

static int
setup(vmm *vm, vmm_error *err)
{
    const lite_launch *cfg = vm->cfg;
    uint64_t ram = 0;
    int ret;

    vm->host_is_pvm = vmm_host_is_pvm("");
    if ((ret = read_file("kernel", cfg->boot.kernel, &vm->kernel, err)) < 0 ||
        (cfg->boot.initrd && (ret = read_file("initrd", cfg->boot.initrd, &vm->initrd, err)) < 0))
        return ret;
    {
        gsize len;
        const uint8_t *img = g_bytes_get_data(vm->kernel, &len);

        if ((ret = vmm_boot_detect(img, len, &vm->plan.protocol, err)) < 0)
            return ret;
    }
    /* Refuse what this host cannot run before spending anything on it. */
    if (vm->plan.protocol == VMM_BOOT_LINUX && vm->host_is_pvm)
        return load_guest(vm, err);
    if ((ret = vmm_kvm_open(vm, err)) < 0 || (ret = check_machine(vm, &ram, err)) < 0)
        return ret;
    if ((ret = vmm_mem_init(&vm->mem, ram, VMM_MMIO_HOLE_START, VMM_MMIO_HOLE_END)) < 0)
        return vmm_error_set(err, LITE_ECODE_UNSUPPORTED, ret,
                             "cannot get %" PRIu64 " MiB of guest RAM on this host: give the "
                             "domain less memory", ram >> 20);
    if ((ret = vmm_kvm_create_vm(vm, err)) < 0 || (ret = load_guest(vm, err)) < 0)
        return ret;
    vm->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (vm->notify_fd < 0)
        return vmm_fail(err, LITE_ECODE_FAILED, errno, "eventfd failed");
    if (cfg->console == LITE_CONSOLE_PTY && (ret = vmm_console_open_pty(&vm->console)) < 0)
        return vmm_error_set(err, LITE_ECODE_FAILED, ret, "cannot open the console pty");
    if ((ret = add_devices(vm, err)) < 0 || (ret = vmm_vcpus_create(vm, err)) < 0)
        return ret;
    return 0;
}

static lite_msg *handle_request(void *opaque, const lite_msg *req, bool *watch);

int
vmm_start(vmm *vm, vmm_error *err)
{
    sigset_t block;
    int ret;

    /* Signals are read through a signalfd by the main loop; vCPU threads inherit the mask
     * and unblock only their kick signal. */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((ret = setup(vm, err)) < 0)
        return ret;
    if (vm->cfg->control_path &&
        (ret = vmm_server_new(vm->cfg->control_path, handle_request, vm, &vm->server)) < 0)
        return vmm_error_set(err, LITE_ECODE_FAILED, ret, "cannot serve the control socket %s",
                             vm->cfg->control_path);
    lite_info("starting a %s guest: %u vCPU(s), %" PRIu64 " MiB",
              vmm_boot_protocol_name(vm->plan.protocol), vm->nr_vcpus, vm->mem.ram_size >> 20);
    if ((ret = vmm_vcpus_start(vm, err)) < 0)
        return ret;
    vm->state = "running";
    vm->reason = "booted";
    return 0;
}

/* ---- lifecycle ---- */

static void
send_event(vmm *vm, const char *state, const char *reason)
{
    g_autoptr(lite_msg) ev = lite_msg_new("event");

    lite_msg_set(ev, "state", state);
    lite_msg_set(ev, "reason", reason);
    lite_info("event %s (%s)", state, reason);
    vmm_server_broadcast(vm->server, ev);
}

static void
set_state(vmm *vm, const char *state, const char *reason)
{
    vm->state = state;
    vm->reason = reason;
    send_event(vm, state, reason);
}

static bool
is(const vmm *vm, const char *state)
{
    return strcmp(vm->state, state) == 0;
}

int
vmm_reset(vmm *vm)
{
    g_auto(vmm_error) err = { 0 };

    atomic_store(&vm->requests, 0);
    vm->fake_reboot = false;
    if (vmm_mem_discard(&vm->mem) < 0 || load_guest(vm, &err) < 0)
        return -EIO;
    vmm_pio_bus_reset(&vm->pio);
    if (vmm_kvm_reset_irqchip(vm) < 0 || vmm_vcpus_load_boot_state(vm) < 0)
        return -EIO;
    return 0;
}

/* Ends the main loop with a final shutoff event. */
static void
finish(vmm *vm, const char *reason, int status)
{
    vmm_vcpus_pause(vm);
    vm->exit_status = status;
    set_state(vm, "shutoff", reason);
}

static void
restart(vmm *vm)
{
    vmm_vcpus_pause(vm);
    if (vmm_reset(vm) < 0) {
        finish(vm, "failed", 1);
        return;
    }
    vmm_vcpus_resume(vm);
    set_state(vm, "running", "rebooted");
}

/* What on_poweroff / on_reboot / on_crash say to do. */
static void
apply_action(vmm *vm, lite_action action, const char *shutoff_reason, const char *stop_state,
             const char *stop_reason)
{
    switch (action) {
    case LITE_ACTION_RESTART:
        restart(vm);
        break;
    case LITE_ACTION_PRESERVE:
        vmm_vcpus_pause(vm);
        set_state(vm, stop_state, stop_reason);
        break;
    default:
        finish(vm, shutoff_reason, 0);
    }
}

static void
handle_requests(vmm *vm)
{
    uint64_t n;
    unsigned req;

    if (read(vm->notify_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        lite_warn("eventfd read: %s", g_strerror(errno));
    req = atomic_exchange(&vm->requests, 0);
    if (!req || is(vm, "shutoff"))
        return;
    if (req & VMM_REQ_FAILED) {
        finish(vm, "failed", 1);
    } else if (req & VMM_REQ_CRASH) {
        lite_warn("the guest crashed");
        apply_action(vm, vm->cfg->on_crash, "crashed", "crashed", "panicked");
        if (is(vm, "shutoff"))
            vm->exit_status = 1;
    } else if (req & VMM_REQ_POWEROFF) {
        lite_info("the guest powered off");
        if (vm->fake_reboot)
            restart(vm);
        else
            apply_action(vm, vm->cfg->on_poweroff, "shutdown", "paused", "shutdown");
    } else if (req & VMM_REQ_REBOOT) {
        lite_info("the guest reset itself");
        apply_action(vm, vm->cfg->on_reboot, "shutdown", "paused", "shutdown");
    }
}

static void
press_power_button(vmm *vm)
{
    pthread_mutex_lock(&vm->pio.lock);
    vmm_acpi_pm_press_power_button(vm->pm);
    pthread_mutex_unlock(&vm->pio.lock);
}

/* ---- control requests ---- */

static lite_msg *
ok(void)
{
    return lite_msg_new("ok");
}

static uint64_t
rss_kib(void)
{
    g_autofree char *statm = NULL;
    unsigned long size = 0, resident = 0;

    if (!g_file_get_contents("/proc/self/statm", &statm, NULL, NULL) ||
        sscanf(statm, "%lu %lu", &size, &resident) != 2)
        return 0;
    return (uint64_t)resident * (uint64_t)(sysconf(_SC_PAGESIZE) / 1024);
}

static lite_msg *
query(vmm *vm)
{
    lite_msg *m = ok();
    uint64_t total = 0;

    lite_msg_set(m, "state", vm->state);
    lite_msg_set(m, "reason", vm->reason);
    for (unsigned i = 0; i < vm->nr_vcpus; i++)
        total += vmm_vcpu_time_ns(&vm->vcpus[i]);
    lite_msg_set_u64(m, "cpu-time-ns", total);
    lite_msg_set_u64(m, "vcpu-count", vm->nr_vcpus);
    for (unsigned i = 0; i < vm->nr_vcpus; i++) {
        g_autofree char *state_key = g_strdup_printf("vcpu-%u-state", i);
        g_autofree char *time_key = g_strdup_printf("vcpu-%u-time-ns", i);

        lite_msg_set(m, state_key, is(vm, "running") || is(vm, "shutdown") ? "running" :
                     "paused");
        lite_msg_set_u64(m, time_key, vmm_vcpu_time_ns(&vm->vcpus[i]));
    }
    lite_msg_set_u64(m, "memory-kib", vm->mem.ram_size >> 10);
    lite_msg_set_u64(m, "rss-kib", rss_kib());
    return m;
}

static lite_msg *
invalid(vmm *vm, const char *verb)
{
    return lite_msg_error(LITE_ECODE_INVALID, EINVAL, "cannot %s a domain that is %s", verb,
                          vm->state);
}

static bool
paused_by_user(const vmm *vm)
{
    return is(vm, "paused") && strcmp(vm->reason, "user") == 0;
}

static lite_msg *
do_hello(vmm *vm, const char *verb, bool *watch)
{
    lite_msg *m = ok();

    lite_msg_set(m, "kind", "vm");
    lite_msg_set_u64(m, "pid", (uint64_t)getpid());
    lite_msg_set(m, "state", vm->state);
    lite_msg_set(m, "reason", vm->reason);
    if (vm->console.slave_path)
        lite_msg_set(m, "console", vm->console.slave_path);
    return m;
}

static lite_msg *
do_query(vmm *vm, const char *verb, bool *watch)
{
    return query(vm);
}

static lite_msg *
do_watch(vmm *vm, const char *verb, bool *watch)
{
    *watch = true;
    return ok();
}

static lite_msg *
do_pause(vmm *vm, const char *verb, bool *watch)
{
    if (!is(vm, "running"))
        return invalid(vm, verb);
    vmm_vcpus_pause(vm);
    set_state(vm, "paused", "user");
    return ok();
}

static lite_msg *
do_resume(vmm *vm, const char *verb, bool *watch)
{
    if (!paused_by_user(vm))
        return invalid(vm, verb);
    vmm_vcpus_resume(vm);
    set_state(vm, "running", "unpaused");
    return ok();
}

/* shutdown and reboot: the power button; reboot turns the guest's power off into a restart. */
static lite_msg *
do_power_button(vmm *vm, const char *verb, bool *watch)
{
    if (!is(vm, "running") && !paused_by_user(vm))
        return invalid(vm, verb);
    vm->fake_reboot = strcmp(verb, "reboot") == 0;
    press_power_button(vm);
    /* Only an event: the state stays, as the guest may ignore the button. */
    send_event(vm, "shutdown", "requested");
    return ok();
}

static lite_msg *
do_reset(vmm *vm, const char *verb, bool *watch)
{
    /* A user pause survives a reset; a domain stopped by a preserve action runs again. */
    bool stay_paused = paused_by_user(vm);

    if (!is(vm, "running") && !is(vm, "paused") && !is(vm, "crashed"))
        return invalid(vm, verb);
    vmm_vcpus_pause(vm);
    if (vmm_reset(vm) < 0) {
        finish(vm, "failed", 1);
        return lite_msg_error(LITE_ECODE_FAILED, EIO, "the reset failed; the domain is off");
    }
    if (!stay_paused) {
        vmm_vcpus_resume(vm);
        if (!is(vm, "running"))
            set_state(vm, "running", "booted");
    }
    return ok();
}

static lite_msg *
do_destroy(vmm *vm, const char *verb, bool *watch)
{
    if (is(vm, "shutoff"))
        return invalid(vm, verb);
    /* The main loop acts after this reply went out: reply, shutoff event, close. */
    vm->destroy_requested = true;
    return ok();
}

static const struct {
    const char *verb;
    lite_msg *(*fn)(vmm *vm, const char *verb, bool *watch);
} requests[] = {
    { "hello", do_hello },
    { "query", do_query },
    { "watch", do_watch },
    { "pause", do_pause },
    { "resume", do_resume },
    { "shutdown", do_power_button },
    { "reboot", do_power_button },
    { "reset", do_reset },
    { "destroy", do_destroy },
};

static lite_msg *
handle_request(void *opaque, const lite_msg *req, bool *watch)
{
    const char *verb = lite_msg_verb(req);

    for (size_t i = 0; i < G_N_ELEMENTS(requests); i++) {
        if (strcmp(verb, requests[i].verb) == 0)
            return requests[i].fn(opaque, verb, watch);
    }
    return lite_msg_error(LITE_ECODE_NO_SUPPORT, ENOTSUP, "lite-vmm does not know '%s'", verb);
}

/* ---- main loop ---- */

static int
open_signalfd(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void
console_input(vmm *vm)
{
    uint8_t buf[VMM_SERIAL_FIFO];
    size_t room;
    ssize_t n;

    pthread_mutex_lock(&vm->pio.lock);
    room = vmm_serial_rx_room(vm->serial);
    pthread_mutex_unlock(&vm->pio.lock);
    if (!room)
        return;
    n = vmm_console_read(&vm->console, buf, room);
    if (n <= 0)
        return;
    pthread_mutex_lock(&vm->pio.lock);
    vmm_serial_rx(vm->serial, buf, (size_t)n);
    pthread_mutex_unlock(&vm->pio.lock);
}

/* A guest may be done before the supervisor that read our status line has connected to
 * follow it (the start benchmark's guest powers off within a millisecond). Closing at once
 * would leave the driver a refused or reset connection and no way to tell a power off from
 * a crash. So when nobody has watched yet, the control socket stays up until LATE_WATCH_MS
 * after the status line (when lite-vmm was started with --status-fd): requests are answered
 * as for any shut-off domain, and the first watcher gets the final event before lite-vmm
 * exits. */
static void
serve_late_watcher(vmm *vm)
{
    g_autoptr(GArray) pfds = g_array_new(FALSE, TRUE, sizeof(struct pollfd));
    g_autoptr(lite_msg) last = lite_msg_new("event");
    int64_t deadline = vm->reported_at_us + LATE_WATCH_MS * 1000LL;

    /* A destroy request came from a client that has its answer already. */
    if (!vm->server || !vm->reported_at_us || vm->destroy_requested ||
        vmm_server_ever_watched(vm->server))
        return;
    lite_msg_set(last, "state", vm->state);
    lite_msg_set(last, "reason", vm->reason);
    while (!vmm_server_ever_watched(vm->server)) {
        int64_t left = deadline - g_get_monotonic_time();
        unsigned n;

        if (left <= 0)
            return;
        g_array_set_size(pfds, 0);
        n = vmm_server_add_pollfds(vm->server, pfds);
        if (poll((struct pollfd *)pfds->data, n, (int)((left + 999) / 1000)) < 0 &&
            errno != EINTR)
            return;
        vmm_server_dispatch(vm->server, (struct pollfd *)pfds->data, n);
    }
    lite_debug("a late watcher connected: telling it the domain is %s (%s)", vm->state,
               vm->reason);
    vmm_server_broadcast(vm->server, last);
}

int
vmm_main_loop(vmm *vm)
{
    lite_autofd sfd = open_signalfd();
    g_autoptr(GArray) pfds = g_array_new(FALSE, TRUE, sizeof(struct pollfd));

    while (!is(vm, "shutoff")) {
        struct pollfd p = { .events = POLLIN };
        bool console_polled = false;
        int timeout = -1;
        unsigned server_first, server_count = 0;

        if (vm->destroy_requested) {
            finish(vm, "destroyed", 0);
            break;
        }
        g_array_set_size(pfds, 0);
        p.fd = sfd;
        g_array_append_val(pfds, p);
        p.fd = vm->notify_fd;
        g_array_append_val(pfds, p);
        if (vm->console.master >= 0) {
            bool room;

            pthread_mutex_lock(&vm->pio.lock);
            room = vmm_serial_rx_room(vm->serial) > 0;
            pthread_mutex_unlock(&vm->pio.lock);
            if (!atomic_load(&vm->console.connected) && !vmm_console_check(&vm->console))
                timeout = CONSOLE_RECHECK_MS;
            else if (!room)
                timeout = RX_RECHECK_MS;
            else
                console_polled = true;
            p.fd = console_polled ? vm->console.master : -1;
            g_array_append_val(pfds, p);
        }
        server_first = pfds->len;
        if (vm->server)
            server_count = vmm_server_add_pollfds(vm->server, pfds);

        if (poll((struct pollfd *)pfds->data, pfds->len, timeout) < 0 && errno != EINTR) {
            lite_err("poll: %s", g_strerror(errno));
            finish(vm, "failed", 1);
            break;
        }
        if (g_array_index(pfds, struct pollfd, 0).revents & POLLIN) {
            struct signalfd_siginfo si;

            if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                lite_info("signal %u: destroying the domain", si.ssi_signo);
                finish(vm, "destroyed", 0);
                break;
            }
        }
        if (g_array_index(pfds, struct pollfd, 1).revents & POLLIN)
            handle_requests(vm);
        if (console_polled && (g_array_index(pfds, struct pollfd, 2).revents & (POLLIN | POLLHUP)))
            console_input(vm);
        if (vm->server && !is(vm, "shutoff"))
            vmm_server_dispatch(vm->server, &g_array_index(pfds, struct pollfd, server_first),
                                server_count);
    }
    vmm_vcpus_quit(vm);
    vmm_console_drain(&vm->console, CONSOLE_DRAIN_MS);
    serve_late_watcher(vm);
    return vm->exit_status;
}
