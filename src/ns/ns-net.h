/* ns-net.h: the container's network: veth pairs made through rtnetlink (libnl-3), one end in
 * the container's network namespace, the other on the host (on a bridge for type=bridge). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

#include "launch.h"

/* Checks what can be checked before anything is made: bridges exist and are bridges, names
 * fit, MACs parse, chosen host names are free. 0 or -errno with @why. */
int ns_net_check(const lite_launch *l, char **why);

/* One rtnetlink request each; 0 or -errno, logged. */
int ns_veth_add(const char *host_ifname, const char *host_mac, const char *guest_ifname,
                const char *guest_mac, pid_t netns_pid);
int ns_link_set_master(const char *ifname, const char *bridge);
int ns_link_set_up(const char *ifname);
int ns_link_del(const char *ifname);

/* Makes every [net N] of @l for the container whose PID 1 is @pid; @host_names receives the
 * host ends (chosen vnetN included) in [net N] order. On failure the links made are deleted
 * again and @why says what failed. */
int ns_net_setup(const lite_launch *l, pid_t pid, GPtrArray *host_names, char **why);
/* Deletes the host ends (and with them the peers); gone links are fine. */
void ns_net_teardown(const GPtrArray *host_names);
