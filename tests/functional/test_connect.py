"""test_connect.py: the connection and host calls virsh, virt-manager and python-libvirt make
first, on a read-write and a read-only connection."""

import socket
import xml.etree.ElementTree as ET

import lite_harness
from lite_harness import DaemonTestCase


class ConnectTest(DaemonTestCase):

    def test_version_reports_lite_and_project_version(self):
        out = self.virsh("version").stdout
        self.assertIn("Using API: LITE", out)
        self.assertIn("Running hypervisor: LITE 0.1.0", out)
        conn = self.daemon.open()
        self.assertEqual(conn.getType(), "LITE")
        self.assertEqual(conn.getVersion(), 1000)

    def test_uri_and_hostname(self):
        self.assertEqual(self.virsh("uri").stdout.strip(), self.daemon.uri)
        self.assertEqual(self.virsh("hostname").stdout.strip(), socket.gethostname())

    def test_sysinfo_is_smbios_xml(self):
        root = ET.fromstring(self.virsh("sysinfo").stdout)
        self.assertEqual(root.tag, "sysinfo")
        self.assertEqual(root.get("type"), "smbios")
        self.assertTrue(len(root) > 0, "sysinfo has no entries")

    def test_nodeinfo_matches_host(self):
        info = self.daemon.open(ro=True).getInfo()
        self.assertEqual(info[0], "x86_64")
        with open("/proc/cpuinfo") as f:
            cpus = sum(1 for line in f if line.startswith("processor"))
        self.assertEqual(info[2], cpus)
        self.assertGreater(info[1], 0)
        out = self.virsh("nodeinfo").stdout
        self.assertRegex(out, r"CPU\(s\):\s+%d" % cpus)

    def test_node_statistics(self):
        self.assertRegex(self.virsh("nodememstats").stdout, r"total\s*:\s*\d+ KiB")
        self.assertRegex(self.virsh("nodecpustats").stdout, r"user:\s+\d+")
        self.assertRegex(self.virsh("nodecpumap").stdout, r"CPUs online:\s+\d+")
        self.assertRegex(self.virsh("freecell").stdout, r"\d+ KiB")
        conn = self.daemon.open(ro=True)
        self.assertGreater(conn.getFreeMemory(), 0)
        self.assertGreater(len(conn.getCellsFreeMemory(0, 1)), 0)

    def test_capabilities_list_vm_and_container_guests(self):
        root = ET.fromstring(self.virsh("capabilities").stdout)
        self.assertEqual(root.findtext("host/cpu/arch"), "x86_64")
        guests = {g.findtext("os_type"): g for g in root.findall("guest")}
        self.assertIn("hvm", guests)
        self.assertIn("exe", guests)
        hvm = guests["hvm"].find("arch")
        self.assertEqual(hvm.get("name"), "x86_64")
        self.assertEqual(hvm.findtext("emulator").split("/")[-1], "lite-vmm")
        self.assertEqual([d.get("type") for d in hvm.findall("domain")], ["kvm"])
        exe = guests["exe"].find("arch")
        self.assertEqual(exe.findtext("emulator").split("/")[-1], "lite-ns")
        self.assertEqual([d.get("type") for d in exe.findall("domain")], ["lxc"])

    def test_domcapabilities_defaults_to_kvm(self):
        # virt-manager probes with no arguments at all.
        root = ET.fromstring(self.daemon.open().getDomainCapabilities())
        self.assertEqual(root.findtext("domain"), "kvm")
        self.assertEqual(root.findtext("path").split("/")[-1], "lite-vmm")
        self.assertEqual(root.find("devices/graphics").get("supported"), "no")
        root = ET.fromstring(self.virsh("domcapabilities").stdout)
        self.assertEqual(root.findtext("domain"), "kvm")

    def test_domcapabilities_tell_what_lite_vmm_found(self):
        import os
        import subprocess
        vmm = os.path.join(self.daemon.libexec, "lite-vmm")
        probe = subprocess.run([vmm, "--probe"], capture_output=True, text=True).stdout
        root = ET.fromstring(self.virsh("domcapabilities").stdout)
        if probe.startswith("ok "):
            want = dict(kv.split("=", 1) for kv in probe.split()[1:])
            self.assertEqual(root.find("os").get("supported"), "yes")
            self.assertEqual(root.find("vcpu").get("max"), want["max-vcpus"])
        else:
            self.assertEqual(root.find("os").get("supported"), "no")

    def test_domcapabilities_for_containers(self):
        root = ET.fromstring(self.virsh("domcapabilities", "--virttype", "lxc").stdout)
        self.assertEqual(root.findtext("domain"), "lxc")
        self.assertEqual(root.findtext("path").split("/")[-1], "lite-ns")
        self.assertEqual(root.find("devices/filesystem").get("supported"), "yes")

    def test_domcapabilities_rejects_what_does_not_exist(self):
        import libvirt
        conn = self.daemon.open()
        e = self.assertLibvirtError(libvirt.VIR_ERR_INVALID_ARG, conn.getDomainCapabilities,
                                    None, None, None, "qemu")
        self.assertIn("use kvm", str(e))
        self.assertLibvirtError(libvirt.VIR_ERR_INVALID_ARG, conn.getDomainCapabilities,
                                None, "aarch64", None, "kvm")
        self.assertLibvirtError(libvirt.VIR_ERR_INVALID_ARG, conn.getDomainCapabilities,
                                None, None, "pc-q35-7.2", "kvm")
        self.assertLibvirtError(libvirt.VIR_ERR_INVALID_ARG, conn.getDomainCapabilities,
                                "/usr/bin/qemu-system-x86_64", None, None, None)

    def test_max_vcpus(self):
        conn = self.daemon.open(ro=True)
        self.assertGreaterEqual(conn.getMaxVcpus("kvm"), 1)
        self.assertGreaterEqual(conn.getMaxVcpus("lxc"), 1)

    def test_read_only_connection_reads(self):
        for cmd in (["version"], ["nodeinfo"], ["capabilities"], ["list", "--all"],
                    ["sysinfo"], ["hostname"], ["nodememstats"], ["nodecpumap"]):
            self.virsh(*cmd, ro=True)
        # libvirt itself reserves domain capabilities for read-write connections.
        self.virsh_fails("domcapabilities", ro=True, contains="read only")

    def test_wrong_uri_path_is_refused(self):
        import libvirt
        uri = self.daemon.uri.replace("/system?", "/session?")
        with self.assertRaises(libvirt.libvirtError) as ctx:
            libvirt.open(uri)
        self.assertIn("lite:///system", str(ctx.exception))


if __name__ == "__main__":
    lite_harness.main()
