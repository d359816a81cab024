/* test-ns-pure.c: lite-ns's pure parts: id maps against subuid files, the mount plan, cgroup
 * paths and layout detection, how PID 1's end is read, init's environment. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "launch.h"
#include "ns-boot.h"
#include "ns-cgroup.h"
#include "ns-child.h"
#include "ns-idmap.h"
#include "ns-mount.h"

static GArray *
map_of(const lite_idmap *items, size_t n)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(lite_idmap));

    g_array_append_vals(a, items, (guint)n);
    return a;
}

static int
check(const char *subuid, const lite_idmap *items, size_t n, char **why)
{
    g_autoptr(GArray) map = map_of(items, n);

    return ns_idmap_check(subuid, "/etc/subuid", "root", 0, map, "uid", why);
}

static void
test_idmap_inside_subuid_range_is_accepted(void)
{
    const lite_idmap ok[] = { { 0, 100000, 65536 } };
    const lite_idmap split[] = { { 0, 100000, 1000 }, { 1000, 300000, 10 } };
    g_autofree char *why = NULL;

    g_assert_cmpint(check("root:100000:65536\n", ok, 1, &why), ==, 0);
    g_assert_cmpint(check("0:100000:65536\n", ok, 1, &why), ==, 0);
    g_assert_cmpint(check("bob:1:5\nroot:100000:1000\nroot:300000:10\n", split, 2, &why), ==, 0);
}

static void
test_idmap_exceeding_subuid_is_refused_with_the_range_named(void)
{
    const lite_idmap big[] = { { 0, 100000, 65537 } };
    const lite_idmap other[] = { { 0, 200000, 10 } };
    g_autofree char *why = NULL;
    g_autofree char *why2 = NULL;
    g_autofree char *why3 = NULL;

    g_assert_cmpint(check("root:100000:65536\n", big, 1, &why), ==, -EPERM);
    g_assert_nonnull(strstr(why, "100000-165536"));
    g_assert_nonnull(strstr(why, "/etc/subuid"));
    g_assert_cmpint(check("bob:200000:10\n", other, 1, &why2), ==, -EPERM);
    g_assert_cmpint(check("", other, 1, &why3), ==, -EPERM);
}

static void
test_idmap_overlap_and_missing_root_are_refused(void)
{
    const lite_idmap overlap[] = { { 0, 100000, 100 }, { 50, 100200, 100 } };
    const lite_idmap host_overlap[] = { { 0, 100000, 100 }, { 1000, 100050, 10 } };
    const lite_idmap noroot[] = { { 1, 100000, 100 } };
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;
    g_autofree char *c = NULL;

    g_assert_cmpint(check("root:100000:65536", overlap, 2, &a), ==, -EINVAL);
    g_assert_nonnull(strstr(a, "overlap"));
    g_assert_cmpint(check("root:100000:65536", host_overlap, 2, &b), ==, -EINVAL);
    g_assert_cmpint(check("root:100000:65536", noroot, 1, &c), ==, -EINVAL);
    g_assert_nonnull(strstr(c, "root"));
}

static void
test_idmap_translation(void)
{
    const lite_idmap items[] = { { 0, 100000, 1000 }, { 1000, 300000, 10 } };
    g_autoptr(GArray) map = map_of(items, 2);

    g_assert_cmpuint(ns_idmap_to_host(map, 0), ==, 100000);
    g_assert_cmpuint(ns_idmap_to_host(map, 5), ==, 100005);
    g_assert_cmpuint(ns_idmap_to_host(map, 1009), ==, 300009);
    g_assert_false(ns_idmap_has(map, 1010));
}

static lite_launch *
sample(void)
{
    lite_launch *l = lite_launch_new(LITE_KIND_CONTAINER);

    l->name = g_strdup("ct1");
    l->uuid = g_strdup("c7a5fdbd-cdaf-9455-926a-d65c16db1809");
    l->ct.init = g_strdup("/sbin/init");
    g_ptr_array_add(l->ct.mounts, lite_mount_new("/srv/ct1", "/", false));
    g_ptr_array_add(l->ct.mounts, lite_mount_new("/srv/data", "/data", true));
    g_ptr_array_add(l->ct.mounts, lite_mount_new("/srv/rw", "/rw", false));
    return l;
}

static void
test_mount_plan_order_and_protections(void)
{
    g_autoptr(lite_launch) l = sample();
    ns_mount_env env = { .console = "/dev/pts/7", .cgroup_dir = "/cg/machine/ct1.lite",
                         .tty_gid_mapped = true };
    g_autoptr(GPtrArray) plan = ns_mount_plan(l, &env);
    g_autofree char *text = ns_mount_plan_format(plan);
    const char *expect =
        "bind /data from /srv/data\n"
        "readonly /data recursive\n"
        "bind /rw from /srv/rw\n"
        "fs /proc from proc\n"
        "bind /proc/sys/net from inside:/proc/sys/net\n"
        "bind /proc/sys from inside:/proc/sys\n"
        "readonly /proc/sys\n"
        "bind /proc/sysrq-trigger from /dev/null optional\n"
        "fs /sys from sysfs ro\n"
        "bind /sys/fs/cgroup from /cg/machine/ct1.lite\n"
        "fs /dev from tmpfs (mode=755,size=512k)\n"
        "bind /dev/null from /dev/null\n"
        "bind /dev/zero from /dev/zero\n"
        "bind /dev/full from /dev/full\n"
        "bind /dev/random from /dev/random\n"
        "bind /dev/urandom from /dev/urandom\n"
        "bind /dev/tty from /dev/tty\n"
        "dir /dev/pts\n"
        "fs /dev/pts from devpts (newinstance,ptmxmode=0666,mode=0620,gid=5)\n"
        "symlink /dev/ptmx from pts/ptmx\n"
        "symlink /dev/fd from /proc/self/fd\n"
        "symlink /dev/stdin from /proc/self/fd/0\n"
        "symlink /dev/stdout from /proc/self/fd/1\n"
        "symlink /dev/stderr from /proc/self/fd/2\n"
        "bind /dev/console from /dev/pts/7\n"
        "dir /dev/shm\n"
        "fs /dev/shm from tmpfs (mode=1777)\n";

    g_assert_cmpstr(text, ==, expect);
}

static void
test_mount_plan_without_console_cgroup_or_tty_gid(void)
{
    g_autoptr(lite_launch) l = sample();
    ns_mount_env env = { 0 };
    g_autoptr(GPtrArray) plan = ns_mount_plan(l, &env);
    g_autofree char *text = ns_mount_plan_format(plan);

    g_assert_null(strstr(text, "/dev/console"));
    g_assert_null(strstr(text, "/sys/fs/cgroup"));
    g_assert_null(strstr(text, "gid=5"));
    g_assert_nonnull(strstr(text, "newinstance,ptmxmode=0666"));
}

static const char hybrid_cgroup[] =
    "9:name=systemd:/\n8:pids:/\n4:memory:/x/y\n2:cpu,cpuacct:/\n1:freezer:/\n0::/\n";
static const char hybrid_mounts[] =
    "22 1 0:20 / /proc rw - proc proc rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw shared:5 - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void
test_cgroup_detect_hybrid(void)
{
    g_autoptr(ns_cgroups) cg = NULL;
    const ns_cg_hier *h;

    g_assert_cmpint(ns_cg_detect(hybrid_cgroup, hybrid_mounts, &cg), ==, 0);
    g_assert_cmpint(cg->mode, ==, NS_CG_HYBRID);
    /* freezer is in /proc/self/cgroup but not mounted: left out. */
    g_assert_cmpuint(cg->n, ==, 5);
    h = &cg->hiers[0];
    g_assert_cmpstr(h->mount, ==, "/sys/fs/cgroup/systemd");
    h = &cg->hiers[3];
    g_assert_cmpstr(h->controllers, ==, "cpu,cpuacct");
    g_assert_cmpstr(h->mount, ==, "/sys/fs/cgroup/cpu,cpuacct");
    ns_cg_place(cg, "/machine/ct1.lite");
    g_assert_cmpstr(h->dir, ==, "/sys/fs/cgroup/cpu,cpuacct/machine/ct1.lite");
    g_assert_cmpstr(ns_cg_unified_dir(cg), ==, "/sys/fs/cgroup/unified/machine/ct1.lite");
}

static void
test_cgroup_detect_unified_and_legacy(void)
{
    g_autoptr(ns_cgroups) v2 = NULL;
    g_autoptr(ns_cgroups) v1 = NULL;
    g_autoptr(ns_cgroups) none = NULL;

    g_assert_cmpint(ns_cg_detect("0::/user.slice/x.scope\n",
                                 "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n",
                                 &v2), ==, 0);
    g_assert_cmpint(v2->mode, ==, NS_CG_UNIFIED);
    g_assert_cmpuint(v2->n, ==, 1);
    ns_cg_place(v2, "/machine/a.lite");
    g_assert_cmpstr(ns_cg_unified_dir(v2), ==, "/sys/fs/cgroup/machine/a.lite");

    g_assert_cmpint(ns_cg_detect("2:memory:/\n1:name=systemd:/\n",
                                 "35 31 0:32 / /cg/mem\\040ory rw - cgroup cgroup rw,memory\n"
                                 "40 31 0:37 / /cg/sd rw - cgroup cgroup rw,name=systemd\n",
                                 &v1), ==, 0);
    g_assert_cmpint(v1->mode, ==, NS_CG_LEGACY);
    g_assert_cmpstr(v1->hiers[0].mount, ==, "/cg/mem ory");
    g_assert_null(ns_cg_unified_dir(v1));

    g_assert_cmpint(ns_cg_detect("0::/\n", "22 1 0:20 / /proc rw - proc proc rw\n", &none),
                    ==, -ENOENT);
}

static void
test_cgroup_path_for_names(void)
{
    g_autofree char *p = NULL;
    char *bad = NULL;

    g_assert_cmpint(ns_cg_path_for("machine", "web-1", &p), ==, 0);
    g_assert_cmpstr(p, ==, "/machine/web-1.lite");
    g_assert_cmpint(ns_cg_path_for("machine", "a/b", &bad), ==, -EINVAL);
    g_assert_cmpint(ns_cg_path_for("machine", "..", &bad), ==, -EINVAL);
    g_assert_cmpint(ns_cg_path_for("machine", "", &bad), ==, -EINVAL);
    g_assert_null(bad);
}

static void
test_end_of_pid1_is_classified(void)
{
    g_assert_cmpint(ns_end_classify(CLD_EXITED, 0, false), ==, NS_END_POWEROFF);
    g_assert_cmpint(ns_end_classify(CLD_KILLED, SIGINT, true), ==, NS_END_POWEROFF);
    g_assert_cmpint(ns_end_classify(CLD_KILLED, SIGHUP, true), ==, NS_END_REBOOT);
    g_assert_cmpint(ns_end_classify(CLD_KILLED, SIGKILL, false), ==, NS_END_CRASH);
    g_assert_cmpint(ns_end_classify(CLD_DUMPED, SIGSEGV, false), ==, NS_END_CRASH);
    g_assert_cmpint(ns_end_classify(CLD_EXITED, 3, false), ==, NS_END_CRASH);
    g_assert_cmpint(ns_end_classify(CLD_EXITED, 255, true), ==, NS_END_FAILED);
    g_assert_cmpint(ns_end_classify(CLD_EXITED, 255, false), ==, NS_END_CRASH);
}

static void
test_init_environment(void)
{
    g_autoptr(lite_launch) l = sample();
    const char *env[] = { "TERM=vt220", "FOO=bar", NULL };
    g_auto(GStrv) out = NULL;

    l->ct.initenv = g_strdupv((char **)env);
    out = ns_child_env(l);
    g_assert_true(g_strv_contains((const char *const *)out, "TERM=vt220"));
    g_assert_false(g_strv_contains((const char *const *)out, "TERM=linux"));
    g_assert_true(g_strv_contains((const char *const *)out, "FOO=bar"));
    g_assert_true(g_strv_contains((const char *const *)out, "container=virt-lite"));
    g_assert_true(g_strv_contains((const char *const *)out,
                                  "container_uuid=c7a5fdbd-cdaf-9455-926a-d65c16db1809"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ns/idmap/inside-subuid-accepted",
                    test_idmap_inside_subuid_range_is_accepted);
    g_test_add_func("/ns/idmap/exceeding-refused",
                    test_idmap_exceeding_subuid_is_refused_with_the_range_named);
    g_test_add_func("/ns/idmap/overlap-and-no-root-refused",
                    test_idmap_overlap_and_missing_root_are_refused);
    g_test_add_func("/ns/idmap/translation", test_idmap_translation);
    g_test_add_func("/ns/mount/plan-order", test_mount_plan_order_and_protections);
    g_test_add_func("/ns/mount/plan-minimal", test_mount_plan_without_console_cgroup_or_tty_gid);
    g_test_add_func("/ns/cgroup/detect-hybrid", test_cgroup_detect_hybrid);
    g_test_add_func("/ns/cgroup/detect-unified-legacy", test_cgroup_detect_unified_and_legacy);
    g_test_add_func("/ns/cgroup/path", test_cgroup_path_for_names);
    g_test_add_func("/ns/boot/end-classified", test_end_of_pid1_is_classified);
    g_test_add_func("/ns/child/environment", test_init_environment);
    return g_test_run();
}
