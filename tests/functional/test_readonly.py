"""test_readonly.py: a read-only connection can look but every mutating call is refused."""

import lite_harness
from lite_harness import VM_XML, DaemonTestCase


class ReadOnlyTest(DaemonTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        path = cls.daemon.dir + "/ro.xml"
        with open(path, "w") as f:
            f.write(VM_XML.format(name="ltest-ro"))
        cls.daemon.virsh("define", path)
        cls.xml_path = path

    def test_reads_work(self):
        self.assertIn("ltest-ro", self.virsh("list", "--all", ro=True).stdout)
        self.virsh("dominfo", "ltest-ro", ro=True)
        self.virsh("dumpxml", "ltest-ro", ro=True)
        self.virsh("domstate", "ltest-ro", ro=True)
        self.virsh("desc", "ltest-ro", ro=True)

    def test_mutations_are_refused(self):
        import libvirt
        mutations = [
            ("define", self.xml_path),
            ("undefine", "ltest-ro"),
            ("autostart", "ltest-ro"),
            ("desc", "ltest-ro", "--config", "--new-desc", "x"),
            ("metadata", "ltest-ro", "http://example.org/x", "--config", "--key", "x",
             "--set", "<x/>"),
            ("start", "ltest-ro"),
        ]
        for args in mutations:
            res = self.virsh_fails(*args, ro=True)
            self.assertIn("read only", res.stderr.lower().replace("-", " "), args)
        conn = self.daemon.open(ro=True)
        self.assertLibvirtError(libvirt.VIR_ERR_OPERATION_DENIED, conn.defineXML,
                                VM_XML.format(name="ltest-ro2"))
        dom = conn.lookupByName("ltest-ro")
        self.assertLibvirtError(libvirt.VIR_ERR_OPERATION_DENIED, dom.undefine)
        self.assertLibvirtError(libvirt.VIR_ERR_OPERATION_DENIED, dom.setAutostart, 1)
        # Nothing changed.
        self.assertIn("ltest-ro", self.virsh("list", "--all", "--name").stdout)
        self.assertRegex(self.virsh("dominfo", "ltest-ro").stdout, r"Autostart:\s+disable")


if __name__ == "__main__":
    lite_harness.main()
