/* ns-console.h: the container's console: a pty for the container and one for the host side,
 * relayed by the supervisor for the container's whole life. */
#pragma once

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct ns_console ns_console;

/* Opens both ptys (no controlling terminal is acquired). 0 or -errno. */
int ns_console_new(ns_console **out);
void ns_console_free(ns_console *c);

/* Across the exec between lite-ns and lite-ns-monitor (ns-sup.h): the container's master,
 * the host master and the host slave we hold, in that order. Whatever the relay had
 * buffered but not yet written is not carried over. */
#define NS_CONSOLE_HANDOVER_FDS 3
void ns_console_handover_fds(const ns_console *c, int fds[NS_CONSOLE_HANDOVER_FDS]);
/* Takes the fds over (closed by ns_console_free). 0. */
int ns_console_adopt(const int fds[NS_CONSOLE_HANDOVER_FDS], const char *cont_path,
                     const char *host_path, ns_console **out);

/* The slave that clients open (the status line's console=). */
const char *ns_console_host_path(const ns_console *c);
/* The slave bound onto the container's /dev/console. */
const char *ns_console_cont_path(const ns_console *c);
/* Gives the container's slave to its root user (needed in a user namespace). */
int ns_console_chown(const ns_console *c, uid_t uid, gid_t gid);

#define NS_CONSOLE_NFDS 2
/* Fills two pollfds for the relay (fd -1 when a side is idle) and returns the ms until a
 * retry is due, or -1. */
int ns_console_poll_setup(ns_console *c, struct pollfd *pfd, int64_t now_ms);
/* Moves what poll() reported. */
void ns_console_poll_done(ns_console *c, const struct pollfd *pfd, int64_t now_ms);
