/* lite_network.h: libvirt networks (<interface type='network'>) resolved to their bridge. */
#pragma once

#include <glib.h>

/* A lite_conf_network_fn: asks the host's libvirtd for the bridge of @network. */
char *liteNetworkBridge(const char *network, void *opaque, GError **err);
