/* test-ns-sup.c: the supervisor's state file (ns-sup.c): what lite-ns writes, lite-ns-monitor
 * and the driver's GKeyFile read back, escaping included, and malformed files refused. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "alloc.h"
#include "ns-sup.h"

static char *
tmp_state_path(void)
{
    g_autofree char *dir = g_dir_make_tmp("ns-sup-XXXXXX", NULL);

    g_assert_nonnull(dir);
    return g_build_filename(dir, "ct.ctl.state", NULL);
}

/* A supervisor as a hybrid host's boot leaves it, with awkward characters in paths. */
static void
fill(ns_sup *s, const char *state_path)
{
    static const struct { bool v2; const char *ctl, *mount; } h[] = {
        { false, "cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct" },
        { false, "name=systemd", "/sys/fs/cgroup/sys temd" },
        { true, "cpu memory pids", "/sys/fs/cgroup/unified" },
    };

    ns_sup_init(s);
    s->name = lite_strdup("ct;1");
    s->config_path = lite_strdup(" /run/lite/ct 1.conf");
    s->control_path = lite_strdup("/run/lite/ct\\1.ctl");
    s->state_path = lite_strdup(state_path);
    s->systemd = true;
    s->memory_kib = 262144;
    s->init_pid = 4242;
    s->state = NS_ST_PAUSED;
    snprintf(s->reason, sizeof(s->reason), "user");
    s->cg = lite_calloc(1, sizeof(*s->cg));
    s->cg->path = lite_strdup("/machine/ct;1.lite");
    s->cg->n = G_N_ELEMENTS(h);
    s->cg->hiers = lite_calloc(s->cg->n, sizeof(ns_cg_hier));
    for (size_t i = 0; i < s->cg->n; i++) {
        s->cg->hiers[i] = (ns_cg_hier){
            .v2 = h[i].v2, .controllers = lite_strdup(h[i].ctl),
            .mount = lite_strdup(h[i].mount),
            .dir = lite_printf("%s%s", h[i].mount, s->cg->path), .join_fd = -1,
        };
    }
    s->nnet = 2;
    s->ifnames = lite_calloc(3, sizeof(char *));
    s->bridged = lite_calloc(3, sizeof(bool));
    s->ifnames[0] = lite_strdup("vnet0");
    s->ifnames[1] = lite_strdup("veth;x");
    s->bridged[0] = true;
}

static void
test_state_round_trip(void)
{
    g_autofree char *path = tmp_state_path();
    ns_sup a, b;

    fill(&a, path);
    g_assert_cmpint(ns_sup_save(&a), ==, 0);
    ns_sup_init(&b);
    g_assert_cmpint(ns_sup_load(&b, path), ==, 0);
    g_assert_cmpstr(b.name, ==, "ct;1");
    g_assert_cmpstr(b.config_path, ==, " /run/lite/ct 1.conf");
    g_assert_cmpstr(b.control_path, ==, "/run/lite/ct\\1.ctl");
    g_assert_true(b.systemd);
    g_assert_cmpuint(b.memory_kib, ==, 262144);
    g_assert_cmpint(b.init_pid, ==, 4242);
    g_assert_cmpint(b.state, ==, NS_ST_PAUSED);
    g_assert_cmpstr(b.reason, ==, "user");
    g_assert_cmpstr(b.cg->path, ==, "/machine/ct;1.lite");
    g_assert_cmpuint(b.cg->n, ==, 3);
    for (size_t i = 0; i < 3; i++) {
        g_assert_cmpint(b.cg->hiers[i].v2, ==, a.cg->hiers[i].v2);
        g_assert_cmpstr(b.cg->hiers[i].controllers, ==, a.cg->hiers[i].controllers);
        g_assert_cmpstr(b.cg->hiers[i].mount, ==, a.cg->hiers[i].mount);
        g_assert_cmpstr(b.cg->hiers[i].dir, ==, a.cg->hiers[i].dir);
        /* Everything in the state file was made by this supervisor: its to remove. */
        g_assert_true(b.cg->hiers[i].created);
    }
    /* The monitor finds its controllers from what it loaded. */
    g_assert_true(ns_cg_find(b.cg, "cpuacct") == &b.cg->hiers[0]);
    g_assert_true(ns_cg_find(b.cg, "memory") == &b.cg->hiers[2]);
    g_assert_null(ns_cg_find(b.cg, "freezer"));
    g_assert_cmpuint(b.nnet, ==, 2);
    g_assert_cmpstr(b.ifnames[1], ==, "veth;x");
    g_assert_true(b.bridged[0]);
    g_assert_false(b.bridged[1]);
    g_unlink(path);
    ns_sup_clear(&a);
    ns_sup_clear(&b);
}

/* The driver reads the same file with GKeyFile after a supervisor's kill -9. */
static void
test_state_is_a_gkeyfile(void)
{
    g_autofree char *path = tmp_state_path();
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_auto(GStrv) ifnames = NULL;
    g_auto(GStrv) dirs = NULL;
    g_autofree char *config = NULL;
    ns_sup a;

    fill(&a, path);
    g_assert_cmpint(ns_sup_save(&a), ==, 0);
    g_assert_true(g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL));
    g_assert_cmpint(g_key_file_get_integer(kf, "lite-ns", "pid", NULL), ==, getpid());
    config = g_key_file_get_string(kf, "lite-ns", "config", NULL);
    g_assert_cmpstr(config, ==, " /run/lite/ct 1.conf");
    ifnames = g_key_file_get_string_list(kf, "lite-ns", "host-ifnames", NULL, NULL);
    g_assert_cmpuint(g_strv_length(ifnames), ==, 2);
    g_assert_cmpstr(ifnames[1], ==, "veth;x");
    dirs = g_key_file_get_string_list(kf, "lite-ns", "cgroup-dirs", NULL, NULL);
    g_assert_cmpstr(dirs[1], ==, "/sys/fs/cgroup/sys temd/machine/ct;1.lite");
    g_assert_true(g_key_file_get_boolean(kf, "lite-ns", "systemd", NULL));
    g_unlink(path);
    ns_sup_clear(&a);
}

static void
load_text(const char *text, int expect)
{
    g_autofree char *path = tmp_state_path();
    ns_sup s;

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    ns_sup_init(&s);
    g_assert_cmpint(ns_sup_load(&s, path), ==, expect);
    ns_sup_clear(&s);
    g_unlink(path);
}

static void
test_state_malformed(void)
{
    const char *ok = "[lite-ns]\nname=a\nconfig=/c\ncontrol=/s\ncgroup=/machine/a.lite\n"
                     "cgroup-dirs=/m/machine/a.lite;\ncgroup-mounts=/m;\n"
                     "cgroup-controllers=v1:memory;\n";
    g_autofree char *no_kind = g_strconcat(ok, "cgroup-controllers=memory;\n", NULL);
    g_autofree char *short_list = g_strconcat(ok, "cgroup-mounts=/m;/n;\n", NULL);
    g_autofree char *bad_pid = g_strconcat(ok, "init-pid=12x\n", NULL);
    g_autofree char *nets = g_strconcat(ok, "host-ifnames=a;b;\nhost-bridged=true;\n", NULL);

    load_text(ok, 0);
    load_text("[lite-ns]\nname=a\n", -EINVAL);
    load_text(no_kind, -EINVAL);
    load_text(short_list, -EINVAL);
    load_text(bad_pid, -EINVAL);
    load_text(nets, -EINVAL);
}

/* Handover options: only what lite-ns writes is accepted; fds below 3 never are. */
static void
test_adopt_refuses_bad_options(void)
{
    static const char *const bad[][4] = {
        { "lite-ns-monitor", NULL },
        { "lite-ns-monitor", "--listen", "1", NULL },
        { "lite-ns-monitor", "--console", "5,6", NULL },
        { "lite-ns-monitor", "--conn", "9:x", NULL },
        { "lite-ns-monitor", "--frobnicate", "1", NULL },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        ns_sup s;
        int argc = 0;

        while (bad[i][argc])
            argc++;
        ns_sup_init(&s);
        g_assert_cmpint(ns_sup_adopt(&s, argc, (char **)bad[i], NULL), ==, -EINVAL);
        ns_sup_clear(&s);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ns/sup/state-round-trip", test_state_round_trip);
    g_test_add_func("/ns/sup/state-is-a-gkeyfile", test_state_is_a_gkeyfile);
    g_test_add_func("/ns/sup/state-malformed", test_state_malformed);
    g_test_add_func("/ns/sup/adopt-refuses-bad-options", test_adopt_refuses_bad_options);
    return g_test_run();
}
