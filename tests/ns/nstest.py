"""nstest.py: helpers for lite-ns functional tests: launch configs, a running container, its
console and control socket, host snapshots, and a small runner with timeouts.

Every name a test creates on the host starts with "ltest-" (cgroups, links, temp dirs), so
that tests never touch what other engineers' tests make on the same machine.
"""
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
SKIP = 77


class Skip(Exception):
    pass


def lite_ns_path():
    path = os.environ.get("LITE_NS") or os.path.join(SRC, "build", "src", "ns", "lite-ns")
    if not os.access(path, os.X_OK):
        raise Skip("lite-ns binary not found (set LITE_NS)")
    return path


def require_root():
    if os.geteuid() != 0:
        raise Skip("needs root")
    try:
        subprocess.run(["unshare", "-p", "-n", "-m", "-f", "true"], check=True,
                       stderr=subprocess.DEVNULL, timeout=10)
    except (subprocess.CalledProcessError, FileNotFoundError):
        raise Skip("cannot create namespaces here")


def build_rootfs(which):
    script = os.path.join(SRC, "tests", "images", "rootfs-%s.sh" % which)
    p = subprocess.run([script], stdout=subprocess.PIPE, timeout=1800)
    if p.returncode == SKIP:
        raise Skip("rootfs-%s cannot be built here" % which)
    if p.returncode != 0:
        raise RuntimeError("%s failed with %d" % (script, p.returncode))
    return p.stdout.decode().strip().splitlines()[-1]


def busybox_rootfs():
    return build_rootfs("busybox")


# ---- control protocol (src/launch/control.c) ----

def _unescape(v):
    return re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), v)


def _escape(v):
    return "".join("\\x%02x" % ord(c) if (ord(c) <= 0x20 or ord(c) >= 0x7f or c in "=\\")
                   else c for c in v)


def parse_msg(line):
    parts = line.strip().split(" ")
    msg = {"verb": parts[0]}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        msg[k] = _unescape(v)
    return msg


def format_msg(verb, **kv):
    return verb + "".join(" %s=%s" % (k, _escape(str(v))) for k, v in kv.items()) + "\n"


class Watch:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.sock.sendall(b"watch\n")
        self.buf = b""
        reply = self.next(5)
        assert reply["verb"] == "ok" and reply["state"], reply
        self.initial = reply

    def next(self, timeout):
        """The next message, or None at EOF; raises TimeoutError."""
        end = time.time() + timeout
        while b"\n" not in self.buf:
            left = end - time.time()
            if left <= 0:
                raise TimeoutError("no event within %.1f s" % timeout)
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                data = self.sock.recv(4096)
                if not data:
                    return None
                self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return parse_msg(line.decode())

    def expect(self, state, reason, timeout=10):
        ev = self.next(timeout)
        assert ev and ev["verb"] == "event" and ev["state"] == state and \
            ev["reason"] == reason, "expected %s/%s, got %r" % (state, reason, ev)
        return ev

    def close(self):
        self.sock.close()


class Console:
    def __init__(self, path):
        # The supervisor keeps this slave raw; opening it must not flush what is buffered.
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        self.buf = ""
        self.seen = ""

    def read_until(self, pattern, timeout=10):
        rx = re.compile(pattern)
        end = time.time() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                out = self.buf[:m.end()]
                self.buf = self.buf[m.end():]
                return out, m
            left = end - time.time()
            if left <= 0:
                raise TimeoutError("console: no %r within %.1f s; got %r" %
                                   (pattern, timeout, self.buf[-2000:]))
            r, _, _ = select.select([self.fd], [], [], min(left, 0.2))
            if r:
                try:
                    data = os.read(self.fd, 4096).decode(errors="replace")
                except OSError:
                    time.sleep(0.05)
                    continue
                self.buf += data
                self.seen += data

    def send(self, line):
        os.write(self.fd, (line + "\n").encode())

    def run(self, cmd, timeout=10):
        """Runs a shell command through ct-init; (rc, output)."""
        tag = "c%d" % int(time.monotonic_ns() % 10**9)
        self.send("run %s %s" % (tag, cmd))
        out, m = self.read_until(r"done %s rc=(\d+)\r?\n" % tag, timeout)
        body = out[:m.start()].replace("\r\n", "\n")
        return int(m.group(1)), body

    def close(self):
        os.close(self.fd)


class Container:
    """One lite-ns supervisor running one container, with its temp dir and config."""

    def __init__(self, name, rootfs, **opts):
        assert name.startswith("ltest-")
        self.name = name
        self.rootfs = rootfs
        self.opts = opts
        self.dir = tempfile.mkdtemp(prefix="ltest-ns-")
        os.chmod(self.dir, 0o755)
        self.ctl = os.path.join(self.dir, "ct.ctl")
        self.conf = os.path.join(self.dir, "ct.conf")
        self.log = os.path.join(self.dir, "ct.log")
        self.proc = None
        self.status = None
        self.console = None

    def config_text(self):
        o = self.opts
        lines = ["[domain]", "format=1", "kind=container", "name=%s" % self.name,
                 "uuid=%s" % o.get("uuid", "c7a5fdbd-cdaf-9455-926a-d65c16db1809"),
                 "control=%s" % self.ctl, "memory-kib=%d" % o.get("memory_kib", 0),
                 "vcpus=1", "on-poweroff=%s" % o.get("on_poweroff", "destroy"),
                 "on-reboot=%s" % o.get("on_reboot", "restart"),
                 "on-crash=%s" % o.get("on_crash", "destroy"),
                 "console=%s" % o.get("console", "pty"), "",
                 "[init]", "path=%s" % o.get("init", "/sbin/init")]
        if o.get("args"):
            lines.append("args=%s" % ";".join(a.replace(";", "\\;") for a in o["args"]))
        if o.get("env"):
            lines.append("env=%s" % ";".join(o["env"]))
        # Read-only by default: the cached test rootfs is shared by every test.
        mounts = [(self.rootfs, "/", o.get("root_readonly", True))] + o.get("mounts", [])
        for i, (src, dst, ro) in enumerate(mounts):
            lines += ["", "[mount %d]" % i, "source=%s" % src, "target=%s" % dst,
                      "readonly=%s" % ("true" if ro else "false")]
        if o.get("idmap"):
            uid, gid = o["idmap"]
            lines += ["", "[idmap]", "uid=%s" % ";".join(uid), "gid=%s" % ";".join(gid)]
        for i, net in enumerate(o.get("nets", [])):
            lines += ["", "[net %d]" % i] + ["%s=%s" % kv for kv in net.items()]
        if o.get("resources"):
            lines += ["", "[resources]"] + ["%s=%s" % kv for kv in o["resources"].items()]
        return "\n".join(lines) + "\n"

    def start(self, expect_ok=True, timeout=30):
        with open(self.conf, "w") as f:
            f.write(self.config_text())
        r, w = os.pipe()
        env = dict(os.environ, LITE_LOG_LEVEL=os.environ.get("LITE_LOG_LEVEL", "debug"))
        with open(self.log, "ab") as log:
            # "wrapper": a command line that ends by exec'ing lite-ns (its args appended).
            self.proc = subprocess.Popen(self.opts.get("wrapper", []) +
                                         [lite_ns_path(), "--config", self.conf,
                                          "--status-fd", str(w)],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         pass_fds=(w,), env=env, start_new_session=True)
        os.close(w)
        self.t_start = time.monotonic()
        line = b""
        end = time.time() + timeout
        while not line.endswith(b"\n"):
            rr, _, _ = select.select([r], [], [], max(end - time.time(), 0))
            if not rr:
                os.close(r)
                raise TimeoutError("no status line within %d s" % timeout)
            data = os.read(r, 4096)
            if not data:
                break
            line += data
        self.t_status = time.monotonic()
        # The status fd is closed right after the line.
        rest = os.read(r, 10) if select.select([r], [], [], 5)[0] else b"?"
        os.close(r)
        self.status = parse_msg(line.decode()) if line else {"verb": "eof"}
        assert rest == b"", "status fd not closed after the status line"
        if expect_ok:
            assert self.status["verb"] == "ok", "start failed: %r\n%s" % (self.status,
                                                                        self.read_log())
            if self.status.get("console"):
                self.console = Console(self.status["console"])
        return self.status

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def call(self, verb, timeout=15, **kv):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(self.ctl)
        s.sendall(format_msg(verb, **kv).encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        return parse_msg(data.decode())

    def watch(self):
        return Watch(self.ctl)

    def shutdown(self, timeout=10):
        """The shutdown verb, and the two events it leads to with a well-behaved init."""
        w = self.watch()
        r = self.call("shutdown")
        assert r["verb"] == "ok", r
        w.expect("shutdown", "requested")
        w.expect("shutoff", "shutdown", timeout=timeout)
        return w

    def wait_exit(self, timeout=15):
        return self.proc.wait(timeout=timeout)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        if self.console:
            self.console.close()
            self.console = None
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def boot_busybox(name, **opts):
    """A busybox container started and past its init's marker (its log printed on failure)."""
    ct = Container(name, busybox_rootfs(), **opts)
    try:
        ct.start()
        ct.console.read_until(r"LITE-CT-READY host=%s pid=1\r?\n" % re.escape(name))
    except BaseException:
        print(ct.read_log())
        ct.cleanup()
        raise
    return ct


# ---- the Debian image's console (tests/images/rootfs-debian.sh) ----

DEBIAN_PASSWORD = "virt-lite"    # test image only


def login(con, timeout=60):
    con.read_until(r"login: $", timeout)
    con.send("root")
    con.read_until(r"Password: $", 15)
    con.send(DEBIAN_PASSWORD)
    con.read_until(r"# $", 15)


def shell(con, cmd, timeout=60):
    """Runs @cmd in the logged-in shell; (rc, output). The typed line is echoed, so the end
    marker is built at run time to be told apart from the echo."""
    con.send('%s; echo "@@""RC=$?@@"' % cmd)
    out, m = con.read_until(r"@@RC=(\d+)@@", timeout)
    con.read_until(r"# $", 10)
    # Drop terminal control sequences (bash's bracketed-paste switches).
    text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out[:m.start()])
    lines = text.replace("\r", "").split("\n")
    return int(m.group(1)), "\n".join(lines[1:])


# ---- host state, for "leaves nothing behind" ----

def cgroup_dirs():
    out = set()
    for base in ("/sys/fs/cgroup",):
        for root, dirs, _ in os.walk(base):
            for d in dirs:
                p = os.path.join(root, d)
                if "/machine" in p or "ltest" in p:
                    out.add(p)
    return out


def host_snapshot():
    """Processes, mounts, cgroups and links that lite-ns could leave behind."""
    procs = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "lite-ns" in cmd or "/sbin/init" in cmd:
                procs.add((pid, cmd))
    with open("/proc/self/mountinfo") as f:
        mounts = set(" ".join(l.split()[3:]) for l in f)
    links = set(os.listdir("/sys/class/net"))
    return {"processes": procs, "mounts": mounts, "cgroups": cgroup_dirs(), "links": links}


def snapshot_diff(before, after):
    diff = {}
    for k in before:
        if before[k] != after[k]:
            diff[k] = {"new": sorted(after[k] - before[k]), "gone": sorted(before[k] - after[k])}
    return diff


def process_gone(pid):
    """Exited, zombies included: an orphan is reaped by the host's PID 1, which on some
    hosts takes ~2 s, long after the process itself is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


def wait_for(cond, timeout, what, step=0.02):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    raise TimeoutError("timed out waiting for %s" % what)


def sh(cmd, check=True, timeout=30):
    p = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("%s: rc=%d\n%s" % (cmd, p.returncode, p.stdout.decode()))
    return p.stdout.decode()


# ---- runner ----

def main(tests, timeout=120):
    """Runs test_* functions (or those named on the command line), each under an alarm;
    prints one line per test and 'N passed, N failed' (exit 1 on failure, 77 if skipped)."""
    names = sys.argv[1:] or sorted(n for n in tests if n.startswith("test_"))
    passed = failed = skipped = 0

    def on_alarm(signum, frame):
        raise TimeoutError("test timed out after %d s" % timeout)

    signal.signal(signal.SIGALRM, on_alarm)
    try:
        require_root()
    except Skip as e:
        print("skip: %s" % e)
        sys.exit(SKIP)
    for name in names:
        t0 = time.monotonic()
        signal.alarm(timeout)
        try:
            tests[name]()
            passed += 1
            print("ok %s (%.2f s)" % (name, time.monotonic() - t0), flush=True)
        except Skip as e:
            skipped += 1
            print("skip %s: %s" % (name, e), flush=True)
        except BaseException:
            failed += 1
            print("FAIL %s (%.2f s)" % (name, time.monotonic() - t0), flush=True)
            traceback.print_exc()
        finally:
            signal.alarm(0)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    if failed:
        sys.exit(1)
    if skipped and not passed:
        sys.exit(SKIP)
    sys.exit(0)
