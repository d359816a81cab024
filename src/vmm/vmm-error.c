/* vmm-error.c: recording the first start-up failure for the status line. */
#include "vmm-error.h"

#include <stdarg.h>
#include <stdbool.h>

#include "log.h"

static int
record(vmm_error *e, const char *code, int err, bool log, const char *fmt, va_list ap)
{
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);

    if (err < 0)
        err = -err;
    if (log)
        lite_err("%s (%s)", msg, err ? g_strerror(err) : "no errno");
    if (e && !e->code) {
        e->code = code;
        e->err = err;
        e->message = g_steal_pointer(&msg);
    }
    return -err;
}

int
vmm_fail(vmm_error *e, const char *code, int err, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = record(e, code, err, true, fmt, ap);
    va_end(ap);
    return ret;
}

int
vmm_error_set(vmm_error *e, const char *code, int err, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = record(e, code, err, false, fmt, ap);
    va_end(ap);
    return ret;
}

void
vmm_error_clear(vmm_error *e)
{
    g_clear_pointer(&e->message, g_free);
    e->code = NULL;
    e->err = 0;
}
