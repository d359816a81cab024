"""test_ct_systems.py: containers that behave like whole servers, through virsh: Debian's
systemd as PID 1 (login on the console, clean poweroff and reboot), a user-namespace
container, and <interface type='network'> resolved through the host's libvirtd."""

import os
import re
import shutil
import subprocess
import tempfile
import time

import lite_harness
from lite_harness import Console, LifecycleTestCase

# TEST IMAGE ONLY: tests/images/rootfs-debian.sh sets this root password.
DEBIAN_PASSWORD = "virt-lite"
rootfs = lite_harness.rootfs
ct_xml = lite_harness.ct_xml


def shell(con, cmd, timeout=30):
    """Runs @cmd in a logged-in shell; returns (rc, output)."""
    marker = "@@RC=$?@@"
    con.send('%s; echo "@@""RC=$?@@"\r' % cmd)
    m = con.expect(r"(?s)\n(.*?)@@RC=(\d+)@@", timeout=timeout)
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", m.group(1).decode(errors="replace"))
    del marker
    return int(m.group(2)), text.replace("\r", "")


def login(con, timeout=90):
    con.send("\r")
    con.expect(r"login: $", timeout=timeout)
    con.send("root\r")
    con.expect(r"Password: $", timeout=15)
    con.send(DEBIAN_PASSWORD + "\r")
    con.expect(r"# $", timeout=15)


class DebianContainerTest(LifecycleTestCase):

    def domain_xml(self, name, **kw):
        return ct_xml(name, **kw)

    def test_systemd_boots_logs_in_and_powers_off(self):
        import libvirt
        root = rootfs("debian")
        dom = self.start("ltest-ct-debian", root=root)
        con = Console(self.conn, dom)
        login(con)
        rc, out = shell(con, "hostname")
        self.assertEqual((rc, out.strip().splitlines()[-1]), (0, "ltest-ct-debian"))
        # systemd settles within seconds; "running" means no failed units.
        deadline = time.monotonic() + 60
        while True:
            rc, out = shell(con, "systemctl is-system-running")
            state = out.strip().splitlines()[-1] if out.strip() else ""
            if state not in ("starting", "initializing") or time.monotonic() > deadline:
                break
            time.sleep(1)
        if state != "running":
            _, failed = shell(con, "systemctl --failed --no-legend")
            self.fail("systemd is %r; failed units:\n%s" % (state, failed))
        con.close()
        t0 = time.monotonic()
        self.virsh("reboot", "ltest-ct-debian")
        self.events.wait("ltest-ct-debian", "reboot", since=t0, timeout=60)
        con = Console(self.conn, dom, force=True)
        login(con)
        con.close()
        t0 = time.monotonic()
        self.virsh("shutdown", "ltest-ct-debian")
        self.events.wait("ltest-ct-debian", libvirt.VIR_DOMAIN_EVENT_STOPPED,
                         libvirt.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN, since=t0, timeout=30)
        self.assertLess(time.monotonic() - t0, 10, "systemd took too long to power off")


class IdmapContainerTest(LifecycleTestCase):

    def domain_xml(self, name, **kw):
        return ct_xml(name, **kw)

    def grant_subids(self, start, count):
        """Gives root the range in /etc/subuid and /etc/subgid for this test: lite-ns maps
        only ranges the admin delegated there. The files are restored afterwards."""
        for path in ("/etc/subuid", "/etc/subgid"):
            old = None
            if os.path.exists(path):
                with open(path) as f:
                    old = f.read()

            def restore(path=path, old=old):
                if old is None:
                    os.unlink(path)
                else:
                    with open(path, "w") as f:
                        f.write(old)
            self.addCleanup(restore)
            with open(path, "a") as f:
                f.write("root:%d:%d\n" % (start, count))

    def test_container_root_is_an_unprivileged_host_user(self):
        start = 1879048192 + 65536 * (os.getpid() % 256)
        self.grant_subids(start, 65536)
        base = rootfs("busybox")
        # A private copy owned by the mapped range, as an admin would prepare it.
        tmp = tempfile.mkdtemp(prefix="ltest-idmap-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        # The mapped root must be able to reach its own root (mkdtemp makes 0700).
        os.chmod(tmp, 0o755)
        root = os.path.join(tmp, "root")
        subprocess.run(["cp", "-a", base, root], check=True)
        subprocess.run(["chown", "-R", "%d:%d" % (start, start), root], check=True)
        idmap = """  <idmap>
    <uid start='0' target='%d' count='65536'/>
    <gid start='0' target='%d' count='65536'/>
  </idmap>""" % (start, start)
        dom = self.start("ltest-ct-idmap", root=root, memory_mib=128, extra=idmap)
        _, init, _ = self.launcher_status("ltest-ct-idmap")
        with open("/proc/%d/status" % init) as f:
            uids = re.search(r"Uid:\s+(\d+)", f.read()).group(1)
        self.assertEqual(int(uids), start, "container root is not host uid %d" % start)
        with open("/proc/%d/uid_map" % init) as f:
            self.assertEqual(f.read().split(), ["0", str(start), "65536"])
        con = Console(self.conn, dom)
        for _ in range(20):
            con.send("ping\n")
            try:
                con.expect("pong", timeout=0.5)
                break
            except AssertionError:
                continue
        con.send("run 1 id -u && touch /root/ok\n")
        m = con.expect(r"(?s)(.*?)done 1 rc=(\d+)", timeout=10)
        self.assertEqual(m.group(2), b"0")
        self.assertEqual(os.stat(os.path.join(root, "root/ok")).st_uid, start)


class NetworkInterfaceTest(LifecycleTestCase):
    """<interface type='network'> asks the host's libvirtd for the network's bridge."""

    def domain_xml(self, name, **kw):
        return ct_xml(name, **kw)

    def test_network_resolves_to_its_bridge(self):
        import libvirt
        lite_harness.start_libvirtd(self, drivers=("network",))
        bridge = "ltestnet%d" % (os.getpid() % 1000)
        net = self.write("net.xml", """<network>
  <name>ltest-net</name>
  <bridge name='%s' stp='off'/>
</network>""" % bridge)
        self.virsh("net-create", net)
        self.addCleanup(self.virsh, "net-destroy", "ltest-net", check=False)
        host_end = "vltnet%d" % (os.getpid() % 1000)
        iface = """    <interface type='network'>
      <mac address='52:54:00:77:00:05'/>
      <source network='ltest-net'/>
      <target dev='%s'/>
    </interface>""" % host_end
        self.start("ltest-ct-netif", root=rootfs("busybox"), memory_mib=128, devices=iface)
        master = os.path.realpath("/sys/class/net/%s/master" % host_end)
        self.assertEqual(os.path.basename(master), bridge)
        # A network that does not exist: a clear error, nothing started.
        bad = iface.replace("ltest-net'", "ltest-nonet'").replace(host_end, host_end + "x")
        dom = self.define("ltest-ct-nonet", root=rootfs("busybox"), devices=bad)
        e = self.assertLibvirtError(libvirt.VIR_ERR_NO_NETWORK, dom.create)
        self.assertIn("ltest-nonet", str(e))
        self.assertFalse(dom.isActive())


if __name__ == "__main__":
    lite_harness.main()
