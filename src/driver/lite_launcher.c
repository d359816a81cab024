/* lite_launcher.c: the driver's side of the control protocol (src/launch/control.c). */
#include <config.h>

#include "lite_launcher.h"
#include "lite_domain.h"

#include "virerror.h"
#include "virlog.h"

#include "lite_i18n.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.launcher");

static const struct {
    const char *code;
    int error;
} liteErrorCodes[] = {
    { LITE_ECODE_INVALID, VIR_ERR_OPERATION_INVALID },
    { LITE_ECODE_UNSUPPORTED, VIR_ERR_CONFIG_UNSUPPORTED },
    { LITE_ECODE_NO_SUPPORT, VIR_ERR_NO_SUPPORT },
    { LITE_ECODE_FAILED, VIR_ERR_OPERATION_FAILED },
};

void
liteLauncherReportError(const char *what, const lite_msg *reply)
{
    const char *code = lite_msg_get(reply, "code");
    const char *message = lite_msg_get(reply, "message");
    int error = VIR_ERR_INTERNAL_ERROR;

    for (size_t i = 0; i < G_N_ELEMENTS(liteErrorCodes); i++) {
        if (g_strcmp0(code, liteErrorCodes[i].code) == 0)
            error = liteErrorCodes[i].error;
    }
    if (error == VIR_ERR_INTERNAL_ERROR)
        virReportError(error, _("%s: %s (launcher error code '%s')"), what,
                       message ? message : _("no message"), NULLSTR(code));
    else
        virReportError(error, "%s", message ? message : what);
}

int
liteLauncherCall(virDomainObj *vm, const lite_msg *req, lite_msg **reply, int timeoutMs)
{
    liteDomainObjPrivate *priv = LITE_DOMAIN_PRIVATE(vm);
    g_autofree char *path = g_strdup(priv->controlPath);
    g_autofree char *name = g_strdup(vm->def->name);
    g_autoptr(lite_msg) answer = NULL;
    int rc;

    if (!virDomainObjIsActive(vm) || !path) {
        virReportError(VIR_ERR_OPERATION_INVALID, _("domain '%s' is not running"), name);
        return -1;
    }
    virObjectUnlock(vm);
    rc = lite_control_call(path, req, &answer, timeoutMs);
    virObjectLock(vm);

    if (rc < 0) {
        /* The launcher may have gone while we waited: that is the domain stopping. */
        if (!virDomainObjIsActive(vm))
            virReportError(VIR_ERR_OPERATION_INVALID, _("domain '%s' is not running"), name);
        else
            virReportError(VIR_ERR_OPERATION_FAILED,
                           _("no answer to '%s' from the launcher of domain '%s': %s"),
                           lite_msg_verb(req), name, g_strerror(-rc));
        return -1;
    }
    if (!lite_msg_is_ok(answer)) {
        g_autofree char *what = g_strdup_printf(_("'%s' failed for domain '%s'"),
                                                lite_msg_verb(req), name);
        liteLauncherReportError(what, answer);
        return -1;
    }
    if (reply)
        *reply = g_steal_pointer(&answer);
    return 0;
}

int
liteLauncherRequest(virDomainObj *vm, const char *verb)
{
    g_autoptr(lite_msg) req = lite_msg_new(verb);

    return liteLauncherCall(vm, req, NULL, LITE_LAUNCHER_TIMEOUT_MS);
}
