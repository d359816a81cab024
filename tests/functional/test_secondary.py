"""test_secondary.py: pool-list and net-list on lite:///system show the host libvirtd's pools
and networks, and say clearly when libvirtd is not there."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import lite_harness
from lite_harness import DaemonTestCase

LIBVIRTD = "/usr/sbin/libvirtd"
LIBVIRTD_SOCK = "/run/libvirt/libvirt-sock"
DRIVERS = "/usr/lib/x86_64-linux-gnu/libvirt/connection-driver"


class SecondaryDriversTest(DaemonTestCase):

    def start_libvirtd(self):
        """Starts the host's libvirtd for this test when none runs. Only the storage and
        network drivers are loaded: the QEMU driver needs users that Debian creates only
        with its systemd-based libvirt-daemon-system package."""
        tmp = tempfile.mkdtemp(prefix="ltest-libvirtd-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        drivers = os.path.join(tmp, "drivers")
        os.makedirs(drivers)
        for d in ("storage", "network"):
            os.symlink(os.path.join(DRIVERS, "libvirt_driver_%s.so" % d),
                       os.path.join(drivers, "libvirt_driver_%s.so" % d))
        os.makedirs("/var/log/libvirt", exist_ok=True)
        env = dict(os.environ, LIBVIRT_DRIVER_DIR=drivers)
        proc = subprocess.Popen([LIBVIRTD, "-p", os.path.join(tmp, "pid")], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

        def stop():
            proc.terminate()
            proc.wait(timeout=15)
        self.addCleanup(stop)
        deadline = time.monotonic() + 15
        while not os.path.exists(LIBVIRTD_SOCK):
            if proc.poll() is not None or time.monotonic() > deadline:
                self.fail("libvirtd did not start")
            time.sleep(0.1)
        time.sleep(0.5)

    def test_pools_and_networks_through_libvirtd(self):
        if not os.path.exists(LIBVIRTD):
            raise unittest.SkipTest("libvirtd is not installed (package libvirt-daemon)")
        if not os.path.exists(LIBVIRTD_SOCK):
            # No libvirtd: the error names the socket it needs.
            res = self.virsh_fails("pool-list", "--all")
            self.assertIn(LIBVIRTD_SOCK, res.stderr)
            res = self.virsh_fails("net-list", "--all")
            self.assertIn(LIBVIRTD_SOCK, res.stderr)
            self.start_libvirtd()
        target = tempfile.mkdtemp(prefix="ltest-pool-")
        self.addCleanup(shutil.rmtree, target, ignore_errors=True)
        self.virsh("pool-define-as", "ltest-pool", "dir", "--target", target)
        self.addCleanup(self.virsh, "pool-undefine", "ltest-pool", check=False)
        self.assertIn("ltest-pool", self.virsh("pool-list", "--all", "--name").stdout.split())
        # The same pool, seen through libvirtd's own URI: it really is the host's.
        out = subprocess.run(["/usr/bin/virsh", "-c",
                              "storage:///system?socket=" + LIBVIRTD_SOCK, "pool-list", "--all",
                              "--name"], capture_output=True, text=True).stdout
        self.assertIn("ltest-pool", out.split())
        self.virsh("net-list", "--all")
        conn = self.daemon.open()
        self.assertIn("ltest-pool", [p.name() for p in conn.listAllStoragePools()])


if __name__ == "__main__":
    lite_harness.main()
