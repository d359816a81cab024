/* lite_network.c: resolves a libvirt network to its bridge through the host's libvirtd,
 * which owns the networks (Debian 12 has no separate network daemon). */
#include <config.h>

#include "lite_network.h"

#include "datatypes.h"
#include "virerror.h"
#include "virlog.h"

#include "conf.h"

#include "lite_i18n.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.network");

char *
liteNetworkBridge(const char *network, void *opaque G_GNUC_UNUSED, GError **err)
{
    /* Inside a daemon the remote driver allows only direct connections; naming libvirtd's
     * socket makes this one direct to libvirtd. */
    const char *uri = "network:///system?socket=" LITE_RUNSTATEDIR "/libvirt/libvirt-sock";
    virConnectPtr conn = NULL;
    virNetworkPtr net = NULL;
    char *bridge = NULL;

    if (!(conn = virConnectOpen(uri))) {
        g_set_error(err, LITE_CONF_ERROR, LITE_CONF_ERR_HOST,
                    _("<interface type='network'> needs libvirtd to resolve network '%s', "
                      "and it does not answer on %s: %s"), network,
                    LITE_RUNSTATEDIR "/libvirt/libvirt-sock", virGetLastErrorMessage());
        goto cleanup;
    }
    if (!(net = virNetworkLookupByName(conn, network))) {
        g_set_error(err, LITE_CONF_ERROR, LITE_CONF_ERR_NO_NETWORK,
                    _("network '%s' does not exist (virsh net-list --all)"), network);
        goto cleanup;
    }
    if (!(bridge = virNetworkGetBridgeName(net)))
        g_set_error(err, LITE_CONF_ERROR, LITE_CONF_ERR_INVALID,
                    _("network '%s' has no bridge: use a bridged (NAT or routed) network"),
                    network);

 cleanup:
    virResetLastError();
    if (net)
        virNetworkFree(net);
    if (conn)
        virConnectClose(conn);
    return bridge;
}
