"""lite_harness.py: a private virtlited for functional tests, driven by the real virsh and
python-libvirt. Every instance has its own sockets and state under a temporary directory, so
tests run beside a system instance without touching it."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SKIP = 77


def skip_unless_root_and_libvirt():
    """Functional tests need root (the driver refuses to run unprivileged) and the Debian
    python3-libvirt bindings; without them the suite skips with the reason."""
    if os.geteuid() != 0:
        print("SKIP: functional tests need root (virtlited's lite driver runs only as root)")
        sys.exit(SKIP)
    try:
        import libvirt  # noqa: F401
    except ImportError:
        print("SKIP: python3-libvirt is not installed for %s" % sys.executable)
        sys.exit(SKIP)


class Daemon:
    """A virtlited process with its own socket directory and VIRT_LITE_ROOT."""

    def __init__(self, build=None, name="ltest"):
        self.build = build or os.environ["VIRT_LITE_BUILD"]
        self.dir = tempfile.mkdtemp(prefix="%s-virtlited-" % name)
        self.sockdir = os.path.join(self.dir, "sock")
        self.root = os.path.join(self.dir, "root")
        self.libexec = os.path.join(self.dir, "libexec")
        self.log = os.path.join(self.dir, "virtlited.log")
        os.makedirs(self.sockdir)
        os.makedirs(self.root)
        os.makedirs(self.libexec)
        # The launchers live in two build directories; the driver looks in one.
        for rel in ("src/vmm/lite-vmm", "src/ns/lite-ns", "src/ns/lite-ns-monitor"):
            path = os.path.join(self.build, rel)
            if os.path.exists(path):
                os.symlink(path, os.path.join(self.libexec, os.path.basename(rel)))
        self.conf = os.path.join(self.dir, "virtlited.conf")
        with open(self.conf, "w") as f:
            f.write('unix_sock_dir = "%s"\n' % self.sockdir)
            f.write('log_outputs = "3:file:%s"\n' % self.log)
        self.uri = "lite+unix:///system?socket=%s/virtlited-sock" % self.sockdir
        self.ro_uri = "lite+unix:///system?socket=%s/virtlited-sock-ro" % self.sockdir
        self.proc = None

    @property
    def config_dir(self):
        return os.path.join(self.root, "etc/libvirt/lite")

    @property
    def state_dir(self):
        return os.path.join(self.root, "run/libvirt/lite")

    def env(self):
        env = dict(os.environ)
        env["LIBVIRT_DRIVER_DIR"] = os.path.join(self.build, "src/driver")
        env["VIRT_LITE_ROOT"] = self.root
        env["VIRT_LITE_LAUNCHER_DIR"] = self.libexec
        return env

    def start(self, timeout=15):
        self.proc = subprocess.Popen(
            [os.path.join(self.build, "src/daemon/virtlited"), "-f", self.conf,
             "-p", os.path.join(self.dir, "virtlited.pid")],
            env=self.env(), stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.dir, "stdout"), "ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("virtlited exited with %d; log:\n%s"
                                   % (self.proc.returncode, self.read_log()))
            if self.virsh("uri", check=False).returncode == 0:
                return self
            time.sleep(0.05)
        raise RuntimeError("virtlited did not answer within %ds; log:\n%s"
                           % (timeout, self.read_log()))

    def read_log(self):
        out = []
        for name in ("stdout", "virtlited.log"):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path) as f:
                    out.append(f.read()[-4000:])
        return "\n".join(out)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()

    def restart(self):
        self.stop()
        return self.start()

    def launcher_pids(self):
        """Launchers started by this instance (their launch config lives in our root; a
        container's supervisor, once lite-ns-monitor, names its state file there)."""
        res = subprocess.run(["pgrep", "-f", "--", "--(config|state) %s/" % self.root],
                             capture_output=True, text=True)
        return sorted(int(p) for p in res.stdout.split())

    def cleanup(self):
        # Launchers outlive the daemon by design: take the domains down first, and kill
        # whatever a failed test left behind, so no VM or container survives the test.
        if self.proc and self.proc.poll() is None:
            for name in self.virsh("list", "--name", check=False).stdout.split():
                self.virsh("destroy", name, check=False)
        self.stop()
        for pid in self.launcher_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def virsh(self, *args, ro=False, check=True, timeout=60):
        """Runs /usr/bin/virsh against this instance; returns the CompletedProcess."""
        cmd = ["/usr/bin/virsh", "-q", "-c", self.ro_uri if ro else self.uri] + list(args)
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and res.returncode != 0:
            raise AssertionError("%s failed (%d): %s%s" % (" ".join(cmd), res.returncode,
                                                          res.stdout, res.stderr))
        return res

    def open(self, ro=False):
        import libvirt
        return libvirt.openReadOnly(self.ro_uri) if ro else libvirt.open(self.uri)


class DaemonTestCase(unittest.TestCase):
    """One private daemon per test class."""

    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.cleanup()

    def virsh(self, *args, **kwargs):
        return self.daemon.virsh(*args, **kwargs)

    def virsh_fails(self, *args, contains=None, **kwargs):
        res = self.daemon.virsh(*args, check=False, **kwargs)
        self.assertNotEqual(res.returncode, 0, "virsh %s unexpectedly succeeded: %s"
                            % (" ".join(args), res.stdout))
        if contains:
            self.assertIn(contains, res.stderr)
        return res

    def write(self, name, text):
        path = os.path.join(self.daemon.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def assertLibvirtError(self, code, fn, *args):
        import libvirt
        with self.assertRaises(libvirt.libvirtError) as ctx:
            fn(*args)
        self.assertEqual(ctx.exception.get_error_code(), code,
                         "expected error code %d, got %d: %s"
                         % (code, ctx.exception.get_error_code(), ctx.exception))
        return ctx.exception


class LifecycleTestCase(DaemonTestCase):
    """Running domains: one connection with an event log per class, and helpers that
    define and start domains from the subclass's domain_xml() and clean them up."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.conn = cls.daemon.open()
        cls.events = EventLog(cls.conn)

    def domain_xml(self, name, **kw):
        raise NotImplementedError

    def define(self, name, **kw):
        self.virsh("define", self.write(name + ".xml", self.domain_xml(name, **kw)))
        self.addCleanup(self.virsh, "undefine", name, check=False)
        self.addCleanup(self.virsh, "destroy", name, check=False)
        return self.conn.lookupByName(name)

    def start(self, name, **kw):
        dom = self.define(name, **kw)
        self.virsh("start", name)
        return dom

    def state(self, name):
        return self.virsh("domstate", "--reason", name).stdout.strip()

    def launcher_status(self, name):
        """What the status XML says of the launcher: pid, init-pid, cgroup (the last two
        for containers only, else None)."""
        import re
        with open(os.path.join(self.daemon.state_dir, name + ".xml")) as f:
            text = f.read()
        init = re.search(r"init-pid='(\d+)'", text)
        cgroup = re.search(r"cgroup='([^']+)'", text)
        return (int(re.search(r"<launcher pid='(\d+)'", text).group(1)),
                int(init.group(1)) if init else None,
                cgroup.group(1) if cgroup else None)


def main():
    skip_unless_root_and_libvirt()
    # Before any connection is opened: events and non-blocking console streams are only
    # delivered while a libvirt event loop runs.
    start_event_loop()
    unittest.main(verbosity=2)


VM_XML = """<domain type='kvm'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type>hvm</type>
    <kernel>/var/lib/virt-lite/demo/test-guest.elf</kernel>
  </os>
  <devices>
    <console type='pty'/>
  </devices>
</domain>
"""

def vm_xml(name):
    """The simplest VM: the demo test guest with a console."""
    return VM_XML.format(name=name)


def ct_xml(name, root=None, memory_mib=64, extra="", devices=""):
    """A container with a console: @root its root directory (default /srv/NAME), @extra
    elements after <os>, @devices more devices."""
    return """<domain type='lxc'>
  <name>%s</name>
  <memory unit='MiB'>%d</memory>
  <os>
    <type>exe</type>
    <init>/sbin/init</init>
  </os>
%s
  <devices>
    <filesystem type='mount'>
      <source dir='%s'/>
      <target dir='/'/>
    </filesystem>
%s
    <console type='pty'/>
  </devices>
</domain>
""" % (name, memory_mib, extra, root or "/srv/" + name, devices)


SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rootfs(which):
    """A test root filesystem built (once, cached) by tests/images/rootfs-WHICH.sh."""
    script = os.path.join(SRC, "tests/images/rootfs-%s.sh" % which)
    p = subprocess.run([script], stdout=subprocess.PIPE, text=True, timeout=1800)
    if p.returncode == SKIP:
        raise unittest.SkipTest("the %s root filesystem cannot be built here" % which)
    p.check_returncode()
    return p.stdout.strip().splitlines()[-1]


LIBVIRTD = "/usr/sbin/libvirtd"
LIBVIRTD_SOCK = "/run/libvirt/libvirt-sock"


def start_libvirtd(test, drivers=("storage", "network")):
    """Starts the host's libvirtd for @test's duration when none runs, with only @drivers:
    its QEMU driver needs users that Debian creates only in its systemd-based
    libvirt-daemon-system package."""
    if os.path.exists(LIBVIRTD_SOCK):
        return
    if not os.path.exists(LIBVIRTD):
        raise unittest.SkipTest("libvirtd is not installed (package libvirt-daemon)")
    tmp = tempfile.mkdtemp(prefix="ltest-libvirtd-")
    test.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
    ddir = os.path.join(tmp, "drivers")
    os.makedirs(ddir)
    for d in drivers:
        os.symlink("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/"
                   "libvirt_driver_%s.so" % d, os.path.join(ddir, "libvirt_driver_%s.so" % d))
    os.makedirs("/var/log/libvirt", exist_ok=True)
    proc = subprocess.Popen([LIBVIRTD, "-p", os.path.join(tmp, "pid")],
                            env=dict(os.environ, LIBVIRT_DRIVER_DIR=ddir),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)

    def stop():
        proc.terminate()
        proc.wait(timeout=15)
    test.addCleanup(stop)
    deadline = time.monotonic() + 15
    while not os.path.exists(LIBVIRTD_SOCK):
        if proc.poll() is not None or time.monotonic() > deadline:
            test.fail("libvirtd did not start")
        time.sleep(0.1)
    time.sleep(0.5)


class Console:
    """A domain's console through virDomainOpenConsole, as virt-manager opens it: a libvirt
    stream, read without blocking so every wait has a deadline."""

    def __init__(self, conn, dom, force=False):
        import libvirt
        self.libvirt = libvirt
        self.stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
        dom.openConsole(None, self.stream,
                        libvirt.VIR_DOMAIN_CONSOLE_FORCE if force else 0)
        self.buf = b""

    def send(self, text):
        data = text.encode()
        while data:
            n = self.stream.send(data)
            if n == -2:
                time.sleep(0.01)
                continue
            data = data[n:]

    def _pump(self):
        try:
            got = self.stream.recv(4096)
        except self.libvirt.libvirtError:
            return False
        if got == -2 or got is None:
            return False
        if isinstance(got, bytes) and got:
            self.buf += got
            return True
        return False

    def expect(self, pattern, timeout=10):
        """Waits for the regex @pattern in what arrived since the last match; returns the
        match and consumes the text up to its end."""
        import re
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            if time.monotonic() > deadline:
                raise AssertionError("console: no %r within %ss; got %r"
                                     % (pattern, timeout, self.buf[-500:]))
            if not self._pump():
                time.sleep(0.02)

    def close(self):
        try:
            self.stream.finish()
        except Exception:
            try:
                self.stream.abort()
            except Exception:
                pass


_event_loop_started = False


def start_event_loop():
    """libvirt's default event loop in a thread; must run before the connections whose
    events a test wants are opened."""
    global _event_loop_started
    import libvirt
    import threading
    if _event_loop_started:
        return
    libvirt.virEventRegisterDefaultImpl()

    def run():
        while True:
            libvirt.virEventRunDefaultImpl()
    threading.Thread(target=run, daemon=True).start()
    _event_loop_started = True


class EventLog:
    """Every lifecycle and reboot event of a connection, with arrival times."""

    def __init__(self, conn):
        import libvirt
        import threading
        start_event_loop()
        self.events = []
        self.lock = threading.Lock()
        self.conn = conn
        conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                    self._lifecycle, None)
        conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT,
                                    self._reboot, None)

    def _lifecycle(self, conn, dom, event, detail, opaque):
        with self.lock:
            self.events.append((time.monotonic(), dom.name(), event, detail))

    def _reboot(self, conn, dom, opaque):
        with self.lock:
            self.events.append((time.monotonic(), dom.name(), "reboot", None))

    def wait(self, name, event, detail=None, timeout=10, since=0.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for e in self.events:
                    if e[0] >= since and e[1] == name and e[2] == event and \
                       (detail is None or e[3] == detail):
                        return e
            time.sleep(0.01)
        raise AssertionError("no event %r/%r for %s within %ss; seen %r"
                             % (event, detail, name, timeout, self.events))
