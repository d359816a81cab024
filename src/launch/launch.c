/* launch.c: the launch config's text form, written by the driver and read by the launchers.
 *
 * Format (a GKeyFile: "[group]" lines, "key=value" lines, "#" comments; string lists are
 * ";"-separated with "\;" escaping; booleans are true/false):
 *
 *   [domain]            always
 *     format=1          LITE_LAUNCH_FORMAT; a launcher refuses any other value
 *     kind=vm|container
 *     name, uuid        the libvirt domain's name and UUID
 *     control=PATH      the control socket the launcher serves (control.c)
 *     memory-kib=N      VM: guest RAM; container: memory limit
 *     vcpus=N
 *     on-poweroff, on-reboot, on-crash = destroy|restart|preserve
 *     console=none|pty
 *   [boot]              VMs: kernel=PATH, optional initrd=PATH and cmdline=TEXT
 *   [init]              containers: path=PATH, optional args=LIST, env=LIST, dir=PATH
 *   [mount N]           containers, N = 0, 1, ...: source=PATH, target=PATH, readonly=BOOL
 *   [idmap]             containers with a user namespace: uid=LIST, gid=LIST, each item
 *                       "START TARGET COUNT"
 *   [net N]             containers: type=bridge|ethernet, bridge=NAME, host-ifname=NAME,
 *                       guest-ifname=NAME, mac=MAC
 *   [resources]         containers, each optional: cpu-shares=N, cpu-period-us=N,
 *                       cpu-quota-us=N (negative: unlimited), cpuset=LIST
 *
 * Unknown groups or keys are an error: a launcher older than its driver must not silently
 * drop part of a domain.
 */
#include "launch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(lite-launch-error-quark, lite_launch_error)

static const char *const kind_names[] = { "vm", "container" };
static const char *const action_names[] = { "destroy", "restart", "preserve" };
static const char *const console_names[] = { "none", "pty" };
static const char *const net_type_names[] = { "bridge", "ethernet" };

static void
mount_free(gpointer p)
{
    lite_mount *m = p;

    g_free(m->source);
    g_free(m->target);
    g_free(m);
}

static void
net_free(gpointer p)
{
    lite_net *n = p;

    g_free(n->bridge);
    g_free(n->host_ifname);
    g_free(n->guest_ifname);
    g_free(n->mac);
    g_free(n);
}

lite_launch *
lite_launch_new(lite_kind kind)
{
    lite_launch *l = g_new0(lite_launch, 1);

    l->kind = kind;
    l->vcpus = 1;
    l->on_reboot = LITE_ACTION_RESTART;
    l->ct.mounts = g_ptr_array_new_with_free_func(mount_free);
    l->ct.nets = g_ptr_array_new_with_free_func(net_free);
    l->ct.uidmap = g_array_new(FALSE, TRUE, sizeof(lite_idmap));
    l->ct.gidmap = g_array_new(FALSE, TRUE, sizeof(lite_idmap));
    return l;
}

void
lite_launch_free(lite_launch *l)
{
    if (!l)
        return;
    g_free(l->name);
    g_free(l->uuid);
    g_free(l->control_path);
    g_free(l->boot.kernel);
    g_free(l->boot.initrd);
    g_free(l->boot.cmdline);
    g_free(l->ct.init);
    g_strfreev(l->ct.initargs);
    g_strfreev(l->ct.initenv);
    g_free(l->ct.initdir);
    g_free(l->ct.cpuset);
    g_ptr_array_unref(l->ct.mounts);
    g_ptr_array_unref(l->ct.nets);
    g_array_unref(l->ct.uidmap);
    g_array_unref(l->ct.gidmap);
    g_free(l);
}

lite_mount *
lite_mount_new(const char *source, const char *target, bool readonly)
{
    lite_mount *m = g_new0(lite_mount, 1);

    m->source = g_strdup(source);
    m->target = g_strdup(target);
    m->readonly = readonly;
    return m;
}

lite_net *
lite_net_new(lite_net_type type)
{
    lite_net *n = g_new0(lite_net, 1);

    n->type = type;
    return n;
}

const char *
lite_kind_name(lite_kind kind)
{
    return kind_names[kind];
}

const char *
lite_action_name(lite_action action)
{
    return action_names[action];
}

const char *
lite_net_type_name(lite_net_type type)
{
    return net_type_names[type];
}

static int
name_lookup(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (name && strcmp(names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

int
lite_action_from_name(const char *name, lite_action *out)
{
    int i = name_lookup(action_names, G_N_ELEMENTS(action_names), name);

    if (i < 0)
        return -EINVAL;
    *out = (lite_action)i;
    return 0;
}

const lite_mount *
lite_ct_root(const lite_ct *ct)
{
    for (guint i = 0; i < ct->mounts->len; i++) {
        const lite_mount *m = g_ptr_array_index(ct->mounts, i);
        if (strcmp(m->target, "/") == 0)
            return m;
    }
    return NULL;
}

/* ---- writing ---- */

static void
set_opt_string(GKeyFile *kf, const char *group, const char *key, const char *value)
{
    if (value)
        g_key_file_set_string(kf, group, key, value);
}

static void
set_opt_list(GKeyFile *kf, const char *group, const char *key, char **list)
{
    if (list && list[0])
        g_key_file_set_string_list(kf, group, key, (const char *const *)list,
                                   g_strv_length(list));
}

static void
set_idmap(GKeyFile *kf, const char *key, GArray *map)
{
    g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < map->len; i++) {
        const lite_idmap *m = &g_array_index(map, lite_idmap, i);
        g_ptr_array_add(items, g_strdup_printf("%" PRIu32 " %" PRIu32 " %" PRIu32,
                                               m->start, m->target, m->count));
    }
    if (items->len > 0)
        g_key_file_set_string_list(kf, "idmap", key, (const char *const *)items->pdata,
                                   items->len);
}

static void
format_container(GKeyFile *kf, const lite_ct *ct)
{
    g_key_file_set_string(kf, "init", "path", ct->init);
    set_opt_list(kf, "init", "args", ct->initargs);
    set_opt_list(kf, "init", "env", ct->initenv);
    set_opt_string(kf, "init", "dir", ct->initdir);

    for (guint i = 0; i < ct->mounts->len; i++) {
        const lite_mount *m = g_ptr_array_index(ct->mounts, i);
        g_autofree char *group = g_strdup_printf("mount %u", i);

        g_key_file_set_string(kf, group, "source", m->source);
        g_key_file_set_string(kf, group, "target", m->target);
        g_key_file_set_boolean(kf, group, "readonly", m->readonly);
    }

    set_idmap(kf, "uid", ct->uidmap);
    set_idmap(kf, "gid", ct->gidmap);

    for (guint i = 0; i < ct->nets->len; i++) {
        const lite_net *n = g_ptr_array_index(ct->nets, i);
        g_autofree char *group = g_strdup_printf("net %u", i);

        g_key_file_set_string(kf, group, "type", net_type_names[n->type]);
        set_opt_string(kf, group, "bridge", n->bridge);
        set_opt_string(kf, group, "host-ifname", n->host_ifname);
        set_opt_string(kf, group, "guest-ifname", n->guest_ifname);
        set_opt_string(kf, group, "mac", n->mac);
    }

    if (ct->cpu_shares)
        g_key_file_set_uint64(kf, "resources", "cpu-shares", ct->cpu_shares);
    if (ct->cpu_period_us)
        g_key_file_set_uint64(kf, "resources", "cpu-period-us", ct->cpu_period_us);
    if (ct->cpu_quota_us)
        g_key_file_set_int64(kf, "resources", "cpu-quota-us", ct->cpu_quota_us);
    set_opt_string(kf, "resources", "cpuset", ct->cpuset);
}

char *
lite_launch_format(const lite_launch *l)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();

    g_key_file_set_integer(kf, "domain", "format", LITE_LAUNCH_FORMAT);
    g_key_file_set_comment(kf, NULL, NULL,
                           " virt-lite launch config: written by the driver, read by the launcher",
                           NULL);
    g_key_file_set_string(kf, "domain", "kind", kind_names[l->kind]);
    g_key_file_set_string(kf, "domain", "name", l->name);
    g_key_file_set_string(kf, "domain", "uuid", l->uuid);
    set_opt_string(kf, "domain", "control", l->control_path);
    g_key_file_set_uint64(kf, "domain", "memory-kib", l->memory_kib);
    g_key_file_set_uint64(kf, "domain", "vcpus", l->vcpus);
    g_key_file_set_string(kf, "domain", "on-poweroff", action_names[l->on_poweroff]);
    g_key_file_set_string(kf, "domain", "on-reboot", action_names[l->on_reboot]);
    g_key_file_set_string(kf, "domain", "on-crash", action_names[l->on_crash]);
    g_key_file_set_string(kf, "domain", "console", console_names[l->console]);

    if (l->kind == LITE_KIND_VM) {
        g_key_file_set_string(kf, "boot", "kernel", l->boot.kernel);
        set_opt_string(kf, "boot", "initrd", l->boot.initrd);
        set_opt_string(kf, "boot", "cmdline", l->boot.cmdline);
    } else {
        format_container(kf, &l->ct);
    }
    return g_key_file_to_data(kf, NULL, NULL);
}

/* ---- reading ---- */

typedef struct {
    GKeyFile *kf;
    GError **err;
    bool failed;
} reader;

static void G_GNUC_PRINTF(2, 3)
reader_fail(reader *r, const char *fmt, ...)
{
    va_list ap;

    if (r->failed)
        return;
    r->failed = true;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(r->err, LITE_LAUNCH_ERROR, EINVAL, msg);
}

static bool
has(reader *r, const char *group, const char *key)
{
    return g_key_file_has_key(r->kf, group, key, NULL);
}

static char *
get_string(reader *r, const char *group, const char *key, bool required)
{
    char *value;

    if (!has(r, group, key)) {
        if (required)
            reader_fail(r, "[%s] lacks %s", group, key);
        return NULL;
    }
    value = g_key_file_get_string(r->kf, group, key, NULL);
    if (!value)
        reader_fail(r, "[%s] %s is not a valid string", group, key);
    return value;
}

static uint64_t
get_u64(reader *r, const char *group, const char *key, bool required)
{
    g_autofree char *text = get_string(r, group, key, required);
    guint64 v = 0;

    if (text && !g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &v, NULL))
        reader_fail(r, "[%s] %s=%s is not an unsigned number", group, key, text);
    return v;
}

static int64_t
get_i64(reader *r, const char *group, const char *key)
{
    g_autofree char *text = get_string(r, group, key, false);
    gint64 v = 0;

    if (text && !g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &v, NULL))
        reader_fail(r, "[%s] %s=%s is not a number", group, key, text);
    return v;
}

static bool
get_bool(reader *r, const char *group, const char *key)
{
    g_autofree char *text = get_string(r, group, key, false);

    if (!text || strcmp(text, "false") == 0)
        return false;
    if (strcmp(text, "true") != 0)
        reader_fail(r, "[%s] %s=%s is not true or false", group, key, text);
    return true;
}

static char **
get_list(reader *r, const char *group, const char *key)
{
    char **list;

    if (!has(r, group, key))
        return NULL;
    list = g_key_file_get_string_list(r->kf, group, key, NULL, NULL);
    if (!list)
        reader_fail(r, "[%s] %s is not a valid list", group, key);
    return list;
}

static int
get_enum(reader *r, const char *group, const char *key, const char *const *names, size_t n)
{
    g_autofree char *text = get_string(r, group, key, true);
    int i;

    if (!text)
        return 0;
    i = name_lookup(names, n, text);
    if (i < 0) {
        reader_fail(r, "[%s] %s=%s is not one of the known values", group, key, text);
        return 0;
    }
    return i;
}

/* Every key of @group must be in @known: a key we do not understand is a key we would drop. */
static void
check_keys(reader *r, const char *group, const char *const *known)
{
    g_auto(GStrv) keys = g_key_file_get_keys(r->kf, group, NULL, NULL);

    for (size_t i = 0; keys && keys[i]; i++) {
        if (!g_strv_contains(known, keys[i]))
            reader_fail(r, "[%s] has unknown key %s", group, keys[i]);
    }
}

static void
parse_idmap(reader *r, const char *key, GArray *out)
{
    g_auto(GStrv) items = get_list(r, "idmap", key);

    for (size_t i = 0; items && items[i]; i++) {
        lite_idmap m;
        char tail;

        if (sscanf(items[i], "%" SCNu32 " %" SCNu32 " %" SCNu32 "%c",
                   &m.start, &m.target, &m.count, &tail) != 3 || m.count == 0) {
            reader_fail(r, "[idmap] %s item '%s' is not 'START TARGET COUNT'", key, items[i]);
            return;
        }
        g_array_append_val(out, m);
    }
}

static void
parse_group(reader *r, lite_launch *l, const char *group)
{
    static const char *const boot_keys[] = { "kernel", "initrd", "cmdline", NULL };
    static const char *const init_keys[] = { "path", "args", "env", "dir", NULL };
    static const char *const mount_keys[] = { "source", "target", "readonly", NULL };
    static const char *const idmap_keys[] = { "uid", "gid", NULL };
    static const char *const net_keys[] = { "type", "bridge", "host-ifname", "guest-ifname",
                                            "mac", NULL };
    static const char *const res_keys[] = { "cpu-shares", "cpu-period-us", "cpu-quota-us",
                                            "cpuset", NULL };
    bool vm = l->kind == LITE_KIND_VM;
    lite_ct *ct = &l->ct;

    if (strcmp(group, "domain") == 0)
        return;
    if (vm && strcmp(group, "boot") == 0) {
        check_keys(r, group, boot_keys);
        l->boot.kernel = get_string(r, group, "kernel", true);
        l->boot.initrd = get_string(r, group, "initrd", false);
        l->boot.cmdline = get_string(r, group, "cmdline", false);
    } else if (!vm && strcmp(group, "init") == 0) {
        check_keys(r, group, init_keys);
        ct->init = get_string(r, group, "path", true);
        ct->initargs = get_list(r, group, "args");
        ct->initenv = get_list(r, group, "env");
        ct->initdir = get_string(r, group, "dir", false);
    } else if (!vm && g_str_has_prefix(group, "mount ")) {
        lite_mount *m = g_new0(lite_mount, 1);

        g_ptr_array_add(ct->mounts, m);
        check_keys(r, group, mount_keys);
        m->source = get_string(r, group, "source", true);
        m->target = get_string(r, group, "target", true);
        m->readonly = get_bool(r, group, "readonly");
    } else if (!vm && strcmp(group, "idmap") == 0) {
        check_keys(r, group, idmap_keys);
        parse_idmap(r, "uid", ct->uidmap);
        parse_idmap(r, "gid", ct->gidmap);
    } else if (!vm && g_str_has_prefix(group, "net ")) {
        lite_net *n = g_new0(lite_net, 1);

        g_ptr_array_add(ct->nets, n);
        check_keys(r, group, net_keys);
        n->type = get_enum(r, group, "type", net_type_names, G_N_ELEMENTS(net_type_names));
        n->bridge = get_string(r, group, "bridge", n->type == LITE_NET_BRIDGE);
        n->host_ifname = get_string(r, group, "host-ifname", false);
        n->guest_ifname = get_string(r, group, "guest-ifname", false);
        n->mac = get_string(r, group, "mac", false);
    } else if (!vm && strcmp(group, "resources") == 0) {
        check_keys(r, group, res_keys);
        ct->cpu_shares = get_u64(r, group, "cpu-shares", false);
        ct->cpu_period_us = get_u64(r, group, "cpu-period-us", false);
        ct->cpu_quota_us = get_i64(r, group, "cpu-quota-us");
        ct->cpuset = get_string(r, group, "cpuset", false);
    } else {
        reader_fail(r, "unknown group [%s] for a %s", group, kind_names[l->kind]);
    }
}

int
lite_launch_parse(const char *text, lite_launch **out, GError **err)
{
    static const char *const domain_keys[] = {
        "format", "kind", "name", "uuid", "control", "memory-kib", "vcpus",
        "on-poweroff", "on-reboot", "on-crash", "console", NULL,
    };
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(lite_launch) l = NULL;
    g_auto(GStrv) groups = NULL;
    reader r = { .kf = kf, .err = err };
    g_autoptr(GError) kf_err = NULL;
    uint64_t format;

    if (!g_key_file_load_from_data(kf, text, (gsize)-1, G_KEY_FILE_NONE, &kf_err)) {
        g_set_error(err, LITE_LAUNCH_ERROR, EINVAL, "not a launch config: %s", kf_err->message);
        return -EINVAL;
    }
    format = get_u64(&r, "domain", "format", true);
    if (!r.failed && format != LITE_LAUNCH_FORMAT)
        reader_fail(&r, "launch config format %" PRIu64 ", this launcher reads format %d",
                    format, LITE_LAUNCH_FORMAT);

    l = lite_launch_new(get_enum(&r, "domain", "kind", kind_names, G_N_ELEMENTS(kind_names)));
    check_keys(&r, "domain", domain_keys);
    l->name = get_string(&r, "domain", "name", true);
    l->uuid = get_string(&r, "domain", "uuid", true);
    l->control_path = get_string(&r, "domain", "control", false);
    l->memory_kib = get_u64(&r, "domain", "memory-kib", true);
    l->vcpus = (uint32_t)get_u64(&r, "domain", "vcpus", true);
    l->on_poweroff = get_enum(&r, "domain", "on-poweroff", action_names,
                              G_N_ELEMENTS(action_names));
    l->on_reboot = get_enum(&r, "domain", "on-reboot", action_names, G_N_ELEMENTS(action_names));
    l->on_crash = get_enum(&r, "domain", "on-crash", action_names, G_N_ELEMENTS(action_names));
    l->console = get_enum(&r, "domain", "console", console_names, G_N_ELEMENTS(console_names));
    if (!r.failed && (l->vcpus == 0 || l->vcpus > 4096))
        reader_fail(&r, "[domain] vcpus=%u is out of range", l->vcpus);

    groups = g_key_file_get_groups(kf, NULL);
    for (size_t i = 0; groups[i] && !r.failed; i++)
        parse_group(&r, l, groups[i]);

    if (!r.failed && l->kind == LITE_KIND_VM && !l->boot.kernel)
        reader_fail(&r, "a vm needs [boot] kernel");
    if (!r.failed && l->kind == LITE_KIND_CONTAINER && (!l->ct.init || !lite_ct_root(&l->ct)))
        reader_fail(&r, "a container needs [init] path and a [mount N] with target=/");
    if (r.failed)
        return -EINVAL;
    *out = g_steal_pointer(&l);
    return 0;
}

int
lite_launch_load(const char *path, lite_launch **out, GError **err)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) io_err = NULL;

    if (!g_file_get_contents(path, &text, NULL, &io_err)) {
        g_set_error(err, LITE_LAUNCH_ERROR, ENOENT, "cannot read launch config %s: %s", path,
                    io_err->message);
        return -ENOENT;
    }
    return lite_launch_parse(text, out, err);
}
