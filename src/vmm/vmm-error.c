/* vmm-error.c: recording the first start-up failure for the status line. */
#include "vmm-error.h"

#include <stdarg.h>

#include "log.h"

int
vmm_fail(vmm_error *e, const char *code, int err, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    if (err < 0)
        err = -err;
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    lite_err("%s (%s)", msg, err ? g_strerror(err) : "no errno");
    if (e && !e->code) {
        e->code = code;
        e->err = err;
        e->message = g_steal_pointer(&msg);
    }
    return -err;
}

void
vmm_error_clear(vmm_error *e)
{
    g_clear_pointer(&e->message, g_free);
    e->code = NULL;
    e->err = 0;
}
