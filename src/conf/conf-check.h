/* conf-check.h: the allow-list walk that refuses every element or attribute not listed. */
#pragma once

#include <stdbool.h>

#include <glib.h>
#include <libxml/tree.h>

typedef struct {
    const char *path;      /* element path below <domain>, e.g. "devices/console/target" */
    const char *attrs;     /* space-separated attributes it may carry, NULL: none */
    bool opaque;           /* its whole subtree is kept verbatim (metadata) */
} conf_allow;

typedef struct {
    const char *path;      /* element path, or a prefix of one ending in '/' */
    const char *hint;      /* what to use instead, in the user's words */
} conf_hint;

/* Walks every element and attribute under @root; the first one not in @allow fails with
 * LITE_CONF_ERR_UNSUPPORTED and the matching hint (or a generic one). */
int conf_check_allowed(xmlNode *root, const char *what, const conf_allow *allow,
                       const conf_hint *hints, GError **err);

/* Small XPath-free accessors over the formatted XML (child by path, its text, attributes). */
xmlNode *conf_child(xmlNode *node, const char *path);
char *conf_text(xmlNode *node, const char *path);
char *conf_attr(xmlNode *node, const char *name);
char *conf_path_attr(xmlNode *node, const char *path, const char *name);
/* Elements named @name directly under @node, in document order. */
GPtrArray *conf_children(xmlNode *node, const char *name);

void conf_fail(GError **err, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
