/* lite_launcher.h: requests to a running domain's launcher over its control socket. */
#pragma once

#include "internal.h"
#include "domain_conf.h"

#include "control.h"

/* Default deadline for a request: a launcher answers at once or is stuck. */
#define LITE_LAUNCHER_TIMEOUT_MS 10000

/* Sends @req to @vm's launcher and waits for the reply. Call with @vm locked and a job held:
 * the lock is dropped while waiting so event handling and queries go on. Returns 0 with
 * *@reply (may be NULL when not wanted), or -1 with a libvirt error reported (the
 * launcher's own error mapped to the matching VIR_ERR_* code). */
int liteLauncherCall(virDomainObj *vm, const lite_msg *req, lite_msg **reply, int timeoutMs);

/* The same for a request with no arguments and no interesting reply. */
int liteLauncherRequest(virDomainObj *vm, const char *verb);

/* Reports an "error code=... message=..." reply as a libvirt error. */
void liteLauncherReportError(const char *what, const lite_msg *reply);
