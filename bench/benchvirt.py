"""benchvirt.py: the VM benchmarks' libvirt peers: `virsh create` of the same guest through a
private virtlited (lite:///system) and through a private libvirtd's QEMU driver
(qemu:///system), domain XML for both, and an inotify watch that says when a marker landed
in a file. The daemons build on bench/ctlib.py's (the container benchmarks'): the same
private virtlited, and the same private libvirtd set-up with the QEMU driver instead of lxc.
Never touches the system instances.

Why the QEMU driver needs more than ctlib's lxc set-up: a root libvirtd always loads the
privileged (qemu:///system) QEMU driver, which looks up the user and group Debian creates
only in libvirt-daemon-system (libvirt-qemu) before reading any qemu.conf, and reads that
qemu.conf from /etc/libvirt. Installing that package would replace init with systemd, and
adding users to the host would change it for everyone. So in the libvirtd's own mount
namespace /etc/passwd and /etc/group are copies with libvirt-qemu added (only if missing),
/etc/libvirt holds the bench's qemu.conf and /var/cache is empty; the QEMU it spawns
inherits the namespace. qemu.conf differs from Debian's defaults in three ways, each named
where the numbers are printed: QEMU runs as root (this host's /dev/kvm is root's 0600, no
udev gives it to group kvm), its stdout goes to a file instead of virtlogd, and no cgroups
are made (the host's /machine partition is shared with lite-ns containers that other tests
create and remove concurrently).
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
sys.path.insert(0, HERE)
import ctlib  # noqa: E402
import lite_harness  # noqa: E402  (ctlib puts tests/functional on the path)

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


def lite_log_dir(lite):
    """Where a ctlib.VirtLite's driver writes domain logs."""
    return os.path.join(lite.daemon.root, "var/log/libvirt/lite")


def lite_launcher_pid(lite, name):
    import re
    with open(os.path.join(lite.daemon.state_dir, name + ".xml")) as f:
        return int(re.search(r"<launcher pid='(\d+)'", f.read()).group(1))


QEMU_DRIVER = "/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so"
QEMU_USER_LINE = "libvirt-qemu:x:64055:64055:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin\n"
QEMU_GROUP_LINE = "libvirt-qemu:x:64055:libvirt-qemu\n"

# libvirt daemonizes QEMU, so its parent becomes PID 1, and when QEMU exits libvirt waits
# (virProcessKillPainfully) until PID 1 has reaped it. This host's PID 1 reaps orphans
# about every 1.7 s, where a normal init does it at once: a subreaper above libvirtd that
# reaps at once keeps that artefact out of the numbers. It forwards SIGTERM to libvirtd,
# which ctlib's stop() sends.
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
            shutil.which("unshare") or "unshare", QEMU_DRIVER]
    for p in need:
        if not os.path.exists(p):
            return "%s is missing (packages libvirt-daemon, libvirt-daemon-driver-qemu, " \
                   "qemu-system-x86)" % p
    return None


class QemuDaemon(ctlib.LibvirtLxcDaemon):
    """A private libvirtd with the QEMU driver in system mode (see the module docstring):
    ctlib's private libvirtd (its directories, start, virsh, stop) set up for QEMU."""

    name = "libvirt-qemu"
    DRIVER = QEMU_DRIVER
    SCHEME = "qemu"

    def __init__(self):
        super().__init__()
        self.guests = os.path.join(self.dir, "guest")
        os.makedirs(self.guests)

    def guest_path(self, kernel):
        """A copy of @kernel libvirt may relabel (it chowns what QEMU opens)."""
        path = os.path.join(self.guests, os.path.basename(kernel))
        shutil.copy(kernel, path)
        return path

    def setup_script(self):
        return ("mount --bind %s/passwd /etc/passwd && mount --bind %s/group /etc/group && "
                "mount -t tmpfs tmpfs /var/cache && mkdir /var/cache/libvirt && "
                % (self.dir, self.dir))

    def prepare(self):
        for name, line in (("passwd", QEMU_USER_LINE), ("group", QEMU_GROUP_LINE)):
            with open("/etc/" + name) as f:
                text = f.read()
            if not any(l.startswith("libvirt-qemu:") for l in text.splitlines()):
                text += line
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        with open(os.path.join(self.dir, "state/etc-libvirt/qemu.conf"), "w") as f:
            f.write('user = "root"\ngroup = "root"\nstdio_handler = "file"\n'
                    'cgroup_controllers = [ ]\n')
        with open(os.path.join(self.dir, "reaper.py"), "w") as f:
            f.write(REAPER)

    def exec_command(self, conf):
        return "exec %s %s/reaper.py /usr/sbin/libvirtd -f %s -p %s/libvirtd.pid" % (
            sys.executable, self.dir, conf, self.dir)

    def start(self, timeout=60):
        # The QEMU driver probes QEMU before it answers: seconds, more under load.
        return super().start(timeout)

    def qemu_pid(self, name):
        with open(os.path.join(self.dir, "state/run-libvirt/qemu", name + ".pid")) as f:
            return int(f.read().strip())

    def stop(self):
        # A QEMU our libvirtd left behind (if it died): its pid files are ours alone.
        qdir = os.path.join(self.dir, "state/run-libvirt/qemu")
        pids = []
        for f in os.listdir(qdir) if os.path.isdir(qdir) else []:
            if f.endswith(".pid"):
                try:
                    pids.append(self.qemu_pid(f[:-4]))
                except (ValueError, OSError):
                    pass
        super().stop()
        for pid in ctlib.pids_of([shutil.which("qemu-system-x86_64") or "qemu-system-x86_64"]):
            if pid in pids:
                os.kill(pid, signal.SIGKILL)


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
