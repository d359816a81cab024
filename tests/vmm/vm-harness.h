/* vm-harness.h: running lite-vmm from a launch config in the functional tests and the
 * benchmark helpers: spawn, status line, console pty, control calls, events, exit. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h>

#include "control.h"
#include "launch.h"

typedef struct {
    char *dir;                /* private temporary directory */
    char *ctl;                /* control socket path */
    char *log;                /* lite-vmm's stderr */
    pid_t pid;
    int exit_status;          /* valid once pid is 0 */
    lite_msg *status;         /* the status line */
    int pty;                  /* slave, raw; -1 without console */
    GString *console;         /* everything read from the pty so far */
} vm_run;

/* A launch config for @kernel with test defaults (64 MiB, 1 vCPU, pty console,
 * on_poweroff=destroy, on_reboot=restart, on_crash=destroy). */
lite_launch *vm_config(const char *kernel, const char *cmdline);
/* Starts lite-vmm and reads its status line (10 s at most). */
vm_run *vm_start(lite_launch *cfg);
void vm_run_free(vm_run *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(vm_run, vm_run_free)

bool vm_status_ok(const vm_run *r);
/* Reads the console until @needle appears after offset @from (returns its end offset) or
 * @timeout_ms passes (returns -1). */
gssize vm_console_wait(vm_run *r, gsize from, const char *needle, int timeout_ms);
/* Reads whatever the console has for @ms milliseconds. */
void vm_console_drain(vm_run *r, int ms);
void vm_console_send(vm_run *r, const char *text);
/* Opens the console pty (from the status line) again; the fd or -1. */
int vm_reopen_console(vm_run *r);
/* One request; NULL on a transport error. */
lite_msg *vm_ctl(vm_run *r, const char *verb);
/* A connection that received "ok" to "watch", or -1. */
int vm_watch(vm_run *r);
/* "state/reason" of the next event, or NULL on EOF/timeout. */
char *vm_next_event(int watch_fd, int timeout_ms);
/* Waits for lite-vmm to exit; false (and kill -9) on timeout. */
bool vm_wait_exit(vm_run *r, int timeout_ms);
/* CPU time of the whole lite-vmm process (every thread) so far, in ns. */
uint64_t vm_process_cpu_ns(vm_run *r);
/* The int value of @key in the last "key=N" on the console after @from, or -1. */
gint64 vm_console_number(vm_run *r, gsize from, const char *key);
