/* lite_probe.c: runs each launcher's --probe and keeps its answer for capabilities. */
#include <config.h>

#include "lite_probe.h"

#include "vircommand.h"
#include "virfile.h"
#include "virlog.h"

#include "control.h"

#include "lite_i18n.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.probe");

/* Runs `PATH --probe`; on success returns its "ok ..." line parsed, otherwise NULL and a
 * reason a user can act on. */
static lite_msg *
liteProbeLauncher(const char *path, char **reason)
{
    g_autoptr(virCommand) cmd = NULL;
    g_autofree char *out = NULL;
    g_autoptr(lite_msg) msg = NULL;
    int status = 0;
    size_t len;

    if (!virFileIsExecutable(path)) {
        *reason = g_strdup_printf(_("launcher %s is not installed"), path);
        return NULL;
    }
    cmd = virCommandNewArgList(path, "--probe", NULL);
    virCommandSetOutputBuffer(cmd, &out);
    virCommandClearCaps(cmd);
    if (virCommandRun(cmd, &status) < 0) {
        *reason = g_strdup_printf(_("cannot run %s --probe"), path);
        return NULL;
    }
    len = out ? strcspn(out, "\n") : 0;
    if (!out || lite_msg_parse(out, len, &msg) < 0) {
        *reason = g_strdup_printf(_("%s --probe printed no status line (exit status %d)"),
                                  path, status);
        return NULL;
    }
    if (!lite_msg_is_ok(msg)) {
        const char *why = lite_msg_get(msg, "message");
        *reason = g_strdup(why ? why : _("the launcher refused without a reason"));
        return NULL;
    }
    return g_steal_pointer(&msg);
}

void
liteHostProbeRun(liteHostProbe *probe, const char *vmmPath, const char *nsPath)
{
    g_autoptr(lite_msg) vm = NULL;
    g_autoptr(lite_msg) ct = NULL;
    uint64_t n;

    liteHostProbeClear(probe);
    if ((vm = liteProbeLauncher(vmmPath, &probe->vmReason))) {
        probe->vmOk = true;
        probe->vmPvm = g_strcmp0(lite_msg_get(vm, "pvm"), "1") == 0;
        if (lite_msg_get_u64(vm, "max-vcpus", &n) == 0 && n > 0 && n <= 4096)
            probe->vmMaxVcpus = (unsigned int)n;
    }
    if (probe->vmMaxVcpus == 0)
        probe->vmMaxVcpus = 1;
    if ((ct = liteProbeLauncher(nsPath, &probe->ctReason)))
        probe->ctOk = true;
    VIR_INFO("host probe: vm %s (%s), container %s (%s)",
             probe->vmOk ? "ok" : "unavailable", NULLSTR(probe->vmReason),
             probe->ctOk ? "ok" : "unavailable", NULLSTR(probe->ctReason));
}

void
liteHostProbeClear(liteHostProbe *probe)
{
    g_free(probe->vmReason);
    g_free(probe->ctReason);
    memset(probe, 0, sizeof(*probe));
}
