"""test_abi.py: virtlited refuses a lite module built against another libvirt, naming both."""

import os
import subprocess

import lite_harness
import unittest


class AbiTest(unittest.TestCase):

    def test_module_for_another_libvirt_is_refused(self):
        daemon = lite_harness.Daemon(name="ltest-abi")
        self.addCleanup(daemon.cleanup)
        env = daemon.env()
        env["LIBVIRT_DRIVER_DIR"] = os.path.join(daemon.build, "tests/driver")
        res = subprocess.run([os.path.join(daemon.build, "src/daemon/virtlited"), "-f",
                              daemon.conf, "-p", os.path.join(daemon.dir, "pid")],
                             env=env, capture_output=True, text=True, timeout=30)
        self.assertNotEqual(res.returncode, 0)
        out = res.stdout + res.stderr + daemon.read_log()
        self.assertIn("built against libvirt 9.0.0 (build-id 00000000deadbeef)", out)
        self.assertIn("rebuild and reinstall virt-lite", out)
        self.assertFalse(os.path.exists(os.path.join(daemon.sockdir, "virtlited-sock")))


if __name__ == "__main__":
    lite_harness.main()
