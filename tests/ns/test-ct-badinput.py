#!/usr/bin/env python3
"""test-ct-badinput.py: configs lite-ns must refuse: each gets a clear error on the status fd,
a non-zero exit, and leaves processes, mounts, cgroups and links exactly as they were."""
import os
import shutil
import tempfile

import nstest
from nstest import Container


def refused(name, expect_code, expect_text, rootfs=None, **opts):
    before = nstest.host_snapshot()
    ct = Container(name, rootfs or nstest.busybox_rootfs(), **opts)
    try:
        st = ct.start(expect_ok=False)
        assert st["verb"] == "error", "started anyway: %r" % st
        assert st["code"] == expect_code, st
        assert int(st["errno"]) > 0, st
        assert expect_text in st["message"], "%r lacks %r" % (st["message"], expect_text)
        assert ct.wait_exit(10) != 0
        assert not os.path.exists(ct.ctl) and not os.path.exists(ct.ctl + ".state")
        print("  %s: %s" % (name, st["message"]))
    finally:
        ct.cleanup()
    diff = nstest.snapshot_diff(before, nstest.host_snapshot())
    assert not diff, "left behind: %r" % diff


def test_nonexistent_root():
    refused("ltest-bad1", "config-unsupported", "root /nonexistent/ltest-root does not exist",
            rootfs="/nonexistent/ltest-root")


def test_init_missing_or_not_executable():
    refused("ltest-bad2", "config-unsupported", "init /sbin/nope does not exist in root",
            init="/sbin/nope")
    refused("ltest-bad3", "config-unsupported", "init /etc/passwd in root", init="/etc/passwd")


def test_idmap_beyond_subuid():
    m = "0 1879048192 65536"
    refused("ltest-bad4", "config-unsupported", "/etc/subuid does not give to root",
            idmap=([m], [m]))
    refused("ltest-bad5", "config-unsupported", "does not map container uid 0",
            idmap=(["1 1879048192 10"], [m]))


def test_missing_bridge_and_taken_interface_name():
    refused("ltest-bad6", "config-unsupported", "bridge ltest-nobr does not exist",
            nets=[{"type": "bridge", "bridge": "ltest-nobr"}])
    refused("ltest-bad7", "config-unsupported", "host interface lo already exists",
            nets=[{"type": "ethernet", "host-ifname": "lo"}])


def test_limits_the_kernel_refuses():
    # 2^53 KiB = 2^63 bytes: the memory controller would silently store a smaller number.
    refused("ltest-bad8", "operation-failed", "memory.limit_in_bytes",
            memory_kib=2 ** 53)
    refused("ltest-bad9", "operation-failed", "cpu.cfs_period_us",
            resources={"cpu-period-us": 5})
    refused("ltest-bad10", "operation-failed", "cpuset.cpus=64",
            resources={"cpuset": "64"})


def test_second_instance_of_a_running_domain():
    first = nstest.boot_busybox("ltest-bad12")
    try:
        refused("ltest-bad12", "operation-failed", "is ltest-bad12 running already?")
        # The first one did not notice.
        first.console.send("ping")
        first.console.read_until("pong")
        assert first.call("query")["state"] == "running"
    finally:
        first.cleanup()


def test_failure_inside_the_child_undoes_the_boot():
    # The mount target cannot be made in a read-only root: the child fails after the
    # cgroups and the veth exist, and both must go again.
    src = tempfile.mkdtemp(prefix="ltest-ns-src-")
    try:
        refused("ltest-bad11", "operation-failed", "/no-such-dir", root_readonly=True,
                mounts=[(src, "/no-such-dir", False)],
                nets=[{"type": "ethernet", "host-ifname": "ltest-nsbad"}],
                memory_kib=65536)
    finally:
        shutil.rmtree(src)


if __name__ == "__main__":
    nstest.main(globals(), timeout=90)
