/* ns-supervisor.h: lite-ns as the supervisor of one container (libvirt's lxc controller
 * role), in its two turns: the start and the reap (ns-sup.h has the picture). */
#pragma once

/* Starts the container described by the launch config at @config_path, writes one status
 * line ("ok ..." or "error ...") on @status_fd, closes it and becomes lite-ns-monitor.
 * Returns (the process exit code) only when the start failed. */
int ns_supervisor_start(const char *config_path, int status_fd);

/* lite-ns --reap and the handover options of ns-sup.h: PID 1 has ended; tears down, then
 * restarts, preserves or ends per the config's on_* actions. Returns the exit code when
 * the container has ended. */
int ns_supervisor_reap(int argc, char **argv);
