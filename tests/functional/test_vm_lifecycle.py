"""test_vm_lifecycle.py: lite VMs through virsh and python-libvirt on this host's /dev/kvm,
with the freestanding test guest (tests/guests/guest-cpl3.c): it echoes what is typed on its
console and answers 'c' (its counter), 'p' (power off), 'r' (reset through 0xcf9) and
't' (triple fault)."""

import glob
import os
import re
import signal
import time
import unittest

import lite_harness
from lite_harness import Console, DaemonTestCase, LifecycleTestCase


def guest_path():
    return os.path.join(os.environ["VIRT_LITE_BUILD"], "tests/vmm/guest-cpl3")


def vm_xml(name, vcpus=1, on_reboot="restart", on_crash="destroy", cmdline=""):
    return """<domain type='kvm'>
  <name>%s</name>
  <memory unit='MiB'>64</memory>
  <vcpu>%d</vcpu>
  <os>
    <type>hvm</type>
    <kernel>%s</kernel>
    <cmdline>%s</cmdline>
  </os>
  <on_reboot>%s</on_reboot>
  <on_crash>%s</on_crash>
  <devices>
    <console type='pty'/>
  </devices>
</domain>
""" % (name, vcpus, guest_path(), cmdline, on_reboot, on_crash)


def guest_counter(con, attempts=10):
    """The test guest's counter. Input typed before the guest enables its interrupts is
    lost, so ask again until it answers."""
    for _ in range(attempts):
        con.send("c")
        try:
            return int(con.expect(r"count=(\d+) ", timeout=1).group(1))
        except AssertionError:
            continue
    raise AssertionError("the guest never answered 'c'")


def skip_without_kvm():
    if not os.path.exists("/dev/kvm"):
        print("SKIP: no /dev/kvm on this host")
        raise SystemExit(lite_harness.SKIP)


class VMLifecycleTest(LifecycleTestCase):

    def domain_xml(self, name, **kw):
        return vm_xml(name, **kw)

    def launcher_pid(self, name):
        return self.launcher_status(name)[0]

    def counter(self, con):
        return guest_counter(con)

    def test_start_console_both_ways_and_info(self):
        import libvirt
        dom = self.start("ltest-vm-con")
        self.events.wait("ltest-vm-con", libvirt.VIR_DOMAIN_EVENT_STARTED)
        xml = self.virsh("dumpxml", "ltest-vm-con").stdout
        self.assertRegex(xml, r"<console type='pty' tty='/dev/pts/\d+'>")
        self.assertIn("<alias name='serial0'/>", xml)
        con = Console(self.conn, dom)
        con.send("xyz")
        con.expect("xyz")
        a = self.counter(con)
        b = self.counter(con)
        self.assertGreater(b, a)
        con.close()
        info = self.virsh("dominfo", "ltest-vm-con").stdout
        self.assertRegex(info, r"State:\s+running")
        self.assertRegex(info, r"Id:\s+\d+")
        self.assertGreater(dom.info()[4], 0, "no CPU time")
        stats = self.virsh("domstats", "--state", "--cpu-total", "--vcpu", "--balloon",
                           "ltest-vm-con").stdout
        for key in ("state.state=1", "cpu.time=", "vcpu.0.time=", "balloon.current=65536"):
            self.assertIn(key, stats)

    def test_virsh_console_is_interactive(self):
        self.start("ltest-vm-virsh-con")
        import pty
        pid, fd = pty.fork()
        if pid == 0:
            os.execv("/usr/bin/virsh", ["virsh", "-c", self.daemon.uri, "console",
                                        "ltest-vm-virsh-con"])
        try:
            out = b""
            deadline = time.monotonic() + 10
            os.write(fd, b"hello-virsh")
            while b"hello-virsh" not in out and time.monotonic() < deadline:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    break
            self.assertIn(b"hello-virsh", out)
            os.write(fd, b"\x1d")    # ^] ends virsh console
        finally:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
            os.close(fd)

    def test_suspend_really_stops_the_vcpus(self):
        import libvirt
        dom = self.start("ltest-vm-pause")
        con = Console(self.conn, dom)
        # The idle guest counts its wake-ups: about 100 a second, by wall clock.
        c1 = self.counter(con)
        t0 = time.monotonic()
        time.sleep(0.5)
        c2 = self.counter(con)
        t2 = time.monotonic()
        rate = (c2 - c1) / (t2 - t0)
        self.virsh("suspend", "ltest-vm-pause")
        running = time.monotonic() - t2     # the longest it ran between c2 and the pause
        self.assertEqual(self.state("ltest-vm-pause"), "paused (user)")
        self.events.wait("ltest-vm-pause", libvirt.VIR_DOMAIN_EVENT_SUSPENDED)
        t1 = dom.info()[4]
        time.sleep(1.0)
        self.assertEqual(dom.info()[4], t1, "vCPU time advanced while paused")
        t3 = time.monotonic()
        self.virsh("resume", "ltest-vm-pause")
        self.events.wait("ltest-vm-pause", libvirt.VIR_DOMAIN_EVENT_RESUMED)
        c3 = self.counter(con)
        running += time.monotonic() - t3
        # The time it ran accounts for the count; the second paused added nothing (had the
        # vCPU gone on, it would have added about `rate`).
        self.assertLess(c3 - c2, rate * (running + 0.5), "the counter advanced while paused")
        self.assertEqual(self.state("ltest-vm-pause"), "running (unpaused)")

    def test_shutdown_presses_the_power_button(self):
        import libvirt
        self.start("ltest-vm-shutdown")
        t0 = time.monotonic()
        self.virsh("shutdown", "ltest-vm-shutdown")
        self.events.wait("ltest-vm-shutdown", libvirt.VIR_DOMAIN_EVENT_STOPPED,
                         libvirt.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN, since=t0)
        self.assertEqual(self.state("ltest-vm-shutdown"), "shut off (shutdown)")
        self.assertEqual(glob.glob(os.path.join(self.daemon.state_dir, "ltest-vm-shutdown*")),
                         [])

    def test_shutdown_mode_that_vms_lack_is_refused(self):
        import libvirt
        dom = self.start("ltest-vm-mode")
        e = self.assertLibvirtError(libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED, dom.shutdownFlags,
                                    libvirt.VIR_DOMAIN_SHUTDOWN_INITCTL)
        self.assertIn("acpi", str(e))
        self.assertEqual(self.state("ltest-vm-mode"), "running (booted)")

    def test_reboot_keeps_the_domain_running(self):
        import libvirt
        dom = self.start("ltest-vm-reboot")
        domid = dom.ID()
        pid = self.launcher_pid("ltest-vm-reboot")
        t0 = time.monotonic()
        self.virsh("reboot", "ltest-vm-reboot")
        self.events.wait("ltest-vm-reboot", "reboot", since=t0)
        self.assertEqual(dom.ID(), domid)
        self.assertEqual(self.launcher_pid("ltest-vm-reboot"), pid)
        self.assertTrue(dom.isActive())
        con = Console(self.conn, dom)
        self.counter(con)

    def test_guest_initiated_poweroff_and_reset(self):
        import libvirt
        dom = self.start("ltest-vm-guest")
        con = Console(self.conn, dom)
        t0 = time.monotonic()
        con.send("r")
        self.events.wait("ltest-vm-guest", "reboot", since=t0)
        self.assertTrue(dom.isActive())
        con.close()
        con = Console(self.conn, dom, force=True)
        self.counter(con)
        t0 = time.monotonic()
        con.send("p")
        self.events.wait("ltest-vm-guest", libvirt.VIR_DOMAIN_EVENT_STOPPED,
                         libvirt.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN, since=t0)

    def test_on_reboot_destroy(self):
        import libvirt
        dom = self.start("ltest-vm-rbdestroy", on_reboot="destroy")
        con = Console(self.conn, dom)
        self.counter(con)
        t0 = time.monotonic()
        con.send("r")
        self.events.wait("ltest-vm-rbdestroy", libvirt.VIR_DOMAIN_EVENT_STOPPED, since=t0)
        self.assertFalse(dom.isActive())

    def test_triple_fault_per_on_crash(self):
        import libvirt
        dom = self.start("ltest-vm-crash")
        con = Console(self.conn, dom)
        self.counter(con)
        t0 = time.monotonic()
        con.send("t")
        self.events.wait("ltest-vm-crash", libvirt.VIR_DOMAIN_EVENT_STOPPED,
                         libvirt.VIR_DOMAIN_EVENT_STOPPED_CRASHED, since=t0)
        self.assertEqual(self.state("ltest-vm-crash"), "shut off (crashed)")
        dom = self.start("ltest-vm-preserve", on_crash="preserve")
        con = Console(self.conn, dom)
        self.counter(con)
        t0 = time.monotonic()
        con.send("t")
        self.events.wait("ltest-vm-preserve", libvirt.VIR_DOMAIN_EVENT_CRASHED, since=t0)
        self.assertEqual(self.state("ltest-vm-preserve"), "crashed (panicked)")
        self.virsh("destroy", "ltest-vm-preserve")
        self.assertEqual(self.state("ltest-vm-preserve"), "shut off (destroyed)")

    def test_kill_9_of_the_launcher_is_seen_within_100ms(self):
        import libvirt
        self.start("ltest-vm-kill")
        pid = self.launcher_pid("ltest-vm-kill")
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        ev = self.events.wait("ltest-vm-kill", libvirt.VIR_DOMAIN_EVENT_STOPPED,
                              libvirt.VIR_DOMAIN_EVENT_STOPPED_CRASHED, since=t0)
        self.assertLess(ev[0] - t0, 0.1, "the daemon learned of the stop after %.3fs"
                        % (ev[0] - t0))
        self.assertEqual(self.state("ltest-vm-kill"), "shut off (crashed)")
        self.assertEqual(glob.glob(os.path.join(self.daemon.state_dir, "ltest-vm-kill*")), [])
        # And it starts again.
        self.virsh("start", "ltest-vm-kill")

    def test_transient_create(self):
        path = self.write("ltest-vm-create.xml", vm_xml("ltest-vm-create"))
        self.virsh("create", path)
        self.addCleanup(self.virsh, "destroy", "ltest-vm-create", check=False)
        names = self.virsh("list", "--transient", "--name").stdout.split()
        self.assertIn("ltest-vm-create", names)
        self.virsh("destroy", "ltest-vm-create")
        self.assertNotIn("ltest-vm-create", self.virsh("list", "--all", "--name").stdout)

    def test_start_paused_and_errors(self):
        import libvirt
        dom = self.define("ltest-vm-paused")
        dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
        self.assertEqual(self.state("ltest-vm-paused"), "paused (user)")
        self.assertLibvirtError(libvirt.VIR_ERR_OPERATION_INVALID, dom.create)
        self.assertLibvirtError(libvirt.VIR_ERR_OPERATION_INVALID, dom.suspend)
        dom.resume()
        self.assertLibvirtError(libvirt.VIR_ERR_OPERATION_INVALID, dom.resume)
        dom.destroy()
        for fn in (dom.destroy, dom.suspend, dom.resume, dom.shutdown):
            self.assertLibvirtError(libvirt.VIR_ERR_OPERATION_INVALID, fn)
        self.assertLibvirtError(libvirt.VIR_ERR_OPERATION_INVALID, dom.reboot, 0)

    def test_failed_start_leaves_nothing_behind(self):
        import libvirt
        xml = vm_xml("ltest-vm-nokernel").replace(guest_path(), "/nonexistent/vmlinuz")
        self.virsh("define", self.write("nk.xml", xml))
        self.addCleanup(self.virsh, "undefine", "ltest-vm-nokernel", check=False)
        dom = self.conn.lookupByName("ltest-vm-nokernel")
        before = self.daemon.launcher_pids()
        with self.assertRaises(libvirt.libvirtError) as ctx:
            dom.create()
        self.assertIn("/nonexistent/vmlinuz", str(ctx.exception))
        self.assertFalse(dom.isActive())
        self.assertEqual(glob.glob(os.path.join(self.daemon.state_dir, "ltest-vm-nokernel*")),
                         [])
        # The launcher reported its error and exits: give it a moment to be gone.
        deadline = time.monotonic() + 2
        while self.daemon.launcher_pids() != before and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.daemon.launcher_pids(), before)

    def test_bzimage_on_pvm_is_refused_at_once(self):
        import libvirt
        if not os.path.exists("/sys/module/kvm_pvm"):
            raise unittest.SkipTest("this /dev/kvm is not PVM: a bzImage would boot")
        # The smallest file that is a bzImage by its header.
        img = bytearray(8192)
        img[0x1f1] = 1                                   # setup_sects
        img[0x1fe:0x200] = b"\x55\xaa"                   # boot flag
        img[0x202:0x206] = b"HdrS"
        img[0x206:0x208] = (0x020f).to_bytes(2, "little")
        img[0x211] = 0x01                                # LOADED_HIGH
        img[0x236:0x238] = (0x1).to_bytes(2, "little")   # XLF_KERNEL_64
        path = self.write("fake-bzImage", "")
        with open(path, "wb") as f:
            f.write(img)
        xml = vm_xml("ltest-vm-bz").replace(guest_path(), path)
        self.virsh("define", self.write("bz.xml", xml))
        self.addCleanup(self.virsh, "undefine", "ltest-vm-bz", check=False)
        dom = self.conn.lookupByName("ltest-vm-bz")
        t0 = time.monotonic()
        e = self.assertLibvirtError(libvirt.VIR_ERR_CONFIG_UNSUPPORTED, dom.create)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertIn("PVM", str(e))
        self.assertFalse(dom.isActive())


class VMDaemonRestartTest(DaemonTestCase):

    def test_running_vm_survives_daemon_kill_9(self):
        path = self.write("r.xml", vm_xml("ltest-vm-survive"))
        self.virsh("define", path)
        self.virsh("start", "ltest-vm-survive")
        conn = self.daemon.open()
        con = Console(conn, conn.lookupByName("ltest-vm-survive"))
        before = guest_counter(con)
        con.close()
        with open(os.path.join(self.daemon.state_dir, "ltest-vm-survive.xml")) as f:
            pid = int(re.search(r"<launcher pid='(\d+)'", f.read()).group(1))
        domid = self.virsh("domid", "ltest-vm-survive").stdout.strip()
        self.daemon.kill9()
        time.sleep(0.5)
        os.kill(pid, 0)     # the VM runs on without its daemon
        self.daemon.start()
        self.assertEqual(self.virsh("domstate", "ltest-vm-survive").stdout.strip(), "running")
        self.assertEqual(self.virsh("domid", "ltest-vm-survive").stdout.strip(), domid)
        conn = self.daemon.open()
        dom = conn.lookupByName("ltest-vm-survive")
        con = Console(conn, dom)
        after = guest_counter(con)
        self.assertGreater(after, before, "the guest's counter stopped")
        con.close()
        self.virsh("suspend", "ltest-vm-survive")
        self.virsh("resume", "ltest-vm-survive")
        self.virsh("destroy", "ltest-vm-survive")
        self.assertEqual(self.virsh("domstate", "ltest-vm-survive").stdout.strip(), "shut off")

    def test_autostart_at_daemon_start(self):
        self.virsh("define", self.write("a.xml", vm_xml("ltest-vm-auto")))
        self.virsh("autostart", "ltest-vm-auto")
        # As in libvirt, autostart happens once per host boot: a daemon restart alone does
        # not start anything. Removing the marker in /run is what a boot does.
        self.daemon.restart()
        self.assertEqual(self.virsh("domstate", "ltest-vm-auto").stdout.strip(), "shut off")
        os.unlink(os.path.join(self.daemon.state_dir, "autostarted"))
        self.daemon.restart()
        self.assertEqual(self.virsh("domstate", "ltest-vm-auto").stdout.strip(), "running")
        self.virsh("destroy", "ltest-vm-auto")


if __name__ == "__main__":
    skip_without_kvm()
    lite_harness.main()
