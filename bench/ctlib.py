"""ctlib.py: what bench/ct-start and bench/ct-mem share: the busybox rootfs, lite-ns run
directly (tests/ns/nstest.py), crun and LXC set-ups, domain XML, a marker fifo, memory from
smaps_rollup, and the two libvirt daemons the benchmarks start privately: virtlited (the
functional tests' harness) and Debian's libvirtd with only its lxc driver, in a mount
namespace of its own (see LibvirtLxcDaemon). Benchmarks, not tests: they print numbers."""
import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "ns"))
sys.path.insert(0, os.path.join(SRC, "tests", "functional"))
import lite_harness  # noqa: E402
import nstest  # noqa: E402

MARKER = b"LITE-CT-READY"
# Inside every container started through libvirt, a host directory holding the marker fifo.
SHARED = "/shared"
LXC_DRIVER = "/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_lxc.so"
LIBVIRT_LXC = "/usr/lib/libvirt/libvirt_lxc"
# crun 1.8 and libvirt 9.0's lxc driver both fail on a hybrid host whose cgroup2 holds a
# controller (hugetlb here): they run in a mount namespace without the unified hierarchy.
NO_UNIFIED = "umount -l /sys/fs/cgroup/unified 2>/dev/null; "


def require_root(what):
    if os.geteuid() != 0:
        sys.exit("%s: needs root" % what)
    # lite-ns's own log at info level: the benchmark times starts, not debug logging.
    os.environ.setdefault("LITE_LOG_LEVEL", "info")


def busybox_rootfs():
    return nstest.busybox_rootfs()


def read_until_marker(fd, deadline):
    """Reads @fd until the marker; the time it arrived."""
    buf = b""
    while MARKER not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no marker; got %r" % buf[-200:])
        if select.select([fd], [], [], left)[0]:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                raise RuntimeError("EOF before the marker: %r" % buf[-200:])
            buf += data
    return time.monotonic()


class MarkerFifo:
    """A host directory, bound on SHARED in containers, with a fifo their init writes its
    marker to (ct-init --marker-file): the moment init runs, without a console to open."""

    def __init__(self, work):
        self.dir = os.path.join(work, "shared")
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, "marker")
        os.mkfifo(self.path, 0o622)
        # Read-write: a writer is always there, so reads block instead of seeing EOF
        # between two containers.
        self.fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK)

    @property
    def in_container(self):
        return os.path.join(SHARED, "marker")

    def drain(self):
        try:
            while os.read(self.fd, 4096):
                pass
        except BlockingIOError:
            pass

    def wait(self, t0, timeout=20):
        return read_until_marker(self.fd, t0 + timeout)

    def close(self):
        os.close(self.fd)


def domain_xml(name, rootfs, shared_dir, initargs=(), memory_mib=64):
    """One XML for both drivers: the read-only busybox root, the marker directory, a pty
    console and a private network namespace (<privnet/>: lite-ns always makes one)."""
    args = "".join("<initarg>%s</initarg>" % a for a in initargs)
    return """<domain type='lxc'>
  <name>%s</name>
  <memory unit='MiB'>%d</memory>
  <os><type>exe</type><init>/sbin/init</init>%s</os>
  <features><privnet/></features>
  <devices>
    <filesystem type='mount'><source dir='%s'/><target dir='/'/><readonly/></filesystem>
    <filesystem type='mount'><source dir='%s'/><target dir='%s'/></filesystem>
    <console type='pty'/>
  </devices>
</domain>
""" % (name, memory_mib, args, rootfs, shared_dir, SHARED)


def lite_ns_container(name, rootfs, args=(), mounts=(), console="pty"):
    """lite-ns run directly (no daemon), as tests/ns runs it; the caller starts it."""
    return nstest.Container(name, rootfs, args=list(args), mounts=list(mounts),
                            memory_kib=65536, on_reboot="destroy", console=console)


def crun_bundle(work, rootfs, args):
    """An OCI bundle from `crun spec`: the read-only rootfs, no terminal, no cgroup mount."""
    bundle = os.path.join(work, "bundle")
    os.makedirs(bundle)
    subprocess.run(["crun", "spec"], cwd=bundle, check=True)
    path = os.path.join(bundle, "config.json")
    with open(path) as f:
        c = json.load(f)
    c["root"] = {"path": rootfs, "readonly": True}
    c["process"]["args"] = ["/sbin/init"] + list(args)
    c["process"]["terminal"] = False
    c["hostname"] = "ltest-bench"
    c["mounts"] = [m for m in c["mounts"] if m.get("type") != "cgroup"]
    with open(path, "w") as f:
        json.dump(c, f)
    return bundle


def crun_argv(bundle, cid, detach=False):
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            NO_UNIFIED + "exec crun run %s-b %s %s" % ("-d " if detach else "", bundle, cid)]


def lxc_config(rootfs, name, init_cmd=None):
    """An LXC config as close to the others as LXC allows: no network, proc and sys, an
    autodev /dev, no console."""
    text = ("lxc.rootfs.path = dir:%s\nlxc.uts.name = %s\nlxc.net.0.type = empty\n"
            "lxc.mount.auto = proc:mixed sys:ro\nlxc.autodev = 1\nlxc.pty.max = 16\n"
            "lxc.tty.max = 0\nlxc.console.path = none\n" % (rootfs, name))
    if init_cmd:
        text += "lxc.init.cmd = %s\n" % init_cmd
    return text


def lxc_pivot_dirs():
    """LXC leaves an empty lxc.pivot cgroup in every hierarchy: the benchmarks remove the
    ones they caused."""
    return set(d for d in (os.path.join("/sys/fs/cgroup", h, "lxc.pivot")
                           for h in os.listdir("/sys/fs/cgroup")) if os.path.isdir(d))


def mem_kib(pid):
    """RSS, PSS and USS (private clean + dirty) of @pid in KiB."""
    vals = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                vals[parts[0][:-1]] = int(parts[1])
    return vals["Rss"], vals["Pss"], vals["Private_Clean"] + vals["Private_Dirty"]


def pids_of(prefix_argv):
    """Processes whose command line starts with @prefix_argv (a list of arguments)."""
    out = []
    want = [a.encode() for a in prefix_argv]
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv[:len(want)] == want:
            out.append(int(pid))
    return out


def children_of(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


class VirshDaemon:
    """What both private daemons offer a benchmark: virsh against their URI."""

    uri = None

    def virsh(self, *args, check=True, timeout=60):
        res = subprocess.run(["/usr/bin/virsh", "-q", "-c", self.uri] + list(args),
                             capture_output=True, text=True, timeout=timeout)
        if check and res.returncode != 0:
            raise RuntimeError("virsh %s: %s%s" % (" ".join(args), res.stdout, res.stderr))
        return res

    def virsh_argv(self, *args):
        return ["/usr/bin/virsh", "-q", "-c", self.uri] + list(args)

    def destroy_all(self):
        for name in self.virsh("list", "--name", check=False).stdout.split():
            self.virsh("destroy", name, check=False)


class VirtLite(VirshDaemon):
    """A private virtlited from this build (tests/functional/lite_harness.py)."""

    name = "virt-lite"

    def __init__(self, build):
        self.daemon = lite_harness.Daemon(build=build, name="lbench")
        self.uri = self.daemon.uri

    def start(self):
        self.daemon.start()
        return self

    def supervisors(self):
        return self.daemon.launcher_pids()

    def stop(self):
        self.daemon.cleanup()


class LibvirtLxcDaemon(VirshDaemon):
    """Debian's libvirtd with only the lxc driver, private to the benchmark.

    Workaround for this host, benchmark only: libvirt 9.0's lxc controller fails to start any
    container on a hybrid cgroup host whose cgroup2 (/sys/fs/cgroup/unified) is mounted
    ("Unable to create directory /sys/fs/cgroup/unified"), so libvirtd runs in a mount
    namespace of its own without that mount; its controllers (libvirt_lxc) inherit it and
    use the v1 controllers only. The same namespace gets empty /run/libvirt, /etc/libvirt,
    /var/lib/libvirt and /var/log/libvirt, so this libvirtd never sees or touches a system
    daemon's state; its sockets live in a temp dir. LIBVIRT_DRIVER_DIR holds only the lxc
    driver: the qemu driver would refuse to start without the libvirt-qemu user, which only
    libvirt-daemon-system (not installable here: it replaces init) creates.
    """

    name = "libvirt-lxc"
    STATE_DIRS = ("/run/libvirt", "/etc/libvirt", "/var/lib/libvirt", "/var/log/libvirt")
    # A subclass for another driver (bench/benchvirt.py's QEMU one) changes these and the
    # hooks below.
    DRIVER = LXC_DRIVER
    SCHEME = "lxc"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="lbench-libvirtd-")
        os.chmod(self.dir, 0o755)
        self.sock = os.path.join(self.dir, "sock")
        self.uri = "%s+unix:///system?socket=%s/libvirt-sock" % (self.SCHEME, self.sock)
        self.log = os.path.join(self.dir, "libvirtd.log")
        self.proc = None
        self.made = []      # state dirs that did not exist on the host

    def setup_script(self):
        """Shell commands run in the new mount namespace first, each ending in "&& "."""
        return NO_UNIFIED

    def prepare(self):
        """Runs once the state directories exist (in self.dir/state), before libvirtd."""

    def exec_command(self, conf):
        return "exec /usr/sbin/libvirtd -f %s -p %s/libvirtd.pid" % (conf, self.dir)

    def start(self, timeout=20):
        drivers = os.path.join(self.dir, "drivers")
        for d in (self.sock, drivers):
            os.makedirs(d)
        os.symlink(self.DRIVER, os.path.join(drivers, os.path.basename(self.DRIVER)))
        conf = os.path.join(self.dir, "libvirtd.conf")
        with open(conf, "w") as f:
            f.write('unix_sock_dir = "%s"\nauth_unix_rw = "none"\nauth_unix_ro = "none"\n'
                    'log_outputs = "3:file:%s"\n' % (self.sock, self.log))
        script = self.setup_script()
        for d in self.STATE_DIRS:
            if not os.path.isdir(d):
                os.makedirs(d)
                self.made.append(d)
            # On the temp dir's file system, as virt-lite's VIRT_LITE_ROOT: both daemons
            # pay the same for their fsyncs.
            mine = os.path.join(self.dir, "state", d.strip("/").replace("/", "-"))
            os.makedirs(mine)
            script += "mount --bind %s %s && " % (mine, d)
        self.prepare()
        script += self.exec_command(conf)
        env = dict(os.environ, LIBVIRT_DRIVER_DIR=drivers)
        with open(os.path.join(self.dir, "stdout"), "wb") as out:
            self.proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("libvirtd exited %d: %s" % (self.proc.returncode,
                                                               self.read_log()))
            if self.virsh("uri", check=False).returncode == 0:
                return self
            time.sleep(0.05)
        raise RuntimeError("libvirtd did not answer: %s" % self.read_log())

    def read_log(self):
        text = ""
        for name in ("stdout", "libvirtd.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    text += f.read()[-3000:]
            except OSError:
                pass
        return text

    def controller(self, name):
        """The libvirt_lxc process of domain @name."""
        pids = pids_of([LIBVIRT_LXC, "--name", name])
        return pids[0] if pids else None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.destroy_all()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for d in self.made:
            try:
                os.rmdir(d)
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


def remove_empty_machine_cgroups(before):
    """libvirt's lxc driver leaves /machine in every hierarchy it used: remove those that
    did not exist before the benchmark and are empty now (rmdir refuses busy ones)."""
    for h in os.listdir("/sys/fs/cgroup"):
        d = os.path.join("/sys/fs/cgroup", h, "machine")
        if d not in before and os.path.isdir(d):
            try:
                os.rmdir(d)
            except OSError:
                pass


def machine_cgroups():
    return set(d for d in (os.path.join("/sys/fs/cgroup", h, "machine")
                           for h in os.listdir("/sys/fs/cgroup")) if os.path.isdir(d))


def summary_ms(values):
    """min, median, max in ms."""
    return min(values) * 1000, statistics.median(values) * 1000, max(values) * 1000
