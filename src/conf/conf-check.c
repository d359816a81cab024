/* conf-check.c: nothing in a domain is silently ignored: every element and attribute the
 * formatted XML carries must be one the translation reads, or the domain is refused. */
#include "conf-check.h"

#include <errno.h>
#include <string.h>

#include "conf.h"
#include "i18n.h"

G_DEFINE_QUARK(lite-conf-error-quark, lite_conf_error)

#define GENERIC_HINT N_("remove it (docs/xml.md lists what lite:///system supports)")

void
conf_fail(GError **err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(_(fmt), ap);
    va_end(ap);
    if (err && !*err)
        g_set_error_literal(err, LITE_CONF_ERROR, code, msg);
}

static const conf_allow *
find_allow(const conf_allow *allow, const char *path)
{
    for (; allow->path; allow++) {
        if (strcmp(allow->path, path) == 0)
            return allow;
    }
    return NULL;
}

static const char *
find_hint(const conf_hint *hints, const char *path)
{
    for (; hints && hints->path; hints++) {
        size_t n = strlen(hints->path);

        if (strcmp(hints->path, path) == 0 ||
            (hints->path[n - 1] == '/' && strncmp(hints->path, path, n) == 0))
            return hints->hint;
    }
    return NULL;
}

static bool
attr_listed(const char *attrs, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = attrs; p && *p;) {
        const char *end = strchrnul(p, ' ');

        if ((size_t)(end - p) == n && strncmp(p, name, n) == 0)
            return true;
        p = *end ? end + 1 : end;
    }
    return false;
}

/* "devices/graphics" -> "<devices><graphics": the element's place as the user wrote it. */
static char *
open_tags(const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    GString *s = g_string_new(NULL);

    for (size_t i = 0; parts[i]; i++)
        g_string_append_printf(s, "%s<%s", i ? ">" : "", parts[i]);
    return g_string_free(s, FALSE);
}

/* "<devices><graphics type='vnc'>": the element, with its type if it has one. */
static char *
describe(xmlNode *node, const char *path)
{
    g_autofree char *type = conf_attr(node, "type");
    g_autofree char *tags = open_tags(path);

    if (type)
        return g_strdup_printf("%s type='%s'>", tags, type);
    return g_strdup_printf("%s>", tags);
}

static int
check_node(xmlNode *node, const char *path, const char *what, const conf_allow *allow,
           const conf_hint *hints, GError **err)
{
    const conf_allow *rule = find_allow(allow, path);

    if (!rule) {
        const char *hint = find_hint(hints, path);
        g_autofree char *desc = describe(node, path);

        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED, "%s is not supported for %s: %s", desc,
                  _(what), _(hint ? hint : GENERIC_HINT));
        return -EINVAL;
    }
    for (xmlAttr *a = node->properties; a; a = a->next) {
        const char *name = (const char *)a->name;

        if (!attr_listed(rule->attrs, name)) {
            g_autofree char *key = g_strdup_printf("%s@%s", path, name);
            g_autofree char *tags = open_tags(path);
            const char *hint = find_hint(hints, key);

            conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                      "attribute '%s' of %s> is not supported for %s: %s", name, tags,
                      _(what), _(hint ? hint : GENERIC_HINT));
            return -EINVAL;
        }
    }
    if (rule->opaque)
        return 0;
    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        g_autofree char *child = g_strdup_printf("%s/%s", path, (const char *)c->name);
        if (check_node(c, child, what, allow, hints, err) < 0)
            return -EINVAL;
    }
    return 0;
}

int
conf_check_allowed(xmlNode *root, const char *what, const conf_allow *allow,
                   const conf_hint *hints, GError **err)
{
    for (xmlNode *c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (check_node(c, (const char *)c->name, what, allow, hints, err) < 0)
            return -EINVAL;
    }
    return 0;
}

xmlNode *
conf_child(xmlNode *node, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);

    for (size_t i = 0; node && parts[i]; i++) {
        xmlNode *c;

        for (c = node->children; c; c = c->next) {
            if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, parts[i]) == 0)
                break;
        }
        node = c;
    }
    return node;
}

char *
conf_text(xmlNode *node, const char *path)
{
    xmlNode *n = path ? conf_child(node, path) : node;
    xmlChar *content;
    char *ret;

    if (!n)
        return NULL;
    content = xmlNodeGetContent(n);
    ret = g_strdup((const char *)content);
    xmlFree(content);
    return ret;
}

char *
conf_attr(xmlNode *node, const char *name)
{
    xmlChar *v;
    char *ret;

    if (!node)
        return NULL;
    v = xmlGetNoNsProp(node, (const xmlChar *)name);
    ret = g_strdup((const char *)v);
    xmlFree(v);
    return ret;
}

char *
conf_path_attr(xmlNode *node, const char *path, const char *name)
{
    return conf_attr(conf_child(node, path), name);
}

GPtrArray *
conf_children(xmlNode *node, const char *name)
{
    GPtrArray *list = g_ptr_array_new();

    for (xmlNode *c = node ? node->children : NULL; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            g_ptr_array_add(list, c);
    }
    return list;
}
