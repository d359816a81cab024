"""test_define.py: defining, inspecting and undefining VMs and containers through virsh and
python-libvirt, with libvirt's error codes for what is missing or invalid."""

import os
import xml.etree.ElementTree as ET

import lite_harness
from lite_harness import VM_XML, ct_xml, vm_xml, DaemonTestCase


class DefineTest(DaemonTestCase):

    def define(self, make_xml, name):
        path = self.write(name + ".xml", make_xml(name))
        self.virsh("define", path)
        self.addCleanup(self.virsh, "undefine", name, check=False)
        return path

    def names(self, *flags):
        return sorted(self.virsh("list", "--name", *flags).stdout.split())

    def test_define_vm_and_container_round_trip(self):
        self.define(vm_xml, "ltest-vm1")
        self.define(ct_xml, "ltest-ct1")
        vm = ET.fromstring(self.virsh("dumpxml", "ltest-vm1").stdout)
        self.assertEqual(vm.get("type"), "kvm")
        self.assertEqual(vm.findtext("os/type"), "hvm")
        self.assertEqual(vm.findtext("os/kernel"), "/var/lib/virt-lite/demo/test-guest.elf")
        self.assertEqual(vm.findtext("memory"), "65536")
        self.assertEqual(vm.find("devices/console").get("type"), "pty")
        ct = ET.fromstring(self.virsh("dumpxml", "ltest-ct1").stdout)
        self.assertEqual(ct.get("type"), "lxc")
        self.assertEqual(ct.findtext("os/init"), "/sbin/init")
        self.assertEqual(ct.find("devices/console/target").get("type"), "lxc")
        # What dumpxml shows defines again unchanged: the way users copy domains.
        again = self.write("again.xml", self.virsh("dumpxml", "ltest-vm1").stdout)
        self.virsh("define", again)
        with open(again) as f:
            self.assertEqual(self.virsh("dumpxml", "ltest-vm1").stdout, f.read())
        self.assertTrue(os.path.exists(os.path.join(self.daemon.config_dir, "ltest-vm1.xml")))

    def test_list_filters(self):
        self.define(vm_xml, "ltest-list1")
        self.assertIn("ltest-list1", self.names("--all"))
        self.assertIn("ltest-list1", self.names("--inactive"))
        self.assertIn("ltest-list1", self.names("--all", "--persistent"))
        self.assertNotIn("ltest-list1", self.names("--all", "--transient"))
        self.assertNotIn("ltest-list1", self.names())
        conn = self.daemon.open()
        self.assertIn("ltest-list1", [d.name() for d in conn.listAllDomains()])
        self.assertIn("ltest-list1", conn.listDefinedDomains())

    def test_info_state_identity(self):
        self.define(vm_xml, "ltest-info")
        info = self.virsh("dominfo", "ltest-info").stdout
        self.assertRegex(info, r"State:\s+shut off")
        self.assertRegex(info, r"Max memory:\s+65536 KiB")
        self.assertRegex(info, r"CPU\(s\):\s+1")
        self.assertRegex(info, r"OS Type:\s+hvm")
        self.assertRegex(info, r"Persistent:\s+yes")
        self.assertEqual(self.virsh("domstate", "ltest-info").stdout.strip(), "shut off")
        uuid = self.virsh("domuuid", "ltest-info").stdout.strip()
        self.assertEqual(self.virsh("domname", uuid).stdout.strip(), "ltest-info")
        self.assertEqual(self.virsh("domid", "ltest-info").stdout.strip(), "-")
        conn = self.daemon.open()
        dom = conn.lookupByUUIDString(uuid)
        self.assertEqual(dom.name(), "ltest-info")
        self.assertEqual(dom.OSType(), "hvm")
        self.assertEqual(dom.maxMemory(), 65536)
        self.assertEqual(dom.vcpusFlags(0), 1)
        self.assertFalse(dom.isActive())
        self.assertTrue(dom.isPersistent())

    def test_missing_domain_is_no_domain(self):
        import libvirt
        conn = self.daemon.open()
        self.assertLibvirtError(libvirt.VIR_ERR_NO_DOMAIN, conn.lookupByName, "ltest-nope")
        self.assertLibvirtError(libvirt.VIR_ERR_NO_DOMAIN, conn.lookupByUUIDString,
                                "00000000-0000-4000-8000-000000000000")
        self.assertLibvirtError(libvirt.VIR_ERR_NO_DOMAIN, conn.lookupByID, 4242)
        self.virsh_fails("dominfo", "ltest-nope", contains="failed to get domain")

    def test_unsupported_xml_is_refused_and_nothing_is_defined(self):
        import libvirt
        before = sorted(os.listdir(self.daemon.config_dir))
        xml = VM_XML.format(name="ltest-vnc").replace(
            "<console type='pty'/>", "<graphics type='vnc'/>")
        conn = self.daemon.open()
        e = self.assertLibvirtError(libvirt.VIR_ERR_CONFIG_UNSUPPORTED, conn.defineXML, xml)
        self.assertIn("<devices><graphics type='vnc'>", str(e))
        self.assertIn("--graphics none", str(e))
        self.assertNotIn("ltest-vnc", self.names("--all"))
        self.assertEqual(sorted(os.listdir(self.daemon.config_dir)), before)
        res = self.virsh_fails("define", self.write("vnc.xml", xml))
        self.assertIn("unsupported configuration", res.stderr)

    def test_malformed_and_foreign_xml(self):
        import libvirt
        conn = self.daemon.open()
        # libvirt's parser reports malformed XML as an XML detail error.
        self.assertLibvirtError(libvirt.VIR_ERR_XML_DETAIL, conn.defineXML, "<domain")
        xen = VM_XML.format(name="ltest-xen").replace("type='kvm'", "type='xen'")
        e = self.assertLibvirtError(libvirt.VIR_ERR_CONFIG_UNSUPPORTED, conn.defineXML, xen)
        self.assertIn("type='kvm'", str(e))

    def test_same_name_other_uuid_is_refused(self):
        import libvirt
        self.define(vm_xml, "ltest-dup")
        xml = VM_XML.format(name="ltest-dup").replace(
            "<name>", "<uuid>11111111-2222-4333-8444-555555555555</uuid><name>")
        self.assertLibvirtError(libvirt.VIR_ERR_OPERATION_FAILED, self.daemon.open().defineXML,
                                xml)

    def test_redefine_updates(self):
        self.define(vm_xml, "ltest-upd")
        uuid = self.virsh("domuuid", "ltest-upd").stdout.strip()
        xml = VM_XML.format(name="ltest-upd").replace("<vcpu>1</vcpu>", "<vcpu>2</vcpu>")
        xml = xml.replace("<name>", "<uuid>%s</uuid><name>" % uuid)
        self.virsh("define", self.write("upd.xml", xml))
        self.assertRegex(self.virsh("dominfo", "ltest-upd").stdout, r"CPU\(s\):\s+2")

    def test_undefine_removes_config(self):
        self.define(ct_xml, "ltest-undef")
        self.virsh("undefine", "ltest-undef")
        self.assertNotIn("ltest-undef", self.names("--all"))
        self.assertFalse(os.path.exists(os.path.join(self.daemon.config_dir,
                                                     "ltest-undef.xml")))
        self.virsh_fails("undefine", "ltest-undef")

    def test_dumpxml_flags(self):
        self.define(vm_xml, "ltest-flags")
        inactive = ET.fromstring(self.virsh("dumpxml", "--inactive", "ltest-flags").stdout)
        self.assertEqual(inactive.findtext("name"), "ltest-flags")
        secure = ET.fromstring(self.virsh("dumpxml", "--security-info", "ltest-flags").stdout)
        self.assertEqual(secure.findtext("name"), "ltest-flags")
        # Secure XML is for read-write connections only.
        self.virsh_fails("dumpxml", "--security-info", "ltest-flags", ro=True)
        self.virsh("dumpxml", "ltest-flags", ro=True)

    def test_autostart_is_persisted(self):
        self.define(vm_xml, "ltest-auto")
        self.virsh("autostart", "ltest-auto")
        link = os.path.join(self.daemon.config_dir, "autostart", "ltest-auto.xml")
        self.assertTrue(os.path.islink(link))
        self.assertRegex(self.virsh("dominfo", "ltest-auto").stdout, r"Autostart:\s+enable")
        self.assertIn("ltest-auto", self.names("--all", "--autostart"))
        self.daemon.restart()
        self.assertRegex(self.virsh("dominfo", "ltest-auto").stdout, r"Autostart:\s+enable")
        self.virsh("autostart", "--disable", "ltest-auto")
        self.assertFalse(os.path.lexists(link))
        self.assertRegex(self.virsh("dominfo", "ltest-auto").stdout, r"Autostart:\s+disable")
        self.daemon.restart()
        self.assertRegex(self.virsh("dominfo", "ltest-auto").stdout, r"Autostart:\s+disable")

    def test_description_title_and_metadata(self):
        import libvirt
        self.define(ct_xml, "ltest-meta")
        self.virsh("desc", "ltest-meta", "--config", "--new-desc", "a test container")
        self.assertEqual(self.virsh("desc", "ltest-meta").stdout.strip(), "a test container")
        self.virsh("desc", "ltest-meta", "--config", "--title", "--new-desc", "Test CT")
        self.assertEqual(self.virsh("desc", "ltest-meta", "--title").stdout.strip(), "Test CT")
        self.assertIn("Test CT", self.virsh("list", "--all", "--title").stdout)
        self.virsh("metadata", "ltest-meta", "http://example.org/app", "--config",
                   "--key", "app", "--set", "<tag>blue</tag>")
        got = self.virsh("metadata", "ltest-meta", "http://example.org/app").stdout
        self.assertIn("<tag>blue</tag>", got)
        dom = self.daemon.open().lookupByName("ltest-meta")
        self.assertIn("blue", dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT,
                                           "http://example.org/app"))
        # Stored with the definition, so it survives the daemon.
        self.daemon.restart()
        self.assertEqual(self.virsh("desc", "ltest-meta").stdout.strip(), "a test container")
        self.assertIn("<tag>blue</tag>",
                      self.virsh("metadata", "ltest-meta", "http://example.org/app").stdout)

    def test_actions_on_inactive_domains(self):
        import libvirt
        self.define(vm_xml, "ltest-inactive")
        dom = self.daemon.open().lookupByName("ltest-inactive")
        self.assertEqual(dom.state(), [libvirt.VIR_DOMAIN_SHUTOFF, 0])


if __name__ == "__main__":
    lite_harness.main()
