"""benchvirt.py: the benchmarks' libvirt peers: `virsh create` of the same guest through a
private virtlited (lite:///system) and through a private libvirtd's QEMU driver
(qemu:///system), the lifecycle events that say when a domain ended, and an inotify watch
that says when a marker landed in a file. Never touches the system instances.

The private libvirtd, and why it runs in a mount namespace: a root libvirtd always loads the
privileged (qemu:///system) QEMU driver, which looks up the user and group Debian creates
only in libvirt-daemon-system (libvirt-qemu) before reading any qemu.conf, and reads that
qemu.conf from /etc/libvirt. Installing that package would replace init with systemd, and
adding users or qemu.conf to the host would change it for everyone. So the libvirtd the
bench starts sees, in a mount namespace of its own, copies of /etc/passwd and /etc/group with
libvirt-qemu added (only if missing), its own /etc/libvirt (libvirtd.conf, qemu.conf), and
its own /run/libvirt, /var/lib/libvirt, /var/log/libvirt and /var/cache: the host's files
are untouched and the QEMU it spawns inherits the namespace. qemu.conf differs from Debian's
defaults in three ways, each named where the numbers are printed: QEMU runs as root (this
host's /dev/kvm is root's 0600, no udev gives it to group kvm), its stdout goes to a file
instead of virtlogd, and no cgroups are made (the host's /machine partition is shared with
lite-ns containers that other tests create and remove concurrently).
"""
import ctypes
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "functional"))
import lite_harness  # noqa: E402

IN_MODIFY = 0x2
IN_CREATE = 0x100


class DirWatch:
    """Writes to the files of one directory, through inotify: a marker is seen the moment
    it is written, without polling."""

    def __init__(self, directory):
        self.dir = directory
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0 or self.libc.inotify_add_watch(self.fd, directory.encode(),
                                                      IN_MODIFY | IN_CREATE) < 0:
            raise OSError(ctypes.get_errno(), "inotify on %s" % directory)

    def wait(self, name, marker, deadline):
        """time.monotonic() when @marker is in file @name, or None at @deadline."""
        path = os.path.join(self.dir, name)
        while True:
            try:
                with open(path, "rb") as f:
                    if marker in f.read():
                        return time.monotonic()
            except FileNotFoundError:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if select.select([self.fd], [], [], left)[0]:
                try:
                    os.read(self.fd, 65536)
                except BlockingIOError:
                    pass

    def close(self):
        os.close(self.fd)


def lite_xml(name, kernel, on_poweroff="destroy", mem_mib=64):
    # No <console>: the guest's serial output then goes to the domain log, the one place a
    # guest that is done within a millisecond can be seen (a pty drops what nobody reads).
    return """<domain type='kvm'>
  <name>%s</name>
  <memory unit='MiB'>%d</memory>
  <vcpu>1</vcpu>
  <os><type>hvm</type><kernel>%s</kernel></os>
  <on_poweroff>%s</on_poweroff>
</domain>
""" % (name, mem_mib, kernel, on_poweroff)


def qemu_xml(name, kernel, serial, exit_device=True, mem_mib=64):
    # microvm as in the direct QEMU peer (libvirt's default 'pc' runs SeaBIOS, whose real
    # mode this PVM host emulates: seconds). libvirt adds a USB controller and a balloon on
    # PCI unless told not to, and microvm has no PCI. The guest powers off through 0x604;
    # isa-debug-exit there ends QEMU, which libvirt then reports as a crash.
    extra = ""
    if exit_device:
        extra = """  <qemu:commandline>
    <qemu:arg value='-device'/>
    <qemu:arg value='isa-debug-exit,iobase=0x604,iosize=2'/>
  </qemu:commandline>
"""
    return """<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>%s</name>
  <memory unit='MiB'>%d</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='microvm'>hvm</type><kernel>%s</kernel></os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
    <serial type='file'><source path='%s'/></serial>
  </devices>
%s</domain>
""" % (name, mem_mib, kernel, serial, extra)


def start_lite(build):
    """A private virtlited, as the functional tests run it."""
    d = lite_harness.Daemon(build=build, name="lite-bench")
    try:
        return d.start()
    except Exception:
        d.cleanup()
        raise


def lite_log_dir(daemon):
    return os.path.join(daemon.root, "var/log/libvirt/lite")


def lite_launcher_pid(daemon, name):
    import re
    with open(os.path.join(daemon.state_dir, name + ".xml")) as f:
        return int(re.search(r"<launcher pid='(\d+)'", f.read()).group(1))


QEMU_USER_LINE = "libvirt-qemu:x:64055:64055:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin\n"
QEMU_GROUP_LINE = "libvirt-qemu:x:64055:libvirt-qemu\n"

MOUNTS = """set -e
mount --make-rprivate /
mount --bind "$D/passwd" /etc/passwd
mount --bind "$D/group" /etc/group
mount --bind "$D/etc" /etc/libvirt
mount --bind "$D/run" /run/libvirt
mount --bind "$D/lib" /var/lib/libvirt
mount --bind "$D/log" /var/log/libvirt
mount -t tmpfs tmpfs /var/cache
mkdir /var/cache/libvirt
exec "$PY" -c "$REAPER" /usr/sbin/libvirtd -f /etc/libvirt/libvirtd.conf \
    -p /run/libvirt/libvirtd.pid
"""

# libvirt daemonizes QEMU, so its parent becomes PID 1, and when QEMU exits libvirt waits
# (virProcessKillPainfully) until PID 1 has reaped it. This host's PID 1 reaps orphans
# about every 1.7 s, where a normal init does it at once: a subreaper above libvirtd that
# reaps at once keeps that artefact out of the numbers. It forwards SIGTERM to libvirtd.
REAPER = """
import ctypes, os, signal, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)     # PR_SET_CHILD_SUBREAPER
child = os.fork()
if child == 0:
    os.execv(sys.argv[1], sys.argv[1:])
signal.signal(signal.SIGTERM, lambda s, f: os.kill(child, s))
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
"""


def qemu_missing():
    """Why the libvirt QEMU peer cannot run here, or None."""
    need = ["/usr/sbin/libvirtd", shutil.which("qemu-system-x86_64") or "qemu-system-x86_64",
            shutil.which("unshare") or "unshare",
            "/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so"]
    for p in need:
        if not os.path.exists(p):
            return "%s is missing (packages libvirt-daemon, libvirt-daemon-driver-qemu, " \
                   "qemu-system-x86)" % p
    for p in ("/run/libvirt", "/var/lib/libvirt", "/var/log/libvirt"):
        if not os.path.isdir(p):
            return "%s does not exist (a mount point for the private libvirtd)" % p
    return None


class QemuDaemon:
    """A private libvirtd with the QEMU driver in system mode (see the module docstring)."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "libvirtd")
        for sub in ("etc", "run", "lib", "log", "sock", "guest"):
            os.makedirs(os.path.join(self.dir, sub))
        # QEMU runs as root here, but the kernel and serial files are opened through paths
        # under this directory: keep them traversable.
        os.chmod(tmp, 0o755)
        os.chmod(self.dir, 0o755)
        os.chmod(os.path.join(self.dir, "guest"), 0o755)
        for name, line in (("passwd", QEMU_USER_LINE), ("group", QEMU_GROUP_LINE)):
            with open("/etc/" + name) as f:
                text = f.read()
            if not any(l.startswith("libvirt-qemu:") for l in text.splitlines()):
                text += line
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        with open(os.path.join(self.dir, "etc/libvirtd.conf"), "w") as f:
            f.write('unix_sock_dir = "%s/sock"\nlog_outputs = "3:file:%s/libvirtd.log"\n'
                    % (self.dir, self.dir))
        with open(os.path.join(self.dir, "etc/qemu.conf"), "w") as f:
            f.write('user = "root"\ngroup = "root"\nstdio_handler = "file"\n'
                    'cgroup_controllers = [ ]\n')
        self.uri = "qemu+unix:///system?socket=%s/sock/libvirt-sock" % self.dir
        self.proc = None

    def guest_path(self, kernel):
        path = os.path.join(self.dir, "guest", os.path.basename(kernel))
        shutil.copy(kernel, path)
        os.chmod(path, 0o644)
        return path

    def start(self, timeout=60):
        env = dict(os.environ, D=self.dir, PY=sys.executable, REAPER=REAPER)
        self.proc = subprocess.Popen(["unshare", "--mount", "sh", "-c", MOUNTS], env=env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.dir, "out.log"), "ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("libvirtd exited (%d): see %s/out.log"
                                   % (self.proc.returncode, self.dir))
            if self.virsh("uri", check=False).returncode == 0:
                return self
            time.sleep(0.1)
        raise RuntimeError("the private libvirtd did not answer within %ds" % timeout)

    def virsh(self, *args, check=True):
        res = subprocess.run(["virsh", "-q", "-c", self.uri] + list(args),
                             capture_output=True, text=True, timeout=120)
        if check and res.returncode != 0:
            raise RuntimeError("virsh %s: %s" % (" ".join(args), res.stderr.strip()))
        return res

    def qemu_pid(self, name):
        with open(os.path.join(self.dir, "run/qemu", name + ".pid")) as f:
            return int(f.read().strip())

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            for name in self.virsh("list", "--name", check=False).stdout.split():
                self.virsh("destroy", name, check=False)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # Any QEMU our libvirtd left behind (its pid files are ours alone).
        qdir = os.path.join(self.dir, "run/qemu")
        for f in os.listdir(qdir) if os.path.isdir(qdir) else []:
            if f.endswith(".pid"):
                try:
                    with open(os.path.join(qdir, f)) as pf:
                        os.kill(int(pf.read().strip()), signal.SIGKILL)
                except (ValueError, OSError):
                    pass


class Creates:
    """`virsh create` timings in seconds: spawn of virsh -> the marker in a file, -> the
    domain's STOPPED lifecycle event (seen by a client of the same daemon), -> virsh's
    exit."""

    def __init__(self, uri):
        import libvirt
        lite_harness.start_event_loop()
        self.conn = libvirt.open(uri)
        self.events = lite_harness.EventLog(self.conn)
        self.uri = uri

    def run(self, name, xml_path, watch, marker_file, marker, timeout=60):
        import libvirt
        done = {}
        t0 = time.monotonic()
        p = subprocess.Popen(["virsh", "-q", "-c", self.uri, "create", xml_path],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)

        def reap():
            p.wait()
            done["virsh"] = time.monotonic()
        t = threading.Thread(target=reap)
        t.start()
        t_marker = watch.wait(marker_file, marker, t0 + timeout)
        t.join(timeout)
        if p.returncode != 0:
            raise RuntimeError("virsh create %s failed: %s" % (name, p.stderr.read().decode()))
        if t_marker is None:
            raise RuntimeError("no marker from %s in %s" % (name, marker_file))
        ev = self.events.wait(name, libvirt.VIR_DOMAIN_EVENT_STOPPED, timeout=timeout,
                              since=t0)
        return t_marker - t0, ev[0] - t0, done["virsh"] - t0

    def close(self):
        try:
            self.conn.close()
        except Exception:
            pass
