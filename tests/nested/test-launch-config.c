/* test-launch-config.c: the launch config that the nested tier writes for lite-vmm is one the project's parser reads as meant. */
#include <string.h>

#include "launch.h"

/* tests/nested/launch-config.sh writes the config inside L1 with busybox, far from the
 * parser's unit tests: run it here with the arguments l2-lib.sh gives it and read the result
 * back with lite_launch_parse(), so that a change of either side fails in the unit suite
 * instead of in a 40-second nested run. */
static char *
run_launch_config_sh(void)
{
    const char *script = g_getenv("LAUNCH_CONFIG_SH");
    const char *argv[] = { "sh", script, "l2-42", "/tmp/l2/ctl", "256", "2", "/payload/vmlinuz",
                           "/payload/initrd", "console=ttyS0 quiet panic=-1", NULL };
    g_autoptr(GError) err = NULL;
    char *out = NULL;
    int status = 0;

    g_assert_nonnull(script);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               NULL, &status, &err));
    g_assert_no_error(err);
    g_assert_cmpint(status, ==, 0);
    return out;
}

static void
test_nested_config_parses_as_a_pty_vm(void)
{
    g_autofree char *text = run_launch_config_sh();
    g_autoptr(lite_launch) l = NULL;
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(lite_launch_parse(text, &l, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(l->kind, ==, LITE_KIND_VM);
    g_assert_cmpstr(l->name, ==, "l2-42");
    g_assert_cmpuint(strlen(l->uuid), ==, 36);
    g_assert_cmpstr(l->control_path, ==, "/tmp/l2/ctl");
    g_assert_cmpuint(l->memory_kib, ==, 256 * 1024);
    g_assert_cmpuint(l->vcpus, ==, 2);
    g_assert_cmpint(l->console, ==, LITE_CONSOLE_PTY);
    g_assert_cmpint(l->on_poweroff, ==, LITE_ACTION_DESTROY);
    g_assert_cmpint(l->on_reboot, ==, LITE_ACTION_RESTART);
    g_assert_cmpstr(l->boot.kernel, ==, "/payload/vmlinuz");
    g_assert_cmpstr(l->boot.initrd, ==, "/payload/initrd");
    g_assert_cmpstr(l->boot.cmdline, ==, "console=ttyS0 quiet panic=-1");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nested/launch-config/parses-as-a-pty-vm", test_nested_config_parses_as_a_pty_vm);
    return g_test_run();
}
