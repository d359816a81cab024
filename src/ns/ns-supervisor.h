/* ns-supervisor.h: lite-ns, the supervisor of one container (libvirt's lxc controller role):
 * status line, control socket, events, console relay, and the container's lifecycle. */
#pragma once

/* Runs the container described by the launch config at @config_path in the foreground until
 * it is shut off. Writes one status line ("ok ..." or "error ...") on @status_fd and closes
 * it. Returns the process exit code. */
int ns_supervisor_main(const char *config_path, int status_fd);
