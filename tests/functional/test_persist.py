"""test_persist.py: definitions are written atomically and survive a daemon crash."""

import os

import lite_harness
from lite_harness import VM_XML, ct_xml, vm_xml, DaemonTestCase


class PersistTest(DaemonTestCase):

    def test_definitions_survive_kill_9(self):
        for i in range(5):
            self.virsh("define", self.write("p%d.xml" % i,
                                            (vm_xml if i % 2 else ct_xml)("ltest-p%d" % i)))
        uuids = {self.virsh("domuuid", "ltest-p%d" % i).stdout.strip() for i in range(5)}
        self.virsh("autostart", "ltest-p1")
        self.daemon.kill9()
        self.daemon.start()
        names = self.virsh("list", "--all", "--name").stdout.split()
        for i in range(5):
            self.assertIn("ltest-p%d" % i, names)
        self.assertEqual({self.virsh("domuuid", "ltest-p%d" % i).stdout.strip()
                          for i in range(5)}, uuids)
        self.assertRegex(self.virsh("dominfo", "ltest-p1").stdout, r"Autostart:\s+enable")

    def test_no_temporary_files_are_left(self):
        self.virsh("define", self.write("t.xml", VM_XML.format(name="ltest-tmp")))
        self.virsh("desc", "ltest-tmp", "--config", "--new-desc", "x")
        leftovers = [f for f in os.listdir(self.daemon.config_dir)
                     if f not in ("autostart",) and not f.endswith(".xml")]
        self.assertEqual(leftovers, [])

    def test_second_daemon_on_same_state_is_refused(self):
        # Two daemons managing one state directory would fight over every launcher.
        other = lite_harness.Daemon(name="ltest-second")
        other.root = self.daemon.root
        with self.assertRaises(RuntimeError):
            other.start(timeout=5)
        other.cleanup()


if __name__ == "__main__":
    lite_harness.main()
