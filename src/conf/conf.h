/* conf.h: domain XML -> launch config, refusing what the launchers cannot honour. */
#pragma once

#include <glib.h>

#include "launch.h"

/* Error codes in LITE_CONF_ERROR; the driver maps each to a libvirt error code. */
typedef enum {
    LITE_CONF_ERR_XML,          /* not well-formed or not a domain: VIR_ERR_XML_ERROR */
    LITE_CONF_ERR_UNSUPPORTED,  /* valid libvirt XML we cannot honour: CONFIG_UNSUPPORTED */
    LITE_CONF_ERR_INVALID,      /* a value out of range or inconsistent: XML_DETAIL */
    LITE_CONF_ERR_NO_NETWORK,   /* <interface type='network'> names no network: NO_NETWORK */
    LITE_CONF_ERR_HOST,         /* the host cannot answer (libvirtd down): OPERATION_FAILED */
} lite_conf_err;

#define LITE_CONF_ERROR (lite_conf_error_quark())
GQuark lite_conf_error_quark(void);

/* Resolves <interface type='network'> to the bridge of that libvirt network; returns a new
 * string or NULL with @err set. */
typedef char *(*lite_conf_network_fn)(const char *network, void *opaque, GError **err);

typedef struct {
    const char *run_dir;            /* control sockets go here: RUN_DIR/NAME.ctl */
    lite_conf_network_fn network;   /* NULL: networks are only checked, not resolved */
    void *network_opaque;
} lite_conf_ctx;

/* @xml is libvirt's formatted (inactive, secure) domain XML. Returns 0 and a launch config,
 * or -EINVAL with @err (LITE_CONF_ERROR) naming the element and what to use instead. */
int lite_conf_translate(const char *xml, const lite_conf_ctx *ctx, lite_launch **out,
                        GError **err);
