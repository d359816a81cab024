#!/usr/bin/env python3
"""test-ct-resources.py: cgroup limits of a busybox container: PID 1 alone joins its cgroup in
every hierarchy, pause/resume really stops its processes, a memory limit OOM-kills inside the
container only, cpu shares/quota/cpuset."""
import os
import shutil
import tempfile
import time

import nstest
from nstest import Container


def cg_dir(controller, name):
    return "/sys/fs/cgroup/%s/machine/%s.lite" % (controller, name)


def read(path):
    with open(path) as f:
        return f.read().strip()


def test_only_pid1_joins_its_cgroup_in_every_hierarchy():
    """PID 1 moves itself in (v1 tasks files, CLONE_INTO_CGROUP for cgroup2): every hierarchy
    the host lists holds exactly it, and the supervisor stays where it was."""
    ct = nstest.boot_busybox("ltest-res0")
    try:
        init, sup = ct.status["init-pid"], str(ct.proc.pid)
        with open("/proc/%s/cgroup" % init) as f:
            lines = [l.strip().split(":", 2) for l in f if l.strip()]
        with open("/proc/%s/cgroup" % sup) as f:
            sup_paths = [l.strip().split(":", 2)[2] for l in f if l.strip()]
        assert len(lines) == len(sup_paths) and len(lines) > 1, lines
        mounts = {}
        for l in open("/proc/self/mountinfo"):
            f = l.split()
            fstype, opts = f[f.index("-") + 1], f[f.index("-") + 3]
            if fstype == "cgroup2":
                mounts[""] = f[4]
            elif fstype == "cgroup":
                for o in opts.split(","):
                    mounts.setdefault(o, f[4])
        for hid, ctrls, path in lines:
            # Read from the host: paths are relative to our cgroup namespace.
            assert path == "/machine/ltest-res0.lite", (hid, ctrls, path)
            mount = mounts.get(ctrls.split(",")[0] if ctrls else "")
            if not mount:
                continue
            with open(mount + "/machine/ltest-res0.lite/cgroup.procs") as f:
                assert f.read().split() == [init], (ctrls, mount)
        assert not any(p.startswith("/machine/") for p in sup_paths), sup_paths
    finally:
        ct.cleanup()


def test_pause_stops_a_counter_and_resume_restarts_it():
    shared = tempfile.mkdtemp(prefix="ltest-ns-shared-")
    ct = Container("ltest-res1", nstest.busybox_rootfs(), mounts=[(shared, "/shared", False)])
    count = os.path.join(shared, "count")
    try:
        ct.start()
        ct.console.read_until(r"LITE-CT-READY[^\n]*\n")
        ct.console.send("bg i=0; while :; do i=$((i+1)); echo $i > /shared/count; "
                        "usleep 5000; done")
        nstest.wait_for(lambda: os.path.exists(count) and read(count), 5, "the counter")
        w = ct.watch()
        assert ct.call("pause")["verb"] == "ok"
        w.expect("paused", "user")
        a = read(count)
        time.sleep(0.5)
        b = read(count)
        assert a == b, "counter moved while paused: %s -> %s" % (a, b)
        assert ct.call("query")["state"] == "paused"
        assert ct.call("shutdown")["code"] == "operation-invalid"
        assert ct.call("resume")["verb"] == "ok"
        w.expect("running", "unpaused")
        nstest.wait_for(lambda: read(count) not in ("", b), 5, "the counter to move again")
        # Destroying a paused container works too: frozen tasks are thawed to die.
        assert ct.call("pause")["verb"] == "ok"
        w.expect("paused", "user")
        assert ct.call("destroy")["verb"] == "ok"
        w.expect("shutoff", "destroyed")
        assert ct.wait_exit(5) == 0
    finally:
        ct.cleanup()
        shutil.rmtree(shared, ignore_errors=True)


def test_memory_limit_oom_kills_inside_only():
    ct = Container("ltest-res2", nstest.busybox_rootfs(), memory_kib=32768)
    try:
        ct.start()
        ct.console.read_until(r"LITE-CT-READY[^\n]*\n")
        d = cg_dir("memory", "ltest-res2")
        assert read(d + "/memory.limit_in_bytes") == str(32 * 1024 * 1024)
        ct.console.send("alloc big 96")
        out, m = ct.console.read_until(r"done big rc=(\d+)", 20)
        assert m.group(1) == "137", "allocation past the limit: rc=%s" % m.group(1)
        ct.console.send("alloc small 8")
        out, m = ct.console.read_until(r"done small rc=(\d+)", 20)
        assert m.group(1) == "0", out
        oom = read(d + "/memory.oom_control")
        assert "oom_kill 1" in oom or "oom_kill 2" in oom, oom
        ct.console.send("ping")
        ct.console.read_until("pong")
        q = ct.call("query")
        assert q["memory-kib"] == "32768" and int(q["memory-used-kib"]) > 0, q
        assert ct.running()
    finally:
        ct.cleanup()


def test_cpu_shares_quota_and_cpuset():
    ct = Container("ltest-res3", nstest.busybox_rootfs(),
                   resources={"cpu-shares": 512, "cpu-period-us": 100000,
                              "cpu-quota-us": 20000, "cpuset": "0"})
    try:
        ct.start()
        ct.console.read_until(r"LITE-CT-READY[^\n]*\n")
        d = cg_dir("cpu", "ltest-res3")
        assert read(d + "/cpu.shares") == "512"
        assert read(d + "/cpu.cfs_period_us") == "100000"
        assert read(d + "/cpu.cfs_quota_us") == "20000"
        assert read(cg_dir("cpuset", "ltest-res3") + "/cpuset.cpus") == "0"
        rc, out = ct.console.run("grep Cpus_allowed_list /proc/self/status")
        assert out.split()[-1] == "0", out
        before = int(ct.call("query")["cpu-time-ns"])
        t0 = time.monotonic()
        rc, _ = ct.console.run("timeout 1 sh -c 'while :; do :; done'", timeout=10)
        wall = time.monotonic() - t0
        used = (int(ct.call("query")["cpu-time-ns"]) - before) / 1e9
        print("  busy loop: %.2f s cpu in %.2f s wall (quota 20%%)" % (used, wall))
        assert 0.05 < used < 0.35 * wall + 0.05, (used, wall)
    finally:
        ct.cleanup()


def test_pure_cgroup_v2_host():
    """lite-ns in a mount namespace where only cgroup2 is mounted at /sys/fs/cgroup, the way
    real hosts run: the unified layout is detected, freezing uses cgroup.freeze, statistics
    cpu.stat, devices the BPF filter, destroy cgroup.kill. (Here the v1 hierarchies keep the
    memory and cpu controllers, so no limits can be set through v2.)"""
    shared = tempfile.mkdtemp(prefix="ltest-ns-shared-")
    count = os.path.join(shared, "count")
    v2 = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
          "umount -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && "
          "exec \"$0\" \"$@\""]
    ct = nstest.boot_busybox("ltest-res4", wrapper=v2, mounts=[(shared, "/shared", False)])
    try:
        assert "(unified)" in ct.read_log(), ct.read_log()
        host_dir = [l.split()[4] for l in open("/proc/self/mountinfo")
                    if " - cgroup2 " in l][0] + "/machine/ltest-res4.lite"
        with open(host_dir + "/cgroup.procs") as f:
            assert f.read().split() == [ct.status["init-pid"]]
        rc, out = ct.console.run("grep ' /sys/fs/cgroup ' /proc/mounts; grep ^0:: "
                                 "/proc/self/cgroup")
        assert out.split()[2] == "cgroup2" and out.split()[-1] == "0::/", out
        rc, out = ct.console.run("mknod /dev/tun c 10 200; sh -c 'exec 3</dev/tun && echo OPEN'")
        assert "OPEN" not in out, out
        ct.console.send("bg while :; do i=$((i+1)); echo $i > /shared/count; usleep 5000; done")
        nstest.wait_for(lambda: os.path.exists(count) and read(count), 5, "the counter")
        assert ct.call("pause")["verb"] == "ok"
        with open(host_dir + "/cgroup.freeze") as f:
            assert f.read().strip() == "1"
        a = read(count)
        time.sleep(0.3)
        assert read(count) == a
        assert ct.call("resume")["verb"] == "ok"
        nstest.wait_for(lambda: read(count) != a, 5, "the counter to move again")
        assert int(ct.call("query")["cpu-time-ns"]) > 0
        w = ct.watch()
        assert ct.call("destroy")["verb"] == "ok"
        w.expect("shutoff", "destroyed")
        assert ct.wait_exit(5) == 0
        assert not os.path.exists(host_dir)
    finally:
        ct.cleanup()
        shutil.rmtree(shared, ignore_errors=True)


if __name__ == "__main__":
    nstest.main(globals(), timeout=90)
