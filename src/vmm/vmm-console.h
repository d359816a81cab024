/* vmm-console.h: the pty the guest's serial console is connected to. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Without a pty, guest output goes to lite-vmm's stderr (the domain log) up to this many bytes:
 * enough to see a boot fail, not enough for a guest to fill the host's disk. */
#define VMM_CONSOLE_LOG_MAX (1024 * 1024)

typedef struct {
    int master;               /* -1: no pty */
    int log_fd;               /* without a pty: where output goes (-1: dropped) */
    atomic_size_t logged;
    /* Without a pty, output is written a line at a time, so that the guest's lines and
     * lite-vmm's own log lines on the same fd never cut into each other. */
    char line[256];
    size_t line_len;
    char *slave_path;
    /* False once the master reported hang-up (nobody has the slave open): output is dropped
     * and input is not polled until a check shows a reader again. */
    atomic_bool connected;
} vmm_console;

/* No pty yet; output to @log_fd (-1: none). */
void vmm_console_init(vmm_console *c, int log_fd);
/* Opens a raw-mode pty; 0 or -errno. */
int vmm_console_open_pty(vmm_console *c);
void vmm_console_close(vmm_console *c);
/* Guest output; never blocks: bytes nobody can take now are dropped. Callers serialize (the
 * UART calls it under the bus lock). */
void vmm_console_write(vmm_console *c, const uint8_t *buf, size_t len);
/* Host input: bytes read, 0 when none is available or nobody is connected (the master is
 * then marked disconnected), -errno on other errors. */
ssize_t vmm_console_read(vmm_console *c, uint8_t *buf, size_t len);
/* Before exit: gives a reader of the pty up to @max_ms to take what the guest wrote last
 * ("reboot: Power down"), which the pty would discard when the master closes. Returns as
 * soon as nothing is left or nobody is taking it (no progress for a short while). */
void vmm_console_drain(vmm_console *c, int max_ms);
/* Re-checks whether someone has the slave open (after a hang-up). */
bool vmm_console_check(vmm_console *c);
