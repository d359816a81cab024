#!/usr/bin/env python3
"""test-ct-debian.py: Debian bookworm with systemd as the container's PID 1: boot to
multi-user.target and a login prompt on the console, log in through the pty, no failed units,
clean poweroff, reboot inside the same supervisor, destroy."""
import os
import shutil
import tempfile
import time

import nstest
from nstest import Container

class Debian:
    """A private copy of the cached tree (systemd writes to its root) and a container on it."""

    def __init__(self, name, **opts):
        src = nstest.build_rootfs("debian")
        self.top = tempfile.mkdtemp(prefix="ltest-ns-deb-")
        os.chmod(self.top, 0o755)
        root = os.path.join(self.top, "rootfs")
        nstest.sh("cp -a %s %s" % (src, root), timeout=300)
        self.ct = Container(name, root, root_readonly=False, memory_kib=1048576, **opts)

    def cleanup(self):
        self.ct.cleanup()
        shutil.rmtree(self.top, ignore_errors=True)


def test_systemd_boots_to_login_and_powers_off_cleanly():
    d = Debian("ltest-deb1")
    ct = d.ct
    try:
        t0 = time.monotonic()
        ct.start()
        nstest.login(ct.console)
        print("  login prompt + login: %.2f s after start" % (time.monotonic() - t0))
        rc, out = nstest.shell(ct.console, "systemctl is-system-running --wait")
        assert out.strip().endswith("running"), out
        rc, out = nstest.shell(ct.console, "systemctl --failed --no-legend --plain")
        assert out.strip() == "", "failed units: %s" % out
        rc, out = nstest.shell(ct.console, "hostname; cat /proc/1/comm; systemd-detect-virt; "
                                    "cat /proc/self/cgroup; stat -fc %T /sys/fs/cgroup")
        words = out.split()
        assert words[:3] == ["ltest-deb1", "systemd", "container-other"], out
        assert words[-1] == "cgroup2fs", out
        # systemd made its own tree inside the container's cgroup.
        unified = [l for l in open("/proc/self/mountinfo") if " - cgroup2 " in l]
        if unified:
            base = unified[0].split()[4] + "/machine/ltest-deb1.lite"
            assert os.path.isdir(base + "/init.scope"), os.listdir(base)
        # Logging out makes agetty start again and vhangup() the console: the relay must
        # survive the EIO and show the next prompt.
        ct.console.send("logout")
        nstest.login(ct.console, 30)
        rc, out = nstest.shell(ct.console, "tty")
        assert out.strip() == "/dev/console", out
        w = ct.watch()
        t1 = time.monotonic()
        assert ct.call("shutdown")["verb"] == "ok"
        w.expect("shutdown", "requested")
        w.expect("shutoff", "shutdown", timeout=30)
        print("  poweroff: %.2f s" % (time.monotonic() - t1))
        assert ct.wait_exit(10) == 0
        assert not [x for x in nstest.cgroup_dirs() if "ltest-deb1" in x]
    finally:
        d.cleanup()


def test_systemd_reboot_poweroff_inside_and_destroy():
    d = Debian("ltest-deb2")
    ct = d.ct
    try:
        ct.start()
        nstest.login(ct.console)
        w = ct.watch()
        old = ct.status["init-pid"]
        t0 = time.monotonic()
        assert ct.call("reboot")["verb"] == "ok"
        ev = w.expect("running", "rebooted", timeout=30)
        print("  reboot: %.2f s" % (time.monotonic() - t0))
        assert ev["init-pid"] != old
        assert ct.call("hello")["pid"] == ct.status["pid"]
        # Same console path, a new login prompt on it.
        nstest.login(ct.console)
        print("  login after reboot: %.2f s" % (time.monotonic() - t0))
        # poweroff typed in the container: systemd ends PID 1 with SIGINT.
        ct.console.send("poweroff")
        w.expect("shutoff", "shutdown", timeout=30)
        assert ct.wait_exit(10) == 0
    finally:
        d.cleanup()
    d = Debian("ltest-deb3")
    ct = d.ct
    try:
        ct.start()
        ct.console.read_until(r"login: $", 60)
        w = ct.watch()
        assert ct.call("pause")["verb"] == "ok"
        w.expect("paused", "user")
        assert ct.call("resume")["verb"] == "ok"
        w.expect("running", "unpaused")
        assert ct.call("destroy")["verb"] == "ok"
        w.expect("shutoff", "destroyed")
        assert ct.wait_exit(10) == 0
        assert not [x for x in nstest.cgroup_dirs() if "ltest-deb3" in x]
    finally:
        d.cleanup()


if __name__ == "__main__":
    nstest.main(globals(), timeout=300)
