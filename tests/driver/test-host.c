/* test-host.c: the libvirt build check accepts only the exact build, and names both. */
#include <config.h>

#include "lite_host.h"

static void
test_same_build_loads(void)
{
    g_autofree char *msg = NULL;

    g_assert_cmpint(liteCheckLibvirtBuild(9000000, "abc", 9000000, "abc", &msg), ==, 0);
    g_assert_null(msg);
    /* A build-id that cannot be read is not a reason to refuse. */
    g_assert_cmpint(liteCheckLibvirtBuild(9000000, "", 9000000, "abc", &msg), ==, 0);
    g_assert_cmpint(liteCheckLibvirtBuild(9000000, "abc", 9000000, NULL, &msg), ==, 0);
}

static void
test_other_version_is_refused(void)
{
    g_autofree char *msg = NULL;

    g_assert_cmpint(liteCheckLibvirtBuild(9000000, "abc", 9005000, "abc", &msg), ==, -1);
    g_assert_nonnull(strstr(msg, "built against libvirt 9.0.0"));
    g_assert_nonnull(strstr(msg, "running libvirt is 9.5.0"));
}

static void
test_other_build_of_same_version_is_refused(void)
{
    g_autofree char *msg = NULL;

    g_assert_cmpint(liteCheckLibvirtBuild(9000000, "abc", 9000000, "def", &msg), ==, -1);
    g_assert_nonnull(strstr(msg, "build-id abc"));
    g_assert_nonnull(strstr(msg, "build-id def"));
}

static void
test_running_build_id_is_found(void)
{
    g_autofree char *id = liteRunningLibvirtBuildId();

    g_assert_nonnull(id);
    g_assert_cmpuint(strlen(id), >=, 16);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/host/same-build-loads", test_same_build_loads);
    g_test_add_func("/host/other-version-is-refused", test_other_version_is_refused);
    g_test_add_func("/host/other-build-is-refused", test_other_build_of_same_version_is_refused);
    g_test_add_func("/host/running-build-id-is-found", test_running_build_id_is_found);
    return g_test_run();
}
