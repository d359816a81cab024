/* vmm-error.h: the one error a failed lite-vmm start reports on its status line. */
#pragma once

#include <glib.h>

/* The first failure wins: later ones are usually consequences. code is a LITE_ECODE_* name. */
typedef struct {
    const char *code;
    int err;                  /* positive errno */
    char *message;
} vmm_error;

/* Logs the failure once, records it in @e (may be NULL) unless one is recorded, and returns
 * -err (err may be given positive or negative). */
int vmm_fail(vmm_error *e, const char *code, int err, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* Records without logging, for a failure the callee already logged. Returns -err. */
int vmm_error_set(vmm_error *e, const char *code, int err, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
void vmm_error_clear(vmm_error *e);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(vmm_error, vmm_error_clear)
