"""test_ct_lifecycle.py: lite containers through virsh and python-libvirt, on the busybox
root filesystem (tests/images/rootfs-busybox.sh) whose init (tests/ns/ct-init.c) answers
'ping' with 'pong' and 'run ID CMD' with the command's output and 'done ID rc=N'."""

import glob
import os
import signal
import subprocess
import time
import unittest

import lite_harness
from lite_harness import Console, DaemonTestCase, LifecycleTestCase

ROOTFS = None


def ct_xml(name, memory_mib=128, extra_devices="", root=None, extra=""):
    return lite_harness.ct_xml(name, root or ROOTFS, memory_mib, extra, extra_devices)


def ping(con, attempts=20):
    """Input typed before init reads its console may be lost: ask until it answers."""
    for _ in range(attempts):
        con.send("ping\n")
        try:
            con.expect("pong", timeout=0.5)
            return
        except AssertionError:
            continue
    raise AssertionError("the container's init never answered ping")


def run(con, cmd, ident="1", timeout=10):
    con.send("run %s %s\n" % (ident, cmd))
    m = con.expect(r"(?s)(.*?)done %s rc=(\d+)" % ident, timeout=timeout)
    return m.group(1).decode(errors="replace"), int(m.group(2))


class CTLifecycleTest(LifecycleTestCase):

    def domain_xml(self, name, **kw):
        return ct_xml(name, **kw)

    def status(self, name):
        return self.launcher_status(name)

    def cgroup_dirs(self, cgroup):
        return [d for d in glob.glob("/sys/fs/cgroup/*" + cgroup) +
                glob.glob("/sys/fs/cgroup" + cgroup) if os.path.isdir(d)]

    def test_start_console_and_resources(self):
        import libvirt
        dom = self.start("ltest-ct-basic", memory_mib=96)
        self.events.wait("ltest-ct-basic", libvirt.VIR_DOMAIN_EVENT_STARTED)
        con = Console(self.conn, dom)
        ping(con)
        out, rc = run(con, "hostname")
        self.assertEqual((out.strip(), rc), ("ltest-ct-basic", 0))
        out, rc = run(con, "cat /proc/1/cmdline", "2")
        self.assertIn("/sbin/init", out)
        _, _, cgroup = self.status("ltest-ct-basic")
        limits = glob.glob("/sys/fs/cgroup/memory%s/memory.limit_in_bytes" % cgroup) + \
            glob.glob("/sys/fs/cgroup%s/memory.max" % cgroup)
        self.assertTrue(limits, "no memory cgroup for %s" % cgroup)
        with open(limits[0]) as f:
            self.assertEqual(int(f.read()), 96 * 1024 * 1024)
        info = dom.info()
        self.assertEqual(info[0], libvirt.VIR_DOMAIN_RUNNING)
        self.assertGreater(info[2], 0, "no memory use reported")
        self.assertLess(info[2], 96 * 1024)
        stats = self.virsh("domstats", "--state", "--cpu-total", "--balloon",
                           "ltest-ct-basic").stdout
        self.assertIn("cpu.time=", stats)
        self.assertRegex(self.virsh("dumpxml", "ltest-ct-basic").stdout,
                         r"<console type='pty' tty='/dev/pts/\d+'>")

    def test_suspend_freezes_the_processes(self):
        import libvirt
        dom = self.start("ltest-ct-pause")
        con = Console(self.conn, dom)
        ping(con)
        self.virsh("suspend", "ltest-ct-pause")
        self.assertEqual(self.state("ltest-ct-pause"), "paused (user)")
        t1 = dom.info()[4]
        con.send("ping\n")
        with self.assertRaises(AssertionError):
            con.expect("pong", timeout=1.0)
        self.assertEqual(dom.info()[4], t1, "CPU time advanced while frozen")
        self.virsh("resume", "ltest-ct-pause")
        con.expect("pong", timeout=5)
        self.assertEqual(self.state("ltest-ct-pause"), "running (unpaused)")

    def test_shutdown_and_modes(self):
        import libvirt
        for mode in (None, "signal"):
            name = "ltest-ct-down-%s" % (mode or "default")
            dom = self.start(name)
            con = Console(self.conn, dom)
            ping(con)
            t0 = time.monotonic()
            self.virsh("shutdown", name, *(["--mode", mode] if mode else []))
            self.events.wait(name, libvirt.VIR_DOMAIN_EVENT_STOPPED,
                             libvirt.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN, since=t0)
            self.assertEqual(self.state(name), "shut off (shutdown)")
        dom = self.start("ltest-ct-acpi")
        self.assertLibvirtError(libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, dom.shutdownFlags,
                                libvirt.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN)

    def test_reboot_restarts_init_in_the_same_supervisor(self):
        dom = self.start("ltest-ct-reboot")
        con = Console(self.conn, dom)
        ping(con)
        pid, init1, _ = self.status("ltest-ct-reboot")
        domid = dom.ID()
        t0 = time.monotonic()
        self.virsh("reboot", "ltest-ct-reboot")
        self.events.wait("ltest-ct-reboot", "reboot", since=t0)
        self.assertTrue(dom.isActive())
        self.assertEqual(dom.ID(), domid)
        con = Console(self.conn, dom, force=True)
        ping(con)
        pid2, init2, _ = self.status("ltest-ct-reboot")
        self.assertEqual(pid2, pid)
        self.assertNotEqual(init2, init1)

    def test_init_exit_and_poweroff_from_inside(self):
        import libvirt
        dom = self.start("ltest-ct-exit")
        con = Console(self.conn, dom)
        ping(con)
        t0 = time.monotonic()
        con.send("poweroff\n")
        self.events.wait("ltest-ct-exit", libvirt.VIR_DOMAIN_EVENT_STOPPED,
                         libvirt.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN, since=t0)

    def test_kill_9_of_the_supervisor(self):
        import libvirt
        dom = self.start("ltest-ct-kill")
        con = Console(self.conn, dom)
        ping(con)
        pid, init, cgroup = self.status("ltest-ct-kill")
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        ev = self.events.wait("ltest-ct-kill", libvirt.VIR_DOMAIN_EVENT_STOPPED,
                              libvirt.VIR_DOMAIN_EVENT_STOPPED_CRASHED, since=t0)
        self.assertLess(ev[0] - t0, 0.1, "learned of the stop after %.3fs" % (ev[0] - t0))
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and \
                (os.path.exists("/proc/%d" % init) or self.cgroup_dirs(cgroup)):
            time.sleep(0.05)
        self.assertFalse(os.path.exists("/proc/%d/cmdline" % init) and
                         open("/proc/%d/cmdline" % init).read(), "the container's init lives on")
        self.assertEqual(self.cgroup_dirs(cgroup), [])
        self.assertEqual(glob.glob(os.path.join(self.daemon.state_dir, "ltest-ct-kill*")), [])
        self.virsh("start", "ltest-ct-kill")

    def test_bad_root_fails_cleanly(self):
        import libvirt
        before = set(os.listdir("/sys/class/net"))
        dom = self.define("ltest-ct-noroot", root="/nonexistent/ltest-root")
        with self.assertRaises(libvirt.libvirtError) as ctx:
            dom.create()
        self.assertIn("/nonexistent/ltest-root", str(ctx.exception))
        self.assertFalse(dom.isActive())
        self.assertEqual(glob.glob(os.path.join(self.daemon.state_dir, "ltest-ct-noroot*")), [])
        self.assertEqual(glob.glob("/sys/fs/cgroup/*/machine/ltest-ct-noroot*"), [])
        self.assertEqual(set(os.listdir("/sys/class/net")), before)

    def test_bridge_network_and_interface_stats(self):
        br = "ltestbr%d" % (os.getpid() % 1000)
        subprocess.run(["ip", "link", "add", br, "type", "bridge"], check=True)
        self.addCleanup(subprocess.run, ["ip", "link", "del", br])
        subprocess.run(["ip", "addr", "add", "10.251.77.1/24", "dev", br], check=True)
        subprocess.run(["ip", "link", "set", br, "up"], check=True)
        host_end = "vltest%d" % (os.getpid() % 1000)
        dom = self.start("ltest-ct-net", extra_devices="""
    <interface type='bridge'>
      <mac address='52:54:00:77:00:02'/>
      <source bridge='%s'/>
      <target dev='%s'/>
    </interface>""" % (br, host_end))
        con = Console(self.conn, dom)
        ping(con)
        out, rc = run(con, "cat /sys/class/net/eth0/address")
        self.assertEqual(out.strip(), "52:54:00:77:00:02")
        _, rc = run(con, "ip addr add 10.251.77.2/24 dev eth0 && ip link set eth0 up && "
                         "ping -c 2 -W 2 10.251.77.1", "2", timeout=20)
        self.assertEqual(rc, 0, "the container cannot ping the host")
        st = self.virsh("domifstat", "ltest-ct-net", host_end).stdout
        self.assertRegex(st, r"rx_bytes (\d{2,})")
        self.assertRegex(st, r"tx_bytes (\d{2,})")
        self.assertTrue(os.path.exists("/sys/class/net/" + host_end))
        self.virsh("destroy", "ltest-ct-net")
        deadline = time.monotonic() + 5
        while os.path.exists("/sys/class/net/" + host_end) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(os.path.exists("/sys/class/net/" + host_end))


class CTDaemonRestartTest(DaemonTestCase):

    def test_running_container_survives_daemon_kill_9(self):
        self.virsh("define", self.write("r.xml", ct_xml("ltest-ct-survive")))
        self.virsh("start", "ltest-ct-survive")
        self.daemon.kill9()
        time.sleep(0.3)
        self.daemon.start()
        self.assertEqual(self.virsh("domstate", "ltest-ct-survive").stdout.strip(), "running")
        conn = self.daemon.open()
        dom = conn.lookupByName("ltest-ct-survive")
        con = Console(conn, dom)
        ping(con)
        con.close()
        self.virsh("suspend", "ltest-ct-survive")
        self.virsh("resume", "ltest-ct-survive")
        self.virsh("destroy", "ltest-ct-survive")
        self.assertEqual(self.virsh("domstate", "ltest-ct-survive").stdout.strip(), "shut off")


if __name__ == "__main__":
    lite_harness.skip_unless_root_and_libvirt()
    try:
        ROOTFS = lite_harness.rootfs("busybox")
    except unittest.SkipTest as e:
        print("SKIP: %s" % e)
        raise SystemExit(lite_harness.SKIP)
    lite_harness.main()
