/* conf.c: libvirt's formatted domain XML -> a launch config; the parts common to VMs and
 * containers, and the dispatch to conf-vm.c / conf-ct.c. */
#include "conf.h"

#include <errno.h>
#include <string.h>

#include <libxml/parser.h>

#include "conf-kind.h"

static void
xml_doc_free(xmlDoc *doc)
{
    xmlFreeDoc(doc);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xml_doc_free)

int
conf_parse_uint(const char *text, const char *what, uint64_t min, uint64_t max, uint64_t *out,
                GError **err)
{
    guint64 v;

    if (!text || !g_ascii_string_to_unsigned(text, 10, min, max, &v, NULL)) {
        conf_fail(err, LITE_CONF_ERR_INVALID, "%s '%s' is not a number from %" G_GUINT64_FORMAT
                  " to %" G_GUINT64_FORMAT, what, text ? text : "", (guint64)min, (guint64)max);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

int
conf_parse_kib(xmlNode *node, const char *what, uint64_t *out, GError **err)
{
    g_autofree char *unit = conf_attr(node, "unit");
    g_autofree char *text = conf_text(node, NULL);

    /* libvirt's formatter always writes KiB; anything else means the XML did not come
     * through it, which the driver never does. */
    if (unit && strcmp(unit, "KiB") != 0) {
        conf_fail(err, LITE_CONF_ERR_XML, "<%s unit='%s'>: expected KiB", what, unit);
        return -EINVAL;
    }
    return conf_parse_uint(text, what, 0, G_MAXUINT64 / 1024, out, err);
}

static int
parse_action(xmlNode *root, const char *element, lite_action *out, GError **err)
{
    g_autofree char *text = conf_text(root, element);

    if (!text)
        return 0;
    if (lite_action_from_name(text, out) < 0) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<%s>%s</%s> is not supported: use destroy, restart or preserve",
                  element, text, element);
        return -EINVAL;
    }
    return 0;
}

static int
translate_common(xmlNode *root, const conf_kind *kind, const lite_conf_ctx *ctx, lite_launch *l,
                 GError **err)
{
    xmlNode *memory = conf_child(root, "memory");
    xmlNode *current = conf_child(root, "currentMemory");
    g_autofree char *clock = conf_path_attr(root, "clock", "offset");
    uint64_t cur = 0;

    l->name = conf_text(root, "name");
    l->uuid = conf_text(root, "uuid");
    if (!l->name || !l->uuid) {
        conf_fail(err, LITE_CONF_ERR_XML, "a domain needs <name> and <uuid>");
        return -EINVAL;
    }
    if (ctx->run_dir)
        l->control_path = g_strdup_printf("%s/%s.ctl", ctx->run_dir, l->name);

    if (!memory) {
        conf_fail(err, LITE_CONF_ERR_INVALID, "%s needs <memory>", kind->what);
        return -EINVAL;
    }
    if (conf_parse_kib(memory, "memory", &l->memory_kib, err) < 0 ||
        (current && conf_parse_kib(current, "currentMemory", &cur, err) < 0))
        return -EINVAL;
    if (l->memory_kib == 0 || l->memory_kib % 4 != 0) {
        conf_fail(err, LITE_CONF_ERR_INVALID,
                  "<memory> of %" G_GUINT64_FORMAT " KiB is not a positive multiple of 4 KiB",
                  (guint64)l->memory_kib);
        return -EINVAL;
    }
    if (current && cur != l->memory_kib) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<currentMemory> of %" G_GUINT64_FORMAT " KiB differs from <memory> of %"
                  G_GUINT64_FORMAT " KiB: there is no memory balloon, set both to the same value",
                  (guint64)cur, (guint64)l->memory_kib);
        return -EINVAL;
    }
    if (clock && strcmp(clock, "utc") != 0) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<clock offset='%s'> is not supported: the guest clock is the host clock, use "
                  "<clock offset='utc'/>", clock);
        return -EINVAL;
    }

    if (parse_action(root, "on_poweroff", &l->on_poweroff, err) < 0 ||
        parse_action(root, "on_reboot", &l->on_reboot, err) < 0 ||
        parse_action(root, "on_crash", &l->on_crash, err) < 0)
        return -EINVAL;
    if (l->on_poweroff == LITE_ACTION_PRESERVE) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<on_poweroff>preserve</on_poweroff> is not supported: use destroy or restart");
        return -EINVAL;
    }
    return 0;
}

int
lite_conf_translate(const char *xml, const lite_conf_ctx *ctx, lite_launch **out, GError **err)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(lite_launch) l = NULL;
    g_autofree char *type = NULL;
    const conf_kind *kind;
    xmlNode *root;

    /* No network access and no entity expansion: the XML is a user's. */
    doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root || strcmp((const char *)root->name, "domain") != 0) {
        conf_fail(err, LITE_CONF_ERR_XML, "not a <domain> XML document");
        return -EINVAL;
    }

    type = conf_attr(root, "type");
    if (g_strcmp0(type, "kvm") == 0) {
        kind = &conf_kind_vm;
        l = lite_launch_new(LITE_KIND_VM);
    } else if (g_strcmp0(type, "lxc") == 0) {
        kind = &conf_kind_container;
        l = lite_launch_new(LITE_KIND_CONTAINER);
    } else {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<domain type='%s'> is not supported: use type='kvm' for a virtual machine or "
                  "type='lxc' for a container", type ? type : "");
        return -EINVAL;
    }

    if (conf_check_allowed(root, kind->what, kind->allow, kind->hints, err) < 0 ||
        translate_common(root, kind, ctx, l, err) < 0 ||
        kind->translate(root, ctx, l, err) < 0)
        return -EINVAL;
    *out = g_steal_pointer(&l);
    return 0;
}
