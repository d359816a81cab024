/* ns-net.h: the container's network: veth pairs made through rtnetlink, one end in the
 * container's network namespace, the other on the host (on a bridge for type=bridge). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/netlink.h>

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

typedef struct {
    uint64_t bytes, packets, errs, drop;
} ns_link_dir;

typedef struct {
    ns_link_dir rx;
    ns_link_dir tx;
} ns_link_stats;

/* A host link's own counters (for a veth host end, rx is what the container sent). 0 or
 * -errno. */
int ns_link_get_stats(const char *ifname, ns_link_stats *out);

/* ---- rtnetlink messages (pure; exposed for tests) ---- */

/* One link request: nlmsghdr, ifinfomsg, attributes. 1 KiB is twice what the largest request
 * here (a veth pair) needs; outgrowing it leaves nlmsg_len 0, an invalid message that is never
 * sent, instead of writing past the buffer. */
typedef union {
    struct nlmsghdr h;
    unsigned char buf[1024];
} ns_nl_msg;

/* An RTM_* link request with NLM_F_REQUEST | NLM_F_ACK | @flags for @ifindex (0: by name). */
void ns_nl_init(ns_nl_msg *m, uint16_t type, uint16_t flags, int ifindex);
struct ifinfomsg *ns_nl_ifinfo(ns_nl_msg *m);
void ns_nl_put(ns_nl_msg *m, uint16_t type, const void *data, size_t len);
void ns_nl_put_str(ns_nl_msg *m, uint16_t type, const char *s);
void ns_nl_put_u32(ns_nl_msg *m, uint16_t type, uint32_t v);
/* A nested attribute: its offset (0 when it did not fit), closed by ns_nl_nest_end. */
size_t ns_nl_nest_start(ns_nl_msg *m, uint16_t type);
void ns_nl_nest_end(ns_nl_msg *m, size_t at);
/* RTM_NEWLINK of a veth pair whose peer is born in @netns_pid's network namespace. 0, or
 * -ENOBUFS when the names would not fit. */
int ns_nl_veth_msg(ns_nl_msg *m, const char *host_ifname, const uint8_t host_mac[6],
                   const char *guest_ifname, const uint8_t guest_mac[6], pid_t netns_pid);
