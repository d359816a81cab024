/* ns-stop.h: how a container's PID 1 is asked, or made, to stop. No glib (ns-monitor.c). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "ns-cgroup.h"

/* Asks init to power off or reboot: systemd gets SIGRTMIN+4 or SIGINT; another init what
 * libvirt's lxc driver sends: runlevel 0 or 6 on its /run/initctl, else SIGTERM or SIGHUP.
 * 0 or -errno. */
int ns_ask_stop(int pidfd, pid_t init_pid, bool systemd, bool reboot);

/* Kills everything in the container (PID 1 first). Returns at once; the pidfd reports. */
void ns_kill(int pidfd, const ns_cgroups *cg);
