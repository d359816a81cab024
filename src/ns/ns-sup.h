/* ns-sup.h: one running container's supervisor as lite-ns and lite-ns-monitor share it: its
 * state in memory and on disk, its control connections and events, and the exec that hands
 * it from one of the two programs to the other. No glib (the monitor is static and small).
 *
 *   driver --spawn--> lite-ns (glib, libnl): preflight, boot, listen, state file, status
 *                       | exec, same pid: listen socket, init's pidfd, console, connections
 *                       v
 *                     lite-ns-monitor (static, ~0.8 MiB RSS): control verbs, events, console
 *                       | init ended: exec lite-ns --reap (unboot; restart, preserve or end)
 *                       v
 *                     lite-ns --reap ---exec---> lite-ns-monitor again, unless it ended
 *
 * Everything the monitor knows comes from the state file and the fds named on its command
 * line, so the same file lets the driver clean up after a supervisor killed with -9.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "control.h"
#include "ns-cgroup.h"
#include "ns-console.h"

typedef enum {
    NS_ST_RUNNING = 0,
    NS_ST_PAUSED,
    NS_ST_SHUTDOWN,
    NS_ST_SHUTOFF,
    NS_ST_CRASHED,
} ns_state;

typedef struct {
    int fd;
    lite_linebuf *lb;
    bool watch;
    bool destroy_waiter;    /* sent destroy: its "ok" comes when everything is gone */
} ns_conn;

typedef struct {
    char *name;
    char *config_path;
    char *control_path;
    char *state_path;       /* <control>.state */
    bool systemd;           /* init is systemd: it gets systemd's signals */
    uint64_t memory_kib;    /* the configured limit, for query */
    ns_cgroups *cg;
    ns_console *console;    /* NULL for console=none */
    char *console_paths[2]; /* host and container slave as loaded, until adopted */
    pid_t init_pid;         /* 0 while no init runs */
    int pidfd;              /* of init_pid, or -1 */
    char **ifnames;         /* host ends of the veths, [net N] order */
    bool *bridged;          /* per ifname: type=bridge, counters shown from the guest's side */
    size_t nnet;
    ns_state state;
    char reason[32];
    int listen_fd;
    ns_conn **conns;
    size_t nconns;
    bool destroying;        /* everything was killed on request; init's end finishes it */
    bool done;
} ns_sup;

void ns_sup_init(ns_sup *s);
void ns_sup_clear(ns_sup *s);
const char *ns_state_name(ns_state state);

/* The state file, replaced atomically (format at the top of ns-sup.c). 0 or -errno. */
int ns_sup_save(const ns_sup *s);
int ns_sup_load(ns_sup *s, const char *state_path);

/* Saves, then tells every watcher ("event state= reason= [init-pid=]"). */
void ns_sup_set_state(ns_sup *s, ns_state state, const char *reason);
/* The end: socket and state file go, destroy waiters get "ok", watchers the shutoff event.
 * Sets done. */
void ns_sup_finish(ns_sup *s, const char *reason);

ns_conn *ns_sup_add_conn(ns_sup *s, int fd);
void ns_sup_drop_conn(ns_sup *s, ns_conn *c);
bool ns_sup_has_conn(const ns_sup *s, const ns_conn *c);
/* Sends, or drops a connection that cannot take it. */
void ns_sup_send(ns_sup *s, ns_conn *c, const lite_msg *m);
/* pid, init-pid, console, cgroup, net-N-name: the status line's and hello's keys. */
void ns_sup_identity(const ns_sup *s, lite_msg *m);

/* Blocks the supervisor's signals (SIGTERM, SIGINT, SIGHUP, SIGQUIT: destroy; SIGCHLD) and
 * ignores SIGPIPE. lite-ns blocks them before it boots: the mask survives the exec, so a
 * SIGTERM during a boot stays pending until the monitor's signalfd (@as_fd) takes it.
 * 0, the signalfd, or -errno. */
int ns_sup_block_signals(bool as_fd);
/* The path of @prog beside this program's own (/proc/self/exe). 0 or -errno. */
int ns_sup_sibling(const char *prog, char **path);
/* Replaces this process with the sibling program @prog (lite-ns or lite-ns-monitor, found
 * beside /proc/self/exe) with @mode (NULL, or "--reap"), handing over the listen socket,
 * init's pidfd, the console and the connections. Returns only on failure, -errno, with
 * the fds as they were. */
int ns_sup_exec(ns_sup *s, const char *prog, const char *mode);
/* The other side: parses the handover options in @argv (from index 1, skipping @mode) and
 * loads the state file they name. 0, or -EINVAL (usage) or -errno. */
int ns_sup_adopt(ns_sup *s, int argc, char **argv, const char *mode);
