"""test_systemd_units.py: the systemd units the build ships start virtlited as systemd would.

These machines have no systemd as PID 1, so what systemd does with the units is reproduced
with its own tools: `systemd-analyze verify` checks the unit files, and
`systemd-socket-activate` listens on every socket the .socket units declare and, on the
first connection, execs the service's ExecStart with those sockets and their unit names
(LISTEN_FDS, LISTEN_FDNAMES), as systemd does. The daemon claims activated sockets by unit
name, so a unit whose name or path disagrees with the daemon fails here."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import lite_harness

UNITS = ("virtlited.service", "virtlited.socket", "virtlited-ro.socket",
         "virtlited-admin.socket")


def read_unit(path):
    """{section: [(key, value), ...]}: systemd keys repeat, so no dict per section."""
    unit, section = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = unit.setdefault(line[1:-1], [])
            else:
                key, _, value = line.partition("=")
                section.append((key.strip(), value.strip()))
    return unit


def values(unit, section, key):
    return [v for k, v in unit.get(section, []) if k == key]


class ActivatedDaemon(lite_harness.Daemon):
    """The harness's private daemon, started through systemd-socket-activate: the sockets
    are bound before virtlited runs, at the unit files' names, in the daemon's socket
    directory."""

    def __init__(self, sockets, exec_args):
        super().__init__(name="ltest-units")
        self.sockets, self.exec_args = sockets, exec_args

    def start(self, timeout=15):
        argv = ["systemd-socket-activate"]
        for unit_name, path in self.sockets:
            argv += ["-l", os.path.join(self.sockdir, os.path.basename(path))]
        argv.append("--fdname=" + ":".join(name for name, _ in self.sockets))
        for key, value in self.env().items():
            if key.startswith(("LIBVIRT_", "VIRT_LITE_")) or key == "PATH":
                argv += ["-E", "%s=%s" % (key, value)]
        argv += [os.path.join(self.build, "src/daemon/virtlited"), "-f", self.conf,
                 "-p", os.path.join(self.dir, "virtlited.pid")] + self.exec_args
        with open(os.path.join(self.dir, "stdout"), "ab") as out:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        # The daemon does not run before a client connects: wait for the listening socket.
        main_sock = os.path.join(self.sockdir, "virtlited-sock")
        deadline = time.monotonic() + timeout
        while not os.path.exists(main_sock):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("systemd-socket-activate did not listen; log:\n%s"
                                   % self.read_log())
            time.sleep(0.02)
        return self


class SystemdUnitsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        build = os.environ["VIRT_LITE_BUILD"]
        cls.units_dir = os.path.join(build, "src/daemon")
        cls.units = {name: read_unit(os.path.join(cls.units_dir, name)) for name in UNITS}

    def test_units_verify(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("systemd-analyze is not installed (Debian package systemd)")
        # ExecStart names the installed daemon; a test checks the build's, in a copy.
        work = tempfile.mkdtemp(prefix="ltest-units-")
        self.addCleanup(shutil.rmtree, work, True)
        virtlited = os.path.join(self.units_dir, "virtlited")
        for name in UNITS:
            with open(os.path.join(self.units_dir, name)) as f:
                text = f.read().replace("/usr/sbin/virtlited", virtlited)
            with open(os.path.join(work, name), "w") as f:
                f.write(text)
        # --man=no: whether man(1) and the installed page are there is not the units' matter.
        res = subprocess.run(["systemd-analyze", "verify", "--man=no"] +
                             [os.path.join(work, name) for name in UNITS],
                             capture_output=True, text=True, cwd=work)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        # verify also warns without failing; a clean unit says nothing about itself.
        own = [line for line in (res.stdout + res.stderr).splitlines()
               if any(name in line for name in UNITS)]
        self.assertEqual(own, [])

    def test_sockets_name_the_service_and_the_daemon_paths(self):
        service = self.units["virtlited.service"]
        for name in UNITS[1:]:
            sock = self.units[name]
            self.assertEqual(values(sock, "Socket", "Service"), ["virtlited.service"], name)
            self.assertIn(name, values(service, "Unit", "Requires"))
            self.assertIn(name, values(service, "Install", "Also"))
            paths = values(sock, "Socket", "ListenStream")
            self.assertEqual(len(paths), 1, name)
            # Where a system virtlited puts its sockets (virtlited.8, lite:///system).
            self.assertEqual(os.path.dirname(paths[0]), "/run/libvirt", name)
        # A restart of the daemon must leave the launchers, and so the domains, running.
        self.assertEqual(values(service, "Service", "KillMode"), ["process"])

    def test_socket_activation(self):
        if not shutil.which("systemd-socket-activate"):
            self.skipTest("systemd-socket-activate is not installed (Debian package systemd)")
        exec_start = values(self.units["virtlited.service"], "Service", "ExecStart")
        self.assertEqual(len(exec_start), 1)
        argv = exec_start[0].split()
        self.assertEqual(argv[0], "/usr/sbin/virtlited")
        sockets = [(name, values(self.units[name], "Socket", "ListenStream")[0])
                   for name in UNITS[1:]]
        daemon = ActivatedDaemon(sockets, argv[1:])
        self.addCleanup(daemon.cleanup)
        daemon.start()

        # The first connection starts the daemon on the activated sockets.
        self.assertIn("Running hypervisor: LITE", daemon.virsh("version").stdout)
        with open("/proc/%d/cmdline" % daemon.proc.pid) as f:
            self.assertIn("virtlited", f.read())
        # The read-only socket is the -ro unit's, and is read-only.
        self.assertEqual(daemon.virsh("uri", ro=True).returncode, 0)
        path = os.path.join(daemon.dir, "ro.xml")
        with open(path, "w") as f:
            f.write(lite_harness.vm_xml("ltest-units-ro"))
        res = daemon.virsh("define", path, ro=True, check=False)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("read only", res.stderr.replace("-", " "))
        # The admin socket is the -admin unit's.
        admin = "virtlited+unix:///system?socket=%s/virtlited-admin-sock" % daemon.sockdir
        res = subprocess.run(["virt-admin", "-c", admin, "srv-list"], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("virtlited", res.stdout)
        # No socket of its own: every one came from the activation.
        log = daemon.read_log()
        self.assertNotIn("unclaimed", log)


if __name__ == "__main__":
    lite_harness.main()
