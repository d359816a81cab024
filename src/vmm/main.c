/* main.c: lite-vmm --config PATH [--status-fd N] [--detach]: runs one VM and reports
 * on the status fd (stdout without --status-fd) exactly once:
 *   ok pid=P [console=/dev/pts/N]         when the vCPUs run and the control socket listens
 *   error code=C errno=E message=M        when it cannot start (exit status 1)
 * In the foreground, unless --detach (the driver's spawn, src/launch/detach.h) asks it to
 * leave its spawner first. With console=none the guest's serial output goes to stderr (the
 * domain log; stdout may carry the status line), at most VMM_CONSOLE_LOG_MAX bytes.
 *
 * lite-vmm --probe: says on stdout what this host's /dev/kvm can run, for the driver's
 * capabilities: "ok kvm=1 pvm=0|1 max-vcpus=N bzimage=0|1", or "error code=... message=..."
 * when there is no usable KVM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "control.h"
#include "detach.h"
#include "fd.h"
#include "launch.h"
#include "log.h"
#include "vmm-host.h"
#include "vmm.h"

static void
report(int fd, const lite_msg *m)
{
    g_autofree char *line = lite_msg_format(m);

    if (lite_write_full(fd, line, strlen(line)) < 0)
        lite_warn("cannot write the status line: %s", g_strerror(errno));
    if (fd != STDOUT_FILENO)
        close(fd);
}

static int
fail_status(int fd, const vmm_error *err)
{
    g_autoptr(lite_msg) m = lite_msg_error(err->code ? err->code : LITE_ECODE_FAILED, err->err,
                                           "%s", err->message ? err->message : "unknown error");

    report(fd, m);
    return 1;
}

/* Opens /dev/kvm the way a VM start does, so the answer is exactly what start would meet. */
static int
probe(void)
{
    g_autoptr(lite_launch) cfg = lite_launch_new(LITE_KIND_VM);
    g_autoptr(lite_msg) m = lite_msg_new("ok");
    g_auto(vmm_error) err = { 0 };
    vmm *vm = vmm_new(cfg);
    bool pvm = vmm_host_is_pvm("");
    int ret = 0;

    if (vmm_kvm_open(vm, &err) < 0) {
        ret = fail_status(STDOUT_FILENO, &err);
    } else {
        lite_msg_set(m, "kvm", "1");
        lite_msg_set(m, "pvm", pvm ? "1" : "0");
        lite_msg_set_u64(m, "max-vcpus", MIN(vm->max_vcpus, 255));
        /* PVM emulates guest ring 0 too slowly and too partially for Linux to boot. */
        lite_msg_set(m, "bzimage", pvm ? "0" : "1");
        report(STDOUT_FILENO, m);
    }
    vmm_free(vm);
    return ret;
}

int
main(int argc, char **argv)
{
    g_autofree char *config = NULL;
    gboolean want_probe = FALSE;
    gboolean detach = FALSE;
    gint status_fd = STDOUT_FILENO;
    GOptionEntry entries[] = {
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &config, "launch config file", "PATH" },
        { "status-fd", 0, 0, G_OPTION_ARG_INT, &status_fd, "fd for the status line", "N" },
        { LITE_DETACH_FLAG + 2, 0, 0, G_OPTION_ARG_NONE, &detach,
          "leave the spawning process at once (the driver's spawn)", NULL },
        { "probe", 0, 0, G_OPTION_ARG_NONE, &want_probe, "report what this host can run",
          NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- run one lite virtual machine");
    g_autoptr(GError) gerr = NULL;
    g_autoptr(lite_launch) cfg = NULL;
    g_auto(vmm_error) err = { 0 };
    vmm *vm;
    int ret;

    lite_log_init("lite-vmm");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (g_option_context_parse(ctx, &argc, &argv, &gerr) && want_probe)
        return probe();
    if (gerr || !config) {
        fprintf(stderr, "lite-vmm: %s\n", gerr ? gerr->message : "--config PATH is required");
        return 2;
    }
    if (status_fd < 0 || (status_fd != STDOUT_FILENO && lite_fd_set_cloexec(status_fd, true) < 0)) {
        fprintf(stderr, "lite-vmm: --status-fd %d is not an open descriptor\n", status_fd);
        return 2;
    }
    /* Before vmm_start makes the vCPU threads that a fork would not copy. */
    if (detach && lite_launch_detach() < 0)
        return 1;
    if (lite_launch_load(config, &cfg, &gerr) < 0) {
        vmm_fail(&err, LITE_ECODE_FAILED, gerr->code, "%s", gerr->message);
        return fail_status(status_fd, &err);
    }
    if (cfg->kind != LITE_KIND_VM) {
        vmm_fail(&err, LITE_ECODE_FAILED, EINVAL, "the launch config is for a %s, not a vm",
                 lite_kind_name(cfg->kind));
        return fail_status(status_fd, &err);
    }

    vm = vmm_new(cfg);
    if (vmm_start(vm, &err) < 0) {
        vmm_free(vm);
        return fail_status(status_fd, &err);
    }
    {
        g_autoptr(lite_msg) m = lite_msg_new("ok");

        lite_msg_set_u64(m, "pid", (uint64_t)getpid());
        if (vm->console.slave_path)
            lite_msg_set(m, "console", vm->console.slave_path);
        report(status_fd, m);
        /* Only a supervisor that reads a status fd follows with a watch connection. */
        if (status_fd != STDOUT_FILENO)
            vm->reported_at_us = g_get_monotonic_time();
    }
    ret = vmm_main_loop(vm);
    vmm_free(vm);
    return ret;
}
