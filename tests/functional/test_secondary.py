"""test_secondary.py: pool-list and net-list on lite:///system show the host libvirtd's pools
and networks, and say clearly when libvirtd is not there."""

import os
import shutil
import subprocess
import tempfile
import unittest

import lite_harness
from lite_harness import LIBVIRTD, LIBVIRTD_SOCK, DaemonTestCase


class SecondaryDriversTest(DaemonTestCase):

    def test_pools_and_networks_through_libvirtd(self):
        if not os.path.exists(LIBVIRTD):
            raise unittest.SkipTest("libvirtd is not installed (package libvirt-daemon)")
        if not os.path.exists(LIBVIRTD_SOCK):
            # No libvirtd: the error names the socket it needs.
            res = self.virsh_fails("pool-list", "--all")
            self.assertIn(LIBVIRTD_SOCK, res.stderr)
            res = self.virsh_fails("net-list", "--all")
            self.assertIn(LIBVIRTD_SOCK, res.stderr)
            lite_harness.start_libvirtd(self)
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
