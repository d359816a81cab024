/* lite_register.c: the module's entry point, which refuses to load into a libvirt other than
 * the exact build it was compiled against. */
#include <config.h>

#include "lite_driver.h"
#include "lite_host.h"

#include "virerror.h"
#include "virlog.h"

#include "lite-libvirt-build.h"
#include "lite_i18n.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.register");

void
liteI18nInit(void)
{
    bindtextdomain(LITE_GETTEXT_PACKAGE, LITE_LOCALEDIR);
    bind_textdomain_codeset(LITE_GETTEXT_PACKAGE, "UTF-8");
}

int
liteRegister(void)
{
    g_autofree char *runningId = liteRunningLibvirtBuildId();
    g_autofree char *msg = NULL;
    unsigned long running = 0;

    liteI18nInit();
    /* This module uses libvirt's internal structs: a libvirt it was not built against would
     * be misread silently, so refuse to load instead. */
    if (virGetVersion(&running, NULL, NULL) < 0 ||
        liteCheckLibvirtBuild(LIBVIR_VERSION_NUMBER, LITE_LIBVIRT_BUILD_ID, running, runningId,
                              &msg) < 0) {
        VIR_ERROR("%s", NULLSTR(msg));
        virReportError(VIR_ERR_INTERNAL_ERROR, "%s", NULLSTR(msg));
        /* The daemon's log may not be set up yet: say it where an admin looks first. */
        fprintf(stderr, "virtlited: %s\n", NULLSTR(msg));
        return -1;
    }
    return liteDriverRegisterAll();
}
