/* lite_process.h: starting launchers, following them, and cleaning up when they are gone. */
#pragma once

#include "internal.h"
#include "domain_conf.h"

#include "lite_driver.h"

/* Starts @vm's launcher and waits until it reports the domain running (or paused, with
 * @paused). Call with @vm locked and a job held. On failure nothing is left behind: no
 * process, socket, launch file or status XML. */
int liteProcessStart(liteDriver *driver, virDomainObj *vm, virDomainRunningReason reason,
                     bool paused);

/* Takes a running domain down now: asks the launcher to destroy it, and kills the launcher
 * (and a container's processes) if it does not go within @timeoutMs. Then cleans up like
 * liteProcessStop. Call with @vm locked and a job held. */
void liteProcessDestroy(liteDriver *driver, virDomainObj *vm, virDomainShutoffReason reason,
                        int timeoutMs);

/* Everything after a launcher is gone: event connection, files, container processes and
 * cgroups, live definition; state shut off with @reason and a Stopped event. */
void liteProcessStop(liteDriver *driver, virDomainObj *vm, virDomainShutoffReason reason);

/* At daemon start: finds the launchers of domains that were running and follows them
 * again, or cleans up after the ones that died meanwhile. */
void liteProcessReconnectAll(liteDriver *driver);

/* At daemon start: starts every inactive autostart domain. */
void liteProcessAutostartAll(liteDriver *driver);
