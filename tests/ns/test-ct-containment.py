#!/usr/bin/env python3
"""test-ct-containment.py: what a container cannot see or do: host processes and mounts,
dropped capabilities, read-only /proc/sys and /sys, devices beyond the minimal /dev, writes
to a read-only root or bind."""
import os
import shutil
import tempfile

import nstest

CAP = {"net_admin": 12, "sys_module": 16, "sys_rawio": 17, "sys_admin": 21, "sys_boot": 22,
       "sys_time": 25, "mknod": 27, "audit_control": 30, "mac_override": 32, "mac_admin": 33}


def test_no_host_process_or_mount_is_visible():
    ct = nstest.boot_busybox("ltest-cnt1")
    try:
        rc, out = ct.console.run("ls /proc | grep -E '^[0-9]+$'")
        pids = out.split()
        assert "1" in pids and len(pids) <= 4, pids
        rc, out = ct.console.run("cat /proc/1/cmdline; echo; cat /proc/mounts")
        assert out.startswith("/sbin/init"), out
        mounts = [l.split()[1] for l in out.splitlines()[1:] if l.strip()]
        allowed = ("/", "/proc", "/sys", "/dev")
        assert all(m == "/" or m.startswith(allowed[1:]) for m in mounts), mounts
        assert not any(m.startswith("/work") or m.startswith("/var/cache") for m in mounts)
        rc, out = ct.console.run("ls /dev")
        assert sorted(out.split()) == sorted(["console", "fd", "full", "null", "ptmx", "pts",
                                              "random", "shm", "stderr", "stdin", "stdout",
                                              "tty", "urandom", "zero"]), out
    finally:
        ct.cleanup()


def test_capability_bounding_set():
    ct = nstest.boot_busybox("ltest-cnt2")
    try:
        rc, out = ct.console.run("grep CapBnd /proc/1/status")
        bnd = int(out.split()[-1], 16)
        for cap in ("sys_module", "sys_rawio", "sys_time", "mac_admin", "mac_override",
                    "audit_control"):
            assert not bnd & (1 << CAP[cap]), "%s still in the bounding set" % cap
        for cap in ("sys_admin", "mknod", "net_admin", "sys_boot"):
            assert bnd & (1 << CAP[cap]), "%s dropped" % cap
        # sys_time gone: the clock stays the host's.
        rc, out = ct.console.run("date -s 2001-01-01 2>&1")
        assert "not permitted" in out, out
    finally:
        ct.cleanup()


def test_proc_sys_and_sys_are_read_only_devices_denied():
    ct = nstest.boot_busybox("ltest-cnt3")
    try:
        rc, out = ct.console.run("echo 1 > /proc/sys/kernel/panic_on_oops")
        assert rc != 0 and "Read-only" in out, out
        # The container's own network namespace stays configurable.
        rc, out = ct.console.run("echo 1 > /proc/sys/net/ipv4/ip_forward && "
                                 "cat /proc/sys/net/ipv4/ip_forward")
        assert rc == 0 and out.strip() == "1", out
        with open("/proc/sys/net/ipv4/ip_forward") as f:
            host_forward = f.read().strip()
        rc, out = ct.console.run("touch /sys/kernel/x; echo x > /sys/kernel/uevent_helper")
        assert rc != 0 and "Read-only" in out, out
        if os.path.exists("/proc/sysrq-trigger"):
            rc, out = ct.console.run("echo h > /proc/sysrq-trigger && cat /proc/sysrq-trigger")
            assert out.strip() == "", out
        # The devices cgroup: nodes outside the minimal /dev cannot be made or opened.
        rc, out = ct.console.run("mknod /dev/tun c 10 200; "
                                 "sh -c 'exec 3</dev/tun && echo OPENED'")
        assert "OPENED" not in out, out
        rc, out = ct.console.run("mknod /dev/kmem2 c 1 2 2>&1; head -c 1 /dev/kmem2 2>&1 "
                                 ">/dev/null && echo READ; mknod /dev/mem2 c 1 1 2>&1; "
                                 "head -c 1 /dev/mem2 >/dev/null 2>&1 && echo READ")
        assert "READ" not in out, out
        rc, out = ct.console.run("head -c 4 /dev/urandom | wc -c; echo x > /dev/null")
        assert rc == 0 and out.strip() == "4", out
        with open("/proc/sys/net/ipv4/ip_forward") as f:
            assert f.read().strip() == host_forward
    finally:
        ct.cleanup()


def test_cgroup2_device_filter_denies_without_the_v1_controller():
    """The BPF program on the container's cgroup2 directory is what a pure v2 host relies on;
    here (hybrid) it is checked by opening the v1 devices list wide from the host."""
    if not os.path.exists("/sys/fs/cgroup/unified") and \
            not os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        raise nstest.Skip("no cgroup2 hierarchy")
    ct = nstest.boot_busybox("ltest-cnt5")
    try:
        v1 = "/sys/fs/cgroup/devices/machine/ltest-cnt5.lite/devices.allow"
        if os.path.exists(v1):
            with open(v1, "w") as f:
                f.write("a")
        # /dev/net/tun and /dev/kmsg: char devices root can open without any capability.
        rc, out = ct.console.run("mknod /dev/tun c 10 200; mknod /dev/kmsg c 1 11; "
                                 "sh -c 'exec 3</dev/tun && echo OPENED'; "
                                 "sh -c 'exec 3</dev/kmsg && echo OPENED'")
        assert "OPENED" not in out and "Operation not permitted" in out, out
        rc, out = ct.console.run("head -c 3 /dev/zero | wc -c")
        assert out.strip() == "3", out
    finally:
        ct.cleanup()


def test_read_only_root_and_binds():
    ro = tempfile.mkdtemp(prefix="ltest-ns-ro-")
    rw = tempfile.mkdtemp(prefix="ltest-ns-rw-")
    ct = nstest.boot_busybox("ltest-cnt4", root_readonly=True,
               mounts=[(ro, "/shared", True), (rw, "/var/log", False)])
    try:
        rc, out = ct.console.run("touch /etc/x 2>&1")
        assert rc != 0 and "Read-only" in out, out
        rc, out = ct.console.run("touch /shared/x 2>&1")
        assert rc != 0 and "Read-only" in out, out
        rc, out = ct.console.run("echo hi > /var/log/x && echo hi > /dev/shm/y")
        assert rc == 0, out
        with open(os.path.join(rw, "x")) as f:
            assert f.read() == "hi\n"
        # The remount kept the bind's other flags (nosuid etc. are not lost or added).
        rc, out = ct.console.run("grep ' /shared ' /proc/mounts")
        assert " ro," in out, out
    finally:
        ct.cleanup()
        shutil.rmtree(ro)
        shutil.rmtree(rw)


if __name__ == "__main__":
    nstest.main(globals(), timeout=90)
