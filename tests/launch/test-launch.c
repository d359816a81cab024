/* test-launch.c: the launch config's text form round-trips and refuses what it cannot read. */
#include <errno.h>
#include <string.h>

#include "launch.h"

static lite_launch *
sample_container(void)
{
    lite_launch *l = lite_launch_new(LITE_KIND_CONTAINER);
    lite_idmap map = { 0, 100000, 65536 };
    lite_net *n = lite_net_new(LITE_NET_BRIDGE);
    const char *args[] = { "--log-level=debug", "two words", "semi;colon", NULL };

    l->name = g_strdup("ct1");
    l->uuid = g_strdup("c7a5fdbd-cdaf-9455-926a-d65c16db1809");
    l->control_path = g_strdup("/run/libvirt/lite/ct1.ctl");
    l->memory_kib = 262144;
    l->vcpus = 2;
    l->console = LITE_CONSOLE_PTY;
    l->on_crash = LITE_ACTION_PRESERVE;
    l->ct.init = g_strdup("/sbin/init");
    l->ct.initargs = g_strdupv((char **)args);
    l->ct.initdir = g_strdup("/root");
    g_ptr_array_add(l->ct.mounts, lite_mount_new("/srv/ct1", "/", false));
    g_ptr_array_add(l->ct.mounts, lite_mount_new("/srv/data", "/data", true));
    g_array_append_val(l->ct.uidmap, map);
    g_array_append_val(l->ct.gidmap, map);
    n->bridge = g_strdup("br0");
    n->guest_ifname = g_strdup("eth0");
    n->mac = g_strdup("52:54:00:12:34:56");
    g_ptr_array_add(l->ct.nets, n);
    l->ct.cpu_shares = 512;
    l->ct.cpu_quota_us = -1;
    l->ct.cpuset = g_strdup("0-1");
    return l;
}

static void
test_container_round_trip(void)
{
    g_autoptr(lite_launch) l = sample_container();
    g_autoptr(lite_launch) back = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *text = lite_launch_format(l);
    g_autofree char *again = NULL;

    g_assert_cmpint(lite_launch_parse(text, &back, &err), ==, 0);
    g_assert_no_error(err);
    again = lite_launch_format(back);
    g_assert_cmpstr(text, ==, again);
    g_assert_cmpstr(back->ct.initargs[1], ==, "two words");
    g_assert_cmpstr(back->ct.initargs[2], ==, "semi;colon");
    g_assert_cmpint(back->ct.cpu_quota_us, ==, -1);
    g_assert_cmpuint(back->ct.uidmap->len, ==, 1);
    g_assert_cmpuint(g_array_index(back->ct.uidmap, lite_idmap, 0).target, ==, 100000);
    g_assert_true(((lite_mount *)g_ptr_array_index(back->ct.mounts, 1))->readonly);
    g_assert_cmpstr(lite_ct_root(&back->ct)->source, ==, "/srv/ct1");
    g_assert_cmpint(back->on_crash, ==, LITE_ACTION_PRESERVE);
}

static void
test_vm_round_trip(void)
{
    g_autoptr(lite_launch) l = lite_launch_new(LITE_KIND_VM);
    g_autoptr(lite_launch) back = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *text = NULL;

    l->name = g_strdup("vm1");
    l->uuid = g_strdup("c7a5fdbd-edaf-9455-926a-d65c16db1809");
    l->memory_kib = 524288;
    l->vcpus = 2;
    l->boot.kernel = g_strdup("/boot/vmlinuz");
    l->boot.cmdline = g_strdup("console=ttyS0 quiet=\"x y\"\nnext");
    text = lite_launch_format(l);
    g_assert_cmpint(lite_launch_parse(text, &back, &err), ==, 0);
    g_assert_cmpstr(back->boot.cmdline, ==, l->boot.cmdline);
    g_assert_null(back->boot.initrd);
    g_assert_cmpint(back->on_reboot, ==, LITE_ACTION_RESTART);
}

static void
expect_refused(const char *text, const char *needle)
{
    g_autoptr(lite_launch) l = NULL;
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(lite_launch_parse(text, &l, &err), ==, -EINVAL);
    g_assert_null(l);
    g_assert_nonnull(err);
    if (!strstr(err->message, needle))
        g_error("'%s' does not mention '%s'", err->message, needle);
}

#define VM_HEAD "[domain]\nformat=1\nkind=vm\nname=a\nuuid=u\nmemory-kib=1\nvcpus=1\n" \
    "on-poweroff=destroy\non-reboot=restart\non-crash=destroy\nconsole=none\n"

static void
test_refuses_bad_input(void)
{
    expect_refused("not a key file", "not a launch config");
    expect_refused("[domain]\nformat=2\n", "format 2");
    expect_refused(VM_HEAD "[boot]\nkernel=/k\nsurprise=1\n", "unknown key surprise");
    expect_refused(VM_HEAD "[boot]\nkernel=/k\n[init]\npath=/x\n", "unknown group [init]");
    expect_refused(VM_HEAD, "needs [boot] kernel");
    expect_refused(VM_HEAD "[boot]\ninitrd=/i\n", "lacks kernel");
    expect_refused("[domain]\nformat=1\nkind=toaster\n", "kind=toaster");
    expect_refused("[domain]\nformat=1\nkind=vm\nname=a\nuuid=u\nmemory-kib=-5\nvcpus=1\n"
                   "on-poweroff=destroy\non-reboot=restart\non-crash=destroy\nconsole=none\n"
                   "[boot]\nkernel=/k\n", "memory-kib=-5");
    expect_refused("[domain]\nformat=1\nkind=vm\nname=a\nuuid=u\nmemory-kib=1\nvcpus=0\n"
                   "on-poweroff=destroy\non-reboot=restart\non-crash=destroy\nconsole=none\n"
                   "[boot]\nkernel=/k\n", "vcpus=0");
    expect_refused("[domain]\nformat=1\nkind=container\nname=a\nuuid=u\nmemory-kib=1\nvcpus=1\n"
                   "on-poweroff=destroy\non-reboot=restart\non-crash=bogus\nconsole=none\n",
                   "on-crash=bogus");
    expect_refused("[domain]\nformat=1\nkind=container\nname=a\nuuid=u\nmemory-kib=1\nvcpus=1\n"
                   "on-poweroff=destroy\non-reboot=restart\non-crash=destroy\nconsole=none\n"
                   "[init]\npath=/sbin/init\n[idmap]\nuid=0 1\n", "START TARGET COUNT");
    expect_refused("[domain]\nformat=1\nkind=container\nname=a\nuuid=u\nmemory-kib=1\nvcpus=1\n"
                   "on-poweroff=destroy\non-reboot=restart\non-crash=destroy\nconsole=none\n"
                   "[init]\npath=/sbin/init\n", "target=/");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/launch/container-round-trip", test_container_round_trip);
    g_test_add_func("/launch/vm-round-trip", test_vm_round_trip);
    g_test_add_func("/launch/refuses-bad-input", test_refuses_bad_input);
    return g_test_run();
}
