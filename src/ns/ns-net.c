/* ns-net.c: veth pairs through libnl-3, one rtnetlink request per function.
 *
 * The peer is created directly inside the container's network namespace (IFLA_NET_NS_PID on
 * the peer), under its final name: a guest name like eth0 never exists on the host, so it
 * cannot clash with the host's own eth0. The host end gets the guest MAC with a first byte of
 * 0xfe, so that a bridge, which takes the lowest port MAC as its own, keeps its address when
 * containers come and go.
 */
#include "ns-net.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "log.h"
#include "ns-fs.h"

/* g_autoptr needs type names without "struct". */
typedef struct nl_sock ns_nl_sock;
typedef struct rtnl_link ns_rtnl_link;
typedef struct nl_addr ns_nl_addr;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ns_nl_sock, nl_socket_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ns_rtnl_link, rtnl_link_put)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ns_nl_addr, nl_addr_put)

/* libnl reports NLE_* codes; callers here speak -errno. */
static int
nle_errno(int nle)
{
    switch (-nle) {
    case NLE_EXIST: return -EEXIST;
    case NLE_NODEV:
    case NLE_OBJ_NOTFOUND: return -ENODEV;
    case NLE_PERM:
    case NLE_NOACCESS: return -EPERM;
    case NLE_INVAL:
    case NLE_RANGE: return -EINVAL;
    case NLE_NOMEM: return -ENOMEM;
    case NLE_BUSY: return -EBUSY;
    case NLE_OPNOTSUPP: return -EOPNOTSUPP;
    default: return -EIO;
    }
}

static int
rtnl_open(struct nl_sock **out)
{
    g_autoptr(ns_nl_sock) sk = nl_socket_alloc();
    int ret;

    if (!sk)
        return -ENOMEM;
    if ((ret = nl_connect(sk, NETLINK_ROUTE)) < 0) {
        lite_err("cannot open rtnetlink: %s", nl_geterror(ret));
        return nle_errno(ret);
    }
    *out = g_steal_pointer(&sk);
    return 0;
}

static int
parse_mac(const char *text, struct nl_addr **out)
{
    unsigned int b[6];
    char tail;

    if (!text || sscanf(text, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                        &tail) != 6)
        return -EINVAL;
    for (size_t i = 0; i < 6; i++) {
        if (b[i] > 0xff)
            return -EINVAL;
    }
    if (b[0] & 1)
        return -EINVAL;   /* a multicast address cannot be a NIC's */
    return nl_addr_parse(text, AF_LLC, out) < 0 ? -EINVAL : 0;
}

/* The kernel's view of @ifname, or NULL; @sk may be NULL for a one-off lookup. */
static int
link_get(struct nl_sock *sk, const char *ifname, struct rtnl_link **out)
{
    g_autoptr(ns_nl_sock) own = NULL;
    int ret;

    if (!sk) {
        if ((ret = rtnl_open(&own)) < 0)
            return ret;
        sk = own;
    }
    ret = rtnl_link_get_kernel(sk, 0, ifname, out);
    return ret < 0 ? nle_errno(ret) : 0;
}

int
ns_veth_add(const char *host_ifname, const char *host_mac, const char *guest_ifname,
            const char *guest_mac, pid_t netns_pid)
{
    g_autoptr(ns_nl_sock) sk = NULL;
    g_autoptr(ns_rtnl_link) link = rtnl_link_veth_alloc();
    g_autoptr(ns_nl_addr) haddr = NULL;
    g_autoptr(ns_nl_addr) gaddr = NULL;
    struct rtnl_link *peer;
    int ret;

    if (!link)
        return -ENOMEM;
    if ((ret = rtnl_open(&sk)) < 0)
        return ret;
    if (parse_mac(host_mac, &haddr) < 0 || parse_mac(guest_mac, &gaddr) < 0)
        return -EINVAL;
    peer = rtnl_link_veth_get_peer(link);
    rtnl_link_set_name(link, host_ifname);
    rtnl_link_set_addr(link, haddr);
    rtnl_link_set_name(peer, guest_ifname);
    rtnl_link_set_addr(peer, gaddr);
    rtnl_link_set_ns_pid(peer, netns_pid);
    ret = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_link_put(peer);
    if (ret < 0) {
        /* EEXIST is how a caller picking a free vnetN learns the name was taken. */
        if (nle_errno(ret) != -EEXIST)
            lite_err("cannot create veth %s <-> %s in pid %d's netns: %s", host_ifname,
                     guest_ifname, (int)netns_pid, nl_geterror(ret));
        return nle_errno(ret);
    }
    return 0;
}

/* Applies @change (its flags or master) to the existing link @ifname. */
static int
link_change(const char *ifname, struct rtnl_link *change, const char *what)
{
    g_autoptr(ns_nl_sock) sk = NULL;
    g_autoptr(ns_rtnl_link) cur = NULL;
    int ret;

    if ((ret = rtnl_open(&sk)) < 0)
        return ret;
    if ((ret = link_get(sk, ifname, &cur)) < 0) {
        lite_err("cannot find link %s to %s: %s", ifname, what, g_strerror(-ret));
        return ret;
    }
    if ((ret = rtnl_link_change(sk, cur, change, 0)) < 0) {
        lite_err("cannot %s %s: %s", what, ifname, nl_geterror(ret));
        return nle_errno(ret);
    }
    return 0;
}

int
ns_link_set_master(const char *ifname, const char *bridge)
{
    g_autoptr(ns_rtnl_link) change = rtnl_link_alloc();
    g_autoptr(ns_rtnl_link) br = NULL;
    int ret;

    if ((ret = link_get(NULL, bridge, &br)) < 0) {
        lite_err("cannot find bridge %s: %s", bridge, g_strerror(-ret));
        return ret;
    }
    rtnl_link_set_master(change, rtnl_link_get_ifindex(br));
    return link_change(ifname, change, "attach to its bridge");
}

int
ns_link_set_up(const char *ifname)
{
    g_autoptr(ns_rtnl_link) change = rtnl_link_alloc();

    rtnl_link_set_flags(change, IFF_UP);
    return link_change(ifname, change, "bring up");
}

int
ns_link_del(const char *ifname)
{
    g_autoptr(ns_nl_sock) sk = NULL;
    g_autoptr(ns_rtnl_link) link = rtnl_link_alloc();
    int ret;

    if ((ret = rtnl_open(&sk)) < 0)
        return ret;
    rtnl_link_set_name(link, ifname);
    if ((ret = rtnl_link_delete(sk, link)) < 0 && nle_errno(ret) != -ENODEV) {
        lite_err("cannot delete link %s: %s", ifname, nl_geterror(ret));
        return nle_errno(ret);
    }
    return 0;
}

static bool
valid_ifname(const char *name)
{
    return name && *name && strlen(name) < IFNAMSIZ && !strchr(name, '/') &&
           !strchr(name, ' ') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

int
ns_net_check(const lite_launch *l, char **why)
{
    for (guint i = 0; i < l->ct.nets->len; i++) {
        const lite_net *n = g_ptr_array_index(l->ct.nets, i);
        g_autoptr(ns_nl_addr) mac = NULL;
        g_autoptr(ns_rtnl_link) link = NULL;

        if (n->guest_ifname && !valid_ifname(n->guest_ifname)) {
            *why = g_strdup_printf("[net %u] guest-ifname '%s' is not an interface name", i,
                                   n->guest_ifname);
            return -EINVAL;
        }
        if (n->host_ifname && !valid_ifname(n->host_ifname)) {
            *why = g_strdup_printf("[net %u] host-ifname '%s' is not an interface name", i,
                                   n->host_ifname);
            return -EINVAL;
        }
        if (n->mac && parse_mac(n->mac, &mac) < 0) {
            *why = g_strdup_printf("[net %u] mac '%s' is not a unicast MAC address", i, n->mac);
            return -EINVAL;
        }
        if (n->host_ifname && link_get(NULL, n->host_ifname, &link) == 0) {
            *why = g_strdup_printf("[net %u] host interface %s already exists", i,
                                   n->host_ifname);
            return -EEXIST;
        }
        g_clear_pointer(&link, rtnl_link_put);
        if (n->type != LITE_NET_BRIDGE)
            continue;
        if (link_get(NULL, n->bridge, &link) < 0) {
            *why = g_strdup_printf("[net %u] bridge %s does not exist", i, n->bridge);
            return -ENODEV;
        }
        if (g_strcmp0(rtnl_link_get_type(link), "bridge") != 0) {
            *why = g_strdup_printf("[net %u] %s is not a bridge", i, n->bridge);
            return -EINVAL;
        }
    }
    return 0;
}

static char *
random_mac(void)
{
    return g_strdup_printf("52:54:00:%02x:%02x:%02x", g_random_int_range(0, 256),
                           g_random_int_range(0, 256), g_random_int_range(0, 256));
}

/* Creates one pair, picking the first free vnetN when the config names no host end. */
static int
add_one(const lite_net *n, guint index, pid_t pid, char **host_out)
{
    g_autofree char *guest = n->guest_ifname ? g_strdup(n->guest_ifname)
                                             : g_strdup_printf("eth%u", index);
    g_autofree char *gmac = n->mac ? g_strdup(n->mac) : random_mac();
    g_autofree char *hmac = g_strdup_printf("fe%s", gmac + 2);
    int ret = -EEXIST;

    if (n->host_ifname) {
        ret = ns_veth_add(n->host_ifname, hmac, guest, gmac, pid);
        if (ret == 0)
            *host_out = g_strdup(n->host_ifname);
        return ret;
    }
    for (int i = 0; i < 4096 && ret == -EEXIST; i++) {
        g_autofree char *name = g_strdup_printf("vnet%d", i);

        if (if_nametoindex(name) != 0)
            continue;
        ret = ns_veth_add(name, hmac, guest, gmac, pid);
        if (ret == 0)
            *host_out = g_steal_pointer(&name);
    }
    return ret;
}

int
ns_net_setup(const lite_launch *l, pid_t pid, GPtrArray *host_names, char **why)
{
    int ret = 0;

    for (guint i = 0; i < l->ct.nets->len && ret == 0; i++) {
        const lite_net *n = g_ptr_array_index(l->ct.nets, i);
        char *host = NULL;

        if ((ret = add_one(n, i, pid, &host)) < 0) {
            *why = g_strdup_printf("cannot create the veth pair of [net %u]: %s", i,
                                   g_strerror(-ret));
            break;
        }
        g_ptr_array_add(host_names, host);
        if (n->type == LITE_NET_BRIDGE && (ret = ns_link_set_master(host, n->bridge)) < 0)
            *why = g_strdup_printf("cannot attach %s to bridge %s: %s", host, n->bridge,
                                   g_strerror(-ret));
        else if ((ret = ns_link_set_up(host)) < 0)
            *why = g_strdup_printf("cannot bring up %s: %s", host, g_strerror(-ret));
    }
    if (ret < 0) {
        ns_net_teardown(host_names);
        g_ptr_array_set_size(host_names, 0);
    }
    return ret;
}

void
ns_net_teardown(const GPtrArray *host_names)
{
    for (guint i = 0; i < host_names->len; i++)
        ns_link_del(g_ptr_array_index(host_names, i));
}
