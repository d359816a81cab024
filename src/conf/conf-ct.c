/* conf-ct.c: what a lite container accepts from domain XML, and its translation. */
#include <errno.h>
#include <string.h>

#include "conf-kind.h"
#include "i18n.h"

static const conf_allow ct_allow[] = {
    CONF_ALLOW_COMMON,
    { "vcpu", "placement cpuset current", false },
    { "cputune", NULL, false },
    { "cputune/shares", NULL, false },
    { "cputune/period", NULL, false },
    { "cputune/quota", NULL, false },
    { "resource", NULL, false },
    { "resource/partition", NULL, false },
    { "os/type", "arch", false },
    { "os/init", NULL, false },
    { "os/initarg", NULL, false },
    { "os/initenv", "name", false },
    { "os/initdir", NULL, false },
    { "idmap", NULL, false },
    { "idmap/uid", "start target count", false },
    { "idmap/gid", "start target count", false },
    { "features", NULL, false },
    { "features/privnet", NULL, false },
    { "devices/filesystem", "type accessmode", false },
    { "devices/filesystem/source", "dir", false },
    { "devices/filesystem/target", "dir", false },
    { "devices/filesystem/readonly", NULL, false },
    { "devices/filesystem/alias", "name", false },
    { "devices/interface", "type", false },
    { "devices/interface/mac", "address", false },
    { "devices/interface/source", "bridge network", false },
    { "devices/interface/target", "dev", false },
    { "devices/interface/guest", "dev", false },
    { "devices/interface/alias", "name", false },
    { NULL, NULL, false },
};

static const conf_hint ct_hints[] = {
    { "vcpus", N_("per-vCPU settings do not apply to containers: use <vcpu>N</vcpu>") },
    { "cputune/", N_("containers accept <shares>, <period> and <quota> in <cputune>; pin with "
                  "<vcpu cpuset='...'>") },
    { "memtune", N_("the container's memory limit is <memory>: remove <memtune>") },
    { "os/inituser", N_("running init as another user is not supported: use <idmap> to map "
                     "container root to an unprivileged host range") },
    { "os/initgroup", N_("running init as another group is not supported: use <idmap>") },
    { "os/kernel", N_("<kernel> is for virtual machines (<domain type='kvm'>)") },
    { "os/", N_("containers accept <type>, <init>, <initarg>, <initenv> and <initdir> in <os>") },
    { "features/", N_("containers accept only <privnet/> in <features> (they always have a "
                   "private network namespace)") },
    { "cpu", N_("<cpu> does not apply to containers: they run on the host CPU") },
    { "devices/disk", N_("containers take their files from <filesystem type='mount'>, not "
                         "<disk>") },
    { "devices/filesystem/source@file", N_("only directories can be mounted: use "
                                        "<filesystem type='mount'><source dir='...'/>") },
    { "devices/filesystem/source@dev", N_("block devices cannot be mounted: use "
                                       "<filesystem type='mount'><source dir='...'/>") },
    { "devices/filesystem/driver", N_("remove <driver>: filesystems are bind mounts") },
    { "devices/filesystem/", N_("a container filesystem is <filesystem type='mount'> with "
                             "<source dir=...>, <target dir=...> and optional <readonly/>") },
    { "devices/interface/model", N_("container interfaces are veth pairs: remove <model>") },
    { "devices/interface/", N_("container interfaces accept <mac>, <source>, <target dev> and "
                            "<guest dev>") },
    { "devices/serial", N_("containers have a console only: use <console type='pty'/>") },
    { "devices/graphics", N_("containers have no display: use <console type='pty'/> "
                          "(virt-install --graphics none)") },
    { "devices/video", N_("containers have no display: remove <video>") },
    { "devices/input", N_("containers have no input devices: remove <input>") },
    { "devices/controller", N_("containers have no controllers: remove <controller>") },
    { "devices/memballoon", N_("containers have no balloon: remove <memballoon>") },
    { "devices/channel", N_("remove <channel>") },
    { "devices/rng", N_("containers use the host's /dev/urandom: remove <rng>") },
    /* Last: a kind's own hint for an element wins over the shared one. */
    CONF_HINTS_COMMON,
    { NULL, NULL },
};

static int
ct_resources(xmlNode *root, lite_launch *l, GError **err)
{
    xmlNode *vcpu = conf_child(root, "vcpu");
    g_autofree char *count = conf_text(vcpu, NULL);
    g_autofree char *placement = conf_attr(vcpu, "placement");
    g_autofree char *partition = conf_text(root, "resource/partition");
    g_autofree char *shares = conf_text(root, "cputune/shares");
    g_autofree char *period = conf_text(root, "cputune/period");
    g_autofree char *quota = conf_text(root, "cputune/quota");
    uint64_t n = 1;

    if (count && conf_parse_uint(count, "<vcpu>", 1, 4096, &n, err) < 0)
        return -EINVAL;
    l->vcpus = (uint32_t)n;
    if (placement && strcmp(placement, "static") != 0) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<vcpu placement='%s'> is not supported: pin with cpuset='...'", placement);
        return -EINVAL;
    }
    l->ct.cpuset = conf_attr(vcpu, "cpuset");
    if (partition && strcmp(partition, "/machine") != 0) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<resource><partition>%s</partition> is not supported: containers live in "
                  "/machine, remove <resource>", partition);
        return -EINVAL;
    }
    /* Bounds are the kernel's: cpu.shares 2..262144, cfs period 1 ms..1 s. */
    if (shares && conf_parse_uint(shares, "<cputune><shares>", 2, 262144, &l->ct.cpu_shares,
                                  err) < 0)
        return -EINVAL;
    if (period && conf_parse_uint(period, "<cputune><period>", 1000, 1000000,
                                  &l->ct.cpu_period_us, err) < 0)
        return -EINVAL;
    if (quota) {
        gint64 q;

        if (!g_ascii_string_to_signed(quota, 10, -1, 17592186044415LL, &q, NULL) ||
            (q >= 0 && q < 1000)) {
            conf_fail(err, LITE_CONF_ERR_INVALID,
                      "<cputune><quota>%s</quota> must be -1 (unlimited) or at least 1000", quota);
            return -EINVAL;
        }
        l->ct.cpu_quota_us = q;
    }
    return 0;
}

static int
ct_init(xmlNode *root, lite_launch *l, GError **err)
{
    xmlNode *os = conf_child(root, "os");
    g_autoptr(GPtrArray) args = conf_children(os, "initarg");
    g_autoptr(GPtrArray) envs = conf_children(os, "initenv");
    g_autofree char *arch = conf_path_attr(root, "os/type", "arch");
    lite_ct *ct = &l->ct;

    if (arch && strcmp(arch, "x86_64") != 0) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<os><type arch='%s'> is not supported: containers run host binaries (x86_64)",
                  arch);
        return -EINVAL;
    }
    ct->init = conf_text(root, "os/init");
    ct->initdir = conf_text(root, "os/initdir");
    if (!ct->init || !g_path_is_absolute(ct->init)) {
        conf_fail(err, LITE_CONF_ERR_INVALID,
                  "a container needs <os><init> with an absolute path, e.g. "
                  "<init>/sbin/init</init> (virt-install --init /sbin/init)");
        return -EINVAL;
    }
    if (ct->initdir && !g_path_is_absolute(ct->initdir)) {
        conf_fail(err, LITE_CONF_ERR_INVALID, "<initdir>%s</initdir> must be an absolute path",
                  ct->initdir);
        return -EINVAL;
    }
    if (args->len > 0) {
        ct->initargs = g_new0(char *, args->len + 1);
        for (guint i = 0; i < args->len; i++)
            ct->initargs[i] = conf_text(args->pdata[i], NULL);
    }
    if (envs->len > 0) {
        ct->initenv = g_new0(char *, envs->len + 1);
        for (guint i = 0; i < envs->len; i++) {
            g_autofree char *name = conf_attr(envs->pdata[i], "name");
            g_autofree char *value = conf_text(envs->pdata[i], NULL);

            ct->initenv[i] = g_strdup_printf("%s=%s", name ? name : "", value ? value : "");
        }
    }
    return 0;
}

static int
ct_idmap_list(xmlNode *idmap, const char *which, GArray *out, GError **err)
{
    g_autoptr(GPtrArray) items = conf_children(idmap, which);
    bool root_mapped = false;

    for (guint i = 0; i < items->len; i++) {
        g_autofree char *start = conf_attr(items->pdata[i], "start");
        g_autofree char *target = conf_attr(items->pdata[i], "target");
        g_autofree char *count = conf_attr(items->pdata[i], "count");
        uint64_t s, t, c;
        lite_idmap m;

        if (conf_parse_uint(start, "<idmap> start", 0, G_MAXUINT32 - 1, &s, err) < 0 ||
            conf_parse_uint(target, "<idmap> target", 0, G_MAXUINT32 - 1, &t, err) < 0 ||
            conf_parse_uint(count, "<idmap> count", 1, G_MAXUINT32, &c, err) < 0)
            return -EINVAL;
        if (s + c > G_MAXUINT32 || t + c > G_MAXUINT32) {
            conf_fail(err, LITE_CONF_ERR_INVALID,
                      "<idmap><%s start='%s' target='%s' count='%s'> runs past the last id",
                      which, start, target, count);
            return -EINVAL;
        }
        for (guint j = 0; j < out->len; j++) {
            const lite_idmap *o = &g_array_index(out, lite_idmap, j);

            if ((s < (uint64_t)o->start + o->count && o->start < s + c) ||
                (t < (uint64_t)o->target + o->count && o->target < t + c)) {
                conf_fail(err, LITE_CONF_ERR_INVALID,
                          "<idmap><%s start='%s'> overlaps another <%s> range", which, start,
                          which);
                return -EINVAL;
            }
        }
        m = (lite_idmap){ (uint32_t)s, (uint32_t)t, (uint32_t)c };
        g_array_append_val(out, m);
        root_mapped |= s == 0;
    }
    if (!root_mapped) {
        conf_fail(err, LITE_CONF_ERR_INVALID,
                  "<idmap> must map container %s 0 (root): add <%s start='0' target='...' "
                  "count='...'/>", which, which);
        return -EINVAL;
    }
    return 0;
}

static int
ct_idmap(xmlNode *root, lite_launch *l, GError **err)
{
    xmlNode *idmap = conf_child(root, "idmap");

    if (!idmap)
        return 0;
    if (ct_idmap_list(idmap, "uid", l->ct.uidmap, err) < 0 ||
        ct_idmap_list(idmap, "gid", l->ct.gidmap, err) < 0)
        return -EINVAL;
    return 0;
}

static int
ct_filesystems(xmlNode *root, lite_launch *l, GError **err)
{
    g_autoptr(GPtrArray) fss = conf_children(conf_child(root, "devices"), "filesystem");

    for (guint i = 0; i < fss->len; i++) {
        xmlNode *fs = fss->pdata[i];
        g_autofree char *type = conf_attr(fs, "type");
        g_autofree char *mode = conf_attr(fs, "accessmode");
        g_autofree char *src = conf_path_attr(fs, "source", "dir");
        g_autofree char *dst = conf_path_attr(fs, "target", "dir");
        lite_mount *m;

        if (g_strcmp0(type, "mount") != 0) {
            conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                      "<filesystem type='%s'> is not supported: use type='mount' (a bind mount "
                      "of a host directory)", type ? type : "");
            return -EINVAL;
        }
        if (mode && strcmp(mode, "passthrough") != 0) {
            conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                      "<filesystem accessmode='%s'> is not supported: use passthrough", mode);
            return -EINVAL;
        }
        if (!src || !dst || !g_path_is_absolute(src) || !g_path_is_absolute(dst)) {
            conf_fail(err, LITE_CONF_ERR_INVALID,
                      "<filesystem> needs <source dir='/host/path'/> and "
                      "<target dir='/container/path'/> with absolute paths");
            return -EINVAL;
        }
        m = lite_mount_new(src, dst, conf_child(fs, "readonly") != NULL);
        /* The root goes first: every other mount lands inside it. */
        if (strcmp(dst, "/") == 0)
            g_ptr_array_insert(l->ct.mounts, 0, m);
        else
            g_ptr_array_add(l->ct.mounts, m);
    }
    if (!lite_ct_root(&l->ct)) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "a lite container needs its own root: add <filesystem type='mount'><source "
                  "dir='/path/to/rootfs'/><target dir='/'/></filesystem> (virt-install "
                  "--filesystem /path/to/rootfs,/); sharing the host's root is not supported");
        return -EINVAL;
    }
    return 0;
}

static int
ct_interfaces(xmlNode *root, const lite_conf_ctx *ctx, lite_launch *l, GError **err)
{
    g_autoptr(GPtrArray) ifs = conf_children(conf_child(root, "devices"), "interface");

    for (guint i = 0; i < ifs->len; i++) {
        xmlNode *dev = ifs->pdata[i];
        g_autofree char *type = conf_attr(dev, "type");
        g_autofree char *bridge = conf_path_attr(dev, "source", "bridge");
        g_autofree char *network = conf_path_attr(dev, "source", "network");
        lite_net *n;

        if (g_strcmp0(type, "bridge") == 0 && bridge) {
            n = lite_net_new(LITE_NET_BRIDGE);
            n->bridge = g_steal_pointer(&bridge);
        } else if (g_strcmp0(type, "network") == 0 && network) {
            n = lite_net_new(LITE_NET_BRIDGE);
            if (ctx->network && !(n->bridge = ctx->network(network, ctx->network_opaque, err))) {
                g_free(n);
                return -EINVAL;
            }
        } else if (g_strcmp0(type, "ethernet") == 0) {
            n = lite_net_new(LITE_NET_ETHERNET);
        } else {
            conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                      "<interface type='%s'> is not supported: use type='bridge' with <source "
                      "bridge='NAME'/>, type='network' with <source network='NAME'/>, or "
                      "type='ethernet'", type ? type : "");
            return -EINVAL;
        }
        g_ptr_array_add(l->ct.nets, n);
        n->mac = conf_path_attr(dev, "mac", "address");
        n->host_ifname = conf_path_attr(dev, "target", "dev");
        n->guest_ifname = conf_path_attr(dev, "guest", "dev");
        if (!n->guest_ifname)
            n->guest_ifname = g_strdup_printf("eth%u", i);
    }
    return 0;
}

static int
ct_console(xmlNode *root, lite_launch *l, GError **err)
{
    g_autoptr(GPtrArray) consoles = conf_children(conf_child(root, "devices"), "console");

    if (consoles->len > 1) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "a lite container has one console: keep one <console type='pty'>");
        return -EINVAL;
    }
    if (consoles->len == 1) {
        g_autofree char *type = conf_attr(consoles->pdata[0], "type");

        if (g_strcmp0(type, "pty") != 0) {
            conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                      "<console type='%s'> is not supported: use <console type='pty'/>",
                      type ? type : "");
            return -EINVAL;
        }
        l->console = LITE_CONSOLE_PTY;
    }
    return 0;
}

static int
ct_translate(xmlNode *root, const lite_conf_ctx *ctx, lite_launch *l, GError **err)
{
    if (ct_resources(root, l, err) < 0 ||
        ct_init(root, l, err) < 0 ||
        ct_idmap(root, l, err) < 0 ||
        ct_filesystems(root, l, err) < 0 ||
        ct_interfaces(root, ctx, l, err) < 0 ||
        ct_console(root, l, err) < 0)
        return -EINVAL;
    return 0;
}

const conf_kind conf_kind_container = {
    .what = N_("a lite container"),
    .allow = ct_allow,
    .hints = ct_hints,
    .translate = ct_translate,
};
